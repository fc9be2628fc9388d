"""Reads of a user's inbox. Every query on notifications starts here."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from terabox_crm.notifications.models import Notification


def unread_count(user) -> int:
    return Notification.objects.visible_to(user).filter(read_at__isnull=True).count()


def latest(user, *, unread_only: bool = False, limit: int | None = None) -> QuerySet[Notification]:
    notifications = Notification.objects.visible_to(user).order_by("-created_at", "-id")
    if unread_only:
        notifications = notifications.filter(read_at__isnull=True)
    return notifications[:limit] if limit else notifications


def get_visible(user, notification_id) -> Notification:
    """One notification of the user's, or 404 — another user's is not found, not forbidden."""
    found = Notification.objects.visible_to(user).filter(pk=notification_id).first()
    if found is None:
        raise Http404
    return found
