"""The rows of an export's file (S4, S5, P3, P4): read, gated, made into
cells — in the job's process, and for a large CSV or JSON file in helper
processes too, so that a build uses more than one core.

One process builds about 20,000 contacts a second, the speed of one core
(docs/performance.md, Guarded export): each row is decrypted field by field,
authenticated against its row, checked by the purpose gate and written with
the formula guard. A file of ``settings.EXPORT_PARALLEL_FROM`` rows or more
(CSV or JSON; an XLSX workbook is one stream) is built in *blocks* of rows
by primary key: the job's process encodes every other block itself and
hands the others to ``settings.EXPORT_PROCESSES - 1`` helper processes
(``python -m terabox_crm.exports.helper``), then writes every block's
bytes in order into the one sealed file — one SHA-256, one audit event, one
download, the same bytes a single process writes (a test holds them to it).

What a helper is and is not:

- It is the product's own code in a fresh interpreter with the job's
  environment (the same settings, database and keys), started with
  ``subprocess`` — never ``fork`` from the worker's threads. It reads the
  export's row and checks the requester's rights again, as the job does.
- It writes nothing: no database row and no file. The plaintext of its
  block goes to the job's process through a pipe, never to the disk; the
  job's process seals it with the rest (S5).
- Its refusals (the purpose gate) come back as counts and the first ids,
  merged into the one ``privacy.gate.refused`` event of the export; the
  people provided to a third party (P4) come back as ids for the one
  provision record.
- It runs at a lower priority (``nice``): a busy server's requests go
  first, an idle machine's second core builds the export.
- If it cannot start or fails, the job's process encodes its blocks itself
  (logged): the file is the same, only slower.

Blocks are ranges of primary keys, ``(after, up to]``, cut by counting the
selection's ids in its index (``boundaries``): rows added meanwhile fall in
a block as they would in one pass.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import queue
import subprocess  # nosec B404  # starts only this module, fixed argv, no shell
import sys
import threading
import uuid
from collections import Counter, deque
from collections.abc import Iterator
from dataclasses import dataclass, field, replace

from django.conf import settings
from django.db import connection
from django.utils import timezone

from terabox_crm.exports import resources, writers
from terabox_crm.exports.models import Export
from terabox_crm.privacy import gate
from terabox_crm.privacy.models import Purpose

logger = logging.getLogger(__name__)

CHANNEL = "exports"
# The first block is small, so the file's first chunk is sealed at once
# (first byte: docs/performance.md); the rest hold this many rows, one
# batch of the reads (resources.BATCH): about 0.5 MB of CSV. The job holds
# up to AHEAD + IN_FLIGHT blocks per helper: with 10,000 rows a block the
# job's worker and its helper peaked at 153.6-156.4 MB of heap together at
# 200,000 contacts, with 5,000 at 139.5-139.8 MB, with 2,000 at 125.1 MB
# and as fast; at 1M, 125.8-126.0 MB (docs/performance.md, "Two processes
# under 150 MB together").
FIRST_BLOCK = resources.FIRST_BATCH
BLOCK_ROWS = resources.BATCH
HELPER_NICE = 10


@dataclass
class Run:
    """What a build (or one block of it) read, wrote and left out."""

    read: int = 0
    rows: int = 0
    excluded: Counter = field(default_factory=Counter)
    refused: dict = field(default_factory=dict)  # the first LOGGED_IDS, for the audit event
    provided: list = field(default_factory=list)  # people given to a third party (P4)

    def add(self, other: Run) -> None:
        self.read += other.read
        self.rows += other.rows
        self.excluded.update(other.excluded)
        for subject, code in other.refused.items():
            if len(self.refused) >= gate.LOGGED_IDS:
                break
            self.refused.setdefault(subject, code)
        self.provided += other.provided

    def as_json(self) -> dict:
        return {
            "read": self.read,
            "rows": self.rows,
            "excluded": dict(self.excluded),
            "refused": self.refused,
            "provided": [str(subject) for subject in self.provided],
        }

    @classmethod
    def from_json(cls, data: dict) -> Run:
        return cls(
            read=int(data["read"]),
            rows=int(data["rows"]),
            excluded=Counter({str(k): int(v) for k, v in data["excluded"].items()}),
            refused={str(k): str(v) for k, v in data["refused"].items()},
            provided=[uuid.UUID(text) for text in data["provided"]],  # subjects are UUIDs
        )


def check_batch(
    workspace_id, purpose: Purpose, subject_ids: list, *, read_from_subjects: bool = False
) -> dict:
    """``{subject id: Reason}`` of the people the gate refuses in one batch
    (not logged here: the export logs one event for the whole run).
    ``read_from_subjects``: the ids are the contacts' own rows the build just
    read in this workspace (``gate.check`` then does not look them up again)."""
    ids = [subject for subject in subject_ids if subject is not None]
    if not ids:
        return {}
    decision = gate.check(
        workspace=workspace_id,
        purpose=purpose,
        subject_ids=ids,
        channel=CHANNEL,
        log=False,
        read_from_subjects=read_from_subjects,
    )
    return decision.refused


def own_rows(found: resources.Resource) -> bool:
    """A contact export reads the subjects' own rows, in the workspace."""
    return found.code == "contacts" and found.subject_field == "pk"


@dataclass(frozen=True)
class Plan:
    """What a build reads: the same in the job and in its helpers."""

    item: Export
    found: resources.Resource
    selection: resources.Selection
    columns: list

    @property
    def keys(self) -> list[str]:
        return [column.key for column in self.columns]

    @property
    def labels(self) -> list[str]:
        return [str(column.label) for column in self.columns]


def rows(plan: Plan, run: Run, *, selection=None, progress: bool = True) -> Iterator[list]:
    """The export's rows as cells, batch by batch: the gate asked once per
    batch, the progress written once per batch (the page's bar reads it;
    not by a helper, which writes nothing)."""
    item, found = plan.item, plan.found
    selection = selection or plan.selection
    keep_people = bool(item.recipient)
    from_subjects = own_rows(found)
    # In the requester's language, active here.
    cells = resources.row_maker(plan.columns, selection.queryset.model)
    subject_field = found.subject_field
    for read, batch in resources.read(found, selection, plan.columns, item.workspace_id):
        refused = check_batch(
            item.workspace_id,
            item.purpose,
            [row[subject_field] for row in batch] if subject_field else [],
            read_from_subjects=from_subjects,
        )
        if not refused and not keep_people:
            # Nobody refused and no one to name for a third party (P4): the
            # batch's rows as they are.
            run.rows += len(batch)
            yield from map(cells, batch)
        else:
            yield from _kept(batch, found, refused, keep_people, cells, run)
        run.read += read
        if progress:
            _progress(item, run.read)


def _progress(item: Export, read: int) -> None:
    Export.objects.filter(pk=item.pk).update(progress=read, touched_at=timezone.now())


def _kept(batch, found, refused: dict, keep_people: bool, cells, run: Run):
    """A batch's rows less those the gate refused, counted by reason."""
    for row in batch:
        subject = found.subject_of(row)
        reason = refused.get(subject) if subject is not None else None
        if reason is not None:
            run.excluded[reason.code] += 1
            if len(run.refused) < gate.LOGGED_IDS:
                run.refused[str(subject)] = reason.code
            continue
        run.rows += 1
        if keep_people and subject is not None:
            run.provided.append(subject)
        yield cells(row)


# --- Blocks ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Block:
    """Rows with ``after < pk <= up_to`` (``None``: no bound on that side)."""

    after: object = None
    up_to: object = None

    def of(self, selection: resources.Selection) -> resources.Selection:
        queryset = selection.queryset
        if self.after is not None:
            queryset = queryset.filter(pk__gt=self.after)
        if self.up_to is not None:
            queryset = queryset.filter(pk__lte=self.up_to)
        return replace(selection, queryset=queryset)

    def as_json(self) -> dict:
        return {
            "after": None if self.after is None else str(self.after),
            "up_to": None if self.up_to is None else str(self.up_to),
        }

    @classmethod
    def from_json(cls, data: dict, pk_of) -> Block:
        return cls(
            after=None if data["after"] is None else pk_of(data["after"]),
            up_to=None if data["up_to"] is None else pk_of(data["up_to"]),
        )


def boundaries(queryset, *, first: int | None = None, size: int | None = None) -> Iterator[Block]:
    """The selection cut into blocks of ``size`` rows by primary key (the
    first of ``first``), the last one open-ended: each cut is the
    ``size``-th id after the last, counted in the index — never the ids
    themselves in memory, never an OFFSET from the start."""
    ordered = queryset.prefetch_related(None).order_by("pk").values_list("pk", flat=True)
    after = None
    count = first or FIRST_BLOCK
    size = size or BLOCK_ROWS
    while True:
        page = ordered if after is None else ordered.filter(pk__gt=after)
        cut = list(page[count - 1 : count])
        if not cut:
            yield Block(after, None)
            return
        yield Block(after, cut[0])
        after = cut[0]
        count = size


def encode(plan: Plan, block: Block) -> tuple[bytes, Run]:
    """One block's part of the file's body, and what it read and left out."""
    run = Run()
    body = writers.encode_body(
        plan.item.format,
        plan.keys,
        rows(plan, run, selection=block.of(plan.selection), progress=False),
    )
    return b"".join(body), run


# --- The job's side ----------------------------------------------------------------------


def processes_for(item: Export) -> int:
    """How many processes build ``item``: more than one for a large CSV or
    JSON file, when the settings allow it and the database can be opened
    by another process (not an in-memory one)."""
    wanted = settings.EXPORT_PROCESSES
    if wanted <= 1 or item.format not in writers.JOINABLE:
        return 1
    if item.matched < settings.EXPORT_PARALLEL_FROM:
        return 1
    if connection.vendor == "sqlite":
        name = str(connection.settings_dict["NAME"])
        if not os.path.isabs(name) or "mode=memory" in name:
            return 1
    return wanted


class HelperLost(Exception):
    """A helper process that failed, stopped or answered out of turn."""


class Helper:
    """One helper process, its pipes, and a thread that reads its answers
    as soon as they come (so a helper never waits for the job to read one
    block before it starts the next)."""

    def __init__(self, process) -> None:
        self.process = process
        self.assigned = 0
        self.answered = 0  # counted by the reader thread only
        self.started = threading.Event()
        self.answers: queue.Queue = queue.Queue()
        self.reader = threading.Thread(
            target=self._read, name=f"export-helper-{process.pid}", daemon=True
        )
        self.reader.start()

    @classmethod
    def start(cls, item: Export) -> Helper:
        process = subprocess.Popen(  # nosec B603  # our own interpreter and module, no shell
            [sys.executable, "-m", "terabox_crm.exports.helper"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
        )  # the job's environment: the same settings, database and keys
        helper = cls(process)
        helper._send(
            {
                "export": str(item.pk),
                # The database this process uses, as opened (a test run's
                # database is not the one the environment names).
                "database": str(connection.settings_dict["NAME"]),
            }
        )
        return helper

    def _read(self) -> None:
        pid = self.process.pid
        try:
            if not read_line(self.process.stdout, pid).get("ready"):
                raise HelperLost(f"helper {pid}: no greeting")
            self.started.set()
            while True:
                answer = read_result(self.process.stdout, pid)
                self.answered += 1
                self.answers.put(answer)
        except Exception as error:  # its end, a closed pipe, an answer out of turn
            lost = error if isinstance(error, HelperLost) else HelperLost(f"helper {pid}: {error}")
            self.answers.put(lost)

    def _send(self, message: dict) -> None:
        try:
            self.process.stdin.write(json.dumps(message).encode() + b"\n")
            self.process.stdin.flush()
        except (OSError, ValueError) as error:
            raise HelperLost(f"helper {self.process.pid}: {error}") from error

    def ready(self) -> bool:
        """Whether the helper has started (never waits for it)."""
        return self.started.is_set()

    @property
    def in_flight(self) -> int:
        """Blocks handed to it and not answered yet."""
        return self.assigned - self.answered

    def assign(self, block: Block) -> None:
        self._send(block.as_json())
        self.assigned += 1

    def result(self, *, wait: bool) -> tuple[bytes, Run]:
        """Its next answer, in the order the blocks were handed to it;
        ``queue.Empty`` when none has come and ``wait`` is false."""
        answer = self.answers.get(block=wait)
        if isinstance(answer, HelperLost):
            self.answers.put(answer)  # every later call sees it too
            raise answer
        return answer

    def close(self) -> None:
        """Its ``stdin`` closed, which ends its loop once its block in hand
        is answered (the reader thread keeps reading until then); a helper
        still starting is killed. Then the process and the thread end."""
        with contextlib.suppress(OSError):
            self.process.stdin.close()
        if not self.ready():
            self.process.kill()  # still starting: it has nothing to finish
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.reader.join(timeout=10)
        with contextlib.suppress(OSError):
            self.process.stdout.close()


def read_line(stream, pid) -> dict:
    """One JSON line of a helper's answer (``HelperLost`` at its end or on
    an error it reports)."""
    line = stream.readline()
    if not line:
        raise HelperLost(f"helper {pid} stopped")
    message = json.loads(line)
    if "error" in message:
        raise HelperLost(f"helper {pid}: {message['error']}")
    return message


def read_result(stream, pid) -> tuple[bytes, Run]:
    """A block as a helper answers it: the header line, then its bytes."""
    header = read_line(stream, pid)
    size = int(header["size"])
    data = stream.read(size)
    if len(data) != size:
        raise HelperLost(f"helper {pid}: block cut short")
    return data, Run.from_json(header)


# Blocks handed to one helper at a time (it starts the next while the job
# reads the last), the job's own blocks encoded ahead while it waits for a
# helper's, and blocks held in memory at most, helpers' and the job's.
IN_FLIGHT = 2
AHEAD = 2


@dataclass
class _Entry:
    block: Block
    helper: object = None  # None: this process encodes it
    answer: tuple | None = None  # (bytes, Run) once encoded


class _Blocks:
    """``boundaries`` taken one at a time, remembering when they ran out."""

    def __init__(self, queryset) -> None:
        self.cuts = boundaries(queryset)
        self.exhausted = False

    def take(self) -> Block | None:
        block = None if self.exhausted else next(self.cuts, None)
        self.exhausted = block is None
        return block


def body(plan: Plan, run: Run, *, helpers: list) -> Iterator[bytes]:
    """The file's body, block by block in order. Blocks go to the helpers
    that have started (``IN_FLIGHT`` each); meanwhile this process encodes
    blocks itself, up to ``AHEAD`` of them past a helper's block it is
    waiting for, so a slow helper (a busy machine, a lower priority) never
    holds the build up for long, and an idle core is used. A helper that
    fails is dropped and its blocks are encoded here."""
    blocks = _Blocks(plan.selection.queryset)
    active = list(helpers)
    pending: deque[_Entry] = deque()
    most = AHEAD + IN_FLIGHT * len(helpers)
    done = helped = 0

    def drop(helper) -> None:
        active.remove(helper)
        logger.warning(
            "export %s: a helper failed; its blocks are built here", plan.item.pk, exc_info=True
        )
        for entry in pending:
            if entry.helper is helper:
                entry.helper = None

    while True:
        for helper in list(active):
            while helper.ready() and helper.in_flight < IN_FLIGHT and len(pending) < most:
                block = blocks.take()
                if block is None:
                    break
                entry = _Entry(block, helper)
                pending.append(entry)
                try:
                    helper.assign(block)
                except HelperLost:
                    drop(helper)
                    break
        # Write what is ready at the head, in order.
        while pending:
            head = pending[0]
            if head.answer is None and head.helper is not None:
                try:
                    head.answer = head.helper.result(wait=False)
                    helped += 1
                except queue.Empty:
                    break
                except HelperLost:
                    drop(head.helper)
            if head.answer is None:
                head.answer = encode(plan, head.block)
            pending.popleft()
            done += 1
            yield from _written(plan, run, *head.answer)
        if not pending:
            block = blocks.take()
            if block is None:
                logger.info(
                    "export %s: %d blocks, %d of them by %d helper processes",
                    plan.item.pk,
                    done,
                    helped,
                    len(helpers),
                )
                return
            pending.append(_Entry(block, None, encode(plan, block)))
            continue
        # The head is a helper's block still being encoded: encode the
        # next one here meanwhile, or wait for it.
        ahead = sum(1 for entry in pending if entry.helper is None)
        if ahead < AHEAD and len(pending) < most:
            block = blocks.take()
            if block is not None:
                pending.append(_Entry(block, None, encode(plan, block)))
                continue
        head = pending[0]
        try:
            head.answer = head.helper.result(wait=True)
            helped += 1
        except HelperLost:
            drop(head.helper)


def _written(plan: Plan, run: Run, data: bytes, part: Run) -> Iterator[bytes]:
    run.add(part)
    if data:
        yield data
    _progress(plan.item, run.read)


def start_helpers(item: Export, count: int) -> list[Helper]:
    started = []
    for _ in range(count):
        try:
            started.append(Helper.start(item))
        except (OSError, HelperLost):
            logger.warning("export %s: no helper process", item.pk, exc_info=True)
    return started


def stop_helpers(helpers: list) -> None:
    for helper in helpers:
        try:
            helper.close()
        except Exception:  # a helper that is gone already
            logger.debug("helper already gone", exc_info=True)


# --- The helper's side -------------------------------------------------------------------


def serve(stdin, stdout, plan: Plan) -> None:
    """A helper's loop, once its export is planned: a greeting, then for each
    block asked (a JSON line on ``stdin``) a JSON header line — what the
    block read and left out, and its size — and the block's bytes on
    ``stdout``; until ``stdin`` closes."""
    pk_of = plan.selection.queryset.model._meta.pk.to_python
    stdout.write(b'{"ready": true}\n')
    stdout.flush()
    for line in stdin:
        block = Block.from_json(json.loads(line), pk_of)
        data, part = encode(plan, block)
        stdout.write(json.dumps({**part.as_json(), "size": len(data)}).encode() + b"\n")
        stdout.write(data)
        stdout.flush()
