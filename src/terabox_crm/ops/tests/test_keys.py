"""``terabox-crm keys …`` (S3): rotation from the command line, destroying
unused keys after the window, the progress bar."""

from __future__ import annotations

import io

import pytest

from terabox_crm.audit.models import AuditEvent
from terabox_crm.crypto import keyring
from terabox_crm.crypto.models import DataKey
from terabox_crm.ops import keys as cli
from terabox_crm.testing import factories


@pytest.fixture
def invitations(cast):
    acme = [factories.make_invitation(cast.acme, f"guest{n}@acme.example")[0] for n in range(3)]
    globex = factories.make_invitation(cast.globex, "guest@globex.example")[0]
    return acme, globex


def test_cli_rotates_the_chosen_scopes_with_a_progress_line_per_decile(cast, invitations, capsys):
    assert (
        cli.main(["keys", "rotate", "--system", "--scope", cast.acme.slug, "--batch", "1"][1:]) == 0
    )
    out = capsys.readouterr().out
    assert "100%" in out and "ETA" in out and "\r" not in out  # captured stdout is no TTY
    assert "system: key " in out and f"{cast.acme.pk}: key " in out
    system_lines = [line for line in out.splitlines() if line.startswith("rotate system [")]
    assert 2 <= len(system_lines) <= 11
    events = AuditEvent.objects.filter(action="crypto.keys.rotated")
    assert {event.channel for event in events} == {"cli"}


def test_cli_destroys_unused_keys_only_after_the_window(cast, capsys):
    old = keyring.active_key(keyring.SYSTEM_SCOPE).key_id
    assert cli.main(["rotate", "--system"]) == 0
    assert cli.main(["rotate", "--system", "--destroy-unused"]) == 0
    assert "destroyed 0 key(s)" in capsys.readouterr().out
    assert cli.main(["rotate", "--system", "--destroy-unused", "--older-than", "0"]) == 0
    assert "system: destroyed 1 key(s)" in capsys.readouterr().out
    assert DataKey.objects.get(key_id=old).status == DataKey.Status.DESTROYED


def test_cli_refuses_a_run_without_a_scope(cast, capsys):
    assert cli.main(["rotate"]) == 2
    assert "--all-workspaces" in capsys.readouterr().err
    assert cli.main(["rotate", "--scope", "nowhere"]) == 2


def test_progress_bar_redraws_in_place_on_a_terminal():
    stream = io.StringIO()
    bar = cli.ProgressBar("rotate system", stream, tty=True)
    for done in range(0, 101, 25):
        bar(done, 100)
    bar.close()
    text = stream.getvalue()
    assert text.count("\r") == 5 and text.endswith("\n")
    assert "100%  100/100 rows" in text
