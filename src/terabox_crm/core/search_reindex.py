"""Rebuild the whole-token search terms of every registered source (S3).

When the way a field is split into terms changes (company names split into
words with legal forms ignored, full names joined:
docs/decisions/0010-company-name-search.md), rows written before still hold
the old terms. This job rewrites them from the decrypted values, for every
source registered with ``search_index.register_reindex_source`` (and their
prefix terms where the workspace has prefix search on).

Streamed and batched: rows are read in primary-key order, ``batch_size`` per
transaction, locked ``FOR UPDATE`` (a concurrent edit either finished, and its
new values are read, or waits and writes its terms after the batch); memory
holds one batch whatever the table size. Resumable: after each committed batch
the caller gets the progress (``{workspace: {source: {"cursor", "done"}}}``)
to keep; given it again, the job continues after the last committed row.
Rewriting a row twice is harmless (the terms are a function of the values).
Each workspace's end is an audit event (``crypto.search.reindexed``).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from django.db import transaction

from terabox_crm import audit
from terabox_crm.core.models import Workspace
from terabox_crm.crypto import keyring, search_index
from terabox_crm.crypto.models import DataKey

DEFAULT_BATCH = 1000


def _batch(workspace_id, source, state: dict, batch_size: int, prefixes: bool) -> int:
    """Rewrite the next rows of ``source``; the number of rows read."""
    with transaction.atomic():
        queryset = source.model._base_manager.filter(workspace_id=workspace_id)
        if state.get("cursor"):
            queryset = queryset.filter(pk__gt=state["cursor"])
        rows = list(queryset.order_by("pk").select_for_update(of=("self",))[:batch_size])
        search_index.replace_many(
            workspace_id, source.domain, {row.pk: source.tokens(row) for row in rows}
        )
        if prefixes:
            for prefix_source in search_index.prefix_sources():
                if prefix_source.domain == source.domain and prefix_source.model is source.model:
                    search_index.replace_prefixes(
                        workspace_id,
                        source.domain,
                        {row.pk: prefix_source.tokens(row) for row in rows},
                    )
    if rows:
        state["cursor"] = str(rows[-1].pk)
    state["rows"] = state.get("rows", 0) + len(rows)
    state["done"] = len(rows) < batch_size
    return len(rows)


def reindex(
    *,
    workspace_ids=None,
    progress: dict | None = None,
    batch_size: int = DEFAULT_BATCH,
    save: Callable[[dict], None] | None = None,
    on_batch: Callable[[str, int], None] | None = None,
) -> dict:
    """Rewrite the terms of every source in the chosen workspaces (default
    all), continuing ``progress`` if given; ``save(progress)`` is called
    after each committed batch, ``on_batch(label, rows)`` to report."""
    progress = progress if progress is not None else {}
    workspaces = Workspace.objects.order_by("pk")
    if workspace_ids is not None:
        workspaces = workspaces.filter(pk__in=workspace_ids)
    for workspace_id, prefixes in workspaces.values_list("pk", "name_prefix_search").iterator():
        key = str(workspace_id)
        states = progress.setdefault(key, {})
        if states.get("__done__"):
            continue
        keyring.preload(DataKey.objects.filter(scope=key).values_list("key_id", flat=True))
        started = time.monotonic()
        total = 0
        for source in search_index.reindex_sources():
            state = states.setdefault(source.label, {"cursor": None, "done": False})
            while not state["done"]:
                count = _batch(workspace_id, source, state, batch_size, prefixes)
                total += count
                if save:
                    save(progress)
                if on_batch:
                    on_batch(source.label, count)
        audit.record(
            "crypto.search.reindexed",
            workspace=workspace_id,
            object_type="core.workspace",
            object_id=key,
            payload={
                "rows": {label: state.get("rows", 0) for label, state in states.items()},
                "seconds": round(time.monotonic() - started, 3),
            },
        )
        states["__done__"] = True
        if save:
            save(progress)
    return progress
