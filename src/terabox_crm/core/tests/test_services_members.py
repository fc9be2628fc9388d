"""member_change_role, member_set_capabilities, member_remove: the rank rules."""

import pytest
from django.utils import translation
from django_scopes import scopes_disabled

from terabox_crm.core import members
from terabox_crm.core.models import Membership
from terabox_crm.core.roles import Role
from terabox_crm.core.tests.support import core_state, events, membership_exists, role_of
from terabox_crm.refusals import Refusal
from terabox_crm.testing import factories


def _refused(call, **kwargs) -> Refusal:
    before = core_state()
    with pytest.raises(Refusal) as caught:
        call(**kwargs)
    assert core_state() == before, "a refused request must change nothing"
    return caught.value


# --- Roles ----------------------------------------------------------------------------------


def test_owner_promotes_a_member_to_admin(cast):
    members.member_change_role(
        membership=cast.owner_membership, target=cast.member_membership, role="admin"
    )
    assert role_of(cast.member_membership) == Role.ADMIN
    [event] = events("core.member.role_changed")
    assert event.payload == {"user": str(cast.member.pk), "before": "member", "after": "admin"}
    assert event.object_id == str(cast.member_membership.pk)


def test_owner_may_make_another_owner(cast):
    members.member_change_role(
        membership=cast.owner_membership, target=cast.admin_membership, role="owner"
    )
    assert role_of(cast.admin_membership) == Role.OWNER


def test_admin_changes_roles_below_own(cast):
    members.member_change_role(
        membership=cast.admin_membership, target=cast.viewer_membership, role=Role.MANAGER
    )
    assert role_of(cast.viewer_membership) == Role.MANAGER


@pytest.mark.parametrize("role", [Role.ADMIN, Role.OWNER])
def test_admin_cannot_grant_at_or_above_own_role(cast, role):
    error = _refused(
        members.member_change_role,
        membership=cast.admin_membership,
        target=cast.member_membership,
        role=role,
    )
    assert (error.code, error.status) == ("role_above_own", 403)
    [event] = events("security.permission.denied")
    assert event.actor_id == cast.admin.pk
    assert event.payload["attempted"] == "core.member.change_role"
    assert event.payload["role"] == role


def test_admin_cannot_change_an_owner(cast):
    error = _refused(
        members.member_change_role,
        membership=cast.admin_membership,
        target=cast.owner_membership,
        role=Role.VIEWER,
    )
    assert (error.code, error.status) == ("member_at_or_above_own", 403)
    assert events("security.permission.denied")[0].payload["target_role"] == Role.OWNER


def test_admin_cannot_change_another_admin(cast):
    other = factories.add_member(cast.acme, factories.make_user("a2@acme.example"), Role.ADMIN)
    error = _refused(
        members.member_change_role, membership=cast.admin_membership, target=other, role=Role.VIEWER
    )
    assert error.code == "member_at_or_above_own"


def test_admin_cannot_change_their_own_role(cast):
    error = _refused(
        members.member_change_role,
        membership=cast.admin_membership,
        target=cast.admin_membership,
        role=Role.MANAGER,
    )
    assert error.code == "member_at_or_above_own"


@pytest.mark.parametrize("actor", ["manager", "member", "viewer"])
def test_below_admin_nobody_changes_roles(cast, actor):
    error = _refused(
        members.member_change_role,
        membership=getattr(cast, f"{actor}_membership"),
        target=cast.viewer_membership,
        role=Role.VIEWER,
    )
    assert (error.code, error.status) == ("permission_denied", 403)
    assert len(events("security.permission.denied")) == 1


def test_last_owner_cannot_demote_themselves(cast):
    error = _refused(
        members.member_change_role,
        membership=cast.owner_membership,
        target=cast.owner_membership,
        role=Role.ADMIN,
    )
    assert (error.code, error.status) == ("last_owner", 409)
    assert events("security.permission.denied")[0].payload["reason"] == "last_owner"


def test_an_owner_may_step_down_when_another_owner_remains(cast):
    members.member_change_role(
        membership=cast.owner_membership, target=cast.admin_membership, role="owner"
    )
    members.member_change_role(
        membership=cast.owner_membership, target=cast.owner_membership, role="admin"
    )
    assert role_of(cast.owner_membership) == Role.ADMIN


def test_unknown_role_is_refused_as_tampering(cast):
    error = _refused(
        members.member_change_role,
        membership=cast.owner_membership,
        target=cast.member_membership,
        role="root",
    )
    assert error.status == 400
    assert len(events("security.request.invalid")) == 1


def test_same_role_changes_nothing_and_records_nothing(cast):
    members.member_change_role(
        membership=cast.owner_membership, target=cast.member_membership, role=Role.MEMBER
    )
    assert events("core.member.role_changed") == []


def test_outsider_cannot_change_a_member_of_another_workspace(cast):
    error = _refused(
        members.member_change_role,
        membership=cast.outsider_membership,
        target=cast.member_membership,
        role=Role.VIEWER,
    )
    assert (error.code, error.status) == ("not_a_member", 404)


def test_role_refusal_is_translated(cast):
    for language, text in (("en", "same as or higher"), ("ja", "同じか上")):
        with translation.override(language), pytest.raises(Refusal) as caught:
            members.member_change_role(
                membership=cast.admin_membership, target=cast.owner_membership, role=Role.VIEWER
            )
        with translation.override(language):
            assert text in caught.value.text


# --- Capabilities ------------------------------------------------------------------------------


def test_admin_gives_a_member_the_auditor_capability(cast):
    members.member_set_capabilities(
        membership=cast.admin_membership,
        target=cast.member_membership,
        privacy_officer=False,
        auditor=True,
    )
    with scopes_disabled():
        stored = Membership.objects.get(pk=cast.member_membership.pk)
    assert stored.is_auditor and not stored.is_privacy_officer
    [event] = events("core.member.capabilities_changed")
    assert event.payload["is_auditor"] == {"before": False, "after": True}
    assert "is_privacy_officer" not in event.payload


def test_capability_makes_two_factor_mandatory_even_when_relaxed(cast):
    cast.acme.mfa_required_for_all = False
    cast.acme.save()
    membership = members.member_set_capabilities(
        membership=cast.owner_membership,
        target=cast.viewer_membership,
        privacy_officer=True,
        auditor=False,
    )
    assert cast.acme.requires_mfa_for(membership)
    assert not cast.acme.requires_mfa_for(cast.member_membership)


def test_manager_cannot_grant_capabilities(cast):
    error = _refused(
        members.member_set_capabilities,
        membership=cast.manager_membership,
        target=cast.viewer_membership,
        privacy_officer=True,
        auditor=True,
    )
    assert error.status == 403
    assert len(events("security.permission.denied")) == 1


def test_admin_cannot_give_themselves_a_capability(cast):
    error = _refused(
        members.member_set_capabilities,
        membership=cast.admin_membership,
        target=cast.admin_membership,
        privacy_officer=True,
        auditor=False,
    )
    assert error.code == "member_at_or_above_own"


# --- Removing and leaving ---------------------------------------------------------------------------


def test_admin_removes_a_member(cast):
    members.member_remove(membership=cast.admin_membership, target=cast.member_membership)
    assert not membership_exists(cast.member_membership)
    [event] = events("core.member.removed")
    assert event.object_id == str(cast.member_membership.pk)
    assert event.payload == {"user": str(cast.member.pk), "role": "member"}


def test_admin_cannot_remove_an_owner(cast):
    error = _refused(
        members.member_remove, membership=cast.admin_membership, target=cast.owner_membership
    )
    assert (error.code, error.status) == ("member_at_or_above_own", 403)
    assert len(events("security.permission.denied")) == 1


def test_member_cannot_remove_anyone(cast):
    error = _refused(
        members.member_remove, membership=cast.member_membership, target=cast.viewer_membership
    )
    assert error.code == "permission_denied"


def test_last_owner_can_never_be_removed(cast):
    error = _refused(
        members.member_remove, membership=cast.owner_membership, target=cast.owner_membership
    )
    assert (error.code, error.status) == ("last_owner", 409)
    assert len(events("security.permission.denied")) == 1


def test_one_of_two_owners_may_remove_the_other(cast):
    members.member_change_role(
        membership=cast.owner_membership, target=cast.admin_membership, role="owner"
    )
    members.member_remove(membership=cast.admin_membership, target=cast.owner_membership)
    assert not membership_exists(cast.owner_membership)


def test_a_viewer_may_leave(cast):
    members.member_remove(membership=cast.viewer_membership, target=cast.viewer_membership)
    assert not membership_exists(cast.viewer_membership)
    [event] = events("core.member.left")
    assert event.actor_id == cast.viewer.pk


def test_last_owner_cannot_leave(cast):
    error = _refused(
        members.member_remove, membership=cast.outsider_membership, target=cast.outsider_membership
    )
    assert error.code == "last_owner"


def test_last_owner_message_is_translated(cast):
    for language, text in (("en", "at least one owner"), ("ja", "オーナー")):
        with translation.override(language), pytest.raises(Refusal) as caught:
            members.member_remove(membership=cast.owner_membership, target=cast.owner_membership)
        with translation.override(language):
            assert text in caught.value.text
