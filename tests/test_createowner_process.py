"""``terabox-crm createowner`` works on a fresh data dir, before any ``serve``,
and the owner it makes signs in on the server started afterwards (SPEC §4)."""

from __future__ import annotations

import re
import subprocess

import pytest

from serving import COMMAND, clean_env

pytestmark = pytest.mark.slow

PASSWORD = "a long owner passphrase 2026"


def test_createowner_before_serve_then_sign_in(serve, tmp_path):
    env = clean_env(tmp_path, fresh=True, CRM_PASSWORD=PASSWORD, LANG="C.UTF-8")
    created = subprocess.run(
        [COMMAND, "createowner", "--email", "owner@example.com", "--workspace", "Acme 株式会社"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert created.returncode == 0, created.stdout + created.stderr
    assert (tmp_path / "db.sqlite3").exists()

    served = serve(data_dir=tmp_path)
    with served.client() as client:
        page = client.get("/accounts/login/")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
        response = client.post(
            "/accounts/login/",
            data={"email": "owner@example.com", "password": PASSWORD, "csrfmiddlewaretoken": token},
            headers={"Origin": served.url},
        )
    assert response.status_code == 302
    assert "/accounts/login/" not in response.headers["location"]
