from datetime import timedelta
from unittest import mock

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from django_scopes import scope

from terabox_crm.audit.models import AuditEvent
from terabox_crm.refusals import Refusal
from terabox_crm.support import services, sla
from terabox_crm.support.models import Ticket
from terabox_crm.support.tests.factories import open_ticket
from terabox_crm.testing.auth import login


def test_tickets_are_numbered_per_workspace(cast):
    assert open_ticket(cast.acme, cast.member).number == 1
    assert open_ticket(cast.acme, cast.member).number == 2
    assert open_ticket(cast.globex, cast.outsider).number == 1


def test_the_subject_is_encrypted_at_rest(cast):
    open_ticket(cast.acme, cast.member, subject="山田様のログイン不具合")
    with connection.cursor() as cursor:
        cursor.execute("SELECT subject FROM support_ticket")
        assert "山田" not in cursor.fetchone()[0]


@pytest.mark.parametrize(
    ("priority", "response", "resolution"), [("urgent", 1, 4), ("low", 24, 120)]
)
def test_deadlines_follow_the_priority(cast, priority, response, resolution):
    ticket = open_ticket(cast.acme, cast.member, priority=priority)
    assert ticket.first_response_due_at - ticket.created_at == timedelta(hours=response)
    assert ticket.resolution_due_at - ticket.created_at == timedelta(hours=resolution)


def test_the_clock_goes_from_on_track_to_due_soon_to_breached(cast):
    ticket = open_ticket(cast.acme, cast.member, priority="urgent")
    start = ticket.created_at
    assert sla.clock(ticket, now=start + timedelta(minutes=10)).state == "on_track"
    assert sla.clock(ticket, now=start + timedelta(minutes=50)).state == "due_soon"
    assert sla.clock(ticket, now=start + timedelta(minutes=61)).state == "breached"


def test_a_reply_stops_the_response_clock_and_opens_the_ticket(cast):
    ticket = open_ticket(cast.acme, cast.member, priority="urgent")
    with scope(workspace=cast.acme):
        services.ticket_reply(
            membership=cast.member_membership, ticket=ticket, body="We are looking into it."
        )
    ticket.refresh_from_db()
    assert ticket.first_responded_at is not None
    assert ticket.status == "open"
    assert sla.clock(ticket).target == "resolution"


def test_an_internal_note_does_not_count_as_a_response(cast):
    ticket = open_ticket(cast.acme, cast.member)
    with scope(workspace=cast.acme):
        services.ticket_reply(
            membership=cast.member_membership, ticket=ticket, body="Check logs", internal=True
        )
    ticket.refresh_from_db()
    assert ticket.first_responded_at is None


def test_time_waiting_on_the_customer_pauses_the_resolution_clock(cast):
    ticket = open_ticket(cast.acme, cast.member)
    due = ticket.resolution_due_at
    start = timezone.now()
    with scope(workspace=cast.acme):
        with mock.patch("terabox_crm.support.services.timezone.now", return_value=start):
            services.ticket_set_status(
                membership=cast.member_membership, ticket=ticket, status="pending"
            )
        assert sla.clock(ticket).state == "paused"
        later = start + timedelta(hours=5)
        with mock.patch("terabox_crm.support.services.timezone.now", return_value=later):
            services.ticket_set_status(
                membership=cast.member_membership, ticket=ticket, status="open"
            )
    assert ticket.resolution_due_at - due == timedelta(hours=5)


def test_raising_the_priority_shortens_the_deadlines(cast):
    ticket = open_ticket(cast.acme, cast.member, priority="low")
    with scope(workspace=cast.acme):
        services.ticket_update(
            membership=cast.member_membership, ticket=ticket, priority="urgent", assignee=None
        )
    assert ticket.resolution_due_at - ticket.created_at == timedelta(hours=4)


def test_an_unknown_priority_changes_nothing(cast):
    with pytest.raises(Refusal) as refused:
        open_ticket(cast.acme, cast.member, priority="whenever")
    assert refused.value.code == "invalid_priority"
    with scope(workspace=cast.acme):
        assert not Ticket.objects.exists()


def test_viewers_cannot_open_tickets(cast):
    with pytest.raises(Refusal) as refused:
        open_ticket(cast.acme, cast.viewer)
    assert refused.value.status == 403


def test_an_assignee_from_another_workspace_is_refused(cast):
    with pytest.raises(Refusal) as refused:
        open_ticket(cast.acme, cast.member, assignee=cast.outsider)
    assert refused.value.code == "unknown_assignee"


def test_the_queue_page_shows_sla_badges_in_both_languages(client, cast):
    open_ticket(cast.acme, cast.member, subject="Printer on fire", priority="urgent")
    login(client, cast.member)
    english = client.get(reverse("support:tickets"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Printer on fire" in english and "On track" in english
    japanese = client.get(reverse("support:tickets"), HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    assert "チケット" in japanese


def test_reply_and_change_through_the_screens(client, cast):
    ticket = open_ticket(cast.acme, cast.member)
    login(client, cast.member)
    client.post(reverse("support:reply", args=[ticket.pk]), {"body": "Hello"})
    client.post(
        reverse("support:change", args=[ticket.pk]),
        {"status": "resolved", "priority": "high", "assignee": str(cast.member_membership.pk)},
    )
    ticket.refresh_from_db()
    assert ticket.status == "resolved" and ticket.priority == "high"
    assert ticket.assignee == cast.member


def test_api_opens_replies_and_resolves(client, cast):
    login(client, cast.member)
    created = client.post(
        "/api/v1/tickets/",
        {"subject": "API ticket", "priority": "high"},
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    ticket_id = created.json()["id"]
    assert created.json()["sla"]["state"] == "on_track"
    replied = client.post(
        f"/api/v1/tickets/{ticket_id}/reply/", {"body": "On it"}, content_type="application/json"
    )
    assert replied.status_code == 201
    resolved = client.patch(
        f"/api/v1/tickets/{ticket_id}/", {"status": "resolved"}, content_type="application/json"
    )
    assert resolved.json()["sla"]["state"] == "met"


def test_api_refuses_an_unknown_priority_with_a_problem(client, cast):
    login(client, cast.member)
    response = client.post(
        "/api/v1/tickets/",
        {"subject": "x", "priority": "whenever"},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"


def test_another_workspaces_ticket_is_not_found(client, cast):
    foreign = open_ticket(cast.globex, cast.outsider, subject="Foreign")
    login(client, cast.owner)
    assert client.get(reverse("support:ticket", args=[foreign.pk])).status_code == 404
    assert client.get(f"/api/v1/tickets/{foreign.pk}/").status_code == 404


def test_a_refused_status_leaves_the_priority_and_assignee_as_they_were(cast):
    ticket = open_ticket(cast.acme, cast.member, priority="low")
    events = AuditEvent.objects.count()
    with scope(workspace=cast.acme):
        with pytest.raises(Refusal):
            services.ticket_change(
                membership=cast.member_membership,
                ticket=ticket,
                priority="urgent",
                assignee=cast.member,
                status="no-such-status",
            )
        stored = Ticket.objects.get(pk=ticket.pk)
    assert (stored.priority, stored.assignee_id) == ("low", None)
    assert AuditEvent.objects.count() == events


def test_a_change_through_the_api_sets_only_the_fields_sent(client, cast):
    ticket = open_ticket(cast.acme, cast.member, priority="low")
    login(client, cast.member)
    response = client.patch(
        f"/api/v1/tickets/{ticket.pk}/", {"status": "pending"}, content_type="application/json"
    )
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["priority"]) == ("pending", "low")


@pytest.mark.parametrize(
    ("language", "empty"), [("ja", "状態：未解決"), ("en", "Status: Unresolved")]
)
def test_the_status_filters_empty_choice_names_what_the_queue_shows(client, cast, language, empty):
    """With no status chosen the queue shows the tickets not yet resolved;
    the filter's empty choice says so, not "any" (that is "Every ticket")."""
    from terabox_crm.web.tests.html import parse

    login(client, cast.member)
    html = client.get(reverse("support:tickets"), HTTP_ACCEPT_LANGUAGE=language).content
    [select] = [s for s in parse(html).find_all("select") if s.attrs.get("name") == "status"]
    first = select.find("option")
    assert first.attrs["value"] == "" and first.text().strip() == empty
