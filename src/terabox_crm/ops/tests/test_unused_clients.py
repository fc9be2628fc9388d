"""A process on the embedded default loads no PostgreSQL or Redis client
(``ops.bootstrap.leave_out_unused_clients``); a configured one is there."""

from __future__ import annotations

import json
import os
import subprocess  # nosec B404
import sys

# Set up Django as every command does, then say what the process loaded.
PROBE = """
import json, sys
from terabox_crm.ops.bootstrap import setup_django
setup_django()
from django.apps import apps
from huey.contrib.djhuey import HUEY
state = {name: ("absent" if sys.modules.get(name, 0) is None else
                "loaded" if name in sys.modules else "not loaded")
         for name in ("psycopg", "redis")}
state["apps"] = apps.ready
state["queue"] = type(HUEY.storage).__name__
print(json.dumps(state))
"""


def probe(tmp_path, **env: str) -> dict:
    outer = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DATABASE_URL", "REDIS_URL", "CRM_JOBS_IMMEDIATE", "DJANGO_SETTINGS_MODULE")
    }
    result = subprocess.run(  # noqa: S603  # our own interpreter, a fixed script
        [sys.executable, "-c", PROBE],
        env={**outer, "CRM_DATA_DIR": str(tmp_path), **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.splitlines()[-1])


def test_the_embedded_default_leaves_both_clients_out(tmp_path):
    state = probe(tmp_path)
    assert state == {
        "psycopg": "absent",
        "redis": "absent",
        "apps": True,
        "queue": "SqliteStorage",
    }


def test_a_configured_redis_is_loaded(tmp_path):
    state = probe(tmp_path, REDIS_URL="redis://127.0.0.1:6379/15")  # imported, not connected
    assert state["redis"] == "loaded"
    assert state["psycopg"] == "absent"
    assert state["queue"] == "PriorityRedisStorage"


def test_a_configured_postgresql_is_loaded(tmp_path):
    # The engine is loaded; nothing connects.
    state = probe(tmp_path, DATABASE_URL="postgres://postgres@127.0.0.1:5432/test")
    assert state["psycopg"] == "loaded"
    assert state["redis"] == "absent"
