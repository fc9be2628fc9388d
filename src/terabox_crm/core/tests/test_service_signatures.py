"""Every domain and workspace service takes the acting membership, never a user and a
workspace that might not belong together (the policy and the guard ask
about a membership, ``core.guards``)."""

from __future__ import annotations

import importlib
import inspect

import pytest

DOMAIN_SERVICES = [
    "terabox_crm.contacts.services",
    "terabox_crm.deals.services",
    "terabox_crm.activities.services",
    "terabox_crm.support.services",
    "terabox_crm.webhooks.services",
    "terabox_crm.api.services",
]


def _services(module_name: str):
    """The module's services: public functions with keyword-only arguments
    (helpers and rules such as ``can_work_on`` take positional ones)."""
    module = importlib.import_module(module_name)
    for name, function in inspect.getmembers(module, inspect.isfunction):
        if function.__module__ != module_name or name.startswith("_"):
            continue
        params = inspect.signature(function).parameters
        if params and all(p.kind is inspect.Parameter.KEYWORD_ONLY for p in params.values()):
            yield name, params


@pytest.mark.parametrize("module_name", DOMAIN_SERVICES)
def test_domain_services_take_the_membership_not_an_actor_and_a_workspace(module_name):
    services = dict(_services(module_name))
    assert services
    taking_actor = [
        name for name, params in services.items() if {"actor", "workspace"} & set(params)
    ]
    assert taking_actor == []
    acting = [name for name, params in services.items() if "membership" in params]
    assert acting, "each domain app has services that act for a member"


CORE_SERVICES = [
    "terabox_crm.core.workspaces",
    "terabox_crm.core.invitations",
    "terabox_crm.core.members",
    "terabox_crm.core.teams",
]
# Before any membership exists the actor is a user (or nobody): creating a
# workspace, checking, accepting or signing up through an invitation.
BEFORE_MEMBERSHIP = {
    "workspace_create": {"actor"},
    "invitation_check": {"actor"},
    "invitation_accept": {"actor"},
    "invitation_sign_up": set(),
}
# Not services acting for someone: they resolve a user id for the domain
# services (``core.members``), in the workspace of the record being written.
RESOLVERS = {"member_user", "note_non_member"}


@pytest.mark.parametrize("module_name", CORE_SERVICES)
def test_core_services_take_the_acting_membership_as_domain_services_do(module_name):
    services = {
        name: set(params) for name, params in _services(module_name) if name not in RESOLVERS
    }
    assert services
    for name, params in services.items():
        if name in BEFORE_MEMBERSHIP:
            assert params & {"actor", "membership"} == BEFORE_MEMBERSHIP[name], name
        else:
            assert "membership" in params, name
            assert not params & {"actor", "workspace", "user"}, name


def test_the_command_line_owner_takes_no_actor():
    from terabox_crm.ops import owners

    params = inspect.signature(owners.owner_create).parameters
    assert not set(params) & {"actor", "membership", "user"}
