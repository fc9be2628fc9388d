"""One notification for one user (see the package docstring for who may read it)."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Notification(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notifications",
        verbose_name=_("recipient"),
    )
    # Not a django-scopes tenant model on purpose: an inbox spans the
    # recipient's workspaces and also holds account notices with no workspace.
    # Every read goes through ``selectors.visible_to(user)`` instead.
    workspace = models.ForeignKey(
        "core.Workspace",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("workspace"),
    )
    kind = models.CharField(_("kind"), max_length=100)
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["user", "-created_at"], name="notif_user_newest"),
            # The bell counts unread rows on every page: keep that an index-only lookup.
            models.Index(
                fields=["user"], condition=Q(read_at__isnull=True), name="notif_user_unread"
            ),
        ]

    def __str__(self) -> str:
        return f"notification {self.pk} ({self.kind})"

    @property
    def is_unread(self) -> bool:
        return self.read_at is None
