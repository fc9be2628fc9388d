"""Retention targets of data-subject requests (P5, P9): the inventory's
promises for the requester's address, kept by the retention engine.

* ``dsr.closed_requests`` — a request closed (done or refused) longer ago
  than the period (the inventory's "audit": 5 years) is anonymised: its
  addresses (the email's ciphertext and blind index, the postal address
  of a person answered by post), what the person wrote, the outcome,
  how an officer checked who they were (a request recorded from a call or a
  letter), the notes of its status history and the replies' text are
  blanked. The
  request's record stays as evidence that it was asked and answered: its
  number, kind, channel, language, dates, status, assignee and the status history's
  transitions, actors and times. Requests about a contact under legal hold
  are left alone.
* ``dsr.submissions`` — what a person typed on the public page, deleted the
  inventory's "invitation" period (30 days) after its link expired, or after
  it was made if its link was never sent (the daily prune,
  ``services.submissions_prune``, covers only the first case). A routed
  submission lives on in its workspaces' requests.
"""

from __future__ import annotations

from django.db.models import F, Q
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from terabox_crm.dsr.models import (
    OPEN_STATUSES,
    PrivacyRequest,
    Reply,
    StatusChange,
    Submission,
)
from terabox_crm.retention.registry import Action, Target, delete_rows, register


def _closed_requests_pending(*, workspace_id, cutoff, held):
    rows = (
        PrivacyRequest.objects.filter(
            workspace_id=workspace_id, closed_at__lt=cutoff, closed_at__isnull=False
        )
        .exclude(status__in=OPEN_STATUSES)
        # Anonymised already: no address of either kind left.
        .exclude(email_index="", postal_address="")
    )
    if held:
        # A request names its people in a JSON list, which SQLite cannot
        # search by value: the closed requests of one workspace are few
        # (people ask, not records), so their lists are read here.
        wanted = {str(s) for s in held}
        about_held = [
            pk
            for pk, subjects in rows.values_list("pk", "subject_ids").iterator(chunk_size=1000)
            if wanted & {str(s) for s in subjects or ()}
        ]
        rows = rows.exclude(pk__in=about_held)
    return rows


def _anonymise_requests(*, workspace_id, ids, action) -> int:
    ids = list(ids)
    changed = PrivacyRequest.objects.filter(workspace_id=workspace_id, pk__in=ids).update(
        email="", email_index="", postal_address="", details="", outcome="", identity_check=""
    )
    Reply.objects.filter(workspace_id=workspace_id, request_id__in=ids).update(body="")
    # The history is append-only for the application (StatusChange.save);
    # blanking its notes at the end of their retention is the one exception.
    StatusChange.objects.filter(workspace_id=workspace_id, request_id__in=ids).exclude(
        note=""
    ).update(note="")
    return changed


def _submissions_pending(*, workspace_id, cutoff, held):
    return Submission.objects.annotate(ends=Coalesce(F("expires_at"), F("created_at"))).filter(
        Q(ends__lt=cutoff)
    )


register(
    Target(
        code="dsr.closed_requests",
        label=_("Closed data-subject requests"),
        help_text=_(
            "Requests closed more than the period ago. Anonymising removes the requester's "
            "address, what they wrote and the replies' text, and keeps the request's number, "
            "kind, dates and status history as evidence that it was answered."
        ),
        actions=(Action.ANONYMISE,),
        default_action=Action.ANONYMISE,
        inventory_retention="audit",
        pending=_closed_requests_pending,
        apply=_anonymise_requests,
        default_enabled=True,
        order=70,
    )
)
register(
    Target(
        code="dsr.submissions",
        label=_("Requests from the public page"),
        help_text=_(
            "What a person typed on the request page, deleted once its link expired (or, "
            "if the link was never sent, once it was made) more than the period ago."
        ),
        actions=(Action.DELETE,),
        default_action=Action.DELETE,
        inventory_retention="invitation",
        pending=_submissions_pending,
        apply=delete_rows(Submission),
        default_enabled=True,
        per_workspace=False,
        holds_apply=False,
        order=71,
    )
)
