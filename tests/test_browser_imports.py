"""An import in a real browser (SPEC §2), against ``serve --demo`` in
headless Chromium, in Japanese and English: the contact list's Import
button, a Shift_JIS CSV as Japanese Excel saves it, the columns mapped by
their names, a dry run that writes nothing, then the import with its
progress bar until the counts show — the job run by the embedded worker."""

from __future__ import annotations

import pytest

from browser import SHOTS, signed_in_page

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CSV = "姓,名,メールアドレス,電話番号\r\n取込,一郎,torikomi.ichiro@example.jp,03-1111-2222\r\n取込,二郎,bad-address,\r\n"


@pytest.mark.parametrize(
    ("locale", "words"),
    [
        ("ja-JP", {"import": "インポート", "dry": "ドライラン", "done": "インポート済み"}),
        ("en-US", {"import": "Import", "dry": "Dry run", "done": "Imported"}),
    ],
)
def test_a_shift_jis_csv_is_checked_then_imported(serve, chromium, locale, words):
    served = serve("--demo")
    page = signed_in_page(chromium, served, locale=locale, width=1280)
    SHOTS.mkdir(parents=True, exist_ok=True)
    language = locale[:2]
    page.goto(f"{served.url}/contacts/")
    page.click(f".page-header a:text-is('{words['import']}')")
    page.set_input_files(
        "input[name=file]",
        {"name": "people.csv", "mimeType": "text/csv", "buffer": CSV.encode("cp932")},
    )
    page.click("main form[enctype] button[type=submit]")
    page.locator("#import-mapping").wait_for()
    assert page.locator("select[name=column_0]").input_value() == "family_name"
    assert page.locator("select[name=column_2]").input_value() == "email"
    # The third-party receipt shows only for a third-party source (docs/ui.md
    # "Imports"): hidden for the default, shown when that source is chosen.
    receipt = page.locator("#consent-receipt")
    assert not receipt.is_visible()
    page.check("input[name=source][value=third_party]")
    assert receipt.is_visible() and page.locator("input[name=consent_at]").is_visible()
    page.check("input[name=source][value=import]")
    assert not receipt.is_visible()
    page.screenshot(path=str(SHOTS / f"browser-imports-mapping-{language}.png"), full_page=True)
    page.click(f"button[value=dry]:text-is('{words['dry']}')")
    page.locator("#import-counts").wait_for(timeout=30_000)
    page.screenshot(path=str(SHOTS / f"browser-imports-dry-run-{language}.png"), full_page=True)
    assert page.locator("#import-issues tbody tr").count() == 1
    page.click("button[value=real]")
    page.locator("#import-progress h2", has_text=words["done"]).wait_for(timeout=30_000)
    page.screenshot(path=str(SHOTS / f"browser-imports-done-{language}.png"), full_page=True)
    page.goto(f"{served.url}/contacts/?q=torikomi.ichiro@example.jp")
    assert "取込" in page.locator("main").inner_text()
