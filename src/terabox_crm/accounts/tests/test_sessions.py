"""Sessions and devices (S14): the list, revocation, sign-out everywhere, timeouts."""

from __future__ import annotations

from datetime import timedelta
from unittest import mock

import pytest
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from terabox_crm.accounts import middleware, tracking
from terabox_crm.accounts.models import Device, UserSession
from terabox_crm.accounts.session_store import hash_session_key
from terabox_crm.accounts.tests.conftest import events, sign_in
from terabox_crm.testing.auth import login

pytestmark = pytest.mark.django_db

FIREFOX_WINDOWS = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0"
SAFARI_IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
)


def _browser(user_agent: str, ip: str) -> Client:
    return Client(HTTP_USER_AGENT=user_agent, REMOTE_ADDR=ip)


@pytest.fixture
def two_browsers(relaxed):
    """The member signed in from a Windows PC and from an iPhone (password only: relaxed)."""
    pc = _browser(FIREFOX_WINDOWS, "203.0.113.10")
    phone = _browser(SAFARI_IPHONE, "198.51.100.20")
    for browser in (pc, phone):
        assert sign_in(browser, relaxed.member.email, relaxed.password).status_code == 302
    return pc, phone


def test_every_sign_in_is_listed_with_device_and_address(two_browsers, relaxed):
    pc, _phone = two_browsers
    response = pc.get(reverse("accounts:security"), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert "Firefox 128 on Windows" in response.text
    assert "Mobile Safari 17 on iOS" in response.text
    assert "203.0.113.10" in response.text
    assert "198.51.100.20" in response.text
    assert response.text.count("This device") == 1


def test_session_list_in_japanese(two_browsers):
    pc, _phone = two_browsers
    response = pc.get(reverse("accounts:security"), HTTP_ACCEPT_LANGUAGE="ja")
    assert "この端末" in response.text
    assert "他のすべての端末からログアウト" in response.text
    assert "Windows の Firefox 128" in response.text


def _rows(html: str) -> list[str]:
    import re

    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return re.findall(r"<tr\b.*?</tr>", body, flags=re.S)


@pytest.mark.parametrize(
    ("language", "this_device", "ago", "end", "confirm"),
    [
        ("en", "This device", "2 hours ago", "End session…", "End the session on"),
        ("ja", "この端末", "2時間前", "セッションを終了…", "のセッションを終了しますか"),
    ],
)
def test_the_session_table_reads_like_a_device_list(
    two_browsers, relaxed, language, this_device, ago, end, confirm
):
    """This device first and marked in words; the other one's last activity
    as a relative time with the exact time in a title; ending it in a ⋯ menu
    that asks first — no bare button in the row."""
    pc, _phone = two_browsers
    phone_row = (
        UserSession.objects.filter(user=relaxed.member)
        .exclude(key_hash=hash_session_key(pc.session.session_key))
        .get()
    )
    UserSession.objects.filter(pk=phone_row.pk).update(
        last_seen_at=timezone.now() - timedelta(hours=2, minutes=5)
    )
    html = pc.get(reverse("accounts:security"), HTTP_ACCEPT_LANGUAGE=language).text
    current, other = _rows(html)
    assert this_device in current and 'aria-current="true"' in current
    assert this_device not in other
    assert ago in other
    assert 'title="' in other.split(ago)[0].rsplit("<time", 1)[1]
    assert 'class="menu-wrap action-menu"' in other
    assert end in other and confirm in other
    assert "btn-danger" not in html.split('id="sessions-title"', 1)[1]


def test_sign_out_everywhere_else_keeps_this_session(two_browsers, relaxed):
    pc, phone = two_browsers
    response = pc.post(reverse("accounts:sign_out_others"), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:security")
    page = pc.get(reverse("accounts:security"), HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    assert "1 other session was ended." in page.text
    assert "Sign out everywhere else" not in page.text  # nothing else left to end
    assert phone.get(reverse("accounts:security")).status_code == 302
    assert UserSession.objects.filter(user=relaxed.member).count() == 1
    [event] = events("accounts.sessions.revoked_others")
    assert event.payload == {"sessions": 1}


def test_sign_out_everywhere_else_needs_post(two_browsers):
    pc, _phone = two_browsers
    assert pc.get(reverse("accounts:sign_out_others")).status_code == 405


@pytest.mark.parametrize(
    ("seconds", "en", "ja"),
    [
        (20, "Just now", "たった今"),
        (5 * 60, "5 minutes ago", "5分前"),
        (3600, "1 hour ago", "1時間前"),
        (47 * 3600, "47 hours ago", "47時間前"),
        (3 * 86400, "3 days ago", "3日前"),
    ],
)
def test_relative_times_in_both_languages(seconds, en, ja):
    from django.utils import translation

    from terabox_crm.accounts.selectors import ago

    now = timezone.now()
    for language, expected in (("en", en), ("ja", ja)):
        with translation.override(language):
            assert ago(now - timedelta(seconds=seconds), now) == expected


def test_address_and_user_agent_are_encrypted_at_rest(two_browsers, relaxed):
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT ip, user_agent FROM accounts_usersession")
        rows = cursor.fetchall()
    assert len(rows) == 2
    for ip, user_agent in rows:
        assert ip.startswith("v1:") and user_agent.startswith("v1:")
        assert "203.0.113.10" not in ip and "Firefox" not in user_agent


def test_only_a_hash_of_the_session_key_is_stored(two_browsers):
    pc, _phone = two_browsers
    key = pc.cookies[settings.SESSION_COOKIE_NAME].value
    stored = set(Session.objects.values_list("session_key", flat=True))
    assert key not in stored
    assert hash_session_key(key) in stored
    assert UserSession.objects.filter(key_hash=hash_session_key(key)).exists()


def test_revoking_another_session_signs_that_browser_out(two_browsers, relaxed):
    pc, phone = two_browsers
    phone_key = phone.cookies[settings.SESSION_COOKIE_NAME].value
    row = UserSession.objects.get(key_hash=hash_session_key(phone_key))

    response = pc.post(reverse("accounts:session_revoke", args=[row.pk]))

    assert response.status_code == 302
    assert not Session.objects.filter(session_key=hash_session_key(phone_key)).exists()
    assert phone.get(reverse("accounts:security")).status_code == 302
    assert SESSION_KEY not in phone.session
    assert pc.get(reverse("accounts:security")).status_code == 200
    [event] = events("accounts.session.revoked")
    assert event.object_id == str(row.pk)


def test_revoking_the_current_session_signs_out(two_browsers):
    pc, _phone = two_browsers
    key = pc.cookies[settings.SESSION_COOKIE_NAME].value
    row = UserSession.objects.get(key_hash=hash_session_key(key))
    response = pc.post(reverse("accounts:session_revoke", args=[row.pk]))
    assert response["Location"].startswith("/accounts/signed-out/")
    assert SESSION_KEY not in pc.session


def test_nobody_can_revoke_someone_elses_session(client, two_browsers, relaxed):
    _pc, phone = two_browsers
    phone_key = phone.cookies[settings.SESSION_COOKIE_NAME].value
    row = UserSession.objects.get(key_hash=hash_session_key(phone_key))
    login(client, relaxed.viewer)
    response = client.post(reverse("accounts:session_revoke", args=[row.pk]))
    assert response.status_code == 404
    assert phone.get(reverse("accounts:security")).status_code == 200


def test_revoking_needs_post(two_browsers):
    pc, _phone = two_browsers
    row = UserSession.objects.first()
    assert pc.get(reverse("accounts:session_revoke", args=[row.pk])).status_code == 405


def test_sign_out_everywhere_ends_every_session_including_this_one(two_browsers, relaxed):
    pc, phone = two_browsers
    response = pc.post(reverse("accounts:sign_out_everywhere"))
    assert response["Location"].startswith("/accounts/signed-out/")
    assert UserSession.objects.filter(user=relaxed.member).count() == 0
    for browser in (pc, phone):
        assert browser.get(reverse("accounts:security")).status_code == 302
    [event] = events("accounts.sessions.revoked_all")
    assert event.payload == {"sessions": 2}


def test_password_change_ends_the_other_sessions_only(two_browsers, relaxed):
    pc, phone = two_browsers
    session = pc.session
    session["step_up_at"] = session["auth_started_at"]
    session.save()
    response = pc.post(
        reverse("accounts:change_password"),
        {
            "new_password1": "a brand new passphrase for me",
            "new_password2": "a brand new passphrase for me",
        },
    )
    assert response.status_code == 302
    assert pc.get(reverse("accounts:security")).status_code == 200
    assert phone.get(reverse("accounts:security")).status_code == 302
    assert UserSession.objects.filter(user=relaxed.member).count() == 1
    [event] = events("accounts.password.changed")
    assert event.payload == {"other_sessions_ended": 1}


def test_session_idle_for_more_than_thirty_minutes_is_not_accepted(client, cast):
    login(client, cast.member)
    assert client.get(reverse("accounts:security")).status_code == 200
    later = timezone.now() + timedelta(minutes=31)
    with mock.patch("django.utils.timezone.now", return_value=later):
        response = client.get(reverse("accounts:security"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_activity_keeps_a_session_alive_past_thirty_minutes(client, cast):
    login(client, cast.member)
    start = timezone.now()
    for minutes in (20, 40, 60):
        with mock.patch(
            "django.utils.timezone.now", return_value=start + timedelta(minutes=minutes)
        ):
            assert client.get(reverse("accounts:security")).status_code == 200


def test_session_older_than_twelve_hours_is_signed_out_even_when_active(client, cast):
    login(client, cast.member)
    later = middleware.now() + settings.SESSION_ABSOLUTE_SECONDS + 1
    with mock.patch.object(middleware, "now", return_value=later):
        response = client.get(reverse("accounts:security"))
    assert response.status_code == 302
    assert SESSION_KEY not in client.session
    assert not UserSession.objects.filter(user=cast.member).exists()


def test_session_just_under_twelve_hours_is_accepted(client, cast):
    login(client, cast.member)
    later = middleware.now() + settings.SESSION_ABSOLUTE_SECONDS - 60
    with mock.patch.object(middleware, "now", return_value=later):
        assert client.get(reverse("accounts:security")).status_code == 200


def test_unlisted_session_is_signed_out(client, cast):
    login(client, cast.member)
    UserSession.objects.filter(user=cast.member).delete()
    assert client.get(reverse("accounts:security")).status_code == 302
    assert SESSION_KEY not in client.session


def test_testing_helper_lists_the_session(client, cast):
    login(client, cast.member)
    assert UserSession.objects.filter(user=cast.member).count() == 1


def test_device_cookie_is_host_prefixed_secure_httponly_lax(client, relaxed):
    response = sign_in(client, relaxed.member.email, relaxed.password)
    cookie = response.cookies[tracking.DEVICE_COOKIE]
    assert cookie.key == "__Host-device"
    assert cookie["secure"] is True
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"
    assert cookie["path"] == "/"
    assert not cookie["domain"]
    assert int(cookie["max-age"]) > 365 * 24 * 3600
    device = Device.objects.get(user=relaxed.member)
    assert device.cookie_hash == tracking.hash_device_id(cookie.value)
    assert cookie.value not in device.cookie_hash


def test_the_same_browser_is_the_same_device_next_time(client, relaxed):
    sign_in(client, relaxed.member.email, relaxed.password)
    client.post(reverse("accounts:logout"))
    sign_in(client, relaxed.member.email, relaxed.password)
    assert Device.objects.filter(user=relaxed.member).count() == 1
    assert [e.payload["new_device"] for e in events("accounts.login.succeeded")] == [True, False]


def test_session_list_hides_sessions_that_expired(two_browsers, relaxed):
    pc, phone = two_browsers
    phone_key = phone.cookies[settings.SESSION_COOKIE_NAME].value
    Session.objects.filter(session_key=hash_session_key(phone_key)).update(
        expire_date=timezone.now() - timedelta(seconds=1)
    )
    response = pc.get(reverse("accounts:security"), HTTP_ACCEPT_LANGUAGE="en")
    assert "Mobile Safari" not in response.text


def test_housekeeping_removes_rows_of_ended_sessions(two_browsers, relaxed):
    from terabox_crm.accounts.housekeeping import purge_ended_sessions

    _pc, phone = two_browsers
    phone_key = phone.cookies[settings.SESSION_COOKIE_NAME].value
    Session.objects.filter(session_key=hash_session_key(phone_key)).update(
        expire_date=timezone.now() - timedelta(seconds=1)
    )
    assert purge_ended_sessions() == 1
    assert UserSession.objects.filter(user=relaxed.member).count() == 1


def _stored_expiry(client):
    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    return Session.objects.get(session_key=hash_session_key(key)).expire_date


def test_read_after_a_minute_moves_the_idle_deadline_to_thirty_minutes_from_now(client, cast):
    login(client, cast.member)
    later = timezone.now() + timedelta(minutes=2)
    with mock.patch("django.utils.timezone.now", return_value=later):
        response = client.get(reverse("accounts:security"))
    assert response.status_code == 200
    assert _stored_expiry(client) == later + timedelta(seconds=settings.SESSION_COOKIE_AGE)
    assert int(response.cookies[settings.SESSION_COOKIE_NAME]["max-age"]) == 30 * 60


def test_read_within_a_minute_leaves_the_idle_deadline_where_it_was(client, cast):
    login(client, cast.member)
    client.get(reverse("accounts:security"))
    deadline = _stored_expiry(client)
    later = timezone.now() + timedelta(seconds=50)
    with mock.patch("django.utils.timezone.now", return_value=later):
        assert client.get(reverse("accounts:security")).status_code == 200
    assert _stored_expiry(client) == deadline


def test_session_ends_thirty_minutes_after_its_deadline_last_moved_however_it_was_read(
    client, cast
):
    # Reads inside the minute do not move the deadline, so the limit is never
    # longer than 30 minutes after the last request (at most one minute shorter).
    login(client, cast.member)
    start = timezone.now()
    client.get(reverse("accounts:security"))  # the first read notes the workspace in use
    with mock.patch("django.utils.timezone.now", return_value=start + timedelta(seconds=50)):
        assert client.get(reverse("accounts:security")).status_code == 200
    past = start + timedelta(minutes=30, seconds=1)
    with mock.patch("django.utils.timezone.now", return_value=past):
        response = client.get(reverse("accounts:security"))
    assert response.status_code == 302


def test_last_seen_is_written_at_most_once_a_minute(client, cast):
    login(client, cast.member)
    row = UserSession.objects.get(user=cast.member)
    start = row.last_seen_at
    with mock.patch("django.utils.timezone.now", return_value=start + timedelta(seconds=30)):
        client.get(reverse("accounts:security"))
    assert UserSession.objects.get(pk=row.pk).last_seen_at == start
    later = start + timedelta(seconds=90)
    with mock.patch("django.utils.timezone.now", return_value=later):
        client.get(reverse("accounts:security"))
    assert UserSession.objects.get(pk=row.pk).last_seen_at == later
