"""Every URL of the project, tried with another workspace's ids (S6)."""

import pytest
from django.test import override_settings

from terabox_crm.testing import cross_workspace
from terabox_crm.testing.cross_workspace import Foreign, assert_no_cross_workspace_access


@pytest.fixture
def foreign(cast) -> Foreign:
    return Foreign(workspace=cast.globex, owner=cast.outsider, membership=cast.outsider_membership)


# Named URLs of every app that the one walk must reach; a URL with a
# parameter and no factory already fails the walk, so these only guard
# against a registry that silently stopped walking an app.
MUST_REACH = {
    "core:member_role",
    "core:member_capabilities",
    "core:member_remove",
    "core:invitation_revoke",
    "core:invitation_resend",
    "contacts:detail",
    "contacts:edit",
    "contacts:delete",
    "contacts:merge",
    "contacts:duplicates",
    "contacts:saved_view_delete",
    "companies:detail",
    "companies:edit",
    "companies:delete",
    "api:v1:contact-detail",
    "api:v1:company-detail",
    "webhooks:detail",
    "retention:hold_set",
    "retention:hold_lift",
    "api:legal-hold-lift",
    "webhooks:rotate",
    "webhooks:delete",
    "webhooks:ping",
    "webhooks:redeliver",
    "api_tokens:revoke",
    "api:v1:webhook-endpoint-detail",
    "api:v1:webhook-endpoint-deliveries",
    "audit:event",
    "api:v1:audit-event-detail",
    "api:v1:security-event-detail",
}


def test_no_url_of_the_project_serves_another_workspaces_objects(client, cast, foreign):
    # The one strict walk of every URL (S6): any problem anywhere fails it,
    # so the apps need no walks of their own.
    report = assert_no_cross_workspace_access(client, user=cast.owner, foreign=foreign)
    assert report.names >= MUST_REACH
    assert len(report.checked) >= len(report.names) * len(cross_workspace.METHODS)


def test_the_walk_reaches_urls_inside_includes():
    found = {route.name: route for route in cross_workspace.routes()}
    assert set(found["core:member_role"].params) == {"membership_id"}
    assert set(found["core:invite_accept"].params) == {"token"}
    assert found["core:members"].params == {}


def test_token_urls_are_allow_listed_with_a_reason():
    public = cross_workspace.public_urls()
    assert "core:invite_accept" in public
    assert all(reason.strip() for reason in public.values())


@override_settings(ROOT_URLCONF="terabox_crm.core.tests.leaky_urls")
def test_a_view_that_leaks_a_foreign_object_is_caught(client, cast, foreign):
    report = cross_workspace.check_all(client, user=cast.owner, foreign=foreign)
    leaky = [problem for problem in report.problems if "(leaky_member)" in problem]
    assert any("answered 200" in problem for problem in leaky)
    assert any("colleague@globex.example" in problem for problem in leaky)


@override_settings(ROOT_URLCONF="terabox_crm.core.tests.leaky_urls")
def test_a_url_parameter_without_a_factory_fails(client, cast, foreign):
    with pytest.raises(AssertionError, match="thing_id"):
        assert_no_cross_workspace_access(client, user=cast.owner, foreign=foreign)
