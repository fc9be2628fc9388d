"""Object-level policy rules for companies and contacts, registered with
``core.policy`` in ``apps.ready()``: the shared owner/team rules of
``core.records`` (the twin of ``RecordQuerySet.visible_to``/``editable_by``)."""

from __future__ import annotations

from terabox_crm.core.records import read_rule as can_read
from terabox_crm.core.records import write_rule as can_write
from terabox_crm.core.roles import RANK, Role

__all__ = ["can_create", "can_read", "can_write"]


def can_create(membership, obj) -> bool:
    return RANK[membership.role] >= RANK[Role.MEMBER]
