"""Which policy version is in force, which comes next, and the history (P10).

Only published versions count: a draft is never in force, never announced
and never shown on the public pages.
"""

from __future__ import annotations

from datetime import datetime

from django.db.models import QuerySet
from django.utils import timezone

from terabox_crm.policies.models import PolicyVersion


def _published(kind: str) -> QuerySet[PolicyVersion]:
    return PolicyVersion.objects.filter(kind=PolicyVersion.Kind(kind), published_at__isnull=False)


def version_in_force(kind: str, at: datetime | None = None) -> PolicyVersion | None:
    """The published version of ``kind`` that was in force at ``at`` (now by
    default): the one with the latest ``effective_at`` not after ``at``,
    published by then. None before the first version takes effect."""
    at = at or timezone.now()
    return (
        _published(kind)
        .filter(effective_at__lte=at, published_at__lte=at)
        .order_by("-effective_at", "-number")
        .first()
    )


def upcoming(kind: str, at: datetime | None = None) -> PolicyVersion | None:
    """The next published version of ``kind`` to take effect after ``at``
    (now by default), or None."""
    at = at or timezone.now()
    return _published(kind).filter(effective_at__gt=at).order_by("effective_at", "number").first()


def history(kind: str) -> list[PolicyVersion]:
    """Every published version of ``kind``, newest first (upcoming ones included)."""
    return list(_published(kind).order_by("-effective_at", "-number"))
