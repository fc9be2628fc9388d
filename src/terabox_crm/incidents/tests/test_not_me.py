""" "This wasn't me" (S13, S14): from the new-device email's link or the user
menu, every session ends, the password stops working, a reset link is
emailed, a security event is recorded and an incident is drafted in each of
the account's workspaces. A forged, expired or used link changes nothing and
is a security event."""

from __future__ import annotations

import email
import re
from datetime import timedelta
from email import policy as email_policy
from urllib.parse import unquote

import pytest
from django.test import Client
from django.urls import reverse
from django_scopes import scopes_disabled

from terabox_crm.accounts import not_me
from terabox_crm.accounts.models import User, UserSession
from terabox_crm.accounts.tests.conftest import events, sign_in
from terabox_crm.communications.models import OutboxEmail
from terabox_crm.contacts.tests.support import make_contact, member_of
from terabox_crm.incidents.models import AffectedItem, Incident, Status
from terabox_crm.notifications.models import Notification
from terabox_crm.testing import factories
from terabox_crm.testing.auth import login

pytestmark = pytest.mark.django_db

NOT_ME = reverse("accounts:not_me")
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
LINK = re.compile(r"https://\S+/accounts/not-me/\?token=(\S+)")


def _body(envelope) -> str:
    message = email.message_from_bytes(envelope.content, policy=email_policy.default)
    return message.get_body(preferencelist=("plain",)).get_content()


def _signed_in_twice(user, password):
    browsers = []
    for address in ("203.0.113.7", "198.51.100.9"):
        browser = Client(REMOTE_ADDR=address, HTTP_USER_AGENT=f"Test browser {address}")
        assert sign_in(browser, user.email, password).status_code == 302
        browsers.append(browser)
    return browsers


@pytest.mark.parametrize(
    ("language", "phrase"),
    [("en", "Or report it at once"), ("ja", "今すぐ報告")],
)
def test_the_new_device_email_carries_a_working_link(
    relaxed, smtp_server, django_capture_on_commit_callbacks, settings, language, phrase
):
    settings.SITE_URL = "https://127.0.0.1:8443"
    user = relaxed.member
    user.language = language
    user.save(update_fields=["language"])
    browser = Client(REMOTE_ADDR="203.0.113.7")
    with django_capture_on_commit_callbacks(execute=True):
        assert sign_in(browser, user.email, relaxed.password).status_code == 302
    [envelope] = [m for m in smtp_server.messages if user.email in m.rcpt_tos]
    body = _body(envelope)
    assert phrase in body
    token = unquote(LINK.search(body).group(1))
    assert not_me.check_token(token).user == user


def test_the_link_shows_what_will_happen_and_changes_nothing_until_posted(relaxed):
    user = relaxed.member
    browsers = _signed_in_twice(user, relaxed.password)
    token = not_me.make_token(user)
    stranger = Client()
    page = stranger.get(NOT_ME, {"token": token}, HTTP_ACCEPT_LANGUAGE="ja")
    assert page.status_code == 200
    assert "不審な活動を報告" in page.content.decode()
    assert UserSession.objects.filter(user=user).count() == 2
    assert browsers[0].get(reverse("accounts:security")).status_code == 200


def test_reporting_from_the_email_link_secures_the_account_and_drafts_an_incident(
    relaxed, django_capture_on_commit_callbacks
):
    user = relaxed.member
    other = factories.make_workspace("Initech")
    factories.add_member(other, user)
    # What the account did before: a person it created in Acme.
    contact = make_contact(member_of(relaxed.acme, user), family="佐藤", given="一郎")
    browsers = _signed_in_twice(user, relaxed.password)
    token = not_me.make_token(user)

    stranger = Client(enforce_csrf_checks=True)
    page = stranger.get(NOT_ME, {"token": token}, HTTP_ACCEPT_LANGUAGE="en")
    csrf = CSRF.search(page.content.decode()).group(1)
    with django_capture_on_commit_callbacks(execute=True):
        done = stranger.post(
            NOT_ME, {"token": token, "csrfmiddlewaretoken": csrf}, HTTP_ACCEPT_LANGUAGE="en"
        )
    assert done.status_code == 200
    assert "2 sessions were ended." in done.content.decode()

    user.refresh_from_db()
    assert not user.has_usable_password()
    assert not UserSession.objects.filter(user=user).exists()
    for browser in browsers:
        assert browser.get(reverse("accounts:security")).status_code == 302  # signed out
    assert OutboxEmail.objects.filter(kind="accounts/email/password_reset", subject_id=user.pk)
    [event] = events("security.account.reported_not_me")
    assert event.payload == {"via": "email"}

    with scopes_disabled():
        drafts = list(Incident.objects.filter(source_user=user).order_by("workspace__name"))
        assert [d.workspace for d in drafts] == [relaxed.acme, other]
        acme = drafts[0]
        assert acme.status == Status.DRAFT and acme.severity == "high"
        assert user.email in acme.title
        assert acme.timeline.count() == 1
        assert AffectedItem.objects.filter(
            incident=acme, object_type="contacts.contact", object_id=str(contact.pk)
        ).exists()
        # The workspace's owner and admin are told in the app.
        told = set(
            Notification.objects.filter(
                kind="incidents.drafted", workspace=relaxed.acme
            ).values_list("user_id", flat=True)
        )
    assert told == {relaxed.owner.pk, relaxed.admin.pk}
    assert events("incidents.incident.drafted")


def test_a_used_link_changes_nothing_and_is_a_security_event(relaxed):
    user = relaxed.member
    token = not_me.make_token(user)
    assert Client().post(NOT_ME, {"token": token}).status_code == 200
    with scopes_disabled():
        drafted = Incident.objects.count()
    user.refresh_from_db()
    password = user.password

    again = Client().post(NOT_ME, {"token": token}, HTTP_ACCEPT_LANGUAGE="en")
    assert again.status_code == 400
    assert "already been used" in again.content.decode()
    user.refresh_from_db()
    assert user.password == password
    with scopes_disabled():
        assert Incident.objects.count() == drafted
    assert [e.payload["reason"] for e in events("security.not_me.refused")] == ["used"]


@pytest.mark.parametrize("language", ["ja", "en"])
def test_a_forged_link_changes_nothing_and_is_a_security_event(relaxed, language):
    user = relaxed.member
    browsers = _signed_in_twice(user, relaxed.password)
    token = not_me.make_token(user)
    forged = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
    for response in (
        Client().get(NOT_ME, {"token": forged}, HTTP_ACCEPT_LANGUAGE=language),
        Client().post(NOT_ME, {"token": forged}, HTTP_ACCEPT_LANGUAGE=language),
        Client().post(NOT_ME, {"token": "not-a-token"}, HTTP_ACCEPT_LANGUAGE=language),
    ):
        assert response.status_code == 400
        text = response.content.decode()
        assert (
            "このリンクは使用できません" if language == "ja" else "This link cannot be used"
        ) in text
    assert UserSession.objects.filter(user=user).count() == 2
    assert User.objects.get(pk=user.pk).has_usable_password()
    with scopes_disabled():
        assert not Incident.objects.exists()
    assert {e.payload["reason"] for e in events("security.not_me.refused")} == {"forged"}
    assert browsers[0].get(reverse("accounts:security")).status_code == 200


def test_an_expired_link_is_refused(relaxed, monkeypatch):
    token = not_me.make_token(relaxed.member)
    monkeypatch.setattr(not_me, "VALID_FOR", timedelta(seconds=-1))
    assert Client().post(NOT_ME, {"token": token}).status_code == 400
    assert [e.payload["reason"] for e in events("security.not_me.refused")] == ["expired"]
    assert User.objects.get(pk=relaxed.member.pk).has_usable_password()


def test_the_user_menu_reports_with_a_csrf_checked_post(cast):
    user = cast.admin
    client = Client(enforce_csrf_checks=True)
    login(client, user)
    home = client.get("/", secure=True, HTTP_ACCEPT_LANGUAGE="en")
    assert f'href="{NOT_ME}"' in home.content.decode()
    assert "Report suspicious activity" in home.content.decode()
    page = client.get(NOT_ME, secure=True)
    assert page.status_code == 200
    # Without the CSRF token: refused, nothing changed.
    assert client.post(NOT_ME, {}, secure=True).status_code == 403
    assert User.objects.get(pk=user.pk).has_usable_password()
    csrf = CSRF.search(page.content.decode()).group(1)
    done = client.post(
        NOT_ME,
        {"csrfmiddlewaretoken": csrf},
        secure=True,
        HTTP_REFERER=f"https://testserver{NOT_ME}",
    )
    assert done.status_code == 200
    assert not User.objects.get(pk=user.pk).has_usable_password()
    assert client.get(reverse("accounts:security"), secure=True).status_code == 302
    [event] = events("security.account.reported_not_me")
    assert event.payload == {"via": "menu"}
    with scopes_disabled():
        assert Incident.objects.filter(source_user=user, workspace=cast.acme).count() == 1


def test_without_a_link_or_a_session_the_page_asks_to_sign_in():
    response = Client().get(NOT_ME)
    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]
