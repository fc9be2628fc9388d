"""Processes started together on a data dir that needs migrating — after an
upgrade, ``serve`` and a standalone ``worker`` started by the same unit, or
two commands — migrate one after the other: every one of them starts, and
the database ends fully migrated (``ops.bootstrap.one_migrator_at_a_time``).
Before, each planned the same migrations and all but one failed on them
("duplicate column", "table already exists")."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from urllib.parse import urlsplit, urlunsplit

import pytest

from serving import clean_env

pytestmark = pytest.mark.slow

PREPARE = (
    "from terabox_crm.ops.bootstrap import prepare; prepare(); "
    "from django.db.migrations.executor import MigrationExecutor; "
    "from django.db import connection; "
    "executor = MigrationExecutor(connection); "
    "print(len(executor.migration_plan(executor.loader.graph.leaf_nodes())))"
)


def _three_at_once(env: dict) -> None:
    env["DJANGO_SETTINGS_MODULE"] = "terabox_crm.settings"
    processes = [
        subprocess.Popen(  # our own interpreter, fixed arguments
            [sys.executable, "-c", PREPARE],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(3)
    ]
    results = [process.communicate(timeout=300) for process in processes]
    for process, (out, err) in zip(processes, results, strict=True):
        assert process.returncode == 0, err[-2000:]
        assert out.strip() == "0"  # nothing left to migrate, in every one of them


def test_three_processes_migrating_one_fresh_data_dir_all_start(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    _three_at_once(clean_env(data, fresh=True, LANG="C.UTF-8"))


@pytest.mark.outer_database
def test_three_processes_migrating_one_fresh_postgresql_database_all_start(tmp_path):
    outer = os.environ.get("DATABASE_URL", "")
    if not outer.startswith("postgres"):
        pytest.skip("runs when the suite runs on PostgreSQL (DATABASE_URL=postgres://…)")
    import psycopg

    parts = urlsplit(outer)
    name = f"{parts.path.lstrip('/')}_migrate3"
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        data = tmp_path / "data"
        data.mkdir()
        database = urlunsplit(parts._replace(path=f"/{name}"))
        _three_at_once(clean_env(data, LANG="C.UTF-8", DATABASE_URL=database))
    finally:
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


SECRET = (
    "import sys, time; from terabox_crm import datadir; "
    "time.sleep(max(0.0, float(sys.argv[1]) - time.time())); "
    "print(datadir.generated_secret('secret_key'))"
)


def test_processes_started_together_on_a_fresh_data_dir_share_one_generated_secret(tmp_path):
    """Each writes its own temporary file; the first link wins and the others
    read its key (a shared temporary name had a later process fail with the
    file linked and removed from under it)."""
    data = tmp_path / "data"
    data.mkdir()
    env = clean_env(data, fresh=True)
    start = f"{time.time() + 1.5:.3f}"  # all at the same instant, after their imports
    processes = [
        subprocess.Popen(  # our own interpreter, fixed arguments
            [sys.executable, "-c", SECRET, start],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(8)
    ]
    results = [process.communicate(timeout=60) for process in processes]
    assert [p.returncode for p in processes] == [0] * 8, [err[-500:] for _, err in results]
    assert len({out.strip() for out, _ in results}) == 1
    assert sorted(p.name for p in (data / "keys").iterdir()) == ["secret_key"]
