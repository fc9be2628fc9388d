"""A large export built with real helper processes (``exports.building``:
``python -m terabox_crm.exports.helper`` started by the job) writes the same
file as the job alone — same bytes, same SHA-256, same rows and refusals —
on the embedded SQLite file and on PostgreSQL. The helpers' blocks reach
the file through their pipes; a helper that is killed mid-build leaves its
block to the job, and the file is still the same."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from urllib.parse import urlsplit, urlunsplit

import pytest

from serving import clean_env

pytestmark = pytest.mark.slow

SCRIPT = r"""
import collections, json, os, sys
from terabox_crm.ops.bootstrap import prepare

prepare()
from django.conf import settings
from django_scopes import scope, scopes_disabled

from terabox_crm.contacts.tests.support import make_contact, member_of
from terabox_crm.core.roles import Role
from terabox_crm.exports import building, services, writers
from terabox_crm.exports.models import Export
from terabox_crm.privacy import services as privacy
from terabox_crm.testing.factories import add_member, make_user, make_workspace

workspace = make_workspace("Helpers")
owner = make_user("owner@helpers.example")
add_member(workspace, owner, Role.OWNER)
membership = member_of(workspace, owner)
with scope(workspace=workspace):
    membership.is_privacy_officer = True
    made = [make_contact(membership, family=f"人{n}", given="=SUM(A1)" if n % 7 == 0 else "花子")
            for n in range(int(sys.argv[1]))]
    privacy.restriction_set(membership=membership, subject_id=made[3].pk, reason="asked",
                            requested_by="the person")
services._enqueue = lambda item: None  # the job's steps are called below, one by one
building.FIRST_BLOCK, building.BLOCK_ROWS = 3, 10
settings.EXPORT_PARALLEL_FROM = 0

# A helper takes blocks once it has started; here the job waits for it, so
# that the helpers build blocks even in a file this small.
def ready(self):
    return self.started.wait(60)
building.Helper.ready = ready

# The kill_at-th block handed to a helper: the helper is killed first.
kill_at = int(sys.argv[2])
real_assign = building.Helper.assign
assigned = []
answered = []
def assign(self, block):
    assigned.append(self.process.pid)
    if len(assigned) == kill_at:
        self.process.kill()
        self.process.wait()
    return real_assign(self, block)
building.Helper.assign = assign
real_result = building.Helper.result
def result(self, *, wait):
    data = real_result(self, wait=wait)
    answered.append(self.process.pid)
    return data
building.Helper.result = result

out = {}
for name, processes in (("alone", 1), ("helped", 3)):
    settings.EXPORT_PROCESSES = processes
    assigned.clear()
    answered.clear()
    item = services.export_request(membership=membership, resource="contacts", format=sys.argv[3],
                                   purpose="support")
    services.export_count(item.pk)
    services.export_build(item.pk)
    with scopes_disabled():
        item = Export.objects.get(pk=item.pk)
    data = b"".join(writers.chunks(item.pk, item.key_id))
    out[name] = {"status": item.status, "rows": item.rows, "excluded": item.excluded,
                 "sha256": item.sha256, "size": len(data),
                 "assigned": sorted(collections.Counter(assigned).values()),
                 "answered": sorted(collections.Counter(answered).values()),
                 "guarded": b"'=SUM(A1)" in data}
print(json.dumps(out))
"""


def _run(env: dict, *, contacts: int = 60, kill_at: int = 0, fmt: str = "csv") -> dict:
    env["DJANGO_SETTINGS_MODULE"] = "terabox_crm.settings"
    env["CRM_JOBS_IMMEDIATE"] = "false"
    done = subprocess.run(  # our own interpreter, fixed arguments
        [sys.executable, "-c", SCRIPT, str(contacts), str(kill_at), fmt],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def _same_file(out: dict, fmt: str = "csv") -> None:
    alone, helped = out["alone"], out["helped"]
    assert alone["status"] == helped["status"] == "ready"
    assert helped["sha256"] == alone["sha256"] and helped["size"] == alone["size"]
    assert (helped["rows"], helped["excluded"]) == (alone["rows"], alone["excluded"])
    assert helped["rows"] == 59 and helped["excluded"] == {"restricted": 1}
    assert helped["guarded"] == (fmt == "csv")  # JSON is data for programs: as it is


def test_helper_processes_write_the_file_the_job_writes_alone(tmp_path):
    # CSV here; JSON's joined body is held to the same bytes in this process
    # (exports/tests/test_building.py), and the pipes carry bytes either way.
    data = tmp_path / "data"
    data.mkdir()
    out = _run(clean_env(data, LANG="C.UTF-8"))
    _same_file(out)
    assert out["alone"]["assigned"] == []
    # 60 rows in blocks of 3, then 10 (7 blocks): each helper built some.
    helped = out["helped"]
    assert helped["assigned"] == helped["answered"] and len(helped["answered"]) == 2


def test_a_helper_killed_mid_build_leaves_its_block_to_the_job(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    out = _run(clean_env(data, LANG="C.UTF-8"), kill_at=2)
    _same_file(out)
    # The helper handed the second block was killed first: that block, and
    # any it had, were built by the job; the other helper went on.
    helped = out["helped"]
    assert len(helped["assigned"]) == 2 and len(helped["answered"]) == 1


@pytest.mark.outer_database
def test_helper_processes_write_the_same_file_on_postgresql(tmp_path):
    outer = os.environ.get("DATABASE_URL", "")
    if not outer.startswith("postgres"):
        pytest.skip("runs when the suite runs on PostgreSQL (DATABASE_URL=postgres://…)")
    import psycopg

    parts = urlsplit(outer)
    name = f"{parts.path.lstrip('/')}_helpers"
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        data = tmp_path / "data"
        data.mkdir()
        database = urlunsplit(parts._replace(path=f"/{name}"))
        out = _run(clean_env(data, LANG="C.UTF-8", DATABASE_URL=database))
        _same_file(out)
        helped = out["helped"]
        assert helped["assigned"] == helped["answered"] and len(helped["answered"]) == 2
    finally:
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
