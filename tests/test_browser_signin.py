"""The sign-in journey in a real browser (S2, S14): a new owner signs in, is made to enrol
two-factor (QR code + key), saves recovery codes, signs out, and signs in
again with password + code — in headless Chromium against the real HTTPS
server. Screenshots go to out/screenshots/ (a CI artifact, ignored by git)."""

from __future__ import annotations

import subprocess
import time

import pytest

from browser import SHOTS, totp
from serving import COMMAND, clean_env

EMAIL = "owner@browser.example"
PASSWORD = "a long and memorable passphrase"

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_owner_enrols_two_factor_and_signs_in_with_it(serve, tmp_path, chromium):
    created = subprocess.run(
        [COMMAND, "createowner", "--email", EMAIL, "--workspace", "Browser KK"],
        env=clean_env(tmp_path, CRM_PASSWORD=PASSWORD, LANG="en_US.UTF-8"),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert created.returncode == 0, created.stdout + created.stderr
    server = serve(data_dir=tmp_path)
    SHOTS.mkdir(parents=True, exist_ok=True)
    context = chromium.new_context(
        ignore_https_errors=True, locale="ja-JP", viewport={"width": 1280, "height": 800}
    )
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)

    page.goto(f"{server.url}/accounts/login/")
    page.fill("input[name=email]", EMAIL)
    page.fill("input[name=password]", PASSWORD)
    page.click("main form button[type=submit]")

    # Owners always need two-factor: the product sends them to enrolment first.
    page.wait_for_url("**/accounts/two-factor/enrol/**")
    assert page.locator("figure.qr svg").count() == 1
    secret = page.locator("code.secret").inner_text().strip()
    page.evaluate("window.scrollTo(0, 0)")  # the code field's autofocus scrolled the page
    page.screenshot(path=str(SHOTS / "browser-enrol-ja.png"), full_page=True)
    enrolled_at = time.time()
    page.fill("input[name=code]", totp(secret, enrolled_at))
    page.click("main form button[type=submit]")

    codes = page.locator(".recovery-codes li")
    codes.first.wait_for()
    assert codes.count() == 10
    page.screenshot(path=str(SHOTS / "browser-recovery-codes-ja.png"), full_page=True)

    page.goto(f"{server.url}/")
    page.click("details.user-menu summary")
    page.click("details.user-menu form[action$='/accounts/logout/'] button")
    page.wait_for_url("**/accounts/signed-out/**")
    page.click("main a[href$='/accounts/login/']")
    page.wait_for_url("**/accounts/login/**")

    page.fill("input[name=email]", EMAIL)
    page.fill("input[name=password]", PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_url("**/accounts/login/verify/**")
    # Each code works once: use the next time step's code (±1 step is accepted).
    page.fill("input[name=code]", totp(secret, enrolled_at + 30))
    page.click("main form button[type=submit]")
    page.wait_for_url(f"{server.url}/")
    assert "Browser KK" in page.content()
    page.screenshot(path=str(SHOTS / "browser-home-after-2fa-ja.png"), full_page=True)
    assert not [e for e in errors if "Content Security Policy" in e], errors
    context.close()
