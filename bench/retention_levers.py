"""What anonymising a lead costs on SQLite, lever by lever (P5).

A tool to run on a *copy* of a seed (``bench/run.py --phase seed``), never
on the seed: it anonymises by hand, with raw SQL over the same statements as
``bench/retention.py``'s "same work by hand", one tenth of the contacts per
call (``--set k``: every tenth contact by id from the k-th, so calls with
different sets touch disjoint contacts of the same copy), and reports, per
statement, the time and the pages written to the WAL, beside the floor (the
raw ``UPDATE`` of the same rows) when asked.

    cp -a /tmp/seed-100k /tmp/ret-1
    .venv/bin/python bench/retention_levers.py /tmp/ret-1/db.sqlite3 --set 0 --floor
    .venv/bin/python bench/retention_levers.py /tmp/ret-1/db.sqlite3 --set 1
    .venv/bin/python bench/retention_levers.py /tmp/ret-1/db.sqlite3 --set 2 --secure-delete fast
    .venv/bin/python bench/retention_levers.py /tmp/ret-1/db.sqlite3 --set 3 --pages   # WAL pages per statement
    .venv/bin/python bench/retention_levers.py /tmp/ret-1/db.sqlite3 --layout lean-indexes

The connection is opened as the product opens it (WAL, ``synchronous=NORMAL``,
``secure_delete=ON``, 64 MiB cache, 256 MiB mmap, ``BEGIN IMMEDIATE``), the
WAL auto-checkpoint off and a ``PASSIVE`` checkpoint every 1,000 rows (as
the engine does), timed apart. Layouts (``--layout``) change the copy's
schema for the same measurement: ``lean-indexes`` drops the single-column
``workspace_id`` indexes of emails and phones (the ``(workspace_id,
contact_id)`` index leads with the same column); ``terms-without-rowid``
rebuilds the blind-index term table as a ``WITHOUT ROWID`` table keyed by
``(workspace_id, domain, term, object_id)``; ``lookup-with-object`` keeps
the table and adds ``object_id`` to the end of the term lookup index, so a
term's entries are in contact order rather than insertion order.
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.retention import BLANK, same_work_statements

NAMES = (
    "contact",
    "emails",
    "phones",
    "tags",
    "terms",
    "activities",
    "tasks",
    "consent files",
    "consent",
    "restrictions",
    "tickets",
    "deals",
)


def connect(path: str, *, secure_delete: str, cache_mb: int, mmap_mb: int) -> sqlite3.Connection:
    db = sqlite3.connect(path, isolation_level=None, timeout=20)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.execute(f"PRAGMA secure_delete={secure_delete}")
    db.execute(f"PRAGMA cache_size=-{cache_mb * 1024}")
    db.execute(f"PRAGMA mmap_size={mmap_mb * 1024 * 1024}")
    db.execute("PRAGMA wal_autocheckpoint=0")
    return db


def contact_set(db: sqlite3.Connection, offset: int, limit: int | None) -> list[str]:
    ids = [row[0] for row in db.execute("SELECT id FROM contacts_contact ORDER BY id")]
    chosen = ids[offset::10]
    return chosen[:limit] if limit else chosen


def checkpoint(db: sqlite3.Connection, mode: str = "PASSIVE") -> tuple[float, int]:
    began = time.perf_counter()
    _busy, frames, _done = db.execute(f"PRAGMA wal_checkpoint({mode})").fetchone()
    return (time.perf_counter() - began) * 1000, frames


def statements(workspace_id: str, marks: str) -> list[tuple[str, str, list]]:
    return [
        (name, sql.replace("%s", "?"), lead)
        for name, (sql, lead) in zip(NAMES, same_work_statements(workspace_id, marks), strict=True)
    ]


def workspace_of(db: sqlite3.Connection) -> str:
    return db.execute("SELECT workspace_id FROM contacts_contact LIMIT 1").fetchone()[0]


def run(args) -> dict:
    db = connect(
        args.db, secure_delete=args.secure_delete, cache_mb=args.cache_mb, mmap_mb=args.mmap_mb
    )
    ids = contact_set(db, args.set, args.limit)
    ws = workspace_of(db)
    per_statement = {name: 0.0 for name in NAMES}
    frames_per_statement = {name: 0 for name in NAMES}
    longest = commit_ms = checkpoint_ms = longest_checkpoint = 0.0
    frames_total, unchecked = 0, 0
    checkpoint(db, "TRUNCATE")
    start = time.perf_counter()
    for offset in range(0, len(ids), args.batch):
        chunk = ids[offset : offset + args.batch]
        if args.order == "rowid":
            marks = ",".join("?" * len(chunk))
            chunk = [
                row[0]
                for row in db.execute(
                    f"SELECT id FROM contacts_contact WHERE id IN ({marks}) ORDER BY rowid",  # nosec B608
                    chunk,
                )
            ]
        marks = ",".join("?" * len(chunk))
        work = statements(ws, marks)
        began = time.perf_counter()
        if args.floor:
            db.execute("BEGIN IMMEDIATE")
            db.execute(f"UPDATE contacts_contact SET {BLANK} WHERE id IN ({marks})", chunk)  # nosec B608
            c0 = time.perf_counter()
            db.execute("COMMIT")
            commit_ms += (time.perf_counter() - c0) * 1000
        elif args.pages:
            # one transaction and one checkpoint per statement: the WAL
            # frames each statement writes (not timed as a batch)
            for name, sql, lead in work:
                db.execute("BEGIN IMMEDIATE")
                s0 = time.perf_counter()
                db.execute(sql, [*lead, *chunk])
                per_statement[name] += (time.perf_counter() - s0) * 1000
                db.execute("COMMIT")
                _, frames = checkpoint(db)
                checkpoint(db, "TRUNCATE")  # the next statement's frames start at 0
                frames_per_statement[name] += frames
        else:
            db.execute("BEGIN IMMEDIATE")
            for name, sql, lead in work:
                s0 = time.perf_counter()
                db.execute(sql, [*lead, *chunk])
                per_statement[name] += (time.perf_counter() - s0) * 1000
            c0 = time.perf_counter()
            db.execute("COMMIT")
            commit_ms += (time.perf_counter() - c0) * 1000
        longest = max(longest, (time.perf_counter() - began) * 1000)
        unchecked += len(chunk)
        if not args.pages and (args.checkpoint_rows and unchecked >= args.checkpoint_rows):
            unchecked = 0
            ms, frames = checkpoint(db)
            frames_total += frames
            checkpoint_ms += ms
            longest_checkpoint = max(longest_checkpoint, ms)
    ms, frames = checkpoint(db)
    frames_total += frames
    checkpoint_ms += ms
    elapsed = time.perf_counter() - start
    rows = len(ids)
    result = {
        "variant": args.label or ("floor" if args.floor else "by-hand"),
        "set": args.set,
        "rows": rows,
        "batch": args.batch,
        "secure_delete": args.secure_delete,
        "cache_mb": args.cache_mb,
        "checkpoint_rows": args.checkpoint_rows,
        "order": args.order,
        "seconds": round(elapsed, 2),
        "rows_per_second": round(rows / elapsed),
        "longest_transaction_ms": round(longest, 1),
        "commit_ms_total": round(commit_ms, 1),
        "checkpoint_ms_total": round(checkpoint_ms, 1),
        "longest_checkpoint_ms": round(longest_checkpoint, 1),
        "wal_pages_per_row": round(frames_total / rows, 2) if frames_total else None,
        "load_average": [round(v, 2) for v in os.getloadavg()],
    }
    if not args.floor:
        result["statement_ms_per_row"] = {
            k: round(v / rows, 3) for k, v in per_statement.items() if v
        }
    if args.pages:
        result["wal_pages_per_row_by_statement"] = {
            k: round(v / rows, 2) for k, v in frames_per_statement.items()
        }
    return result


def plans(args) -> dict:
    db = connect(args.db, secure_delete="on", cache_mb=64, mmap_mb=256)
    ids = contact_set(db, args.set, 1000)
    marks = ",".join("?" * len(ids))
    out = {}
    for name, sql, lead in statements(workspace_of(db), marks):
        rows = db.execute("EXPLAIN QUERY PLAN " + sql, [*lead, *ids]).fetchall()
        out[name] = [row[-1] for row in rows]
    return out


def layout(args) -> dict:
    db = connect(args.db, secure_delete="on", cache_mb=256, mmap_mb=256)
    began = time.perf_counter()
    if args.layout == "lean-indexes":
        names = [
            row[0]
            for row in db.execute(
                "SELECT name FROM sqlite_master WHERE type = 'index' AND ("
                "name LIKE 'contacts_contactemail_workspace_id%' OR "
                "name LIKE 'contacts_contactphone_workspace_id%')"
            )
        ]
        for name in names:
            db.execute(f'DROP INDEX "{name}"')
        done = {"dropped": names}
    elif args.layout == "terms-without-rowid":
        db.execute("BEGIN IMMEDIATE")
        db.execute(
            "CREATE TABLE crypto_searchterm_new (workspace_id char(32) NOT NULL, "
            "domain varchar(64) NOT NULL, term bigint NOT NULL, object_id char(32) NOT NULL, "
            "PRIMARY KEY (workspace_id, domain, term, object_id)) WITHOUT ROWID"
        )
        db.execute(
            "INSERT OR IGNORE INTO crypto_searchterm_new "
            "SELECT workspace_id, domain, term, object_id FROM crypto_searchterm "
            "ORDER BY workspace_id, domain, term, object_id"
        )
        db.execute("DROP TABLE crypto_searchterm")
        db.execute("ALTER TABLE crypto_searchterm_new RENAME TO crypto_searchterm")
        db.execute(
            'CREATE INDEX "search_term_object" ON "crypto_searchterm" ("workspace_id", "object_id")'
        )
        db.execute("COMMIT")
        done = {"rebuilt": "crypto_searchterm"}
    elif args.layout == "reindex":  # the control: the same indexes, freshly packed
        db.execute("REINDEX")
        done = {"rebuilt": "every index"}
    elif args.layout == "lookup-with-object":
        db.execute('DROP INDEX "search_term_lookup"')
        db.execute(
            'CREATE INDEX "search_term_lookup" ON "crypto_searchterm" '
            '("workspace_id", "domain", "term", "object_id")'
        )
        done = {"rebuilt": "search_term_lookup"}
    else:
        raise SystemExit(f"unknown layout {args.layout}")
    db.execute("ANALYZE")
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    done["seconds"] = round(time.perf_counter() - began, 1)
    return done


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("db")
    parser.add_argument("--set", type=int, default=1)
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--secure-delete", default="on", choices=["on", "fast", "off"])
    parser.add_argument("--cache-mb", type=int, default=64)
    parser.add_argument("--mmap-mb", type=int, default=256)
    parser.add_argument("--checkpoint-rows", type=int, default=1000)
    parser.add_argument("--order", default="pk", choices=["pk", "rowid"])
    parser.add_argument("--floor", action="store_true")
    parser.add_argument("--pages", action="store_true")
    parser.add_argument("--plans", action="store_true")
    parser.add_argument("--layout", default=None)
    parser.add_argument("--label", default=None)
    args = parser.parse_args()
    if args.plans:
        print(json.dumps(plans(args), ensure_ascii=False, indent=1))
    elif args.layout:
        print(json.dumps(layout(args)))
    else:
        print(json.dumps(run(args)))


if __name__ == "__main__":
    main()
