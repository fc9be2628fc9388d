"""Reads of the retention engine: rules as they run, holds, the last runs."""

from __future__ import annotations

from django_scopes import scopes_disabled

from terabox_crm.retention import engine
from terabox_crm.retention.models import LegalHold, RetentionRun


def rules_for(*, membership) -> list[engine.Effective]:
    return engine.effective_rules(membership.workspace_id)


def active_hold(*, membership, subject_id) -> LegalHold | None:
    with scopes_disabled():
        return (
            LegalHold.objects.filter(
                workspace_id=membership.workspace_id, subject_id=subject_id, lifted_at__isnull=True
            )
            .select_related("set_by")
            .first()
        )


def holds_of(*, membership, subject_id, limit: int = 20) -> list[LegalHold]:
    with scopes_disabled():
        return list(
            LegalHold.objects.filter(workspace_id=membership.workspace_id, subject_id=subject_id)
            .select_related("set_by", "lifted_by")
            .order_by("-since")[:limit]
        )


def standing_holds(*, membership, limit: int = 1000) -> list[LegalHold]:
    with scopes_disabled():
        return list(
            LegalHold.objects.filter(
                workspace_id=membership.workspace_id, lifted_at__isnull=True
            ).order_by("-since")[:limit]
        )


def recent_runs(limit: int = 10) -> list[RetentionRun]:
    return list(RetentionRun.objects.order_by("-started_at")[:limit])
