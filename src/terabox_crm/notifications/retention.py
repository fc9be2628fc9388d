"""Retention targets of notifications (P5): read notices after 90 days,
every notice after a year (the inventory's promise), and at once the notices
of a workspace their recipient no longer belongs to. Installation-wide: an
inbox spans workspaces and holds account notices with no workspace. The
retention run is the only path that deletes them (there is no job of its own).

Notifications are not held for a contact: a row holds ids and non-personal
values only (``notifications/__init__.py``), never a person's data.
"""

from __future__ import annotations

from django.db.models import Exists, OuterRef
from django.utils.translation import gettext_lazy as _

from terabox_crm.core.models import Membership
from terabox_crm.notifications.models import Notification
from terabox_crm.retention.registry import Action, Target, delete_rows, register


def _read_notifications_pending(*, workspace_id, cutoff, held):
    return Notification.objects.filter(read_at__isnull=False, read_at__lt=cutoff)


def _all_notifications_pending(*, workspace_id, cutoff, held):
    return Notification.objects.filter(created_at__lt=cutoff)


def _former_members_pending(*, workspace_id, cutoff, held):
    still_member = Membership.objects.with_scopes_disabled().filter(
        user_id=OuterRef("user_id"), workspace_id=OuterRef("workspace_id")
    )
    return Notification.objects.filter(workspace__isnull=False).exclude(Exists(still_member))


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
        apply=delete_rows(Notification),
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
        apply=delete_rows(Notification),
        default_enabled=True,
        per_workspace=False,
        holds_apply=False,
        order=81,
    )
)
register(
    Target(
        code="notifications.former_members",
        label=_("Notifications of a workspace left"),
        help_text=_("Notifications about a workspace their recipient no longer belongs to."),
        actions=(Action.DELETE,),
        default_action=Action.DELETE,
        inventory_retention="notification",
        default_days=0,
        pending=_former_members_pending,
        apply=delete_rows(Notification),
        default_enabled=True,
        per_workspace=False,
        holds_apply=False,
        order=82,
    )
)
