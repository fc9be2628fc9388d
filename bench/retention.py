"""The retention phase (P5): expiring 100,000 of 1,000,000 contacts.

    .venv/bin/python bench/run.py --phase retention --contacts 1000000
    DATABASE_URL=postgres://… .venv/bin/python bench/run.py --phase retention --contacts 1000000
    .venv/bin/python bench/run.py --phase retention --smoke      # 2,000 contacts, 200 expire
    .venv/bin/python bench/run.py --phase retention --data-dir COPY  # on a copy of a seed

Given a data dir (or a PostgreSQL database) already seeded by ``--phase
seed``, the phase measures on that seed instead of seeding: a run
anonymises the rows, so measure on a copy (``cp -a`` of the SQLite data dir,
``CREATE DATABASE … TEMPLATE …`` on PostgreSQL) and keep the seed.

Seeds a workspace of ``--contacts`` leads (email, phone, blind-index terms,
as the bulk seeder writes them), ages one in ten past a two-year rule, and
measures on the same rows:

1. **the floor** — a raw batched ``UPDATE`` of those rows by id, 1,000 rows
   and one commit per batch, blanking the same personal columns the engine
   blanks (the rows stay due: their emails and phones are still there);
2. **the engine** — ``retention.engine.run`` with the workspace's
   "leads with no activity for 730 days → anonymise" rule: per batch it
   re-checks the rows are due and not held, blanks the personal fields,
   deletes emails, phones, blind-index terms and subject keys, writes one
   audit event and moves the run's cursor, in one transaction.

   Then **the next run**: the engine once more, as the daily job runs
   it the next day, with nothing left to do; its time is what a daily run
   costs to find that out.

3. **the same work by hand** — on another tenth of the contacts (offset
   by five, so disjoint from the first), the engine's statements written
   as raw SQL over 1,000 ids, one commit per batch: what anonymising
   removes costs this much without the engine's re-check, holds, audit
   event, cursor and sizing. The engine's share of it is its own overhead.

Reported: rows per second of each, the engine's share of the floor (target
≥ 25 %), and the longest write transaction of each (target ≤ 250 ms on
SQLite, where it is the time the single write lock is held).
"""

from __future__ import annotations

import contextlib
import os
import time
from datetime import timedelta


def _age_share(workspace, share: int, offset: int = 0) -> list:
    """Make every ``share``-th contact (by id, from ``offset``) an old lead; returns their ids."""
    from django.db import connection, transaction
    from django.utils import timezone

    from terabox_crm.contacts.models import Contact

    old = timezone.now() - timedelta(days=3 * 365)
    ids = list(
        Contact.objects.with_scopes_disabled()
        .filter(workspace=workspace)
        .order_by("pk")
        .values_list("pk", flat=True)
    )[offset::share]
    for offset in range(0, len(ids), 1000):
        chunk = ids[offset : offset + 1000]
        with transaction.atomic():
            Contact.objects.with_scopes_disabled().filter(pk__in=chunk).update(
                created_at=old, updated_at=old
            )
    del connection
    return ids


BLANK = ", ".join(
    f"{name} = ''"
    for name in (
        "family_name",
        "given_name",
        "family_name_kana",
        "given_name_kana",
        "job_title",
        "source_detail",
        "notes",
    )
)


def _due_among(workspace, ids: list, days: int = 730) -> int:
    """How many of the aged ``ids`` the rule must anonymise: the leads among
    them with no activity and no task changed within ``days``. Another phase
    of a full run may have given one of them activities (the access export's
    person has 1,000, dated when it was seeded), and that one is rightly left
    alone. Counted by the rule's words, not the engine's query, in chunks."""
    from django.db.models import Exists, OuterRef
    from django.utils import timezone
    from django_scopes import scopes_disabled

    from terabox_crm.activities.models import Activity, Task
    from terabox_crm.contacts.models import Contact, Stage

    cutoff = timezone.now() - timedelta(days=days)
    due = 0
    with scopes_disabled():
        recent = Activity.objects.filter(contact=OuterRef("pk"), occurred_at__gte=cutoff)
        recent_task = Task.objects.filter(contact=OuterRef("pk"), updated_at__gte=cutoff)
        for offset in range(0, len(ids), 1000):
            chunk = ids[offset : offset + 1000]
            due += (
                Contact.objects.filter(workspace=workspace, pk__in=chunk, stage=Stage.LEAD)
                .exclude(Exists(recent))
                .exclude(Exists(recent_task))
                .count()
            )
    return due


def _floor(ids: list, batch: int = 1000) -> dict:
    from django.db import connection, transaction

    table = "contacts_contact"
    longest = 0.0
    start = time.perf_counter()
    for offset in range(0, len(ids), batch):
        chunk = [
            str(pk) if connection.vendor == "postgresql" else pk.hex
            for pk in ids[offset : offset + batch]
        ]
        marks = ", ".join(["%s"] * len(chunk))
        began = time.perf_counter()
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} SET {BLANK} WHERE id IN ({marks})",  # nosec B608
                chunk,
            )
        longest = max(longest, time.perf_counter() - began)
    elapsed = time.perf_counter() - start
    return {
        "rows": len(ids),
        "seconds": round(elapsed, 2),
        "rows_per_second": round(len(ids) / elapsed),
        "longest_transaction_ms": round(longest * 1000, 1),
    }


# The engine's statements for one batch, written by hand: what anonymising
# removes, without the engine's re-check, holds, audit event, cursor or sizing.
# Each is scoped to the workspace as the engine's are (``{ws}``): the term
# table's index by object leads with the workspace, and without it the term
# delete is a scan of the whole table per batch (``EXPLAIN QUERY PLAN``:
# ``SCAN crypto_searchterm``), which the engine never does.
SAME_WORK = (
    f"UPDATE contacts_contact SET {BLANK}, anonymised_at = CURRENT_TIMESTAMP"
    " WHERE {ws} id IN ({marks})",
    "DELETE FROM contacts_contactemail WHERE {ws} contact_id IN ({marks})",
    "DELETE FROM contacts_contactphone WHERE {ws} contact_id IN ({marks})",
    "DELETE FROM contacts_contact_tags WHERE contact_id IN ({marks})",
    "DELETE FROM crypto_searchterm WHERE {ws} object_id IN ({marks})",
    "UPDATE activities_activity SET subject = '', body = '' WHERE {ws} contact_id IN ({marks})",
    "UPDATE activities_task SET title = '', notes = '' WHERE {ws} contact_id IN ({marks})",
    # The other apps' person parts (retention.registry.register_person_part):
    # consent evidence and restrictions blanked, tickets and deals looked up
    # (written only when there are some: the seed's leads have none).
    "DELETE FROM privacy_consentevidencefile WHERE event_id IN"
    " (SELECT id FROM privacy_consentevent WHERE {ws} subject_id IN ({marks}))",
    "UPDATE privacy_consentevent SET evidence = '' WHERE {ws} subject_id IN ({marks})"
    " AND evidence <> ''",
    "UPDATE privacy_restriction SET reason = '', requested_by = '', lift_reason = ''"
    " WHERE {ws} subject_id IN ({marks})",
    "SELECT id FROM support_ticket WHERE {ws} contact_id IN ({marks})",
    "SELECT id FROM deals_deal WHERE {ws} contact_id IN ({marks})",
)
WORKSPACE = "workspace_id = %s AND"


def same_work_statements(workspace_id: str, marks: str) -> list[tuple[str, list]]:
    """SAME_WORK for one batch: (sql, leading parameters) — the workspace where scoped."""
    found = []
    for statement in SAME_WORK:
        scoped = "{ws}" in statement
        sql = statement.format(ws=WORKSPACE if scoped else "", marks=marks)
        found.append((sql, [workspace_id] if scoped else []))
    return found


def _same_work(workspace, ids: list, batch: int = 1000) -> dict:
    """The same anonymisation as the engine's, by hand: raw statements over
    1,000 ids, one commit per batch (the subject keys' destruction, one
    indexed UPDATE of the few keys there are, left out)."""
    from django.db import connection, transaction

    postgres = connection.vendor == "postgresql"
    workspace_id = str(workspace.pk) if postgres else workspace.pk.hex
    longest = 0.0
    start = time.perf_counter()
    for offset in range(0, len(ids), batch):
        chunk = [str(pk) if postgres else pk.hex for pk in ids[offset : offset + batch]]
        marks = ", ".join(["%s"] * len(chunk))
        began = time.perf_counter()
        with transaction.atomic(), connection.cursor() as cursor:
            for sql, lead in same_work_statements(workspace_id, marks):
                cursor.execute(sql, [*lead, *chunk])  # nosec B608
        longest = max(longest, time.perf_counter() - began)
    elapsed = time.perf_counter() - start
    return {
        "rows": len(ids),
        "seconds": round(elapsed, 2),
        "rows_per_second": round(len(ids) / elapsed),
        "longest_transaction_ms": round(longest * 1000, 1),
    }


@contextlib.contextmanager
def _nothing():
    yield


class _StatementTimer:
    """Per-statement time inside the engine's write transactions
    (``BENCH_STATEMENTS=1``): which statement spends a batch's budget, and
    which one a batch over the budget overran in (``connection.execute_wrapper``)."""

    def __init__(self) -> None:
        self.totals: dict[str, list] = {}
        self.tx: list = []  # (statement, ms) of the transaction in progress
        self.tx_began: float | None = None
        self.overruns: list = []  # the make-up of transactions over 250 ms

    @staticmethod
    def _name(sql: str) -> str:
        import re

        verb = sql.split(None, 1)[0].upper() if sql.strip() else "?"
        table = re.search(r'(?:FROM|UPDATE|INTO)\s+"?(\w+)', sql, re.IGNORECASE)
        return f"{verb} {table.group(1) if table else ''}".strip()

    def __call__(self, execute, sql, params, many, context):
        from django.db import connection

        began = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            where = "in tx" if connection.in_atomic_block else "outside"
            ms = (time.perf_counter() - began) * 1000
            self.add(f"{where}: {self._name(sql)}", ms)
            if connection.in_atomic_block:
                if self.tx_began is None:
                    self.tx_began = began
                self.tx.append((self._name(sql), ms))

    def _close_tx(self, commit_began: float, ended: float) -> None:
        """Keep the make-up of every transaction longer than the budget."""
        began, statements = self.tx_began, self.tx
        self.tx_began, self.tx = None, []
        if began is None:
            return
        span = (ended - began) * 1000
        if span > 250:
            sql_ms = sum(ms for _, ms in statements)
            top = sorted(statements, key=lambda item: -item[1])[:3]
            self.overruns.append(
                {
                    "ms": round(span, 1),
                    "commit_ms": round((ended - commit_began) * 1000, 1),
                    "statements_ms": round(sql_ms, 1),
                    "between_statements_ms": round(
                        span - sql_ms - (ended - commit_began) * 1000, 1
                    ),
                    "statements": len(statements),
                    "dearest": [(name, round(ms, 1)) for name, ms in top],
                }
            )

    def add(self, name: str, ms: float) -> None:
        entry = self.totals.setdefault(name, [0, 0.0, 0.0])
        entry[0] += 1
        entry[1] += ms
        entry[2] = max(entry[2], ms)

    def __enter__(self):
        from django.db import connection

        from terabox_crm.retention import engine

        self._wrap = connection.execute_wrapper(self)
        self._wrap.__enter__()
        # The commit (not a statement) and the engine's checkpoints, timed too.
        connection.ensure_connection()
        self._commit, self._checkpoint = connection._commit, engine.checkpoint

        def commit():
            began = time.perf_counter()
            try:
                return self._commit()
            finally:
                ended = time.perf_counter()
                self.add("COMMIT", (ended - began) * 1000)
                self._close_tx(began, ended)

        def checkpoint():
            ms = self._checkpoint()
            self.add("checkpoint (between batches)", ms)
            return ms

        connection._commit, engine.checkpoint = commit, checkpoint
        return self

    def __exit__(self, *exc):
        from django.db import connection

        from terabox_crm.retention import engine

        connection._commit, engine.checkpoint = self._commit, self._checkpoint
        return self._wrap.__exit__(*exc)

    def report(self) -> dict:
        ordered = sorted(self.totals.items(), key=lambda item: -item[1][1])
        found = {
            name: {"count": n, "total_ms": round(total, 1), "max_ms": round(most, 1)}
            for name, (n, total, most) in ordered[:20]
        }
        return {**found, "transactions over 250 ms": self.overruns}


def _engine(workspace, owner) -> dict:
    from django_scopes import scopes_disabled

    from terabox_crm.context import system_context
    from terabox_crm.retention import engine
    from terabox_crm.retention.models import RetentionRule

    with scopes_disabled():
        RetentionRule.objects.create(
            workspace=workspace,
            target="contacts.inactive_leads",
            days=730,
            action="anonymise",
            enabled=True,
        )
        # Only the rule measured: the audit-detail default is switched off here.
        RetentionRule.objects.create(
            workspace=workspace, target="audit.details", days=1825, action="shred", enabled=False
        )
    from bench.run import Progress

    progress = Progress("retention", 1)

    def report(done, total):
        progress.total = max(total, 1)
        progress.update(done)

    # Levers, for measuring them: BENCH_ENGINE_SET="CHECKPOINT_ROWS=5000,SLICES=1"
    # sets the engine's module constants for this run.
    for pair in filter(None, os.environ.get("BENCH_ENGINE_SET", "").split(",")):
        name, value = pair.split("=")
        setattr(engine, name, type(getattr(engine, name))(value))
    timer = _StatementTimer() if os.environ.get("BENCH_STATEMENTS") else None
    start = time.perf_counter()
    with system_context("cli"), timer or _nothing():
        run = engine.run(trigger="cli", workspace_ids=[workspace.pk], progress=report)
    elapsed = time.perf_counter() - start
    rows = run.removed_in(workspace.pk).get("contacts.inactive_leads", 0)
    entry = run.progress.get(f"{workspace.pk}/contacts.inactive_leads", {})
    return {
        **({"statements": timer.report()} if timer else {}),
        "batches_over_budget": entry.get("over_budget", 0),
        "batches_cut_short": entry.get("cut_short", 0),
        "longest_checkpoint_ms": entry.get("longest_checkpoint_ms", 0.0),
        "rows": rows,
        "seconds": round(elapsed, 2),
        "rows_per_second": round(rows / elapsed) if elapsed else 0,
        "batches": run.batches,
        "longest_transaction_ms": round(run.longest_hold_ms, 1),
        "smallest_batch": run.smallest_batch,
    }


def _next_run(workspace) -> dict:
    """The next day's run over the same workspace, as the daily job runs it
    (no progress count): nothing is due any more, so this is what finding
    that out costs, with the leads anonymised the day before in the walk."""
    from terabox_crm.context import system_context
    from terabox_crm.retention import engine

    start = time.perf_counter()
    with system_context("cli"):
        run = engine.run(trigger="cli", workspace_ids=[workspace.pk])
    return {
        "rows": run.removed_in(workspace.pk).get("contacts.inactive_leads", 0),
        "seconds": round(time.perf_counter() - start, 2),
    }


def _seeded():
    """The workspace of an earlier ``--phase seed`` in this database, if any."""
    from django.db import connection

    from bench.run import recall

    if "bench_meta" not in connection.introspection.table_names():
        return None
    return recall()


def retention_phase(contacts: int) -> dict:
    from django.db import connection

    from bench.run import flush_to_disk, make_workspace, plain_reference_table, seed_contacts

    found = _seeded()
    if found is not None:
        workspace, owner, meta = found
        contacts, seeded = meta["contacts"], {"reused": meta.get("seed")}
    else:
        plain_reference_table()
        workspace, owner = make_workspace("Bench retention")
        seeded = seed_contacts(workspace, owner, contacts)
    ids = _age_share(workspace, 10)
    due = _due_among(workspace, ids)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    else:
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    flush_to_disk()
    floor = _floor(ids)
    flush_to_disk()
    measured = _engine(workspace, owner)
    flush_to_disk()
    next_run = _next_run(workspace)
    # Another tenth, disjoint from the first, anonymised by hand: what the
    # work itself costs, so the engine's own overhead can be told apart.
    by_hand = _age_share(workspace, 10, offset=5)
    flush_to_disk()
    same_work = _same_work(workspace, by_hand)
    return {
        "database": connection.vendor,
        "load_average": [round(value, 2) for value in os.getloadavg()],
        "contacts": contacts,
        "expiring": len(ids),
        "expiring_due": due,
        "seed": seeded,
        "floor_raw_batched_update": floor,
        "engine_anonymise": measured,
        "engine_share_of_floor_percent": round(
            measured["rows_per_second"] / floor["rows_per_second"] * 100, 1
        ),
        "engine_next_run": next_run,
        "same_work_by_hand": same_work,
        "engine_share_of_same_work_percent": round(
            measured["rows_per_second"] / same_work["rows_per_second"] * 100, 1
        ),
        # Every aged lead the rule covers, and no other row.
        "anonymised_all": measured["rows"] == due,
    }
