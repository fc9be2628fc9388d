"""Object-level policy rules for companies and contacts, registered with
``core.policy`` in ``apps.ready()``: without an object they answer by role,
with one they apply ``core.records`` (the twin of ``querysets.RecordQuerySet``)."""

from __future__ import annotations

from terabox_crm.core import records
from terabox_crm.core.roles import RANK, Role


def can_read(membership, obj) -> bool:
    if obj is None:
        return RANK[membership.role] >= RANK[Role.VIEWER]
    return records.can_read(membership, obj)


def can_create(membership, obj) -> bool:
    return RANK[membership.role] >= RANK[Role.MEMBER]


def can_write(membership, obj) -> bool:
    """Change, delete and merge: from member up, on one's own or one's team's records."""
    if obj is None:
        return RANK[membership.role] >= RANK[Role.MEMBER]
    return records.can_edit(membership, obj)
