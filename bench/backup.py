"""The backup phase (S11): backup and restore of the seeded database, beside
the plain tools on the same database.

    .venv/bin/python bench/run.py --phase backup --contacts 1000000
    DATABASE_URL=postgres://… .venv/bin/python bench/run.py --phase backup --contacts 1000000
    .venv/bin/python bench/run.py --phase backup --smoke          # 2,000 contacts (CI)
    .venv/bin/python bench/run.py --phase backup --data-dir SEED  # on an earlier --phase seed

Measured, each once (seconds, bytes):

1. **the reference backup** — ``sqlite3 DB ".backup FILE"`` (SQLite), or
   ``pg_dump --format=custom --file FILE`` (PostgreSQL);
2. **our backup** — ``backups.services.create``: the same snapshot, then
   encrypted in 1 MiB AES-256-GCM chunks with its manifest;
3. **our verify** — ``backups.services.verify``: decrypt, and
   ``PRAGMA integrity_check`` or ``pg_restore --list``;
4. **the reference restore** — ``sqlite3 NEW ".restore FILE"``, or
   ``pg_restore`` into a new database;
5. **our restore** — ``terabox-crm backup restore`` as a process into an
   empty data dir (and a new database on PostgreSQL): decrypt, load,
   migrate, re-apply the erasure ledger, verify every audit chain. It
   includes the process's start (about 2 s of Django set-up).

Reported beside each: our time over the reference's, and the archive's size
over the reference file's. Timings are never asserted.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit


def _timed(function) -> tuple[float, object]:
    start = time.perf_counter()
    result = function()
    return round(time.perf_counter() - start, 3), result


def _run(argv: list[str], env: dict | None = None, stdin=None) -> None:
    subprocess.run(argv, check=True, env=env, stdin=stdin, capture_output=True)  # noqa: S603


def _reference_sqlite(scratch: Path) -> dict:
    from terabox_crm.backups import snapshot

    source = snapshot.sqlite_path()
    copy, restored = scratch / "reference.sqlite3", scratch / "reference-restored.sqlite3"
    tool = shutil.which("sqlite3")
    if tool:
        backup_s, _ = _timed(lambda: _run([tool, str(source), f".backup '{copy}'"]))
        restore_s, _ = _timed(lambda: _run([tool, str(restored), f".restore '{copy}'"]))
        how = "sqlite3 .backup / .restore"
    else:  # the same online backup API, from Python
        import sqlite3

        def copy_file(src, dst):
            with sqlite3.connect(src) as a, sqlite3.connect(dst) as b:
                a.backup(b)

        backup_s, _ = _timed(lambda: copy_file(source, copy))
        restore_s, _ = _timed(lambda: copy_file(copy, restored))
        how = "sqlite3.Connection.backup (no sqlite3 command)"
    return {"how": how, "backup_seconds": backup_s, "restore_seconds": restore_s,
            "bytes": copy.stat().st_size}  # fmt: skip


def _new_database(suffix: str) -> tuple[str, str]:
    """(name, url) of a new empty PostgreSQL database beside the bench's."""
    from django.conf import settings
    from django.db import connection

    name = f"{settings.DATABASES['default']['NAME']}_{suffix}"
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        cursor.execute(f'CREATE DATABASE "{name}"')
    parts = urlsplit(os.environ["DATABASE_URL"])
    return name, urlunsplit(parts._replace(path=f"/{name}"))


def _drop(name: str) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _reference_postgresql(scratch: Path) -> dict:
    from terabox_crm.backups import snapshot

    dump = scratch / "reference.pgdump"
    env = snapshot.pg_env()
    pg_dump, pg_restore = shutil.which("pg_dump"), shutil.which("pg_restore")
    backup_s, _ = _timed(lambda: _run([pg_dump, "--format=custom", f"--file={dump}"], env))
    name, _url = _new_database("bench_ref_restore")
    try:
        restore_s, _ = _timed(
            lambda: _run([pg_restore, "--no-owner", "--no-acl", f"--dbname={name}", str(dump)], env)
        )
    finally:
        _drop(name)
    return {"how": "pg_dump -Fc / pg_restore", "backup_seconds": backup_s,
            "restore_seconds": restore_s, "bytes": dump.stat().st_size}  # fmt: skip


def _our_restore(archive: Path, scratch: Path) -> float:
    from terabox_crm import datadir
    from terabox_crm.crypto import keyring

    target = scratch / "restored-data"
    (target / "keys").mkdir(parents=True, mode=0o700)
    if keyring.master_key_is_generated():
        shutil.copy2(datadir.path() / "keys" / "master.key", target / "keys" / "master.key")
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "CRM_DATA_DIR"}}
    env["CRM_DATA_DIR"] = str(target)
    database = ""
    if os.environ.get("DATABASE_URL"):
        database, env["DATABASE_URL"] = _new_database("bench_restore")
    command = [sys.executable, "-m", "terabox_crm.cli", "backup", "restore", str(archive)]
    try:
        seconds, _ = _timed(lambda: _run(command, env))
    finally:
        if database:
            _drop(database)
    return seconds


def backup_phase(contacts: int) -> dict:
    from django.db import connection

    from bench.retention import _seeded
    from bench.run import flush_to_disk, make_workspace, plain_reference_table, seed_contacts
    from terabox_crm.backups import services
    from terabox_crm.context import system_context

    found = _seeded()
    if found is not None:
        contacts, seeded = found[2]["contacts"], {"reused": found[2].get("seed")}
    else:
        plain_reference_table()
        workspace, owner = make_workspace("Bench backup")
        seeded = seed_contacts(workspace, owner, contacts)
    flush_to_disk()
    scratch = Path(tempfile.mkdtemp(prefix="tbx-bench-backup-"))
    try:
        if connection.vendor == "sqlite":
            reference = _reference_sqlite(scratch)
        else:
            reference = _reference_postgresql(scratch)
        with system_context("cli"):
            backup_s, created = _timed(lambda: services.create(directory=scratch, trigger="bench"))
            verify_s, _ = _timed(lambda: services.verify(created.path))
        restore_s = _our_restore(created.path, scratch)
        size = created.manifest["ciphertext_size"]
        return {
            "database": connection.vendor,
            "load_average": [round(value, 2) for value in os.getloadavg()],
            "contacts": contacts,
            "seed": seeded,
            "reference": reference,
            "ours": {
                "backup_seconds": backup_s,
                "verify_seconds": verify_s,
                "restore_seconds": restore_s,
                "archive_bytes": size,
                "database_bytes": created.manifest["files"][0]["size"],
            },
            "backup_time_over_reference": round(
                backup_s / max(reference["backup_seconds"], 1e-3), 2
            ),
            "restore_time_over_reference": round(
                restore_s / max(reference["restore_seconds"], 1e-3), 2
            ),
            "size_over_reference": round(size / max(reference["bytes"], 1), 3),
        }
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
