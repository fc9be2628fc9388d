"""Foreign ids for the request engine's URL parameters (see testing/cross_workspace.py)."""

from django.utils import timezone
from django_scopes import scopes_disabled

from terabox_crm.dsr import services
from terabox_crm.dsr.models import Submission
from terabox_crm.testing.cross_workspace import ForeignId, param, public

public(
    "dsr_public:verify",
    "the token is the credential; tested in dsr/tests/test_public.py (forged, reused, expired)",
)
public(
    "dsr_public:download",
    "the token is the credential; tested in dsr/tests/test_flow.py (download, expiry)",
)
public(
    "dsr_public:workspace_request",
    "a workspace's public request page (P11): shows only its published contact block",
)


def _routed(foreign, kind: str, email: str, details: str = ""):
    """A verified request from the page, routed into the other workspace."""
    with scopes_disabled():
        submission = Submission.objects.create(
            workspace=foreign.workspace,
            kind=kind,
            email=email,
            email_index="x",
            details=details,
            verified_at=timezone.now(),
        )
        (item,) = services.submission_route(submission.pk)
    return item


@param("request_id")
def foreign_request(foreign) -> ForeignId:
    item = _routed(
        foreign, "deletion", "globex-requester@example.jp", details="Globex requester details"
    )
    return ForeignId(item.pk, identifying=("globex-requester@example.jp",))


@param("subject_id")
def foreign_subject(foreign) -> ForeignId:
    """A person of the other workspace (the fulfilment URLs: restrict,
    withdraw, erase); the request in the same URL is foreign too."""
    from terabox_crm.contacts.tests.cross_workspace_ids import foreign_contact

    return foreign_contact(foreign)


@param("export_id")
def foreign_export(foreign) -> ForeignId:
    """A failed access export of an access request of the other workspace
    (the retry and download URLs; the request in the same URL is foreign too)."""
    from terabox_crm.dsr.models import AccessExport

    item = _routed(foreign, "access", "globex-export@example.jp")
    with scopes_disabled():
        export = AccessExport.objects.create(
            workspace=foreign.workspace, request=item, state="failed", attempts=4, failure="data"
        )
    return ForeignId(export.pk, identifying=("globex-export@example.jp",))


@param("reply_id")
def foreign_reply(foreign) -> ForeignId:
    """A letter sent by post to a person of the other workspace (the letter
    to print; the request in the same URL is foreign too)."""
    from terabox_crm.dsr.models import Reply

    item = _routed(foreign, "restriction", "globex-letter@example.jp")
    with scopes_disabled():
        item.email, item.postal_address = "", "Globex letter street 1"
        item.save(update_fields=["email", "postal_address"])
        reply = Reply.objects.create(
            workspace=foreign.workspace, request=item, body="Globex letter body", by_post=True
        )
    return ForeignId(reply.pk, identifying=("Globex letter street 1", "Globex letter body"))
