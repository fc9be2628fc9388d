"""Work queues and forms in a real browser (SPEC §2; docs/ui.md), against
``serve --demo`` in headless Chromium:

- a ticket opened without a requester gets one from its card (found by
  「山田花子」, typed without a space);
- a deal moved on its board from the card's ⋯ menu, with the keyboard, and
  then closed as lost from its page's stage bar, giving the reason;
- a tag made in a contact's tag chip input, saved, shown on the contact.
"""

from __future__ import annotations

import pytest

from browser import SHOTS, signed_in_page

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_a_ticket_requester_is_set_from_its_card(serve, chromium):
    served = serve("--demo")
    page = signed_in_page(chromium, served, locale="ja-JP", width=1440)
    page.goto(f"{served.url}/tickets/new/")
    page.fill("input[name=subject]", "ログインできない")
    page.click("main form.form-card button[type=submit]")
    page.wait_for_url("**/tickets/*/")
    card = page.locator(".requester-card")
    assert "問い合わせ元は未設定です。" in card.inner_text()

    card.get_by_role("link", name="問い合わせ元を設定").click()
    page.fill("#id_find", "山田花子")
    page.keyboard.press("Enter")
    chosen = page.locator(".requester-card li", has_text="山田")
    chosen.first.get_by_role("button").click()
    page.locator(".requester-card dd a", has_text="山田 花子").wait_for()
    assert page.locator(".requester-card dd a", has_text="さくら物流").count() == 1
    page.screenshot(path=str(SHOTS / "browser-ticket-requester-ja.png"), full_page=True)


def test_a_deal_moves_from_the_card_menu_and_is_lost_from_its_stage_bar(serve, chromium):
    served = serve("--demo")
    page = signed_in_page(chromium, served, locale="en-US", width=1440)
    page.goto(f"{served.url}/deals/board/")
    page.evaluate("window.__sameDocument = true")
    name = "みなと銀行 顧客管理基盤"
    columns = page.locator(".board-column")
    # The last column is on screen at 1440 px (not cut off behind a scroll).
    last = columns.last.bounding_box()
    assert last is not None and last["x"] + last["width"] <= 1440
    assert page.locator(".board-column-header", has_text="Weighted").count() >= 1
    # Where columns are hidden past the edge, the edge is shaded; not here.
    page.wait_for_function("() => !document.getElementById('board').classList.contains('has-more')")
    page.set_viewport_size({"width": 390, "height": 844})
    page.wait_for_function("() => document.getElementById('board').classList.contains('has-more')")
    page.set_viewport_size({"width": 1440, "height": 900})

    # The ⋯ menu from the keyboard: focus, Enter opens, Tab to a stage, Enter.
    card = page.locator(".board-card", has_text=name)
    target = columns.nth(2).locator("h2").inner_text()
    card.locator("summary").focus()
    page.keyboard.press("Enter")
    item = card.locator(".menu-item", has_text=target)
    item.focus()
    page.keyboard.press("Enter")
    page.wait_for_function(
        "([name, stage]) => [...document.querySelectorAll('.board-column')]"
        ".find(c => c.dataset.stage === stage)?.textContent.includes(name)",
        arg=[name, columns.nth(2).get_attribute("data-stage")],
    )
    assert page.evaluate("window.__sameDocument") is True
    page.screenshot(path=str(SHOTS / "browser-board-card-menu-en.png"), full_page=False)

    # Its page: the stage bar says where it is; Lost asks why first.
    page.locator(".board-card", has_text=name).locator(".board-card-title").click()
    page.wait_for_url("**/deals/*/")
    current = page.locator(".stage-step[aria-current=step]")
    assert target in current.inner_text() and "(current)" in current.inner_text()
    page.locator(".stage-step.stage-lost a").click()
    page.fill("textarea[name=reason]", "Chose a rival with an existing contract")
    page.get_by_role("button", name="Mark as lost").click()
    page.locator(".stage-step.stage-lost[aria-current=step]").wait_for()
    details = page.locator(".record-side").inner_text()
    assert "Why it was lost" in details and "Chose a rival" in details
    page.screenshot(path=str(SHOTS / "browser-deal-lost-en.png"), full_page=True)


def test_a_tag_is_made_in_the_chip_input(serve, chromium):
    served = serve("--demo")
    page = signed_in_page(chromium, served, locale="ja-JP", width=1440)
    page.goto(f"{served.url}/contacts/new/")
    page.fill("input[name=family_name]", "高橋")
    page.fill("input[name=given_name]", "一郎")
    chips = page.locator(".chips input.chips-input")
    # An existing tag, then a new one; both become chips.
    chips.fill("重要顧客")
    chips.press("Enter")
    chips.fill("見積依頼")
    chips.press("Enter")
    assert page.locator(".chip", has_text="重要顧客").count() == 1
    assert page.locator(".chip.is-new", has_text="見積依頼").count() == 1
    page.screenshot(path=str(SHOTS / "browser-tag-chips-ja.png"), full_page=True)
    page.click("main form .form-actions button.btn-primary")
    page.wait_for_url("**/contacts/*/")
    text = page.locator("main").inner_text()
    assert "見積依頼" in text and "重要顧客" in text
