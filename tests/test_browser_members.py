"""The members and pipelines settings pages in a real browser (docs/ui.md
"Settings pages", "Destructive actions"), against ``serve --demo``:

- removing a member from the row's ⋯ menu asks first; saying no changes
  nothing, saying yes removes them;
- a member's role is changed on their page;
- a pipeline's stage moved twice from its ⋯ menu by keyboard, the menu
  open again on the same item after each htmx swap; a stage's delete asks;
- an email in the ticket's requester card stays on one line (ellipsis), in
  a card narrower than the address.
"""

from __future__ import annotations

import pytest

from browser import signed_in_page

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _rows(page):
    return page.locator("main table.member-table tbody tr")


def test_removing_a_member_asks_first_and_a_role_changes_on_their_page(serve, chromium):
    served = serve("--demo")
    page = signed_in_page(chromium, served, locale="ja-JP", width=1440)
    page.goto(f"{served.url}/workspace/members/")
    before = _rows(page).count()
    assert page.locator("main table.member-table .btn-danger").count() == 0

    last = _rows(page).last
    name = last.locator("td.primary a").inner_text()
    answers = iter([False, True])
    questions: list[str] = []

    def answer(dialog):
        questions.append(dialog.message)
        (dialog.accept if next(answers) else dialog.dismiss)()

    page.on("dialog", answer)
    last.locator(".action-menu summary").click()
    last.locator(".menu-item-danger").click()
    assert name in questions[0]
    assert _rows(page).count() == before  # said no: nothing happened

    last.locator(".menu-item-danger").click()
    page.wait_for_load_state()
    assert _rows(page).count() == before - 1
    assert page.locator("main table.member-table", has_text=name).count() == 0

    # The second member's role, on their page.
    second = _rows(page).nth(1).locator("td.primary a")
    name = second.inner_text()
    second.click()
    page.wait_for_url("**/workspace/members/*/")
    page.select_option("#member-role", "viewer")
    page.get_by_role("button", name="ロールを変更").click()
    page.wait_for_url("**/workspace/members/")
    assert "閲覧者" in _rows(page).filter(has_text=name).inner_text()


def test_an_email_in_the_requester_card_stays_on_one_line(serve, chromium):
    served = serve("--demo")
    page = signed_in_page(chromium, served, locale="ja-JP", width=1440)
    page.goto(f"{served.url}/tickets/")
    page.locator("main table tbody a").first.click()
    page.wait_for_load_state()
    email = page.locator(".requester-card a[href^='mailto:']").first
    box = email.bounding_box()
    line = float(email.evaluate("e => parseFloat(getComputedStyle(e).lineHeight)"))
    assert box is not None and box["height"] <= line * 1.5  # one line, not two
    assert email.get_attribute("title") == email.inner_text().strip()
    assert email.evaluate("e => getComputedStyle(e).textOverflow") == "ellipsis"


def test_a_stage_moves_from_its_menu_by_keyboard_and_stays_in_hand(serve, chromium):
    """Pipelines (docs/ui.md "Settings pages"): a stage's ⋯ menu opened with
    Enter, "Move up" pressed twice without leaving the keyboard (htmx swaps
    the card; the menu is open again on the same item), then the stage's
    delete asks first and saying no keeps it."""
    served = serve("--demo")
    page = signed_in_page(chromium, served, locale="en-GB", width=1440)
    page.goto(f"{served.url}/deals/pipelines/")
    card = page.locator(".pipeline-card").first
    names = card.locator(".stage-item .stage-name")
    third = names.nth(2).inner_text()
    line = card.locator(".stage-item").nth(2)
    line.locator("summary").focus()
    page.keyboard.press("Enter")
    up = line.locator("button[value=up]")
    up.focus()
    for place in (1, 0):
        page.keyboard.press("Enter")
        card.locator(".stage-item").nth(place).locator(".stage-name", has_text=third).wait_for()
        moved = card.locator(".stage-item").nth(place)
        expected = [moved.locator("button[value=up]").get_attribute("id")]
        if place == 0:
            expected.append(moved.locator("button[value=down]").get_attribute("id"))
        # Focus comes back once htmx has settled the swap, a moment after
        # the new card is in place: wait for it rather than read it at once.
        page.wait_for_function(
            "ids => ids.includes(document.activeElement && document.activeElement.id)",
            arg=expected,
            timeout=5000,
        )
        assert moved.locator("details.stage-menu").get_attribute("open") is not None
    assert names.first.inner_text() == third

    questions: list[str] = []
    page.on("dialog", lambda dialog: (questions.append(dialog.message), dialog.dismiss()))
    # A stage without deals is deleted from its menu, asking first.
    empty = page.locator(".stage-item:has(.stage-menu form[data-confirm])").first
    count = page.locator(".stage-item").count()
    empty.locator("summary").click()
    empty.locator(".menu-item-danger").click()
    assert len(questions) == 1 and page.locator(".stage-item").count() == count
