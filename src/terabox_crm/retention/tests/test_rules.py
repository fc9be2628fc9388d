"""Retention rules: defaults from the inventory, edits, refusals (P5)."""

from __future__ import annotations

import pytest
from django_scopes import scopes_disabled

from terabox_crm.audit.models import AuditEvent
from terabox_crm.env import ConfigurationError
from terabox_crm.inventory import RETENTION
from terabox_crm.refusals import Refusal
from terabox_crm.retention import engine, minimums, services
from terabox_crm.retention.models import RetentionRule

pytestmark = pytest.mark.django_db


def _rule(effective, code):
    return next(rule for rule in effective if rule.target.code == code)


def test_defaults_follow_the_inventory(cast):
    rules = engine.effective_rules(cast.acme.pk)
    audit_rule = _rule(rules, "audit.details")
    assert audit_rule.days == RETENTION["audit"].days
    assert audit_rule.enabled and audit_rule.action == "shred"
    leads = _rule(rules, "contacts.inactive_leads")
    assert (leads.days, leads.action, leads.enabled) == (730, "anonymise", False)
    assert not _rule(rules, "support.closed_tickets").enabled


def test_installation_targets_follow_the_inventory():
    rules = {rule.target.code: rule for rule in engine.installation_rules()}
    assert rules["security.ip_details"].days == RETENTION["security"].days
    assert rules["accounts.sessions"].days == RETENTION["session"].days
    assert rules["notifications.all"].days == RETENTION["notification"].days


def test_admin_sets_a_rule_and_it_is_audited(cast):
    rule = services.rule_set(
        membership=cast.admin_membership,
        target="support.closed_tickets",
        days=1825,
        action="delete",
        enabled=True,
    )
    assert (rule.days, rule.action, rule.enabled) == (1825, "delete", True)
    effective = _rule(engine.effective_rules(cast.acme.pk), "support.closed_tickets")
    assert effective.enabled and effective.saved and effective.days == 1825
    event = AuditEvent.objects.filter(action="retention.rule.changed").get()
    assert event.payload["after"] == {"days": 1825, "action": "delete", "enabled": True}
    assert event.payload["before"] is None


def test_a_second_save_changes_the_same_rule(cast):
    for days in (400, 500):
        services.rule_set(
            membership=cast.owner_membership,
            target="activities.tasks",
            days=days,
            action="delete",
            enabled=True,
        )
    with scopes_disabled():
        assert RetentionRule.objects.get(workspace=cast.acme, target="activities.tasks").days == 500
    last = AuditEvent.objects.filter(action="retention.rule.changed").order_by("-seq").first()
    assert last.payload["before"]["days"] == 400


@pytest.mark.parametrize("days", [-5, 0, "abc", None, 10**9])
def test_a_bad_period_is_refused_and_nothing_changes(cast, days):
    with pytest.raises(Refusal) as refused:
        services.rule_set(
            membership=cast.admin_membership,
            target="support.closed_tickets",
            days=days,
            action="delete",
            enabled=True,
        )
    assert refused.value.code == "invalid_days"
    with scopes_disabled():
        assert not RetentionRule.objects.exists()
    assert not AuditEvent.objects.filter(action="retention.rule.changed").exists()


def test_a_period_below_the_legal_minimum_is_refused(cast, settings):
    settings.RETENTION_MINIMUM_DAYS = "support.closed_tickets=1825"
    with pytest.raises(Refusal) as refused:
        services.rule_set(
            membership=cast.admin_membership,
            target="support.closed_tickets",
            days=365,
            action="delete",
            enabled=True,
        )
    assert refused.value.code == "below_legal_minimum"
    assert "1825" in refused.value.text
    with scopes_disabled():
        assert not RetentionRule.objects.exists()


def test_the_minimum_also_lifts_a_rule_saved_before_it(cast, settings):
    services.rule_set(
        membership=cast.admin_membership,
        target="support.closed_tickets",
        days=365,
        action="delete",
        enabled=True,
    )
    settings.RETENTION_MINIMUM_DAYS = '{"support.closed_tickets": 1825}'
    assert _rule(engine.effective_rules(cast.acme.pk), "support.closed_tickets").days == 1825


def test_an_unknown_target_is_refused_and_recorded(cast):
    with pytest.raises(Refusal) as refused:
        services.rule_set(
            membership=cast.admin_membership,
            target="contacts.everything",
            days=30,
            action="delete",
            enabled=True,
        )
    assert refused.value.code == "unknown_target"
    with scopes_disabled():
        assert not RetentionRule.objects.exists()
    assert AuditEvent.objects.filter(
        action="security.request.invalid", payload__reason="unknown_target"
    ).exists()


def test_an_installation_target_is_not_a_workspace_rule(cast):
    with pytest.raises(Refusal) as refused:
        services.rule_set(
            membership=cast.admin_membership,
            target="accounts.sessions",
            days=30,
            action="delete",
            enabled=True,
        )
    assert refused.value.code == "unknown_target"


def test_an_action_the_target_does_not_offer_is_refused(cast):
    with pytest.raises(Refusal) as refused:
        services.rule_set(
            membership=cast.admin_membership,
            target="contacts.inactive_leads",
            days=800,
            action="delete",
            enabled=True,
        )
    assert refused.value.code == "unknown_action"


@pytest.mark.parametrize("role", ["manager", "member", "viewer"])
def test_only_admins_and_privacy_officers_change_rules(cast, role):
    with pytest.raises(Refusal) as refused:
        services.rule_set(
            membership=getattr(cast, f"{role}_membership"),
            target="activities.tasks",
            days=400,
            action="delete",
            enabled=True,
        )
    assert refused.value.status == 403


def test_a_privacy_officer_changes_rules(cast):
    membership = cast.viewer_membership
    membership.is_privacy_officer = True
    membership.save(update_fields=["is_privacy_officer"])
    rule = services.rule_set(
        membership=membership, target="activities.tasks", days=400, action="delete", enabled=True
    )
    assert rule.days == 400


def test_minimums_read_both_forms():
    assert minimums.parse('{"audit.details": 1825}') == {"audit.details": 1825}
    assert minimums.parse("audit.details=1825, support.closed_tickets=3650") == {
        "audit.details": 1825,
        "support.closed_tickets": 3650,
    }
    assert minimums.parse("") == {}


@pytest.mark.parametrize(
    "text",
    ["{not json", "audit.details", "nowhere=5", "audit.details=x", "audit.details=-1", "[1]"],
)
def test_a_malformed_minimum_is_a_configuration_error(text):
    with pytest.raises(ConfigurationError):
        minimums.parse(text)
