"""Signing out tells the browser to forget the site's data (Clear-Site-Data,
S14), and the one-time page after it gives back what must survive: the device
cookie (or every later sign-in from this browser would be a "new device"), the
language cookie and the "you have signed out" notice (accounts/signout.py).

A Django test client does not act on Clear-Site-Data; ``_clear`` does what a
browser does with it. The real browser is in tests/test_browser_sign_out.py.
"""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from terabox_crm.accounts import tracking
from terabox_crm.accounts.models import UserSession
from terabox_crm.accounts.session_store import hash_session_key
from terabox_crm.accounts.tests.conftest import events, sign_in
from terabox_crm.testing.cookies import headers_of, parse

pytestmark = pytest.mark.django_db

CLEARED = '"cache", "cookies", "storage"'
FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"


def _browser() -> Client:
    return Client(HTTP_USER_AGENT=FIREFOX, REMOTE_ADDR="203.0.113.40")


def _signed_in(relaxed) -> Client:
    browser = _browser()
    assert sign_in(browser, relaxed.member.email, relaxed.password).status_code == 302
    return browser


def _clear(browser: Client, response) -> None:
    """What a browser does with ``Clear-Site-Data: "cookies"``."""
    if '"cookies"' in response.get("Clear-Site-Data", ""):
        browser.cookies.clear()


def _sign_out(browser: Client):
    response = browser.post(reverse("accounts:logout"), secure=True)
    _clear(browser, response)
    return response


def _set_cookie_names(response) -> set[str]:
    cookies = [parse(header) for header in headers_of(response)]
    return {cookie.name for cookie in cookies if not cookie.is_deletion}


def test_sign_out_tells_the_browser_to_clear_cache_cookies_and_storage(relaxed):
    response = _signed_in(relaxed).post(reverse("accounts:logout"), secure=True)
    assert response.status_code == 302
    assert response["Clear-Site-Data"] == CLEARED


def test_sign_out_everywhere_tells_this_browser_to_clear_its_site_data(relaxed):
    browser = _signed_in(relaxed)
    response = browser.post(reverse("accounts:sign_out_everywhere"), secure=True)
    assert response["Clear-Site-Data"] == CLEARED


def test_revoking_the_current_session_clears_this_browser(relaxed):
    browser = _signed_in(relaxed)
    key = browser.cookies[settings.SESSION_COOKIE_NAME].value
    row = UserSession.objects.get(key_hash=hash_session_key(key))
    response = browser.post(reverse("accounts:session_revoke", args=[row.pk]), secure=True)
    assert response["Clear-Site-Data"] == CLEARED


def test_revoking_another_session_leaves_this_browser_alone(relaxed):
    browser, other = _signed_in(relaxed), _signed_in(relaxed)
    key = other.cookies[settings.SESSION_COOKIE_NAME].value
    row = UserSession.objects.get(key_hash=hash_session_key(key))
    response = browser.post(reverse("accounts:session_revoke", args=[row.pk]), secure=True)
    assert response["Location"] == reverse("accounts:security")
    assert "Clear-Site-Data" not in response


def test_the_clearing_answer_sets_no_cookie_for_the_browser_to_keep(relaxed):
    response = _signed_in(relaxed).post(reverse("accounts:logout"), secure=True)
    assert _set_cookie_names(response) == set()


def test_the_clearing_answer_never_carries_the_device_id(relaxed):
    browser = _signed_in(relaxed)
    device_id = browser.cookies[tracking.DEVICE_COOKIE].value
    response = browser.post(reverse("accounts:logout"), secure=True)
    assert device_id not in response["Location"]
    assert device_id not in str(response.headers)


def test_signed_out_page_puts_the_device_cookie_back(relaxed):
    browser = _signed_in(relaxed)
    device_id = browser.cookies[tracking.DEVICE_COOKIE].value
    response = _sign_out(browser)
    page = browser.get(response["Location"], secure=True)
    assert page.status_code == 200
    assert page.cookies[tracking.DEVICE_COOKIE].value == device_id


def test_signing_in_again_from_the_same_browser_is_not_a_new_device(relaxed):
    browser = _signed_in(relaxed)
    browser.get(_sign_out(browser)["Location"], secure=True)
    assert sign_in(browser, relaxed.member.email, relaxed.password).status_code == 302
    assert len(events("security.login.new_device")) == 1  # the first sign-in only


def test_without_the_signed_out_page_the_next_sign_in_would_be_a_new_device(relaxed):
    """The page is what keeps the browser known: skipping it loses the device."""
    browser = _signed_in(relaxed)
    _sign_out(browser)
    assert sign_in(browser, relaxed.member.email, relaxed.password).status_code == 302
    assert len(events("security.login.new_device")) == 2


def test_signed_out_page_puts_the_language_cookie_back(relaxed):
    browser = _signed_in(relaxed)
    browser.post(reverse("web:set_language"), {"language": "en", "next": "/"}, secure=True)
    page = browser.get(_sign_out(browser)["Location"], secure=True)
    assert page.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"


def test_signed_out_page_sets_no_language_cookie_the_browser_did_not_have(relaxed):
    browser = _signed_in(relaxed)
    page = browser.get(_sign_out(browser)["Location"], secure=True)
    assert settings.LANGUAGE_COOKIE_NAME not in page.cookies


@pytest.mark.parametrize(
    ("language", "notice"),
    [("en", "You have signed out."), ("ja", "ログアウトしました。")],
)
def test_signed_out_page_says_so_in_the_users_language(relaxed, language, notice):
    relaxed.member.language = language
    relaxed.member.save(update_fields=["language"])
    browser = _signed_in(relaxed)
    page = browser.get(_sign_out(browser)["Location"], secure=True, HTTP_ACCEPT_LANGUAGE="de")
    assert notice in page.content.decode()
    assert page["Content-Language"] == language


@pytest.mark.parametrize(
    ("language", "notice"),
    [
        ("en", "You have been signed out on every device, including this one."),
        ("ja", "この端末を含む、すべての端末からログアウトしました。"),
    ],
)
def test_signed_out_page_after_sign_out_everywhere_says_every_device(relaxed, language, notice):
    relaxed.member.language = language
    relaxed.member.save(update_fields=["language"])
    browser = _signed_in(relaxed)
    response = browser.post(reverse("accounts:sign_out_everywhere"), secure=True)
    _clear(browser, response)
    page = browser.get(response["Location"], secure=True)
    assert notice in page.content.decode()


def test_signed_out_page_links_to_sign_in(relaxed):
    browser = _signed_in(relaxed)
    page = browser.get(_sign_out(browser)["Location"], secure=True)
    assert f'href="{reverse("accounts:login")}"' in page.content.decode()


def test_signed_out_link_works_once(relaxed):
    browser = _signed_in(relaxed)
    link = _sign_out(browser)["Location"]
    assert browser.get(link, secure=True).status_code == 200
    again = browser.get(link, secure=True)
    assert again.status_code == 302
    assert again["Location"] == reverse("accounts:login")
    assert tracking.DEVICE_COOKIE not in again.cookies


def test_head_does_not_use_up_the_signed_out_link(relaxed):
    browser = _signed_in(relaxed)
    link = _sign_out(browser)["Location"]
    assert browser.head(link, secure=True).status_code == 200
    assert tracking.DEVICE_COOKIE in browser.get(link, secure=True).cookies


def test_an_unknown_signed_out_link_leads_to_sign_in(db):
    response = _browser().get(
        reverse("accounts:signed_out", args=["not-a-token-we-gave"]), secure=True
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:login")


def test_a_forged_device_cookie_is_not_put_back(relaxed):
    browser = _signed_in(relaxed)
    browser.cookies[tracking.DEVICE_COOKIE] = "<script>alert(1)</script>-and-long-enough"
    page = browser.get(_sign_out(browser)["Location"], secure=True)
    assert tracking.DEVICE_COOKIE not in page.cookies


def test_signing_out_when_already_signed_out_still_keeps_the_device(relaxed):
    """An idle session expired, then "Sign out" was pressed: the device survives too."""
    browser = _signed_in(relaxed)
    device_id = browser.cookies[tracking.DEVICE_COOKIE].value
    browser.post(reverse("accounts:logout"), secure=True)  # signed out, cookies kept
    page = browser.get(_sign_out(browser)["Location"], secure=True)
    assert page.cookies[tracking.DEVICE_COOKIE].value == device_id


def test_sign_out_still_ends_the_session_and_records_the_event(relaxed):
    browser = _signed_in(relaxed)
    _sign_out(browser)
    assert UserSession.objects.filter(user=relaxed.member).count() == 0
    [event] = events("accounts.logout")
    assert event.actor_id == relaxed.member.pk


def test_an_operator_may_keep_cookies_out_of_the_clearing(relaxed, settings):
    settings.SIGN_OUT_CLEAR_SITE_DATA = ["cache", "storage"]
    response = _signed_in(relaxed).post(reverse("accounts:logout"), secure=True)
    assert response["Clear-Site-Data"] == '"cache", "storage"'


def test_an_operator_may_turn_the_clearing_off(relaxed, settings):
    settings.SIGN_OUT_CLEAR_SITE_DATA = []
    response = _signed_in(relaxed).post(reverse("accounts:logout"), secure=True)
    assert "Clear-Site-Data" not in response
