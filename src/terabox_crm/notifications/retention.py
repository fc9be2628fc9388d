"""Retention targets of notifications (P5): read notices after 90 days,
every notice after a year (the inventory's promise). Installation-wide: an
inbox spans workspaces and holds account notices with no workspace.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from terabox_crm.notifications.models import Notification
from terabox_crm.retention.registry import Action, Target, register


def _read_notifications_pending(*, workspace_id, cutoff, held):
    return Notification.objects.filter(read_at__isnull=False, read_at__lt=cutoff)


def _all_notifications_pending(*, workspace_id, cutoff, held):
    return Notification.objects.filter(created_at__lt=cutoff)


def _delete_notifications(*, workspace_id, ids, action) -> int:
    return Notification.objects.filter(pk__in=ids).delete()[0]


register(
    Target(
        code="notifications.read",
        label=_("Read notifications"),
        help_text=_("Notifications read more than the period ago."),
        actions=(Action.DELETE,),
        default_action=Action.DELETE,
        inventory_retention="notification",
        default_days=90,
        pending=_read_notifications_pending,
        apply=_delete_notifications,
        default_enabled=True,
        per_workspace=False,
        holds_apply=False,
        order=80,
    )
)
register(
    Target(
        code="notifications.all",
        label=_("All notifications"),
        help_text=_("Every notification, read or not, older than the period."),
        actions=(Action.DELETE,),
        default_action=Action.DELETE,
        inventory_retention="notification",
        pending=_all_notifications_pending,
        apply=_delete_notifications,
        default_enabled=True,
        per_workspace=False,
        holds_apply=False,
        order=81,
    )
)
