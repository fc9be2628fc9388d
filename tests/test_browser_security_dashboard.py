"""The security dashboard in a real browser (S7): detection counted in another
process (a command sharing the server's cache file) shows on the chart, in
Japanese and English, with the strict CSP intact; and an address flooding the
server with refused requests gets the translated 429 page."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from browser import SHOTS, signed_in_page
from serving import Served, clean_env

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ROOT = Path(__file__).resolve().parent.parent
CLI = str(ROOT / ".venv" / "bin" / "terabox-crm")

# In a process of its own: the demo owner reads 6,000 contacts in one window
# and is refused 21 times — the counts go through the shared cache file.
DETECT = """
from django_scopes import scopes_disabled
from terabox_crm import detection, refusals
from terabox_crm.accounts.models import User
from terabox_crm.core.models import Membership
with scopes_disabled():
    owner = User.objects.find_by_email("demo@example.com")
    m = Membership.objects.select_related("user", "workspace").get(user=owner)
for _ in range(120):
    detection.count_reads(m, 50)
for _ in range(21):
    refusals.denial("contacts.view", actor=m.user, workspace=m.workspace)
"""


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    directory = tmp_path_factory.mktemp("security-dashboard")
    env = clean_env(directory, CRM_DETECTION_BLOCK_LOOPBACK="true")
    served = Served(directory, ["--demo"], env).wait_ready()
    yield served
    served.kill()


def run(served: Served, *args: str) -> subprocess.CompletedProcess:
    env = clean_env(served.data_dir, CRM_DETECTION_BLOCK_LOOPBACK="true")
    return subprocess.run([CLI, *args], env=env, capture_output=True, text=True, timeout=180)


def test_the_dashboard_charts_detection_in_both_languages(demo, chromium):
    shell = run(demo, "manage", "shell", "-c", DETECT)
    assert shell.returncode == 0, shell.stderr
    page = signed_in_page(chromium, demo, locale="en-US")
    refused = []
    page.on(
        "console",
        lambda message: refused.append(message.text) if "Refused" in message.text else None,
    )

    page.goto(f"{demo.url}/audit/security/")
    page.locator("a.tab", has_text="Security dashboard").click()
    page.wait_for_url("**/audit/dashboard/")
    page.locator("svg.security-chart rect").first.wait_for()
    table = page.locator("main table.events-by-kind").inner_text()
    assert "A member read or exported more than 5,000 contacts" in table
    assert "Many refused accesses by one member" in table
    assert "A member read far more contacts than usual" in table
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "security-dashboard-en.png"), full_page=True)

    page.select_option("select[name=kind]", "security.detection.mass_read")
    page.select_option("select[name=period]", "24h")
    page.get_by_role("button", name="Show").click()
    page.wait_for_url("**/audit/dashboard/?kind=security.detection.mass_read&period=24h")
    assert "Last 24 hours: 1 event" in page.locator("main h2").inner_text()

    page.click("details.user-menu summary")
    page.locator("details.user-menu button.lang-option[value=ja]").click()
    page.wait_for_load_state()
    assert page.locator("main h1").inner_text() == "セキュリティダッシュボード"
    assert "過去24時間：1件" in page.locator("main h2").inner_text()
    page.goto(f"{demo.url}/audit/dashboard/")
    assert "5,000件を超える連絡先" in page.locator("main table.events-by-kind").inner_text()
    page.screenshot(path=str(SHOTS / "security-dashboard-ja.png"), full_page=True)
    assert refused == []  # the chart needs nothing the Content-Security-Policy refuses


def test_a_flood_of_refused_requests_gets_the_429_page(demo, chromium):
    context = chromium.new_context(ignore_https_errors=True, locale="ja-JP")
    page = context.new_page()
    statuses = [page.goto(f"{demo.url}/no-such-page/{i}/").status for i in range(51)]
    assert set(statuses) == {404}
    response = page.goto(f"{demo.url}/")
    assert response.status == 429
    assert response.headers["retry-after"] == "900"
    assert "拒否されたリクエストが多すぎます" in page.locator("main").inner_text()
    page.screenshot(path=str(SHOTS / "address-blocked-ja.png"), full_page=True)
    context.close()
