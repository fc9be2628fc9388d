"""Connected records in a real browser (SPEC §2, S6), against ``serve --demo``
in headless Chromium:

1. a deal created with a contact page's "New deal" arrives with the contact
   set and is listed on that contact's page;
2. a task is completed from its own page;
3. a ticket opened without a requester gets one from its requester card,
   found by name.
"""

from __future__ import annotations

import re

import pytest

from browser import SHOTS, signed_in_page

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CONTACT = re.compile(r".*/contacts/[0-9a-f-]{36}/$")
DEAL = re.compile(r".*/deals/[0-9a-f-]{36}/$")
TICKET = re.compile(r".*/tickets/[0-9a-f-]{36}/$")


def test_records_are_connected_from_their_pages(serve, chromium):
    served = serve("--demo")
    page = signed_in_page(chromium, served, locale="en-US", width=1440)

    # 1. A deal from a contact's page.
    page.goto(f"{served.url}/contacts/")
    page.locator("main table a[href^='/contacts/']").first.click()
    page.wait_for_url(CONTACT)
    contact_url = page.url
    contact_name = page.locator("h1").inner_text().split("\n")[0].strip()
    deals = page.locator("section[aria-labelledby=deals-title]")
    deals.get_by_role("link", name="New deal").click()
    page.wait_for_url("**/deals/new/**")
    assert contact_name.split()[0] in page.locator("main dl.details").inner_text()
    page.fill("input[name=name]", "Browser-made rollout")
    page.locator("select[name=stage]").select_option(index=1)
    page.click("main form button.btn-primary")
    page.wait_for_url(DEAL)
    page.goto(contact_url)
    listed = page.locator("section[aria-labelledby=deals-title]")
    listed.get_by_role("link", name="Browser-made rollout").wait_for()
    page.screenshot(path=str(SHOTS / "browser-contact-deals-en.png"), full_page=True)

    # 2. A task completed from its own page.
    page.goto(f"{served.url}/tasks/")
    page.locator("main table a[href^='/tasks/']").first.click()
    page.wait_for_url(re.compile(r".*/tasks/[0-9a-f-]{36}/$"))
    page.get_by_role("button", name="Mark done").click()
    page.locator("h1 .badge", has_text="Done").wait_for()
    page.get_by_role("button", name="Reopen").wait_for()
    page.screenshot(path=str(SHOTS / "browser-task-done-en.png"), full_page=True)

    # 3. A ticket's requester set from its card.
    page.goto(f"{served.url}/tickets/new/")
    page.fill("input[name=subject]", "The invoice address is wrong")
    page.click("main form button.btn-primary")
    page.wait_for_url(TICKET)
    card = page.locator("section.requester-card")
    assert "No requester yet." in card.inner_text()
    card.get_by_role("link", name="Set the requester").click()
    page.fill("input[name=find]", "山田")
    page.get_by_role("button", name="Find").click()
    page.locator("section.requester-card button", has_text="Choose").first.click()
    page.wait_for_url(TICKET)
    page.locator("section.requester-card dd a[href^='/contacts/']").wait_for()
    assert "山田" in page.locator("section.requester-card").inner_text()
    page.screenshot(path=str(SHOTS / "browser-ticket-requester-en.png"), full_page=True)
