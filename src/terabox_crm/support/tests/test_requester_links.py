"""A ticket's requester (a contact and/or a company) under team visibility
(S6): the service and the API refuse one the member may not read exactly as
one that does not exist, record the attempt, and accept one they may read.
The ticket screens take no requester, so there is no form to test."""

from __future__ import annotations

import pytest
from django_scopes import scopes_disabled

from terabox_crm.refusals import Refusal
from terabox_crm.support.models import Ticket
from terabox_crm.support.tests.factories import open_ticket
from terabox_crm.testing.auth import login
from terabox_crm.testing.links import refusals_recorded

LINKS = ("contact", "company")


def _count(world) -> int:
    with scopes_disabled():
        return Ticket.objects.filter(workspace=world.cast.acme).count()


def _refused(world, **links) -> Refusal:
    with pytest.raises(Refusal) as refused:
        open_ticket(world.cast.acme, world.cast.member, **links)
    return refused.value


@pytest.mark.parametrize("field", LINKS)
def test_the_service_refuses_a_requester_the_member_may_not_read_as_one_that_does_not_exist(
    team_world, field
):
    hidden = _refused(team_world, **{field: team_world.hidden[field].pk})
    unknown = _refused(team_world, **{field: team_world.unknown()})
    answer = (str(hidden.message), hidden.code, hidden.status, hidden.field)
    assert answer == (str(unknown.message), unknown.code, unknown.status, unknown.field)
    assert hidden.field == field
    assert _count(team_world) == 0


@pytest.mark.parametrize("field", LINKS)
def test_the_service_records_the_refused_requester(team_world, field):
    _refused(team_world, **{field: team_world.hidden[field]})
    (event,) = refusals_recorded()
    assert event.payload["attempted"] == f"link.{field}"


@pytest.mark.parametrize("field", LINKS)
def test_the_service_opens_a_ticket_for_a_requester_the_member_may_read(team_world, field):
    ticket = open_ticket(
        team_world.cast.acme, team_world.cast.member, **{field: str(team_world.mine[field].pk)}
    )
    assert getattr(ticket, f"{field}_id") == team_world.mine[field].pk


def _api(client, **links):
    return client.post(
        "/api/v1/tickets/", {"subject": "Help", **links}, content_type="application/json"
    )


@pytest.mark.parametrize("field", LINKS)
def test_the_api_refuses_a_requester_the_member_may_not_read_as_one_that_does_not_exist(
    client, team_world, field
):
    login(client, team_world.cast.member)
    hidden = _api(client, **{field: str(team_world.hidden[field].pk)})
    unknown = _api(client, **{field: team_world.unknown()})
    assert hidden.status_code == 400
    assert hidden["Content-Type"] == "application/problem+json"
    assert hidden.json() == unknown.json()
    assert list(hidden.json()["errors"]) == [field]
    assert _count(team_world) == 0
    assert len(refusals_recorded()) == 1


@pytest.mark.parametrize("field", LINKS)
def test_the_api_opens_a_ticket_for_a_requester_the_member_may_read(client, team_world, field):
    login(client, team_world.cast.member)
    response = _api(client, **{field: str(team_world.mine[field].pk)})
    assert response.status_code == 201, response.content
    assert response.json()[field] == str(team_world.mine[field].pk)
