"""Writes of the request engine (P8, P9, P11).

Public side (no membership; the system audit chain):

* ``submission_file`` stores what the person typed and queues the job that
  sends the one-time link. It looks nothing up, so a known and an unknown
  address take exactly the same path and get the same page.
* ``submission_verify`` spends the link (single use, 24 hours) and queues
  the routing job; a forged, spent or expired link is refused with a
  security event.
* ``submission_route`` (a job) asks every workspace's subject finders, opens
  one ``PrivacyRequest`` per workspace that holds the address (or in the one
  workspace whose own page was used) and sends the person one confirmation.

Staff side: keyword-only services taking the acting ``membership``; each
checks the policy (``dsr.view``/``dsr.handle``/``dsr.settings``), writes its
audit event in the same transaction and sends email through the outbox.
"""

from __future__ import annotations

import errno
import logging
import secrets
from datetime import datetime, time, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Max, Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_scopes import scope, scopes_disabled

from terabox_crm import audit
from terabox_crm.accounts.models import User
from terabox_crm.communications.outbox import queue_email
from terabox_crm.core import guards
from terabox_crm.core.models import Membership, Workspace
from terabox_crm.core.roles import Role
from terabox_crm.crypto import keyring, normalise
from terabox_crm.dsr import export, registry, tasks
from terabox_crm.dsr.models import (
    ANSWER_ADDRESS_REQUIRED,
    DETAILS_MAX_LENGTH,
    EXPORT_ATTEMPTS,
    KINDS_NEEDING_DETAILS,
    MAX_DUE_DAYS,
    OPEN_STATUSES,
    POSTAL_ADDRESS_MAX_LENGTH,
    RECORDED_CHANNELS,
    TRANSITIONS,
    AccessExport,
    Channel,
    Kind,
    PrivacyRequest,
    Reply,
    Status,
    StatusChange,
    Submission,
    WorkspacePolicy,
    email_index_of,
    hash_token,
)
from terabox_crm.policies import config as policies_config
from terabox_crm.refusals import Refusal, recorded_after_rollback, security_event

LINK_VALID_FOR = timedelta(hours=24)
EXPORT_VALID_FOR = timedelta(days=7)
# (level, how long before the due date): each level's reminder is sent once.
REMINDERS = ((1, timedelta(days=3)), (2, timedelta(days=1)), (3, timedelta(0)))
BATCH = 500

logger = logging.getLogger(__name__)


def _link(name: str, token: str) -> str:
    return settings.SITE_URL.rstrip("/") + reverse(name, args=[token])


# --- The public side ---------------------------------------------------------------------------


def submission_file(
    *, email: str, kind: str, details: str, language: str, workspace: Workspace | None = None
) -> Submission:
    """Store a request from the public page and queue its verification link.

    Whether anybody holds ``email`` is not asked here (nor anywhere before
    the person proves they read the address): the answer cannot depend on it.
    """
    Kind(kind)
    with transaction.atomic():
        submission = Submission(
            workspace=workspace,
            kind=kind,
            email=normalise.email(email),
            email_index=email_index_of(email),
            details=details,
            language=language if language in ("ja", "en") else settings.LANGUAGE_CODE,
        )
        submission.save(force_insert=True)
        submission_id = str(submission.pk)
        transaction.on_commit(lambda: tasks.send_verification_link(submission_id))
    return submission


@transaction.atomic
def verification_link_send(submission_id) -> bool:
    """Make the one-time link and queue it to the address (a job: the page
    never waits for it). Only the token's hash is stored."""
    submission = (
        Submission.objects.select_for_update()
        .filter(pk=submission_id, link_sent_at__isnull=True)
        .first()
    )
    if submission is None:
        return False
    token = secrets.token_urlsafe(32)
    now = timezone.now()
    submission.token_hash = hash_token(token)
    submission.link_sent_at = now
    submission.expires_at = now + LINK_VALID_FOR
    submission.save(update_fields=["token_hash", "link_sent_at", "expires_at"])
    with translation.override(submission.language):
        kind_label = str(Kind(submission.kind).label)
    queue_email(
        kind="dsr/emails/verify",
        to=submission.email,
        language=submission.language,
        context={
            "link": _link("dsr_public:verify", token),
            "kind": kind_label,
            "hours": int(LINK_VALID_FOR.total_seconds() // 3600),
        },
    )
    return True


def _link_refusal(code: str, message, status: int = 400) -> Refusal:
    return Refusal(
        message,
        code=code,
        status=status,
        action="dsr.submission.verify",
        audit_event={
            "action": "security.dsr.link_refused",
            "actor": None,
            "workspace": None,
            "payload": {"reason": code, "link": "verify"},
        },
    )


LINK_UNKNOWN = _(
    "This link is not valid. Copy the whole link from the email, or make a new request."
)
LINK_USED = _(
    "This link has already been used. Your request is with us; there is nothing more to do."
)
LINK_EXPIRED = _("This link has expired. Make the request again to get a new link.")


def _usable(submission: Submission | None, now) -> Submission:
    if submission is None:
        raise _link_refusal("link_unknown", LINK_UNKNOWN, 404)
    if submission.verified_at is not None:
        raise _link_refusal("link_used", LINK_USED, 410)
    if submission.expires_at is None or submission.expires_at <= now:
        raise _link_refusal("link_expired", LINK_EXPIRED, 410)
    return submission


@recorded_after_rollback
def submission_check(*, token: str) -> Submission:
    """The submission a link names, if it can still be used (nothing changes)."""
    found = Submission.objects.filter(token_hash=hash_token(token or "")).first()
    return _usable(found, timezone.now())


@recorded_after_rollback
@transaction.atomic
def submission_verify(*, token: str) -> Submission:
    """Spend the link: the person has shown they read the address."""
    now = timezone.now()
    found = (
        Submission.objects.select_for_update().filter(token_hash=hash_token(token or "")).first()
    )
    submission = _usable(found, now)
    submission.verified_at = now
    submission.save(update_fields=["verified_at"])
    audit.record(
        "dsr.submission.verified",
        actor=None,
        workspace=None,
        obj=submission,
        payload={"kind": submission.kind, "workspace_page": bool(submission.workspace_id)},
    )
    submission_id = str(submission.pk)
    transaction.on_commit(lambda: tasks.route_submission(submission_id))
    return submission


def policy_for(workspace_id) -> WorkspacePolicy:
    with scope(workspace=workspace_id):
        policy, _created = WorkspacePolicy.objects.get_or_create(workspace_id=workspace_id)
    return policy


@transaction.atomic
def _request_open(
    workspace_id,
    *,
    kind: str,
    email: str,
    details: str,
    language: str,
    subject_ids: list[str],
    submission: Submission | None = None,
    received_at=None,
    channel: str = Channel.WEB,
    recorded_by=None,
    identity_check: str = "",
    postal_address: str = "",
) -> PrivacyRequest:
    """Open one request in one workspace: numbered under the workspace's
    lock, due ``due_days`` after it was received, its history begun."""
    with scope(workspace=workspace_id):
        policy, _created = WorkspacePolicy.objects.get_or_create(workspace_id=workspace_id)
        # The policy row is the workspace's lock for numbering requests.
        policy = WorkspacePolicy.objects.select_for_update().get(pk=policy.pk)
        number = (
            PrivacyRequest.objects.filter(workspace_id=workspace_id).aggregate(n=Max("number"))["n"]
            or 0
        ) + 1
        received = received_at or timezone.now()
        request = PrivacyRequest(
            workspace_id=workspace_id,
            submission=submission,
            number=number,
            kind=kind,
            email=email,
            email_index=email_index_of(email) if email else "",
            postal_address=postal_address,
            details=details,
            language=language,
            subject_ids=subject_ids,
            channel=channel,
            recorded_by_id=recorded_by,
            identity_check=identity_check,
            received_at=received,
            due_at=received + timedelta(days=policy.due_days),
        )
        request.save(force_insert=True)
        StatusChange.objects.create(
            workspace_id=workspace_id,
            request=request,
            from_status="",
            to_status=Status.NEW,
            actor_id=recorded_by,
        )
    return request


@transaction.atomic
def _request_received(submission: Submission, workspace_id, subject_ids: list[str]):
    request = _request_open(
        workspace_id,
        submission=submission,
        kind=submission.kind,
        email=submission.email,
        details=submission.details,
        language=submission.language,
        subject_ids=subject_ids,
    )
    audit.record(
        "dsr.request.received",
        actor=None,
        workspace=workspace_id,
        obj=request,
        payload={"kind": request.kind, "number": request.number, "subjects": len(subject_ids)},
    )
    return request


def submission_route(submission_id) -> list[PrivacyRequest]:
    """Open the request in every workspace that holds the address (a job).

    From the operator's page every workspace is asked: one blind-index lookup
    per workspace per finder, fine for a self-hosted installation with tens
    of workspaces. From a workspace's own page (P11) only that workspace is
    asked, and it gets the request even when it finds nobody (the person
    wrote to it; the officer answers "we hold nothing"). Each workspace's
    request is its own transaction, so a crash leaves the others; the
    submission is marked routed last, and a rerun skips workspaces already
    served. The person gets one confirmation either way.
    """
    with scopes_disabled():
        submission = Submission.objects.filter(pk=submission_id, verified_at__isnull=False).first()
        if submission is None or submission.routed_at is not None:
            return []
        email = normalise.email(submission.email, check=False)
        served = set(
            PrivacyRequest.objects.filter(submission=submission).values_list(
                "workspace_id", flat=True
            )
        )
    if submission.workspace_id:
        targets = [
            (submission.workspace_id, registry.find_subjects(submission.workspace_id, email))
        ]
    else:
        targets = []
        for workspace_id in (
            Workspace.objects.order_by("pk").values_list("pk", flat=True).iterator()
        ):
            found = registry.find_subjects(workspace_id, email)
            if found:
                targets.append((workspace_id, found))
    opened = [
        _request_received(submission, workspace_id, found)
        for workspace_id, found in targets
        if workspace_id not in served
    ]
    with transaction.atomic():
        names = list(
            Workspace.objects.filter(pk__in=[w for w, _f in targets]).values_list("name", flat=True)
        )
        Submission.objects.filter(pk=submission.pk).update(routed_at=timezone.now())
        with translation.override(submission.language):
            kind_label = str(Kind(submission.kind).label)
        queue_email(
            kind="dsr/emails/confirmation",
            to=submission.email,
            language=submission.language,
            context={"kind": kind_label, "workspaces": sorted(names)},
        )
    _notify_officers(opened)
    return opened


def _officers(workspace_id) -> list[User]:
    with scopes_disabled():
        return list(
            User.objects.filter(
                memberships__workspace_id=workspace_id, memberships__is_privacy_officer=True
            ).order_by("pk")
        )


def _staff_email(user: User, kind: str, request: PrivacyRequest, **extra) -> None:
    queue_email(
        kind=kind,
        to=user.email,
        language=user.language or settings.LANGUAGE_CODE,
        workspace_id=request.workspace_id,
        context={
            "number": request.number,
            "kind_code": request.kind,
            "due_at": request.due_at,
            "link": settings.SITE_URL.rstrip("/") + reverse("dsr:request", args=[request.pk]),
            **extra,
        },
    )


def _owners(workspace_id) -> list[User]:
    with scopes_disabled():
        return list(
            User.objects.filter(
                memberships__workspace_id=workspace_id, memberships__role=Role.OWNER
            ).order_by("pk")
        )


def _notify_officers(requests: list[PrivacyRequest], *, besides=None) -> None:
    """Tell each workspace's privacy officers a request arrived (no personal data).
    A workspace without one (``createowner`` appoints none) tells its owners
    instead, who may give the capability, so no request waits unseen until
    its due date (P9). ``besides``: the officer who recorded it, who knows."""
    members_link = settings.SITE_URL.rstrip("/") + reverse("core:members")
    for request in requests:
        with transaction.atomic():
            officers = _officers(request.workspace_id)
            for officer in officers:
                if besides is None or str(officer.pk) != str(besides):
                    _staff_email(officer, "dsr/emails/received", request)
            if not officers:
                for owner in _owners(request.workspace_id):
                    _staff_email(
                        owner,
                        "dsr/emails/received_no_officer",
                        request,
                        members_link=members_link,
                    )


# --- The staff side ----------------------------------------------------------------------------


NOT_FOUND = _("Not found.")


def contact_block(workspace_id, language: str) -> str:
    """How a person reaches the workspace about their data (P11): its own
    contact block if it wrote one, else the operator's, in ``language``."""
    if workspace_id is not None:
        own = policy_for(workspace_id).contact_block
        if own:
            return own
    block = policies_config.contact(language)
    with translation.override(language):
        rows = [
            (_("Organisation"), block.organisation),
            (_("Desk"), block.desk),
            (_("Address"), block.address),
            (_("Email"), block.email),
            (_("Phone"), block.phone),
            (_("Hours"), block.hours),
        ]
        colon = "：" if language == "ja" else ": "  # Japanese text takes the full-width colon
        return "\n".join(f"{label}{colon}{value}" for label, value in rows if value)


# How a recorded request reached the workspace, as the email to the person
# says it ("which reached it by phone on …").
HOW_RECEIVED = {
    Channel.EMAIL: pgettext_lazy("request reached us", "by email"),
    Channel.PHONE: pgettext_lazy("request reached us", "by phone"),
    Channel.POST: pgettext_lazy("request reached us", "by post"),
    Channel.IN_PERSON: pgettext_lazy("request reached us", "in person"),
}

# A request is recorded when it arrives; one found in a drawer a year on is
# more likely a mistyped year than a request to answer by date.
RECORD_AT_MOST_AGO = timedelta(days=366)


def _received_at(received_on):
    """When a request recorded for ``received_on`` was received: now if
    today, else the start of that day (its due date is then never later
    than the law's)."""
    today = timezone.localdate()
    if received_on is None or received_on == today:
        return timezone.now()
    if received_on > today:
        raise Refusal(
            _("The day the request arrived cannot be in the future."),
            code="received_in_future",
            field="received_on",
        )
    if today - received_on > RECORD_AT_MOST_AGO:
        raise Refusal(
            _("The day the request arrived cannot be more than a year ago: check the year."),
            code="received_too_long_ago",
            field="received_on",
        )
    return timezone.make_aware(datetime.combine(received_on, time.min))


@recorded_after_rollback
@transaction.atomic
def request_record(
    *,
    membership: Membership,
    kind: str,
    channel: str,
    email: str,
    identity_check: str,
    details: str = "",
    language: str = "",
    received_on=None,
    subject_ids=(),
    postal_address: str = "",
) -> PrivacyRequest:
    """Record a request a person made another way than the request page:
    by email, phone, post or in person, through the contact block (P9, P11).

    The answers go to the email address, or to ``postal_address`` for a
    person who gave none (a letter, a call): an officer then sends each
    answer by post and records it (``request_reply``), the access file is
    fetched by an officer (``export_fetch``), and the officers' page says
    so. At least one of the two is needed.

    The officer says how they checked who the person is (the page's link
    does that for a web request) and may name the contacts it is about; the
    address is looked up in this workspace as routing does, and its people
    join the named ones. The request is due ``due_days`` after the day it
    arrived. The person is told at the address it was recorded under, so
    a request made in their name by somebody else does not go unseen; the
    workspace's other privacy officers hear of it as of any new request.
    """
    workspace_id = membership.workspace_id
    guards.require(membership, "dsr.handle", membership.workspace)
    if kind not in Kind.values:
        raise guards.invalid(
            membership, "dsr.request.recorded", message=_("Choose a request."), code="bad_kind"
        )
    if channel not in RECORDED_CHANNELS:
        raise guards.invalid(
            membership,
            "dsr.request.recorded",
            message=_("Choose how the request arrived: email, phone, post or in person."),
            code="bad_channel",
        )
    postal_address = postal_lines(postal_address)
    if not (email or "").strip() and not postal_address:
        raise Refusal(
            ANSWER_ADDRESS_REQUIRED,
            code="answer_address_required",
            field="email",
        )
    address = ""
    if (email or "").strip():
        try:
            address = normalise.email(email)
        except ValueError:
            raise Refusal(
                _("Enter the email address the person wants the answer at."),
                code="invalid_email",
                field="email",
            ) from None
    if len(postal_address) > POSTAL_ADDRESS_MAX_LENGTH:
        raise Refusal(
            _("Keep it under %(max)d characters."),
            code="too_long",
            field="postal_address",
            params={"max": POSTAL_ADDRESS_MAX_LENGTH},
        )
    identity_check = (identity_check or "").strip()
    if not identity_check:
        raise Refusal(
            _(
                "Say how you checked that the person is who they say (for example, called "
                "back on the number we hold): a request made in somebody else's name must "
                "not be answered."
            ),
            code="identity_check_required",
            field="identity_check",
        )
    details = (details or "").strip()
    if kind in KINDS_NEEDING_DETAILS and not details:
        raise Refusal(
            _("Write what the person asked for: what to correct, or which uses of their data."),
            code="details_required",
            field="details",
        )
    if len(details) > DETAILS_MAX_LENGTH or len(identity_check) > DETAILS_MAX_LENGTH:
        raise Refusal(
            _("Keep it under %(max)d characters."),
            code="too_long",
            field="details" if len(details) > DETAILS_MAX_LENGTH else "identity_check",
            params={"max": DETAILS_MAX_LENGTH},
        )
    received_at = _received_at(received_on)
    named = sorted({str(subject_id) for subject_id in subject_ids or ()})
    if named:
        with scope(workspace=workspace_id):
            known = registry.subject_labels(workspace_id, named)
        if any(subject_id not in known for subject_id in named):
            raise guards.invalid(
                membership,
                "dsr.request.recorded",
                message=_("The request can only be about people of this workspace."),
                code="unknown_subject",
            )
    found = registry.find_subjects(workspace_id, address) if address else []
    subjects = sorted(set(named) | set(found))
    language = language if language in ("ja", "en") else settings.LANGUAGE_CODE
    request = _request_open(
        workspace_id,
        kind=kind,
        email=address,
        details=details,
        language=language,
        subject_ids=subjects,
        received_at=received_at,
        channel=channel,
        recorded_by=membership.user_id,
        identity_check=identity_check,
        postal_address=postal_address,
    )
    audit.record(
        "dsr.request.recorded",
        actor=membership.user_id,
        workspace=workspace_id,
        obj=request,
        payload={
            "kind": kind,
            "number": request.number,
            "channel": channel,
            "subjects": len(subjects),
            "named": len(named),
            "received_at": received_at.isoformat(),
            "answer_by": "email" if address else "post",
        },
    )
    if address:
        _recorded_email(request, address, kind=kind, channel=channel, received_at=received_at)
    _notify_officers([request], besides=membership.user_id)
    return request


def postal_lines(value: str) -> str:
    """A postal address as typed, each line trimmed and empty lines dropped."""
    return "\n".join(line.strip() for line in (value or "").splitlines() if line.strip())


def _recorded_email(
    request: PrivacyRequest, address: str, *, kind: str, channel: str, received_at
) -> None:
    """Tell the person at ``address`` that their request was recorded."""
    workspace_id, language = request.workspace_id, request.language
    with scope(workspace=workspace_id):
        workspace = Workspace.objects.get(pk=workspace_id)
    with translation.override(language):
        kind_label = str(Kind(kind).label)
        how = str(HOW_RECEIVED[channel])
    queue_email(
        kind="dsr/emails/recorded",
        to=address,
        language=language,
        workspace_id=workspace_id,
        context={
            "workspace": workspace.name,
            "kind": kind_label,
            "how": how,
            "received_at": timezone.localtime(received_at),
            "due_at": timezone.localtime(request.due_at),
            "contact_block": contact_block(workspace_id, language),
        },
    )


@recorded_after_rollback
@transaction.atomic
def request_set_status(
    *, membership: Membership, request: PrivacyRequest, status: str, note: str = ""
) -> PrivacyRequest:
    """Move the request on (new → in progress → done / refused); refusing
    needs the reason, which the person is told in the reply."""
    guards.require_record(membership, "dsr.handle", request, message=NOT_FOUND)
    with scope(workspace=request.workspace_id):
        request = PrivacyRequest.objects.select_for_update().get(pk=request.pk)
        if status not in TRANSITIONS.get(request.status, ()):
            raise guards.invalid(
                membership,
                "dsr.request.status_changed",
                request,
                message=_("A request cannot go from this status to that one."),
                code="bad_transition",
            )
        note = (note or "").strip()
        if status == Status.REFUSED and not note:
            raise Refusal(
                _("Say why the request is refused: the person is told the reason."),
                code="reason_required",
                field="note",
            )
        if status == Status.DONE and request.kind == Kind.CORRECTION and not note:
            raise Refusal(
                _(
                    "Say what was corrected (or that nothing needed correcting): it is "
                    "recorded as the outcome."
                ),
                code="outcome_required",
                field="note",
            )
        before = request.status
        request.status = status
        fields = ["status"]
        if status not in OPEN_STATUSES:
            request.closed_at = timezone.now()
            request.outcome = note
            fields += ["closed_at", "outcome"]
        request.save(update_fields=fields)
        StatusChange.objects.create(
            workspace_id=request.workspace_id,
            request=request,
            from_status=before,
            to_status=status,
            actor_id=membership.user_id,
            note=note,
        )
    audit.record(
        "dsr.request.status_changed",
        actor=membership.user_id,
        workspace=request.workspace_id,
        obj=request,
        payload={"from": before, "to": status},
    )
    return request


@recorded_after_rollback
@transaction.atomic
def request_assign(
    *, membership: Membership, request: PrivacyRequest, assignee_id
) -> PrivacyRequest:
    """Give the request to a privacy officer of the workspace (or nobody)."""
    guards.require_record(membership, "dsr.handle", request, message=NOT_FOUND)
    if assignee_id:
        with scope(workspace=request.workspace_id):
            allowed = Membership.objects.filter(
                workspace_id=request.workspace_id, user_id=assignee_id, is_privacy_officer=True
            ).exists()
        if not allowed:
            raise guards.invalid(
                membership,
                "dsr.request.assigned",
                request,
                message=_("Only a privacy officer of this workspace can be assigned."),
                code="bad_assignee",
            )
    request.assignee_id = assignee_id or None
    with scope(workspace=request.workspace_id):
        request.save(update_fields=["assignee"])
    audit.record(
        "dsr.request.assigned",
        actor=membership.user_id,
        workspace=request.workspace_id,
        obj=request,
        payload={"assignee": str(assignee_id) if assignee_id else None},
    )
    return request


@recorded_after_rollback
@transaction.atomic
def request_reply(*, membership: Membership, request: PrivacyRequest, body: str) -> Reply:
    """Send the person a message about their request; the text is kept. To
    a person answered by post, the officer sends it and this records it."""
    guards.require_record(membership, "dsr.handle", request, message=NOT_FOUND)
    body = (body or "").strip()
    if not body:
        raise Refusal(_("Write the message to send."), code="required", field="body")
    with scope(workspace=request.workspace_id):
        workspace = Workspace.objects.get(pk=request.workspace_id)
        email = None
        if not request.by_post:
            email = queue_email(
                kind="dsr/emails/reply",
                to=request.email,
                language=request.language,
                workspace_id=request.workspace_id,
                context={"body": body, "workspace": workspace.name, "number": request.number},
            )
        reply = Reply.objects.create(
            workspace_id=request.workspace_id,
            request=request,
            author_id=membership.user_id,
            body=body,
            outbox_id=email.pk if email else None,
            by_post=request.by_post,
        )
    audit.record(
        "dsr.request.replied",
        actor=membership.user_id,
        workspace=request.workspace_id,
        obj=request,
        payload={"reply": str(reply.pk), "by": "post" if reply.by_post else "email"},
    )
    return reply


@recorded_after_rollback
@transaction.atomic
def policy_update(*, membership: Membership, due_days: int, contact_block: str) -> WorkspacePolicy:
    """Set the days to answer (1–30) and the request page's contact block."""
    guards.require(membership, "dsr.settings", membership.workspace)
    if not isinstance(due_days, int) or not 1 <= due_days <= MAX_DUE_DAYS:
        raise Refusal(
            _("Requests must be answered within 1 to %(max)d days."),
            code="due_days_out_of_range",
            field="due_days",
            params={"max": MAX_DUE_DAYS},
        )
    with scope(workspace=membership.workspace_id):
        policy, _created = WorkspacePolicy.objects.get_or_create(
            workspace_id=membership.workspace_id
        )
        before = policy.due_days
        policy.due_days = due_days
        policy.contact_block = (contact_block or "").strip()
        policy.save(update_fields=["due_days", "contact_block", "updated_at"])
    audit.record(
        "dsr.settings.changed",
        actor=membership.user_id,
        workspace=membership.workspace_id,
        obj=policy,
        payload={"due_days": [before, due_days]},
    )
    return policy


@recorded_after_rollback
@transaction.atomic
def export_request(*, membership: Membership, request: PrivacyRequest) -> AccessExport:
    """Queue the access export of an access request; the job builds it and
    sends the person the download link."""
    guards.require_record(membership, "dsr.handle", request, message=NOT_FOUND)
    if request.kind != Kind.ACCESS or not request.is_open:
        raise guards.invalid(
            membership,
            "dsr.export.requested",
            request,
            message=_("Only an open access request gets an access export."),
            code="not_an_open_access_request",
        )
    with scope(workspace=request.workspace_id):
        item = AccessExport.objects.create(
            workspace_id=request.workspace_id, request=request, requested_by_id=membership.user_id
        )
    audit.record(
        "dsr.export.requested",
        actor=membership.user_id,
        workspace=request.workspace_id,
        obj=request,
        payload={"export": str(item.pk), "subjects": len(request.subject_ids)},
    )
    export_id = str(item.pk)
    transaction.on_commit(lambda: tasks.build_access_export(export_id))
    return item


def _failure_of(error: BaseException) -> str:
    """The failure code the officer is shown for a build that raised ``error``."""
    if isinstance(error, OSError):
        if error.errno in (errno.ENOSPC, errno.EDQUOT):
            return AccessExport.Failure.DISK_FULL
        return AccessExport.Failure.STORAGE
    return AccessExport.Failure.DATA


def _export_failed(item: AccessExport, error: Exception) -> bool:
    """Record a failed attempt; True when it was the last one.

    Nothing half-written stays behind (file deleted, key destroyed). Until
    ``EXPORT_ATTEMPTS`` the export stays pending and the job queue tries
    again with back-off (``tasks.build_access_export``); the last failure
    marks it failed, with the reason the officer sees, and audits it."""
    export.destroy(item.pk, "")
    keyring.destroy_scope(export.key_scope(item.pk))
    attempts = item.attempts + 1
    final = attempts >= EXPORT_ATTEMPTS
    failure = _failure_of(error)
    logger.warning(
        "access export %s: attempt %d of %d failed (%s)",
        item.pk,
        attempts,
        EXPORT_ATTEMPTS,
        failure,
        exc_info=error,
    )
    with transaction.atomic():
        AccessExport.objects.filter(pk=item.pk).update(
            attempts=attempts,
            failure=failure,
            state=AccessExport.State.FAILED if final else AccessExport.State.PENDING,
            failed_at=timezone.now() if final else None,
            building_since=None,
        )
        if final:
            audit.record(
                "dsr.export.failed",
                actor=None,
                workspace=item.workspace_id,
                obj=item.request,
                payload={"export": str(item.pk), "attempts": attempts, "failure": failure},
            )
    return final


class ExportRetry(Exception):
    """An attempt failed and another is due: the job queue runs it later."""


# A pending access export whose build started this long ago, or whose job
# has not started this long after it was asked, lost its job (a file takes
# well under a second at a million contacts: docs/performance.md).
LOST_AFTER = timedelta(minutes=10)


def exports_resume_lost(now=None) -> int:
    """Take up again the access exports whose job was lost (the periodic
    job): a worker killed or restarted mid-job leaves its export pending,
    and the job queue does not run a job again once it was taken, so the
    person would never get their link (P9).

    Never started: the job is queued again (its claim makes a job that was
    only late do nothing twice). Started and silent: the half-written file
    and its key are destroyed and the build is queued again, counted as an
    attempt; after the last, the export fails with ``interrupted`` and the
    officer sees why. Audited as ``dsr.export.resumed`` or
    ``dsr.export.failed``."""
    now = now or timezone.now()
    silent_since = now - LOST_AFTER
    with scopes_disabled():
        lost = list(
            AccessExport.objects.filter(state=AccessExport.State.PENDING)
            .filter(
                Q(building_since__lt=silent_since)
                | Q(building_since__isnull=True, created_at__lt=silent_since)
            )
            .select_related("request")
            .order_by("created_at")[:100]
        )
    resumed = 0
    for item in lost:
        started = item.building_since is not None
        attempts = item.attempts + (1 if started else 0)
        final = attempts >= EXPORT_ATTEMPTS
        with transaction.atomic(), scopes_disabled():
            values = {"attempts": attempts, "building_since": None}
            if final:
                values.update(
                    state=AccessExport.State.FAILED,
                    failure=AccessExport.Failure.INTERRUPTED,
                    failed_at=now,
                )
            moved = AccessExport.objects.filter(
                pk=item.pk, state=item.state, building_since=item.building_since
            ).update(**values)
            if not moved:
                continue  # its job is alive after all
            if started:
                export.destroy(item.pk, "")
                keyring.destroy_scope(export.key_scope(item.pk))
            payload = {"export": str(item.pk), "attempts": attempts, "started": started}
            if final:
                payload["failure"] = AccessExport.Failure.INTERRUPTED.value
            audit.record(
                "dsr.export.failed" if final else "dsr.export.resumed",
                actor=None,
                workspace=item.workspace_id,
                obj=item.request,
                payload=payload,
            )
            if not final:
                export_id = str(item.pk)
                transaction.on_commit(
                    lambda export_id=export_id: tasks.build_access_export(export_id)
                )
                resumed += 1
    return resumed


def export_build(export_id) -> AccessExport | None:
    """Build the file, then send its link (a job). The file is written before
    the row says it is ready, so a crash leaves a pending export to retry.

    A failed attempt raises ``ExportRetry`` while attempts remain (the job
    queue retries it with back-off); after the last one the export is
    failed and returned as such."""
    with scopes_disabled():
        # The claim: one job builds a file at a time (a job queued again by
        # ``exports_resume_lost`` while the first was only late does nothing).
        claimed = AccessExport.objects.filter(
            pk=export_id, state=AccessExport.State.PENDING, building_since__isnull=True
        ).update(building_since=timezone.now())
        if not claimed:
            return None
        item = AccessExport.objects.select_related("request").get(pk=export_id)
        request = item.request
        workspace = Workspace.objects.get(pk=item.workspace_id)
        try:
            with translation.override(request.language):
                key_id, size, rows = export.write(
                    item.pk,
                    registry.sections(item.workspace_id, list(request.subject_ids)),
                    meta={
                        "organisation": workspace.name,
                        "request": request.number,
                        "language": request.language,
                    },
                )
        except Exception as error:
            if _export_failed(item, error):
                item.refresh_from_db()
                return item
            raise ExportRetry(str(item.pk)) from error
        token = secrets.token_urlsafe(32)
        now = timezone.now()
        with transaction.atomic():
            item.key_id = key_id
            item.size = size
            item.rows = rows
            item.token_hash = hash_token(token)
            item.state = AccessExport.State.READY
            item.failure = ""
            item.ready_at = now
            item.expires_at = now + EXPORT_VALID_FOR
            item.save(
                update_fields=[
                    "key_id",
                    "size",
                    "rows",
                    "token_hash",
                    "state",
                    "failure",
                    "ready_at",
                    "expires_at",
                ]
            )
            if not request.by_post:
                queue_email(
                    kind="dsr/emails/export_ready",
                    to=request.email,
                    language=request.language,
                    workspace_id=item.workspace_id,
                    context={
                        "link": _link("dsr_public:download", token),
                        "workspace": workspace.name,
                        "days": EXPORT_VALID_FOR.days,
                        "expires_at": item.expires_at,
                    },
                )
            # A person answered by post gets no link: an officer fetches the
            # file once (``export_fetch``) and sends it on paper or a disc.
            audit.record(
                "dsr.export.ready" if request.by_post else "dsr.export.sent",
                actor=item.requested_by_id,
                workspace=item.workspace_id,
                obj=request,
                payload={"export": str(item.pk), "rows": rows, "bytes": size},
            )
    return item


def _export_of(membership: Membership, request: PrivacyRequest, export_id) -> AccessExport:
    guards.require_record(membership, "dsr.handle", request, message=NOT_FOUND)
    with scope(workspace=request.workspace_id):
        item = (
            AccessExport.objects.select_for_update()
            .filter(pk=export_id, request_id=request.pk, workspace_id=request.workspace_id)
            .first()
        )
    if item is None:
        raise Refusal(NOT_FOUND, code="not_found", status=404)
    return item


@recorded_after_rollback
@transaction.atomic
def export_retry(*, membership: Membership, request: PrivacyRequest, export_id) -> AccessExport:
    """Try a failed access export again (the officer, once the job queue's
    retries are spent): the same export starts over with fresh attempts."""
    item = _export_of(membership, request, export_id)
    if item.state != AccessExport.State.FAILED:
        raise Refusal(
            _("Only a failed access export can be tried again."),
            code="export_not_failed",
            status=409,
        )
    if request.kind != Kind.ACCESS or not request.is_open:
        raise Refusal(
            _("Only an open access request gets an access export."),
            code="not_an_open_access_request",
            status=409,
        )
    with scope(workspace=request.workspace_id):
        AccessExport.objects.filter(pk=item.pk).update(
            state=AccessExport.State.PENDING,
            attempts=0,
            failure="",
            failed_at=None,
            building_since=None,
            requested_by_id=membership.user_id,
        )
        item.refresh_from_db()
    audit.record(
        "dsr.export.retried",
        actor=membership.user_id,
        workspace=request.workspace_id,
        obj=request,
        payload={"export": str(item.pk)},
    )
    export_id = str(item.pk)
    transaction.on_commit(lambda: tasks.build_access_export(export_id))
    return item


EXPORT_NOT_READY = _("This access export is not ready: it is being prepared or failed.")
EXPORT_FETCHED = _(
    "This access export was downloaded by staff already: the staff copy is handed out once. "
    "Prepare a new export."
)
EXPORT_EXPIRED = _("This access export's link has expired and its file was deleted.")


def _fetch_refused(membership: Membership, item: AccessExport, *, message, code: str):
    return Refusal(
        message,
        code=code,
        status=410,
        action="dsr.export.fetch",
        audit_event=security_event(
            "security.dsr.export_fetch_refused",
            actor=membership.user_id,
            workspace=membership.workspace_id,
            attempted="dsr.export.fetch",
            reason=code,
            obj=item,
        ),
    )


@recorded_after_rollback
@transaction.atomic
def export_fetch(*, membership: Membership, request: PrivacyRequest, export_id) -> AccessExport:
    """An officer fetches the file the person was sent (through the API):
    once, while its link is valid, like a workspace export (S5). A second
    fetch or an expired link is refused (410) with a security event, nothing
    changed; a pending or failed export is not found. The person's own link
    is not affected."""
    item = _export_of(membership, request, export_id)
    now = timezone.now()
    if item.fetched_at is not None:
        raise _fetch_refused(membership, item, message=EXPORT_FETCHED, code="already_fetched")
    if item.state == AccessExport.State.EXPIRED or (
        item.state == AccessExport.State.READY
        and (item.expires_at is None or item.expires_at <= now)
    ):
        raise _fetch_refused(membership, item, message=EXPORT_EXPIRED, code="link_expired")
    if item.state != AccessExport.State.READY:
        raise Refusal(EXPORT_NOT_READY, code="export_not_ready", status=404)
    item.downloads += 1
    item.last_downloaded_at = item.fetched_at = now
    item.fetched_by_id = membership.user_id
    with scope(workspace=request.workspace_id):
        item.save(update_fields=["downloads", "last_downloaded_at", "fetched_at", "fetched_by"])
    audit.record(
        "dsr.export.downloaded",
        actor=membership.user_id,
        workspace=item.workspace_id,
        obj=item,
        payload={
            "request": str(request.pk),
            "rows": item.rows,
            "download": item.downloads,
            "staff": True,
        },
    )
    return item


EXPORT_GONE = _("This download link is not valid or has expired. Ask the organisation again.")


@recorded_after_rollback
@transaction.atomic
def export_download(*, token: str) -> AccessExport:
    """Count and audit one download (S5: a bulk read of personal data)."""
    now = timezone.now()
    with scopes_disabled():
        item = (
            AccessExport.objects.select_for_update()
            .filter(token_hash=hash_token(token or ""), state=AccessExport.State.READY)
            .first()
        )
    if item is None or item.expires_at is None or item.expires_at <= now:
        raise Refusal(
            EXPORT_GONE,
            code="export_link_refused",
            status=404,
            audit_event={
                "action": "security.dsr.link_refused",
                "actor": None,
                "workspace": None,
                "payload": {"reason": "unknown_or_expired", "link": "download"},
            },
        )
    item.downloads += 1
    item.last_downloaded_at = now
    item.save(update_fields=["downloads", "last_downloaded_at"])
    audit.record(
        "dsr.export.downloaded",
        actor=None,
        workspace=item.workspace_id,
        obj=item,
        payload={"request": str(item.request_id), "rows": item.rows, "download": item.downloads},
    )
    return item


def exports_expire(now=None) -> int:
    """Delete expired export files and destroy their keys (periodic job)."""
    now = now or timezone.now()
    done = 0
    with scopes_disabled():
        due = list(
            AccessExport.objects.filter(
                state=AccessExport.State.READY, expires_at__lte=now
            ).values_list("pk", "workspace_id", "key_id")[:BATCH]
        )
    for export_id, workspace_id, key_id in due:
        with transaction.atomic():
            export.destroy(export_id, key_id)
            with scopes_disabled():
                AccessExport.objects.filter(pk=export_id).update(  # nosec B106  # blanks a token's hash
                    state=AccessExport.State.EXPIRED, token_hash=""
                )
            audit.record(
                "dsr.export.expired",
                actor=None,
                workspace=workspace_id,
                object_type="dsr.accessexport",
                object_id=str(export_id),
            )
        done += 1
    return done


SUBMISSION_KEPT = timedelta(days=30)


def submissions_prune(now=None) -> int:
    """Delete submissions 30 days after their link expired (periodic job).

    A routed submission's content lives on in its workspaces' requests; an
    unverified one was never more than an address that asked once. Deleted
    in batches of at most 1,000 ids, one transaction each.
    """
    cutoff = (now or timezone.now()) - SUBMISSION_KEPT
    deleted = 0
    while True:
        ids = list(
            Submission.objects.filter(expires_at__lt=cutoff).values_list("pk", flat=True)[:1000]
        )
        if not ids:
            return deleted
        with transaction.atomic():
            deleted += Submission.objects.filter(pk__in=ids).delete()[0]


def reminders_send(now=None) -> int:
    """Remind the assignee (or every privacy officer) as the due date nears:
    3 days before, 1 day before and once overdue, each once (periodic job).
    A request that passes two thresholds between runs gets the later one only."""
    now = now or timezone.now()
    sent = 0
    with scopes_disabled():
        soonest = REMINDERS[0][1]
        due = (
            PrivacyRequest.objects.filter(
                status__in=OPEN_STATUSES,
                due_at__lte=now + soonest,
                reminded_level__lt=REMINDERS[-1][0],
            )
            .select_related("assignee")
            .order_by("due_at")
        )
        for request in due.iterator(chunk_size=BATCH):
            level = max(lvl for lvl, before in REMINDERS if request.due_at - before <= now)
            if level <= request.reminded_level:
                continue
            recipients = [request.assignee] if request.assignee else _officers(request.workspace_id)
            with transaction.atomic():
                updated = PrivacyRequest.objects.filter(
                    pk=request.pk, reminded_level=request.reminded_level
                ).update(reminded_level=level)
                if not updated:  # another worker sent it
                    continue
                for user in recipients:
                    _staff_email(user, "dsr/emails/reminder", request, overdue=level == 3)
                audit.record(
                    "dsr.request.reminded",
                    actor=None,
                    workspace=request.workspace_id,
                    obj=request,
                    payload={"level": level, "recipients": len(recipients)},
                )
            sent += 1
    return sent
