"""The screens that pick a member (a deal's owner, a task's or a ticket's
assignee) offer this workspace's members only and answer any other value as
the API does, in Japanese and English (S6, S7)."""

from __future__ import annotations

import uuid

import pytest
from django.urls import reverse
from django_scopes import scopes_disabled

from terabox_crm.contacts.tests.support import member_of
from terabox_crm.deals.tests.factories import make_pipeline, stage_named
from terabox_crm.support.tests.factories import open_ticket
from terabox_crm.testing.auth import login

MESSAGES = {
    "en": "Choose a member of this workspace.",
    "ja": "このワークスペースのメンバーを選んでください。",
}


def _deal(cast, value):
    stage = stage_named(make_pipeline(cast.acme, cast.owner), "Lead")
    data = {"name": "Deal", "stage": str(stage.pk), "currency": "JPY", "owner": value}
    return reverse("deals:create"), data


def _task(cast, value):
    return reverse("activities:tasks"), {
        "title": "T",
        "due_at": "2026-12-01T10:00",
        "assignee": value,
    }


def _ticket(cast, value):
    return reverse("support:create"), {"subject": "S", "priority": "normal", "assignee": value}


def _ticket_change(cast, value):
    ticket = open_ticket(cast.acme, cast.member)
    data = {"status": "open", "priority": "normal", "assignee": value}
    return reverse("support:change", args=[ticket.pk]), data


FORMS = {"deal owner": _deal, "task assignee": _task, "ticket assignee": _ticket}


def _foreign_membership(cast) -> str:
    return str(member_of(cast.globex, cast.outsider).pk)


@pytest.mark.parametrize("language", MESSAGES)
@pytest.mark.parametrize("form", FORMS)
def test_another_workspaces_member_is_refused_with_the_one_answer(client, cast, form, language):
    url, data = FORMS[form](cast, _foreign_membership(cast))
    login(client, cast.member)
    response = client.post(url, data, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 400
    assert MESSAGES[language] in response.content.decode()


@pytest.mark.parametrize("form", FORMS)
def test_an_unknown_value_gets_the_same_answer_as_another_workspaces_member(client, cast, form):
    login(client, cast.member)
    answers = []
    for value in (_foreign_membership(cast), str(uuid.uuid4())):
        url, data = FORMS[form](cast, value)
        answers.append(client.post(url, data, HTTP_ACCEPT_LANGUAGE="en").status_code)
    assert answers == [400, 400]


@pytest.mark.parametrize("form", FORMS)
def test_a_member_of_the_workspace_is_accepted(client, cast, form):
    url, data = FORMS[form](cast, str(member_of(cast.acme, cast.viewer).pk))
    login(client, cast.member)
    assert client.post(url, data).status_code == 302


@pytest.mark.parametrize("form", FORMS)
def test_the_choices_are_this_workspaces_members_only(client, cast, form):
    url, _data = FORMS[form](cast, "")
    login(client, cast.member)
    page = client.get(url).content.decode()
    assert _foreign_membership(cast) not in page
    assert str(member_of(cast.acme, cast.viewer).pk) in page


def test_changing_a_ticket_to_another_workspaces_member_changes_nothing(client, cast):
    url, data = _ticket_change(cast, _foreign_membership(cast))
    login(client, cast.member)
    client.post(url, data)
    from terabox_crm.support.models import Ticket

    with scopes_disabled():
        assert Ticket.objects.get().assignee_id is None
