"""The public invite page: /invite/<token>/."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django_scopes import scopes_disabled

from terabox_crm.accounts.models import User
from terabox_crm.core.middleware import WorkspaceMiddleware
from terabox_crm.core.models import Membership
from terabox_crm.core.roles import Role
from terabox_crm.core.tests.support import core_state, events
from terabox_crm.testing import factories
from terabox_crm.testing.auth import login

NEW = "new.person@example.jp"


def _url(token: str) -> str:
    return reverse("core:invite_accept", args=[token])


@pytest.fixture
def invite(cast):
    invitation, token = factories.make_invitation(cast.acme, NEW, Role.MEMBER)
    return invitation, token


def _is_member(workspace, email) -> bool:
    user = User.objects.find_by_email(email)
    if user is None:
        return False
    with scopes_disabled():
        return Membership.objects.filter(workspace=workspace, user=user).exists()


# --- Anonymous visitors ----------------------------------------------------------------------------


def test_new_person_sees_the_sign_up_form(client, invite):
    _invitation, token = invite
    response = client.get(_url(token), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    body = response.content.decode()
    assert "Join Acme" in body
    assert "Create your account" in body
    assert NEW in body
    assert "no-store" in response["Cache-Control"]


def test_sign_up_page_in_japanese(client, invite):
    body = client.get(_url(invite[1]), HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    assert "アカウントを作成" in body


def test_sign_up_creates_the_account_joins_and_signs_in(client, cast, invite):
    _invitation, token = invite
    response = client.post(
        _url(token),
        {
            "display_name": "New Person",
            "password1": "a fine passphrase",
            "password2": "a fine passphrase",
        },
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("web:home")
    user = User.objects.get_by_email(NEW)
    assert user.display_name == "New Person"
    assert user.language == "en"
    assert _is_member(cast.acme, NEW)
    assert client.session["_auth_user_id"] == str(user.pk)
    assert client.session[WorkspaceMiddleware.SESSION_KEY] == str(cast.acme.pk)


def test_new_account_lands_on_two_factor_enrolment(client, cast, invite):
    response = client.post(
        _url(invite[1]),
        {"display_name": "N", "password1": "a fine passphrase", "password2": "a fine passphrase"},
        follow=True,
    )
    assert response.redirect_chain[-1][0].startswith(reverse("accounts:mfa_enrol"))
    assert len(events("accounts.login.succeeded")) == 1


def test_new_account_without_required_two_factor_goes_home(client, cast):
    cast.acme.mfa_required_for_all = False
    cast.acme.save()
    _invitation, token = factories.make_invitation(cast.acme, NEW, Role.VIEWER)
    passphrase = "a long enough passphrase"
    response = client.post(
        _url(token),
        {"display_name": "N", "password1": passphrase, "password2": passphrase},
        follow=True,
    )
    assert response.status_code == 200
    assert response.redirect_chain[-1][0] == reverse("web:home")


@pytest.mark.parametrize(
    ("password1", "password2", "language", "text"),
    [
        ("too short", "too short", "en", "12"),
        ("too short", "too short", "ja", "12"),
        ("a fine passphrase", "another passphrase", "en", "The two passwords are not the same."),
        ("a fine passphrase", "another passphrase", "ja", "同じではありません"),
        ("x" * 129, "x" * 129, "en", "128"),
    ],
)
def test_sign_up_with_a_bad_password_is_a_400_and_creates_nothing(
    client, invite, password1, password2, language, text
):
    before = core_state()
    response = client.post(
        _url(invite[1]),
        {"display_name": "N", "password1": password1, "password2": password2},
        HTTP_ACCEPT_LANGUAGE=language,
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert 'role="alert"' in body
    assert text in body
    assert User.objects.find_by_email(NEW) is None
    assert core_state() == before


def test_sign_up_with_an_oversized_name_is_a_400(client, invite):
    response = client.post(
        _url(invite[1]),
        {
            "display_name": "n" * 500,
            "password1": "a fine passphrase",
            "password2": "a fine passphrase",
        },
    )
    assert response.status_code == 400
    assert User.objects.find_by_email(NEW) is None


def test_existing_account_is_sent_to_sign_in_and_back(client, cast, invite):
    factories.make_user(NEW)
    response = client.get(_url(invite[1]), HTTP_ACCEPT_LANGUAGE="en")
    body = response.content.decode()
    assert response.status_code == 200
    assert "Create your account" not in body
    assert reverse("accounts:login") + "?next=" in body
    before = core_state()
    response = client.post(
        _url(invite[1]), {"display_name": "X", "password1": "x" * 20, "password2": "x" * 20}
    )
    assert response.status_code == 409
    assert core_state() == before


# --- Signed-in visitors ------------------------------------------------------------------------------


def test_invited_user_accepts(client, cast, invite):
    user = factories.make_user(NEW)
    login(client, user)
    body = client.get(_url(invite[1]), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Accept and join" in body
    response = client.post(_url(invite[1]))
    assert response.status_code == 302
    assert _is_member(cast.acme, NEW)
    assert client.session[WorkspaceMiddleware.SESSION_KEY] == str(cast.acme.pk)


def test_outsider_with_someone_elses_link_is_refused(client, cast, invite):
    login(client, cast.outsider)
    response = client.get(_url(invite[1]), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 403
    assert "different email address" in response.content.decode()
    before = core_state()
    response = client.post(_url(invite[1]), HTTP_ACCEPT_LANGUAGE="ja")
    assert response.status_code == 403
    assert "別のメールアドレス" in response.content.decode()
    assert core_state() == before
    [event] = events("security.invitation.refused")
    assert event.actor_id == cast.outsider.pk
    assert event.payload["reason"] == "invitation_wrong_email"


def test_member_opening_a_link_for_their_own_workspace_is_told_so(client, cast):
    _invitation, token = factories.make_invitation(cast.acme, "member@acme.example")
    login(client, cast.member)
    response = client.get(_url(token), HTTP_ACCEPT_LANGUAGE="en")
    assert "already a member" in response.content.decode()
    assert client.post(_url(token)).status_code == 409


# --- Links that no longer work -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "text"), [("en", "has expired"), ("ja", "有効期限が切れています")]
)
def test_expired_link_is_a_translated_410(client, cast, language, text):
    _invitation, token = factories.make_invitation(cast.acme, NEW, expires_in=timedelta(minutes=-1))
    response = client.get(_url(token), HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 410
    assert text in response.content.decode()
    before = core_state()
    response = client.post(
        _url(token),
        {"display_name": "N", "password1": "x" * 20, "password2": "x" * 20},
        HTTP_ACCEPT_LANGUAGE=language,
    )
    assert response.status_code == 410
    assert text in response.content.decode()
    assert User.objects.find_by_email(NEW) is None
    assert core_state() == before
    assert events("security.invitation.refused")[0].payload["reason"] == "invitation_expired"


def test_revoked_link_is_a_410(client, cast, invite):
    invitation, token = invite
    with scopes_disabled():
        from django.utils import timezone

        invitation.revoked_at = timezone.now()
        invitation.save()
    response = client.get(_url(token), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 410
    assert "withdrawn" in response.content.decode()
    login(client, factories.make_user(NEW))
    assert client.post(_url(token)).status_code == 410
    assert len(events("security.invitation.refused")) == 1


@pytest.mark.parametrize("token", ["nope", "x" * 300, "%E3%81%82"])
def test_unknown_link_is_a_404(client, db, token):
    response = client.get(f"/invite/{token}/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 404
    assert "not valid" in response.content.decode()


def test_unknown_link_post_is_recorded(client, db):
    response = client.post(_url("nope"), {"display_name": "N"})
    assert response.status_code == 404
    [event] = events("security.invitation.refused")
    assert event.chain == "system"
