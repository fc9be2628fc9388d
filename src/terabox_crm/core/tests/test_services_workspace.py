"""workspace_create and workspace_update_settings."""

import pytest
from django_scopes import scopes_disabled

from terabox_crm.core import workspaces
from terabox_crm.core.models import Membership, Workspace
from terabox_crm.core.roles import Role
from terabox_crm.core.tests.support import core_state, ended, events
from terabox_crm.refusals import Refusal


def test_creator_becomes_the_owner(cast):
    workspace = workspaces.workspace_create(actor=cast.member, name="  Initech   KK ")
    assert workspace.name == "Initech KK"
    with scopes_disabled():
        membership = Membership.objects.get(workspace=workspace, user=cast.member)
    assert membership.role == Role.OWNER


def test_creation_is_audited_on_the_new_workspace_chain(cast):
    workspace = workspaces.workspace_create(actor=cast.member, name="Initech")
    [event] = events("core.workspace.created")
    assert event.chain == str(workspace.pk)
    assert event.actor_id == cast.member.pk
    assert event.payload["slug"] == workspace.slug


def test_same_name_gets_a_distinct_slug(cast):
    first = workspaces.workspace_create(actor=cast.member, name="Acme")  # cast already has "acme"
    second = workspaces.workspace_create(actor=cast.member, name="Acme")
    assert len({first.slug, second.slug, cast.acme.slug}) == 3
    assert first.slug.startswith("acme-")


def test_japanese_name_gets_an_ascii_slug(cast):
    workspace = workspaces.workspace_create(actor=cast.member, name="株式会社テラボックス")
    assert workspace.name == "株式会社テラボックス"
    assert workspace.slug.isascii()
    assert workspace.slug


@pytest.mark.parametrize(("name", "code"), [("   ", "name_required"), ("x" * 121, "name_too_long")])
def test_bad_name_is_refused_and_nothing_is_created(cast, name, code):
    before = core_state()
    with pytest.raises(Refusal) as caught:
        workspaces.workspace_create(actor=cast.member, name=name)
    assert caught.value.code == code
    assert caught.value.status == 400
    assert core_state() == before


def test_owner_relaxes_two_factor_and_it_is_recorded(cast):
    workspaces.workspace_update_settings(
        membership=cast.owner_membership, name="Acme", mfa_required_for_all=False
    )
    assert Workspace.objects.get(pk=cast.acme.pk).mfa_required_for_all is False
    [event] = events("core.workspace.settings_changed")
    assert event.payload == {
        "changed": ["mfa_required_for_all"],
        "mfa_required_for_all": {"before": True, "after": False},
    }


def test_rename_records_the_field_not_the_names(cast):
    workspaces.workspace_update_settings(
        membership=cast.owner_membership, name="Acme Japan", mfa_required_for_all=True
    )
    [event] = events("core.workspace.settings_changed")
    assert event.payload == {"changed": ["name"]}
    assert "Acme" not in str(event.payload)


def test_saving_unchanged_settings_records_nothing(cast):
    workspaces.workspace_update_settings(
        membership=cast.owner_membership, name="Acme", mfa_required_for_all=True
    )
    assert events("core.workspace.settings_changed") == []


def test_admin_cannot_change_settings_and_the_attempt_is_recorded(cast):
    before = core_state()
    with pytest.raises(Refusal) as caught:
        workspaces.workspace_update_settings(
            membership=cast.admin_membership, name="Hijacked", mfa_required_for_all=False
        )
    assert caught.value.status == 403
    assert core_state() == before
    [event] = events("security.permission.denied")
    assert event.chain == str(cast.acme.pk)
    assert event.actor_id == cast.admin.pk
    assert event.payload["attempted"] == "core.workspace.settings"


def test_a_member_who_has_left_cannot_change_the_settings(cast):
    gone = ended(cast.owner_membership)
    before = core_state()
    with pytest.raises(Refusal) as caught:
        workspaces.workspace_update_settings(
            membership=gone, name="Mine", mfa_required_for_all=False
        )
    assert (caught.value.code, caught.value.status) == ("not_a_member", 404)
    assert core_state() == before
    [event] = events("security.permission.denied")
    assert (event.chain, event.payload["attempted"]) == (
        str(cast.acme.pk),
        "core.workspace.settings",
    )


def test_the_settings_service_reads_the_actors_role_as_it_is_now(cast):
    """A membership loaded before its owner was demoted acts with the new role."""
    stale = cast.owner_membership
    with scopes_disabled():
        Membership.objects.filter(pk=stale.pk).update(role=Role.ADMIN)
    with pytest.raises(Refusal) as caught:
        workspaces.workspace_update_settings(
            membership=stale, name="Mine", mfa_required_for_all=False
        )
    assert (caught.value.code, caught.value.status) == ("permission_denied", 403)
    assert Workspace.objects.get(pk=cast.acme.pk).name == "Acme"
