"""Consistent database snapshots and their restore, per engine (S11).

* SQLite: the online backup API (``sqlite3.Connection.backup``) copies the
  live database in one read transaction, so the copy is consistent while
  the server keeps writing (WAL: readers never block writers). The copy is
  a private temporary file in the backup dir (mode 0600 in a 0700
  directory; its personal columns are field-encrypted, S3), encrypted into
  the archive and deleted.
* PostgreSQL: ``pg_dump --format=custom`` (one consistent snapshot by
  design), its output streamed straight into the encryption: no plaintext
  file. Restore pipes the decrypted dump into ``pg_restore
  --single-transaction --no-owner --no-acl``. Connection settings go to the
  client tools through ``PG*`` environment variables, never the command
  line (where other users could read a password).
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess  # nosec B404  # pg_dump/pg_restore, fixed argument lists, no shell
import threading
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from django.conf import settings
from django.db import connection

READ_SIZE = 1 << 20

Progress = Callable[[int, int], None]


class SnapshotError(RuntimeError):
    """The database could not be dumped, checked or restored (message says why)."""


def engine() -> str:
    name = settings.DATABASES["default"]["ENGINE"]
    if name.endswith("sqlite3"):
        return "sqlite"
    if "postgresql" in name:
        return "postgresql"
    raise SnapshotError(f"backups support SQLite and PostgreSQL, not {name}")


def database_file() -> str:
    return "database.sqlite3" if engine() == "sqlite" else "database.pgdump"


# --- SQLite -----------------------------------------------------------------------


def sqlite_path() -> Path:
    return Path(settings.DATABASES["default"]["NAME"])


def sqlite_snapshot(target: Path) -> None:
    """Copy the live SQLite database to ``target`` in one consistent read,
    through this process's own connection (so it works for any database
    Django has open, an in-memory test database included)."""
    connection.ensure_connection()
    destination = sqlite3.connect(target)
    try:
        # A scratch copy read once and deleted: no journal, no fsync (a crash
        # leaves only a partial scratch file, which create() removes or the
        # next run ignores).
        destination.execute("PRAGMA journal_mode=OFF")
        destination.execute("PRAGMA synchronous=OFF")
        # pages=-1: one step, one read transaction; a stepwise copy would
        # restart whenever the server wrote in between.
        connection.connection.backup(destination, pages=-1)
    finally:
        destination.close()


def sqlite_check(path: Path, *, quick: bool = False) -> str:
    """``PRAGMA integrity_check`` of a copy (``quick``: ``quick_check``, the
    pages and their structure without matching every index to its table —
    an order of magnitude less work): "ok" or the first problems found."""
    pragma = "quick_check" if quick else "integrity_check"
    try:
        check = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            rows = check.execute(f"PRAGMA {pragma}").fetchall()  # one of two fixed names
        finally:
            check.close()
    except sqlite3.DatabaseError as exc:
        return f"not a database: {exc}"
    return "; ".join(str(row[0]) for row in rows[:5])


# --- PostgreSQL -------------------------------------------------------------------


def _tool(name: str) -> str:
    found = shutil.which(name)
    if not found:
        raise SnapshotError(
            f"{name} was not found: install the PostgreSQL client tools "
            "(Debian: apt-get install postgresql-client) in the server's major version or newer"
        )
    return found


def pg_env(database: str | None = None) -> dict[str, str]:
    db = settings.DATABASES["default"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    values = {
        "PGDATABASE": database or db.get("NAME") or "",
        "PGUSER": db.get("USER") or "",
        "PGPASSWORD": db.get("PASSWORD") or "",
        "PGHOST": db.get("HOST") or "",
        "PGPORT": str(db.get("PORT") or ""),
        "PGSSLMODE": (db.get("OPTIONS") or {}).get("sslmode", ""),
    }
    env.update({k: v for k, v in values.items() if v})
    return env


def pg_size() -> int:
    """The database's size on disk: the progress bar's estimate for the dump."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_database_size(current_database())")
        return int(cursor.fetchone()[0])


def pg_dump() -> Iterator[bytes]:
    """Stream ``pg_dump -Fc`` of the current database."""
    process = subprocess.Popen(  # noqa: S603  # nosec B603  # fixed argument list, no shell
        [_tool("pg_dump"), "--format=custom", "--no-password"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=pg_env(),
    )
    if process.stdout is None or process.stderr is None:  # pragma: no cover - PIPE given
        raise SnapshotError("pg_dump: no output pipe")
    finished = False
    try:
        while piece := process.stdout.read(READ_SIZE):
            yield piece
        finished = True
    finally:
        if not finished:  # the consumer stopped (an error downstream): end the dump
            process.kill()
        errors = process.stderr.read().decode(errors="replace").strip()
        code = process.wait()
    if code != 0:
        raise SnapshotError(f"pg_dump failed (exit {code}): {errors[-500:]}")


def _feed(argv: list[str], chunks: Iterable[bytes], env: dict[str, str]) -> str:
    """Run a client tool with ``chunks`` on its stdin; return its stdout."""
    process = subprocess.Popen(  # noqa: S603  # nosec B603  # fixed argument list, no shell
        argv,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    if process.stdin is None:  # pragma: no cover - PIPE given
        raise SnapshotError("no input pipe")
    output: dict[str, bytes] = {}

    def drain(name: str, stream) -> None:
        output[name] = stream.read()

    readers = [
        threading.Thread(target=drain, args=("out", process.stdout), daemon=True),
        threading.Thread(target=drain, args=("err", process.stderr), daemon=True),
    ]
    for reader in readers:
        reader.start()
    try:
        for piece in chunks:
            process.stdin.write(piece)
        process.stdin.close()
    except BrokenPipeError:
        pass
    except BaseException:
        # The archive failed its check mid-stream: end the tool before it commits.
        process.kill()
        process.wait()
        raise
    code = process.wait()
    for reader in readers:
        reader.join()
    if code != 0:
        errors = output.get("err", b"").decode(errors="replace").strip()
        raise SnapshotError(f"{Path(argv[0]).name} failed (exit {code}): {errors[-500:]}")
    return output.get("out", b"").decode(errors="replace")


def pg_list(chunks: Iterable[bytes]) -> int:
    """``pg_restore --list`` of a dump: the number of entries in its table of contents."""
    listing = _feed([_tool("pg_restore"), "--list"], chunks, pg_env())
    return sum(1 for line in listing.splitlines() if line and not line.startswith(";"))


def pg_restore(chunks: Iterable[bytes], *, database: str | None = None) -> None:
    """Load a custom-format dump into the (empty) database, all or nothing."""
    _feed(
        [
            _tool("pg_restore"),
            "--single-transaction",
            "--exit-on-error",
            "--no-owner",
            "--no-acl",
            "--no-password",
            f"--dbname={database or settings.DATABASES['default']['NAME']}",
        ],
        chunks,
        pg_env(database),
    )


def pg_clear() -> None:
    """Empty the current schema (``restore --force``): drop it and create it again."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_schema()")
        schema = cursor.fetchone()[0]
        quoted = connection.ops.quote_name(schema)
        cursor.execute(f"DROP SCHEMA {quoted} CASCADE")  # a quoted identifier
        cursor.execute(f"CREATE SCHEMA {quoted}")  # a quoted identifier


# --- Either -----------------------------------------------------------------------


def database_contents() -> dict[str, int]:
    """What the configured database holds: tables, workspaces, users.

    A database is *empty* for a restore when it has no tables, or only the
    tables of a fresh migration with no workspace and no user in them.
    """
    tables = set(connection.introspection.table_names())
    found = {"tables": len(tables), "workspaces": 0, "users": 0}
    with connection.cursor() as cursor:
        for key, table in (("workspaces", "core_workspace"), ("users", "accounts_user")):
            if table in tables:
                cursor.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(table)}")  # noqa: S608  # nosec B608  # fixed table names
                found[key] = int(cursor.fetchone()[0])
    return found


def is_empty(contents: dict[str, int]) -> bool:
    return contents["workspaces"] == 0 and contents["users"] == 0
