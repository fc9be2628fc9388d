"""Signing out in a real browser (S14): Chromium acts on ``Clear-Site-Data``
— the session cookie and the site's storage are gone — and the one-time page
after it gives the device cookie back, so signing in again from the same
browser is not a "new device" (accounts/signout.py)."""

from __future__ import annotations

import sqlite3
import time

import pytest

from browser import PASSWORD, SHOTS, totp
from serving import Served, clean_env

pytestmark = [pytest.mark.browser, pytest.mark.slow]

EMAIL = "demo@example.com"
SESSION = "__Host-sessionid"
DEVICE = "__Host-device"


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    directory = tmp_path_factory.mktemp("sign-out")
    served = Served(directory, ["--demo"], clean_env(directory)).wait_ready()
    yield served
    served.kill()


def new_device_alerts(served: Served) -> int:
    with sqlite3.connect(f"file:{served.data_dir / 'db.sqlite3'}?mode=ro", uri=True) as db:
        [(count,)] = db.execute(
            "SELECT count(*) FROM audit_auditevent WHERE action = 'security.login.new_device'"
        ).fetchall()
    return count


def cookies(context) -> dict[str, str]:
    return {cookie["name"]: cookie["value"] for cookie in context.cookies()}


def sign_in(page, password: str) -> None:
    page.fill("input[name=email]", EMAIL)
    page.fill("input[name=password]", password)
    page.click("main form button[type=submit]")


def test_sign_out_clears_the_browser_and_keeps_it_known(demo, chromium):
    password = PASSWORD.search(demo.output).group(1)
    context = chromium.new_context(ignore_https_errors=True, locale="en-US")
    page = context.new_page()
    page.goto(f"{demo.url}/accounts/login/")
    sign_in(page, password)
    page.wait_for_url("**/accounts/two-factor/enrol/**")
    secret = page.locator("code.secret").inner_text().strip()
    enrolled_at = time.time()
    page.fill("input[name=code]", totp(secret, enrolled_at))
    page.click("main form button[type=submit]")
    page.locator(".recovery-codes li").first.wait_for()

    page.goto(f"{demo.url}/")
    page.evaluate("localStorage.setItem('left-behind', 'yes')")
    before = cookies(context)
    assert SESSION in before and DEVICE in before
    alerts = new_device_alerts(demo)

    page.click("details.user-menu summary")
    page.click("details.user-menu form[action$='/accounts/logout/'] button")
    page.wait_for_url("**/accounts/signed-out/**")
    page.locator("h1", has_text="You have signed out.").wait_for()
    page.screenshot(path=str(SHOTS / "browser-signed-out-en.png"), full_page=True)

    after = cookies(context)
    assert SESSION not in after  # Clear-Site-Data took it, and nothing set it again
    assert after[DEVICE] == before[DEVICE]  # the one-time page gave it back
    assert page.evaluate("localStorage.getItem('left-behind')") is None

    page.click("main a[href$='/accounts/login/']")
    page.wait_for_url("**/accounts/login/")
    sign_in(page, password)
    page.wait_for_url("**/accounts/login/verify/**")
    page.fill("input[name=code]", totp(secret, enrolled_at + 30))
    page.click("main form button[type=submit]")
    page.wait_for_url(f"{demo.url}/")
    assert new_device_alerts(demo) == alerts
    context.close()
