"""Reads of support tickets; which ones a member may read is
``Ticket.objects.visible_to(membership)`` (``core.records``: a ticket is
also its assignee's)."""

from __future__ import annotations

from django.db.models import Q

from terabox_crm.crypto import fields, keyring
from terabox_crm.support.models import Status, Ticket

OPEN_STATUSES = (Status.NEW, Status.OPEN, Status.PENDING)


def queue(membership, *, status: str = "", mine: bool = False, limit: int = 50, before=None):
    """Open tickets first by resolution deadline; ``before`` is the last seen (due, id)."""
    qs = Ticket.objects.visible_to(membership).select_related("assignee")
    qs = qs.filter(status=status) if status else qs.filter(status__in=OPEN_STATUSES)
    if mine:
        qs = qs.filter(assignee_id=membership.user_id)
    if before is not None:
        due, last_id = before
        qs = qs.filter(Q(resolution_due_at__gt=due) | Q(resolution_due_at=due, id__gt=last_id))
    rows = list(qs.order_by("resolution_due_at", "id")[: limit + 1])
    keyring.preload(
        {fields.key_id_of(row.__dict__["subject"]) for row in rows if row.__dict__.get("subject")}
    )
    return rows[:limit], len(rows) > limit
