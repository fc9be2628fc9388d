"""The policies in a real browser (P10): the public pages in both languages
without signing in, a version published from the command line announced with
its diff, and a version in force accepted at the next sign-in."""

from __future__ import annotations

import datetime
import sqlite3
import subprocess
from pathlib import Path

import pytest

from browser import SHOTS, signed_in_page
from serving import Served, clean_env

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ROOT = Path(__file__).resolve().parent.parent
CLI = str(ROOT / ".venv" / "bin" / "terabox-crm")
TEXTS = ROOT / "src" / "terabox_crm" / "policies" / "texts"

IN_FORCE = (
    "from datetime import timedelta; from django.utils import timezone; "
    "from terabox_crm.accounts.models import User; "
    "from terabox_crm.policies.models import PolicyVersion as V; "
    "User.objects.update(date_joined=timezone.now() - timedelta(days=90)); "
    "one = V.objects.get(kind='security', number=1); "
    "V.objects.create(kind='security', number=2, "
    "effective_at=timezone.now() - timedelta(days=1), "
    "published_at=timezone.now() - timedelta(days=40), "
    "body_ja=one.body_ja + '\\n追記', body_en=one.body_en + '\\nAddendum', "
    "summary_en='Names the contact for incident reports.')"
)


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    directory = tmp_path_factory.mktemp("policies")
    served = Served(directory, ["--demo"], clean_env(directory)).wait_ready()
    yield served
    served.kill()


def run(served: Served, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [CLI, *args], env=clean_env(served.data_dir), capture_output=True, text=True, timeout=120
    )


def acceptances(served: Served) -> int:
    with sqlite3.connect(f"file:{served.data_dir / 'db.sqlite3'}?mode=ro", uri=True) as db:
        [(count,)] = db.execute("SELECT count(*) FROM policies_policyacceptance").fetchall()
    return count


def test_public_pages_announce_a_published_version_with_its_diff(demo, chromium, tmp_path):
    ja, en = tmp_path / "v2.ja.md", tmp_path / "v2.en.md"
    ja.write_text((TEXTS / "privacy-v1.ja.md").read_text() + "\n新しい一文。\n", encoding="utf-8")
    en.write_text((TEXTS / "privacy-v1.en.md").read_text() + "\nA new sentence.\n", "utf-8")
    effective = (datetime.date.today() + datetime.timedelta(days=45)).isoformat()
    published = run(
        demo, "policies", "publish", "--kind", "privacy", "--ja", str(ja), "--en", str(en),
        "--effective", effective, "--summary-en", "One new sentence.",
    )  # fmt: skip
    assert published.returncode == 0, published.stderr
    too_soon = (datetime.date.today() + datetime.timedelta(days=3)).isoformat()
    refused = run(
        demo, "policies", "publish", "--kind", "security", "--ja", str(ja), "--en", str(en),
        "--effective", too_soon,
    )  # fmt: skip
    assert refused.returncode == 1 and "30" in refused.stderr

    context = chromium.new_context(ignore_https_errors=True, locale="ja-JP")
    page = context.new_page()
    page.goto(f"{demo.url}/privacy/")
    assert page.locator("main h1").first.inner_text() == "テラボックス株式会社 プライバシーポリシー"
    page.locator("button.lang-option[value=en]").click()
    page.wait_for_load_state()
    assert page.locator("main h1").first.inner_text() == "Terabox Inc. Privacy Policy"
    upcoming = page.locator(".policy-upcoming")
    assert "version 2" in upcoming.inner_text() and "One new sentence." in upcoming.inner_text()
    upcoming.get_by_role("link").click()
    page.wait_for_url("**/privacy/versions/2/")
    assert page.locator(".diff-added").filter(has_text="A new sentence.").count() == 1
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "policy-diff-en.png"), full_page=True)
    page.goto(f"{demo.url}/notices/")
    assert "Privacy policy: version 2 takes effect on" in page.locator("main").inner_text()
    page.goto(f"{demo.url}/security/")
    assert page.locator("main h1").first.inner_text() == "Terabox CRM Security Policy"
    context.close()


def test_a_version_in_force_is_accepted_at_the_next_sign_in(demo, chromium):
    shell = run(demo, "manage", "shell", "-c", IN_FORCE)
    assert shell.returncode == 0, shell.stderr
    page = signed_in_page(chromium, demo, locale="en-US")
    page.goto(f"{demo.url}/contacts/")
    page.wait_for_url("**/policies/accept/?next=%2Fcontacts%2F")
    assert "Security policy, version 2" in page.locator("main").inner_text()
    assert acceptances(demo) == 0
    page.get_by_role("button", name="I accept").click()
    page.wait_for_url("**/contacts/")
    assert acceptances(demo) == 1
    page.goto(f"{demo.url}/deals/")
    assert "/policies/accept/" not in page.url


def _fits_a_phone(page, url, heading):
    page.goto(url)
    section = page.locator(".processing-purpose").first
    section.wait_for()
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0
    term, value = section.locator("dt").first, section.locator("dd").first
    assert term.inner_text().strip() == heading
    term_box, value_box = term.bounding_box(), value.bounding_box()
    assert value_box["y"] >= term_box["y"] + term_box["height"] - 1  # under its label
    assert value_box["x"] >= 0 and value_box["x"] + value_box["width"] <= 390


def test_the_record_of_processing_fits_a_phone(serve, chromium):
    """At 390 px each purpose is a section of one column: nothing overflows
    sideways, and each fact's label is shown above its value (ja, then en)."""
    served = serve("--demo")
    page = signed_in_page(chromium, served, locale="ja-JP", width=390)
    url = f"{served.url}/policies/processing/"
    _fits_a_phone(page, url, "法的根拠")
    page.screenshot(path=str(SHOTS / "record-of-processing-ja-phone.png"), full_page=True)
    with page.expect_navigation():
        page.locator("button.lang-option[value=en]").first.evaluate("button => button.click()")
    _fits_a_phone(page, url, "Lawful basis")
    page.screenshot(path=str(SHOTS / "record-of-processing-en-phone.png"), full_page=True)
    page.context.close()
