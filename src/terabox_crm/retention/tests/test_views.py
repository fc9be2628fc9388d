"""The retention pages and the legal-hold panel (P5), in Japanese and English."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django_scopes import scopes_disabled

from terabox_crm.retention.models import LegalHold, RetentionRule
from terabox_crm.retention.tests.support import make_contact
from terabox_crm.testing.auth import login

pytestmark = pytest.mark.django_db

RULES = reverse("retention:rules")
EDIT = reverse("retention:rule_edit")


def test_admin_sees_the_rules_in_japanese(client, cast):
    login(client, cast.admin)
    response = client.get(RULES, secure=True, HTTP_ACCEPT_LANGUAGE="ja")
    assert response.status_code == 200
    text = response.content.decode()
    assert "データの保存期間" in text and "活動のないリード" in text
    assert f"{EDIT}?target=contacts.inactive_leads" in text


def test_admin_edits_a_rule(client, cast):
    login(client, cast.admin)
    assert client.get(f"{EDIT}?target=support.closed_tickets", secure=True).status_code == 200
    response = client.post(
        EDIT,
        {"target": "support.closed_tickets", "days": "1825", "action": "delete", "enabled": "on"},
        secure=True,
    )
    assert response.status_code == 302
    with scopes_disabled():
        rule = RetentionRule.objects.get(workspace=cast.acme)
    assert (rule.target, rule.days, rule.enabled) == ("support.closed_tickets", 1825, True)


def test_a_rule_below_the_legal_minimum_is_explained_on_the_form(client, cast, settings):
    settings.RETENTION_MINIMUM_DAYS = "support.closed_tickets=1825"
    login(client, cast.admin)
    response = client.post(
        EDIT,
        {"target": "support.closed_tickets", "days": "30", "action": "delete", "enabled": "on"},
        secure=True,
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 400
    assert "at least 1825 days" in response.content.decode()
    with scopes_disabled():
        assert not RetentionRule.objects.exists()


def test_a_negative_period_is_refused_on_the_form(client, cast):
    login(client, cast.admin)
    response = client.post(
        EDIT,
        {"target": "activities.tasks", "days": "-3", "action": "delete"},
        secure=True,
        HTTP_ACCEPT_LANGUAGE="ja",
    )
    assert response.status_code == 400
    assert "1日以上" in response.content.decode()


def test_an_unknown_target_is_a_404(client, cast):
    login(client, cast.admin)
    assert client.get(f"{EDIT}?target=nowhere", secure=True).status_code == 404
    response = client.post(
        EDIT, {"target": "nowhere", "days": "5", "action": "delete"}, secure=True
    )
    assert response.status_code == 404


@pytest.mark.parametrize("role", ["manager", "member", "viewer"])
def test_other_roles_do_not_see_the_rules(client, cast, role):
    login(client, getattr(cast, role))
    assert client.get(RULES, secure=True).status_code == 403


def test_the_contact_page_shows_the_hold_panel_and_sets_and_lifts_a_hold(client, cast):
    contact = make_contact(cast.owner_membership)
    page = reverse("contacts:detail", args=[contact.pk])
    login(client, cast.admin)
    text = client.get(page, secure=True, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Put under legal hold" in text
    response = client.post(
        reverse("retention:hold_set", args=[contact.pk]), {"reason": "Case 2026-17"}, secure=True
    )
    assert response.status_code == 302 and response["Location"] == page
    text = client.get(page, secure=True, HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    assert "訴訟ホールド中" in text and "Case 2026-17" in text
    with scopes_disabled():
        hold = LegalHold.objects.get()
    client.post(reverse("retention:hold_lift", args=[hold.pk]), secure=True)
    hold.refresh_from_db()
    assert hold.lifted_at is not None


def test_a_member_sees_the_hold_but_not_its_reason_or_the_form(client, cast):
    from terabox_crm.retention import services

    contact = make_contact(cast.owner_membership)
    services.hold_set(membership=cast.owner_membership, subject_id=contact.pk, reason="秘密の案件")
    login(client, cast.member)
    text = client.get(
        reverse("contacts:detail", args=[contact.pk]), secure=True, HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    assert "Under legal hold" in text
    assert "秘密の案件" not in text and "Lift the hold" not in text


def test_a_hold_without_a_reason_changes_nothing(client, cast):
    contact = make_contact(cast.owner_membership)
    login(client, cast.admin)
    client.post(reverse("retention:hold_set", args=[contact.pk]), {"reason": ""}, secure=True)
    with scopes_disabled():
        assert not LegalHold.objects.exists()
