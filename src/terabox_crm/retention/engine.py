"""Applying the retention rules (P5): the daily job and ``terabox-crm retention run``.

Design, in the order the code below follows it:

* **What runs.** Every workspace's rules (a target without a rule row runs
  with its default: on for the engine targets the inventory makes a promise
  for, off for CRM records until an admin turns them on), then the
  installation's own targets (sessions, account notices). A period is never
  shorter than the operator's legal minimum, even for a rule saved before the
  minimum was raised.
* **Batches.** Each target's next due rows are read by primary key after
  the cursor outside any write transaction (where due rows are sparse that
  walk is long, and it must not hold the lock), then one transaction of at
  most ``batch_size`` (≤ 1,000) rows re-checks them (the due query again,
  restricted to the batch's ids: a bounded cost), expires those still due
  and not held set-based, writes one audit event (counts and the id range,
  no personal data) and moves the run's cursor. A crash loses at most the batch
  in flight, and rerunning resumes the unfinished run from its cursors:
  nothing is done twice. On PostgreSQL, where no write transaction is a
  database-wide lock, a batch-table target walks inside the batch's
  transaction instead, and that walk is the re-check (``_walks_inside``).
* **One run at a time.** The run row carries a lease (holder, until when),
  taken in one transaction and renewed by every batch; the daily job and
  ``terabox-crm retention run`` in another process find it live and stand
  aside (``RunInProgress``). A lease left by a process that died runs out
  after ``LEASE_SECONDS`` and the next run resumes the work.
* **The write lock.** On SQLite a write transaction holds the database's
  one write lock from ``BEGIN IMMEDIATE`` to ``COMMIT``; every batch's
  transaction is timed, and the next batch is sized (``Sizer``) to fill 60 %
  of the budget (``CRM_RETENTION_LOCK_BUDGET_MS``, 250 ms) from the last
  eight batches' times fitted to a fixed part plus a part per row, growing
  at most twofold per batch from a first batch of 100 rows and shrinking at
  once after a slow one. A size chosen beforehand cannot foresee a stall, so
  inside the transaction the batch is applied in slices (``SLICES``), and
  no slice starts once the time spent plus the last slice's time would pass
  ``GUARD_SHARE`` of the budget: the batch then ends early, covering the
  rows before the unstarted slice (the cursor stops there), and the rest of
  the budget is left for the audit event, the run row and the commit.
  SQLite's WAL checkpoint, which its auto-checkpoint runs inside the
  committing call but *after* the write lock is released (sqlite.org,
  ``sqlite3_wal_hook``), is run by the engine itself between batches
  (``PASSIVE``, outside any transaction, every ``CHECKPOINT_ROWS`` rows)
  and timed apart: the hold measured is the transaction alone.
  The longest hold, the longest checkpoint and the smallest batch are kept
  on the run. PostgreSQL has no such lock (a batch locks its own rows), so
  there batches are not timed against a budget: each is ``batch_size``
  rows (``_budget_ms``).
* **Legal holds.** The contacts under hold are read per workspace (a short
  list) and every target that concerns contacts leaves their rows alone.
* **Evidence.** ``RetentionRun`` keeps, per workspace and target, the rows
  expired, the batches and the cursor, for the trust centre (SPEC §6).
"""

from __future__ import annotations

import contextlib
import math
import os
import socket
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import DatabaseError, IntegrityError, connection, transaction
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


def _held_for(item: Planned) -> list:
    return sorted(held_subjects(item.workspace_id)) if item.target.holds_apply else []


def _pending(item: Planned, now, held: list | None = None):
    return item.target.pending(
        workspace_id=item.workspace_id,
        cutoff=registry.cutoff_of(now, item.days),
        held=_held_for(item) if held is None else held,
    )


class _Due:
    """A target's due-row query, built once per target and run (that is:
    re-checked) inside every batch's transaction. The holds are re-read in
    each transaction (one short query): a hold placed during the run is
    honoured by the next batch."""

    def __init__(self, item: Planned, now) -> None:
        self.item, self.now = item, now
        self.held: list | None = None
        self.query = None

    def rows(self, *, fresh: bool = True):
        """The due query; ``fresh=False`` (the walk outside the transaction,
        which the transaction re-checks) keeps the holds last read."""
        if not fresh and self.query is not None:
            return self.query
        held = _held_for(self.item)
        if self.query is None or held != self.held:
            self.held, self.query = held, _pending(self.item, self.now, held)
        return self.query


def dry_run(*, workspace_ids=None, now=None) -> list[tuple[Planned, int]]:
    """Per enabled rule, how many rows a run now would expire. Changes nothing."""
    now = now or timezone.now()
    with scopes_disabled():
        return [(item, _pending(item, now).count()) for item in plan(workspace_ids)]


def _budget_ms() -> float:
    """How long a batch's write transaction may last. On SQLite it holds the
    database's one write lock, which every other writer of the installation
    waits for: ``CRM_RETENTION_LOCK_BUDGET_MS`` (250 ms). PostgreSQL locks
    only the rows a batch changes — rows due for expiry, which nobody else
    is writing — so there no time is budgeted and every batch is
    ``batch_size`` rows (1,000): sizing batches to 250 ms there made them
    200 rows on average and the run five times slower than the same work
    in batches of 1,000 (docs/performance.md, Retention at 1M on PostgreSQL)."""
    if connection.vendor != "sqlite":
        return math.inf
    return float(getattr(settings, "RETENTION_LOCK_BUDGET_MS", 250))


RECENT = 8  # batches whose cost per row sizes the next one
TARGET_SHARE = 0.6  # of the lock budget a batch is sized to fill
_clock = time.perf_counter  # (a test replaces it with a clock it moves)
GUARD_SHARE = 0.8  # of the budget after which no further slice of a batch starts
# A batch is applied in up to SLICES slices of at least SLICE_MIN rows. Two:
# a batch running a third slower than its size assumed is cut after its
# first half; each slice more costs the target's statements again.
SLICES = 2
SLICE_MIN = 50
# The WAL is checkpointed once this many rows were expired since the last
# checkpoint (each ends in an fsync: one per batch cost about 40 ms a batch
# at load 10 on 20,000 contacts, docs/performance.md).
CHECKPOINT_ROWS = 1000
LEASE_SECONDS = 120  # a run's lease, renewed by every batch


class Sizer:
    """Batch sizes that keep every write transaction inside the lock budget.

    A batch's time is a fixed part (the audit event and its chain append,
    the run row, the re-check, the commit) plus a part per row. Dividing a
    batch's time by its rows charges the fixed part to the rows: on a loaded
    machine the fixed part alone nears the budget, every batch then looks
    dear, the next is smaller, and batches collapse to ``MIN_BATCH`` (2,576
    batches of 39 rows on average in docs/performance.md). So the last
    ``RECENT`` batches' (rows, time) pairs are fitted to ``fixed + per_row ×
    rows`` (least squares), the fixed part raised by a high residual (the
    second highest; the highest while fewer than four are known) so that a
    batch that stalled shrinks the next one at once, and the next batch fills
    ``TARGET_SHARE`` of the budget — with at least a quarter of that share
    left for rows, so a fixed part near the budget does not shrink batches to
    nothing (smaller batches would not shorten it). While only one size has
    been seen, the cost per row is its time over its rows (the cautious
    reading). It grows at most twofold per batch and not at all after a
    batch longer than the share. Never above ``ceiling`` nor below
    ``MIN_BATCH``.
    """

    def __init__(self, budget_ms: float, ceiling: int) -> None:
        self.target_ms = budget_ms * TARGET_SHARE
        self.ceiling = ceiling
        # No budget (PostgreSQL, ``_budget_ms``): every batch at the ceiling.
        self.unbounded = math.isinf(budget_ms)
        self.size = ceiling if self.unbounded else min(FIRST_BATCH, ceiling)
        self.samples: deque[tuple[int, float]] = deque(maxlen=RECENT)

    @staticmethod
    def _high(values: list[float]) -> float:
        ordered = sorted(values, reverse=True)
        return ordered[1] if len(ordered) >= 4 else ordered[0]

    def _fits(self) -> int:
        rows = [n for n, _ in self.samples]
        times = [t for _, t in self.samples]
        if len(set(rows)) < 2:
            per_row, fixed = self._high([t / max(n, 1) for n, t in self.samples]), 0.0
        else:
            mean_n, mean_t = sum(rows) / len(rows), sum(times) / len(times)
            spread = sum((n - mean_n) ** 2 for n in rows)
            per_row = sum((n - mean_n) * (t - mean_t) for n, t in self.samples) / spread
            per_row = max(per_row, min(t / max(n, 1) for n, t in self.samples) / 10)
            base = mean_t - per_row * mean_n
            residual = self._high([t - (base + per_row * n) for n, t in self.samples])
            fixed = max(base, 0.0) + max(residual, 0.0)
        if per_row <= 0:
            return self.ceiling
        room = max(self.target_ms - fixed, self.target_ms / 4)
        return int(room / per_row)

    def observe(self, rows: int, hold_ms: float) -> int:
        if self.unbounded:
            return self.size
        self.samples.append((rows, hold_ms))
        grown = self.size if hold_ms > self.target_ms else self.size * 2
        floor = min(MIN_BATCH, self.ceiling)
        self.size = max(floor, min(self.ceiling, grown, self._fits()))
        return self.size


class RunInProgress(Exception):
    """Another process holds a live lease on the running run."""

    def __init__(self, run_: RetentionRun) -> None:
        until = f"{run_.lease_until:%Y-%m-%d %H:%M:%S %Z}" if run_.lease_until else "now"
        super().__init__(
            f"retention run {run_.pk} is in progress ({run_.holder or 'starting'}, "
            f"lease until {until})"
        )
        self.run = run_


class LeaseLost(Exception):
    """This process's lease ran out and another process took the run over."""


def _holder() -> str:
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{uuid.uuid4().hex[:12]}"


def _lease(now) -> object:
    return now + timedelta(seconds=LEASE_SECONDS)


def _acquire(trigger: str, holder: str) -> RetentionRun:
    """The running run (resumed) or a new one, leased to ``holder``.

    One transaction: on SQLite ``BEGIN IMMEDIATE`` serialises it, on
    PostgreSQL the row lock does; two processes that both find no running run
    and both create one collide on the one-running-run constraint, and the
    loser stands aside like any other second process.
    """
    now = timezone.now()
    try:
        with transaction.atomic():
            run_ = (
                RetentionRun.objects.select_for_update()
                .filter(state=RetentionRun.State.RUNNING)
                .order_by("-started_at")
                .first()
            )
            if run_ is None:
                return RetentionRun.objects.create(
                    trigger=trigger, now=now, holder=holder, lease_until=_lease(now)
                )
            if run_.lease_until is not None and run_.lease_until > now:
                raise RunInProgress(run_)
            run_.resumed_at, run_.holder, run_.lease_until = now, holder, _lease(now)
            run_.save(update_fields=["resumed_at", "holder", "lease_until"])
            return run_
    except IntegrityError:
        running = RetentionRun.objects.filter(state=RetentionRun.State.RUNNING).first()
        if running is None:
            raise
        raise RunInProgress(running) from None


def _release(run_: RetentionRun) -> None:
    """Give the lease back after an error, so a rerun resumes at once."""
    # If the database itself failed, the lease runs out on its own.
    with contextlib.suppress(DatabaseError):
        RetentionRun.objects.filter(pk=run_.pk, holder=run_.holder).update(lease_until=None)


def running() -> RetentionRun | None:
    """The run in progress in some process (a live lease), if any."""
    return RetentionRun.objects.filter(
        state=RetentionRun.State.RUNNING, lease_until__gt=timezone.now()
    ).first()


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

    Raises ``RunInProgress`` when another process is applying the rules.
    ``progress(done, total)`` is called after each batch (the command's
    bar). ``after_batch`` is a test hook (a crash between batches).
    """
    ceiling = max(1, min(int(batch_size), MAX_BATCH))
    budget = _budget_ms() if budget_ms is None else budget_ms
    with scopes_disabled():
        run_ = _acquire(trigger, _holder())
        try:
            with _checkpoints_between_batches():
                _run_leased(run_, ceiling, budget, workspace_ids, progress, after_batch)
        except BaseException:
            _release(run_)
            raise
    return run_


@contextlib.contextmanager
def _checkpoints_between_batches():
    """On SQLite, switch this connection's WAL auto-checkpoint off for the
    run (``checkpoint`` runs it between batches) and back on after it."""
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA wal_autocheckpoint")
        before = int(cursor.fetchone()[0])
        cursor.execute("PRAGMA wal_autocheckpoint=0")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA wal_autocheckpoint={before}")  # nosec B608  # an int read above


def checkpoint() -> float:
    """Copy the WAL back into the database (SQLite, ``PASSIVE``: it waits for
    no reader or writer and holds no write lock); returns the milliseconds
    it took. Nothing to do elsewhere."""
    if connection.vendor != "sqlite" or connection.in_atomic_block:
        return 0.0
    started = _clock()
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA wal_checkpoint(PASSIVE)")
        cursor.fetchone()
    return (_clock() - started) * 1000


def _run_leased(run_, ceiling, budget, workspace_ids, progress, after_batch) -> None:
    planned = [
        item for item in plan(workspace_ids) if not run_.progress.get(item.key, {}).get("done")
    ]
    total, done = 0, 0
    if progress:
        total = sum(_remaining(run_, item) for item in planned)
        progress(0, total)
    # The first batch is small: its cost per row sizes the next ones, so
    # no transaction has to overrun the budget to learn it.
    sizer = Sizer(budget, ceiling)
    unchecked = 0  # rows written since the last WAL checkpoint
    for item in planned:
        entry = run_.progress.setdefault(
            item.key,
            {"cursor": None, "done": False, "rows": 0, "batches": 0},
        )
        entry.update({"action": item.action, "days": item.days})
        due = _Due(item, run_.now)
        inside = _walks_inside(item.target, budget)
        while True:
            size = sizer.size
            ids = None  # walked inside the batch's transaction
            if not inside:
                # The next due rows, read outside any write transaction: on
                # a table where due rows are sparse this walk is long, and it
                # must not hold the lock. The batch's transaction re-checks them.
                ids = list(_next_due(due, entry, size, fresh=False))
            started, taken = _clock(), 0
            if ids != []:
                with transaction.atomic():
                    taken = _apply_batch(run_, due, ids, entry, budget, started, size)
            if not taken:  # nothing left due after the cursor
                entry["done"] = True
                with transaction.atomic():
                    _save_leased(run_, "progress")
                break
            hold_ms = (_clock() - started) * 1000
            run_.longest_hold_ms = max(run_.longest_hold_ms, hold_ms)
            if hold_ms > budget:  # a stall (CPU or I/O): counted, next batch cut
                entry["over_budget"] = entry.get("over_budget", 0) + 1
            unchecked += taken
            if unchecked >= CHECKPOINT_ROWS:
                unchecked = 0
                entry["longest_checkpoint_ms"] = round(
                    max(entry.get("longest_checkpoint_ms", 0.0), checkpoint()), 1
                )
            run_.smallest_batch = (
                size if run_.smallest_batch is None else min(run_.smallest_batch, size)
            )
            done += taken
            if progress:
                progress(min(done, total), max(total, done))
            sizer.observe(taken, hold_ms)
            if after_batch:
                after_batch(run_)
    checkpoint()
    run_.state = RetentionRun.State.DONE
    run_.finished_at = timezone.now()
    run_.lease_until = None
    with transaction.atomic():
        _save_leased(run_, "state", "finished_at", "longest_hold_ms", "smallest_batch")
        audit.record(
            "retention.run.finished",
            object_type="retention.retentionrun",
            object_id=str(run_.pk),
            payload={"rows": run_.rows_total, "batches": run_.batches, "trigger": run_.trigger},
        )


def _walks_inside(target: Target, budget_ms: float) -> bool:
    """Whether a target's due rows are walked inside each batch's transaction.

    On SQLite the walk runs outside, because a write transaction holds the
    database's one write lock and a walk over sparse due rows is long. On
    PostgreSQL, where a batch locks only its own rows and has no budget
    (``_budget_ms``), a batch-table target's walk fills the batch table
    in one statement inside the transaction and is its re-check: the ids do
    not travel to Python and back, and the due query runs once per batch,
    not twice (docs/performance.md, "The walk through the index")."""
    return target.batch_table and math.isinf(budget_ms) and connection.vendor == "postgresql"


def _next_due(due: _Due, entry: dict, size: int, *, fresh: bool):
    """The primary keys of the next ``size`` due rows after the cursor, in order."""
    pending = due.rows(fresh=fresh)
    if entry["cursor"]:
        pending = pending.filter(pk__gt=entry["cursor"])
    return pending.order_by("pk").values_list("pk", flat=True)[:size]


def _remaining(run_: RetentionRun, item: Planned) -> int:
    pending = _pending(item, run_.now)
    cursor = run_.progress.get(item.key, {}).get("cursor")
    if cursor:
        pending = pending.filter(pk__gt=cursor)
    return pending.count()


def _save_leased(run_: RetentionRun, *fields: str) -> None:
    """Save ``fields`` of the run and renew its lease, if this process still holds it."""
    if run_.state == RetentionRun.State.RUNNING:
        run_.lease_until = _lease(timezone.now())
    values = {name: getattr(run_, name) for name in (*fields, "lease_until")}
    if not RetentionRun.objects.filter(pk=run_.pk, holder=run_.holder).update(**values):
        raise LeaseLost(str(run_.pk))


def _slices(ids: list) -> list[list]:
    size = max(SLICE_MIN, -(-len(ids) // SLICES))
    return [ids[start : start + size] for start in range(0, len(ids), size)]


def _apply_batch(
    run_: RetentionRun,
    due: _Due,
    ids: list | None,
    entry: dict,
    budget_ms: float,
    started: float,
    size: int,
) -> int:
    """One transaction: re-check, expire (in slices, under a deadline), audit,
    move the cursor.

    The re-check is the due query again, restricted to the batch's ids (a
    bounded cost, whatever the table): rows changed or held since they were
    read are left alone. Holds are re-read here, inside the transaction.
    ``ids=None`` (``_walks_inside``): the next ``size`` due rows are walked
    here, and that walk is the re-check; none found returns 0, nothing done.
    The rows still due are expired slice by slice; a slice starts only if
    the time since ``started`` plus the last slice's time (scaled to its
    rows) stays under ``GUARD_SHARE`` of the budget, and the first always
    runs. Returns the rows the batch covered (read and decided): the ids up
    to the first slice not started; the cursor moves past them and the next
    batch starts there.
    """
    item = due.item
    if ids is None:
        loaded = registry.load_due(_next_due(due, entry, size, fresh=True))
        if not loaded:
            return 0
        ids, still = list(loaded), list(loaded)
    elif item.target.batch_table:
        loaded = registry.load_batch(ids)
        still = list(due.rows().filter(registry.among("pk", loaded)).values_list("pk", flat=True))
    else:
        loaded = None
        still = list(due.rows().filter(pk__in=ids).values_list("pk", flat=True))
    position = {pk: index for index, pk in enumerate(ids)}
    still.sort(key=position.__getitem__)
    guard_ms = budget_ms * GUARD_SHARE
    # Without a budget (PostgreSQL) the batch is one slice: each slice more
    # costs the target's statements again.
    parts = ([still] if still else []) if math.isinf(budget_ms) else _slices(still)
    changed, covered, last = 0, len(ids), None
    for index, part in enumerate(parts):
        now = _clock()
        if last is not None:
            rows_before, ms_before = last
            expected = ms_before * len(part) / max(rows_before, 1)
            if (now - started) * 1000 + expected > guard_ms:
                covered = position[part[0]]  # the rows before this slice
                break
        if item.target.batch_table:
            if index > 0 or len(part) != len(ids):
                part = registry.load_batch(part, analyze=False)
            else:
                part = loaded
        changed += item.target.apply(workspace_id=item.workspace_id, ids=part, action=item.action)
        last = (len(part), (_clock() - now) * 1000)
    done = ids[:covered]
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
            "first_id": str(done[0]),
            "last_id": str(done[-1]),
        },
    )
    entry["cursor"] = str(done[-1])
    entry["rows"] += changed
    entry["batches"] += 1
    if covered < len(ids):
        entry["cut_short"] = entry.get("cut_short", 0) + 1
    run_.rows_total += changed
    run_.batches += 1
    # The hold statistics of the batches before this one ride along: no
    # commit of their own (a commit is an fsync on SQLite).
    _save_leased(run_, "progress", "rows_total", "batches", "longest_hold_ms", "smallest_batch")
    return covered


def last_run() -> RetentionRun | None:
    return (
        RetentionRun.objects.filter(state=RetentionRun.State.DONE).order_by("-finished_at").first()
    )
