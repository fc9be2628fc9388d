"""A person with something in every place an erasure must reach, made through
the real services where there is one (tests of the erasure app)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from terabox_crm.activities import services as activity_services
from terabox_crm.communications.models import OutboxEmail
from terabox_crm.contacts.tests.support import make_contact, member_of
from terabox_crm.deals.tests.factories import make_deal, make_pipeline
from terabox_crm.notifications.models import Notification
from terabox_crm.privacy import services as privacy_services
from terabox_crm.support import services as support_services
from terabox_crm.webhooks.models import Delivery, Endpoint

NAME = ("Qzerasev", "Canarina")
EMAIL = "qzerasev.canarina@example.net"
PHONE = "03-5555-0177"
PHONE_E164 = "+81355550177"
ACTIVITY_TEXT = "Qzerasev activity body ゼロカナリア"
TICKET_TEXT = "Qzerasev ticket description チケット"
MESSAGE_TEXT = "Qzerasev ticket reply 返信"
TASK_TITLE = "Qzerasev call back"
DEAL_NAME = "Qzerasev Canarina renewal"
CONSENT_TEXT = "Qzerasev 山田様より口頭で同意"
WITHDRAW_TEXT = "Qzerasev withdrew by email 撤回"
EVIDENCE_NAME = "qzerasev-signed-form.txt"
EVIDENCE_BYTES = "Qzerasev signed consent form 署名済み同意書".encode()
RESTRICTION_TEXT = "Qzerasev asked to stop 利用停止"
RESTRICTION_BY = "Qzerasev herself 本人"
CANARIES = [
    NAME[0],
    EMAIL,
    PHONE_E164,
    ACTIVITY_TEXT,
    TICKET_TEXT,
    MESSAGE_TEXT,
    DEAL_NAME,
    CONSENT_TEXT,
    WITHDRAW_TEXT,
    EVIDENCE_NAME,
    EVIDENCE_BYTES.decode(),
    RESTRICTION_TEXT,
    RESTRICTION_BY,
]


@dataclass
class Person:
    contact: object
    officer: object  # the privacy officer's membership
    deal: object
    ticket: object
    task: object
    activities: list
    consents: list  # a grant with evidence text and a file, a withdrawal with text
    restriction: object  # None unless made ``restricted``


def privacy_officer(cast):
    membership = cast.admin_membership
    with scopes_disabled():
        membership.is_privacy_officer = True
        membership.save(update_fields=["is_privacy_officer"])
    return member_of(cast.acme, cast.admin)


def make_person(
    cast,
    *,
    activities: int = 2,
    email: str = EMAIL,
    phone: str = PHONE,
    restricted: bool = False,
) -> Person:
    """``restricted``: also a restriction of use with its texts (it makes the
    person read-only for most members, so only the erasure's tests ask for it)."""
    officer = privacy_officer(cast)
    owner = member_of(cast.acme, cast.owner)
    contact = make_contact(
        owner, family=NAME[0], given=NAME[1], emails=[email], phones=[phone], notes="Qzerasev note"
    )
    pipeline = make_pipeline(cast.acme, cast.owner)
    deal = make_deal(
        cast.acme, cast.owner, pipeline, name=DEAL_NAME, amount="120000", contact=contact
    )
    with scope(workspace=cast.acme):
        made = [
            activity_services.activity_log(
                membership=owner,
                data=activity_services.ActivityData(
                    kind="call",
                    occurred_at=timezone.now(),
                    subject="Qzerasev call",
                    body=ACTIVITY_TEXT,
                    links=activity_services.Links(contact=contact, deal=deal),
                ),
            )
            for _ in range(activities)
        ]
        task = activity_services.task_create(
            membership=owner,
            data=activity_services.TaskData(
                title=TASK_TITLE,
                due_at=timezone.now() + timedelta(days=1),
                assignee=cast.owner,
                links=activity_services.Links(contact=contact),
            ),
        )
        ticket = support_services.ticket_open(
            membership=owner,
            data=support_services.TicketData(
                subject="Qzerasev ticket", description=TICKET_TEXT, contact=contact
            ),
        )
        support_services.ticket_reply(membership=owner, ticket=ticket, body=MESSAGE_TEXT)
        endpoint = Endpoint.objects.create(
            workspace=cast.acme, url="https://hooks.example.net/x", secret="s3cret-value-x"
        )
        Delivery.objects.create(
            workspace=cast.acme,
            endpoint=endpoint,
            event="contact.created",
            object_id=str(contact.pk),
        )
    Notification.objects.create(
        user=cast.owner,
        workspace=cast.acme,
        kind="activities.task_reminder",
        params={"task_id": str(task.pk)},
    )
    # A queued email to a colleague that names the person, and one to the person.
    OutboxEmail.objects.create(
        kind="activities/email/task_reminder",
        subject_id=cast.owner.pk,
        workspace_id=cast.acme.pk,
        to=cast.owner.email,
        subject=f"Reminder: call {NAME[0]} {NAME[1]}",
        body_text=f"Call {NAME[1]} {NAME[0]} at {PHONE_E164} about {EMAIL}",
        next_attempt_at=timezone.now() + timedelta(hours=1),
    )
    OutboxEmail.objects.create(
        kind="x/notice",
        subject_id=contact.pk,
        workspace_id=cast.acme.pk,
        to=EMAIL,
        subject="Qzerasev notice",
        body_text="Qzerasev notice body",
        next_attempt_at=timezone.now() + timedelta(hours=1),
    )
    with scope(workspace=cast.acme):
        # The consent ledger (P7): evidence text and a file, sealed under the
        # workspace key, so only the erasure's own eraser can remove them.
        granted = privacy_services.consent_grant(
            membership=owner,
            subject_id=contact.pk,
            purpose="communication",
            channel="in_person",
            evidence=CONSENT_TEXT,
            occurred_at=timezone.now() - timedelta(days=2),
            evidence_file=SimpleUploadedFile(
                EVIDENCE_NAME, EVIDENCE_BYTES, content_type="text/plain"
            ),
        )
        withdrawn = privacy_services.consent_withdraw(
            membership=owner,
            subject_id=contact.pk,
            purpose="communication",
            channel="email",
            evidence=WITHDRAW_TEXT,
            occurred_at=timezone.now() - timedelta(days=1),
        )
        restriction = None
        if restricted:
            restriction = privacy_services.restriction_set(
                membership=officer,
                subject_id=contact.pk,
                reason=RESTRICTION_TEXT,
                requested_by=RESTRICTION_BY,
            )
    return Person(contact, officer, deal, ticket, task, made, [granted, withdrawn], restriction)
