"""Writes of the retention engine: rules and legal holds (P5).

Each service checks the policy, validates, writes and records its audit
event in one transaction; a refusal (``refusals.Refusal``) changes nothing.
A rule's period below the operator's legal minimum is refused with the
minimum in the message. A target or action no page offers (a tampered form,
a script) is an invalid request and is recorded as a security event.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_scopes import scopes_disabled

from terabox_crm import audit
from terabox_crm.core import guards
from terabox_crm.core.models import Membership
from terabox_crm.refusals import Refusal, recorded_after_rollback
from terabox_crm.retention import minimums, registry
from terabox_crm.retention.models import REASON_MAX_LENGTH, LegalHold, RetentionRule

MAX_DAYS = 100 * 365


def _days(value, target: str) -> int:
    try:
        days = int(value)
    except (TypeError, ValueError):
        raise Refusal(
            _("Enter the period as a whole number of days."), code="invalid_days", field="days"
        ) from None
    if days < 1:
        raise Refusal(_("The period must be at least 1 day."), code="invalid_days", field="days")
    if days > MAX_DAYS:
        raise Refusal(
            _("The period can be at most %(max)s days.") % {"max": MAX_DAYS},
            code="invalid_days",
            field="days",
        )
    floor = minimums.minimum(target)
    if days < floor:
        raise Refusal(
            _(
                "The law requires this data to be kept for at least %(minimum)s days "
                "(set by the operator); choose %(minimum)s days or more."
            )
            % {"minimum": floor},
            code="below_legal_minimum",
            field="days",
        )
    return days


@recorded_after_rollback
@transaction.atomic
def rule_set(
    *, membership: Membership, target: str, days, action: str, enabled: bool
) -> RetentionRule:
    """Save the workspace's rule for ``target`` (create or change it)."""
    guards.require(
        membership,
        "retention.rules.change",
        message=_("Only admins and privacy officers change retention rules."),
    )
    found = registry.get(target)
    if found is None or not found.per_workspace:
        raise guards.invalid(
            membership,
            "retention.rule.changed",
            message=_("Choose one of the kinds of data listed."),
            code="unknown_target",
        )
    if action not in found.actions:
        raise guards.invalid(
            membership,
            "retention.rule.changed",
            message=_("Choose one of the actions offered for this kind of data."),
            code="unknown_action",
        )
    days = _days(days, target)
    with scopes_disabled():
        rule = (
            RetentionRule.objects.select_for_update()
            .filter(workspace_id=membership.workspace_id, target=target)
            .first()
        )
        before = (
            {"days": rule.days, "action": rule.action, "enabled": rule.enabled} if rule else None
        )
        if rule is None:
            rule = RetentionRule(workspace_id=membership.workspace_id, target=target)
        rule.days, rule.action, rule.enabled = days, action, bool(enabled)
        rule.updated_by = membership.user
        rule.save()
    audit.record(
        "retention.rule.changed",
        actor=membership.user,
        workspace=membership.workspace_id,
        obj=rule,
        payload={
            "target": target,
            "before": before,
            "after": {"days": days, "action": action, "enabled": bool(enabled)},
        },
    )
    return rule


def _reason(value) -> str:
    reason = (value or "").strip()
    if not reason:
        raise Refusal(
            _("Say why the contact's data must be kept (a case, a claim, an order)."),
            code="reason_required",
            field="reason",
        )
    if len(reason) > REASON_MAX_LENGTH:
        raise Refusal(
            _("Keep the reason under %(max)s characters.") % {"max": REASON_MAX_LENGTH},
            code="reason_too_long",
            field="reason",
        )
    return reason


@recorded_after_rollback
@transaction.atomic
def hold_set(*, membership: Membership, subject_id, reason: str) -> LegalHold:
    """Put the contact ``subject_id`` under legal hold: no retention rule touches it."""
    guards.require(
        membership,
        "retention.holds.change",
        message=_("Only admins and privacy officers set legal holds."),
    )
    subject = registry.find_subject(membership, subject_id)
    if subject is None:
        raise guards.refusal(
            membership,
            "retention.hold.set",
            message=_("Not found."),
            code="not_found",
            status=404,
        )
    reason = _reason(reason)
    hold = LegalHold(
        workspace_id=membership.workspace_id,
        subject_id=subject.pk,
        reason=reason,
        set_by=membership.user,
    )
    try:
        with transaction.atomic(), scopes_disabled():
            hold.save()
    except IntegrityError:
        raise Refusal(
            _("This contact is already under legal hold."), code="already_held", status=409
        ) from None
    audit.record(
        "retention.hold.set",
        actor=membership.user,
        workspace=membership.workspace_id,
        obj=hold,
        subject_id=subject.pk,
        payload={"subject_id": str(subject.pk)},
        personal={"reason": reason},
    )
    return hold


@recorded_after_rollback
@transaction.atomic
def hold_lift(*, membership: Membership, hold: LegalHold) -> LegalHold:
    """End a legal hold; the contact's data follows the rules again from the next run."""
    guards.in_workspace(membership, hold, action="retention.hold.lifted")
    guards.require(
        membership,
        "retention.holds.change",
        message=_("Only admins and privacy officers lift legal holds."),
    )
    with scopes_disabled():
        hold = LegalHold.objects.select_for_update().get(pk=hold.pk)
        if hold.lifted_at is not None:
            raise Refusal(
                _("This legal hold was already lifted."), code="already_lifted", status=409
            )
        hold.lifted_at = timezone.now()
        hold.lifted_by = membership.user
        hold.save(update_fields=["lifted_at", "lifted_by"])
    audit.record(
        "retention.hold.lifted",
        actor=membership.user,
        workspace=membership.workspace_id,
        obj=hold,
        subject_id=hold.subject_id,
        payload={"subject_id": str(hold.subject_id), "held_since": hold.since.isoformat()},
    )
    return hold
