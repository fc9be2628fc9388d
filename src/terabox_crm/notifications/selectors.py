"""Reads of a user's inbox. Every query on notifications starts here."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.http import Http404

from terabox_crm.core.models import Membership
from terabox_crm.notifications.models import Notification


def visible_to(user) -> QuerySet[Notification]:
    """The user's own notifications, minus those of workspaces they have left."""
    if user is None or not user.is_authenticated:
        return Notification.objects.none()
    # Memberships are looked up across all workspaces, not just the current
    # one: the inbox is the same whichever workspace the user is looking at.
    member_of = Membership.objects.with_scopes_disabled().filter(user=user).values("workspace_id")
    return (
        Notification.objects.filter(user=user)
        .filter(Q(workspace__isnull=True) | Q(workspace_id__in=member_of))
        .select_related("workspace")
    )


def unread_count(user) -> int:
    return visible_to(user).filter(read_at__isnull=True).count()


def latest(user, *, unread_only: bool = False, limit: int | None = None) -> QuerySet[Notification]:
    notifications = visible_to(user).order_by("-created_at", "-id")
    if unread_only:
        notifications = notifications.filter(read_at__isnull=True)
    return notifications[:limit] if limit else notifications


def get_visible(user, notification_id) -> Notification:
    """One notification of the user's, or 404 — another user's is not found, not forbidden."""
    found = visible_to(user).filter(pk=notification_id).first()
    if found is None:
        raise Http404
    return found
