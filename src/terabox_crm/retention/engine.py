"""Applying the retention rules (P5): the daily job and ``terabox-crm retention run``.

Design, in the order the code below follows it:

* **What runs.** Every workspace's rules (a target without a rule row runs
  with its default: on for the engine targets the inventory makes a promise
  for, off for CRM records until an admin turns them on), then the
  installation's own targets (sessions, account notices). A period is never
  shorter than the operator's legal minimum, even for a rule saved before the
  minimum was raised.
* **Batches.** Each target's due rows are read by primary key after the
  cursor (outside any write transaction), then expired in one transaction of
  at most ``batch_size`` (≤ 1,000) rows that also re-checks the rows are
  still due and not held, writes one audit event (counts and the id range,
  no personal data) and moves the run's cursor. A crash loses at most the
  batch in flight, and rerunning resumes the unfinished run from its
  cursors: nothing is done twice.
* **The write lock.** On SQLite a write transaction holds the database's
  one write lock from ``BEGIN IMMEDIATE`` to ``COMMIT``; every batch's
  transaction is timed, and the next batch is sized from the last one's
  cost per row to fill 60 % of the budget (``CRM_RETENTION_LOCK_BUDGET_MS``,
  250 ms), growing at most twofold per batch from a first batch of 100 rows.
  The longest hold and the smallest batch are kept on the run.
* **Legal holds.** The contacts under hold are read per workspace (a short
  list) and every target that concerns contacts leaves their rows alone.
* **Evidence.** ``RetentionRun`` keeps, per workspace and target, the rows
  expired, the batches and the cursor, for the trust centre (SPEC §6).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_scopes import scopes_disabled

from terabox_crm import audit
from terabox_crm.core.models import Workspace
from terabox_crm.retention import minimums, registry
from terabox_crm.retention.models import LegalHold, RetentionRule, RetentionRun
from terabox_crm.retention.registry import Target

MAX_BATCH = 1000
MIN_BATCH = 10
FIRST_BATCH = 100


@dataclass(frozen=True)
class Planned:
    workspace_id: object | None
    target: Target
    days: int
    action: str

    @property
    def key(self) -> str:
        return f"{self.workspace_id or '-'}/{self.target.code}"


@dataclass(frozen=True)
class Effective:
    """A target's rule in one workspace as it will run (row or default)."""

    target: Target
    days: int
    action: str
    enabled: bool
    minimum: int
    saved: bool  # an admin saved a rule (else the default)


def effective_rules(workspace_id) -> list[Effective]:
    floor = minimums.minimums()
    with scopes_disabled():
        rows = {r.target: r for r in RetentionRule.objects.filter(workspace_id=workspace_id)}
    found = []
    for target in registry.targets(per_workspace=True):
        minimum = floor.get(target.code, 0)
        row = rows.get(target.code)
        if row is not None:
            days, action, enabled = row.days, row.action, row.enabled
        else:
            days, action, enabled = (
                target.default_period(),
                target.default_action,
                target.default_enabled,
            )
        found.append(
            Effective(target, max(days, minimum), action, enabled, minimum, row is not None)
        )
    return found


def installation_rules() -> list[Effective]:
    floor = minimums.minimums()
    return [
        Effective(
            target,
            max(target.default_period(), floor.get(target.code, 0)),
            target.default_action,
            target.default_enabled,
            floor.get(target.code, 0),
            False,
        )
        for target in registry.targets(per_workspace=False)
    ]


def plan(workspace_ids=None) -> list[Planned]:
    """Every enabled rule of the chosen workspaces (default: all) and the installation."""
    with scopes_disabled():
        if workspace_ids is None:
            workspace_ids = list(Workspace.objects.order_by("pk").values_list("pk", flat=True))
    planned = [
        Planned(ws, rule.target, rule.days, rule.action)
        for ws in workspace_ids
        for rule in effective_rules(ws)
        if rule.enabled
    ]
    planned += [
        Planned(None, rule.target, rule.days, rule.action)
        for rule in installation_rules()
        if rule.enabled
    ]
    return planned


def held_subjects(workspace_id) -> list:
    """Contacts under an active legal hold in ``workspace_id`` (a short list)."""
    if workspace_id is None:
        return []
    with scopes_disabled():
        return list(
            LegalHold.objects.filter(workspace_id=workspace_id, lifted_at__isnull=True)
            .order_by()
            .values_list("subject_id", flat=True)
            .distinct()
        )


def _pending(item: Planned, now):
    return item.target.pending(
        workspace_id=item.workspace_id,
        cutoff=registry.cutoff_of(now, item.days),
        held=held_subjects(item.workspace_id) if item.target.holds_apply else [],
    )


def dry_run(*, workspace_ids=None, now=None) -> list[tuple[Planned, int]]:
    """Per enabled rule, how many rows a run now would expire. Changes nothing."""
    now = now or timezone.now()
    with scopes_disabled():
        return [(item, _pending(item, now).count()) for item in plan(workspace_ids)]


def _budget_ms() -> float:
    return float(getattr(settings, "RETENTION_LOCK_BUDGET_MS", 250))


def _next_size(size: int, hold_ms: float, budget_ms: float, ceiling: int) -> int:
    """The next batch's size: the rows that fit in 60 % of the budget at the
    last batch's cost per row, at most twice the last size (a cost is only
    known for sizes seen), never above ``ceiling`` nor below ``MIN_BATCH``."""
    per_row = hold_ms / max(size, 1)
    fits = int(budget_ms * 0.6 / per_row) if per_row > 0 else ceiling
    floor = min(MIN_BATCH, ceiling)
    return max(floor, min(ceiling, size * 2, fits))


def _unfinished() -> RetentionRun | None:
    return (
        RetentionRun.objects.filter(state=RetentionRun.State.RUNNING)
        .order_by("-started_at")
        .first()
    )


def run(
    *,
    trigger: str = "job",
    batch_size: int = MAX_BATCH,
    workspace_ids=None,
    progress: Callable[[int, int], None] | None = None,
    after_batch: Callable[[RetentionRun], None] | None = None,
    budget_ms: float | None = None,
) -> RetentionRun:
    """Apply every enabled rule; resume the last run if it did not finish.

    ``progress(done, total)`` is called after each batch (the command's
    bar). ``after_batch`` is a test hook (a crash between batches).
    """
    ceiling = max(1, min(int(batch_size), MAX_BATCH))
    budget = _budget_ms() if budget_ms is None else budget_ms
    with scopes_disabled():
        run_ = _unfinished()
        if run_ is None:
            run_ = RetentionRun.objects.create(trigger=trigger, now=timezone.now())
        else:
            run_.resumed_at = timezone.now()
            run_.save(update_fields=["resumed_at"])
        planned = [
            item for item in plan(workspace_ids) if not run_.progress.get(item.key, {}).get("done")
        ]
        remaining = {item.key: _remaining(run_, item) for item in planned}
        total, done = sum(remaining.values()), 0
        if progress:
            progress(0, total)
        # The first batch is small: its cost per row sizes the next ones, so
        # no transaction has to overrun the budget to learn it.
        size = min(FIRST_BATCH, ceiling)
        for item in planned:
            entry = run_.progress.setdefault(
                item.key,
                {"cursor": None, "done": False, "rows": 0, "batches": 0},
            )
            entry.update({"action": item.action, "days": item.days})
            while True:
                pending = _pending(item, run_.now)
                if entry["cursor"]:
                    pending = pending.filter(pk__gt=entry["cursor"])
                ids = list(pending.order_by("pk").values_list("pk", flat=True)[:size])
                if not ids:
                    entry["done"] = True
                    run_.save(update_fields=["progress"])
                    break
                started = time.perf_counter()
                with transaction.atomic():
                    _apply_batch(run_, item, ids, entry)
                hold_ms = (time.perf_counter() - started) * 1000
                run_.longest_hold_ms = max(run_.longest_hold_ms, hold_ms)
                _save_stats(run_, hold_ms, size)
                done += len(ids)
                if progress:
                    progress(min(done, total), max(total, done))
                size = _next_size(size, hold_ms, budget, ceiling)
                if after_batch:
                    after_batch(run_)
        run_.state = RetentionRun.State.DONE
        run_.finished_at = timezone.now()
        with transaction.atomic():
            run_.save(update_fields=["state", "finished_at", "longest_hold_ms", "smallest_batch"])
            audit.record(
                "retention.run.finished",
                object_type="retention.retentionrun",
                object_id=str(run_.pk),
                payload={"rows": run_.rows_total, "batches": run_.batches, "trigger": run_.trigger},
            )
    return run_


def _remaining(run_: RetentionRun, item: Planned) -> int:
    pending = _pending(item, run_.now)
    cursor = run_.progress.get(item.key, {}).get("cursor")
    if cursor:
        pending = pending.filter(pk__gt=cursor)
    return pending.count()


def _apply_batch(run_: RetentionRun, item: Planned, ids: list, entry: dict) -> int:
    """One transaction: re-check, expire, audit, move the cursor."""
    still = list(_pending(item, run_.now).filter(pk__in=ids).values_list("pk", flat=True))
    changed = (
        item.target.apply(workspace_id=item.workspace_id, ids=still, action=item.action)
        if still
        else 0
    )
    audit.record(
        "retention.batch.applied",
        workspace=item.workspace_id,
        object_type="retention.retentionrun",
        object_id=str(run_.pk),
        payload={
            "target": item.target.code,
            "action": item.action,
            "days": item.days,
            "rows": changed,
            "first_id": str(ids[0]),
            "last_id": str(ids[-1]),
        },
    )
    entry["cursor"] = str(ids[-1])
    entry["rows"] += changed
    entry["batches"] += 1
    run_.rows_total += changed
    run_.batches += 1
    # The hold statistics of the batches before this one ride along: no
    # commit of their own (a commit is an fsync on SQLite).
    run_.save(
        update_fields=["progress", "rows_total", "batches", "longest_hold_ms", "smallest_batch"]
    )
    return changed


def _save_stats(run_: RetentionRun, hold_ms: float, size: int) -> None:
    """Kept in memory; saved with the next batch and when the run finishes."""
    run_.smallest_batch = size if run_.smallest_batch is None else min(run_.smallest_batch, size)


def last_run() -> RetentionRun | None:
    return (
        RetentionRun.objects.filter(state=RetentionRun.State.DONE).order_by("-finished_at").first()
    )
