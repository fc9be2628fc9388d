"""No plaintext personal data in raw storage (S3): canary values
written through the real services are searched for in the raw SQLite files
(with -wal/-shm), the raw PostgreSQL rows and a pg_dump, every other file of
the data dir, and the log output. See terabox_crm/testing/canary.py."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

from serving import clean_env
from terabox_crm.testing import canary

pytestmark = pytest.mark.slow


def _seed(data_dir: Path, out: Path, **env: str | None) -> tuple[dict, str]:
    completed = subprocess.run(
        [sys.executable, "-m", "terabox_crm.testing.canary", "seed", str(out)],
        env=clean_env(data_dir, CRM_LOG_LEVEL="DEBUG", **env),
        cwd=data_dir,
        capture_output=True,
        text=True,
        timeout=300,
    )
    log = completed.stdout + completed.stderr
    assert completed.returncode == 0, log
    return json.loads(out.read_text(encoding="utf-8")), log


def _describe(findings) -> list[str]:
    return [f"{f.where}: {f.canary!r} ({f.encoding})" for f in findings]


def test_the_scanner_finds_plaintext_in_every_form_it_looks_for(tmp_path):
    """The negative results below mean something only if the scanner finds a plant."""
    (tmp_path / "db.sqlite3-wal").write_bytes(b"\x00page " + canary.OWNER_EMAIL.upper().encode())
    (tmp_path / "utf16.log").write_bytes(canary.OWNER_NAME_JA.encode("utf-16-le"))
    (tmp_path / "job.json").write_text(json.dumps({"name": canary.OWNER_NAME_JA}))
    (tmp_path / "mail").mkdir()
    (tmp_path / "mail" / "sent.eml").write_text(canary.INVITEE_EMAIL)
    found = canary.scan_paths(
        tmp_path, [canary.OWNER_EMAIL, canary.OWNER_NAME_JA, canary.INVITEE_EMAIL]
    )
    assert {(f.where, f.encoding) for f in found} == {
        ("db.sqlite3-wal", "utf-8"),
        ("utf16.log", "utf-16-le"),
        ("job.json", "json-escaped"),
    }
    assert canary.scan_text("Login by Canary.Owner.QX7@example.org", [canary.OWNER_EMAIL], "log")


def test_sqlite_files_wal_and_data_dir_hold_no_plaintext(tmp_path):
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    result, log = _seed(data_dir, tmp_path / "canaries.json", DATABASE_URL=None)
    canaries = result["canaries"]

    # The services wrote what we look for (positive control, checked in the seeding process).
    assert result["counts"]["outbox"] >= 2 and result["counts"]["audit_details"] >= 3
    # Scanned while the database was open, WAL included.
    assert "db.sqlite3" in result["live_files"]
    assert any(name.endswith("-wal") for name in result["live_files"])
    assert result["live_findings"] == []
    assert "db.sqlite3" in " ".join(result["control_found_in"])  # the scan does see the data

    # And after the process ended (WAL checkpointed into the main file).
    database = data_dir / "db.sqlite3"
    files = canary.sqlite_files(database)
    assert database in files
    for path in files:
        assert canary.scan_bytes(path.read_bytes(), canaries, str(path)) == []
    assert _describe(canary.scan_paths(data_dir, canaries)) == []
    assert "jobs.sqlite3" in canary.scanned_files(data_dir)  # the job queue is scanned too
    assert _describe(canary.scan_text(log, canaries, "log")) == []


def _postgres_dsn() -> str | None:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        return None
    return url


@pytest.mark.outer_database
def test_postgresql_raw_rows_and_dump_hold_no_plaintext(tmp_path):
    base = _postgres_dsn()
    if base is None:
        pytest.skip("runs when the suite runs on PostgreSQL (DATABASE_URL=postgres://…)")
    import psycopg

    parts = urlsplit(base)
    name = f"{parts.path.lstrip('/') or 'tbx'}_canary"
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}"')
        connection.execute(f'CREATE DATABASE "{name}"')
    dsn = urlunsplit(parts._replace(path=f"/{name}"))
    try:
        data_dir = tmp_path / "data"
        data_dir.mkdir()
        result, log = _seed(data_dir, tmp_path / "canaries.json", DATABASE_URL=dsn)
        canaries = result["canaries"]
        assert result["live_findings"] == []

        findings, values = canary.scan_postgres(dsn, canaries)
        assert values > 100  # the raw rows were read, ciphertexts included
        control, _values = canary.scan_postgres(dsn, [canary.WORKSPACE_NAME])
        assert "core_workspace.name" in {finding.where for finding in control}
        assert _describe(findings) == []
        dump = canary.pg_dump(dsn)
        if dump is not None:
            assert b"COPY public.accounts_user" in dump
            assert _describe(canary.scan_bytes(dump, canaries, "pg_dump")) == []
        assert _describe(canary.scan_paths(data_dir, canaries)) == []
        assert _describe(canary.scan_text(log, canaries, "log")) == []
    finally:
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
