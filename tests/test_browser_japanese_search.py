"""Japanese search in a real browser (SPEC §2, S3;
docs/decisions/0010-company-name-search.md): a company found by one word of
its name from the top bar's search box, the search page's one table, a full
name typed without a space, and the company picker's 「＋新規作成」. Runs
against ``serve --demo`` in headless Chromium; screenshots in ja and en."""

from __future__ import annotations

import pytest

from browser import SHOTS
from test_browser_search_suggest import sign_in, type_query

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.mark.parametrize("locale", ["ja-JP", "en-US"])
def test_company_found_by_sakura_from_the_search_box(serve, chromium, locale):
    served = serve("--demo")
    page, _password, _secret = sign_in(chromium, served, locale=locale)
    language = locale[:2]

    type_query(page, "さくら")
    listbox = page.locator("#global-search-listbox")
    assert "株式会社さくら物流" in listbox.inner_text()
    page.screenshot(path=str(SHOTS / f"search-sakura-suggest-{language}.png"))

    # Enter alone: the search page, one table of every kind that matched.
    page.locator("#global-search").press("Enter")
    page.wait_for_url("**/contacts/search/?q=*")
    table = page.locator("#search-results table")
    table.wait_for()
    assert table.locator('tr[data-kind="company"]').count() == 1
    assert table.locator('tr[data-kind="deal"]').count() >= 1
    headers = table.locator("thead th").all_inner_texts()
    assert headers == (
        ["種類", "名前", "会社", "メールアドレスまたは電話番号", "担当者"]
        if language == "ja"
        else ["Type", "Name", "Company", "Email or phone", "Owner"]
    )
    page.screenshot(path=str(SHOTS / f"search-sakura-page-{language}.png"), full_page=True)

    # At phone width: phone numbers and emails stay on one line, the table
    # scrolls inside its box and the page itself does not overflow.
    page.set_viewport_size({"width": 390, "height": 844})
    phone_cell = table.locator('tr[data-kind="company"] td.nowrap')
    assert phone_cell.evaluate("td => getComputedStyle(td).whiteSpace") == "nowrap"
    lines = phone_cell.evaluate(
        "td => { const r = document.createRange(); r.selectNodeContents(td);"
        " return new Set([...r.getClientRects()].map(x => Math.round(x.top))).size }"
    )
    assert lines == 1
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    page.screenshot(path=str(SHOTS / f"search-sakura-phone-{language}.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 720})
    table.locator('tr[data-kind="company"] a').first.click()
    page.wait_for_url("**/companies/*/")
    assert "株式会社さくら物流" in page.locator("main h1").inner_text()

    # A full name typed without a space.
    type_query(page, "山田花子")
    assert "山田 花子" in page.locator("#global-search-listbox").inner_text()


def test_company_picker_creates_the_typed_company(serve, chromium):
    served = serve("--demo")
    page, _password, _secret = sign_in(chromium, served, locale="ja-JP")
    page.goto(f"{served.url}/contacts/new/")
    page.fill("input[name=family_name]", "岡田")
    page.fill("input[name=given_name]", "健")
    picker = page.locator("#id_company_name")
    picker.press_sequentially("みなと精工", delay=40)
    create = page.locator("#company-options [data-create-company]")
    create.wait_for()
    assert create.inner_text() == "＋新規作成：「みなと精工」"
    page.screenshot(path=str(SHOTS / "company-picker-create-ja.png"))
    create.click()
    page.wait_for_function(
        "() => document.querySelector('input[type=hidden][name=company]').value !== ''"
    )
    assert picker.input_value() == "みなと精工"
    page.locator(".form-actions button[type=submit]").last.click()
    page.wait_for_url("**/contacts/*/")
    assert "みなと精工" in page.locator("main").inner_text()

    # The new company is found by a word of its name.
    type_query(page, "精工")
    assert "みなと精工" in page.locator("#global-search-listbox").inner_text()
