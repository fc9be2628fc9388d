"""Writes of the incident register (S13): open, change, timeline, who is
affected and its review, the notification campaign, the public notice, and the
draft opened when an account holder says "this wasn't me".

Every service takes the acting membership, asks the one policy
(``incidents.view`` / ``incidents.manage`` / ``incidents.notify``: admins and
privacy officers) through ``core.guards``, writes and audits in one
transaction. Free text goes to the audit trail only as field names.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django_scopes import scopes_disabled

from terabox_crm import audit
from terabox_crm.accounts.models import User
from terabox_crm.communications.models import OutboxEmail
from terabox_crm.communications.outbox import queue_email
from terabox_crm.contacts.models import ContactEmail
from terabox_crm.core import guards
from terabox_crm.core.models import Membership, Workspace
from terabox_crm.core.roles import RANK, Role
from terabox_crm.incidents import affected, clocks, timeline
from terabox_crm.incidents.models import (
    NOTICE_MAX_LENGTH,
    TEXT_MAX_LENGTH,
    TITLE_MAX_LENGTH,
    AffectedItem,
    AffectedKind,
    Channel,
    Decision,
    Delivery,
    DeliveryState,
    Incident,
    Severity,
    Source,
    Status,
    TimelineEntry,
)
from terabox_crm.inventory import Category
from terabox_crm.notifications.services import notification_send
from terabox_crm.privacy import gate
from terabox_crm.refusals import Refusal, recorded_after_rollback

EMAIL_KIND = "incidents/email/notice"
GATE_CHANNEL = "incidents.notification"
LEGAL_PURPOSE = "legal"
BATCH = 500
TEXT_FIELDS = (
    "description",
    "systems_affected",
    "actions_taken",
    "cause",
    "secondary_risk",
    "measures",
)
NOTICE_FIELDS = ("notice_title_ja", "notice_title_en", "notice_body_ja", "notice_body_en")
REPORTED_FIELDS = tuple(clocks.REPORTED_FIELD.values())
CHANGEABLE = (
    "title",
    "severity",
    "status",
    "detected_at",
    "source",
    "source_user",
    "window_start",
    "window_end",
    "data_categories",
    *TEXT_FIELDS,
    "malicious",
    "appi_applies",
    "gdpr_applies",
    "preliminary_days",
    *REPORTED_FIELDS,
    "owner",
    *NOTICE_FIELDS,
)


def _require(membership, action: str, incident=None) -> None:
    if incident is not None:
        guards.in_workspace(membership, incident, action=action)
    guards.require(
        membership,
        action,
        incident,
        message=_("Only admins and privacy officers handle incidents."),
    )


def _text(value, limit: int, name: str, *, required: bool = False) -> str:
    value = (value or "").strip()
    if required and not value:
        raise Refusal(_("Give the incident a title."), code=f"{name}_required", field=name)
    if len(value) > limit:
        raise Refusal(
            _("This text is too long (at most %(max)d characters).") % {"max": limit},
            code="too_long",
            field=name,
        )
    return value


def _member_user(workspace_id, value, name: str):
    """A user who is a member of the workspace, or None for an empty value."""
    if value in (None, ""):
        return None
    user_id = getattr(value, "pk", value)
    with scopes_disabled():
        membership = (
            Membership.objects.filter(workspace_id=workspace_id, user_id=str(user_id))
            .select_related("user")
            .first()
            if _is_uuid(user_id)
            else None
        )
    if membership is None:
        raise Refusal(_("Choose a member of this workspace."), code="not_a_member", field=name)
    return membership.user


def _is_uuid(value) -> bool:
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True


def _clean(workspace_id, values: dict, *, creating: bool) -> dict:
    """Validate the given fields; a Refusal names the first bad one."""
    unknown = set(values) - set(CHANGEABLE)
    if unknown:
        raise Refusal(_("Unknown field."), code="unknown_field", field=sorted(unknown)[0])
    clean = dict(values)
    if "title" in clean or creating:
        clean["title"] = _text(clean.get("title"), TITLE_MAX_LENGTH, "title", required=True)
    for name in TEXT_FIELDS:
        if name in clean:
            clean[name] = _text(clean[name], TEXT_MAX_LENGTH, name)
    for name in NOTICE_FIELDS:
        if name in clean:
            limit = TITLE_MAX_LENGTH if "title" in name else NOTICE_MAX_LENGTH
            clean[name] = _text(clean[name], limit, name)
    if "severity" in clean and clean["severity"] not in Severity.values:
        raise Refusal(_("Choose a severity."), code="invalid_severity", field="severity")
    if "status" in clean and clean["status"] not in Status.values:
        raise Refusal(_("Choose a status."), code="invalid_status", field="status")
    if "source" in clean and clean["source"] not in Source.values:
        raise Refusal(_("Choose what was compromised."), code="invalid_source", field="source")
    if "data_categories" in clean:
        categories = clean["data_categories"] or []
        if not isinstance(categories, list | tuple) or any(
            value not in Category.values for value in categories
        ):
            raise Refusal(
                _("Choose categories of data from the list."),
                code="invalid_category",
                field="data_categories",
            )
        clean["data_categories"] = sorted(set(categories))
    if "preliminary_days" in clean:
        days = clean["preliminary_days"]
        if not isinstance(days, int) or not (
            clocks.PRELIMINARY_MIN <= days <= clocks.PRELIMINARY_MAX
        ):
            raise Refusal(
                _("The preliminary report is due within 1 to 5 days."),
                code="invalid_preliminary_days",
                field="preliminary_days",
            )
    for name in ("source_user", "owner"):
        if name in clean:
            clean[name] = _member_user(workspace_id, clean[name], name)
    if "detected_at" in clean and clean["detected_at"] is None:
        raise Refusal(
            _("Say when it was detected."), code="detected_at_required", field="detected_at"
        )
    start = clean.get("window_start")
    end = clean.get("window_end")
    if start and end and start > end:
        raise Refusal(
            _("The window must start before it ends."), code="invalid_window", field="window_end"
        )
    return clean


def _next_number(workspace_id) -> int:
    top = Incident.objects.filter(workspace_id=workspace_id).aggregate(top=Max("number"))["top"]
    return (top or 0) + 1


def _timeline(incident, text: str, *, author=None, at=None, kind: str = "") -> TimelineEntry:
    return TimelineEntry.objects.create(
        workspace_id=incident.workspace_id,
        incident=incident,
        author=author,
        text=text,
        kind=kind,
        at=at or timezone.now(),
    )


def _system_entry(incident, kind: str, values: dict, *, author=None, at=None) -> TimelineEntry:
    """An entry the system writes: its kind and values, read in the reader's
    language (``incidents.timeline``)."""
    return _timeline(incident, timeline.stored(values), author=author, at=at, kind=kind)


# --- The register ----------------------------------------------------------------------


@recorded_after_rollback
def incident_create(*, membership: Membership, values: dict) -> Incident:
    for attempt in range(2):
        try:
            return _incident_create(membership=membership, values=values)
        except IntegrityError:  # two incidents numbered at once: try again
            if attempt:
                raise
    raise AssertionError("unreachable")


@transaction.atomic
def _incident_create(*, membership: Membership, values: dict) -> Incident:
    _require(membership, "incidents.manage")
    clean = _clean(membership.workspace_id, values, creating=True)
    clean.setdefault("preliminary_days", clocks.default_preliminary_days())
    if clean.get("owner") is None:
        clean["owner"] = membership.user
    clean.setdefault("status", Status.OPEN)
    incident = Incident(
        workspace_id=membership.workspace_id,
        number=_next_number(membership.workspace_id),
        **clean,
    )
    incident.save(force_insert=True)
    audit.record(
        "incidents.incident.created",
        actor=membership.user,
        workspace=membership.workspace_id,
        obj=incident,
        payload={"number": incident.number, "severity": incident.severity},
    )
    return incident


@recorded_after_rollback
@transaction.atomic
def incident_update(*, membership: Membership, incident: Incident, values: dict) -> list[str]:
    """Change the fields given (all or none); returns the names changed."""
    _require(membership, "incidents.manage", incident)
    clean = _clean(incident.workspace_id, values, creating=False)
    incident = Incident.objects.select_for_update().get(pk=incident.pk)
    changed = [name for name, value in clean.items() if getattr(incident, name) != value]
    if "status" in changed:
        incident.closed_at = timezone.now() if clean["status"] == Status.CLOSED else None
    for name in changed:
        setattr(incident, name, clean[name])
    start, end = incident.window_start, incident.window_end
    if start and end and start > end:
        raise Refusal(
            _("The window must start before it ends."), code="invalid_window", field="window_end"
        )
    if not changed:
        return []
    incident.save()
    audit.record(
        "incidents.incident.updated",
        actor=membership.user,
        workspace=incident.workspace_id,
        obj=incident,
        payload={"fields": sorted(changed), "status": incident.status},
    )
    for name in changed:
        if name in REPORTED_FIELDS and clean[name]:
            code = next(k for k, v in clocks.REPORTED_FIELD.items() if v == name)
            _system_entry(
                incident, timeline.REPORT_SUBMITTED, {"report": code}, author=membership.user
            )
    return sorted(changed)


@recorded_after_rollback
@transaction.atomic
def timeline_add(
    *, membership: Membership, incident: Incident, text: str, at=None
) -> TimelineEntry:
    _require(membership, "incidents.manage", incident)
    text = _text(text, TEXT_MAX_LENGTH, "text")
    if not text:
        raise Refusal(_("Write what happened."), code="text_required", field="text")
    entry = _timeline(incident, text, author=membership.user, at=at)
    audit.record(
        "incidents.timeline.added",
        actor=membership.user,
        workspace=incident.workspace_id,
        obj=incident,
        payload={"entry": str(entry.pk)},
    )
    return entry


# --- Who is affected -------------------------------------------------------------------


@recorded_after_rollback
@transaction.atomic
def affected_compute(*, membership: Membership, incident: Incident) -> dict[str, int]:
    """Read the audit trail for the compromised account's window (``affected``)."""
    _require(membership, "incidents.manage", incident)
    if incident.source_user_id is None:
        raise Refusal(
            _("Name the compromised account first."),
            code="source_required",
            field="source_user",
        )
    return _compute(incident, actor=membership.user)


def _compute(incident: Incident, *, actor) -> dict[str, int]:
    counts = affected.refresh(incident)
    Incident.objects.filter(pk=incident.pk).update(affected_computed_at=timezone.now())
    audit.record(
        "incidents.affected.computed",
        actor=actor,
        workspace=incident.workspace_id,
        obj=incident,
        payload={"counts": counts},
    )
    return counts


@recorded_after_rollback
@transaction.atomic
def affected_review(
    *, membership: Membership, incident: Incident, decision: str, item_ids=None
) -> int:
    """Include or exclude the given items (``item_ids``; None: every pending one)."""
    _require(membership, "incidents.manage", incident)
    if decision not in (Decision.INCLUDED, Decision.EXCLUDED, Decision.PENDING):
        raise Refusal(_("Choose include or exclude."), code="invalid_decision", field="decision")
    items = AffectedItem.objects.filter(incident=incident)
    if item_ids is None:
        items = items.filter(decision=Decision.PENDING)
    else:
        item_ids = list(item_ids)
        if not item_ids:
            raise Refusal(_("Choose at least one."), code="items_required", field="items")
        ids = [value for value in item_ids if _is_uuid(value)]
        if len(ids) != len(item_ids):
            raise Refusal(_("Unknown item."), code="unknown_item", field="items")
        items = items.filter(pk__in=ids)
    count = items.update(decision=decision, reviewed_by=membership.user, reviewed_at=timezone.now())
    audit.record(
        "incidents.affected.reviewed",
        actor=membership.user,
        workspace=incident.workspace_id,
        obj=incident,
        payload={"decision": decision, "items": count},
    )
    return count


# --- The notification campaign -----------------------------------------------------------


@dataclass
class CampaignResult:
    queued: int = 0
    in_app: int = 0
    refused: dict[str, int] = field(default_factory=dict)
    skipped: int = 0  # already told


def _notice_ready(incident: Incident) -> None:
    missing = [name for name in NOTICE_FIELDS if not getattr(incident, name).strip()]
    if missing:
        raise Refusal(
            _(
                "Write the notice in Japanese and English first: the emails and the public page use it."
            ),
            code="notice_missing",
            field=missing[0],
        )


def _email_context(incident: Incident, workspace: Workspace, language: str) -> dict:
    title = incident.notice_title_ja if language == "ja" else incident.notice_title_en
    body = incident.notice_body_ja if language == "ja" else incident.notice_body_en
    with translation.override(language):
        categories = [str(Category(value).label) for value in incident.data_categories]
    return {
        "workspace_name": workspace.name,
        "title": title,
        "body": body,
        "categories": categories,
        "notice_url": settings.SITE_URL.rstrip("/")
        + reverse("incidents:notice", args=[incident.pk]),
    }


@recorded_after_rollback
@transaction.atomic
def campaign_send(*, membership: Membership, incident: Incident) -> CampaignResult:
    """Tell every included person and user (S13): a ja/en email each through the
    outbox, and users an in-app notice too. People pass the purpose gate under
    the legal-obligation purpose (an erased person is refused, "erased"); a
    refusal is a ``Delivery`` in state "refused" with the gate's reason, on
    the audit trail. Nobody is told twice."""
    _require(membership, "incidents.notify", incident)
    incident = Incident.objects.select_for_update().get(pk=incident.pk)
    if (
        AffectedItem.objects.filter(incident=incident, decision=Decision.PENDING)
        .exclude(kind=AffectedKind.RECORD)
        .exists()
    ):
        raise Refusal(
            _("Review every affected person and user (include or exclude) before notifying."),
            code="review_pending",
        )
    _notice_ready(incident)
    workspace = Workspace.objects.get(pk=incident.workspace_id)
    result = CampaignResult()
    told = set(Delivery.objects.filter(incident=incident).values_list("item_id", "channel"))
    _tell_people(incident, workspace, membership, told, result)
    _tell_users(incident, workspace, told, result)
    incident.notified_at = timezone.now()
    incident.save(update_fields=["notified_at", "updated_at"])
    audit.record(
        "incidents.campaign.sent",
        actor=membership.user,
        workspace=incident.workspace_id,
        obj=incident,
        payload={
            "emails": result.queued,
            "in_app": result.in_app,
            "refused": result.refused,
            "skipped": result.skipped,
        },
    )
    _system_entry(
        incident,
        timeline.CAMPAIGN_SENT,
        {"emails": result.queued, "refused": sum(result.refused.values())},
        author=membership.user,
    )
    return result


def _included(incident, kind):
    return AffectedItem.objects.filter(
        incident=incident, kind=kind, decision=Decision.INCLUDED
    ).order_by("id")


def _batches(queryset):
    last = None
    while True:
        page = queryset if last is None else queryset.filter(id__gt=last)
        rows = list(page[:BATCH])
        if not rows:
            return
        yield rows
        last = rows[-1].id


def _tell_people(incident, workspace, membership, told, result) -> None:
    language = workspace.default_language or settings.LANGUAGE_CODE
    context = _email_context(incident, workspace, language)
    for items in _batches(_included(incident, AffectedKind.PERSON)):
        pending = [item for item in items if (item.pk, Channel.EMAIL) not in told]
        result.skipped += len(items) - len(pending)
        if not pending:
            continue
        decision = gate.check(
            workspace=workspace,
            purpose=LEGAL_PURPOSE,
            subject_ids=[item.object_id for item in pending],
            channel=GATE_CHANNEL,
            actor=membership.user,
        )
        emails = {}
        # Instances, not values: each address is decrypted under its person's key.
        for row in ContactEmail.objects.filter(
            workspace_id=incident.workspace_id,
            contact_id__in=[item.object_id for item in pending],
        ).order_by("-is_primary", "id"):
            emails.setdefault(str(row.contact_id), row.value)
        rows = []
        for item in pending:
            subject = uuid.UUID(item.object_id)
            reason = decision.refused.get(subject)
            address = emails.get(str(subject), "")
            if reason is None and not address:
                reason = gate.Reason("no_email")
            if reason is not None:
                result.refused[reason.code] = result.refused.get(reason.code, 0) + 1
                rows.append(
                    _delivery(
                        incident,
                        item,
                        Channel.EMAIL,
                        language,
                        state=DeliveryState.REFUSED,
                        reason=reason.code,
                    )
                )
                continue
            email = queue_email(
                kind=EMAIL_KIND,
                to=address,
                context=context,
                language=language,
                subject_id=subject,
                workspace_id=incident.workspace_id,
            )
            result.queued += 1
            rows.append(_delivery(incident, item, Channel.EMAIL, language, outbox_id=email.pk))
        Delivery.objects.bulk_create(rows)
    if result.refused:
        audit.record(
            "incidents.notification.refused",
            actor=membership.user,
            workspace=incident.workspace_id,
            obj=incident,
            payload={"reasons": result.refused},
        )


def _tell_users(incident, workspace, told, result) -> None:
    for items in _batches(_included(incident, AffectedKind.USER)):
        ids = [item.object_id for item in items if _is_uuid(item.object_id)]
        users = {str(user.pk): user for user in User.objects.filter(pk__in=ids, is_active=True)}
        with scopes_disabled():
            members = set(
                str(user_id)
                for user_id in Membership.objects.filter(
                    workspace_id=incident.workspace_id, user_id__in=ids
                ).values_list("user_id", flat=True)
            )
        rows = []
        for item in items:
            user = users.get(item.object_id)
            if user is None:
                if (item.pk, Channel.EMAIL) not in told:
                    result.refused["unknown_user"] = result.refused.get("unknown_user", 0) + 1
                    rows.append(
                        _delivery(
                            incident,
                            item,
                            Channel.EMAIL,
                            "",
                            state=DeliveryState.REFUSED,
                            reason="unknown_user",
                        )
                    )
                continue
            language = user.language or settings.LANGUAGE_CODE
            if (item.pk, Channel.EMAIL) in told:
                result.skipped += 1
            else:
                email = queue_email(
                    kind=EMAIL_KIND,
                    to=user.email,
                    context=_email_context(incident, workspace, language),
                    language=language,
                    subject_id=user.pk,
                    workspace_id=incident.workspace_id,
                )
                result.queued += 1
                rows.append(_delivery(incident, item, Channel.EMAIL, language, outbox_id=email.pk))
            if item.object_id in members and (item.pk, Channel.IN_APP) not in told:
                notification_send(
                    user=user,
                    kind="incidents.notice",
                    workspace=workspace,
                    params={"incident_id": str(incident.pk)},
                )
                result.in_app += 1
                rows.append(
                    _delivery(incident, item, Channel.IN_APP, language, state=DeliveryState.SENT)
                )
        Delivery.objects.bulk_create(rows)


def _delivery(
    incident, item, channel, language, *, state=DeliveryState.QUEUED, reason="", outbox_id=None
):
    return Delivery(
        workspace_id=incident.workspace_id,
        incident=incident,
        item=item,
        channel=channel,
        language=language,
        state=state,
        reason=reason,
        outbox_id=outbox_id,
    )


OUTBOX_STATE = {
    OutboxEmail.Status.SENT: DeliveryState.SENT,
    OutboxEmail.Status.FAILED: DeliveryState.FAILED,
}


def deliveries_refresh(incident: Incident) -> int:
    """Bring the queued emails' states up to date from the outbox; returns how many changed."""
    changed = 0
    queued = Delivery.objects.filter(
        incident=incident, state=DeliveryState.QUEUED, outbox_id__isnull=False
    ).order_by("id")
    for rows in _batches(queued):
        states = dict(
            OutboxEmail.objects.filter(pk__in=[row.outbox_id for row in rows]).values_list(
                "pk", "status"
            )
        )
        for state in (DeliveryState.SENT, DeliveryState.FAILED):
            ids = [row.pk for row in rows if OUTBOX_STATE.get(states.get(row.outbox_id)) == state]
            if ids:
                changed += Delivery.objects.filter(pk__in=ids).update(state=state)
    return changed


# --- The public notice -----------------------------------------------------------------


@recorded_after_rollback
@transaction.atomic
def notice_publish(*, membership: Membership, incident: Incident, publish: bool = True) -> Incident:
    """Show (or withdraw) the incident's announcement on the public ``/notices/`` page."""
    _require(membership, "incidents.notify", incident)
    incident = Incident.objects.select_for_update().get(pk=incident.pk)
    if publish:
        _notice_ready(incident)
        incident.notice_published_at = incident.notice_published_at or timezone.now()
    else:
        incident.notice_published_at = None
    incident.save(update_fields=["notice_published_at", "updated_at"])
    audit.record(
        "incidents.notice.published" if publish else "incidents.notice.withdrawn",
        actor=membership.user,
        workspace=incident.workspace_id,
        obj=incident,
    )
    _system_entry(
        incident,
        timeline.NOTICE_PUBLISHED if publish else timeline.NOTICE_WITHDRAWN,
        {},
        author=membership.user,
    )
    return incident


# --- "This wasn't me" ------------------------------------------------------------------


def handlers_for(workspace_id) -> list:
    """The members told of a new draft: owners, admins and privacy officers."""
    with scopes_disabled():
        return [
            membership.user
            for membership in Membership.objects.filter(workspace_id=workspace_id)
            .select_related("user")
            .order_by("created_at")
            if RANK[membership.role] >= RANK[Role.ADMIN] or membership.is_privacy_officer
        ]


def draft_from_report(report) -> list[Incident]:
    """Draft an incident in every workspace of the reporting account (the
    handler ``accounts.not_me`` calls inside its transaction): the account
    is the compromised source, the window the last ``INCIDENT_WINDOW_DAYS``
    days, who is affected computed at once, the workspace's handlers told
    in the app."""
    user = report.user
    days = int(getattr(settings, "INCIDENT_WINDOW_DAYS", 14))
    drafted = []
    with scopes_disabled():
        workspaces = list(Workspace.objects.filter(memberships__user=user).order_by("created_at"))
    for workspace in workspaces:
        with translation.override(workspace.default_language or settings.LANGUAGE_CODE):
            title = _("Suspicious activity reported on %(account)s") % {"account": user.email}
        with scopes_disabled():
            incident = Incident(
                workspace=workspace,
                number=_next_number(workspace.pk),
                title=title,
                severity=Severity.HIGH,
                status=Status.DRAFT,
                detected_at=report.at,
                source=Source.ACCOUNT,
                source_user=user,
                window_start=report.at - timedelta(days=days),
                window_end=report.at,
                data_categories=[],
                preliminary_days=clocks.default_preliminary_days(),
            )
            incident.save(force_insert=True)
            _system_entry(
                incident,
                timeline.NOT_ME,
                {"via": report.via, "sessions": report.sessions_ended},
                at=report.at,
            )
            audit.record(
                "incidents.incident.drafted",
                actor=user,
                workspace=workspace.pk,
                obj=incident,
                payload={"number": incident.number, "via": report.via},
            )
            _compute(incident, actor=None)
            for handler in handlers_for(workspace.pk):
                notification_send(
                    user=handler,
                    kind="incidents.drafted",
                    workspace=workspace,
                    params={"incident_id": str(incident.pk)},
                )
        drafted.append(incident)
    return drafted
