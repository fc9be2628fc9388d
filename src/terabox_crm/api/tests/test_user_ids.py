"""User ids in the API name members of the token's workspace, nothing else
(S6, S7): on every endpoint that takes one, an unknown id and another
workspace's user get the very same answer, a member is accepted, and a run of
such ids is recorded as probing."""

from __future__ import annotations

import json
import uuid

import pytest
from django.utils import timezone
from django_scopes import scopes_disabled

from terabox_crm.api.tests.conftest import bearer
from terabox_crm.audit.models import AuditEvent
from terabox_crm.contacts.tests.support import make_company, make_contact, member_of
from terabox_crm.core import members
from terabox_crm.deals.tests.factories import make_deal, make_pipeline, stage_named
from terabox_crm.support.tests.factories import open_ticket


def _deal_create(cast):
    stage = stage_named(make_pipeline(cast.acme, cast.owner), "Lead")
    return "post", "/api/v1/deals/", {"name": "Deal", "stage": str(stage.pk)}, "owner"


def _deal_update(cast):
    deal = make_deal(cast.acme, cast.member, make_pipeline(cast.acme, cast.owner))
    return "patch", f"/api/v1/deals/{deal.pk}/", {}, "owner"


def _task_create(cast):
    body = {"title": "Call back", "due_at": timezone.now().isoformat()}
    return "post", "/api/v1/tasks/", body, "assignee"


def _ticket_open(cast):
    return "post", "/api/v1/tickets/", {"subject": "Help"}, "assignee"


def _ticket_assign(cast):
    ticket = open_ticket(cast.acme, cast.member)
    return "patch", f"/api/v1/tickets/{ticket.pk}/", {}, "assignee"


def _contact_create(cast):
    return "post", "/api/v1/contacts/", {"family_name": "New"}, "owner_id"


def _contact_update(cast):
    contact = make_contact(member_of(cast.acme, cast.member), family="Mine")
    return "patch", f"/api/v1/contacts/{contact.pk}/", {}, "owner_id"


def _company_create(cast):
    return "post", "/api/v1/companies/", {"name": "New Co"}, "owner_id"


def _company_update(cast):
    company = make_company(member_of(cast.acme, cast.member), name="Mine Co")
    return "patch", f"/api/v1/companies/{company.pk}/", {}, "owner_id"


ENDPOINTS = {
    "deal owner (create)": _deal_create,
    "deal owner (update)": _deal_update,
    "task assignee": _task_create,
    "ticket assignee (open)": _ticket_open,
    "ticket assignee (change)": _ticket_assign,
    "contact owner (create)": _contact_create,
    "contact owner (update)": _contact_update,
    "company owner (create)": _company_create,
    "company owner (update)": _company_update,
}


@pytest.fixture
def call(client, cast, make_token):
    """``call(endpoint, user_id)`` → the response to that endpoint with that id,
    made with the member's token."""
    secret = make_token(cast.member)
    made = {}

    def send(endpoint: str, user_id):
        if endpoint not in made:
            made[endpoint] = ENDPOINTS[endpoint](cast)
        method, url, body, field = made[endpoint]
        return getattr(client, method)(
            url,
            json.dumps({**body, field: str(user_id)}),
            content_type="application/json",
            HTTP_ACCEPT_LANGUAGE="en",
            **bearer(secret),
        )

    return send


def _probes() -> list:
    with scopes_disabled():
        return list(AuditEvent.objects.filter(action="security.request.foreign_user_id"))


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_an_unknown_id_and_another_workspaces_user_get_the_same_answer(call, cast, endpoint):
    unknown = call(endpoint, uuid.uuid4())
    outsider = call(endpoint, cast.outsider.pk)
    assert unknown.status_code == outsider.status_code == 400
    assert unknown["Content-Type"] == "application/problem+json"
    assert unknown.json() == outsider.json()
    (field,) = unknown.json()["errors"]
    assert unknown.json()["errors"][field] == ["Choose a member of this workspace."]


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_a_member_of_the_workspace_is_accepted(call, cast, endpoint):
    response = call(endpoint, cast.viewer.pk)
    assert response.status_code in (200, 201), response.content


def test_repeated_ids_that_are_not_members_are_recorded_as_probing_once(call, cast):
    for attempt in range(members.PROBE_LIMIT + 3):
        call("task assignee", uuid.uuid4() if attempt % 2 else cast.outsider.pk)
    (event,) = _probes()
    assert (event.actor_id, event.workspace_id) == (cast.member.pk, cast.acme.pk)
    assert event.payload["attempts"] == members.PROBE_LIMIT
    assert event.payload["reason"] == "not_a_member"


def test_a_few_mistaken_ids_are_not_recorded(call, cast):
    for _attempt in range(members.PROBE_LIMIT - 1):
        call("deal owner (create)", uuid.uuid4())
    assert _probes() == []


def test_attempts_on_different_endpoints_add_up(call, cast):
    for endpoint in list(ENDPOINTS)[: members.PROBE_LIMIT]:
        call(endpoint, cast.outsider.pk)
    assert len(_probes()) == 1


def test_the_probing_event_names_no_person(call, cast):
    for _attempt in range(members.PROBE_LIMIT):
        call("ticket assignee (open)", cast.outsider.pk)
    (event,) = _probes()
    text = json.dumps(event.payload)
    assert cast.outsider.email not in text and "@" not in text
