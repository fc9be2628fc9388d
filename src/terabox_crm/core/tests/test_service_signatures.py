"""Every domain service takes the acting membership, never a user and a
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
