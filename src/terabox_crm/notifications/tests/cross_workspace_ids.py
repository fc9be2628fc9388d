"""Foreign ids for the notifications app's URL parameters (see testing/cross_workspace.py)."""

from __future__ import annotations

from terabox_crm.notifications.services import notification_send
from terabox_crm.testing.cross_workspace import ForeignId, param


@param("notification_id")
def foreign_notification(foreign) -> ForeignId:
    # Someone else's notification about the foreign workspace: opening or
    # marking it must be a 404 and must not mark it read.
    notification = notification_send(
        user=foreign.owner,
        kind="workspace.role_changed",
        workspace=foreign.workspace,
        params={"role": "owner"},
    )
    return ForeignId(notification.pk, identifying=(str(notification.pk),))
