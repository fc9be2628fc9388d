"""Which policy version is in force, which comes next, and the history (P10).

Only published versions count: a draft is never in force, never announced
and never shown on the public pages.
"""

from __future__ import annotations

from datetime import datetime

from django.core.cache import cache
from django.db.models import QuerySet
from django.utils import timezone

from terabox_crm.policies.models import NoticeDispatch, PolicyVersion


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


def notices_sent(kind: str | None = None) -> list[NoticeDispatch]:
    """The notices of policy changes, newest first, with their counts and
    times (what the trust centre shows: who was told, how many, when)."""
    dispatches = NoticeDispatch.objects.select_related("version").order_by("-started_at")
    if kind is not None:
        dispatches = dispatches.filter(version__kind=PolicyVersion.Kind(kind))
    return list(dispatches[:200])


# --- Versions in force, cached ----------------------------------------------------------
# Every signed-in request asks which versions are in force (the acceptance
# middleware): the answer is cached, until the next version takes effect
# and at most CACHE_SECONDS, and forgotten when a version is published.

CACHE_KEY = "policies:in-force"
CACHE_SECONDS = 300


def forget_cached() -> None:
    cache.delete(CACHE_KEY)


def versions_in_force(at: datetime | None = None) -> list[PolicyVersion]:
    """The version in force of each kind (kinds with none left out). One
    query over the published versions (a handful), cached for ``at=None``."""
    if at is not None:
        return [v for kind in PolicyVersion.Kind if (v := version_in_force(kind, at)) is not None]
    cached = cache.get(CACHE_KEY)
    if cached is not None:
        return cached
    now = timezone.now()
    in_force: dict[str, PolicyVersion] = {}
    timeout = CACHE_SECONDS
    published = PolicyVersion.objects.filter(published_at__isnull=False).order_by(
        "kind", "effective_at", "number"
    )
    for version in published:
        if version.effective_at <= now and version.published_at <= now:
            in_force[version.kind] = version  # the latest so far wins
        elif version.effective_at > now:
            timeout = min(timeout, max(1, int((version.effective_at - now).total_seconds())))
    versions = [in_force[kind] for kind in PolicyVersion.Kind if kind in in_force]
    cache.set(CACHE_KEY, versions, timeout)
    return versions
