"""Signed-in sessions and the devices they come from (S14).

Every ``django.contrib.auth.login()`` — our sign-in, an invitation accepted,
the test client's ``force_login`` — creates a ``UserSession`` row through the
``user_logged_in`` signal, and every ``logout()`` deletes it; so the session
list is complete, and ``SessionPolicyMiddleware`` signs out any session that
has no row (it was revoked). Rows are found by the same key hash the session
store files Django's session under, which is what makes revocation possible
without keeping session keys.

A device is a browser, known by the random id in its long-lived
``__Host-device`` cookie; only a hash of the id is stored.
"""

from __future__ import annotations

import hashlib
import ipaddress
import re
import secrets
import time
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from ua_parser import parse

from terabox_crm import context
from terabox_crm.accounts import session_keys
from terabox_crm.accounts.models import Device, UserSession
from terabox_crm.accounts.session_store import delete_by_hash, hash_session_key

DEVICE_COOKIE = "__Host-device"
DEVICE_COOKIE_AGE = 2 * 365 * 24 * 3600
DEVICE_ID = re.compile(r"[A-Za-z0-9_-]{20,128}")
LAST_SEEN_EVERY = 60  # seconds: how stale "last seen" may get, to spare a write per request


def hash_device_id(device_id: str) -> str:
    return hashlib.sha256(f"tbx-device:{device_id}".encode()).hexdigest()


def new_device_id() -> str:
    return secrets.token_urlsafe(32)


def is_device_id(value: str) -> bool:
    """A value this product could have put in the device cookie (and may put back)."""
    return bool(DEVICE_ID.fullmatch(value))


def client_ip(request) -> str:
    ip = context.current().ip
    if not ip and request is not None:
        ip = request.META.get("REMOTE_ADDR", "")
    return ip


def client_user_agent(request) -> str:
    ua = context.current().user_agent
    if not ua and request is not None:
        ua = request.META.get("HTTP_USER_AGENT", "")[:512]
    return ua


def describe_user_agent(user_agent: str) -> str:
    """ "Firefox 128 on Windows" from a user agent string; a neutral label when unknown."""
    result = parse(user_agent or "")
    browser = result.user_agent.family if result.user_agent else ""
    if browser == "Other":
        browser = ""
    if browser and result.user_agent.major:
        browser = f"{browser} {result.user_agent.major}"
    system = result.os.family if result.os and result.os.family != "Other" else ""
    if browser and system:
        return _("%(browser)s on %(system)s") % {"browser": browser, "system": system}
    return browser or system or _("Unknown browser")


def approximate_ip(ip: str) -> str:
    """The network, not the host: 203.0.113.x, or the /48 of an IPv6 address."""
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return _("unknown")
    if address.version == 4:
        return (
            str(ipaddress.ip_network(f"{ip}/24", strict=False).network_address).rsplit(".", 1)[0]
            + ".x"
        )
    return str(ipaddress.ip_network(f"{ip}/48", strict=False))


# --- Session rows ----------------------------------------------------------------------


def current_key_hash(request) -> str | None:
    key = request.session.session_key
    return hash_session_key(key) if key else None


def on_login(sender, request, user, **kwargs) -> None:
    """``user_logged_in``: start the absolute clock and list the new session."""
    if request is None or not hasattr(request, "session"):
        return
    if request.session.session_key is None:
        # login() flushed a session that belonged to someone else: get a key now.
        request.session.save()
    request.session[session_keys.AUTH_STARTED_AT] = time.time()
    key_hash = hash_session_key(request.session.session_key)
    UserSession.objects.update_or_create(
        key_hash=key_hash,
        defaults={
            "user": user,
            "ip": client_ip(request),
            "user_agent": client_user_agent(request),
            "created_at": timezone.now(),
            "last_seen_at": timezone.now(),
        },
    )


def on_logout(sender, request, user, **kwargs) -> None:
    """``user_logged_out``: the session leaves the list (logout() deletes the session itself)."""
    if request is None or not hasattr(request, "session"):
        return
    key_hash = current_key_hash(request)
    if key_hash:
        UserSession.objects.filter(key_hash=key_hash).delete()


def session_row(request) -> UserSession | None:
    key_hash = current_key_hash(request)
    if key_hash is None:
        return None
    return UserSession.objects.filter(key_hash=key_hash).first()


def touch(request, row: UserSession) -> None:
    """Note activity on a signed-in session, writing at most once a minute (S14).

    Reads must not write: on SQLite every write takes the database's single
    write lock, so a page view that wrote would queue behind every other
    writer. Activity therefore moves the idle deadline and "last seen" only
    when they are a minute old; a session ends between 29 and 30 minutes
    after its last request, never later.
    """
    moment = timezone.now()
    refresh_idle_deadline(request.session, moment)
    if (moment - row.last_seen_at).total_seconds() < LAST_SEEN_EVERY:
        return
    row.last_seen_at = moment
    fields = ["last_seen_at"]
    ip = client_ip(request)
    if ip and ip != row.ip:
        row.ip = ip  # encrypted on save
        fields.append("ip")
    row.save(update_fields=fields)


def refresh_idle_deadline(session, moment) -> None:
    """Have the session saved (new expiry, new cookie Max-Age) if its deadline is a minute old.

    The idle limit is the stored session's own expiry, ``SESSION_COOKIE_AGE``
    after its last save; Django's session middleware saves a modified session
    and re-sends the cookie with the same age. A session loaded from
    elsewhere than our store (no ``stored_expire_date``) is left alone.
    """
    stored = getattr(session, "stored_expire_date", None)
    if stored is None or session.modified:
        return
    refreshed_ago = settings.SESSION_COOKIE_AGE - (stored - moment).total_seconds()
    if refreshed_ago >= settings.SESSION_IDLE_REFRESH_SECONDS:
        session.modified = True


def follow_key(row: UserSession, request) -> None:
    """The session key was rotated during the request: refile the row under the new hash."""
    key_hash = current_key_hash(request)
    if key_hash and key_hash != row.key_hash:
        UserSession.objects.filter(pk=row.pk).update(key_hash=key_hash)
        row.key_hash = key_hash


def end_sessions(user, *, keep_key_hash: str | None = None) -> int:
    """End every session of ``user`` (but ``keep_key_hash``): Django sessions and rows."""
    rows = UserSession.objects.filter(user=user)
    if keep_key_hash:
        rows = rows.exclude(key_hash=keep_key_hash)
    hashes = list(rows.values_list("key_hash", flat=True))
    for key_hash in hashes:
        delete_by_hash(key_hash)
    rows.delete()
    return len(hashes)


def end_session(row: UserSession) -> None:
    delete_by_hash(row.key_hash)
    row.delete()


# --- Devices ---------------------------------------------------------------------------


@dataclass(frozen=True)
class DeviceSighting:
    device: Device
    cookie_value: str  # to (re)set on the response
    is_new: bool


def sight_device(request, user) -> DeviceSighting:
    """Find or record the browser ``request`` comes from as one of ``user``'s devices."""
    cookie_value = request.COOKIES.get(DEVICE_COOKIE, "")
    if not is_device_id(cookie_value):
        cookie_value = new_device_id()
    cookie_hash = hash_device_id(cookie_value)
    device = Device.objects.filter(user=user, cookie_hash=cookie_hash).first()
    if device is not None:
        Device.objects.filter(pk=device.pk).update(last_seen_at=timezone.now())
        return DeviceSighting(device, cookie_value, is_new=False)
    device = Device.objects.create(
        user=user, cookie_hash=cookie_hash, user_agent=client_user_agent(request)
    )
    return DeviceSighting(device, cookie_value, is_new=True)


def set_device_cookie(response, cookie_value: str) -> None:
    response.set_cookie(
        DEVICE_COOKIE,
        cookie_value,
        max_age=DEVICE_COOKIE_AGE,
        path="/",
        secure=True,
        httponly=True,
        samesite="Lax",
    )


def attach_device(request, device: Device) -> None:
    key_hash = current_key_hash(request)
    if key_hash:
        UserSession.objects.filter(key_hash=key_hash).update(device=device)


def security_url() -> str:
    from django.urls import reverse

    return settings.SITE_URL.rstrip("/") + reverse("accounts:security")
