"""The record lists in a real browser (docs/ui.md "Lists"), against
``serve --demo`` in headless Chromium:

1. a column header sorts the contact list, and a second click reverses it;
2. two contacts chosen by their checkboxes get a new owner in one bulk
   action (the bar counts the chosen rows; the list says how many changed);
3. filters saved as a view become a tab that brings them back;
4. the task list's built-in views are tabs;
5. at phone width the rows are cards and the filters sit behind 「絞り込み」.
"""

from __future__ import annotations

import re

import pytest

from browser import SHOTS, signed_in_page

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_sort_bulk_owner_change_and_a_saved_view(serve, chromium):
    served = serve("--demo")
    page = signed_in_page(chromium, served, locale="en-US", width=1440)
    SHOTS.mkdir(parents=True, exist_ok=True)

    # 1. Sorting by a column header, then reversed.
    page.goto(f"{served.url}/contacts/")
    header = page.locator("th", has=page.locator("a[data-sort=stage]"))
    page.click("a[data-sort=stage]")
    page.wait_for_url(re.compile(r".*\?sort=stage$"))
    assert header.get_attribute("aria-sort") == "ascending"
    stages = page.locator("tbody tr td:nth-child(7)").all_inner_texts()
    page.click("a[data-sort=stage]")
    page.wait_for_url(re.compile(r".*\?sort=-stage$"))
    assert header.get_attribute("aria-sort") == "descending"
    assert page.locator("tbody tr td:nth-child(7)").all_inner_texts() != stages
    assert re.search(r"\d+ records", page.locator("[data-list-count]").inner_text())

    # 2. A bulk owner change on two chosen contacts.
    page.goto(f"{served.url}/contacts/")
    boxes = page.locator("input[name=ids]")
    chosen = [boxes.nth(0).get_attribute("value"), boxes.nth(1).get_attribute("value")]
    boxes.nth(0).check()
    boxes.nth(1).check()
    assert page.locator("[data-bulk-count]").inner_text() == "2 selected"
    page.select_option("[data-bulk-action]", "owner")
    owner_select = page.locator("[data-bulk-value=owner]")
    assert owner_select.is_visible() and not page.locator("[data-bulk-value=stage]").is_visible()
    owner_select.select_option(label="田中 結衣")
    page.screenshot(path=str(SHOTS / "browser-lists-bulk-en.png"), full_page=True)
    page.click("[data-bulk-submit]")
    page.locator(".flash", has_text="2 records changed.").wait_for()
    for contact_id in chosen:
        page.goto(f"{served.url}/contacts/{contact_id}/")
        assert "田中 結衣" in page.locator("main").inner_text()

    # 3. Filters saved as a view: a tab that brings them back.
    page.goto(f"{served.url}/contacts/")
    page.select_option("#f-stage", "customer")
    page.click(".filter-bar button[type=submit]")
    page.wait_for_url(re.compile(r".*stage=customer.*"))
    assert page.locator(".chip", has_text="Customer").is_visible()
    page.click(".list-menu summary:has-text('Save view')")
    page.fill("#list-view-name", "My customers")
    page.click(".list-menu-panel button[type=submit]:has-text('Save view')")
    tab = page.locator(".list-tab", has_text="My customers")
    tab.wait_for()
    assert "is-active" in tab.get_attribute("class")
    page.goto(f"{served.url}/contacts/")
    page.click(".list-tab a:has-text('My customers')")
    page.wait_for_url(re.compile(r".*stage=customer.*"))
    assert "is-active" in page.locator(".list-tab", has_text="My customers").get_attribute("class")
    badges = page.locator("tbody td:nth-child(6) .badge").all_inner_texts()
    assert badges and set(badges) == {"Customer"}
    page.screenshot(path=str(SHOTS / "browser-lists-contacts-en-1440.png"), full_page=True)

    # 4. The task views.
    page.goto(f"{served.url}/tasks/")
    tabs = page.locator(".list-tab a").all_inner_texts()
    assert tabs[:6] == ["Mine", "Overdue", "Today", "This week", "My team's", "Everyone's"]
    page.click(".list-tab a:has-text('Everyone')")
    page.wait_for_url(re.compile(r".*scope=all.*"))
    page.screenshot(path=str(SHOTS / "browser-lists-tasks-en-1440.png"), full_page=True)
    page.context.close()


def test_phone_width_lists_are_cards_with_filters_folded(serve, chromium):
    served = serve("--demo")
    page = signed_in_page(chromium, served, locale="ja-JP", width=390)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.goto(f"{served.url}/contacts/")
    filters = page.locator("[data-list-filters]")
    assert filters.get_attribute("open") is None
    summary = filters.locator("summary")
    assert summary.is_visible() and summary.inner_text().startswith("絞り込み")
    assert not page.locator("#list-q").is_visible()
    row = page.locator("tbody tr").first
    assert row.evaluate("el => getComputedStyle(el).display") == "block"
    label = row.locator("td[data-label]").nth(1)
    assert label.evaluate("el => getComputedStyle(el, '::before').content") != "none"
    # No sideways scroll of the whole page.
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    page.screenshot(path=str(SHOTS / "browser-lists-contacts-ja-phone.png"), full_page=True)
    summary.click()
    assert page.locator("#list-q").is_visible()
    page.context.close()
