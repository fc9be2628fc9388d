"""``core.members``: a user id names a member of the caller's workspace or
gets one answer, whatever else it names (S6); a run of such ids is recorded
as probing, once per actor and window (S7)."""

from __future__ import annotations

import uuid

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation
from django_scopes import scopes_disabled

from terabox_crm.audit.models import AuditEvent
from terabox_crm.core import members
from terabox_crm.core.forms import MemberChoiceField
from terabox_crm.core.models import Membership
from terabox_crm.refusals import Refusal


def _refusal(cast, value, *, actor=None) -> Refusal:
    with pytest.raises(Refusal) as refused:
        members.member_user(
            workspace=cast.acme, value=value, actor=actor or cast.member, field="owner"
        )
    return refused.value


def _answer(refusal: Refusal) -> tuple:
    return (str(refusal.message), refusal.code, refusal.status, refusal.field)


def test_a_member_of_the_workspace_is_returned(cast):
    found = members.member_user(
        workspace=cast.acme, value=str(cast.viewer.pk), actor=cast.member, field="owner"
    )
    assert found == cast.viewer


def test_an_unknown_id_and_another_workspaces_user_get_the_same_answer(cast):
    assert _answer(_refusal(cast, uuid.uuid4())) == _answer(_refusal(cast, cast.outsider.pk))


def test_a_former_member_gets_the_same_answer_as_an_unknown_id(cast):
    with scopes_disabled():
        Membership.objects.filter(workspace=cast.acme, user=cast.viewer).delete()
    assert _answer(_refusal(cast, cast.viewer.pk)) == _answer(_refusal(cast, uuid.uuid4()))


def test_a_malformed_id_gets_the_same_answer_as_an_unknown_one(cast):
    assert _answer(_refusal(cast, "not-a-uuid")) == _answer(_refusal(cast, uuid.uuid4()))


@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("en", "Choose a member of this workspace."),
        ("ja", "このワークスペースのメンバーを選んでください。"),
    ],
)
def test_the_answer_is_translated(cast, language, message):
    with translation.override(language):
        assert str(_refusal(cast, cast.outsider.pk).message) == message


def test_keeping_the_current_user_is_not_checked_again(cast):
    with scopes_disabled():
        Membership.objects.filter(workspace=cast.acme, user=cast.viewer).delete()
    kept = members.member_user(
        workspace=cast.acme,
        value=str(cast.viewer.pk),
        actor=cast.member,
        field="owner",
        current=cast.viewer,
    )
    assert kept == cast.viewer


def test_the_fifth_refused_id_in_a_window_carries_one_probing_event(cast):
    carried = [len(_refusal(cast, uuid.uuid4()).audit_events) for _attempt in range(7)]
    assert carried == [0, 0, 0, 0, 1, 0, 0]


def test_the_probing_event_holds_ids_and_a_count_only(cast):
    for _attempt in range(members.PROBE_LIMIT - 1):
        _refusal(cast, uuid.uuid4())
    (event,) = _refusal(cast, cast.outsider.pk).audit_events
    assert event["action"] == "security.request.foreign_user_id"
    assert (event["actor"], event["workspace"]) == (cast.member.pk, cast.acme.pk)
    assert event["payload"] == {
        "attempted": "owner",
        "reason": "not_a_member",
        "user_id": str(cast.outsider.pk),
        "attempts": members.PROBE_LIMIT,
        "window_seconds": members.PROBE_WINDOW,
    }


def test_attempts_are_counted_per_actor(cast):
    for _attempt in range(members.PROBE_LIMIT - 1):
        _refusal(cast, uuid.uuid4(), actor=cast.member)
    assert _refusal(cast, uuid.uuid4(), actor=cast.viewer).audit_events == []


def test_a_service_records_the_probing_event_after_its_rollback(cast):
    from django_scopes import scope

    from terabox_crm.activities import services

    with scope(workspace=cast.acme):
        for _attempt in range(members.PROBE_LIMIT):
            with pytest.raises(Refusal):
                services.task_create(
                    membership=cast.member_membership,
                    data=services.TaskData(
                        title="Call", due_at=cast.acme.created_at, assignee=uuid.uuid4()
                    ),
                )
    with scopes_disabled():
        events = list(AuditEvent.objects.filter(action="security.request.foreign_user_id"))
    assert [(event.actor_id, event.payload["attempted"]) for event in events] == [
        (cast.member.pk, "assignee")
    ]


def test_a_tampered_member_choice_gets_the_same_answer(cast):
    field = MemberChoiceField()
    field.limit_to(cast.acme)
    with scopes_disabled():
        foreign = Membership.objects.get(user=cast.outsider)
    with translation.override("en"):
        with pytest.raises(ValidationError) as refused:
            field.clean(str(foreign.pk))
        assert refused.value.messages == ["Choose a member of this workspace."]


def test_the_member_choices_are_the_workspaces_members(cast):
    field = MemberChoiceField()
    field.limit_to(cast.acme)
    assert {membership.user for membership in field.queryset} == {
        cast.owner,
        cast.admin,
        cast.manager,
        cast.member,
        cast.viewer,
    }
