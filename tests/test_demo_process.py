"""``terabox-crm serve --demo``: the printed sign-in works on the real server."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.slow

PASSWORD = re.compile(r"password: (\S+)")


def sign_in(served, email: str, password: str):
    with served.client() as client:
        page = client.get("/accounts/login/")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
        return client.post(
            "/accounts/login/",
            data={"email": email, "password": password, "csrfmiddlewaretoken": token},
            headers={"Origin": served.url, "Referer": f"{served.url}/accounts/login/"},
        )


def test_demo_prints_the_workspace_email_and_a_password(serve):
    served = serve("--demo", fresh=True)  # the README's first start, on an empty data dir
    assert "Terabox デモ" in served.output
    assert "email:    demo@example.com" in served.output
    assert PASSWORD.search(served.output)
    assert "/accounts/login/" in served.output
    assert "Two-factor" in served.output


def test_printed_demo_password_signs_in(serve):
    served = serve("--demo")
    password = PASSWORD.search(served.output).group(1)
    response = sign_in(served, "demo@example.com", password)
    assert response.status_code == 302
    assert "/accounts/login/" not in response.headers["location"]


def test_demo_restart_prints_a_new_password_and_the_old_one_stops_working(serve, tmp_path):
    first = serve("--demo", data_dir=tmp_path)
    old = PASSWORD.search(first.output).group(1)
    assert first.stop() == 0
    second = serve("--demo", data_dir=tmp_path)
    new = PASSWORD.search(second.output).group(1)
    assert new != old
    assert "found" in second.output
    assert sign_in(second, "demo@example.com", old).status_code == 400  # form again, with error
    assert sign_in(second, "demo@example.com", new).status_code == 302
