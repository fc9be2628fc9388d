"""The members page and its actions, through HTTP."""

import pytest
from django.urls import reverse
from django_scopes import scopes_disabled

from terabox_crm.core.models import Invitation
from terabox_crm.core.roles import Role
from terabox_crm.core.tests.support import core_state, events, membership_exists, role_of
from terabox_crm.testing import factories
from terabox_crm.testing.auth import login

MEMBERS = reverse("core:members")


def _role_url(membership):
    return reverse("core:member_role", args=[membership.pk])


# --- The page ----------------------------------------------------------------------------------


def test_viewer_sees_the_members_but_no_controls(client, cast):
    login(client, cast.viewer)
    response = client.get(MEMBERS, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    body = response.content.decode()
    assert "5 members" in body
    assert "admin@acme.example" in body
    assert 'name="role"' not in body
    assert reverse("core:invite") not in body
    assert "Pending invitations" not in body


def test_members_page_in_japanese(client, cast):
    login(client, cast.viewer)
    body = client.get(MEMBERS, HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    assert "メンバー" in body
    assert "このワークスペースから退出" in body


def _member_page(client, membership, language="en"):
    url = reverse("core:member", args=[membership.pk])
    return client.get(url, HTTP_ACCEPT_LANGUAGE=language).content.decode()


def test_admin_gets_role_selects_only_for_members_below_and_only_grantable_roles(client, cast):
    login(client, cast.admin)
    body = client.get(MEMBERS, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    # The list only reads; changes are on each member's page.
    assert 'name="role"' not in body.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    assert reverse("core:member", args=[cast.member_membership.pk]) in body
    body = _member_page(client, cast.member_membership)
    assert _role_url(cast.member_membership) in body
    assert '<option value="owner"' not in body
    assert '<option value="admin"' not in body
    assert '<option value="manager"' in body
    assert _role_url(cast.owner_membership) not in _member_page(client, cast.owner_membership)
    assert _role_url(cast.admin_membership) not in _member_page(client, cast.admin_membership)


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("en", ["Change role", "Save capabilities", "Remove from workspace"]),
        ("ja", ["ロールを変更", "追加権限を保存", "ワークスペースから削除"]),
    ],
)
def test_a_members_page_has_the_form_card_and_asks_before_removing(client, cast, language, words):
    login(client, cast.owner)
    body = _member_page(client, cast.member_membership, language)
    for word in words:
        assert word in body
    removal = body.split('class="menu-wrap action-menu"', 1)[1].split("</details>", 1)[0]
    assert reverse("core:member_remove", args=[cast.member_membership.pk]) in removal
    assert "data-confirm=" in removal and "menu-item-danger" in removal
    assert "btn-danger" not in body


def test_a_viewer_sees_a_member_without_forms(client, cast):
    login(client, cast.viewer)
    body = _member_page(client, cast.member_membership)
    assert cast.member.email in body
    assert 'name="role"' not in body and "data-confirm=" not in body
    # Still the profile: the role and capabilities in words, not empty sections.
    assert 'class="setting-value"' in body and "<form" not in body.split("profile-access", 1)[1]


@pytest.mark.parametrize(
    ("language", "words"),
    [("en", ["Access", "Details", "Two-factor"]), ("ja", ["アクセス権限", "詳細", "2段階認証："])],
)
def test_a_members_page_reads_as_a_profile(client, cast, language, words):
    """docs/ui.md "Settings pages": a header card with the avatar, name,
    email and role · team · two-factor, then one line per setting, each its
    own form and button (step-up and audit per change, as before)."""
    login(client, cast.owner)
    body = _member_page(client, cast.member_membership, language)
    header = body.split('class="card profile-header"', 1)[1].split("</header>", 1)[0]
    assert 'class="avatar avatar-xl"' in header and cast.member.email in header
    assert "badge-role" in header and ("badge-ok" in header or "badge-warn" in header)
    for word in words:
        assert word in body
    rows = body.split('class="setting-rows"', 1)[1]
    assert rows.count('class="setting-form"') == 2  # role and capabilities (no teams yet)
    assert 'class="card stack"' not in rows.split("</section>", 1)[0]  # no card per form


def test_another_workspaces_member_page_is_a_404(client, cast):
    login(client, cast.owner)
    url = reverse("core:member", args=[cast.outsider_membership.pk])
    response = client.get(url)
    assert response.status_code == 404
    assert cast.outsider.email not in response.content.decode()


def test_owner_sees_pending_invitations_with_their_address(client, cast):
    factories.make_invitation(cast.acme, "pending@example.jp", Role.VIEWER)
    login(client, cast.owner)
    body = client.get(MEMBERS, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "pending@example.jp" in body
    assert '<option value="owner"' in body
    assert "data-confirm=" in body


def test_members_page_needs_sign_in(client, cast):
    response = client.get(MEMBERS)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_user_without_a_workspace_is_refused(client, cast):
    login(client, factories.make_user("alone@example.jp"))
    assert client.get(MEMBERS).status_code == 403


# --- Inviting ------------------------------------------------------------------------------------


def _invite(client, **data):
    payload = {"email": "new@example.jp", "role": Role.MEMBER, "language": "en", **data}
    return client.post(reverse("core:invite"), payload, HTTP_ACCEPT_LANGUAGE="en")


def test_admin_invites_a_manager(client, cast):
    login(client, cast.admin, step_up=True)
    response = _invite(client, role=Role.MANAGER)
    assert response.status_code == 302
    with scopes_disabled():
        [invitation] = Invitation.objects.all()
    assert invitation.role == Role.MANAGER
    assert invitation.email == "new@example.jp"


def test_inviting_above_own_role_is_refused_with_403(client, cast):
    login(client, cast.admin, step_up=True)
    before = core_state()
    response = _invite(client, role=Role.OWNER)
    assert response.status_code == 403
    assert "only invite people with a role below your own" in response.content.decode()
    assert core_state() == before
    assert len(events("security.permission.denied")) == 1


def test_inviting_with_a_malformed_email_is_a_400_with_the_field_error(client, cast):
    login(client, cast.owner, step_up=True)
    before = core_state()
    response = _invite(client, email="not an email")
    assert response.status_code == 400
    assert "Enter a valid email address" in response.content.decode()
    assert core_state() == before


def test_inviting_an_existing_member_is_a_409(client, cast):
    login(client, cast.owner, step_up=True)
    response = _invite(client, email="viewer@acme.example")
    assert response.status_code == 409
    assert "already a member" in response.content.decode()


def test_inviting_needs_step_up(client, cast):
    login(client, cast.owner, step_up=False)
    before = core_state()
    response = _invite(client)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:step_up"))
    assert core_state() == before


def test_viewer_cannot_invite_and_the_denial_is_recorded(client, cast):
    login(client, cast.viewer, step_up=True)
    before = core_state()
    response = _invite(client)
    assert response.status_code == 403
    assert core_state() == before
    [event] = events("security.permission.denied")
    assert event.payload["attempted"] == "members.manage"
    assert event.payload["view"] == "core:invite"


def test_revoke_and_resend_from_the_page(client, cast):
    invitation, _token = factories.make_invitation(cast.acme, "p@example.jp", Role.VIEWER)
    login(client, cast.admin)
    assert client.post(reverse("core:invitation_resend", args=[invitation.pk])).status_code == 302
    assert client.post(reverse("core:invitation_revoke", args=[invitation.pk])).status_code == 302
    with scopes_disabled():
        assert Invitation.objects.get(pk=invitation.pk).revoked_at is not None
    response = client.post(reverse("core:invitation_revoke", args=[invitation.pk]))
    assert response.status_code == 409


# --- Roles, capabilities, removal ---------------------------------------------------------------------


def test_admin_changes_a_members_role(client, cast):
    login(client, cast.admin, step_up=True)
    response = client.post(_role_url(cast.member_membership), {"role": Role.VIEWER})
    assert response.status_code == 302
    assert role_of(cast.member_membership) == Role.VIEWER


def test_role_change_needs_step_up(client, cast):
    login(client, cast.owner, step_up=False)
    response = client.post(_role_url(cast.member_membership), {"role": Role.ADMIN})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:step_up"))
    assert role_of(cast.member_membership) == Role.MEMBER


@pytest.mark.parametrize(
    ("language", "text"),
    [("en", "same as or higher than yours"), ("ja", "同じか上")],
)
def test_admin_changing_an_owner_gets_a_translated_403(client, cast, language, text):
    login(client, cast.admin, step_up=True)
    before = core_state()
    response = client.post(
        _role_url(cast.owner_membership), {"role": Role.VIEWER}, HTTP_ACCEPT_LANGUAGE=language
    )
    assert response.status_code == 403
    assert text in response.content.decode()
    assert core_state() == before
    assert len(events("security.permission.denied")) == 1


@pytest.mark.parametrize(
    ("language", "text"), [("en", "roles below your own"), ("ja", "自分より下")]
)
def test_granting_above_own_role_gets_a_translated_403(client, cast, language, text):
    login(client, cast.admin, step_up=True)
    response = client.post(
        _role_url(cast.member_membership), {"role": Role.ADMIN}, HTTP_ACCEPT_LANGUAGE=language
    )
    assert response.status_code == 403
    assert text in response.content.decode()
    assert role_of(cast.member_membership) == Role.MEMBER


@pytest.mark.parametrize(("language", "text"), [("en", "at least one owner"), ("ja", "オーナー")])
def test_demoting_the_last_owner_is_a_translated_409(client, cast, language, text):
    login(client, cast.owner, step_up=True)
    response = client.post(
        _role_url(cast.owner_membership), {"role": Role.ADMIN}, HTTP_ACCEPT_LANGUAGE=language
    )
    assert response.status_code == 409
    assert text in response.content.decode()
    assert role_of(cast.owner_membership) == Role.OWNER
    assert events("security.permission.denied")[0].payload["reason"] == "last_owner"


@pytest.mark.parametrize(
    ("data", "language", "text"),
    [
        ({}, "en", "Choose one of the offered roles."),
        ({"role": "x" * 5000}, "en", "Choose one of the offered roles."),
        ({"role": "superuser"}, "ja", "表示されているロールから選択してください。"),
    ],
)
def test_malformed_role_post_is_a_translated_400(client, cast, data, language, text):
    login(client, cast.owner, step_up=True)
    before = core_state()
    response = client.post(_role_url(cast.member_membership), data, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 400
    assert text in response.content.decode()
    assert core_state() == before
    assert len(events("security.request.invalid")) == 1


def test_role_of_another_workspaces_member_is_a_404(client, cast):
    login(client, cast.owner, step_up=True)
    response = client.post(_role_url(cast.outsider_membership), {"role": Role.VIEWER})
    assert response.status_code == 404
    assert role_of(cast.outsider_membership) == Role.OWNER


def test_capabilities_from_the_page(client, cast):
    login(client, cast.owner, step_up=True)
    url = reverse("core:member_capabilities", args=[cast.member_membership.pk])
    assert client.post(url, {"privacy_officer": "on"}).status_code == 302
    assert len(events("core.member.capabilities_changed")) == 1


def test_remove_from_the_page(client, cast):
    login(client, cast.admin, step_up=True)
    url = reverse("core:member_remove", args=[cast.viewer_membership.pk])
    assert client.post(url).status_code == 302
    assert not membership_exists(cast.viewer_membership)


def test_remove_needs_step_up(client, cast):
    login(client, cast.admin, step_up=False)
    url = reverse("core:member_remove", args=[cast.viewer_membership.pk])
    assert client.post(url).status_code == 302
    assert membership_exists(cast.viewer_membership)


def test_removing_the_last_owner_is_refused(client, cast):
    factories.add_member(cast.acme, factories.make_user("a2@acme.example"), Role.ADMIN)
    login(client, cast.admin, step_up=True)
    url = reverse("core:member_remove", args=[cast.owner_membership.pk])
    response = client.post(url, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 403
    assert membership_exists(cast.owner_membership)


def test_oversized_body_is_refused_before_anything_happens(client, cast):
    login(client, cast.owner, step_up=True)
    before = core_state()
    response = client.post(
        _role_url(cast.member_membership),
        {"role": Role.VIEWER},
        CONTENT_LENGTH=str(11 * 1024 * 1024),
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 413
    assert core_state() == before


def test_get_on_an_action_url_is_405(client, cast):
    login(client, cast.owner, step_up=True)
    assert client.get(_role_url(cast.member_membership)).status_code == 405


# --- Leaving --------------------------------------------------------------------------------------


def test_viewer_leaves_the_workspace(client, cast):
    login(client, cast.viewer)
    response = client.post(reverse("core:leave"))
    assert response.status_code == 302
    assert not membership_exists(cast.viewer_membership)
    assert len(events("core.member.left")) == 1


def test_last_owner_cannot_leave(client, cast):
    login(client, cast.owner)
    response = client.post(reverse("core:leave"), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 409
    assert "at least one owner" in response.content.decode()
    assert membership_exists(cast.owner_membership)
