"""User accounts. A user is a person who signs in; what they may do in a
workspace is their ``core.Membership`` there.

The sign-in email is personal data: it is stored encrypted, and found by its
full-length blind index (``email_index``), which also enforces uniqueness.
"""

from __future__ import annotations

import uuid

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from terabox_crm.crypto import blind_index
from terabox_crm.crypto.fields import EncryptedTextField
from terabox_crm.crypto.keyring import SYSTEM_SCOPE


def email_index_of(email: str) -> str:
    return blind_index.full(
        blind_index.normalise_email(email), scope=SYSTEM_SCOPE, domain="accounts.user.email"
    )


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

    USERNAME_FIELD = "email_index"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    objects = UserManager()

    class Meta:
        ordering = ["date_joined"]

    def __str__(self) -> str:
        return f"user {self.pk}"

    def set_email(self, email: str) -> None:
        self.email = blind_index.normalise_email(email)
        self.email_index = email_index_of(email)

    @property
    def label(self) -> str:
        """What the UI shows for this user: the display name, else the email."""
        return self.display_name or self.email

    # Django's permission hooks; authorisation lives in core.policy instead.
    is_staff = False
    is_superuser = False

    def has_perm(self, perm, obj=None) -> bool:
        return False

    def has_module_perms(self, app_label) -> bool:
        return False
