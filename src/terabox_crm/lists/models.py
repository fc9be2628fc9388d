"""What a user keeps of a list: the columns chosen and named views.

Ids, codes and column names only, never a personal value (a search text is
not stored in a view: it may be a name). Deleted with the user or the
workspace (CASCADE)."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_scopes import ScopedManager


class ListColumns(models.Model):
    """The columns one user shows in one list of one workspace."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    workspace = models.ForeignKey("core.Workspace", on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    list_key = models.CharField(_("list"), max_length=40)
    columns = models.JSONField(default=list)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ScopedManager(workspace="workspace")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "user", "list_key"], name="lists_columns_one_per_list"
            )
        ]

    def __str__(self) -> str:
        return self.list_key


class ListView(models.Model):
    """A user's named view of a list: its filters and sort as ids and codes."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    workspace = models.ForeignKey("core.Workspace", on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    list_key = models.CharField(_("list"), max_length=40)
    name = models.CharField(_("name"), max_length=80)
    params = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedManager(workspace="workspace")

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["workspace", "user", "list_key"], name="lists_view_owner_idx")
        ]

    def __str__(self) -> str:
        return self.name
