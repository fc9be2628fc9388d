"""Step-up re-authentication (S4) and the account changes behind it."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from unittest import mock

import pytest
from django.http import HttpResponse
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from terabox_crm.accounts import mfa, session_keys, stepup
from terabox_crm.accounts.models import EmailChange, User
from terabox_crm.accounts.tests.conftest import enrol, events, sign_in
from terabox_crm.communications.models import OutboxEmail
from terabox_crm.testing.auth import login

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a brand new passphrase for me"


def _fresh_step_up(client) -> None:
    session = client.session
    session[session_keys.STEP_UP_AT] = stepup.time.time()
    session.save()


# --- The decorator -------------------------------------------------------------------------


@stepup.step_up_required
def _sensitive(request):
    return HttpResponse("done")


def _request(path, user, session):
    request = RequestFactory().get(path)
    request.user = user
    request.session = session
    return request


def test_decorator_sends_a_web_request_to_the_step_up_page_with_next(cast, client):
    login(client, cast.member)
    response = _sensitive(_request("/contacts/export/?q=1", cast.member, client.session))
    assert response.status_code == 302
    assert (
        response["Location"]
        == reverse("accounts:step_up") + "?next=%2Fcontacts%2Fexport%2F%3Fq%3D1"
    )


def test_decorator_answers_api_requests_with_problem_details(cast, client):
    login(client, cast.member)
    response = _sensitive(_request("/api/v1/exports/", cast.member, client.session))
    assert response.status_code == 403
    assert response["Content-Type"] == "application/problem+json"
    body = json.loads(response.content)
    assert body["type"] == "https://terabox-crm.dev/problems/step-up-required"
    assert body["status"] == 403


def test_decorator_lets_a_fresh_step_up_through(cast, client):
    login(client, cast.member, step_up=True)
    response = _sensitive(_request("/x/", cast.member, client.session))
    assert response.content == b"done"


def test_step_up_is_valid_for_five_minutes_only(cast, client):
    login(client, cast.member, step_up=True)
    later = stepup.time.time() + 5 * 60 + 1
    with mock.patch.object(stepup.time, "time", return_value=later):
        response = _sensitive(_request("/x/", cast.member, client.session))
    assert response.status_code == 302


def test_a_post_returns_to_the_page_the_form_was_on(cast, client):
    login(client, cast.member)
    request = RequestFactory().post("/x/", HTTP_REFERER="http://testserver/accounts/email/")
    request.user = cast.member
    request.session = client.session
    response = _sensitive(request)
    assert response["Location"] == reverse("accounts:step_up") + "?next=%2Faccounts%2Femail%2F"


# --- The step-up page ----------------------------------------------------------------------


def test_step_up_asks_for_password_and_code_when_the_user_has_a_device(client, cast):
    enrol(cast.member)
    login(client, cast.member)
    response = client.get(reverse("accounts:step_up"), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert 'name="password"' in response.text
    assert 'name="code"' in response.text


def test_step_up_asks_for_the_password_only_without_a_device(client, relaxed):
    login(client, relaxed.member, mfa=False)
    response = client.get(reverse("accounts:step_up"))
    assert 'name="password"' in response.text
    assert 'name="code"' not in response.text


def test_step_up_with_password_and_code_sets_the_stamp_and_follows_next(client, cast):
    device = enrol(cast.member)
    login(client, cast.member)
    response = client.post(
        reverse("accounts:step_up") + "?next=/accounts/email/",
        {"password": cast.password, "code": mfa.current_code(device)},
    )
    assert response.status_code == 302
    assert response["Location"] == "/accounts/email/"
    assert stepup.has_fresh_step_up(_request("/", cast.member, client.session))
    [event] = events("accounts.step_up.succeeded")
    assert event.payload == {"method": "totp"}
    assert event.chain == str(cast.acme.pk)


def test_step_up_with_a_wrong_code_fails_and_is_recorded(client, cast):
    enrol(cast.member)
    login(client, cast.member)
    response = client.post(
        reverse("accounts:step_up"),
        {"password": cast.password, "code": "000000"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 400
    assert "The password or code is incorrect." in response.text
    assert session_keys.STEP_UP_AT not in client.session
    assert len(events("security.step_up.failed")) == 1


def test_step_up_with_a_wrong_password_fails_in_japanese(client, relaxed):
    login(client, relaxed.member, mfa=False)
    response = client.post(
        reverse("accounts:step_up"), {"password": "wrong"}, HTTP_ACCEPT_LANGUAGE="ja"
    )
    assert response.status_code == 400
    assert "パスワードが正しくありません。" in response.text


def test_step_up_failures_count_toward_the_account_cool_off(client, relaxed):
    login(client, relaxed.member, mfa=False)
    statuses = [
        client.post(reverse("accounts:step_up"), {"password": "wrong"}).status_code
        for _ in range(5)
    ]
    assert statuses == [400, 400, 400, 400, 429]
    other = type(client)()
    assert sign_in(other, relaxed.member.email, relaxed.password).status_code == 429


def test_step_up_ignores_a_next_to_another_site(client, relaxed):
    login(client, relaxed.member, mfa=False)
    response = client.post(
        reverse("accounts:step_up") + "?next=https://evil.example/",
        {"password": relaxed.password},
    )
    assert response["Location"] == reverse("accounts:security")


def test_complete_sign_in_counts_as_a_step_up(client, cast):
    device = enrol(cast.member)
    sign_in(client, cast.member.email, cast.password)
    client.post(reverse("accounts:login_verify"), {"code": mfa.current_code(device)})
    assert client.get(reverse("accounts:change_password")).status_code == 200


# --- Password change ---------------------------------------------------------------------------


def test_password_change_needs_a_step_up(client, cast):
    login(client, cast.member)
    response = client.get(reverse("accounts:change_password"))
    assert response["Location"].startswith(reverse("accounts:step_up"))


def test_password_change_sets_the_new_password_and_notifies(client, cast):
    login(client, cast.member, step_up=True)
    response = client.post(
        reverse("accounts:change_password"),
        {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 302
    user = User.objects.get(pk=cast.member.pk)
    assert user.check_password(NEW_PASSWORD)
    assert user.password_changed_at is not None
    assert OutboxEmail.objects.filter(kind="accounts/email/password_changed").count() == 1
    # This session stays signed in.
    assert client.get(reverse("accounts:security")).status_code == 200


def test_password_change_refuses_a_policy_violation_and_changes_nothing(client, cast):
    login(client, cast.member, step_up=True)
    response = client.post(
        reverse("accounts:change_password"),
        {"new_password1": "short", "new_password2": "short"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 400
    assert "Use at least 12 characters." in response.text
    assert User.objects.get(pk=cast.member.pk).check_password(cast.password)
    assert events("accounts.password.changed") == []


def test_password_change_refuses_mismatched_entries(client, cast):
    login(client, cast.member, step_up=True)
    response = client.post(
        reverse("accounts:change_password"),
        {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD + "!"},
        HTTP_ACCEPT_LANGUAGE="ja",
    )
    assert response.status_code == 400
    assert "2つのパスワードが一致しません。" in response.text


# --- Email change -------------------------------------------------------------------------------


def _confirm_link(outbox_email: OutboxEmail) -> str:
    return re.search(r"https?://\S+/accounts/email/confirm/\S+/", outbox_email.body_text).group(0)


def test_email_change_needs_a_step_up(client, cast):
    login(client, cast.member)
    assert client.get(reverse("accounts:change_email"))["Location"].startswith(
        reverse("accounts:step_up")
    )


def test_email_change_sends_a_link_to_the_new_address_and_changes_nothing_yet(client, cast):
    login(client, cast.member, step_up=True)
    response = client.post(reverse("accounts:change_email"), {"email": "New.Member@Acme.example"})
    assert response.status_code == 200
    [outgoing] = OutboxEmail.objects.filter(kind="accounts/email/email_change_confirm")
    assert outgoing.to == "new.member@acme.example"
    assert User.objects.get(pk=cast.member.pk).email == cast.member.email
    [event] = events("accounts.email.change_requested")
    assert "new.member" not in str(event.payload)


def test_clicking_the_link_applies_the_change_and_tells_the_old_address(client, cast):
    login(client, cast.member, step_up=True)
    client.post(reverse("accounts:change_email"), {"email": "new.member@acme.example"})
    link = _confirm_link(OutboxEmail.objects.get(kind="accounts/email/email_change_confirm"))
    path = link.split("8443", 1)[-1] if "8443" in link else link

    page = client.get(path, HTTP_ACCEPT_LANGUAGE="en")
    assert "new.member@acme.example" in page.text
    response = client.post(path)

    assert response.status_code == 302
    user = User.objects.get(pk=cast.member.pk)
    assert user.email == "new.member@acme.example"
    assert User.objects.find_by_email("new.member@acme.example") == user
    [notice] = OutboxEmail.objects.filter(kind="accounts/email/email_changed")
    assert notice.to == cast.member.email
    [event] = events("accounts.email.changed")
    assert event.payload == {}
    # A link works once.
    assert client.post(path).status_code == 400


def test_the_link_expires_after_one_hour(client, cast):
    login(client, cast.member, step_up=True)
    client.post(reverse("accounts:change_email"), {"email": "new.member@acme.example"})
    link = _confirm_link(OutboxEmail.objects.get(kind="accounts/email/email_change_confirm"))
    path = "/accounts/" + link.split("/accounts/", 1)[1]
    later = timezone.now() + timedelta(hours=1, seconds=1)
    with mock.patch("django.utils.timezone.now", return_value=later):
        response = client.post(path, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert "This link has expired or has already been used." in response.text
    assert User.objects.get(pk=cast.member.pk).email == cast.member.email


def test_an_address_in_use_gets_a_notice_and_no_change(client, cast):
    login(client, cast.member, step_up=True)
    response = client.post(reverse("accounts:change_email"), {"email": cast.admin.email})
    assert response.status_code == 200  # the same answer as for a free address
    assert not EmailChange.objects.exists()
    [notice] = OutboxEmail.objects.filter(kind="accounts/email/email_in_use")
    assert notice.to == cast.admin.email


def test_the_same_address_is_refused_with_a_message(client, cast):
    login(client, cast.member, step_up=True)
    response = client.post(
        reverse("accounts:change_email"), {"email": cast.member.email}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 400
    assert "This is already your email address." in response.text


# --- Profile: no step-up ----------------------------------------------------------------------


def test_display_name_and_language_change_without_step_up(client, cast):
    login(client, cast.member)
    response = client.post(
        reverse("accounts:profile"), {"display_name": "Mina Member", "language": "en"}
    )
    assert response.status_code == 302
    user = User.objects.get(pk=cast.member.pk)
    assert (user.display_name, user.language) == ("Mina Member", "en")
    [event] = events("accounts.profile.changed")
    assert event.payload == {"fields": ["display_name", "language"], "language": "en"}
    assert "Mina" not in str(event.payload)
    # The chosen language wins over Accept-Language from now on.
    page = client.get(reverse("accounts:profile"), HTTP_ACCEPT_LANGUAGE="ja")
    assert "Name and language" in page.text


def test_profile_refuses_an_unknown_language(client, cast):
    login(client, cast.member)
    response = client.post(reverse("accounts:profile"), {"display_name": "", "language": "xx"})
    assert response.status_code == 400
    assert User.objects.get(pk=cast.member.pk).language == ""
