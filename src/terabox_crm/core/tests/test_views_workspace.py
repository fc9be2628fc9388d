"""Create, settings and switch, through HTTP."""

from django.urls import reverse
from django_scopes import scopes_disabled

from terabox_crm.core.middleware import WorkspaceMiddleware
from terabox_crm.core.models import Membership, Workspace
from terabox_crm.core.roles import Role
from terabox_crm.core.tests.support import core_state, events
from terabox_crm.testing import factories
from terabox_crm.testing.auth import login

CREATE = reverse("core:create")
SETTINGS = reverse("core:settings")


def test_create_page_in_both_languages(client, cast):
    login(client, cast.member)
    assert "Create a workspace" in client.get(CREATE, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "ワークスペースを作成" in client.get(CREATE, HTTP_ACCEPT_LANGUAGE="ja").content.decode()


def test_create_makes_the_user_owner_and_opens_the_workspace(client, cast):
    user = factories.make_user("founder@example.jp")
    login(client, user)
    response = client.post(CREATE, {"name": "Initech"})
    assert response.status_code == 302
    assert response["Location"] == reverse("core:members")
    workspace = Workspace.objects.get(name="Initech")
    with scopes_disabled():
        assert Membership.objects.get(workspace=workspace, user=user).role == Role.OWNER
    assert client.session[WorkspaceMiddleware.SESSION_KEY] == str(workspace.pk)


def test_create_with_an_empty_or_oversized_name_is_a_400(client, cast):
    login(client, cast.member)
    before = core_state()
    for name in ("", "x" * 500):
        response = client.post(CREATE, {"name": name}, HTTP_ACCEPT_LANGUAGE="en")
        assert response.status_code == 400
        assert 'role="alert"' in response.content.decode()
    assert core_state() == before


def test_create_needs_sign_in(client, db):
    assert client.get(CREATE).status_code == 302


def test_settings_page_is_for_owners(client, cast):
    login(client, cast.admin)
    assert client.get(SETTINGS).status_code == 403
    login(client, cast.owner)
    assert client.get(SETTINGS, HTTP_ACCEPT_LANGUAGE="en").status_code == 200


def test_rename_needs_no_step_up(client, cast):
    login(client, cast.owner, step_up=False)
    response = client.post(SETTINGS, {"name": "Acme Japan", "mfa_required_for_all": "on"})
    assert response.status_code == 302
    assert Workspace.objects.get(pk=cast.acme.pk).name == "Acme Japan"


def test_relaxing_two_factor_needs_step_up(client, cast):
    login(client, cast.owner, step_up=False)
    response = client.post(SETTINGS, {"name": "Acme"})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:step_up"))
    assert Workspace.objects.get(pk=cast.acme.pk).mfa_required_for_all is True
    assert events("core.workspace.settings_changed") == []


def test_relaxing_two_factor_after_step_up(client, cast):
    login(client, cast.owner, step_up=True)
    response = client.post(SETTINGS, {"name": "Acme"})
    assert response.status_code == 302
    assert Workspace.objects.get(pk=cast.acme.pk).mfa_required_for_all is False
    assert len(events("core.workspace.settings_changed")) == 1


def test_requiring_two_factor_again_needs_no_step_up(client, cast):
    cast.acme.mfa_required_for_all = False
    cast.acme.save()
    login(client, cast.owner, step_up=False)
    response = client.post(SETTINGS, {"name": "Acme", "mfa_required_for_all": "on"})
    assert response.status_code == 302
    assert Workspace.objects.get(pk=cast.acme.pk).mfa_required_for_all is True


def test_settings_with_an_oversized_name_is_a_400(client, cast):
    login(client, cast.owner, step_up=True)
    response = client.post(SETTINGS, {"name": "x" * 121, "mfa_required_for_all": "on"})
    assert response.status_code == 400
    assert Workspace.objects.get(pk=cast.acme.pk).name == "Acme"


def test_switch_between_own_workspaces(client, cast):
    factories.add_member(cast.globex, cast.member, Role.VIEWER)
    login(client, cast.member)
    response = client.post(reverse("core:switch"), {"workspace": str(cast.globex.pk)})
    assert response.status_code == 302
    assert client.session[WorkspaceMiddleware.SESSION_KEY] == str(cast.globex.pk)


def test_switch_to_a_foreign_or_malformed_workspace_is_a_404(client, cast):
    login(client, cast.owner)
    for value in (str(cast.globex.pk), "not-a-uuid", ""):
        response = client.post(reverse("core:switch"), {"workspace": value})
        assert response.status_code == 404
    assert client.session.get(WorkspaceMiddleware.SESSION_KEY) != str(cast.globex.pk)


def test_tampered_session_workspace_falls_back_to_own(client, cast):
    login(client, cast.owner)
    session = client.session
    session[WorkspaceMiddleware.SESSION_KEY] = "garbage"
    session.save()
    assert client.get(reverse("core:members")).status_code == 200
