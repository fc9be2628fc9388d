"""THE RESTORE DRILL (S11), as an operator runs it: ``terabox-crm backup``
as real processes on a real data dir, on SQLite and — when the suite runs on
PostgreSQL (DATABASE_URL=postgres://…) — on a fresh PostgreSQL database.

Create data, back up, change and erase a person, restore, compare: the
erased person stays erased, the changes after the backup are gone, and
``audit verify`` passes. Bad archives (tampered, truncated, another master
key) and a restore over data without ``--force`` change nothing."""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

from serving import COMMAND, clean_env

pytestmark = pytest.mark.slow

# One script, three steps, run in the data dir's own process (the services,
# not the test run's database).
SCRIPT = r"""
import json, sys, dataclasses
from terabox_crm.ops.bootstrap import prepare
prepare()
from django_scopes import scope, scopes_disabled
from terabox_crm.audit.models import AuditEvent
from terabox_crm.contacts import services as contacts
from terabox_crm.contacts.models import Contact
from terabox_crm.core.models import Membership, Workspace
from terabox_crm.core.roles import Role
from terabox_crm.erasure import services as erasure
from terabox_crm.erasure.models import Tombstone
from terabox_crm.testing import factories
from terabox_crm.contacts.tests.support import make_contact

step = sys.argv[1]
if step == "seed":
    workspace = factories.make_workspace("Drill")
    user = factories.make_user("drill-owner@example.com")
    factories.add_member(workspace, user, Role.OWNER, is_privacy_officer=True)
with scopes_disabled():
    workspace = Workspace.objects.get(name="Drill")
    membership = Membership.objects.select_related("workspace", "user").get(workspace=workspace)
with scope(workspace=workspace):
    if step == "seed":
        erased = make_contact(membership, family="Erased", given="Eri", emails=["eri@example.net"])
        kept = make_contact(membership, family="Kept", given="Kei")
        print(json.dumps({"erased": str(erased.pk), "kept": str(kept.pk)}))
    elif step == "change":
        ids = json.loads(sys.argv[2])
        kept = Contact.objects.get(pk=ids["kept"])
        data = dataclasses.replace(contacts.contact_data_of(kept), family_name="Changed")
        contacts.contact_update(membership=membership, contact=kept, data=data)
        make_contact(membership, family="After", given="Backup")
        erasure.subject_erase(membership=membership, subject_id=ids["erased"], reason="drill")
    elif step == "read":
        people = {str(c.pk): c.family_name for c in Contact.objects.all()}
        with scopes_disabled():
            tombstones = sorted(str(t.subject_id) for t in Tombstone.objects.all())
            security = sorted(
                AuditEvent.objects.filter(action__startswith="security.backup.")
                .values_list("action", flat=True)
            )
        print(json.dumps({"people": people, "tombstones": tombstones, "security": security}))
"""

PASSWORD = "a long owner passphrase 2026"


def _env(data_dir: Path, database_url: str | None) -> dict[str, str]:
    env = clean_env(data_dir, LANG="C.UTF-8", DATABASE_URL=database_url)
    env["DJANGO_SETTINGS_MODULE"] = "terabox_crm.settings"
    return env


def _cli(env, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [COMMAND, *args], env=env, capture_output=True, text=True, timeout=600, check=False
    )


def _step(env, *args: str) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.strip().splitlines()
    return json.loads(lines[-1]) if lines else {}


def _ok(result: subprocess.CompletedProcess) -> str:
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def _archive(created: str) -> Path:
    match = re.search(r"^(/\S+\.tbxbak): ", created, re.M)
    assert match, created
    return Path(match.group(1))


def _drill(tmp_path: Path, database_url: str | None) -> None:
    data = tmp_path / "data"
    data.mkdir()
    env = _env(data, database_url)
    ids = _step(env, "seed")
    before = _step(env, "read")
    assert before["people"] == {ids["erased"]: "Erased", ids["kept"]: "Kept"}

    created = _ok(_cli(env, "backup", "create"))
    assert "100%" in created and "needs master key" in created
    archive = _archive(created)
    assert archive.parent == data / "backups"

    _step(env, "change", json.dumps(ids))
    changed = _step(env, "read")
    assert ids["erased"] not in changed["people"] and changed["tombstones"] == [ids["erased"]]
    assert changed["people"][ids["kept"]] == "Changed" and len(changed["people"]) == 2

    listed = _ok(_cli(env, "backup", "list"))
    assert archive.name in listed and "unverified" in listed
    verified = _ok(_cli(env, "backup", "verify", archive.name))
    assert "verified" in verified
    assert "verified " in _ok(_cli(env, "backup", "list"))

    # Over data, without --force: refused, nothing changed, a security event.
    refused = _cli(env, "backup", "restore", archive.name)
    assert refused.returncode == 3, refused.stdout + refused.stderr
    assert "not empty" in refused.stderr and "--force" in refused.stderr
    after_refusal = _step(env, "read")
    assert after_refusal["people"] == changed["people"]
    assert after_refusal["security"] == ["security.backup.restore_refused"]

    # The drill: into a throw-away place, with the live ledger; nothing here changes.
    drilled = _ok(_cli(env, "backup", "verify", "--drill", archive.name))
    assert "restore drill: passed" in drilled and "1 erasure(s) re-applied" in drilled
    assert _step(env, "read")["people"] == changed["people"]

    # The restore, in place.
    restored = _ok(_cli(env, "backup", "restore", "--force", archive.name))
    assert "1 erasure(s) re-applied" in restored, restored
    after = _step(env, "read")
    # The erased person stays erased; the change after the backup is gone.
    assert after["people"] == {ids["kept"]: "Kept"}
    assert after["tombstones"] == [ids["erased"]]
    verify = _ok(_cli(env, "audit", "verify"))
    assert "TAMPERED" not in verify and "chain system: ok" in verify

    # Into an empty data dir elsewhere, with the master key and the ledger carried over.
    fresh = tmp_path / "fresh"
    (fresh / "keys").mkdir(parents=True, mode=0o700)
    fresh_env = _env(fresh, _another_database(database_url, "fresh"))
    for name in ("master.key", "erasure-ledger.key", "erasure-ledger.jsonl"):
        shutil.copy2(data / "keys" / name, fresh / "keys" / name)
    _ok(_cli(fresh_env, "backup", "restore", str(archive)))
    assert _step(fresh_env, "read")["people"] == {ids["kept"]: "Kept"}
    _ok(_cli(fresh_env, "audit", "verify"))

    # Bad archives: said which, nothing changed, a security event.
    tampered = archive.with_name("tampered.tbxbak")
    raw = bytearray(archive.read_bytes())
    raw[len(raw) // 2] ^= 0x10
    tampered.write_bytes(bytes(raw))
    result = _cli(env, "backup", "verify", str(tampered))
    assert result.returncode == 1 and "[tampered]" in result.stderr
    result = _cli(env, "backup", "restore", "--force", str(tampered))
    assert result.returncode == 1 and "[tampered]" in result.stderr
    truncated = archive.with_name("truncated.tbxbak")
    truncated.write_bytes(archive.read_bytes()[: archive.stat().st_size // 2])
    result = _cli(env, "backup", "restore", "--force", str(truncated))
    assert result.returncode == 1 and "[truncated]" in result.stderr
    final = _step(env, "read")
    assert final["people"] == {ids["kept"]: "Kept"}
    assert final["security"].count("security.backup.rejected") == 3
    listed = _ok(_cli(env, "backup", "list"))
    assert re.search(r"tampered\.tbxbak .* corrupt", listed)

    # Another installation's master key: the archive's key id is named.
    other = tmp_path / "other"
    (other / "keys").mkdir(parents=True, mode=0o700)
    other_env = _env(other, _another_database(database_url, "other"))
    needed = re.search(r"needs master key (\w+)", created).group(1)
    result = _cli(other_env, "backup", "restore", str(archive))
    assert result.returncode == 1 and "[other_key]" in result.stderr
    assert f"master key {needed}" in result.stderr


_created_databases: list[str] = []


def _another_database(database_url: str | None, suffix: str) -> str | None:
    if not database_url:
        return None
    parts = urlsplit(database_url)
    name = f"{parts.path.lstrip('/')}_{suffix}"
    _create_database(database_url, name)
    return urlunsplit(parts._replace(path=f"/{name}"))


def _create_database(database_url: str, name: str) -> None:
    import psycopg

    admin = urlunsplit(urlsplit(database_url)._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')
    _created_databases.append((admin, name))


def test_restore_drill_on_sqlite(tmp_path):
    _drill(tmp_path, None)


@pytest.mark.outer_database
def test_restore_drill_on_postgresql(tmp_path):
    outer = os.environ.get("DATABASE_URL", "")
    if not outer.startswith(("postgres://", "postgresql://")):
        pytest.skip("runs when the suite runs on PostgreSQL (DATABASE_URL=postgres://…)")
    if not shutil.which("pg_dump"):
        pytest.fail("pg_dump is missing: install postgresql-client (.ci/run does)")
    import psycopg

    parts = urlsplit(outer)
    name = f"{parts.path.lstrip('/') or 'tbx'}_bk_{secrets.token_hex(3)}"
    _create_database(outer, name)
    try:
        _drill(tmp_path, urlunsplit(parts._replace(path=f"/{name}")))
    finally:
        while _created_databases:
            admin, created = _created_databases.pop()
            with psycopg.connect(admin, autocommit=True) as connection:
                connection.execute(f'DROP DATABASE IF EXISTS "{created}" WITH (FORCE)')


def test_a_bad_command_line_is_a_usage_error(tmp_path):
    env = _env(tmp_path, None)
    assert _cli(env, "backup").returncode == 2
    missing = _cli(env, "backup", "verify", "no-such.tbxbak")
    assert missing.returncode == 2 and "no archive" in missing.stderr
    assert "backup" in _cli(env, "--help").stdout
