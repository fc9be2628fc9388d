"""The permission policy as a matrix (S6): every registered action by every role,
plain and with each capability, against a table decided here.

Adding an action without deciding its row fails ``test_every_action_has_a_row``.
Another app may keep the rows of its own actions beside its code, in
``<app>/tests/policy_matrix.py`` defining ``MATRIX`` in the same format; they
are merged into the table below.
"""

from __future__ import annotations

import importlib
import importlib.util

import pytest
from django.apps import apps

from terabox_crm.core import policy
from terabox_crm.core.models import Membership, Workspace
from terabox_crm.core.roles import Capability, Role

ROLES = (Role.OWNER, Role.ADMIN, Role.MANAGER, Role.MEMBER, Role.VIEWER)
CAPABILITIES = (None, Capability.PRIVACY_OFFICER, Capability.AUDITOR)

# One column per role: owner, admin, manager, member, viewer. In each, three
# marks: the role alone / with privacy officer / with auditor. Y allowed, - denied.
CORE_MATRIX = {
    #                     owner  admin  manager member viewer
    "workspace.view":     ("YYY", "YYY", "YYY", "YYY", "YYY"),
    "workspace.settings": ("YYY", "---", "---", "---", "---"),
    "workspace.leave":    ("YYY", "YYY", "YYY", "YYY", "YYY"),
    "members.view":       ("YYY", "YYY", "YYY", "YYY", "YYY"),
    "members.manage":     ("YYY", "YYY", "---", "---", "---"),
    "teams.view":         ("YYY", "YYY", "YYY", "YYY", "YYY"),
    "teams.manage":       ("YYY", "YYY", "---", "---", "---"),
    "workspace.record_visibility": ("YYY", "---", "---", "---", "---"),
    "audit.view":         ("YYY", "YYY", "--Y", "--Y", "--Y"),
    "security.view":      ("YYY", "YYY", "--Y", "--Y", "--Y"),
}  # fmt: skip

# Who may grant which role: rows are the granting role, columns the granted
# role (owner, admin, manager, member, viewer).
GRANT_MATRIX = {
    #               owner admin manager member viewer
    Role.OWNER:    ("Y", "Y", "Y", "Y", "Y"),
    Role.ADMIN:    ("-", "-", "Y", "Y", "Y"),
    Role.MANAGER:  ("-", "-", "-", "-", "-"),
    Role.MEMBER:   ("-", "-", "-", "-", "-"),
    Role.VIEWER:   ("-", "-", "-", "-", "-"),
}  # fmt: skip

# Who may change (role, capabilities, removal) a member of which role.
CHANGE_MATRIX = {
    #               owner admin manager member viewer
    Role.OWNER:    ("Y", "Y", "Y", "Y", "Y"),
    Role.ADMIN:    ("-", "-", "Y", "Y", "Y"),
    Role.MANAGER:  ("-", "-", "-", "-", "-"),
    Role.MEMBER:   ("-", "-", "-", "-", "-"),
    Role.VIEWER:   ("-", "-", "-", "-", "-"),
}  # fmt: skip

# Who may hand out each capability (privacy officer, auditor).
CAPABILITY_MATRIX = {
    Role.OWNER: ("Y", "Y"),
    Role.ADMIN: ("Y", "Y"),
    Role.MANAGER: ("-", "-"),
    Role.MEMBER: ("-", "-"),
    Role.VIEWER: ("-", "-"),
}


def _other_apps_rows() -> dict[str, tuple[str, ...]]:
    rows: dict[str, tuple[str, ...]] = {}
    for config in apps.get_app_configs():
        if not config.name.startswith("terabox_crm.") or config.label == "core":
            continue
        name = f"{config.name}.tests.policy_matrix"
        try:
            found = importlib.util.find_spec(name)
        except ModuleNotFoundError:
            found = None
        if found is not None:
            rows.update(importlib.import_module(name).MATRIX)
    return rows


EXPECTED = {**CORE_MATRIX, **_other_apps_rows()}


@pytest.fixture
def acme() -> Workspace:
    # Unsaved: the policy compares ids only, so the matrix needs no database.
    return Workspace(name="Acme", slug="acme")


@pytest.fixture
def globex() -> Workspace:
    return Workspace(name="Globex", slug="globex")


def _membership(workspace, role, capability=None) -> Membership:
    return Membership(
        workspace=workspace,
        role=role,
        is_privacy_officer=capability == Capability.PRIVACY_OFFICER,
        is_auditor=capability == Capability.AUDITOR,
    )


def test_every_action_has_a_row():
    registered = set(policy.permissions())
    assert registered - set(EXPECTED) == set(), "decide the matrix row of these new actions"
    assert set(EXPECTED) - registered == set(), "these rows name actions nobody registers"


def test_rows_are_well_formed():
    for action, row in EXPECTED.items():
        assert len(row) == len(ROLES), action
        assert all(len(cell) == len(CAPABILITIES) and set(cell) <= {"Y", "-"} for cell in row)


@pytest.mark.parametrize("action", sorted(EXPECTED))
def test_action_matrix(action, acme):
    row = EXPECTED[action]
    for role, cell in zip(ROLES, row, strict=True):
        for capability, mark in zip(CAPABILITIES, cell, strict=True):
            membership = _membership(acme, role, capability)
            assert policy.can(membership, action) is (mark == "Y"), (action, role, capability)


@pytest.mark.parametrize("action", sorted(EXPECTED))
def test_membership_of_another_workspace_is_denied_on_this_workspaces_objects(action, acme, globex):
    for role in ROLES:
        for capability in CAPABILITIES:
            outsider = _membership(globex, role, capability)
            assert not policy.can(outsider, action, _membership(acme, Role.MEMBER)), (
                role,
                capability,
            )
            assert not policy.can(outsider, action, acme), (role, capability)


def test_own_workspace_object_follows_the_role_rule(acme):
    assert policy.can(
        _membership(acme, Role.OWNER), "members.manage", _membership(acme, Role.MEMBER)
    )
    assert policy.can(_membership(acme, Role.OWNER), "workspace.settings", acme)


def test_no_membership_and_unknown_action_are_denied(acme):
    assert not policy.can(None, "workspace.view")
    assert not policy.can(_membership(acme, Role.OWNER), "workspace.no_such_action")


@pytest.mark.parametrize("granter", ROLES)
def test_can_grant_role_matrix(granter, acme):
    membership = _membership(acme, granter)
    for granted, mark in zip(ROLES, GRANT_MATRIX[granter], strict=True):
        assert policy.can_grant_role(membership, granted) is (mark == "Y"), (granter, granted)


def test_capabilities_do_not_let_anyone_grant_roles(acme):
    for role in (Role.MANAGER, Role.MEMBER, Role.VIEWER):
        for capability in (Capability.PRIVACY_OFFICER, Capability.AUDITOR):
            membership = _membership(acme, role, capability)
            assert policy.grantable_roles(membership) == []


def test_unknown_role_cannot_be_granted(acme):
    assert not policy.can_grant_role(_membership(acme, Role.OWNER), "superuser")
    assert not policy.can_grant_role(None, Role.VIEWER)


def test_grantable_roles_are_listed_highest_first(acme):
    assert policy.grantable_roles(_membership(acme, Role.ADMIN)) == [
        Role.MANAGER,
        Role.MEMBER,
        Role.VIEWER,
    ]


@pytest.mark.parametrize("changer", ROLES)
def test_can_change_member_matrix(changer, acme):
    membership = _membership(acme, changer)
    for target_role, mark in zip(ROLES, CHANGE_MATRIX[changer], strict=True):
        target = _membership(acme, target_role)
        assert policy.can_change_member(membership, target) is (mark == "Y"), (
            changer,
            target_role,
        )


@pytest.mark.parametrize("changer", ROLES)
def test_putting_a_member_into_a_team_follows_the_change_matrix(changer, acme):
    membership = _membership(acme, changer)
    for target_role, mark in zip(ROLES, CHANGE_MATRIX[changer], strict=True):
        target = _membership(acme, target_role)
        assert policy.can_assign_team(membership, target) is (mark == "Y"), (changer, target_role)


def test_cannot_put_a_member_of_another_workspace_into_a_team(acme, globex):
    assert not policy.can_assign_team(
        _membership(acme, Role.OWNER), _membership(globex, Role.MEMBER)
    )
    assert not policy.can_assign_team(None, _membership(acme, Role.MEMBER))


def test_cannot_change_a_member_of_another_workspace(acme, globex):
    assert not policy.can_change_member(
        _membership(acme, Role.OWNER), _membership(globex, Role.MEMBER)
    )


@pytest.mark.parametrize("granter", ROLES)
def test_can_grant_capability_matrix(granter, acme):
    membership = _membership(acme, granter)
    for capability, mark in zip(
        (Capability.PRIVACY_OFFICER, Capability.AUDITOR), CAPABILITY_MATRIX[granter], strict=True
    ):
        assert policy.can_grant_capability(membership, capability) is (mark == "Y")


def test_permissions_that_expose_personal_data_say_so():
    exposing = {a for a, p in policy.permissions().items() if p.exposes_personal_data}
    assert {"members.view", "members.manage", "audit.view", "security.view"} <= exposing
    assert {"teams.manage", "workspace.record_visibility"} <= exposing
