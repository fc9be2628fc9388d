"""Fulfilling a verified request, one small function per kind (P7, P8, P9).

These functions are the single place where a request kind meets the engine
service that carries it out, per matched person (``request.subject_ids``):

* access      → the access export (``services.export_request``);
* restriction → ``privacy.services.restriction_set`` (P7);
* withdrawal  → ``privacy.services.consent_withdraw``, once per purpose the
  officer picks on the request screen (P7);
* deletion    → ``erasure.services.subject_erase`` with the request's id (P8);
  the view asks for a fresh step-up first (S4);
* correction  → a guided step: the request screen links each matched contact
  and shows what the person asked to correct; the officer edits the contact
  on its own page (validated and audited there) and records here what was
  changed (``fulfil_correction``). Nothing is overwritten from the person's
  unverified free text. Closing a correction as done needs the outcome
  (``services.request_set_status``).

Each outcome is appended to the request's status history in the same
transaction as the service's write, so a refusal (restricted already,
erased already, consent never given, …) leaves both unchanged. The first
outcome moves a new request to "in progress".
"""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_scopes import scope

from terabox_crm import audit
from terabox_crm.core import guards
from terabox_crm.core.models import Membership
from terabox_crm.dsr import services
from terabox_crm.dsr.models import (
    DETAILS_MAX_LENGTH,
    Channel,
    Kind,
    PrivacyRequest,
    Status,
    StatusChange,
)
from terabox_crm.erasure import services as erasure
from terabox_crm.privacy import selectors as privacy_selectors
from terabox_crm.privacy import services as privacy
from terabox_crm.privacy.models import ConsentChannel
from terabox_crm.refusals import Refusal, recorded_after_rollback

MANUAL = "manual"
STARTED = "started"
DONE = "done"


# The consent ledger records how a withdrawal reached the workspace (P7):
# the way the request came.
CONSENT_CHANNEL = {
    Channel.WEB: ConsentChannel.WEB_FORM,
    Channel.EMAIL: ConsentChannel.EMAIL,
    Channel.PHONE: ConsentChannel.PHONE,
    Channel.POST: ConsentChannel.POST,
    Channel.IN_PERSON: ConsentChannel.IN_PERSON,
}


def _reason(request: PrivacyRequest) -> str:
    return _("Data-subject request #%(number)d") % {"number": request.number}


def _open_request(membership: Membership, request: PrivacyRequest, subject_id) -> PrivacyRequest:
    """The request, locked, after checking it is open and names this person."""
    guards.require_record(membership, "dsr.handle", request, message=services.NOT_FOUND)
    with scope(workspace=request.workspace_id):
        request = PrivacyRequest.objects.select_for_update().get(pk=request.pk)
    if not request.is_open:
        raise Refusal(
            _("This request is closed: nothing more is done under it."),
            code="request_closed",
            status=409,
        )
    if str(subject_id) not in {str(s) for s in request.subject_ids}:
        raise Refusal(
            _("This person was not found under the request's address."),
            code="not_a_subject",
            status=404,
        )
    return request


# A fulfilment's entry in the status history, worded when read (the
# officer who did it and the one who reads it may not share a language).
CORRECTED, RESTRICTED, WITHDRAWN, ERASED = "corrected", "restricted", "withdrawn", "erased"
OUTCOME_TEXT = {
    CORRECTED: gettext_lazy("Corrected for person %(subject)s: %(changes)s"),
    RESTRICTED: gettext_lazy("Use restricted for person %(subject)s."),
    WITHDRAWN: gettext_lazy("Consent withdrawn for person %(subject)s: %(purposes)s."),
    ERASED: gettext_lazy("Person %(subject)s erased."),
}


def history_text(change: StatusChange, purpose_names: dict[str, str]) -> str:
    """A status-history entry as the reader sees it, in the active language:
    a fulfilment's outcome worded now (``purpose_names``: code → name in
    this language), an officer's note as written. Entries written before
    outcomes were kept as codes hold their words in ``note``."""
    if change.outcome not in OUTCOME_TEXT:
        return change.note
    purposes = ", ".join(purpose_names.get(code, code) for code in change.outcome_purposes)
    return str(OUTCOME_TEXT[change.outcome]) % {
        "subject": change.outcome_subject,
        "changes": change.note,
        "purposes": purposes,
    }


def word_history(history: list[StatusChange], workspace_id) -> None:
    """Set ``text`` on each entry of a request's history (``history_text``);
    the workspace's purposes are read once, and only if an entry names one."""
    names = {}
    if any(change.outcome_purposes for change in history):
        names = {p.code: p.name for p in privacy_selectors.purposes(workspace_id)}
    for change in history:
        change.text = history_text(change, names)


def _record(
    membership: Membership,
    request: PrivacyRequest,
    outcome: str,
    subject_id,
    *,
    note: str = "",
    purposes: list[str] | None = None,
) -> None:
    """Append the outcome to the status history (new → in progress)."""
    before = request.status
    after = Status.IN_PROGRESS if before == Status.NEW else before
    with scope(workspace=request.workspace_id):
        if after != before:
            request.status = after
            request.save(update_fields=["status"])
        StatusChange.objects.create(
            workspace_id=request.workspace_id,
            request=request,
            from_status=before,
            to_status=after,
            actor_id=membership.user_id,
            note=note,
            outcome=outcome,
            outcome_subject=subject_id,
            outcome_purposes=list(purposes or []),
        )
    audit.record(
        "dsr.request.fulfilled",
        actor=membership.user_id,
        workspace=request.workspace_id,
        obj=request,
        payload={"kind": request.kind, "from": before, "to": after},
    )


def fulfil_access(*, membership: Membership, request: PrivacyRequest) -> str:
    services.export_request(membership=membership, request=request)
    return STARTED


@recorded_after_rollback
@transaction.atomic
def fulfil_correction(
    *, membership: Membership, request: PrivacyRequest, subject_id, changes: str = ""
) -> str:
    """Record what was corrected on one matched person (P8): appended to the
    status history (encrypted) and audited. The data itself is changed on
    the contact's page, never from the request's free text."""
    request = _open_request(membership, request, subject_id)
    changes = (changes or "").strip()
    if not changes:
        raise Refusal(
            _("Say what was corrected on this person (for example: family name 山田 → 山本)."),
            code="changes_required",
            field="changes",
        )
    if len(changes) > DETAILS_MAX_LENGTH:
        raise Refusal(
            _("Keep it under %(max)d characters.") % {"max": DETAILS_MAX_LENGTH},
            code="too_long",
            field="changes",
        )
    _record(membership, request, CORRECTED, subject_id, note=changes)
    return DONE


@recorded_after_rollback
@transaction.atomic
def fulfil_restriction(
    *, membership: Membership, request: PrivacyRequest, subject_id, reason: str = ""
) -> str:
    """Restrict the use of one matched person's data (P7)."""
    request = _open_request(membership, request, subject_id)
    privacy.restriction_set(
        membership=membership,
        subject_id=subject_id,
        reason=(reason or "").strip() or _reason(request),
        requested_by=request.email
        or _("The person, by post (request #%(number)d)") % {"number": request.number},
    )
    _record(membership, request, RESTRICTED, subject_id)
    return DONE


@recorded_after_rollback
@transaction.atomic
def fulfil_withdrawal(
    *, membership: Membership, request: PrivacyRequest, subject_id, purposes
) -> str:
    """Withdraw one matched person's consent for each purpose picked (P7).
    All or nothing: one refusal (never given, withdrawn already) changes nothing."""
    request = _open_request(membership, request, subject_id)
    purposes = list(purposes or [])
    if not purposes:
        raise Refusal(
            _("Choose the purposes whose consent is withdrawn."),
            code="purposes_required",
            field="purposes",
        )
    names = []
    for purpose in purposes:
        event = privacy.consent_withdraw(
            membership=membership,
            subject_id=subject_id,
            purpose=purpose,
            channel=CONSENT_CHANNEL[request.channel],
            evidence=_reason(request),
        )
        names.append(event.purpose.code)
    _record(membership, request, WITHDRAWN, subject_id, purposes=names)
    return DONE


@recorded_after_rollback
@transaction.atomic
def fulfil_deletion(
    *, membership: Membership, request: PrivacyRequest, subject_id, reason: str = ""
) -> str:
    """Erase one matched person (P8); the history keeps only their id."""
    request = _open_request(membership, request, subject_id)
    erasure.subject_erase(
        membership=membership,
        subject_id=subject_id,
        reason=(reason or "").strip() or _reason(request),
        request_id=str(request.pk),
    )
    _record(membership, request, ERASED, subject_id)
    return DONE


def withdrawable_purposes(workspace_id) -> list:
    """The purposes the officer may pick for a withdrawal (the screen's choices)."""
    return privacy_selectors.purposes(workspace_id)


FULFIL = {
    Kind.ACCESS: fulfil_access,
    Kind.CORRECTION: fulfil_correction,
    Kind.RESTRICTION: fulfil_restriction,
    Kind.WITHDRAWAL: fulfil_withdrawal,
    Kind.DELETION: fulfil_deletion,
}
