"""Who is affected (S13): computed from the audit trail for the compromised
account (or its API tokens) in the window, stored as ids, reviewed by staff."""

from __future__ import annotations

import uuid

import pytest
from django.urls import reverse
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from terabox_crm import audit
from terabox_crm.audit import actions
from terabox_crm.contacts.tests.support import make_contact, member_of
from terabox_crm.context import RequestContext, activate
from terabox_crm.core.selectors import membership_in
from terabox_crm.incidents import services
from terabox_crm.incidents.models import AffectedItem, Decision
from terabox_crm.incidents.tests.factories import open_incident
from terabox_crm.refusals import Refusal
from terabox_crm.testing.auth import login

pytestmark = pytest.mark.django_db


def _read(user, workspace, contact, *, channel="web"):
    """An event of ``user`` reading a person (the subject names them)."""
    with activate(RequestContext(channel=channel, ip="203.0.113.5")):
        audit.record(
            "privacy.consent.evidence_read",
            actor=user,
            workspace=workspace,
            object_type="privacy.consentevent",
            object_id="evidence-1",
            subject_id=contact.pk,
        )


def _items(incident) -> dict[str, str]:
    with scopes_disabled():
        return {
            item.object_id: item.kind for item in AffectedItem.objects.filter(incident=incident)
        }


def _compute(cast, incident):
    with scope(workspace=cast.acme):
        return services.affected_compute(
            membership=membership_in(cast.acme, cast.admin), incident=incident
        )


def test_people_the_account_touched_in_the_window_and_nobody_else(cast):
    member = member_of(cast.acme, cast.member)
    before = make_contact(member, family="Before")
    start = timezone.now()
    created = make_contact(member, family="Created")
    read = make_contact(cast.owner_membership, family="Read")
    _read(cast.member, cast.acme, read)
    untouched = make_contact(cast.owner_membership, family="Untouched")
    nobody = uuid.uuid4()  # a key that names no person (a company's, say)
    with activate(RequestContext(ip="203.0.113.5")):
        audit.record(
            "privacy.consent.evidence_read",
            actor=cast.member,
            workspace=cast.acme,
            object_type="privacy.consentevent",
            object_id="evidence-2",
            subject_id=nobody,
        )
    # Another workspace's events of the same user are not this incident's.
    incident = open_incident(
        cast.acme,
        cast.owner,
        source_user=cast.member.pk,
        window_start=start,
        window_end=timezone.now(),
    )
    counts = _compute(cast, incident)
    items = _items(incident)
    assert items[str(created.pk)] == "person"
    assert items[str(read.pk)] == "person"
    assert str(before.pk) not in items and str(untouched.pk) not in items
    assert str(nobody) not in items
    assert items[str(cast.member.pk)] == "user"  # the account holder is told too
    assert counts["person"] == 2 and counts["user"] == 1


def test_a_token_counts_only_what_came_through_the_api(cast):
    start = timezone.now()
    by_web = make_contact(cast.owner_membership, family="Web")
    by_api = make_contact(cast.owner_membership, family="Api")
    _read(cast.member, cast.acme, by_web)
    _read(cast.member, cast.acme, by_api, channel="api")
    incident = open_incident(
        cast.acme, cast.owner, source="token", source_user=cast.member.pk, window_start=start
    )
    _compute(cast, incident)
    items = _items(incident)
    assert str(by_api.pk) in items and str(by_web.pk) not in items


def test_a_rerun_keeps_the_decisions_and_review_is_staff_only(client, cast):
    start = timezone.now()
    first = make_contact(cast.owner_membership, family="First")
    _read(cast.member, cast.acme, first)
    incident = open_incident(cast.acme, cast.owner, source_user=cast.member.pk, window_start=start)
    _compute(cast, incident)
    with scopes_disabled():
        item = AffectedItem.objects.get(incident=incident, object_id=str(first.pk))
    login(client, cast.admin)
    review = reverse("incidents:affected_review", args=[incident.pk])
    response = client.post(review, {"decision": "excluded", "item": [item.pk]}, secure=True)
    assert response.status_code == 302
    second = make_contact(cast.owner_membership, family="Second")
    _read(cast.member, cast.acme, second)
    _read(cast.member, cast.acme, first)
    client.post(reverse("incidents:affected_compute", args=[incident.pk]), secure=True)
    with scopes_disabled():
        item.refresh_from_db()
        assert (item.decision, item.events) == (Decision.EXCLUDED, 2)
        assert AffectedItem.objects.get(object_id=str(second.pk)).decision == Decision.PENDING
    # Nothing chosen: refused, nothing changed (not "every pending one").
    client.post(review, {"decision": "excluded"}, secure=True)
    with scopes_disabled():
        assert AffectedItem.objects.get(object_id=str(second.pk)).decision == Decision.PENDING
    client.post(review, {"decision": "included", "all": "1"}, secure=True)
    with scopes_disabled():
        assert AffectedItem.objects.get(object_id=str(second.pk)).decision == Decision.INCLUDED
        assert AffectedItem.objects.get(object_id=str(first.pk)).decision == Decision.EXCLUDED
    page = client.get(reverse("incidents:detail", args=[incident.pk]), secure=True)
    assert "Second" in page.content.decode()
    login(client, cast.member)
    assert client.post(review, {"decision": "included", "all": "1"}, secure=True).status_code == 403


def test_without_a_compromised_account_there_is_nothing_to_compute(cast):
    incident = open_incident(cast.acme, cast.owner)
    with pytest.raises(Refusal) as refused:
        _compute(cast, incident)
    assert refused.value.code == "source_required"


def test_computing_a_large_trail_is_grouped_in_the_database(cast, django_assert_max_num_queries):
    start = timezone.now()
    contacts = [make_contact(cast.owner_membership, family=f"P{n}") for n in range(30)]
    for contact in contacts:
        _read(cast.member, cast.acme, contact)
    incident = open_incident(cast.acme, cast.owner, source_user=cast.member.pk, window_start=start)
    with django_assert_max_num_queries(30):
        counts = _compute(cast, incident)
    assert counts["person"] == 30


def test_the_review_list_says_what_the_account_did_and_who_reviewed(client, cast):
    """Who is affected reads as a review list (docs/ui.md "Review lists"):
    each person with what the account did to them in the event types' words,
    how often, and the staff's decision and reviewer — not ids in a table."""
    start = timezone.now()
    read = make_contact(cast.owner_membership, family="Readperson")
    _read(cast.member, cast.acme, read)
    _read(cast.member, cast.acme, read)
    incident = open_incident(cast.acme, cast.owner, source_user=cast.member.pk, window_start=start)
    _compute(cast, incident)
    with scopes_disabled():
        item = AffectedItem.objects.get(incident=incident, object_id=str(read.pk))
    login(client, cast.admin)
    client.post(
        reverse("incidents:affected_review", args=[incident.pk]),
        {"decision": "included", "item": [item.pk]},
        secure=True,
    )
    page = client.get(
        reverse("incidents:detail", args=[incident.pk]), secure=True, HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    assert 'class="review-list"' in page and '<table class="table affected' not in page
    start_at = page.index("Readperson")
    row = page[start_at : page.index('class="review-state"', start_at) + 400]
    label = str(actions.label("privacy.consent.evidence_read"))
    assert label in row and "×2" in row
    assert "✓ Included" in row and cast.admin.label in row
    assert 'data-kind="person"' in page and 'data-decision="included">1<' in page
