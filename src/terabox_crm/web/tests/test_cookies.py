"""Every cookie the product sets is ``__Host-`` prefixed, Secure, ``Path=/``,
without ``Domain``, HttpOnly and SameSite (S14) — checked on every
``Set-Cookie`` of a walk through the main flows: sign-in with a second factor,
profile, language, a CRM record created with a flash message, sign-out, sign
out everywhere, a password reset request and an accepted invitation.

The same walk runs from outside against the real server in
``tests/test_http_hygiene_process.py``.
"""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from terabox_crm.accounts import mfa
from terabox_crm.accounts.tests.conftest import enrol
from terabox_crm.testing import factories
from terabox_crm.testing.cookies import CookieLog, headers_of, parse

pytestmark = pytest.mark.django_db

CONTACT_FORM = {
    "family_name": "山田",
    "given_name": "花子",
    "company_name": "",
    "company": "",
    "stage": "lead",
    "source": "direct",
    "emails-TOTAL_FORMS": "0",
    "emails-INITIAL_FORMS": "0",
    "phones-TOTAL_FORMS": "0",
    "phones-INITIAL_FORMS": "0",
}


class Walker:
    """A browser-like client: follows redirects one hop at a time, logging cookies."""

    def __init__(self) -> None:
        self.client = Client(HTTP_USER_AGENT="Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0")
        self.log = CookieLog()

    def request(self, method: str, url: str, data=None):
        response = getattr(self.client, method)(url, data or {}, secure=True)
        self._seen(f"{method.upper()} {url}", response)
        while response.status_code in {301, 302, 303, 307, 308}:
            url = response["Location"]
            response = self.client.get(url, secure=True)
            self._seen(f"GET {url}", response)
        return response

    def _seen(self, where: str, response) -> None:
        self.log.add(where, response)
        if '"cookies"' in response.get("Clear-Site-Data", ""):
            self.client.cookies.clear()  # as a browser does at sign-out

    def sign_in(self, user, device) -> None:
        self.request("get", reverse("accounts:login"))
        self.request(
            "post",
            reverse("accounts:login"),
            {"email": user.email, "password": factories.PASSWORD},
        )
        device.refresh_from_db()
        page = self.request(
            "post", reverse("accounts:login_verify"), {"code": mfa.current_code(device, +1)}
        )
        assert page.status_code == 200, page.content[:500]
        assert page.wsgi_request.user.is_authenticated


def walk(cast) -> CookieLog:
    """The main flows of a user with two-factor, and of anonymous visitors."""
    walker = Walker()
    device = enrol(cast.member)

    walker.sign_in(cast.member, device)
    walker.request("get", reverse("accounts:profile"))
    walker.request(
        "post", reverse("accounts:profile"), {"display_name": "Hanako", "language": "ja"}
    )
    walker.request("post", reverse("web:set_language"), {"language": "en", "next": "/"})
    walker.request("get", reverse("contacts:create"))
    created = walker.request("post", reverse("contacts:create"), CONTACT_FORM)
    assert created.status_code == 200
    walker.request("post", reverse("accounts:logout"))

    # Codes are used once: sign in again with the one after.
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(mfa, "now", lambda: mfa.time.time() + 60)
        walker.sign_in(cast.member, device)
    walker.request("get", reverse("accounts:security"))
    walker.request("post", reverse("accounts:sign_out_everywhere"))

    walker.request("get", reverse("accounts:password_reset"))
    walker.request("post", reverse("accounts:password_reset"), {"email": cast.member.email})

    _invitation, token = factories.make_invitation(cast.acme, "new.person@acme.example")
    invite = reverse("core:invite_accept", args=[token])
    walker.request("get", invite)
    walker.request(
        "post",
        invite,
        {
            "display_name": "New Person",
            "password1": "a long and memorable passphrase",
            "password2": "a long and memorable passphrase",
        },
    )
    return walker.log


def test_every_cookie_of_the_main_flows_is_host_prefixed_secure_and_http_only(cast):
    log = walk(cast)
    assert log.problems() == []


def test_the_walk_sees_the_session_csrf_language_and_device_cookies(cast):
    assert {"__Host-sessionid", "__Host-csrftoken", "__Host-lang", "__Host-device"} <= walk(
        cast
    ).names()


def test_saving_the_profile_keeps_its_message_out_of_cookies(client, cast):
    from terabox_crm.testing.auth import login

    login(client, cast.member)
    response = client.post(
        reverse("accounts:profile"),
        {"display_name": "Hanako", "language": "en"},
        secure=True,
    )
    assert response.status_code == 302
    assert "messages" not in {parse(header).name for header in headers_of(response)}
    page = client.get(response["Location"], secure=True)
    assert "Your profile has been saved." in page.content.decode()
