"""What a sign-out tells the browser, and what it gives back (S14).

A sign-out (and "sign out everywhere", and revoking the current session)
answers with ``Clear-Site-Data: "cache", "cookies", "storage"``: the browser
drops the pages it cached, everything in its storage and every cookie of the
site. That is the point on a shared computer — and it would also drop three
things the next visitor of this browser should keep:

* the ``__Host-device`` cookie that recognises a known browser
  (``tracking.py``): without it the next sign-in from this very browser
  would count as a new device and email the user an alert every time;
* the language cookie chosen on the sign-in page;
* the "you have signed out" notice, which would have lived in the session.

So the sign-out answer sets no cookie and only redirects to a one-time page,
``/accounts/signed-out/<token>/``. The token is random and single-use; it
names a cache entry (kept ``TOKEN_SECONDS``) that holds the device cookie's
value, the language cookie and which notice to show. The device id itself
never appears in a URL, and a token read from the browser history later is
worth nothing. The page, a fresh response after the clearing, sets the
two cookies again and shows the notice in the user's language.

The cache must be shared by every process that serves requests (Redis when
there are several, as for the sign-in throttles); an entry that cannot be
found only costs the restored cookies, never a sign-in.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse
from django.shortcuts import redirect
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from terabox_crm.accounts import tracking

TOKEN_SECONDS = 120
CACHE_PREFIX = "accounts:signed-out:"

NOTICES = {
    "signed_out": _("You have signed out."),
    "everywhere": _("You have been signed out on every device, including this one."),
}


@dataclass(frozen=True)
class Kept:
    """What the signed-out page gives back to the browser."""

    notice: str  # a key of NOTICES
    language: str  # the language the user was reading in
    device_cookie: str = ""
    language_cookie: str = ""


def _cache_key(token: str) -> str:
    # The cache holds a hash of the token: a dump of the cache yields no link.
    return CACHE_PREFIX + hashlib.sha256(token.encode()).hexdigest()


def clear_site_data_header() -> str:
    return ", ".join(f'"{directive}"' for directive in settings.SIGN_OUT_CLEAR_SITE_DATA)


def signed_out_response(request, *, notice: str) -> HttpResponse:
    """The answer to a sign-out that has already happened (``logout()`` ran)."""
    if notice not in NOTICES:
        raise ValueError(f"unknown sign-out notice {notice!r}")
    device = request.COOKIES.get(tracking.DEVICE_COOKIE, "")
    language_cookie = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
    kept = Kept(
        notice=notice,
        language=translation.get_language() or settings.LANGUAGE_CODE,
        device_cookie=device if tracking.is_device_id(device) else "",
        language_cookie=language_cookie if language_cookie in dict(settings.LANGUAGES) else "",
    )
    token = secrets.token_urlsafe(32)
    cache.set(_cache_key(token), kept, TOKEN_SECONDS)
    response = redirect("accounts:signed_out", token=token)
    if settings.SIGN_OUT_CLEAR_SITE_DATA:
        response["Clear-Site-Data"] = clear_site_data_header()
    return response


def redeem(token: str, *, consume: bool = True) -> Kept | None:
    """What ``token`` kept, once: the first caller to delete the entry gets it."""
    key = _cache_key(token)
    kept = cache.get(key)
    if kept is None:
        return None
    if consume and not cache.delete(key):
        return None  # another request redeemed it in between
    return kept


def restore_cookies(response: HttpResponse, kept: Kept) -> None:
    if kept.device_cookie:
        tracking.set_device_cookie(response, kept.device_cookie)
    if kept.language_cookie:
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            kept.language_cookie,
            max_age=settings.LANGUAGE_COOKIE_AGE,
            path=settings.LANGUAGE_COOKIE_PATH,
            secure=settings.LANGUAGE_COOKIE_SECURE,
            httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
            samesite=settings.LANGUAGE_COOKIE_SAMESITE,
        )
