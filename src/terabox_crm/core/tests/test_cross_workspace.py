"""Every URL of the project, tried with another workspace's ids (S6, issue 2)."""

import pytest
from django.test import override_settings

from terabox_crm.testing import cross_workspace
from terabox_crm.testing.cross_workspace import Foreign, assert_no_cross_workspace_access


@pytest.fixture
def foreign(cast) -> Foreign:
    return Foreign(workspace=cast.globex, owner=cast.outsider, membership=cast.outsider_membership)


def test_no_url_of_the_project_serves_another_workspaces_objects(client, cast, foreign):
    report = assert_no_cross_workspace_access(client, user=cast.owner, foreign=foreign)
    core_urls = {
        "core:member_role",
        "core:member_capabilities",
        "core:member_remove",
        "core:invitation_revoke",
        "core:invitation_resend",
    }
    assert core_urls <= report.names
    assert len(report.checked) >= len(core_urls) * len(cross_workspace.METHODS)


def test_core_urls_serve_no_foreign_objects(client, cast, foreign):
    # The same walk, judged on core's own URLs only: stays meaningful while
    # another app has yet to register the factories of its parameters.
    report = cross_workspace.check_all(client, user=cast.owner, foreign=foreign)
    ours = [p for p in report.problems if "(core:" in p or p.startswith("core:")]
    changed = [p for p in report.problems if "foreign workspace changed" in p]
    assert ours == []
    assert changed == []
    assert "core:member_role" in report.names


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
