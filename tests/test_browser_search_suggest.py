"""The top bar's live search dropdown in a real browser (SPEC §2): suggestions
as one types, keyboard navigation (arrows, Enter, Escape), Enter alone going to
the search page, and prefix typeahead once the owner turned it on (step-up).
Runs against ``serve --demo`` in headless Chromium; screenshots in ja and en."""

from __future__ import annotations

import time

import pytest

from browser import PASSWORD, SHOTS, totp

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def sign_in(browser, served, *, locale: str):
    """Sign in as the demo owner; return the page and the TOTP secret (for step-up)."""
    password = PASSWORD.search(served.output).group(1)
    context = browser.new_context(
        ignore_https_errors=True, locale=locale, viewport={"width": 1280, "height": 720}
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
    page.goto(f"{served.url}/")
    return page, password, secret


def type_query(page, text: str) -> None:
    box = page.locator("#global-search")
    box.fill("")
    box.press_sequentially(text, delay=40)
    page.wait_for_function(
        "t => document.querySelector('#global-search-listbox #typeahead-all')"
        "?.getAttribute('href').includes(encodeURIComponent(t))",
        arg=text,
    )


def listbox_open(page) -> bool:
    return page.locator("#global-search-listbox").is_visible()


@pytest.mark.parametrize("locale", ["ja-JP", "en-US"])
def test_suggestions_as_one_types_and_the_keyboard(serve, chromium, locale):
    served = serve("--demo")
    page, _password, _secret = sign_in(chromium, served, locale=locale)
    language = locale[:2]
    box = page.locator("#global-search")

    type_query(page, "山田")
    assert listbox_open(page)
    assert box.get_attribute("aria-expanded") == "true"
    options = page.locator("#global-search-listbox [role=option]")
    assert options.count() >= 2  # 山田 花子 and "all results"
    page.screenshot(path=str(SHOTS / f"search-suggest-{language}.png"))

    # Arrow down highlights the first suggestion, Escape closes, Enter opens.
    box.press("ArrowDown")
    first = options.first
    assert first.get_attribute("aria-selected") == "true"
    assert box.get_attribute("aria-activedescendant") == first.get_attribute("id")
    box.press("ArrowUp")  # wraps to "all results"
    assert options.last.get_attribute("aria-selected") == "true"
    box.press("Escape")
    assert not listbox_open(page)
    assert box.get_attribute("aria-expanded") == "false"
    box.press("ArrowDown")
    assert listbox_open(page)
    target = first.get_attribute("href")
    box.press("Enter")
    page.wait_for_url(f"**{target}")

    # Enter without a highlighted suggestion goes to the full search page.
    type_query(page, "Smith")
    page.locator("#global-search").press("Enter")
    page.wait_for_url("**/contacts/search/?q=Smith")
    assert "Smith" in page.locator("main").inner_text()

    # Too short: nothing is asked and the list closes.
    box = page.locator("#global-search")
    box.fill("山")
    page.wait_for_timeout(600)
    assert not listbox_open(page)


def test_prefix_typeahead_after_the_owner_turns_it_on(serve, chromium):
    served = serve("--demo")
    page, password, secret = sign_in(chromium, served, locale="ja-JP")
    type_query(page, "やま")
    assert page.locator("#global-search-listbox [role=option]").count() == 1  # "search for"

    page.goto(f"{served.url}/workspace/settings/")
    page.check("input[name=name_prefix_search]")
    page.click("main form button[type=submit]")
    page.wait_for_load_state()
    if "/accounts/step-up/" in page.url:  # signing in counts as a fresh step-up for a while
        page.fill("input[name=password]", password)
        page.fill("input[name=code]", totp(secret, time.time() + 30))  # not the enrolment code
        page.click("main form button[type=submit]")
        page.wait_for_url("**/workspace/settings/**")
        page.check("input[name=name_prefix_search]")
        page.click("main form button[type=submit]")
        page.wait_for_load_state()
    assert page.locator("input[name=name_prefix_search]").is_checked()
    page.screenshot(path=str(SHOTS / "settings-prefix-search-ja.png"), full_page=True)

    # The job builds the terms in the background (the worker or inline).
    for _attempt in range(40):
        type_query(page, "やま")
        if page.locator("#global-search-listbox [role=option]").count() > 1:
            break
        page.wait_for_timeout(500)
    assert "山田 花子" in page.locator("#global-search-listbox").inner_text()
    page.screenshot(path=str(SHOTS / "search-suggest-prefix-ja.png"))
    type_query(page, "smi")
    assert "Smith" in page.locator("#global-search-listbox").inner_text()
