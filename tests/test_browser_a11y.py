"""Accessibility beyond axe-core (WCAG 2.2 AA, JIS X 8341-3;
``tests/test_browser_axe.py`` runs axe, light and dark, and checks ``lang``):

1. Every journey of issue 10 items 1–6 from the keyboard alone (2.1.1, 2.1.2,
   2.4.3, 2.4.7, 2.4.11, 1.4.11): Tab, Shift+Tab, Enter, Space, Escape and the
   arrow keys, no mouse. ``keyboard.Keyboard`` checks every focus stop: an
   indicator that appears with focus, with 3:1 against what is around it, not
   hidden, no trap. The contact list and form are also walked in dark mode,
   and the contact list at phone width (folded top bar, 「絞り込み」, the
   header row that cards hide).
2. Status is never shown by colour alone (1.4.1): every tinted mark on the
   pages with SLA badges, priorities, deal stages, task due states and
   restriction marks says its state in visible text with an accessible name.

One ``serve --demo`` and one Chromium signed in once, shared by the module
(CI cost); the journeys run in Japanese, then in English, each in a browser
context of that language's locale (``ja-JP``, ``en-GB``) on the same session.
``page.goto`` stands for typing an address; everything on the page is done
with keys.
"""

from __future__ import annotations

import re

import pytest

from keyboard import CONTROL_BORDERS, Keyboard

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CONTACT = re.compile(r".*/contacts/[0-9a-f-]{36}/$")
COMPANY = re.compile(r".*/companies/[0-9a-f-]{36}/$")
DEAL = re.compile(r".*/deals/[0-9a-f-]{36}/(#.*)?$")
TASK = re.compile(r".*/tasks/[0-9a-f-]{36}/$")
TICKET = re.compile(r".*/tickets/[0-9a-f-]{36}/(#.*)?$")


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    from serving import Served, clean_env

    directory = tmp_path_factory.mktemp("a11y")
    served = Served(directory, ["--demo"], clean_env(directory)).wait_ready()
    yield served
    served.kill()


@pytest.fixture(scope="module")
def signed_in(demo):
    """One browser and one signed-in page for the whole module (CI cost)."""
    import os

    from browser import ARGS, CHROMIUM, signed_in_page

    if not CHROMIUM.exists():
        if os.environ.get("CRM_REQUIRE_BROWSER"):
            pytest.fail("CRM_REQUIRE_BROWSER is set but /usr/bin/chromium is missing")
        pytest.skip("Debian's chromium is not installed")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        page = signed_in_page(browser, demo, locale="ja-JP", width=1440)
        yield page
        browser.close()


# The words a journey looks for, in each language it runs in.
WORDS = {
    # Each run gives the chosen rows another owner, so the second run changes them too.
    "ja": {"assign_owner": "担当者を変更", "owner": "田中 結衣", "done": "完了", "reopen": "再開"},
    "en": {
        "assign_owner": "Assign owner",
        "owner": "佐藤 健二",
        "done": "Done",
        "reopen": "Reopen",
    },
}
LOCALES = {"ja": "ja-JP", "en": "en-GB"}


@pytest.fixture(scope="module", params=["ja", "en"])
def lang(request, demo, signed_in):
    """The module's signed-in session shown in one language, in a browser
    context of that language's locale. Module-scoped and parametrised, so
    pytest runs every journey in Japanese, then every one in English, with
    one server, one browser and one sign-in."""
    language = request.param
    signed_in.goto(f"{demo.url}/")
    signed_in.locator(".user-menu summary").click()
    signed_in.locator(f"button.lang-option[value={language}]").first.click()
    signed_in.wait_for_load_state()
    context = signed_in.context.browser.new_context(
        ignore_https_errors=True,
        locale=LOCALES[language],
        viewport={"width": 1440, "height": 900},
        storage_state=signed_in.context.storage_state(),
    )
    page = context.new_page()
    page.goto(f"{demo.url}/")
    assert page.locator("html").get_attribute("lang") == language
    yield language, page
    context.close()


@pytest.fixture
def words(lang):
    return WORDS[lang[0]]


@pytest.fixture
def keys(lang):
    keyboard = Keyboard(lang[1])
    yield keyboard
    assert keyboard.problems == [], f"trail: {keyboard.trail}"


def open_page(keys: Keyboard, url: str, *, skip: bool = True) -> None:
    """Load ``url`` and, like a keyboard user, take the skip link into the content."""
    keys.page.goto(url)
    if skip:
        assert keys.press("Tab").startswith("a.skip-link")
        keys.press("Enter")
        assert keys.page.evaluate("document.activeElement.id") == "main"


def test_a_deal_made_from_a_contact_page_is_listed_there(demo, keys):
    page = keys.page
    open_page(keys, f"{demo.url}/contacts/")
    keys.tab_to("main tbody a[href^='/contacts/']")
    contact_path = page.evaluate("document.activeElement.getAttribute('href')")
    keys.follow()
    page.wait_for_url(CONTACT)

    keys.tab_to("section[aria-labelledby=deals-title] a[href*='/deals/new/']")
    keys.follow()
    page.wait_for_url("**/deals/new/**")
    keys.tab_to("input[name=name]")
    keys.type("キーボードで作った商談")
    keys.tab_to("select[name=stage]")
    keys.press("ArrowDown")
    keys.tab_to("main form button.btn-primary")
    keys.follow()
    page.wait_for_url(DEAL)

    keys.tab_to(f"main a[href='{contact_path}']")
    keys.follow()
    page.wait_for_url(CONTACT)
    deals = page.locator("section[aria-labelledby=deals-title]")
    deals.get_by_role("link", name="キーボードで作った商談").first.wait_for()


def test_a_company_is_found_by_sakura_in_search(demo, keys):
    page = keys.page
    open_page(keys, f"{demo.url}/", skip=False)
    keys.tab_to("#global-search")
    keys.type("さくら")
    option = page.locator("#global-search-listbox [role=option]", has_text="株式会社さくら物流")
    option.wait_for()
    for _ in range(12):
        keys.press("ArrowDown")
        if option.get_attribute("aria-selected") == "true":
            break
    assert option.get_attribute("aria-selected") == "true"
    # The highlighted suggestion looks different from the others, not only to
    # screen readers (focus stays in the box: aria-activedescendant).
    looks = option.evaluate(
        "o => { const s = getComputedStyle(o); return [s.backgroundColor, s.outlineStyle,"
        " s.boxShadow].join() }"
    )
    keys.press("ArrowDown")
    assert option.get_attribute("aria-selected") == "false"
    assert (
        option.evaluate(
            "o => { const s = getComputedStyle(o); return [s.backgroundColor, s.outlineStyle,"
            " s.boxShadow].join() }"
        )
        != looks
    )
    keys.press("ArrowUp")
    keys.follow()
    page.wait_for_url(COMPANY)
    assert "株式会社さくら物流" in page.locator("main h1").inner_text()


def test_chosen_rows_get_a_new_owner(demo, keys, words):
    page = keys.page
    open_page(keys, f"{demo.url}/contacts/")
    boxes = "main tbody input[name=ids]"
    chosen = page.locator(boxes).evaluate_all("b => b.slice(0, 2).map(x => x.value)")
    keys.tab_to(boxes)
    keys.press("Space")
    keys.tab_to(boxes, index=1)
    keys.press("Space")
    assert page.locator(boxes).nth(0).is_checked() and page.locator(boxes).nth(1).is_checked()
    assert "2" in page.locator("[data-bulk-count]").inner_text()

    keys.tab_to("[data-bulk-action]", backwards=True)
    keys.choose("[data-bulk-action]", words["assign_owner"])
    keys.tab_to("[data-bulk-value=owner]")
    keys.choose("[data-bulk-value=owner]", words["owner"])
    keys.tab_to("[data-bulk-submit]")
    keys.follow()
    page.locator(".flash").wait_for()
    for contact_id in chosen:
        page.goto(f"{demo.url}/contacts/{contact_id}/")
        assert words["owner"] in page.locator("main").inner_text()


def test_a_task_is_completed_from_its_page(demo, keys, words):
    page = keys.page
    open_page(keys, f"{demo.url}/tasks/")
    keys.tab_to("main tbody a[href^='/tasks/']")
    keys.follow()
    page.wait_for_url(TASK)
    keys.tab_to("form[action$='/done/'] button[type=submit]")
    keys.follow("Space")
    page.locator("h1 .badge", has_text=words["done"]).wait_for()
    page.get_by_role("button", name=words["reopen"]).wait_for()


def test_a_ticket_gets_its_requester(demo, keys):
    page = keys.page
    open_page(keys, f"{demo.url}/tickets/new/")
    keys.tab_to("input[name=subject]")
    keys.type("請求書の宛先が違います")
    keys.follow()
    page.wait_for_url(TICKET)

    keys.tab_to("section.requester-card a[href*='requester=change']")
    keys.follow()
    page.wait_for_url("**requester=change**")
    keys.tab_to("input[name=find]")
    keys.type("山田")
    keys.follow()
    page.wait_for_url("**find=**")
    keys.tab_to("section.requester-card li form button[type=submit]")
    keys.follow()
    page.wait_for_url(TICKET)
    page.locator("section.requester-card dd a[href^='/contacts/']").wait_for()
    assert "山田" in page.locator("section.requester-card").inner_text()


def test_a_deal_changes_stage_on_its_page(demo, keys):
    page = keys.page
    open_page(keys, f"{demo.url}/deals/")
    keys.tab_to("main tbody a[href^='/deals/']")
    keys.follow()
    page.wait_for_url(DEAL)

    keys.tab_to("#stage-bar button.stage-step-label")
    # The button reads "Move to <stage>"; its last text is the stage's name.
    target = page.evaluate("document.activeElement.lastChild.textContent").strip()
    keys.follow()
    page.locator("#stage-bar li[aria-current=step]", has_text=target).wait_for()

    # A lost stage asks why first: the reason box takes focus.
    keys.page.goto(page.url.split("#")[0])
    lost = "#stage-bar li.stage-lost a.stage-step-label"
    keys.tab_to(lost)
    keys.follow()
    page.wait_for_url("**close=**")
    assert page.evaluate("document.activeElement.id") == "id_reason"
    keys.type("予算が凍結された")
    keys.tab_to(".close-reason button.btn-primary")
    keys.follow()
    page.locator("#stage-bar li.stage-lost[aria-current=step]").wait_for()


def test_an_action_menu_opens_closes_and_asks(demo, keys):
    page = keys.page
    open_page(keys, f"{demo.url}/workspace/members/")
    # The first menu with a destructive item (one's own row offers only "Edit").
    summary = "main details.action-menu:has(.menu-item-danger) summary"
    menu = page.locator("main details.action-menu:has(.menu-item-danger)").first
    keys.tab_to(summary)
    keys.press("Enter")
    assert menu.get_attribute("open") is not None
    assert keys.press("Tab").startswith(("a.menu-item", "button.menu-item"))  # into the items
    keys.press("Escape")
    assert menu.get_attribute("open") is None
    assert keys.focused(summary)

    keys.press("Enter")
    keys.tab_to("main details.action-menu[open] .menu-item-danger")
    asked: list[str] = []
    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.dismiss()))
    rows = page.locator("main tbody tr").count()
    keys.press("Enter")
    assert asked and asked[0]
    # Dismissed: nothing left the page, and focus is where it was.
    assert page.locator("main tbody tr").count() == rows
    assert keys.focused("main details.action-menu[open] .menu-item-danger")
    keys.press("Escape")
    assert menu.get_attribute("open") is None
    assert keys.focused(summary)

    # The top bar's account menu behaves the same.
    account = page.locator("details.menu-wrap:has(> summary.user-menu-button)")
    keys.tab_to("summary.user-menu-button", backwards=True)
    keys.press("Enter")
    assert account.get_attribute("open") is not None
    keys.press("Tab")
    assert page.evaluate("document.activeElement.closest('details[open]') !== null")
    keys.press("Escape")
    assert account.get_attribute("open") is None
    assert keys.focused("summary.user-menu-button")


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_contact_list_and_form_by_keyboard(demo, keys, scheme):
    """The richest form (company picker combobox, tag chips): Tab runs
    through it and out the other side, its rings visible in both schemes;
    the fields' edges (and the list's filter bar's) keep 3:1 (WCAG 1.4.11)."""
    page = keys.page
    page.emulate_media(color_scheme=scheme)
    try:
        # The top bar and the list's controls on the way, then the form.
        open_page(keys, f"{demo.url}/contacts/", skip=False)
        keys.problems += page.evaluate(CONTROL_BORDERS)
        keys.tab_to("main tbody input[name=ids]")
        open_page(keys, f"{demo.url}/contacts/new/")
        keys.problems += page.evaluate(CONTROL_BORDERS)
        keys.tab_to("#id_company_name")
        keys.type("さくら")
        page.locator("#company-options [role=option]").first.wait_for()
        keys.press("ArrowDown")
        keys.press("Escape")
        keys.tab_to("main .form-actions button[type=submit]")
        keys.tab_to("#id_family_name", backwards=True)
    finally:
        page.emulate_media(color_scheme="light")


def test_at_phone_width_what_has_focus_is_shown(demo, keys):
    """The folded top bar, 「絞り込み」 and the list's header row (hidden for
    cards, still holding "select all" and the sort links) at 390 px."""
    page = keys.page
    page.set_viewport_size({"width": 390, "height": 844})
    try:
        open_page(keys, f"{demo.url}/contacts/", skip=False)
        keys.tab_to("[data-nav-toggle]")
        keys.press("Enter")
        keys.tab_to(".topbar-panel a.mainnav-link")
        keys.press("Escape")
        assert keys.focused("[data-nav-toggle]")
        keys.tab_to("[data-list-filters] > summary")
        keys.press("Enter")
        keys.tab_to("#list-q")
        keys.tab_to("main thead a.sort-link")
        keys.tab_to("main tbody input[name=ids]")
    finally:
        page.set_viewport_size({"width": 1440, "height": 900})


# Status marks: a badge, an SLA box, a stage step, a dot — anything tinted by
# its state. Each must say its state in visible text (an aria-hidden ✓ or ✕
# counts as visible) and have an accessible name; a tinted element without
# either is a colour-only mark (WCAG 1.4.1, JIS X 8341-3 1.4.1).
_MARKS = r"""() => {
  const tinted = el => {
    const m = getComputedStyle(el).backgroundColor.match(/[\d.]+/g);
    if (!m) return false;
    const [r, g, b, a = 1] = m.map(Number);
    const max = Math.max(r, g, b), min = Math.min(r, g, b);
    return a > 0.3 && max > 0 && (max - min) / max > 0.25;
  };
  const named = /(^|[\s-])(badge|dot|sla|stage-step|priority|clock|severity|status)([\s-]|$)/;
  const interactive = "a, button, input, select, textarea, summary, label";
  const marks = [...document.querySelectorAll("main *")].filter(el => {
    if (!el.checkVisibility() || el.closest("svg")) return false;
    const box = el.getBoundingClientRect();
    if (box.width < 1 || box.height < 1) return false;
    if (named.test(typeof el.className === "string" ? el.className : "")) return true;
    return tinted(el) && box.width <= 240 && box.height <= 48 && !el.matches(interactive)
      && !el.closest(".flash, .toast");
  });
  const hiddenFromEyes = n => n.closest(".visually-hidden");
  const hiddenFromReaders = n => n.closest("[aria-hidden=true]");
  const texts = (el, keep) => {
    const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
    let out = "";
    while (walker.nextNode()) if (keep(walker.currentNode.parentElement)) out += walker.currentNode.data;
    return out.trim();
  };
  return marks.map(el => {
    const seen = texts(el, p => !hiddenFromEyes(p)) || (el.querySelector("img[alt]:not([alt='']), svg[aria-label]") ? "icon" : "");
    const heard = hiddenFromReaders(el) ? "" : (el.getAttribute("aria-label") || texts(el, p => !hiddenFromReaders(p))
      || (el.querySelector("img[alt]:not([alt='']), svg[aria-label]") ? "icon" : ""));
    const what = `${el.tagName.toLowerCase()}.${String(el.className).trim().split(/\s+/).join(".")}`;
    return {what, seen, heard};
  });
}"""


def test_status_is_never_shown_by_colour_alone(demo, lang):
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo

    page = lang[1]
    # An overdue task, so the task list shows that state too.
    page.goto(f"{demo.url}/tasks/")
    title = f"期限を過ぎたタスク ({lang[0]})"
    page.fill("input[name=title]", title)
    due = datetime.now(ZoneInfo("Asia/Tokyo")) - timedelta(days=2)
    # The date and time boxes as a person types them (core.dates.DateTimePairInput).
    page.fill("input[name=due_at]", f"{due.year}/{due.month}/{due.day}")
    page.fill("input[name=due_at_time]", f"{due.hour:02d}:{due.minute:02d}")
    page.click("main form.card button[type=submit]")
    page.locator("main", has_text=title).wait_for()

    pages = {
        "tickets": "/tickets/",  # SLA badges, priorities
        "deals": "/deals/",  # stages
        "tasks": "/tasks/?scope=all",  # due states
        "home": "/",
        "contacts": "/contacts/?sort=created",  # the restricted person, oldest first
    }
    for kind, pattern in (
        ("ticket", r"^/tickets/[0-9a-f-]{36}/$"),
        ("deal", r"^/deals/[0-9a-f-]{36}/$"),
    ):
        page.goto(f"{demo.url}/{kind}s/")
        hrefs = page.eval_on_selector_all(
            "main tbody a[href]", "l => l.map(a => a.getAttribute('href'))"
        )
        pages[f"a {kind}"] = next(h for h in hrefs if re.match(pattern, h))

    found: dict[str, list[str]] = {}
    checked: dict[str, set[str]] = {}
    for name, path in pages.items():
        page.goto(demo.url + path)
        marks = page.evaluate(_MARKS)
        checked[name] = {mark["what"] for mark in marks}
        bad = [m["what"] for m in marks if not (m["seen"] and m["heard"])]
        if bad:
            found[name] = bad
    assert found == {}
    # The kinds the issue names were on the pages checked.
    every = set().union(*checked.values())
    for needed in ("sla", "priority", "stage-step", "badge-danger", "badge-warn", "badge-ok"):
        assert any(needed in what for what in every), (needed, checked)
    assert any("badge-danger" in what for what in checked["contacts"])  # use restricted
    assert any("badge-danger" in what for what in checked["tasks"])  # overdue
    # Security event severities need detection events the demo does not make:
    # securitydash/tests/test_dashboard.py checks they are words.
