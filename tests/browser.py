"""Shared pieces of the browser tests: Debian's Chromium through Playwright,
TOTP codes from an enrolment page's key, and where screenshots go."""

from __future__ import annotations

import base64
import re
import time
from pathlib import Path

CHROMIUM = Path("/usr/bin/chromium")
SHOTS = Path(__file__).resolve().parent.parent / "out" / "screenshots"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def totp(secret: str, at: float) -> str:
    from django_otp.oath import TOTP

    compact = secret.replace(" ", "").upper()
    generator = TOTP(base64.b32decode(compact + "=" * (-len(compact) % 8)), step=30, digits=6)
    generator.time = at
    return f"{generator.token():06d}"


PASSWORD = re.compile(r"password: (\S+)")


def signed_in_page(browser, served, *, locale: str = "ja-JP", width: int = 1400):
    """A page signed in as ``serve --demo``'s owner, two-factor enrolled on the way."""
    password = PASSWORD.search(served.output).group(1)
    context = browser.new_context(
        ignore_https_errors=True, locale=locale, viewport={"width": width, "height": 900}
    )
    page = context.new_page()
    page.goto(f"{served.url}/accounts/login/")
    page.fill("input[name=email]", "demo@example.com")
    page.fill("input[name=password]", password)
    page.click("main form button[type=submit]")
    page.wait_for_url("**/accounts/two-factor/enrol/**")
    secret = page.locator("code.secret").inner_text().strip()
    page.fill("input[name=code]", totp(secret, time.time()))
    page.click("main form button[type=submit]")
    page.locator(".recovery-codes li").first.wait_for()
    return page
