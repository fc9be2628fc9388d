"""The master key (S3): its three sources and their errors, a missing or wrong
key caught at start-up and by /readyz, ``keys status``, and a master-key
rotation that survives a crash halfway (docs/operations.md, "Keys")."""

from __future__ import annotations

import base64
import json
import os
import secrets
import shutil
import sys

import pytest
from django.conf import settings

from terabox_crm.accounts.models import User
from terabox_crm.audit.models import AuditEvent
from terabox_crm.core import evidence
from terabox_crm.crypto import keyring, master
from terabox_crm.crypto.models import DataKey
from terabox_crm.env import ConfigurationError
from terabox_crm.erasure import keys as ledger_keys
from terabox_crm.ops import keys as cli
from terabox_crm.ops import serve
from terabox_crm.ops import views as health

SOURCES = (master.ENV, master.FILE, master.COMMAND)


def new_key_text() -> str:
    return base64.b64encode(secrets.token_bytes(32)).decode()


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    """A data dir of this test's own, holding the session's master key and
    ledger key (so the rows the database already has stay readable): a
    rotation here replaces keys/master.key without touching other tests."""
    keys = tmp_path / "keys"
    keys.mkdir(mode=0o700)
    session_keys = master.generated_path().parent
    for name in (master.GENERATED_NAME, ledger_keys.FILE_NAME):
        if (session_keys / name).exists():
            shutil.copy(session_keys / name, keys / name)
    for name in SOURCES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CRM_DATA_DIR", str(tmp_path))
    monkeypatch.setattr(master, "ROTATION_RECHECK_SECONDS", 0.0)
    ledger_keys.use_key_path(None)
    keyring.reset_cache()
    yield tmp_path
    keyring.reset_cache()
    ledger_keys.use_key_path(None)


# --- sources ------------------------------------------------------------------------------


def test_the_same_key_from_env_file_or_command_has_the_same_id(data_dir, monkeypatch):
    text = new_key_text()
    key_file = data_dir / "kms-key"
    key_file.write_text(text + "\n")
    ids = []
    for name, value in (
        (master.ENV, text),
        (master.FILE, str(key_file)),
        (master.COMMAND, f"{sys.executable} -c 'print(\"{text}\")'"),
    ):
        for other in SOURCES:
            monkeypatch.delenv(other, raising=False)
        monkeypatch.setenv(name, value)
        keyring.reset_cache()
        ids.append((keyring.configured()[0], keyring.configured_source().kind))
    assert {kek_id for kek_id, _kind in ids} == {keyring.kek_id_of(base64.b64decode(text))}
    assert [kind for _id, kind in ids] == ["env", "file", "command"]


def test_two_sources_are_refused_naming_both(data_dir, monkeypatch):
    monkeypatch.setenv(master.ENV, new_key_text())
    monkeypatch.setenv(master.COMMAND, "kms-get master")
    with pytest.raises(ConfigurationError) as caught:
        keyring.configured()
    assert "exactly one source" in str(caught.value)
    assert master.ENV in str(caught.value) and master.COMMAND in str(caught.value)


def test_a_failing_command_is_named_without_its_output(data_dir, monkeypatch):
    secret = new_key_text()
    script = f"import sys; print('{secret}'); print('access denied by KMS', file=sys.stderr); sys.exit(3)"
    monkeypatch.setenv(master.COMMAND, f'{sys.executable} -c "{script}"')
    with pytest.raises(ConfigurationError) as caught:
        keyring.configured()
    message = str(caught.value)
    assert "exit status 3" in message and "access denied by KMS" in message
    assert "command " in message and secret not in message


def test_a_command_that_hangs_times_out(data_dir, monkeypatch):
    monkeypatch.setenv(master.COMMAND, f"{sys.executable} -c 'import time; time.sleep(30)'")
    monkeypatch.setenv(master.COMMAND_TIMEOUT_VARIABLE, "1")
    with pytest.raises(ConfigurationError, match="did not answer within 1 s"):
        keyring.configured()


def test_a_missing_program_or_file_and_a_short_key_say_which_source(data_dir, monkeypatch):
    monkeypatch.setenv(master.COMMAND, "/nonexistent/kms-tool get")
    with pytest.raises(ConfigurationError, match="could not be started"):
        keyring.configured()
    monkeypatch.delenv(master.COMMAND)
    monkeypatch.setenv(master.FILE, str(data_dir / "absent"))
    with pytest.raises(ConfigurationError, match=f"file {data_dir / 'absent'} cannot be read"):
        keyring.configured()
    (data_dir / "short").write_text(base64.b64encode(b"short").decode())
    monkeypatch.setenv(master.FILE, str(data_dir / "short"))
    with pytest.raises(ConfigurationError, match=r"from file .*short must be 32 bytes"):
        keyring.configured()


# --- caught at start-up ---------------------------------------------------------------------


@pytest.mark.django_db
def test_a_wrong_key_stops_serve_naming_both_key_ids(cast, data_dir, monkeypatch, capsys):
    stored = keyring.configured()[0]
    monkeypatch.setenv(master.ENV, new_key_text())
    keyring.reset_cache()
    configured = keyring.configured()[0]
    assert not serve.check_keys()
    err = capsys.readouterr().err
    assert f"wrapped under master key {stored}, the configured key is {configured}" in err
    assert "CRM_MASTER_KEY (environment)" in err and "Refusing to start" in err


@pytest.mark.django_db
def test_a_wrong_key_makes_readyz_fail(cast, client, data_dir, monkeypatch):
    assert client.get("/readyz").status_code == 200
    monkeypatch.setenv(master.ENV, new_key_text())
    keyring.reset_cache()
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["keys"] == "unavailable"


@pytest.mark.django_db
def test_a_failing_key_command_makes_readyz_fail(cast, client, data_dir, monkeypatch):
    monkeypatch.setenv(master.COMMAND, f"{sys.executable} -c 'raise SystemExit(1)'")
    keyring.reset_cache()
    response = client.get("/readyz")
    assert response.status_code == 503 and response.json()["checks"]["keys"] == "unavailable"


@pytest.mark.django_db
def test_a_lost_generated_key_is_refused_instead_of_replaced(cast, data_dir):
    (data_dir / "keys" / master.GENERATED_NAME).unlink()
    keyring.reset_cache()
    with pytest.raises(ConfigurationError, match="the master key is missing"):
        keyring.configured()
    assert not (data_dir / "keys" / master.GENERATED_NAME).exists()


@pytest.mark.django_db
def test_a_ledger_key_under_another_master_key_stops_serve(cast, data_dir, capsys):
    ledger_keys.fingerprint()  # the file exists
    other = secrets.token_bytes(32)
    ledger_keys.rewrap(other)
    assert health.check_keys() == health.UNAVAILABLE
    assert not serve.check_keys()
    assert f"erasure-ledger key is wrapped under master key {keyring.kek_id_of(other)}" in (
        capsys.readouterr().err
    )


# --- keys status ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_status_counts_what_each_key_protects_in_queries_that_do_not_grow(cast, data_dir, capsys):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from terabox_crm.testing import factories

    system_key = keyring.active_key(keyring.SYSTEM_SCOPE).key_id
    with CaptureQueriesContext(connection) as before:
        first = cli.key_status()
    for n in range(5):
        factories.make_user(f"more{n}@acme.example")
    with CaptureQueriesContext(connection) as after:
        report = cli.key_status()
    # One grouped query per encrypted column, whatever the number of rows.
    assert len(after) == len(before)
    (was,) = [key for key in first["keys"] if key["key_id"] == system_key]
    (now,) = [key for key in report["keys"] if key["key_id"] == system_key]
    assert now["values"] >= was["values"] + 5
    assert report["master_key"]["kek_id"] == keyring.configured()[0]
    assert report["master_key"]["source"] == {
        "kind": "generated",
        "path": str(data_dir / "keys" / "master.key"),
    }
    assert report["still_under_old_master_key"] == 0
    (system,) = [key for key in report["keys"] if key["key_id"] == system_key]
    # Every user's email (and display name, when set) is encrypted under it.
    assert system["values"] >= User.objects.count()
    assert system["purpose"] == "encryption" and system["age_days"] == 0
    assert cli.main(["status", "--json"]) == 0
    parsed = json.loads(capsys.readouterr().out)
    assert parsed["data_keys_by_master_key"] == {
        keyring.configured()[0]: DataKey.objects.exclude(status="destroyed").count()
    }
    assert cli.main(["status"]) == 0
    out = capsys.readouterr().out
    assert "still wrapped under an old master key: nothing" in out
    assert f"master key {keyring.configured()[0]} from generated" in out


# --- rotation ---------------------------------------------------------------------------------


def _decrypted_emails() -> set[str]:
    keyring.reset_cache()  # read through the stored, re-wrapped keys
    return {user.email for user in User.objects.all()}


@pytest.mark.django_db
def test_rotating_the_embedded_master_key(cast, data_dir, capsys):
    emails = _decrypted_emails()
    old_id = keyring.configured()[0]
    ledger_id = ledger_keys.fingerprint()
    old_text = (data_dir / "keys" / "master.key").read_text()

    assert cli.main(["rotate", "--master", "--batch", "2"]) == 0
    out = capsys.readouterr().out
    new_id = keyring.configured()[0]
    assert new_id != old_id
    assert (
        "re-wrap data keys [" in out
        and "100%" in out
        and f"Keep the old master key {old_id}" in out
    )
    live = DataKey.objects.exclude(status=DataKey.Status.DESTROYED)
    assert set(live.values_list("kek_id", flat=True)) == {new_id}
    assert ledger_keys.wrapped_under() == new_id
    ledger_keys.use_key_path(None)
    assert ledger_keys.fingerprint() == ledger_id  # the same ledger key, re-wrapped
    assert _decrypted_emails() == emails
    # The old key is kept apart for backups taken before; the state file is gone.
    retired = data_dir / "keys" / "retired" / f"master-{old_id}.key"
    assert retired.read_text() == old_text
    assert not master.state_path().exists()
    proof = evidence.latest("keys.master_rotated")
    assert proof.outcome == "pass"
    assert proof.facts["old_kek_id"] == old_id and proof.facts["new_kek_id"] == new_id
    assert proof.facts["retired_key_file"] == str(retired)
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"crypto.master_key.rotation_started", "crypto.master_key.rotated"} <= actions
    assert serve.check_keys() and health.check_keys() == health.OK


class Crash(Exception):
    pass


@pytest.mark.django_db
def test_a_rotation_interrupted_halfway_is_finished_by_the_next_run(
    cast, data_dir, monkeypatch, capsys
):
    emails = _decrypted_emails()
    old_id = keyring.configured()[0]
    real = keyring.rewrap_batch
    calls = []

    def crash_after_one_batch(*args, **kwargs):
        if calls:
            raise Crash
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(keyring, "rewrap_batch", crash_after_one_batch)
    with pytest.raises(Crash):
        cli.main(["rotate", "--master", "--batch", "1"])
    monkeypatch.setattr(keyring, "rewrap_batch", real)

    # Halfway: a fresh process accepts both keys and wraps new keys under the new one.
    keyring.reset_cache()
    state = master.read_state()
    assert state.old_id == old_id and keyring.configured()[0] == old_id
    kek_ids = set(DataKey.objects.values_list("kek_id", flat=True))
    assert kek_ids == {old_id, state.new_id}
    assert _decrypted_emails() == emails
    assert keyring.create_key("halfway-scope", "encryption")
    assert DataKey.objects.get(scope="halfway-scope").kek_id == state.new_id
    assert serve.check_keys() and health.check_keys() == health.OK
    assert cli.key_status()["rotation"]["new_kek_id"] == state.new_id

    assert cli.main(["rotate", "--master"]) == 0
    out = capsys.readouterr().out
    assert f"resuming the rotation from master key {old_id} to {state.new_id}" in out
    assert keyring.configured()[0] == state.new_id
    assert set(DataKey.objects.values_list("kek_id", flat=True)) == {state.new_id}
    assert _decrypted_emails() == emails
    assert AuditEvent.objects.filter(action="crypto.master_key.rotation_started").count() == 1


@pytest.mark.django_db
def test_rotating_a_key_from_a_file_needs_the_new_source_then_a_switch_over(
    cast, data_dir, monkeypatch, capsys
):
    old_file = data_dir / "old.key"
    shutil.copy(data_dir / "keys" / "master.key", old_file)
    (data_dir / "keys" / "master.key").unlink()
    monkeypatch.setenv(master.FILE, str(old_file))
    keyring.reset_cache()
    emails = _decrypted_emails()
    old_id = keyring.configured()[0]

    assert cli.main(["rotate", "--master"]) == 2
    assert "--new-key-file" in capsys.readouterr().err
    assert cli.main(["rotate", "--master", "--new-key-file", str(old_file)]) == 2
    assert "is the configured one" in capsys.readouterr().err

    new_file = data_dir / "new.key"
    new_file.write_text(new_key_text())
    new_id = keyring.kek_id_of(master.read(master.Source("file", str(new_file))))
    assert cli.main(["rotate", "--master", "--new-key-file", str(new_file)]) == 0
    out = capsys.readouterr().out
    assert "Now switch the configuration to the new key" in out
    assert set(DataKey.objects.values_list("kek_id", flat=True)) == {new_id}
    # Until the switch, processes configured with the old file read the new key too.
    assert _decrypted_emails() == emails and health.check_keys() == health.OK

    monkeypatch.setenv(master.FILE, str(new_file))
    keyring.reset_cache()
    assert cli.main(["status"]) == 0
    assert "rotation is closed" in capsys.readouterr().out
    assert not master.state_path().exists()
    assert evidence.latest("keys.master_rotated").facts["old_kek_id"] == old_id
    assert _decrypted_emails() == emails


@pytest.mark.django_db
def test_master_rotation_refuses_scope_options(cast, data_dir, capsys):
    assert cli.main(["rotate", "--master", "--system"]) == 2
    assert "no scope options" in capsys.readouterr().err
    assert cli.main(["rotate", "--system", "--new-key-file", "/x"]) == 2
    assert not master.state_path().exists()
    assert settings.DATA_DIR  # the session's data dir is untouched by these tests


@pytest.mark.slow
@pytest.mark.embedded_database
def test_serve_refuses_to_start_with_a_wrong_master_key(tmp_path):
    from terabox_crm.ops.tests.test_production import run

    env = {k: v for k, v in os.environ.items() if not k.startswith(("CRM_", "DATABASE_URL"))}
    env.update(CRM_DATA_DIR=str(tmp_path), CRM_MASTER_KEY=new_key_text())
    make_keys = "from terabox_crm.crypto import keyring; keyring.active_key('system')"
    assert run(["keys", "status"], env).returncode == 0  # migrates
    made = run(["manage", "shell", "-c", make_keys], env)
    assert made.returncode == 0, made.stderr
    first = run(["keys", "status"], env)
    assert first.returncode == 0, first.stderr
    stored = first.stdout.split()[2]
    assert f"1 data key(s) wrapped under master key {stored}" in first.stdout
    env[master.ENV] = new_key_text()
    result = run(["serve", "--port", "0", "--no-worker"], env)
    assert result.returncode == 1
    assert f"wrapped under master key {stored}, the configured key is" in result.stderr
    assert "Refusing to start" in result.stderr and "Traceback" not in result.stderr
    assert env[master.ENV] not in result.stderr + result.stdout
    env[master.FILE] = str(tmp_path / "also")
    both = run(["serve", "--port", "0", "--no-worker"], env)
    assert both.returncode == 2 and "exactly one source" in both.stderr


@pytest.mark.django_db
def test_switching_to_the_new_key_before_the_rotation_ends_is_explained(
    cast, data_dir, monkeypatch, capsys
):
    old_file = data_dir / "old.key"
    shutil.copy(data_dir / "keys" / "master.key", old_file)
    monkeypatch.setenv(master.FILE, str(old_file))
    keyring.reset_cache()
    old_id = keyring.configured()[0]
    new_file = data_dir / "new.key"
    new_file.write_text(new_key_text())
    monkeypatch.setattr(keyring, "rewrap_batch", lambda *a, **k: (_ for _ in ()).throw(Crash()))
    with pytest.raises(Crash):
        cli.main(["rotate", "--master", "--new-key-file", str(new_file)])
    monkeypatch.setenv(master.FILE, str(new_file))  # switched too early
    keyring.reset_cache()
    assert cli.main(["rotate", "--master"]) == 2
    err = capsys.readouterr().err
    assert f"still wrapped under {old_id}: configure the old key again" in err
    assert master.state_path().exists()  # nothing was given up
