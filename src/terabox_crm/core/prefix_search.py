"""The job that builds or deletes a workspace's prefix search terms to match
its setting (``Workspace.name_prefix_search``; leakage in
docs/decisions/0005-blind-index-leakage.md §3).

Resumable and batched: each batch is one transaction that saves the job's
progress with it, and the last one records the audit event. The terms
themselves are crypto's (``crypto.search_index``); the job lives in core,
above the audit trail (docs/architecture.md).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from terabox_crm import audit
from terabox_crm.core.models import Workspace
from terabox_crm.crypto.models import SearchTerm
from terabox_crm.crypto.search_index import (
    pending,
    prefix_domains,
    prefix_sources,
    replace_prefixes,
)

log = logging.getLogger(__name__)

DEFAULT_BATCH = 500
PURGE_BATCH = 5000
# A job that has not advanced for this long lost its worker (a batch takes a
# second or two): the periodic task continues it.
STALLED_AFTER = timedelta(minutes=10)


class _Superseded(Exception):
    """The setting changed under a batch: roll the batch back, the newer job goes on."""


def _build_batch(workspace_id, progress: dict, batch_size: int) -> bool:
    """Write the prefix terms of the next rows of the first unfinished source;
    False when every source is done."""
    states = progress.setdefault("sources", {})
    for source in prefix_sources():
        state = states.get(source.label) or {"cursor": None, "done": False}
        if state["done"]:
            continue
        queryset = source.model._base_manager.filter(workspace_id=workspace_id)
        if state["cursor"]:
            queryset = queryset.filter(pk__gt=state["cursor"])
        # Locked: a user saving one of these rows meanwhile either finished
        # (we read the new values) or waits and rewrites the terms after us.
        rows = list(queryset.order_by("pk").select_for_update(of=("self",))[:batch_size])
        replace_prefixes(workspace_id, source.domain, {row.pk: source.tokens(row) for row in rows})
        states[source.label] = {
            "cursor": str(rows[-1].pk) if rows else state["cursor"],
            "done": len(rows) < batch_size,
        }
        progress["rows"] = progress.get("rows", 0) + len(rows)
        return True
    return False


def _purge_batch(workspace_id, progress: dict, batch_size: int) -> bool:
    """Delete up to ``batch_size`` prefix terms; False when none are left."""
    domains = [name for source in prefix_sources() for name in prefix_domains(source.domain)]
    batch = SearchTerm.objects.filter(workspace_id=workspace_id, domain__in=domains).values("pk")[
        :batch_size
    ]
    deleted, _ = SearchTerm.objects.filter(pk__in=batch).delete()
    progress["terms_deleted"] = progress.get("terms_deleted", 0) + deleted
    return deleted >= batch_size


def _finish(workspace_id, *, on: bool, progress: dict) -> None:
    audit.record(
        "crypto.search.prefixes_built" if on else "crypto.search.prefixes_deleted",
        workspace=workspace_id,
        object_type="core.workspace",
        object_id=str(workspace_id),
        payload={"rows": progress.get("rows", 0)}
        if on
        else {"terms": progress.get("terms_deleted", 0)},
    )


def _step(workspace_id, batch_size: int) -> bool:
    """One batch in one transaction; True when there is more to do."""
    model = Workspace
    current = (
        model.objects.filter(pk=workspace_id)
        .values("name_prefix_search", "name_prefix_progress", "name_prefix_changed_at")
        .first()
    )
    if current is None or not pending(current["name_prefix_progress"]):
        return False
    on = current["name_prefix_search"]
    progress = dict(current["name_prefix_progress"])
    try:
        with transaction.atomic():
            if on:
                more = _build_batch(workspace_id, progress, batch_size)
            else:
                more = _purge_batch(workspace_id, progress, batch_size * 10)
            progress["done"] = not more
            progress["at"] = timezone.now().isoformat()
            # Saved only if the setting is still the one this job serves: a
            # change in between rolls the batch back (its own job follows).
            saved = model.objects.filter(
                pk=workspace_id, name_prefix_changed_at=current["name_prefix_changed_at"]
            ).update(name_prefix_progress=progress)
            if not saved:
                raise _Superseded
            if not more:
                _finish(workspace_id, on=on, progress=progress)
    except _Superseded:
        return False
    return more


def sync_prefixes(
    workspace_id, *, batch_size: int = DEFAULT_BATCH, max_batches: int | None = None
) -> bool:
    """Build (option on) or delete (option off) the workspace's prefix terms
    from where the last committed batch stopped; True once they match the
    setting. ``max_batches`` stops early; a later call resumes."""
    if batch_size < 1:
        raise ValueError("batch size must be at least 1")
    batches = 0
    while max_batches is None or batches < max_batches:
        if not _step(workspace_id, batch_size):
            break
        batches += 1
    current = Workspace.objects.filter(pk=workspace_id).values("name_prefix_progress")
    row = current.first()
    return row is not None and not pending(row["name_prefix_progress"])


def resume_stalled(*, batch_size: int = DEFAULT_BATCH) -> int:
    """Continue every prefix job that nobody advanced for ``STALLED_AFTER``."""
    cutoff = timezone.now() - STALLED_AFTER
    resumed = 0
    rows = Workspace.objects.filter(name_prefix_changed_at__lt=cutoff).values_list(
        "pk", "name_prefix_progress"
    )
    for workspace_id, progress in rows:
        if not pending(progress):
            continue
        at = progress.get("at")
        if at and datetime.fromisoformat(at) > cutoff:
            continue
        log.info("prefix terms of workspace %s: resuming a stalled job", workspace_id)
        sync_prefixes(workspace_id, batch_size=batch_size)
        resumed += 1
    return resumed
