"""The new-device alert (S7), delivered through the outbox to a real SMTP server."""

from __future__ import annotations

import email
from email import policy

import pytest
from django.test import Client

from terabox_crm.accounts.tests.conftest import events, sign_in
from terabox_crm.communications.models import OutboxEmail

pytestmark = pytest.mark.django_db

CHROME_MAC = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36"
)


def _parse(envelope):
    message = email.message_from_bytes(envelope.content, policy=policy.default)
    return message, message.get_body(preferencelist=("plain",)).get_content()


def _sign_in_from_new_browser(user, password, capture):
    browser = Client(HTTP_USER_AGENT=CHROME_MAC, REMOTE_ADDR="203.0.113.77")
    with capture(execute=True):
        response = sign_in(browser, user.email, password)
    assert response.status_code == 302
    return browser


@pytest.mark.parametrize(
    ("language", "subject", "phrases"),
    [
        (
            "en",
            "New sign-in to your Terabox CRM account",
            [
                "Chrome 126 on Mac OS X",
                "203.0.113.x",
                "If this wasn't you",
                "https://127.0.0.1:8443/accounts/security/",
            ],
        ),
        (
            "ja",
            "Terabox CRMアカウントに新しい端末からログインがありました",
            [
                "Chrome 126",
                "Mac OS X",
                "203.0.113.x",
                "心当たりがない場合",
                "https://127.0.0.1:8443/accounts/security/",
            ],
        ),
    ],
)
def test_sign_in_from_a_new_device_emails_the_user(
    relaxed, smtp_server, django_capture_on_commit_callbacks, settings, language, subject, phrases
):
    settings.SITE_URL = "https://127.0.0.1:8443"
    user = relaxed.member
    user.language = language
    user.save(update_fields=["language"])

    _sign_in_from_new_browser(user, relaxed.password, django_capture_on_commit_callbacks)

    assert smtp_server.event.wait(10)
    [envelope] = smtp_server.messages
    assert envelope.rcpt_tos == [user.email]
    message, body = _parse(envelope)
    assert message["Subject"].strip() == subject
    assert message["To"] == user.email
    for phrase in phrases:
        assert phrase in body
    assert "203.0.113.77" not in body  # the network, not the exact address
    outbox = OutboxEmail.objects.get(kind="accounts/email/new_device")
    assert outbox.status == OutboxEmail.Status.SENT
    assert outbox.body_text == ""  # delivered: the content is not kept
    assert len(events("security.login.new_device")) == 1


def test_signing_in_again_from_the_same_browser_sends_nothing(
    relaxed, smtp_server, django_capture_on_commit_callbacks
):
    browser = _sign_in_from_new_browser(
        relaxed.member, relaxed.password, django_capture_on_commit_callbacks
    )
    assert smtp_server.event.wait(10)
    browser.post("/accounts/logout/")
    with django_capture_on_commit_callbacks(execute=True):
        assert sign_in(browser, relaxed.member.email, relaxed.password).status_code == 302
    assert len(smtp_server.messages) == 1
    assert OutboxEmail.objects.filter(kind="accounts/email/new_device").count() == 1


def test_a_browser_known_for_another_user_is_new_for_this_one(
    relaxed, smtp_server, django_capture_on_commit_callbacks
):
    browser = _sign_in_from_new_browser(
        relaxed.member, relaxed.password, django_capture_on_commit_callbacks
    )
    browser.post("/accounts/logout/")
    with django_capture_on_commit_callbacks(execute=True):
        assert sign_in(browser, relaxed.viewer.email, relaxed.password).status_code == 302
    recipients = sorted(
        r
        for m in OutboxEmail.objects.filter(kind="accounts/email/new_device")
        for r in [m.subject_id]
    )
    assert sorted([relaxed.member.pk, relaxed.viewer.pk]) == recipients
