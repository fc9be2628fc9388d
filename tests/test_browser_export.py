"""A guarded export in a real browser (S4, S5; issue 11 item 1), against
``serve --demo`` in headless Chromium with its embedded job worker:

1. the contact list's Export button asks for a step-up first (password and
   a second-factor code), then opens the export form;
2. the form names its purpose and says how many rows the file will hold;
3. the export is asked at once and its job counts the rows through the
   purpose gate, then builds the file; the detail page follows both and
   shows the count the form announced;
4. the file is downloaded once: a CSV whose SHA-256 is the one the page shows;
5. a second download of the same export is refused and says why.

Screenshots of the form and the ready export go to out/screenshots/.
"""

from __future__ import annotations

import hashlib
import re
import time
from urllib.parse import urlencode

import pytest

from browser import PASSWORD, SHOTS, totp

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _next_code(secret: str, after: float) -> str:
    """A code of a later 30-second step than ``after`` (a used code is refused)."""
    while int(time.time() // 30) <= int(after // 30):
        time.sleep(0.5)
    return totp(secret, time.time())


def _signed_in(chromium, served):
    password = PASSWORD.search(served.output).group(1)
    context = chromium.new_context(
        ignore_https_errors=True,
        locale="en-US",
        viewport={"width": 1440, "height": 900},
        accept_downloads=True,
    )
    page = context.new_page()
    page.goto(f"{served.url}/accounts/login/")
    page.fill("input[name=email]", "demo@example.com")
    page.fill("input[name=password]", password)
    page.click("main form button[type=submit]")
    page.wait_for_url("**/accounts/two-factor/enrol/**")
    secret = page.locator("code.secret").inner_text().strip()
    used = time.time()
    page.fill("input[name=code]", totp(secret, used))
    page.click("main form button[type=submit]")
    page.locator(".recovery-codes li").first.wait_for()
    return page, password, secret, used


def test_export_from_the_list_through_step_up_to_one_download(serve, chromium):
    served = serve("--demo")
    page, password, secret, used = _signed_in(chromium, served)
    SHOTS.mkdir(parents=True, exist_ok=True)

    # 1. The list's Export button, then the step-up. The sign-in a moment
    # ago counts as a fresh step-up for 5 minutes (STEP_UP_SECONDS), so the
    # button may open the form at once; the step-up page is then the one the
    # button leads to once that confirmation is older.
    page.goto(f"{served.url}/contacts/")
    button = page.locator("a[href*='/exports/new/']")
    href = button.get_attribute("href")
    assert "resource=contacts" in href
    button.click()
    page.wait_for_url(re.compile(r".*/(accounts/step-up|exports/new)/.*"))
    if "/exports/new/" in page.url:
        page.goto(f"{served.url}/accounts/step-up/?{urlencode({'next': href})}")
    assert page.locator("h1", has_text="Confirm it is you").is_visible()
    page.fill("input[name=password]", password)
    page.fill("input[name=code]", _next_code(secret, used))
    page.click("main form button[type=submit]")
    page.wait_for_url(re.compile(r".*/exports/new/\?.*resource=contacts.*"))

    # 2. The form: what the file will hold, and its purpose.
    preview = page.locator("#export-preview").inner_text()
    rows = int(re.search(r"([\d,]+) rows?", preview).group(1).replace(",", ""))
    matched = int(re.search(r"\(([\d,]+) match", preview).group(1).replace(",", ""))
    assert rows > 0 and matched >= rows
    assert page.locator("select[name=purpose] option").count() >= 1
    page.select_option("select[name=format]", "csv")
    page.screenshot(path=str(SHOTS / "browser-export-new-en-1440.png"), full_page=True)
    page.click("main form[method=post] button[type=submit]")

    # 3. The job: the count first (not in the request: the page answers at
    # once, "counting"), then the build, whose progress the page follows.
    page.wait_for_url(re.compile(r".*/exports/[0-9a-f-]{36}/$"))
    assert "rows are being counted" in page.locator("main").inner_text()
    assert page.locator("#export-progress").is_visible()
    download_button = page.locator("#export-progress button[type=submit]", has_text="Download")
    download_button.wait_for(timeout=120_000)
    progress = page.locator("#export-progress progress")
    assert progress.get_attribute("value") == "100"
    shown_sha = page.locator("#export-progress code").inner_text().strip()
    # The job's count, shown beside the request once made: what the form said.
    page.reload()
    asked = page.locator("dl.details").inner_text()
    assert f"{matched} rows matched" in asked, asked
    assert "Being counted" not in asked
    page.screenshot(path=str(SHOTS / "browser-export-ready-en-1440.png"), full_page=True)

    # 4. One download: the file the page describes.
    with page.expect_download() as caught:
        download_button.click()
    path = caught.value.path()
    content = path.read_bytes()
    assert hashlib.sha256(content).hexdigest() == shown_sha
    lines = content.decode("utf-8-sig").splitlines()
    assert len(lines) - 1 == int(
        re.search(r"holds ([\d,]+) rows?", page.locator("#export-progress").inner_text())
        .group(1)
        .replace(",", "")
    )

    # 5. The same button again: refused, nothing to download.
    download_button.click()
    error = page.locator("#download-error")
    error.wait_for()
    assert "downloaded already" in error.inner_text()  # in the page's language
    page.screenshot(path=str(SHOTS / "browser-export-second-download-en-1440.png"), full_page=True)
    page.reload()
    assert "Downloaded on" in page.locator("#export-progress").inner_text()
    assert page.locator("#export-progress button", has_text="Download").count() == 0
