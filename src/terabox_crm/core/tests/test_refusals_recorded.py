"""The refusals that did not reach the audit trail before the one guard
(``core.guards``), and now do (S5, AC-5).

Each case names the call, the answer it got before and still gets (status,
code, message — unchanged), and the one ``security.permission.denied`` event
that is now on the workspace's chain with the attempted action and the
reason. Before, these went through ``core/guards.py`` without recording,
contacts' own ``_require``, ``AccountError``, deals', activities' and
support's own 403s (recorded by some web views, never by the API), and a web
view that turned a refusal into a 403 without recording it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone, translation
from django_scopes import scope, scopes_disabled

from terabox_crm import refusals
from terabox_crm.accounts.tests.conftest import enrol
from terabox_crm.activities import services as activities
from terabox_crm.audit.models import AuditEvent
from terabox_crm.contacts import services as contacts
from terabox_crm.core import guards
from terabox_crm.deals import services as deals
from terabox_crm.deals.tests.factories import make_deal, make_pipeline, stage_named
from terabox_crm.refusals import Refusal
from terabox_crm.support import services as support
from terabox_crm.testing.auth import login

DENIED = "security.permission.denied"


def denials() -> list[AuditEvent]:
    with scopes_disabled():
        return list(AuditEvent.objects.filter(action=DENIED).order_by("chain", "seq"))


def _task(cast):
    with scope(workspace=cast.acme):
        return activities.task_create(
            membership=cast.member_membership,
            data=activities.TaskData(
                title="Call back", due_at=timezone.now() + timedelta(days=1), assignee=cast.member
            ),
        )


def deal_create_by_a_viewer(cast):
    pipeline = make_pipeline(cast.acme, cast.owner)
    data = deals.DealData(name="Renewal", stage=stage_named(pipeline, "Lead"))
    return lambda: deals.deal_create(membership=cast.viewer_membership, data=data)


def deal_update_from_another_workspace(cast):
    deal = make_deal(cast.acme, cast.member, make_pipeline(cast.acme, cast.owner))
    data = deals.DealData(name="Renewal", stage=deal.stage)
    return lambda: deals.deal_update(membership=cast.outsider_membership, deal=deal, data=data)


def pipeline_create_by_a_member(cast):
    return lambda: deals.pipeline_create(membership=cast.member_membership, name="Partners")


def deal_delete_by_a_viewer(cast):
    deal = make_deal(cast.acme, cast.member, make_pipeline(cast.acme, cast.owner))
    return lambda: deals.deal_delete(membership=cast.viewer_membership, deal=deal)


def task_create_by_a_viewer(cast):
    data = activities.TaskData(title="Call back", due_at=timezone.now(), assignee=cast.viewer)
    return lambda: activities.task_create(membership=cast.viewer_membership, data=data)


def task_done_by_a_viewer(cast):
    task = _task(cast)
    return lambda: activities.task_set_done(membership=cast.viewer_membership, task=task)


def ticket_open_by_a_viewer(cast):
    data = support.TicketData(subject="Cannot sign in")
    return lambda: support.ticket_open(membership=cast.viewer_membership, data=data)


def contact_create_by_a_viewer(cast):
    data = contacts.ContactData(family_name="Yamada", given_name="Taro")
    return lambda: contacts.contact_create(membership=cast.viewer_membership, data=data)


def saved_view_delete_by_another_member(cast):
    with scope(workspace=cast.acme):
        view = contacts.saved_view_create(
            membership=cast.member_membership, name="Mine", filters={}
        )
    return lambda: contacts.saved_view_delete(membership=cast.manager_membership, view=view)


@dataclass(frozen=True)
class Case:
    arrange: object  # cast → the call that is refused
    status: int
    code: str
    message: str
    attempted: str
    actor: str  # the cast member who tried
    chain: str = "acme"  # the workspace whose chain records it: the actor's


SERVICE_CASES = {
    "core.guards.require": Case(
        deal_create_by_a_viewer, 403, "forbidden", "Viewers cannot create deals.", "deals.add",
        "viewer",
    ),
    "core.guards.in_workspace": Case(
        deal_update_from_another_workspace, 404, "not_member", "Not found.", "deals.change",
        "outsider", "globex",
    ),
    "deals pipeline manager": Case(
        pipeline_create_by_a_member, 403, "forbidden", "Only admins can manage pipelines.",
        "pipelines.manage", "member",
    ),
    "deals object rule": Case(
        deal_delete_by_a_viewer, 403, "forbidden", "You cannot delete this deal.",
        "deals.delete", "viewer",
    ),
    "activities guard": Case(
        task_create_by_a_viewer, 403, "forbidden", "Viewers cannot create tasks.",
        "activities.add", "viewer",
    ),
    "activities object rule": Case(
        task_done_by_a_viewer, 403, "forbidden", "You cannot change this task.",
        "activities.change", "viewer",
    ),
    "support guard": Case(
        ticket_open_by_a_viewer, 403, "forbidden", "Viewers cannot change tickets.",
        "tickets.add", "viewer",
    ),
    "contacts _require": Case(
        contact_create_by_a_viewer, 403, "permission_denied",
        "You do not have permission to do this.", "contacts.add", "viewer",
    ),
    "contacts saved view of another member": Case(
        saved_view_delete_by_another_member, 404, "not_owner", "This saved view is not yours.",
        "saved_views.delete", "manager",
    ),
}  # fmt: skip


@pytest.mark.parametrize("name", SERVICE_CASES)
def test_a_service_refusal_keeps_its_answer_and_is_now_on_the_chain(cast, name):
    case = SERVICE_CASES[name]
    call = case.arrange(cast)
    before = len(denials())
    with translation.override("en"), scope(workspace=cast.acme):
        with pytest.raises(Refusal) as refused:
            call()
        assert refused.value.text == case.message
    assert (refused.value.status, refused.value.code) == (case.status, case.code)
    [event] = denials()[before:]
    assert event.chain == str(getattr(cast, case.chain).pk)
    assert str(event.actor_id) == str(getattr(cast, case.actor).pk)
    assert event.payload["attempted"] == case.attempted
    assert event.payload["reason"] == case.code


def test_turning_off_required_two_factor_keeps_its_answer_and_is_now_on_the_chain(client, cast):
    """Was ``AccountError``; the web view still answers 400 with the message."""
    enrol(cast.member)
    login(client, cast.member, step_up=True)
    response = client.post(reverse("accounts:mfa_disable"), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert "requires two-factor authentication, so it cannot be turned off." in response.text
    [event] = denials()
    assert event.chain == str(cast.acme.pk)
    assert event.actor_id == cast.member.pk
    assert event.payload == {"attempted": "accounts.mfa.disable", "reason": "mfa_required"}


def test_an_api_refusal_from_a_service_keeps_its_answer_and_is_now_on_the_chain(client, cast):
    """Was mapped to problem details without a record (the web view recorded it)."""
    task = _task(cast)
    login(client, cast.viewer)
    response = client.post(f"/api/v1/tasks/{task.pk}/complete/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 403
    assert response.json()["title"] == "You cannot change this task."
    [event] = denials()
    assert event.object_id == str(task.pk)
    assert event.payload == {"attempted": "activities.change", "reason": "forbidden"}


def test_a_web_view_that_answered_403_without_a_record_now_records(client, cast, monkeypatch):
    """The company delete page turned the service's refusal into a 403 unrecorded."""
    from terabox_crm.contacts.models import Company

    with scope(workspace=cast.acme):
        company = contacts.company_create(
            membership=cast.member_membership, data=contacts.CompanyData(name="Acme Trading")
        )
    # The page's own check passes; the service's (a rule the page does not know) refuses.
    monkeypatch.setattr(
        contacts,
        "_require",
        lambda membership, action, obj=None: guards.require(
            membership, action, obj, allowed=False, code="permission_denied"
        ),
    )
    login(client, cast.member)
    response = client.post(reverse("companies:delete", args=[company.pk]))
    assert response.status_code == 403
    with scopes_disabled():
        assert Company.objects.filter(pk=company.pk).exists()
    [event] = denials()
    assert event.object_id == str(company.pk)
    assert event.payload == {"attempted": "companies.delete", "reason": "permission_denied"}


def test_a_flood_of_denials_stays_within_the_budget(cast, monkeypatch):
    """The answer is the same every time; the chain gets at most the budget."""
    monkeypatch.setattr(refusals, "DENIALS_RECORDED", 3)
    call = task_create_by_a_viewer(cast)
    for _attempt in range(5):
        with scope(workspace=cast.acme), pytest.raises(Refusal) as refused:
            call()
        assert refused.value.status == 403
    assert len(denials()) == 3


def test_core_services_deny_through_the_one_guard_and_its_budget(cast, monkeypatch):
    """Workspace, member and team services refuse like the domain services:
    the same recorded denial, within the same budget per actor."""
    from terabox_crm.core import members, teams

    monkeypatch.setattr(refusals, "DENIALS_RECORDED", 3)
    calls = [
        lambda: teams.team_create(membership=cast.viewer_membership, name="Sales"),
        lambda: members.member_remove(
            membership=cast.viewer_membership, target=cast.member_membership
        ),
    ] * 3
    for call in calls:
        with pytest.raises(Refusal) as refused:
            call()
        assert (refused.value.status, refused.value.code) == (403, "permission_denied")
    recorded = denials()
    assert [event.payload["attempted"] for event in recorded] == [
        "core.team.create",
        "core.member.remove",
        "core.team.create",
    ]
    assert {event.actor_id for event in recorded} == {cast.viewer.pk}
