"""The screens a salesperson or support agent uses all day, in a real browser
(docs/ui.md), against ``serve --demo`` in headless Chromium, in Japanese and
English, at 1440 px and at phone width. Each check is a class of problem
the screenshot review found, stated once for every screen:

1. no page is wider than a phone's window;
2. no ``---------`` choice in any select;
3. no half-width colon or bracket right after Japanese text;
4. the page header's actions sit together at its end, not spread across it;
5. the choices of a radio or checkbox list are options, not bold labels;
6. an empty list, search or import history says what to do next (a link).
"""

from __future__ import annotations

import pytest

from browser import signed_in_page

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SCREENS = [
    "/",
    "/contacts/",
    "/contacts/new/",
    "/companies/",
    "/companies/new/",
    "/deals/board/",
    "/deals/new/",
    "/tickets/",
    "/tickets/new/",
    "/tasks/",
    "/tasks/new/",
    "/contacts/search/?q=さくら",
    "/imports/",
    "/imports/new/",
    "/notifications/",
    "/accounts/security/",
    # The settings and dashboard screens of docs/ui.md "Settings pages" and "Charts".
    "/deals/pipelines/",
    "/audit/dashboard/",
    "/workspace/security-report/",
    "/privacy/",  # public: the policy in force and its versions
]
# A record of each kind: the first row of its list.
RECORDS = ["/contacts/", "/companies/", "/deals/", "/tickets/", "/tasks/"]
EMPTY = [
    "/contacts/?q=存在しない名前",
    "/companies/?q=存在しない会社",
    "/tasks/?due=overdue&status=done",
    "/contacts/search/?q=存在しない名前",
    "/imports/",
    "/exports/",
]

# Japanese (kana, kanji) followed by a half-width ":", "(" or "?" — the
# catalogs are checked by scripts/check_catalogs; this catches text put
# together in code and templates.
HALF_WIDTH_AFTER_JAPANESE = r"[\u3040-\u30ff\u3400-\u9fff][:(?]"

CHECKS = """({japanese, pattern}) => {
  const problems = [];
  const doc = document.documentElement;
  if (doc.scrollWidth > window.innerWidth + 1) {
    problems.push(`page ${doc.scrollWidth}px wide in a ${window.innerWidth}px window`);
  }
  // Small tables whose rows become cards on a phone (docs/ui.md "Layout widths").
  for (const table of document.querySelectorAll("main .table-cards")) {
    const frame = table.closest(".table-wrap") || table.parentElement;
    if (frame.scrollWidth > frame.clientWidth + 1) {
      problems.push(`${table.className} ${frame.scrollWidth}px wide in its ${frame.clientWidth}px frame`);
    }
  }
  for (const option of document.querySelectorAll("option")) {
    if (/^-{3,}$/.test(option.textContent.trim())) problems.push("a --------- choice");
  }
  if (japanese) {
    const halfWidth = new RegExp(pattern);
    // A policy's body is the operator's published text, shipped as written.
    let main = document.querySelector("main").innerText;
    for (const body of document.querySelectorAll("main .policy-body")) {
      main = main.replace(body.innerText, "");
    }
    const texts = [main,
      ...[...document.querySelectorAll("main option")].map((o) => o.textContent)];
    for (const text of texts) {
      const found = text.match(halfWidth);
      if (found) problems.push(`half-width punctuation after Japanese: ${found[0]}`);
    }
  }
  for (const label of document.querySelectorAll(
      "main label:has(> input[type=radio]), main label:has(> input[type=checkbox])")) {
    if (label.checkVisibility() && Number(getComputedStyle(label).fontWeight) > 500) {
      problems.push(`bold option: ${label.innerText.trim()}`);
    }
  }
  if (window.innerWidth >= 1024) {
    for (const header of document.querySelectorAll("main .page-header")) {
      const actions = [...header.children].slice(1).filter((el) => el.checkVisibility());
      for (let i = 1; i < actions.length; i++) {
        const gap = actions[i].getBoundingClientRect().left - actions[i - 1].getBoundingClientRect().right;
        if (gap > 24) problems.push(`header actions ${gap}px apart`);
      }
    }
  }
  return problems;
}"""


def switch_language(page, url: str, language: str) -> None:
    page.goto(f"{url}/")
    page.locator(".user-menu summary").click()
    page.locator(f"button.lang-option[value={language}]").first.click()
    page.wait_for_load_state()


def record_urls(page, url: str) -> list[str]:
    found = []
    for listing in RECORDS:
        page.goto(f"{url}{listing}")
        found.append(page.locator("main table tbody a").first.get_attribute("href"))
    return found


def test_the_everyday_screens_in_both_languages_and_widths(serve, chromium):
    served = serve("--demo")
    page = signed_in_page(chromium, served, locale="ja-JP", width=1440)
    screens = SCREENS + record_urls(page, served.url)
    problems = []
    for language in ("ja", "en"):
        switch_language(page, served.url, language)
        for width in (1440, 390):
            page.set_viewport_size({"width": width, "height": 900})
            for path in screens + EMPTY:
                response = page.goto(f"{served.url}{path}")
                assert response is not None and response.status == 200, path
                for problem in page.evaluate(
                    CHECKS, {"japanese": language == "ja", "pattern": HALF_WIDTH_AFTER_JAPANESE}
                ):
                    problems.append(f"{path} ({language}, {width}px): {problem}")
    assert not problems, "\n".join(problems)


def test_empty_states_offer_a_next_step(serve, chromium):
    served = serve("--demo")
    page = signed_in_page(chromium, served, locale="en-US", width=1440)
    for path in EMPTY:
        page.goto(f"{served.url}{path}")
        empty = page.locator("[data-empty-state]")
        assert empty.count() == 1, path
        assert empty.locator("a[href]").count() >= 1, path
    # A filtered list offers to drop the filters, which brings the rows back.
    page.goto(f"{served.url}/contacts/?q=存在しない名前")
    page.locator("[data-empty-state] a", has_text="Clear the filters").click()
    page.wait_for_load_state()
    assert page.locator("main table tbody tr").count() > 1
