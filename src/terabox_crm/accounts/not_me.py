""" "This wasn't me": the account holder reports a sign-in or activity they
did not do (S13, S14).

Two ways in, one effect:

* the new-device email carries a link with a signed token (``link_for``):
  signed with the server's secret under its own salt, it names the user and
  a fingerprint of the account's password state, and expires after
  ``VALID_FOR``. The link opens a confirmation page; the report is a POST
  (a mail scanner that fetches links changes nothing);
* the user menu leads a signed-in user to the same page, whose form is a
  POST with the CSRF token.

``report`` then, in one transaction: ends every session of the account
(this one included), makes the password unusable and emails a reset link
(a forced reset: whoever knew the password knows nothing that works now),
records the security event ``security.account.reported_not_me`` and calls
the handlers registered with ``register`` — the API revokes every personal
access token of the account there (``api.not_me``), the incidents app
drafts an incident, so this engine never imports the layers above it
(docs/architecture.md).

Single use without a table: the token's fingerprint covers the password
hash and the time it last changed, and ``report`` changes both, so the link
no longer matches once used. A forged, expired or used link changes nothing
and is recorded as ``security.not_me.refused`` (within a budget, so that a
flood of bad links cannot flood the trail).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import logout
from django.core import signing
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.http import urlencode

from terabox_crm.accounts import audit, services, tracking
from terabox_crm.accounts.models import User
from terabox_crm.refusals import within_budget

log = logging.getLogger(__name__)

SALT = "terabox_crm.accounts.not_me"
VALID_FOR = timedelta(days=7)
REFUSALS_RECORDED = 50
REFUSAL_WINDOW = 600  # seconds

VIA_EMAIL = "email"
VIA_MENU = "menu"


@dataclass(frozen=True)
class Report:
    """What a handler is told: who reported, when, and how."""

    user: User
    at: datetime
    via: str
    sessions_ended: int
    # What each handler answered (its name → its result, when not None):
    # the API's "tokens_revoked", the incident drafted.
    results: dict = field(default_factory=dict)

    @property
    def tokens_revoked(self) -> int:
        return int(self.results.get("tokens_revoked", 0))


Handler = Callable[[Report], object]
_handlers: dict[str, Handler] = {}


def register(name: str, handler: Handler) -> None:
    """Call ``handler(report)`` inside the report's transaction (an app above
    registers from its ``AppConfig.ready``; the incidents app drafts an
    incident, the API revokes the account's tokens). A handler that answers
    a number under ``tokens_revoked`` (or anything else) has it kept in
    ``Report.results`` for the page to say."""
    _handlers[name] = handler


def unregister(name: str) -> None:
    _handlers.pop(name, None)


def _fingerprint(user: User) -> str:
    changed = user.password_changed_at.isoformat() if user.password_changed_at else ""
    return salted_hmac(SALT, f"{user.pk}|{user.password}|{changed}").hexdigest()[:32]


def make_token(user: User) -> str:
    return signing.dumps({"u": str(user.pk), "f": _fingerprint(user)}, salt=SALT)


def link_for(user: User) -> str:
    """The absolute link the new-device email carries."""
    path = reverse("accounts:not_me") + "?" + urlencode({"token": make_token(user)})
    return settings.SITE_URL.rstrip("/") + path


@dataclass(frozen=True)
class Checked:
    user: User | None
    reason: str = ""  # "", "forged", "expired", "used"


def check_token(token: str) -> Checked:
    """The user a link is for, or why it is refused; changes nothing."""
    try:
        data = signing.loads(token, salt=SALT, max_age=VALID_FOR)
    except signing.SignatureExpired:
        return Checked(None, "expired")
    except signing.BadSignature:
        return Checked(None, "forged")
    if not isinstance(data, dict):
        return Checked(None, "forged")
    user = User.objects.filter(pk=data.get("u"), is_active=True).first()
    if user is None:
        return Checked(None, "forged")
    if not constant_time_compare(str(data.get("f", "")), _fingerprint(user)):
        return Checked(None, "used")
    return Checked(user)


def refuse(reason: str, *, user: User | None = None) -> None:
    """Record a refused link as a security event (ids and the reason only)."""
    if not within_budget("accounts:not_me:refused", limit=REFUSALS_RECORDED, window=REFUSAL_WINDOW):
        return
    with transaction.atomic():
        audit.record("security.not_me.refused", user=user, actor=None, payload={"reason": reason})


@transaction.atomic
def report(*, user: User, via: str, request=None) -> Report:
    """End every session, force a password reset, record, tell the handlers."""
    at = timezone.now()
    workspace_request = request if request is not None and request.user == user else None
    # The chain is chosen before the sessions go (the request's workspace).
    audit.record(
        "security.account.reported_not_me",
        user=user,
        request=workspace_request,
        payload={"via": via},
    )
    ended = tracking.end_sessions(user)
    if workspace_request is not None:
        logout(request)
    user.set_unusable_password()
    user.password_changed_at = at
    user.save(update_fields=["password", "password_changed_at"])
    services.password_reset_link_send(user_id=str(user.pk))
    done = Report(user=user, at=at, via=via, sessions_ended=ended)
    for handler in _handlers.values():
        answer = handler(done)
        if isinstance(answer, dict):
            done.results.update(answer)
    return done
