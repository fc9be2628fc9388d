"""Writes on accounts: two-factor, password, email, profile, sessions.

Each service validates, saves and records its audit event in one transaction
(the chain it goes to is decided in ``audit.py``), and queues its emails
through the outbox in that same transaction so they leave only if it commits.
Services that touch the current browser session take the ``request``.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import logout, update_session_auth_hash
from django.core.cache import caches
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _

from terabox_crm.accounts import audit, mfa, tasks, throttle, tracking
from terabox_crm.accounts.models import EmailChange, RecoveryCode, TOTPDevice, User, UserSession
from terabox_crm.communications.outbox import queue_email
from terabox_crm.crypto import normalise
from terabox_crm.refusals import Refusal, denial, recorded_after_rollback

EMAIL_CHANGE_VALID_FOR = timedelta(hours=1)
RESET_EMAILS_PER_HOUR = 3
UNCONFIRMED_DEVICE_REUSE = timedelta(minutes=30)


def _language_of(user) -> str:
    return user.language or translation.get_language() or settings.LANGUAGE_CODE


def _site_link(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def _token_hash(token: str) -> str:
    return hashlib.sha256(f"tbx-email-change:{token}".encode()).hexdigest()


# --- Two-factor ------------------------------------------------------------------------


@transaction.atomic
def totp_enrolment_start(*, actor: User) -> TOTPDevice:
    """The device to show in the enrolment screen: a new secret, or the one shown a moment ago.

    Reusing a recent unconfirmed secret means reloading the page does not
    invalidate what the user has just scanned.
    """
    existing = TOTPDevice.objects.select_for_update().filter(user=actor).first()
    if existing is not None and existing.confirmed:
        raise Refusal(_("Two-factor authentication is already on."), code="mfa_already_on")
    if existing is not None and timezone.now() - existing.created_at < UNCONFIRMED_DEVICE_REUSE:
        return existing
    if existing is not None:
        existing.delete()
    return TOTPDevice.objects.create(user=actor, secret=mfa.new_secret())


@transaction.atomic
def totp_enrolment_confirm(*, actor: User, code: str, request=None) -> list[str]:
    """Turn two-factor on once the user proves their app shows the right code.

    Returns the ten recovery codes in clear: the only time they exist so.
    """
    device = TOTPDevice.objects.select_for_update().filter(user=actor, confirmed=False).first()
    if device is None:
        raise Refusal(_("Start the set-up again: this page has expired."), code="enrolment_expired")
    if not mfa.verify_totp(device, code):
        raise Refusal(
            _("That code is not right. Check the time on your phone and enter the current code."),
            code="wrong_code",
        )
    device.confirmed = True
    device.confirmed_at = timezone.now()
    device.save(update_fields=["confirmed", "confirmed_at"])
    codes = mfa.replace_recovery_codes(actor)
    audit.record("accounts.mfa.enrolled", user=actor, request=request)
    return codes


@transaction.atomic
def recovery_codes_regenerate(*, actor: User, request=None) -> list[str]:
    """Replace the recovery codes; the old ones stop working at once."""
    if mfa.confirmed_device(actor) is None:
        raise Refusal(_("Turn on two-factor authentication first."), code="mfa_not_on")
    codes = mfa.replace_recovery_codes(actor)
    audit.record("accounts.mfa.recovery_codes_regenerated", user=actor, request=request)
    return codes


@recorded_after_rollback
@transaction.atomic
def totp_disable(*, actor: User, request=None) -> None:
    """Turn two-factor off — only where no workspace of the user requires it.

    The refusal is a security event (S5): someone tried to weaken a control
    a workspace requires; it goes to the chain ``events.workspace_for`` picks.
    """
    if actor.mfa_required():
        raise denial(
            "accounts.mfa.disable",
            message=_(
                "A workspace you belong to requires two-factor authentication, "
                "so it cannot be turned off."
            ),
            code="mfa_required",
            status=400,
            actor=actor,
            workspace=audit.workspace_for(actor, request),
        )
    deleted, _detail = TOTPDevice.objects.filter(user=actor).delete()
    if not deleted:
        raise Refusal(_("Two-factor authentication is not on."), code="mfa_not_on")
    RecoveryCode.objects.filter(user=actor).delete()
    audit.record("accounts.mfa.disabled", user=actor, request=request)


# --- Password --------------------------------------------------------------------------


def _notify_password_changed(user: User) -> None:
    queue_email(
        kind="accounts/email/password_changed",
        to=user.email,
        context={"when": timezone.now(), "security_url": tracking.security_url()},
        language=_language_of(user),
        subject_id=user.pk,
    )


@transaction.atomic
def password_change(*, actor: User, new_password: str, request) -> int:
    """Set a new password (already validated); every other session of the user ends.

    Returns how many other sessions were ended.
    """
    old_hash = tracking.current_key_hash(request)
    actor.set_password(new_password)
    actor.password_changed_at = timezone.now()
    actor.save(update_fields=["password", "password_changed_at"])
    # Keeps this session valid under the new password hash, and rotates its key.
    update_session_auth_hash(request, actor)
    new_hash = tracking.current_key_hash(request)
    UserSession.objects.filter(user=actor, key_hash=old_hash).update(key_hash=new_hash)
    ended = tracking.end_sessions(actor, keep_key_hash=new_hash)
    audit.record(
        "accounts.password.changed",
        user=actor,
        request=request,
        payload={"other_sessions_ended": ended},
    )
    _notify_password_changed(actor)
    return ended


def password_reset_request(*, email: str) -> bool:
    """Start a password reset for ``email``; the caller answers the same either way.

    Known and unknown addresses do the same work here — one lookup, one audit
    event, one job queued after commit — so neither the answer nor its timing
    tells whether an account exists; the job (``password_reset_link_send``)
    builds and queues the email only for an eligible account, and its payload
    is the user id or nothing. At most three links an hour per address,
    silently, so the form cannot flood someone's mailbox.

    Returns True when a link will be sent (for tests; never shown).
    """
    cache = caches["default"]
    counter = f"throttle:reset:{throttle.account_id(email)}"
    cache.add(counter, 0, 3600)
    try:
        sent = cache.incr(counter)
    except ValueError:  # expired between add and incr
        sent = 1
    user = User.objects.find_by_email(email)
    eligible = user is not None and user.is_active and sent <= RESET_EMAILS_PER_HOUR
    with transaction.atomic():
        audit.record(
            "accounts.password.reset_requested",
            user=user,
            actor=None,
            payload={"link_sent": eligible},
        )
        user_id = str(user.pk) if eligible else ""
        transaction.on_commit(lambda: _enqueue_reset(user_id))
    return eligible


def _enqueue_reset(user_id: str) -> None:
    tasks.send_password_reset(user_id)


@transaction.atomic
def password_reset_link_send(*, user_id: str) -> bool:
    """Queue the reset email for ``user_id`` (the job behind ``password_reset_request``)."""
    user = User.objects.filter(pk=user_id, is_active=True).first() if user_id else None
    if user is None:
        return False
    from django.contrib.auth.tokens import default_token_generator

    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    link = _site_link(reverse("accounts:password_reset_confirm", args=[uid, token]))
    queue_email(
        kind="accounts/email/password_reset",
        to=user.email,
        context={"reset_url": link, "valid_minutes": settings.PASSWORD_RESET_TIMEOUT // 60},
        language=_language_of(user),
        subject_id=user.pk,
    )
    return True


@transaction.atomic
def password_reset(*, user: User, new_password: str) -> int:
    """Set a new password from a reset link; every session of the user ends."""
    user.set_password(new_password)
    user.password_changed_at = timezone.now()
    user.save(update_fields=["password", "password_changed_at"])
    ended = tracking.end_sessions(user)
    # Whoever holds the mailbox is the owner: lift a cool-off an attacker may have caused.
    throttle.default().clear_account(email=user.email)
    audit.record("accounts.password.reset", user=user, payload={"sessions_ended": ended})
    _notify_password_changed(user)
    return ended


# --- Email -----------------------------------------------------------------------------


@transaction.atomic
def email_change_request(*, actor: User, new_email: str, request=None) -> None:
    """Send a confirmation link to the new address; nothing changes until it is clicked.

    If the address already belongs to another account, that address is told so
    instead, and the person asking sees the same answer (no account probing).
    """
    new_email = normalise.email(new_email, check=False)
    EmailChange.objects.filter(user=actor, used_at__isnull=True).delete()
    taken = User.objects.find_by_email(new_email) is not None
    language = _language_of(actor)
    if taken:
        queue_email(
            kind="accounts/email/email_in_use",
            to=new_email,
            context={},
            language=language,
            subject_id=actor.pk,
        )
    else:
        token = secrets.token_urlsafe(32)
        EmailChange.objects.create(
            user=actor,
            new_email=new_email,
            token_hash=_token_hash(token),
            expires_at=timezone.now() + EMAIL_CHANGE_VALID_FOR,
        )
        queue_email(
            kind="accounts/email/email_change_confirm",
            to=new_email,
            context={
                "confirm_url": _site_link(reverse("accounts:confirm_email", args=[token])),
                "valid_minutes": int(EMAIL_CHANGE_VALID_FOR.total_seconds() // 60),
            },
            language=language,
            subject_id=actor.pk,
        )
    audit.record(
        "accounts.email.change_requested",
        user=actor,
        request=request,
        personal={"new_email": new_email},
    )


def email_change_pending(token: str) -> EmailChange | None:
    """The still valid change a confirmation link names, or None."""
    return (
        EmailChange.objects.select_related("user")
        .filter(
            token_hash=_token_hash(token or ""),
            used_at__isnull=True,
            expires_at__gt=timezone.now(),
        )
        .first()
    )


@transaction.atomic
def email_change_confirm(*, token: str) -> User:
    """Apply the change a confirmation link names, and tell the old address."""
    change = (
        EmailChange.objects.select_for_update()
        .filter(
            token_hash=_token_hash(token or ""),
            used_at__isnull=True,
            expires_at__gt=timezone.now(),
        )
        .first()
    )
    if change is None:
        raise Refusal(_("This link has expired or has already been used."), code="link_expired")
    user = User.objects.select_for_update().get(pk=change.user_id)
    new_email = change.new_email
    if User.objects.find_by_email(new_email) is not None:
        raise Refusal(_("This email address is now used by another account."), code="email_taken")
    old_email = user.email
    user.set_email(new_email)
    user.save(update_fields=["email", "email_index"])
    change.used_at = timezone.now()
    change.save(update_fields=["used_at"])
    audit.record(
        "accounts.email.changed",
        user=user,
        personal={"before": old_email, "after": new_email},
    )
    queue_email(
        kind="accounts/email/email_changed",
        to=old_email,
        context={"when": timezone.now(), "security_url": tracking.security_url()},
        language=_language_of(user),
        subject_id=user.pk,
    )
    return user


# --- Profile ---------------------------------------------------------------------------


@transaction.atomic
def profile_update(*, actor: User, display_name: str, language: str, request=None) -> list[str]:
    """Change the display name and language (no step-up: neither is a credential)."""
    changed = []
    personal = {}
    if display_name != actor.display_name:
        personal["display_name"] = {"before": actor.display_name, "after": display_name}
        actor.display_name = display_name
        changed.append("display_name")
    if language != actor.language:
        actor.language = language
        changed.append("language")
    if not changed:
        return changed
    actor.save(update_fields=changed)
    audit.record(
        "accounts.profile.changed",
        user=actor,
        request=request,
        payload={"fields": changed, **({"language": language} if "language" in changed else {})},
        personal=personal or None,
    )
    return changed


# --- Sessions --------------------------------------------------------------------------


@transaction.atomic
def session_revoke(*, actor: User, session: UserSession, request) -> bool:
    """End one of the actor's sessions; True when it was the current one (now signed out)."""
    is_current = session.key_hash == tracking.current_key_hash(request)
    audit.record(
        "accounts.session.revoked",
        user=actor,
        request=request,
        obj=session,
        payload={"current": is_current},
    )
    if is_current:
        logout(request)
    else:
        tracking.end_session(session)
    return is_current


@transaction.atomic
def session_revoke_all(*, actor: User, request) -> int:
    """End every session of the actor, this one included."""
    count = UserSession.objects.filter(user=actor).count()
    audit.record(
        "accounts.sessions.revoked_all", user=actor, request=request, payload={"sessions": count}
    )
    tracking.end_sessions(actor)
    logout(request)
    return count


@transaction.atomic
def session_revoke_others(*, actor: User, request) -> int:
    """End every session of the actor but this one ("sign out everywhere
    else"): the other browsers must sign in again; this one stays."""
    current = tracking.current_key_hash(request)
    count = UserSession.objects.filter(user=actor).exclude(key_hash=current).count()
    audit.record(
        "accounts.sessions.revoked_others",
        user=actor,
        request=request,
        payload={"sessions": count},
    )
    tracking.end_sessions(actor, keep_key_hash=current)
    return count


@transaction.atomic
def sign_out_record(*, actor: User, request) -> None:
    audit.record("accounts.logout", user=actor, request=request)
    logout(request)
