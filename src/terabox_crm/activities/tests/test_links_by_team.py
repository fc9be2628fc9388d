"""What an activity or a task is about, under team visibility (S6): each of
its links (contact, company, deal) is refused by the service, the API and the
forms exactly as a record that does not exist when the member may not read
it, the attempt is recorded, a readable one is accepted, and the task page
does not point at a deal the viewer may not read."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from terabox_crm.activities import services
from terabox_crm.activities.models import Activity, Task
from terabox_crm.refusals import Refusal
from terabox_crm.testing.auth import login
from terabox_crm.testing.links import refusals_recorded

LINKS = ("contact", "company", "deal")


def _counts(world) -> tuple:
    with scopes_disabled():
        return (
            Activity.objects.filter(workspace=world.cast.acme).count(),
            Task.objects.filter(workspace=world.cast.acme).count(),
        )


def _log(world, **links):
    data = services.ActivityData(
        kind="call",
        occurred_at=timezone.now(),
        subject="Called",
        links=services.Links(**links),
    )
    with scope(workspace=world.cast.acme):
        return services.activity_log(membership=world.cast.member_membership, data=data)


def _task(world, **links):
    data = services.TaskData(
        title="Call back",
        due_at=timezone.now(),
        assignee=world.cast.member,
        links=services.Links(**links),
    )
    with scope(workspace=world.cast.acme):
        return services.task_create(membership=world.cast.member_membership, data=data)


WRITES = {"activity": _log, "task": _task}


def _refused(write, world, **links) -> Refusal:
    with pytest.raises(Refusal) as refused:
        write(world, **links)
    return refused.value


def _answer(error) -> tuple:
    return (str(error.message), error.code, error.status, error.field)


# --- The services --------------------------------------------------------------------------


@pytest.mark.parametrize("kind", WRITES)
@pytest.mark.parametrize("field", LINKS)
def test_the_service_refuses_a_link_the_member_may_not_read_as_one_that_does_not_exist(
    team_world, kind, field
):
    before = _counts(team_world)
    hidden = _refused(WRITES[kind], team_world, **{field: team_world.hidden[field].pk})
    unknown = _refused(WRITES[kind], team_world, **{field: team_world.unknown()})
    assert _answer(hidden) == _answer(unknown)
    assert (hidden.field, hidden.code) == (field, f"unknown_{field}")
    assert _counts(team_world) == before


@pytest.mark.parametrize("kind", WRITES)
@pytest.mark.parametrize("field", LINKS)
def test_the_service_records_the_refused_link(team_world, kind, field):
    _refused(WRITES[kind], team_world, **{field: team_world.hidden[field]})
    (event,) = refusals_recorded()
    assert (event.object_id, event.payload["attempted"]) == (
        str(team_world.hidden[field].pk),
        f"link.{field}",
    )


@pytest.mark.parametrize("kind", WRITES)
@pytest.mark.parametrize("field", LINKS)
def test_the_service_refuses_another_workspaces_record(team_world, kind, field):
    refused = _refused(WRITES[kind], team_world, **{field: team_world.foreign[field].pk})
    assert refused.field == field
    (event,) = refusals_recorded("other_workspace_link")
    assert event.workspace_id == team_world.cast.acme.pk


@pytest.mark.parametrize("kind", WRITES)
@pytest.mark.parametrize("field", LINKS)
def test_the_service_links_a_record_the_member_may_read(team_world, kind, field):
    written = WRITES[kind](team_world, **{field: str(team_world.mine[field].pk)})
    assert getattr(written, f"{field}_id") == team_world.mine[field].pk


# --- The API -------------------------------------------------------------------------------

BODIES = {
    "activities": {"kind": "note", "subject": "API note"},
    "tasks": {"title": "API task"},
}


def _api(client, resource: str, **links):
    body = {**BODIES[resource], **links}
    body["occurred_at" if resource == "activities" else "due_at"] = timezone.now().isoformat()
    return client.post(f"/api/v1/{resource}/", body, content_type="application/json")


@pytest.mark.parametrize("resource", BODIES)
@pytest.mark.parametrize("field", LINKS)
def test_the_api_refuses_a_link_the_member_may_not_read_as_one_that_does_not_exist(
    client, team_world, resource, field
):
    login(client, team_world.cast.member)
    before = _counts(team_world)
    hidden = _api(client, resource, **{field: str(team_world.hidden[field].pk)})
    unknown = _api(client, resource, **{field: team_world.unknown()})
    assert hidden.status_code == 400
    assert hidden["Content-Type"] == "application/problem+json"
    assert hidden.json() == unknown.json()
    assert list(hidden.json()["errors"]) == [field]
    assert _counts(team_world) == before
    assert len(refusals_recorded()) == 1


@pytest.mark.parametrize("resource", BODIES)
@pytest.mark.parametrize("field", LINKS)
def test_the_api_links_a_record_the_member_may_read(client, team_world, resource, field):
    login(client, team_world.cast.member)
    response = _api(client, resource, **{field: str(team_world.mine[field].pk)})
    assert response.status_code == 201, response.content
    assert response.json()[field] == str(team_world.mine[field].pk)


# --- The forms -----------------------------------------------------------------------------


def _log_form(client, **links):
    data = {"kind": "note", "subject": "Form note", "occurred_at": "2026-12-01T10:00", **links}
    return client.post(reverse("activities:activity_create"), data, HTTP_ACCEPT_LANGUAGE="en")


def _task_form(client, world, **links):
    from terabox_crm.contacts.tests.support import member_of

    data = {
        "title": "Form task",
        "due_at": "2026-12-01T10:00",
        "assignee": str(member_of(world.cast.acme, world.cast.member).pk),
        **links,
    }
    return client.post(reverse("activities:tasks"), data, HTTP_ACCEPT_LANGUAGE="en")


MESSAGES = {
    "contact": "Choose a contact of this workspace.",
    "company": "Choose a company of this workspace.",
    "deal": "Choose a deal of this workspace.",
}


@pytest.mark.parametrize("field", LINKS)
def test_the_log_form_refuses_a_link_the_member_may_not_read_with_a_form_error(
    client, team_world, field
):
    login(client, team_world.cast.member)
    before = _counts(team_world)
    response = _log_form(client, **{field: str(team_world.hidden[field].pk)})
    assert response.status_code == 400
    assert MESSAGES[field] in response.content.decode()
    assert _counts(team_world) == before
    assert len(refusals_recorded()) == 1


@pytest.mark.parametrize("field", LINKS)
def test_the_log_form_links_a_record_the_member_may_read(client, team_world, field):
    login(client, team_world.cast.member)
    response = _log_form(client, **{field: str(team_world.mine[field].pk)})
    assert response.status_code == 302


@pytest.mark.parametrize("field", LINKS)
def test_the_empty_log_form_for_a_record_the_member_may_not_read_is_not_found(
    client, team_world, field
):
    login(client, team_world.cast.member)
    url = reverse("activities:activity_create")
    response = client.get(url, {field: str(team_world.hidden[field].pk)})
    assert response.status_code == 404


@pytest.mark.parametrize("field", LINKS)
def test_the_task_form_refuses_a_link_the_member_may_not_read_with_a_form_error(
    client, team_world, field
):
    login(client, team_world.cast.member)
    before = _counts(team_world)
    response = _task_form(client, team_world, **{field: str(team_world.hidden[field].pk)})
    assert response.status_code == 400
    assert MESSAGES[field] in response.content.decode()
    assert _counts(team_world) == before


@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("en", "Choose a deal of this workspace."),
        ("ja", "このワークスペースの商談を選んでください。"),
    ],
)
def test_the_refusal_of_a_deal_link_is_translated(client, team_world, language, message):
    login(client, team_world.cast.member)
    data = {
        "kind": "note",
        "subject": "x",
        "occurred_at": "2026-12-01T10:00",
        "deal": str(team_world.hidden["deal"].pk),
    }
    response = client.post(
        reverse("activities:activity_create"), data, HTTP_ACCEPT_LANGUAGE=language
    )
    assert message in response.content.decode()


# --- The task page -------------------------------------------------------------------------


def test_the_task_page_does_not_point_at_a_deal_the_viewer_may_not_read(client, team_world):
    cast = team_world.cast
    data = services.TaskData(
        title="Follow the hidden deal",
        due_at=timezone.now(),
        assignee=cast.member,
        links=services.Links(deal=team_world.hidden["deal"]),
    )
    with scope(workspace=cast.acme):
        task = services.task_create(membership=cast.owner_membership, data=data)
    login(client, cast.member)
    page = client.get(reverse("activities:task", args=[task.pk]), HTTP_ACCEPT_LANGUAGE="en")
    body = page.content.decode()
    assert page.status_code == 200
    assert str(team_world.hidden["deal"].pk) not in body
    assert "a record you cannot see" in body
