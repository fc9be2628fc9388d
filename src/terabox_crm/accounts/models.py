"""User accounts and what proves who they are.

A user is a person who signs in; what they may do in a workspace is their
``core.Membership`` there. The sign-in email is personal data: it is stored
encrypted, and found by its full-length blind index (``email_index``), which
also enforces uniqueness.

Beside the user live the second factor (``TOTPDevice`` and its
``RecoveryCode``\\s), the browsers they sign in from (``Device``), one row per
signed-in session (``UserSession``) and pending email changes. Everything
personal here (TOTP secret, IP addresses, user agents, a new email address) is
encrypted under the person's own subject key, so erasing the person shreds it
all at once; cookies, session keys and one-time tokens are kept only as hashes.
"""

from __future__ import annotations

import uuid

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_scopes import scopes_disabled

from terabox_crm.crypto import blind_index, normalise
from terabox_crm.crypto.fields import EncryptedTextField
from terabox_crm.crypto.keyring import SYSTEM_SCOPE


def email_index_of(email: str) -> str:
    return blind_index.full(
        normalise.email(email, check=False), scope=SYSTEM_SCOPE, domain="accounts.user.email"
    )


def subject_scope_of(user_id) -> str:
    """The key scope of one person's data (destroyed by erasure)."""
    return f"subject:{user_id}"


class UserManager(BaseUserManager):
    def get_by_email(self, email: str):
        return self.get(email_index=email_index_of(email))

    def find_by_email(self, email: str):
        return self.filter(email_index=email_index_of(email)).first()

    def create_user(self, email: str, password: str | None = None, **extra):
        user = self.model(**extra)
        user.set_email(email)
        if password:
            user.set_password(password)
            user.password_changed_at = timezone.now()
        else:
            user.set_unusable_password()
        user.save()
        return user


class User(AbstractBaseUser):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    email = EncryptedTextField(_("email"))
    email_index = models.CharField(max_length=64, unique=True)
    display_name = EncryptedTextField(_("display name"), blank=True, default="")
    language = models.CharField(
        _("language"),
        max_length=8,
        blank=True,
        default="",
        choices=[("ja", "日本語"), ("en", "English")],
    )
    is_active = models.BooleanField(default=True)
    date_joined = models.DateTimeField(default=timezone.now)
    password_changed_at = models.DateTimeField(null=True, blank=True)
    # The workspace the user last worked in: the next sign-in opens it, and
    # sign-in events are recorded in its audit chain (accounts/audit.py).
    last_workspace_id = models.UUIDField(null=True, blank=True)

    USERNAME_FIELD = "email_index"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    objects = UserManager()

    class Meta:
        ordering = ["date_joined"]

    def __str__(self) -> str:
        return f"user {self.pk}"

    def set_email(self, email: str) -> None:
        self.email = normalise.email(email, check=False)
        self.email_index = email_index_of(email)

    @property
    def label(self) -> str:
        """What the UI shows for this user: the display name, else the email."""
        return self.display_name or self.email

    # --- Two-factor -----------------------------------------------------------------

    @property
    def has_confirmed_totp(self) -> bool:
        if self._state.adding:
            return False
        return TOTPDevice.objects.filter(user=self, confirmed=True).exists()

    def mfa_required(self) -> bool:
        """True when some workspace of the user requires two-factor for them (S14)."""
        if self._state.adding:
            return False
        with scopes_disabled():
            memberships = self.memberships.select_related("workspace")
            return any(m.workspace.requires_mfa_for(m) for m in memberships)

    @property
    def password_without_mfa(self) -> bool:
        """True when this account signs in with a password alone (S2: then ≥ 15 chars).

        That is: no confirmed TOTP device and no workspace requiring one. A
        caller that knows better (creating a user for a workspace that
        requires two-factor) may set it explicitly before validating.
        """
        override = self.__dict__.get("_password_without_mfa")
        if override is not None:
            return override
        return not self.has_confirmed_totp and not self.mfa_required()

    @password_without_mfa.setter
    def password_without_mfa(self, value: bool) -> None:
        self.__dict__["_password_without_mfa"] = value

    @property
    def password_context_words(self) -> list[str]:
        """Words a password must not be built on besides the email: names around the user."""
        words = [part for part in self.display_name.split() if len(part) >= 4]
        if not self._state.adding:
            with scopes_disabled():
                names = self.memberships.values_list("workspace__name", "workspace__slug")
                for name, slug in names:
                    words.extend(w for w in (name, slug) if w and len(w) >= 4)
        return words

    # Django's permission hooks; authorisation lives in core.policy instead.
    is_staff = False
    is_superuser = False

    def has_perm(self, perm, obj=None) -> bool:
        return False

    def has_module_perms(self, app_label) -> bool:
        return False


class TOTPDevice(models.Model):
    """A user's TOTP authenticator (S14): RFC 6238, SHA-1, 6 digits, 30 s steps.

    One per user. Unconfirmed until the user has typed a code from it, and
    only confirmed devices are asked for at sign-in. ``last_t`` is the time
    step of the last accepted code: a code is accepted only for a later step,
    so each code works once.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="totp_device")
    secret = EncryptedTextField()  # hex of the 20-byte shared key
    confirmed = models.BooleanField(default=False)
    last_t = models.BigIntegerField(default=-1)
    created_at = models.DateTimeField(default=timezone.now)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"totp device of {self.user_id}"

    def encryption_scope(self) -> str:
        return subject_scope_of(self.user_id)


class RecoveryCode(models.Model):
    """One of the ten one-time recovery codes; only a salted SHA-256 is kept."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="recovery_codes")
    code_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"recovery code {self.pk}"


class Device(models.Model):
    """A browser a user has signed in from, known by its ``__Host-device`` cookie.

    Only a hash of the cookie's random id is stored. A sign-in whose cookie is
    not among the user's devices is a new-device sign-in and alerts the user.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="devices")
    cookie_hash = models.CharField(max_length=64)
    user_agent = EncryptedTextField(blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)
    last_seen_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "cookie_hash"], name="one_device_row_per_cookie"
            )
        ]

    def __str__(self) -> str:
        return f"device {self.pk} of {self.user_id}"

    def encryption_scope(self) -> str:
        return subject_scope_of(self.user_id)


class UserSession(models.Model):
    """One signed-in session, for the session list, revocation and sign-out everywhere.

    ``key_hash`` is the hash the session store files the Django session under
    (``session_store.hash_session_key``), so revoking deletes that session.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="sessions")
    key_hash = models.CharField(max_length=40, unique=True)
    device = models.ForeignKey(
        Device, on_delete=models.SET_NULL, null=True, blank=True, related_name="sessions"
    )
    created_at = models.DateTimeField(default=timezone.now)
    last_seen_at = models.DateTimeField(default=timezone.now)
    ip = EncryptedTextField(blank=True, default="")
    user_agent = EncryptedTextField(blank=True, default="")

    class Meta:
        ordering = ["-last_seen_at"]

    def __str__(self) -> str:
        return f"session {self.pk} of {self.user_id}"

    def encryption_scope(self) -> str:
        return subject_scope_of(self.user_id)


class EmailChange(models.Model):
    """A requested change of sign-in email, waiting for the link sent to the new address."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="email_changes")
    new_email = EncryptedTextField()
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"email change {self.pk} of {self.user_id}"

    def encryption_scope(self) -> str:
        return subject_scope_of(self.user_id)
