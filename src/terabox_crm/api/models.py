"""Personal access tokens for the REST API (SPEC §2, §4).

A token belongs to one user in one workspace and carries scopes (read, write,
export, privacy). Only the SHA-256 of the secret is stored: the token carries 256
random bits, so a fast unsalted hash leaves nothing to brute-force, and a
database leak reveals no usable credential. ``prefix`` (``tbx_`` + 8
characters) is shown in lists so a user can recognise a token.
"""

from __future__ import annotations

import hashlib
import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_scopes import ScopedManager


class Scope(models.TextChoices):
    READ = "read", _("Read")
    WRITE = "write", _("Write")
    EXPORT = "export", _("Export")
    # Irreversible privacy operations (erasure, P8): only a privacy officer
    # puts it on a token, and only after a fresh step-up (S4): a token cannot
    # step up, so this scope stands in for the step-up a session needs.
    PRIVACY = "privacy", _("Privacy (erasure)")


class ApiToken(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    workspace = models.ForeignKey(
        "core.Workspace", on_delete=models.CASCADE, related_name="api_tokens"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(max_length=12, db_index=True)
    token_hash = models.CharField(max_length=64, unique=True)
    scopes = models.JSONField(default=list)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = ScopedManager(workspace="workspace")

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"token {self.prefix}"

    @staticmethod
    def hash_secret(secret: str) -> str:
        return hashlib.sha256(secret.encode("utf-8")).hexdigest()

    def is_expired(self, now=None) -> bool:
        return (now or timezone.now()) >= self.expires_at

    @property
    def scope_labels(self) -> list[str]:
        return [str(Scope(value).label) for value in self.scopes if value in Scope.values]

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None and not self.is_expired()
