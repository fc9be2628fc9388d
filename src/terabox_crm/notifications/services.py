"""Writes to inboxes: sending a notification and marking read.

Retention is the engine's (``notifications/retention.py``, P5).

``notification_send`` is the one way other apps reach a user's inbox. Call it inside the
transaction of the change it reports: if that change rolls back, so does the
notification.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping

from django.utils import timezone

from terabox_crm.core.models import Membership
from terabox_crm.notifications import kinds
from terabox_crm.notifications.models import Notification

log = logging.getLogger(__name__)

MAX_PARAM_LENGTH = 200

_Scalar = str | int | float | bool | None


def _clean_params(kind: kinds.Kind, params: Mapping[str, object] | None) -> dict[str, _Scalar]:
    clean: dict[str, _Scalar] = {}
    for key, value in (params or {}).items():
        if key not in kind.params:
            raise ValueError(f"notification kind {kind.name!r} takes no parameter {key!r}")
        if isinstance(value, uuid.UUID):
            value = str(value)
        if not isinstance(value, _Scalar):
            raise ValueError(f"parameter {key!r} must be an id or a plain value")
        if isinstance(value, str) and len(value) > MAX_PARAM_LENGTH:
            raise ValueError(f"parameter {key!r} is too long for an id or a plain value")
        clean[key] = value
    missing = kind.params - clean.keys()
    if missing:
        raise ValueError(f"notification kind {kind.name!r} needs {sorted(missing)}")
    return clean


def notification_send(
    *, user, kind: str, workspace=None, params: Mapping[str, object] | None = None
) -> Notification:
    """Put a notification of ``kind`` in ``user``'s inbox.

    ``params`` hold ids and non-personal values only (the text is rendered at
    read time, see ``kinds``). A workspace notification goes only to a member
    of that workspace: anything else is a bug in the caller and raises.
    """
    spec = kinds.get(kind)
    clean = _clean_params(spec, params)
    if spec.about_workspace and workspace is None:
        raise ValueError(f"notification kind {kind!r} must be sent with a workspace")
    if workspace is not None:
        is_member = (
            Membership.objects.with_scopes_disabled()
            .filter(user=user, workspace=workspace)
            .exists()
        )
        if not is_member:
            raise ValueError("notifications about a workspace go only to its members")
    return Notification.objects.create(user=user, workspace=workspace, kind=kind, params=clean)


def notification_mark_read(*, user, notification: Notification) -> Notification:
    """Mark one of the user's own notifications read (idempotent)."""
    if notification.user_id != user.pk:
        raise ValueError("a user can only mark their own notifications")
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
    return notification


def notification_mark_all_read(*, user) -> int:
    """Mark every visible unread notification of the user read; returns how many."""
    return (
        Notification.objects.visible_to(user)
        .filter(read_at__isnull=True)
        .update(read_at=timezone.now())
    )
