"""Forgotten password (S2): same answer for every address, 1-hour link, policy
checked, every session ended."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from unittest import mock

import pytest
from django.contrib.auth import SESSION_KEY
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.test import Client
from django.urls import reverse

from terabox_crm.accounts.models import User, UserSession
from terabox_crm.accounts.tests.conftest import events, sign_in
from terabox_crm.communications.models import OutboxEmail
from terabox_crm.testing.auth import login

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a brand new passphrase for me"


@pytest.fixture
def ask(django_capture_on_commit_callbacks):
    """Ask for a reset link, running the job queued after commit as production would."""

    def ask(client, email, language="en"):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(
                reverse("accounts:password_reset"), {"email": email}, HTTP_ACCEPT_LANGUAGE=language
            )

    return ask


def _link_path() -> str:
    """The path of the link in the (one) reset email delivered."""
    from django.core import mail

    [message] = [m for m in mail.outbox if "/accounts/password-reset/" in m.body]
    url = re.search(r"https?://\S+/accounts/password-reset/\S+/\S+/", message.body).group(0)
    return "/accounts/" + url.split("/accounts/", 1)[1]


def test_known_and_unknown_addresses_get_the_same_answer(ask, client, cast):
    known = ask(client, cast.member.email)
    unknown = ask(client, "nobody@acme.example")
    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"] == reverse("accounts:password_reset_sent")
    assert OutboxEmail.objects.filter(kind="accounts/email/password_reset").count() == 1


def test_the_email_is_built_by_a_job_queued_for_known_and_unknown_addresses_alike(
    client, cast, django_capture_on_commit_callbacks
):
    from terabox_crm.accounts import tasks

    with mock.patch.object(tasks, "send_password_reset") as job:
        for email in (cast.member.email, "nobody@acme.example"):
            with django_capture_on_commit_callbacks(execute=True):
                client.post(reverse("accounts:password_reset"), {"email": email})
    # One job each, carrying an id or nothing — never the address.
    assert [c.args for c in job.call_args_list] == [(str(cast.member.pk),), ("",)]
    assert not OutboxEmail.objects.exists()
    assert [e.payload for e in events("accounts.password.reset_requested")] == [
        {"link_sent": True},
        {"link_sent": False},
    ]


def test_sent_page_in_both_languages(client, db):
    english = client.get(reverse("accounts:password_reset_sent"), HTTP_ACCEPT_LANGUAGE="en")
    japanese = client.get(reverse("accounts:password_reset_sent"), HTTP_ACCEPT_LANGUAGE="ja")
    assert "If an account uses that address" in english.text
    assert "1時間" in japanese.text


def test_reset_email_is_in_the_users_language_and_names_one_hour(ask, client, cast, mailoutbox):
    cast.member.language = "ja"
    cast.member.save(update_fields=["language"])
    ask(client, cast.member.email, language="en")
    [email] = mailoutbox
    assert email.to == [cast.member.email]
    assert "パスワード" in email.subject
    assert "60分以内" in email.body


def test_the_link_sets_a_new_password_and_ends_every_session(ask, client, cast):
    other = Client()
    login(other, cast.member)
    ask(client, cast.member.email)
    path = _link_path()

    form_page = client.get(path, follow=True)
    assert form_page.status_code == 200
    set_password_url = form_page.redirect_chain[-1][0]
    assert "set-password" in set_password_url
    response = client.post(
        set_password_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:login")
    assert User.objects.get(pk=cast.member.pk).check_password(NEW_PASSWORD)
    assert not UserSession.objects.filter(user=cast.member).exists()
    assert other.get(reverse("accounts:security")).status_code == 302
    assert len(events("accounts.password.reset")) == 1
    assert OutboxEmail.objects.filter(kind="accounts/email/password_changed").count() == 1
    # The link worked once.
    assert client.get(path, follow=True).status_code == 400


def test_the_new_password_is_checked_by_the_policy(ask, client, cast):
    ask(client, cast.member.email)
    set_password_url = client.get(_link_path(), follow=True).redirect_chain[-1][0]
    response = client.post(
        set_password_url,
        {"new_password1": "short one", "new_password2": "short one"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 400
    assert "Use at least 12 characters." in response.text
    assert User.objects.get(pk=cast.member.pk).check_password(cast.password)


def test_the_link_expires_after_one_hour(ask, client, cast):
    ask(client, cast.member.email)
    path = _link_path()
    later = datetime.now() + timedelta(hours=1, minutes=1)
    with mock.patch.object(PasswordResetTokenGenerator, "_now", return_value=later):
        response = client.get(path, follow=True, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert "This link has expired or has already been used." in response.text


def test_a_reset_lifts_the_cool_off_an_attacker_caused(ask, client, cast):
    for _ in range(5):
        sign_in(Client(REMOTE_ADDR="192.0.2.99"), cast.member.email, "wrong guess")
    assert sign_in(Client(), cast.member.email, cast.password).status_code == 429
    ask(client, cast.member.email)
    set_password_url = client.get(_link_path(), follow=True).redirect_chain[-1][0]
    client.post(set_password_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    fresh = Client()
    assert sign_in(fresh, cast.member.email, NEW_PASSWORD).status_code == 302
    assert fresh.session[SESSION_KEY] == str(cast.member.pk)


def test_at_most_three_links_an_hour_per_address(ask, client, cast):
    for _ in range(5):
        assert ask(client, cast.member.email).status_code == 302
    assert OutboxEmail.objects.filter(kind="accounts/email/password_reset").count() == 3


def test_reset_requests_count_toward_the_per_ip_attempt_limit(ask, client, db):
    from terabox_crm.accounts import throttle

    limiter = throttle.default()
    for _ in range(30):
        limiter.attempt(ip="127.0.0.1")
    response = ask(client, "someone@example.com")
    assert response.status_code == 429
    assert response["Retry-After"] == "60"
