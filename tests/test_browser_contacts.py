"""Companies, contacts, search and duplicates in a real browser
(SPEC §2), against ``serve --demo`` in headless Chromium:

1. a company, then a contact at it chosen through the company picker;
3. a call logged on the contact appears on its timeline;
4. the top-bar search finds the contact by its phone typed in full-width
   digits with +81, and by its email typed in another case;
5. creating a second contact with the same email shows it as a possible
   duplicate; the two are merged and the call survives the merge.
"""

from __future__ import annotations

import re

import pytest

from browser import SHOTS, signed_in_page

pytestmark = [pytest.mark.browser, pytest.mark.slow]

DETAIL = re.compile(r".*/contacts/[0-9a-f-]{36}/$")


def search(page, query: str) -> str:
    page.fill("#global-search", query)
    # Wait for this navigation itself: after a first search the URL already
    # matches the search page, and a later goto would race the pending one.
    with page.expect_navigation(url="**/contacts/search/**"):
        page.keyboard.press("Enter")
    page.wait_for_load_state()
    return page.locator("main").inner_text()


def test_a_contact_is_created_found_and_merged(serve, chromium):
    served = serve("--demo")
    page = signed_in_page(chromium, served, locale="en-US")

    page.goto(f"{served.url}/companies/new/")
    page.fill("input[name=name]", "Kestrel Robotics")
    page.click("main form .form-actions button[type=submit]")
    page.wait_for_url(re.compile(r".*/companies/[0-9a-f-]{36}/$"))

    page.goto(f"{served.url}/contacts/new/")
    page.fill("input[name=family_name]", "Okafor")
    page.fill("input[name=given_name]", "Adaeze")
    page.fill("#id_emails-0-value", "Adaeze.Okafor@Kestrel.example")
    page.fill("#id_phones-0-value", "090-4321-8765")
    page.locator("#id_company_name").click()
    page.keyboard.type("Kestrel", delay=40)
    page.locator("#company-options [role=option]", has_text="Kestrel Robotics").wait_for()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    page.locator(".form-actions button[type=submit]").last.click()
    page.wait_for_url(DETAIL)
    kept = page.url
    assert "Kestrel Robotics" in page.locator("main").inner_text()

    page.click("main a:has-text('Log an activity')")
    page.select_option("select[name=kind]", "call")
    page.fill("input[name=subject]", "Intro call")
    page.click("main form .form-actions button[type=submit]")
    page.wait_for_url(kept)
    page.locator(".timeline-item", has_text="Intro call").wait_for()

    assert "Okafor" in search(page, "＋８１ ９０－４３２１－８７６５")
    assert "Okafor" in search(page, "ADAEZE.OKAFOR@kestrel.EXAMPLE")
    page.screenshot(path=str(SHOTS / "browser-search-by-phone-en.png"), full_page=True)

    page.goto(f"{served.url}/contacts/new/")
    page.fill("input[name=family_name]", "Okafor")
    page.fill("input[name=given_name]", "A.")
    page.fill("#id_emails-0-value", "adaeze.okafor@kestrel.example")
    page.locator(".form-actions button[type=submit]").last.click()
    warning = page.locator("main", has_text="Adaeze")
    warning.wait_for()
    page.screenshot(path=str(SHOTS / "browser-duplicate-warning-en.png"), full_page=True)
    page.check("input[name=confirm_duplicate]")
    page.locator(".form-actions button[type=submit]").last.click()
    page.wait_for_url(DETAIL)
    duplicate = page.url
    assert duplicate != kept

    page.goto(f"{kept}duplicates/")
    page.click("main a:has-text('Merge into this contact')")
    page.click("main form button.btn-danger")
    page.wait_for_url(kept)
    page.locator(".timeline-item", has_text="Intro call").wait_for()
    assert page.goto(duplicate).status == 404
