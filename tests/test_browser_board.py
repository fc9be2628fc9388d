"""The deal board in a real browser (SPEC §2): a card dragged to
another column moves without a page reload, and the card's ⋯ menu does the
same from the keyboard. Runs against ``serve --demo`` (its seeded
pipelines and deals) in headless Chromium."""

from __future__ import annotations

import pytest

from browser import SHOTS, signed_in_page

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def column_of(page, card_name: str) -> str:
    card = page.locator(".board-card", has_text=card_name)
    return card.locator("xpath=ancestor::section[contains(@class,'board-column')]").get_attribute(
        "data-stage"
    )


def test_a_card_dragged_to_another_column_moves_without_a_reload(serve, chromium):
    served = serve("--demo")
    page = signed_in_page(chromium, served)
    page.goto(f"{served.url}/deals/board/")
    page.evaluate("window.__sameDocument = true")  # survives only if the page is not reloaded
    columns = page.locator(".board-column")
    lead, qualified = columns.nth(0), columns.nth(1)
    card_name = "みなと銀行 顧客管理基盤"
    assert column_of(page, card_name) == lead.get_attribute("data-stage")

    page.drag_and_drop(f".board-card:has-text('{card_name}')", ".board-column >> nth=1")
    page.wait_for_function(
        "([name, stage]) => [...document.querySelectorAll('.board-column')]"
        ".find(c => c.dataset.stage === stage)?.textContent.includes(name)",
        arg=[card_name, qualified.get_attribute("data-stage")],
    )
    assert page.evaluate("window.__sameDocument") is True
    page.screenshot(path=str(SHOTS / "browser-board-after-drag-ja.png"), full_page=True)

    # The same move from the keyboard: the card's ⋯ menu (Enter opens it),
    # Tab to a stage, Enter.
    card = page.locator(".board-card", has_text=card_name)
    target = columns.nth(2).locator("h2").inner_text()
    card.locator("summary").focus()
    page.keyboard.press("Enter")
    card.locator(".menu-item", has_text=target).focus()
    page.keyboard.press("Enter")
    page.wait_for_function(
        "([name, stage]) => [...document.querySelectorAll('.board-column')]"
        ".find(c => c.dataset.stage === stage)?.textContent.includes(name)",
        arg=[card_name, columns.nth(2).get_attribute("data-stage")],
    )
    assert page.evaluate("window.__sameDocument") is True
