"""The sign-in flow (S2, S7, S14): password, then the second factor, then the session.

1. ``first_factor`` checks the throttle, then the email and password. An
   unknown email and a wrong password take the same path: the backend hashes
   a password either way, one failure event is recorded, the same counters
   move and the caller shows the same message with the same status.
2. A user with a confirmed TOTP device is not signed in yet: the session
   (with a fresh key) holds a *pending* state for ``PENDING_SECONDS``, and
   ``second_factor`` asks for a TOTP or recovery code. Its failures count
   toward the same throttle.
3. ``complete`` calls ``django.contrib.auth.login()`` — which rotates the
   session key — only after every factor passed, then stamps the session
   (``AUTH_STARTED_AT``, ``MFA_VERIFIED_AT``, ``STEP_UP_AT``), opens the
   user's last workspace, recognises the device and alerts on a new one.

Step-up re-authentication (``step_up``) reuses the same checks and throttle.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from django.contrib.auth import authenticate, login
from django.db import transaction
from django.utils import timezone, translation

from terabox_crm import detection
from terabox_crm.accounts import audit, mfa, not_me, session_keys, throttle, tracking
from terabox_crm.accounts.models import User
from terabox_crm.accounts.selectors import membership_for
from terabox_crm.communications.outbox import queue_email

BACKEND = "terabox_crm.accounts.backends.EmailBackend"


def now() -> float:
    return time.time()


@dataclass
class Outcome:
    """What happened to one sign-in (or step-up) step.

    ``status`` is ``signed_in``, ``second_factor`` (password right, code
    needed), ``failed`` (wrong credentials: one message for every cause),
    ``refused`` (throttled; see ``refusal``), ``expired`` (the pending sign-in
    is gone) or ``ok`` (step-up passed).
    """

    status: str
    refusal: throttle.Block | None = None
    user: User | None = None
    next_url: str = ""
    device_cookie: str = ""
    extra: dict = field(default_factory=dict)


def _record_trips(refusals: list[throttle.Block], *, user: User | None) -> None:
    for refusal in refusals:
        payload = {"scope": refusal.scope, "reason": refusal.reason, "seconds": refusal.retry_after}
        if refusal.scope == "account":
            audit.record("security.login.throttled", user=user, payload=payload)
        else:
            # An address, not an account: the system chain, no actor.
            audit.record("security.login.throttled", user=None, actor=None, payload=payload)


def _refused(refusals: list[throttle.Block], user: User | None = None) -> Outcome:
    longest = max(refusals, key=lambda r: r.retry_after)
    return Outcome("refused", refusal=longest, user=user)


def _count_failure(*, ip: str, email: str, user: User | None) -> list[throttle.Block]:
    started = throttle.default().failure(ip=ip, email=email)
    detection.login_failed(  # S7: credential stuffing, one account from many addresses
        ip=ip, account=throttle.account_id(email), actor=user, workspace=audit.workspace_for(user)
    )
    _record_trips(started, user=user)
    return started


def _gate(ip: str, email: str) -> throttle.Block | None:
    """Refuse when the account or address is cooling off; else count the attempt."""
    limiter = throttle.default()
    refusal = limiter.check(ip=ip, email=email)
    if refusal is None:
        refusal = limiter.attempt(ip=ip)
        if refusal is not None:
            _record_trips([refusal], user=None)
    return refusal


def first_factor(request, *, email: str, password: str, next_url: str) -> Outcome:
    ip = tracking.client_ip(request)
    refusal = _gate(ip, email)
    if refusal is not None:
        return Outcome("refused", refusal=refusal)

    user = authenticate(request, email=email, password=password)
    if user is None:
        # The account the attempt was aimed at, if any: the audit actor and chain.
        target = User.objects.find_by_email(email)
        audit.record(
            "security.login.failed",
            user=target,
            actor="user" if target is not None else None,
            payload={"step": "password"},
        )
        started = _count_failure(ip=ip, email=email, user=target)
        return _refused(started, target) if started else Outcome("failed")

    if mfa.confirmed_device(user) is not None:
        # A fresh key for the half-signed-in session: a fixed session id learns nothing.
        request.session.cycle_key()
        request.session[session_keys.LOGIN_PENDING] = {
            "user": str(user.pk),
            "at": now(),
            "hash": user.get_session_auth_hash(),
            "next": next_url,
        }
        return Outcome("second_factor", user=user, next_url=next_url)
    return complete(request, user, method="password", next_url=next_url)


def pending_user(request) -> tuple[User | None, dict]:
    """The user half-way through sign-in, or None when nothing (valid) is pending."""
    pending = request.session.get(session_keys.LOGIN_PENDING)
    if not isinstance(pending, dict):
        return None, {}
    if now() - float(pending.get("at", 0)) > session_keys.PENDING_SECONDS:
        request.session.pop(session_keys.LOGIN_PENDING, None)
        return None, {}
    user = User.objects.filter(pk=pending.get("user"), is_active=True).first()
    # A password changed meanwhile invalidates the first factor.
    if user is None or user.get_session_auth_hash() != pending.get("hash"):
        request.session.pop(session_keys.LOGIN_PENDING, None)
        return None, {}
    return user, pending


def second_factor(request, *, code: str) -> Outcome:
    user, pending = pending_user(request)
    if user is None:
        return Outcome("expired")
    ip = tracking.client_ip(request)
    refusal = _gate(ip, user.email)
    if refusal is not None:
        if refusal.scope == "account":
            request.session.pop(session_keys.LOGIN_PENDING, None)
        return Outcome("refused", refusal=refusal, user=user)

    method = mfa.verify_second_factor(user, code)
    if method is None:
        audit.record("security.login.failed", user=user, payload={"step": "second_factor"})
        started = _count_failure(ip=ip, email=user.email, user=user)
        if any(r.scope == "account" for r in started):
            request.session.pop(session_keys.LOGIN_PENDING, None)
        return _refused(started, user) if started else Outcome("failed", user=user)
    return complete(request, user, method=method, next_url=pending.get("next", ""))


def complete(request, user: User, *, method: str, next_url: str) -> Outcome:
    """Sign ``user`` in for real: every factor has passed."""
    request.session.pop(session_keys.LOGIN_PENDING, None)
    login(request, user, backend=BACKEND)  # rotates the session key
    moment = now()
    request.session[session_keys.AUTH_STARTED_AT] = moment
    if method != "password":
        request.session[session_keys.MFA_VERIFIED_AT] = moment
    # A complete sign-in is a fresh password (+ second factor) check: it counts as a step-up.
    request.session[session_keys.STEP_UP_AT] = moment
    membership = membership_for(
        user, str(user.last_workspace_id) if user.last_workspace_id else None
    )
    if membership is not None:
        request.session[session_keys.WORKSPACE] = str(membership.workspace_id)
    throttle.default().success(email=user.email)

    with transaction.atomic():
        sighting = tracking.sight_device(request, user)
        tracking.attach_device(request, sighting.device)
        audit.record(
            "accounts.login.succeeded",
            user=user,
            payload={"method": method, "new_device": sighting.is_new},
        )
        if method == "recovery_code":
            audit.record(
                "accounts.mfa.recovery_code_used",
                user=user,
                payload={"remaining": mfa.remaining_recovery_codes(user)},
            )
        if sighting.is_new:
            audit.record("security.login.new_device", user=user, obj=sighting.device)
            _alert_new_device(request, user)
    return Outcome(
        "signed_in",
        user=user,
        next_url=next_url,
        device_cookie=sighting.cookie_value,
        extra={"method": method, "new_device": sighting.is_new},
    )


def _alert_new_device(request, user: User) -> None:
    user_agent = tracking.client_user_agent(request)
    language = user.language or translation.get_language() or "ja"
    with translation.override(language):
        device = tracking.describe_user_agent(user_agent)
        network = tracking.approximate_ip(tracking.client_ip(request))
    queue_email(
        kind="accounts/email/new_device",
        to=user.email,
        context={
            "when": timezone.now(),
            "device": device,
            "network": network,
            "security_url": tracking.security_url(),
            "not_me_url": not_me.link_for(user),
        },
        language=language,
        subject_id=user.pk,
    )


def step_up(request, *, password: str, code: str | None) -> Outcome:
    """Re-authenticate the signed-in user: password, plus a code when they have a device."""
    user = request.user
    ip = tracking.client_ip(request)
    refusal = _gate(ip, user.email)
    if refusal is not None:
        return Outcome("refused", refusal=refusal, user=user)

    method = "password"
    ok = user.check_password(password)
    if ok and mfa.confirmed_device(user) is not None:
        method = mfa.verify_second_factor(user, code or "")
        ok = method is not None
    if not ok:
        audit.record("security.step_up.failed", user=user, request=request)
        started = _count_failure(ip=ip, email=user.email, user=user)
        return _refused(started, user) if started else Outcome("failed", user=user)

    moment = now()
    request.session[session_keys.STEP_UP_AT] = moment
    if method != "password":
        request.session[session_keys.MFA_VERIFIED_AT] = moment
    audit.record(
        "accounts.step_up.succeeded", user=user, request=request, payload={"method": method}
    )
    if method == "recovery_code":
        audit.record(
            "accounts.mfa.recovery_code_used",
            user=user,
            request=request,
            payload={"remaining": mfa.remaining_recovery_codes(user)},
        )
    return Outcome("ok", user=user)
