"""Sign-in with email + password and, when enrolled, a second factor (S2, S14)."""

from __future__ import annotations

import json
from unittest import mock

import pytest
from django.contrib.auth import SESSION_KEY
from django.contrib.auth.hashers import Argon2PasswordHasher, make_password
from django.urls import reverse

from terabox_crm.accounts import mfa, session_keys, signin
from terabox_crm.accounts.models import User, UserSession
from terabox_crm.accounts.tests.conftest import enrol, events, sign_in
from terabox_crm.audit.chain import SYSTEM_CHAIN
from terabox_crm.core.middleware import WorkspaceMiddleware
from terabox_crm.testing import factories

pytestmark = pytest.mark.django_db

WRONG = "not the password at all"


def test_sign_in_page_is_in_japanese_by_default(client):
    response = client.get(reverse("accounts:login"), HTTP_ACCEPT_LANGUAGE="ja")
    assert response.status_code == 200
    assert "ログイン" in response.text
    assert "メールアドレス" in response.text


def test_sign_in_page_is_in_english_when_asked(client):
    response = client.get(reverse("accounts:login"), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert "Sign in" in response.text
    assert "Email address" in response.text


def test_password_sign_in_signs_in_and_rotates_the_session_key(client, cast):
    session = client.session
    session["before"] = True
    session.save()
    key_before = client.session.session_key

    response = sign_in(client, cast.member.email, cast.password)

    assert response.status_code == 302
    assert response["Location"] == reverse("web:home")
    after = client.session
    assert after[SESSION_KEY] == str(cast.member.pk)
    assert after.session_key != key_before
    assert after[session_keys.AUTH_STARTED_AT] > 0
    assert session_keys.MFA_VERIFIED_AT not in after  # no device: one factor only
    assert UserSession.objects.filter(user=cast.member).count() == 1


def test_unknown_email_and_wrong_password_get_the_same_answer(client, cast):
    wrong = sign_in(client, cast.member.email, WRONG, HTTP_ACCEPT_LANGUAGE="en")
    unknown = sign_in(client, "nobody@acme.example", WRONG, HTTP_ACCEPT_LANGUAGE="en")

    assert wrong.status_code == unknown.status_code == 400
    message = "The email address or password is incorrect."
    assert message in wrong.text
    assert message in unknown.text
    assert SESSION_KEY not in client.session


def test_wrong_password_message_in_japanese(client, cast):
    response = sign_in(client, cast.member.email, WRONG, HTTP_ACCEPT_LANGUAGE="ja")
    assert response.status_code == 400
    assert "メールアドレスまたはパスワードが正しくありません。" in response.text


def test_unknown_email_costs_one_password_hash_like_a_wrong_password(client, cast):
    # Verification goes through Django's Argon2 hasher (same algorithm name),
    # hashing through ours: count both at their common base.
    hasher = Argon2PasswordHasher
    with (
        mock.patch.object(hasher, "encode", autospec=True, side_effect=hasher.encode) as encode,
        mock.patch.object(hasher, "verify", autospec=True, side_effect=hasher.verify) as verify,
    ):
        sign_in(client, "nobody@acme.example", WRONG)
        unknown_work = encode.call_count + verify.call_count
        encode.reset_mock()
        verify.reset_mock()
        sign_in(client, cast.member.email, WRONG)
        wrong_work = encode.call_count + verify.call_count
    assert unknown_work == wrong_work == 1


def test_disabled_account_gets_the_same_answer_as_a_wrong_password(client, cast):
    cast.member.is_active = False
    cast.member.save(update_fields=["is_active"])
    response = sign_in(client, cast.member.email, cast.password, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert "The email address or password is incorrect." in response.text


def test_legacy_pbkdf2_hash_is_upgraded_to_argon2_at_sign_in(client, cast):
    User.objects.filter(pk=cast.member.pk).update(
        password=make_password(cast.password, hasher="pbkdf2_sha256")
    )
    assert User.objects.get(pk=cast.member.pk).password.startswith("pbkdf2_sha256$")

    response = sign_in(client, cast.member.email, cast.password)

    assert response.status_code == 302
    upgraded = User.objects.get(pk=cast.member.pk).password
    assert upgraded.startswith("argon2$argon2id$")
    assert "m=32768,t=3,p=1" in upgraded


def test_email_is_matched_case_insensitively(client, cast):
    response = sign_in(client, cast.member.email.upper(), cast.password)
    assert response.status_code == 302


def test_user_with_device_is_not_signed_in_before_the_code(client, cast):
    enrol(cast.member)
    response = sign_in(client, cast.member.email, cast.password)

    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:login_verify")
    assert SESSION_KEY not in client.session
    assert client.session[session_keys.LOGIN_PENDING]["user"] == str(cast.member.pk)
    # Nothing is reachable half-way.
    assert client.get(reverse("accounts:security")).status_code == 302


def test_totp_code_completes_sign_in_and_rotates_the_key_again(client, cast):
    device = enrol(cast.member)
    sign_in(client, cast.member.email, cast.password, HTTP_ACCEPT_LANGUAGE="en")
    pending_key = client.session.session_key
    page = client.get(reverse("accounts:login_verify"), HTTP_ACCEPT_LANGUAGE="en")
    assert "Enter the 6-digit code" in page.text or "6-digit code" in page.text

    response = client.post(reverse("accounts:login_verify"), {"code": mfa.current_code(device)})

    assert response.status_code == 302
    session = client.session
    assert session[SESSION_KEY] == str(cast.member.pk)
    assert session.session_key != pending_key
    assert session[session_keys.MFA_VERIFIED_AT] > 0
    assert session_keys.LOGIN_PENDING not in session
    [event] = events("accounts.login.succeeded")
    assert event.payload["method"] == "totp"


def test_wrong_code_is_refused_and_recorded(client, cast):
    enrol(cast.member)
    sign_in(client, cast.member.email, cast.password)
    response = client.post(
        reverse("accounts:login_verify"), {"code": "000000"}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 400
    assert "That code is not right." in response.text
    assert SESSION_KEY not in client.session
    [event] = events("security.login.failed")
    assert event.actor_id == cast.member.pk
    assert event.payload == {"step": "second_factor"}


def test_wrong_code_message_in_japanese(client, cast):
    enrol(cast.member)
    sign_in(client, cast.member.email, cast.password)
    response = client.post(
        reverse("accounts:login_verify"), {"code": "000000"}, HTTP_ACCEPT_LANGUAGE="ja"
    )
    assert "コードが正しくありません" in response.text


def test_recovery_code_signs_in_once(client, cast):
    device = enrol(cast.member)
    code = device.codes[0]
    sign_in(client, cast.member.email, cast.password)
    assert client.post(reverse("accounts:login_verify"), {"code": code}).status_code == 302
    assert events("accounts.mfa.recovery_code_used")[0].payload == {"remaining": 9}

    client.post(reverse("accounts:logout"))
    sign_in(client, cast.member.email, cast.password)
    again = client.post(reverse("accounts:login_verify"), {"code": code})
    assert again.status_code == 400
    assert SESSION_KEY not in client.session


def test_pending_sign_in_expires_after_five_minutes(client, cast):
    device = enrol(cast.member)
    sign_in(client, cast.member.email, cast.password)
    later = signin.now() + session_keys.PENDING_SECONDS + 1
    with mock.patch.object(signin, "now", return_value=later):
        response = client.post(reverse("accounts:login_verify"), {"code": mfa.current_code(device)})
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:login")
    assert SESSION_KEY not in client.session
    assert session_keys.LOGIN_PENDING not in client.session


def test_password_changed_between_the_factors_voids_the_pending_sign_in(client, cast):
    device = enrol(cast.member)
    sign_in(client, cast.member.email, cast.password)
    cast.member.set_password("another long enough passphrase")
    cast.member.save()
    response = client.post(reverse("accounts:login_verify"), {"code": mfa.current_code(device)})
    assert response["Location"] == reverse("accounts:login")
    assert SESSION_KEY not in client.session


def test_verify_page_without_pending_sign_in_goes_back_to_sign_in(client, db):
    response = client.get(reverse("accounts:login_verify"))
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:login")


def test_next_on_this_site_is_followed(client, cast):
    response = client.post(
        reverse("accounts:login") + "?next=/accounts/security/",
        {"email": cast.member.email, "password": cast.password},
    )
    assert response["Location"] == "/accounts/security/"


@pytest.mark.parametrize(
    "target", ["https://evil.example/", "//evil.example/x", "javascript:alert(1)"]
)
def test_next_to_another_site_is_ignored(client, cast, target):
    response = client.post(
        reverse("accounts:login"),
        {"email": cast.member.email, "password": cast.password, "next": target},
    )
    assert response["Location"] == reverse("web:home")


def test_next_survives_the_second_factor(client, cast):
    device = enrol(cast.member)
    client.post(
        reverse("accounts:login") + "?next=/accounts/profile/",
        {"email": cast.member.email, "password": cast.password},
    )
    response = client.post(reverse("accounts:login_verify"), {"code": mfa.current_code(device)})
    assert response["Location"] == "/accounts/profile/"


def test_signed_in_user_visiting_sign_in_is_sent_on(client, cast):
    sign_in(client, cast.member.email, cast.password)
    response = client.get(reverse("accounts:login"))
    assert response.status_code == 302


def test_failed_sign_in_for_a_member_is_in_their_workspace_trail_without_the_email(client, cast):
    sign_in(client, cast.member.email, WRONG)
    [event] = events("security.login.failed")
    assert event.actor_id == cast.member.pk
    assert event.chain == str(cast.acme.pk)
    assert event.workspace_id == cast.acme.pk
    assert cast.member.email not in json.dumps(event.payload)
    assert event.payload == {"step": "password"}


def test_failed_sign_in_for_an_unknown_email_is_in_the_system_chain_without_actor(client, db):
    sign_in(client, "nobody@example.com", WRONG)
    [event] = events("security.login.failed")
    assert event.actor_id is None
    assert event.chain == SYSTEM_CHAIN
    assert "nobody" not in json.dumps(event.payload)


def test_sign_in_opens_and_records_in_the_last_used_workspace(client, cast):
    second = factories.make_workspace("Second")
    factories.add_member(second, cast.member)
    User.objects.filter(pk=cast.member.pk).update(last_workspace_id=second.pk)

    sign_in(client, cast.member.email, cast.password)

    assert client.session[WorkspaceMiddleware.SESSION_KEY] == str(second.pk)
    [event] = events("accounts.login.succeeded")
    assert event.chain == str(second.pk)
    assert event.actor_id == cast.member.pk


def test_sign_in_of_a_user_without_workspace_is_in_the_system_chain(client, db):
    lonely = factories.make_user("lonely@example.com")
    sign_in(client, lonely.email, factories.PASSWORD)
    [event] = events("accounts.login.succeeded")
    assert event.chain == SYSTEM_CHAIN


def test_workspace_in_use_is_remembered_for_the_next_sign_in(client, cast):
    from terabox_crm.testing.auth import login

    second = factories.make_workspace("Second")
    factories.add_member(second, cast.member)
    login(client, cast.member)
    session = client.session
    session[WorkspaceMiddleware.SESSION_KEY] = str(second.pk)
    session.save()
    client.get(reverse("accounts:security"))
    assert User.objects.get(pk=cast.member.pk).last_workspace_id == second.pk


def test_sign_out_needs_post_and_records_the_event(client, cast):
    sign_in(client, cast.member.email, cast.password)
    assert client.get(reverse("accounts:logout")).status_code == 405
    response = client.post(reverse("accounts:logout"))
    assert response.status_code == 302
    assert SESSION_KEY not in client.session
    assert UserSession.objects.filter(user=cast.member).count() == 0
    [event] = events("accounts.logout")
    assert event.actor_id == cast.member.pk


def test_sign_in_form_errors_are_a_400_that_change_nothing(client, db):
    response = client.post(reverse("accounts:login"), {"email": "", "password": ""})
    assert response.status_code == 400
    assert events("security.login.failed") == []
