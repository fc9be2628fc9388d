"""``terabox-crm token`` as a real process on a fresh data dir, and the token it
prints opens the API of the server started afterwards (SPEC §2, §4)."""

from __future__ import annotations

import subprocess

import pytest

from serving import COMMAND, clean_env

pytestmark = pytest.mark.slow

PASSWORD = "a long owner passphrase 2026"


def run(env, *args):
    return subprocess.run(
        [COMMAND, *args], env=env, capture_output=True, text=True, timeout=120, check=False
    )


def test_token_command_prints_a_token_the_server_accepts(serve, tmp_path):
    env = clean_env(tmp_path, CRM_PASSWORD=PASSWORD, LANG="C.UTF-8")
    created = run(env, "createowner", "--email", "owner@example.com", "--workspace", "Acme")
    assert created.returncode == 0, created.stdout + created.stderr

    refused = run(env, "token", "--email", "owner@example.com", "--workspace", "Nope")
    assert refused.returncode == 1
    assert "No workspace has this name." in refused.stderr and refused.stdout == ""
    stranger = run(env, "token", "--email", "nobody@example.com", "--workspace", "Acme")
    assert stranger.returncode == 1 and "No account has this email" in stranger.stderr

    printed = run(env, "token", "--email", "owner@example.com", "--workspace", "Acme",
                  "--scopes", "read", "--days", "7")  # fmt: skip
    assert printed.returncode == 0, printed.stderr
    token = printed.stdout.strip()
    assert token.startswith("tbx_")

    served = serve(data_dir=tmp_path)
    with served.client() as client:
        ok = client.get("/api/v1/audit-events/", headers={"Authorization": f"Bearer {token}"})
        wrong = client.get("/api/v1/audit-events/", headers={"Authorization": "Bearer tbx_x"})
        # A list that takes POST: a read-only one answers 405 before any scope check.
        write = client.post("/api/v1/tags/", headers={"Authorization": f"Bearer {token}"})
    assert ok.status_code == 200, ok.text
    assert "api.token.created" in {item["action"] for item in ok.json()["results"]}
    assert wrong.status_code == 401 and wrong.headers["www-authenticate"].startswith("Bearer")
    assert write.status_code == 403
