"""``terabox-crm keys rotate`` as an operator runs it: a real process on a
data dir, progress printed, rerun harmless, the owner still readable."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys

import pytest

from serving import COMMAND, clean_env

pytestmark = pytest.mark.slow

PASSWORD = "a long owner passphrase 2026"


def _run(env, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [COMMAND, *args], env=env, capture_output=True, text=True, timeout=120, check=False
    )


def _read_owner_email(env) -> str:
    code = (
        "from terabox_crm.ops.bootstrap import prepare; prepare();"
        "from terabox_crm.accounts.models import User;"
        "print(User.objects.get().email)"
    )
    shown = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120
    )
    assert shown.returncode == 0, shown.stderr
    return shown.stdout.strip()


def test_rotate_the_system_scope_and_every_workspace(tmp_path):
    env = clean_env(tmp_path, CRM_PASSWORD=PASSWORD, LANG="C.UTF-8")
    env["DJANGO_SETTINGS_MODULE"] = "terabox_crm.settings"
    created = _run(env, "createowner", "--email", "owner@example.com", "--workspace", "Acme")
    assert created.returncode == 0, created.stdout + created.stderr

    rotated = _run(env, "keys", "rotate", "--system", "--all-workspaces", "--batch", "1")
    assert rotated.returncode == 0, rotated.stdout + rotated.stderr
    assert "rotate system [" in rotated.stdout and "100%" in rotated.stdout
    assert "system: key " in rotated.stdout and "row(s) re-encrypted" in rotated.stdout
    assert "\r" not in rotated.stdout  # not a terminal: one line per 10 %
    assert _read_owner_email(env) == "owner@example.com"

    status = _run(env, "keys", "status")
    assert status.returncode == 0 and status.stdout.count(" done ") == 2

    refused = _run(env, "keys", "rotate")
    assert refused.returncode == 2 and "--all-workspaces" in refused.stderr


def test_on_a_terminal_the_bar_is_redrawn_in_place(tmp_path):
    env = clean_env(tmp_path, CRM_PASSWORD=PASSWORD, LANG="C.UTF-8")
    assert _run(env, "createowner", "--email", "o@example.com", "--workspace", "A").returncode == 0
    parent, child = pty.openpty()
    process = subprocess.Popen(
        [COMMAND, "keys", "rotate", "--system"], env=env, stdout=child, stderr=child
    )
    os.close(child)
    output = b""
    while True:
        ready, _, _ = select.select([parent], [], [], 60)
        if not ready:
            break
        try:
            chunk = os.read(parent, 4096)
        except OSError:  # the terminal closed: the process ended
            break
        if not chunk:
            break
        output += chunk
    assert process.wait(timeout=60) == 0, output
    text = output.decode()
    assert "\rrotate system [" in text and "100%" in text
