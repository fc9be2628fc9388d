"""The retention targets (P5): what a retention rule can expire, registered
by the apps that own the data.

The retention engine sits in the privacy layer, below the domain apps, and
never imports them: each app declares its targets in ``<app>/retention.py``
(imported by ``RetentionConfig.ready()``), and the engines below the privacy
layer (audit, accounts, notifications) have theirs declared in
``retention/engines.py``. A target says which rows are due and how to
expire a batch of them; the engine (``retention/engine.py``) owns batching,
cursors, legal holds, the lock budget and the audit trail.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime

from django.db import connection
from django.db.models import BooleanField, F, Func, Q, QuerySet


class Action:
    DELETE = "delete"
    ANONYMISE = "anonymise"
    SHRED = "shred"  # destroy the keys a ciphertext needs (crypto-shredding)

    ALL = (DELETE, ANONYMISE, SHRED)


@dataclass(frozen=True)
class Target:
    """One category of data a rule can expire.

    ``pending(workspace_id, cutoff, held)`` returns a queryset of the rows due
    on ``cutoff`` (older than the rule's period), excluding those that concern
    a held subject (``held``: contact ids under legal hold); the engine walks
    it by primary key. ``apply(workspace_id, ids, action)`` expires those rows
    (set-based, inside the engine's transaction) and returns how many it changed.

    ``per_workspace=False``: the target's data belongs to no workspace (user
    sessions, account notices); it runs once per run under the inventory's
    period (or the operator's minimum, whichever is longer).
    """

    code: str
    label: object  # a lazy translation
    help_text: object
    actions: tuple[str, ...]
    default_action: str
    inventory_retention: str  # a key of inventory.RETENTION: the default period
    pending: Callable[..., QuerySet]
    apply: Callable[..., int]
    default_days: int | None = None  # overrides the inventory's period
    default_enabled: bool = False
    per_workspace: bool = True
    holds_apply: bool = True  # rows of this target concern contacts
    order: int = 100
    batch_table: bool = False  # the batch's ids (UUIDs) reach ``apply`` as ``BatchIds``
    extra: dict = field(default_factory=dict)

    def default_period(self) -> int:
        from terabox_crm.inventory import RETENTION

        if self.default_days is not None:
            return self.default_days
        days = RETENTION[self.inventory_retention].days
        return days if days is not None else 5 * 365


# A batch's ids in a temporary table (``Target.batch_table``): a target that
# runs ten statements over the same thousand ids names them once, not in ten
# ``IN (…)`` lists of a thousand parameters each (building those lists was a
# third of a batch's time). Temporary: private to the connection, never on
# disk beside the data, emptied by every batch.
BATCH_TABLE = "retention_batch_ids"  # spelt out in the statements below


class BatchIds(list):
    """A batch's ids (a list, as every ``apply`` receives) that are also the
    rows of ``BATCH_TABLE`` for the length of the batch's transaction."""

    loaded = False


def _empty_batch_table(cursor, postgres: bool) -> None:
    if postgres:
        cursor.execute(
            "CREATE TEMPORARY TABLE IF NOT EXISTS retention_batch_ids (id uuid PRIMARY KEY)"
        )
    else:
        cursor.execute(
            "CREATE TEMPORARY TABLE IF NOT EXISTS retention_batch_ids (id char(32) PRIMARY KEY)"
        )
    cursor.execute("DELETE FROM retention_batch_ids")


def load_batch(ids, *, analyze: bool = True) -> BatchIds:
    """Put ``ids`` (UUIDs) in the batch table, inside the caller's transaction.

    ``analyze=False`` (a slice of a batch loaded just before) keeps the
    PostgreSQL statistics of the batch: the same order of rows."""
    batch = BatchIds(ids)
    postgres = connection.vendor == "postgresql"
    with connection.cursor() as cursor:
        _empty_batch_table(cursor, postgres)
        cursor.executemany(
            "INSERT INTO retention_batch_ids (id) VALUES (%s)",
            [(str(pk) if postgres else pk.hex,) for pk in batch],
        )
        if postgres and analyze:  # the planner must know it is a thousand rows, not a guess
            cursor.execute("ANALYZE retention_batch_ids")
    batch.loaded = True
    return batch


def load_due(rows: QuerySet) -> BatchIds:
    """Fill the batch table with ``rows`` (the primary keys of a target's next
    due rows: ``values_list("pk", flat=True)``, ordered and sliced) in one
    statement on the database, inside the caller's transaction; returns
    them in order.

    PostgreSQL only: there a batch's transaction locks only its own rows, so
    the walk over due rows can run inside it and serve as the re-check, and
    the ids need not travel to Python and back (engine.py, "Batches")."""
    if connection.vendor != "postgresql":
        raise NotImplementedError("the walk runs inside the transaction on PostgreSQL only")
    sql, params = rows.query.sql_with_params()
    with connection.cursor() as cursor:
        _empty_batch_table(cursor, postgres=True)
        cursor.execute(f"INSERT INTO retention_batch_ids (id) {sql} RETURNING id", params)  # nosec B608  # the ORM's query
        batch = BatchIds(sorted(row[0] for row in cursor.fetchall()))
        cursor.execute("ANALYZE retention_batch_ids")
    batch.loaded = True
    return batch


class InBatchTable(Func):
    """``column`` is one of the ids in ``BATCH_TABLE``: a condition for ``filter``.

    On PostgreSQL it is ``column = ANY(ARRAY(SELECT id FROM …))``: an index
    search for each of the batch's ids, whatever the planner thinks of the
    batch table. Written as ``IN (SELECT id FROM …)``, the first batches of
    a walk (their ids near the start of the workspace's index range) were
    planned as a merge join that read the index from that start up to the
    batch's last id, and every row on the way: 8–10 times the pages, and
    196–330 ms for a batch's statements instead of 78–92 at 1,000,000
    contacts (docs/performance.md, "Each id looked up"). SQLite already
    searches the index once per id of the temporary table for ``IN (SELECT
    …)``, so there the condition stays as it was."""

    arity = 1
    output_field = BooleanField()
    template = "%(expressions)s IN (SELECT id FROM retention_batch_ids)"

    def as_postgresql(self, compiler, connection, **extra):
        return self.as_sql(
            compiler,
            connection,
            template="%(expressions)s = ANY(ARRAY(SELECT id FROM retention_batch_ids))",
            **extra,
        )


def among(column: str, ids) -> Q | InBatchTable:
    """A ``filter`` condition: ``column`` among ``ids``, the batch table when
    ``ids`` is a loaded batch (``load_batch``, ``load_due``), else the list."""
    if isinstance(ids, BatchIds) and ids.loaded:
        return InBatchTable(F(column))
    return Q(**{f"{column}__in": list(ids)})


_targets: dict[str, Target] = {}


def register(target: Target) -> Target:
    if target.code in _targets:
        raise ValueError(f"retention target {target.code!r} registered twice")
    if target.default_action not in target.actions or not set(target.actions) <= set(Action.ALL):
        raise ValueError(f"retention target {target.code!r}: bad actions")
    _targets[target.code] = target
    return target


def get(code: str) -> Target | None:
    return _targets.get(code)


def targets(*, per_workspace: bool | None = None) -> list[Target]:
    found: Iterable[Target] = _targets.values()
    if per_workspace is not None:
        found = [t for t in found if t.per_workspace == per_workspace]
    return sorted(found, key=lambda t: (t.order, t.code))


def delete_rows(model) -> Callable[..., int]:
    """The ``apply`` of a target that deletes its due rows of ``model``: the
    batch's ids, inside the workspace when the target runs per workspace
    (``workspace_id`` is None for installation-wide targets)."""

    def apply(*, workspace_id, ids, action) -> int:
        rows = model.objects.filter(pk__in=list(ids))
        if workspace_id is not None:
            rows = rows.filter(workspace_id=workspace_id)
        return rows.delete()[0]

    return apply


def cutoff_of(now: datetime, days: int) -> datetime:
    from datetime import timedelta

    return now - timedelta(days=days)


# The app that owns the subjects of legal holds (contacts) registers how to
# find one the acting membership may read: ``lookup(membership, subject_id)``
# returns the record or None. The engine never imports that app.
_subject_lookup: list[Callable] = []


def register_subject_lookup(lookup: Callable) -> None:
    _subject_lookup[:] = [lookup]


def find_subject(membership, subject_id):
    if not _subject_lookup:
        return None
    return _subject_lookup[0](membership, subject_id)


# Anonymising a person kept as a record (P5: "keeps aggregates and removes
# the person"): the contacts app blanks the contact and its own rows; every
# other app whose rows keep the person's words about a contact — consent
# evidence, a restriction's reasons, tickets, deal names — registers a
# *person part*:
# ``part(workspace_id=…, contact_ids=…)``, set-based over a batch (``among``),
# run in the batch's transaction. The same rows an erasure takes out of the
# person's records (docs/privacy-erasure.md), without the tombstone.
_person_parts: dict[str, Callable[..., None]] = {}


def register_person_part(code: str, part: Callable[..., None]) -> None:
    if code in _person_parts:
        raise ValueError(f"person part {code!r} registered twice")
    _person_parts[code] = part


def remove_person_parts(*, workspace_id, contact_ids) -> None:
    """Run every registered person part over these contacts of ``workspace_id``."""
    for code in sorted(_person_parts):
        _person_parts[code](workspace_id=workspace_id, contact_ids=contact_ids)


# What counts as a contact's activity besides the activities app's own
# (activities, tasks): ``source(cutoff)`` returns a queryset of rows touched
# on or after ``cutoff``, correlated to the contact by ``OuterRef("pk")``. A
# lead who wrote a support ticket or whose deal moved last week is not a lead
# "with no activity".
_activity_sources: dict[str, Callable[..., QuerySet]] = {}


def register_activity_source(code: str, source: Callable[..., QuerySet]) -> None:
    if code in _activity_sources:
        raise ValueError(f"activity source {code!r} registered twice")
    _activity_sources[code] = source


def activity_sources() -> list[Callable[..., QuerySet]]:
    return [_activity_sources[code] for code in sorted(_activity_sources)]
