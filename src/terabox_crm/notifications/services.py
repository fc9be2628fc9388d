"""Writes to inboxes: sending a notification, marking read, and retention.

``notification_send`` is the one way other apps reach a user's inbox. Call it inside the
transaction of the change it reports: if that change rolls back, so does the
notification.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from terabox_crm.audit.chain import record
from terabox_crm.core.models import Membership
from terabox_crm.notifications import kinds
from terabox_crm.notifications.models import Notification

log = logging.getLogger(__name__)

MAX_PARAM_LENGTH = 200
KEEP_READ = timedelta(days=90)
KEEP_UNREAD = timedelta(days=365)
PURGE_BATCH = 1000

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


def notification_purge_expired(*, now: datetime | None = None) -> int:
    """Apply the retention rule; returns how many notifications were deleted.

    Deleted: read more than ``KEEP_READ`` ago; unread and created more than
    ``KEEP_UNREAD`` ago; about a workspace the recipient no longer belongs to.
    Nothing else is ever deleted here. Each batch of ``PURGE_BATCH`` rows is
    its own transaction so a large first run does not hold the write lock for
    long; the rule is a pure function of the rows, so an interrupted run is
    resumed simply by running it again. One audit event per run records the
    count (no ids, no personal data).
    """

    now = now or timezone.now()
    still_member = Membership.objects.with_scopes_disabled().filter(
        user_id=OuterRef("user_id"), workspace_id=OuterRef("workspace_id")
    )
    expired = Notification.objects.filter(
        Q(read_at__lt=now - KEEP_READ)
        | Q(read_at__isnull=True, created_at__lt=now - KEEP_UNREAD)
        | (Q(workspace__isnull=False) & ~Exists(still_member))
    )
    deleted = 0
    while True:
        with transaction.atomic():
            batch = list(expired.values_list("pk", flat=True)[:PURGE_BATCH])
            if not batch:
                break
            deleted += Notification.objects.filter(pk__in=batch).delete()[0]
    if deleted:
        with transaction.atomic():
            record("notifications.retention.purged", payload={"deleted": deleted})
        log.info("notification retention deleted %d notifications", deleted)
    return deleted
