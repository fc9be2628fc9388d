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
