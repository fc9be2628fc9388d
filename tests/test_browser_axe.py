"""Accessibility of the main screens (WCAG 2.2 AA, JIS X 8341-3): axe-core
(axe-playwright-python ships it) finds no serious or critical violation on
them in Japanese and in English, in light and in dark mode (colour contrast
holds in both), and the page's ``lang`` follows the language shown.

A real ``serve --demo`` with its demo data and Debian's Chromium: the first
run's screens (two-factor enrolment, recovery codes) are checked on the way
in, then every main list, a record of each kind, search, the audit trail,
notifications, account security, the personal-data inventory and the members
page (its ⋯ menus).
"""

from __future__ import annotations

import re
import time

import pytest

from browser import PASSWORD, totp

pytestmark = [pytest.mark.browser, pytest.mark.slow]

BLOCKING = {"serious", "critical"}
LISTS = ["/", "/contacts/", "/companies/", "/deals/", "/tickets/", "/tasks/"]
# A record of each kind: the first row link of its list.
RECORDS = {
    "/contacts/": r"^/contacts/[0-9a-f-]{36}/$",
    "/companies/": r"^/companies/[0-9a-f-]{36}/$",
    "/deals/": r"^/deals/[0-9a-f-]{36}/$",
    "/tickets/": r"^/tickets/[0-9a-f-]{36}/$",
    "/tasks/": r"^/tasks/[0-9a-f-]{36}/$",
}
OTHERS = [
    "/contacts/search/?q=%E3%81%95%E3%81%8F%E3%82%89",  # さくら
    "/audit/",
    "/notifications/",
    "/accounts/security/",
    "/privacy/inventory/",
    "/workspace/members/",  # the ⋯ menus of destructive actions
    "/imports/",
    "/imports/new/",
    "/incidents/",  # the register in the list anatomy
    "/policies/processing/",  # the record of processing
    "/privacy/request/",  # the public request page's radio group
]


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    from serving import Served, clean_env

    directory = tmp_path_factory.mktemp("axe")
    served = Served(directory, ["--demo"], clean_env(directory)).wait_ready()
    yield served
    served.kill()


def _blocking(axe, page) -> list[str]:
    results = axe.run(page)
    return [
        f"{violation['id']} ({violation['impact']}): "
        + ", ".join(str(node["target"]) for node in violation["nodes"][:3])
        for violation in results.response["violations"]
        if violation["impact"] in BLOCKING
    ]


def _record_links(page, pattern: str) -> list[str]:
    hrefs = page.eval_on_selector_all(
        "main a[href]", "links => links.map(a => a.getAttribute('href'))"
    )
    return [href for href in hrefs if re.match(pattern, href)]


def test_main_screens_have_no_serious_violation_in_ja_and_en_light_and_dark(demo, chromium):
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()
    found: dict[str, list[str]] = {}
    context = chromium.new_context(
        ignore_https_errors=True, locale="ja-JP", viewport={"width": 1440, "height": 900}
    )
    page = context.new_page()
    # The first run, checked on the way in.
    page.goto(f"{demo.url}/accounts/login/")
    found["ja login"] = _blocking(axe, page)
    page.fill("input[name=email]", "demo@example.com")
    page.fill("input[name=password]", PASSWORD.search(demo.output).group(1))
    page.click("main form button[type=submit]")
    page.wait_for_url("**/accounts/two-factor/enrol/**")
    found["ja enrol"] = _blocking(axe, page)
    secret = page.locator("code.secret").inner_text().strip()
    page.fill("input[name=code]", totp(secret, time.time()))
    page.click("main form button[type=submit]")
    page.locator(".recovery-codes li").first.wait_for()
    found["ja recovery codes"] = _blocking(axe, page)

    paths = list(LISTS)
    for list_path, pattern in RECORDS.items():
        page.goto(demo.url + list_path)
        links = _record_links(page, pattern)
        assert links, f"no record linked from {list_path}"
        paths.append(links[0])
    paths += OTHERS

    for language in ("ja", "en"):
        if language == "en":
            page.goto(f"{demo.url}/")
            with page.expect_navigation():
                page.locator("form.lang-switch button[value=en]").first.dispatch_event("click")
        for scheme in ("light", "dark"):
            page.emulate_media(color_scheme=scheme)
            for path in paths:
                response = page.goto(demo.url + path)
                assert response is not None and response.status == 200, path
                assert page.evaluate("document.documentElement.lang") == language, path
                found[f"{language} {scheme} {path}"] = _blocking(axe, page)
    context.close()
    problems = {where: issues for where, issues in found.items() if issues}
    assert problems == {}
    assert len(found) == 3 + 2 * 2 * len(paths)
