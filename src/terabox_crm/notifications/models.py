"""One notification for one user (see the package docstring for who may read it)."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from terabox_crm.core.models import Membership


class NotificationQuerySet(models.QuerySet):
    def visible_to(self, user):
        """The user's own notifications, minus those of workspaces they have left.

        The same spelling as every record's ``visible_to(membership)``, with a
        user instead of a membership on purpose: a notification is not an
        owned record of one workspace but one person's inbox, which spans
        their workspaces and holds account notices with no workspace. No role
        grants reading someone else's, so there is no policy action either.
        """
        if user is None or not user.is_authenticated:
            return self.none()
        # Memberships are looked up across all workspaces, not just the current
        # one: the inbox is the same whichever workspace the user is looking at.
        member_of = (
            Membership.objects.with_scopes_disabled().filter(user=user).values("workspace_id")
        )
        return (
            self.filter(user=user)
            .filter(Q(workspace__isnull=True) | Q(workspace_id__in=member_of))
            .select_related("workspace")
        )


class Notification(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notifications",
        verbose_name=pgettext_lazy("notification", "recipient"),
    )
    # Not a django-scopes tenant model on purpose: an inbox spans the
    # recipient's workspaces and also holds account notices with no workspace.
    # Every read goes through ``Notification.objects.visible_to(user)`` instead.
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

    objects = NotificationQuerySet.as_manager()

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
