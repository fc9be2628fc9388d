"""``terabox-crm audit verify`` and ``terabox-crm audit checkpoint``."""

import os
import subprocess
import sys

import pytest

from terabox_crm import audit
from terabox_crm.audit.models import AuditEvent, Checkpoint
from terabox_crm.audit.tests.conftest import (  # _fresh_signer: autouse, as in audit's tests
    PLAIN_EVENT,
    _fresh_signer,  # noqa: F401
    chain_of,
    record_many,
    tamper,
)
from terabox_crm.ops import auditlog as cli


@pytest.fixture
def chains(cast):
    record_many(3, workspace=cast.acme)
    record_many(2, workspace=cast.globex)
    audit.record(PLAIN_EVENT)
    return cast


def test_verify_exits_zero_with_one_line_per_intact_chain(chains, capsys):
    assert cli.main(["verify"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 3
    assert all(": ok, " in line for line in lines)
    assert any(line.startswith(f"chain {chain_of(chains.acme)}: ok, 3 events") for line in lines)


def test_verify_exits_one_and_names_the_first_bad_event(chains, capsys):
    tamper(
        "UPDATE audit_auditevent SET object_id = 'x' WHERE chain = %s AND seq = 2",
        [chain_of(chains.acme)],
    )
    assert cli.main(["verify"]) == 1
    out = capsys.readouterr().out
    assert f"chain {chain_of(chains.acme)}: TAMPERED at seq 2: event content" in out
    assert f"chain {chain_of(chains.globex)}: ok" in out


def test_a_finding_is_recorded_as_a_security_event_in_the_workspaces_trail(chains, capsys):
    tamper(
        "UPDATE audit_auditevent SET object_id = 'x' WHERE chain = %s AND seq = 2",
        [chain_of(chains.acme)],
    )
    cli.main(["verify"])
    alert = AuditEvent.objects.get(
        chain=chain_of(chains.acme), action="security.audit.tamper_detected"
    )
    assert alert.payload == {"seq": 2, "reason": "edited"}
    assert alert.channel == "cli"


def test_verify_one_chain_by_workspace_slug(chains, capsys):
    assert cli.main(["verify", "--chain", chains.globex.slug]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines == [lines[0]]
    assert lines[0].startswith(f"chain {chain_of(chains.globex)}: ok, 2 events")


def test_verify_the_system_chain_by_name(chains, capsys):
    assert cli.main(["verify", "--chain", "system"]) == 0
    assert capsys.readouterr().out.startswith("chain system: ok, 1 events")


def test_verify_an_unknown_chain_is_a_usage_error(chains, capsys):
    assert cli.main(["verify", "--chain", "no-such-workspace"]) == 2
    assert "no chain 'no-such-workspace'" in capsys.readouterr().err


def test_verify_with_no_events_says_so(db, capsys):
    assert cli.main(["verify"]) == 0
    assert "nothing to verify" in capsys.readouterr().out


def test_checkpoint_command_signs_every_chain_that_grew(chains, capsys):
    assert cli.main(["checkpoint"]) == 0
    assert capsys.readouterr().out.strip() == "signed 3 checkpoint(s)"
    assert Checkpoint.objects.count() == 3


def test_an_unknown_subcommand_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["frobnicate"])
    assert exit_info.value.code == 2


@pytest.mark.slow
@pytest.mark.embedded_database
def test_verify_works_on_a_fresh_data_dir(tmp_path):
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("CRM_", "DATABASE_URL", "DJANGO_SETTINGS"))
    }
    env["CRM_DATA_DIR"] = str(tmp_path / "var")
    result = subprocess.run(
        [sys.executable, "-m", "terabox_crm.cli", "audit", "verify"],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "nothing to verify" in result.stdout
    assert (tmp_path / "var" / "db.sqlite3").exists()
