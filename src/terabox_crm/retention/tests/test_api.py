"""``/api/v1/retention-rules`` and ``/api/v1/legal-holds`` (P5)."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django_scopes import scopes_disabled

from terabox_crm.api import services as token_services
from terabox_crm.core.selectors import membership_in
from terabox_crm.retention.models import LegalHold, RetentionRule
from terabox_crm.retention.tests.support import make_contact

pytestmark = pytest.mark.django_db

RULES = reverse("api:retention-rules")
HOLDS = reverse("api:legal-holds")


def bearer(user, workspace, scopes="read,write"):
    secret = token_services.token_create(
        membership=membership_in(workspace, user), name="t", scopes=scopes
    ).secret
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


def test_rules_are_listed_and_set(client, cast):
    auth = bearer(cast.admin, cast.acme)
    rules = client.get(RULES, secure=True, **auth).json()
    leads = next(rule for rule in rules if rule["target"] == "contacts.inactive_leads")
    assert leads["default"] and leads["days"] == 730 and leads["actions"] == ["anonymise"]
    response = client.post(
        RULES,
        {"target": "contacts.inactive_leads", "days": 1000, "action": "anonymise", "enabled": True},
        content_type="application/json",
        secure=True,
        **auth,
    )
    assert response.status_code == 200
    assert response.json()["days"] == 1000 and not response.json()["default"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"target": "activities.tasks", "days": -1, "action": "delete", "enabled": True}, "days"),
        ({"target": "nowhere", "days": 30, "action": "delete", "enabled": True}, None),
        ({"target": "activities.tasks", "days": 30, "action": "shred", "enabled": True}, None),
    ],
)
def test_bad_rules_are_problems_and_change_nothing(client, cast, body, field):
    response = client.post(
        RULES,
        body,
        content_type="application/json",
        secure=True,
        HTTP_ACCEPT_LANGUAGE="en",
        **bearer(cast.admin, cast.acme),
    )
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/problem+json")
    if field:
        assert field in response.json()["errors"]
    with scopes_disabled():
        assert not RetentionRule.objects.exists()


def test_below_the_legal_minimum_is_a_problem(client, cast, settings):
    settings.RETENTION_MINIMUM_DAYS = '{"activities.tasks": 365}'
    response = client.post(
        RULES,
        {"target": "activities.tasks", "days": 30, "action": "delete", "enabled": True},
        content_type="application/json",
        secure=True,
        HTTP_ACCEPT_LANGUAGE="ja",
        **bearer(cast.admin, cast.acme),
    )
    assert response.status_code == 400
    assert "365" in str(response.json()["errors"]["days"])


def test_a_member_cannot_read_or_set_rules(client, cast):
    auth = bearer(cast.member, cast.acme)
    assert client.get(RULES, secure=True, **auth).status_code == 403


def test_holds_are_set_listed_and_lifted(client, cast):
    contact = make_contact(cast.owner_membership)
    auth = bearer(cast.admin, cast.acme)
    created = client.post(
        HOLDS,
        {"contact": str(contact.pk), "reason": "Case 9"},
        content_type="application/json",
        secure=True,
        **auth,
    )
    assert created.status_code == 201 and created.json()["active"]
    of_contact = reverse("api:contact-legal-holds", args=[contact.pk])
    listed = client.get(of_contact, secure=True, **auth).json()
    assert [hold["reason"] for hold in listed] == ["Case 9"]
    standing = client.get(HOLDS, secure=True, **auth).json()
    assert [hold["contact"] for hold in standing] == [str(contact.pk)]
    lift = reverse("api:legal-hold-lift", args=[created.json()["id"]])
    assert client.post(lift, secure=True, **auth).json()["active"] is False
    again = client.post(lift, secure=True, **auth)
    assert again.status_code == 409
    assert again.json()["type"].endswith("/problems/already-lifted")


def test_a_second_hold_or_a_second_lift_is_a_state_conflict(client, cast):
    """The record's state, not the request, refuses them: 409 with a type
    per case, as the schema says (``answers``), and nothing changed."""
    contact = make_contact(cast.owner_membership)
    auth = bearer(cast.admin, cast.acme)
    body = {"contact": str(contact.pk), "reason": "Case 9"}
    assert (
        client.post(HOLDS, body, content_type="application/json", secure=True, **auth).status_code
        == 201
    )
    twice = client.post(
        HOLDS, body, content_type="application/json", secure=True, HTTP_ACCEPT_LANGUAGE="ja", **auth
    )
    assert twice.status_code == 409
    assert twice["Content-Type"].startswith("application/problem+json")
    problem = twice.json()
    assert problem["type"].endswith("/problems/already-held")
    assert problem["title"] == "この連絡先はすでに訴訟ホールド中です。"
    with scopes_disabled():
        assert LegalHold.objects.filter(subject_id=contact.pk).count() == 1


def test_another_workspaces_contact_or_hold_is_not_found(client, cast):
    foreign = make_contact(cast.outsider_membership)
    auth = bearer(cast.admin, cast.acme)
    response = client.post(
        HOLDS,
        {"contact": str(foreign.pk), "reason": "x"},
        content_type="application/json",
        secure=True,
        **auth,
    )
    assert response.status_code == 404
    of_contact = reverse("api:contact-legal-holds", args=[foreign.pk])
    assert client.get(of_contact, secure=True, **auth).status_code == 404
    with scopes_disabled():
        assert not LegalHold.objects.exists()
