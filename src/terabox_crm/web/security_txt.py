"""``/.well-known/security.txt`` (RFC 9116): where to report a vulnerability
in this installation (S8, S13; the interface contract names the file).

Every field comes from settings or from the clock, so the file is never
stale and never needs editing:

* ``Contact:`` — ``CRM_SECURITY_CONTACT`` (a ``mailto:`` or ``https:`` URI,
  checked at start-up). Without it, the role mailbox ``security@`` at the
  site's own domain: never a user's or an owner's address, which would publish
  personal data;
* ``Expires:`` — ``EXPIRES_AFTER`` past the start of the current UTC day, so
  it moves forward every day on its own, stays the same all day (caches and
  scanners see one value per day) and is always under a year ahead, as the
  RFC recommends;
* ``Preferred-Languages: ja, en`` — the product's two languages;
* ``Canonical:`` — this file's address under ``CRM_SITE_URL``;
* ``Policy:`` — the public security policy page ``/security/``, from the day
  a URL pattern serves it (until then the line is left out rather than
  pointing at a 404).

The top-level ``/security.txt`` is legacy (RFC 9116 §3): it redirects here.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import Resolver404, resolve
from django.utils import timezone
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_safe

PATH = "/.well-known/security.txt"
POLICY_PATH = "/security/"
EXPIRES_AFTER = timedelta(days=180)
CACHE_SECONDS = 3600
PREFERRED_LANGUAGES = ("ja", "en")


def expires(now: datetime) -> datetime:
    day = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return day + EXPIRES_AFTER


def policy_page_exists(urlconf=None) -> bool:
    try:
        resolve(POLICY_PATH, urlconf)
    except Resolver404:
        return False
    return True


def _absolute(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def content(*, now: datetime, urlconf=None) -> str:
    lines = [
        f"Contact: {settings.SECURITY_CONTACT}",
        f"Expires: {expires(now):%Y-%m-%dT%H:%M:%SZ}",
        f"Preferred-Languages: {', '.join(PREFERRED_LANGUAGES)}",
        f"Canonical: {_absolute(PATH)}",
    ]
    if policy_page_exists(urlconf):
        lines.append(f"Policy: {_absolute(POLICY_PATH)}")
    return "\n".join(lines) + "\n"


@require_safe
@cache_control(max_age=CACHE_SECONDS, public=True)
def security_txt(request):
    """Public, no sign-in, no session; the same bytes for everyone all day."""
    return HttpResponse(
        content(now=timezone.now(), urlconf=getattr(request, "urlconf", None)),
        content_type="text/plain; charset=utf-8",
    )


@require_safe
def legacy_security_txt(request):
    return redirect(PATH, permanent=True)
