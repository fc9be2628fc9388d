"""Reads of guarded exports: which ones a member sees (their own; admins
and owners every one of the workspace, to approve them)."""

from __future__ import annotations

from django.db.models import QuerySet

from terabox_crm.core import policy
from terabox_crm.exports.models import Export
from terabox_crm.privacy.models import Purpose


def exports_for(membership) -> QuerySet[Export]:
    rows = Export.objects.filter(workspace_id=membership.workspace_id).select_related(
        "purpose", "requested_by", "approved_by"
    )
    if not policy.can(membership, "exports.approve"):
        rows = rows.filter(requested_by_id=membership.user_id)
    return rows


def purposes_of(membership) -> list[tuple[str, str]]:
    return [
        (purpose.code, purpose.name)
        for purpose in Purpose.objects.filter(workspace_id=membership.workspace_id)
    ]
