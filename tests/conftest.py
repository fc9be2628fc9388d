"""Fixtures for the integration tests: real ``terabox-crm`` processes (serving.py)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import serving
from serving import Served, clean_env

HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(config, items):
    """Every test here starts real processes through ``clean_env``, which
    strips DATABASE_URL and REDIS_URL: they run on the embedded SQLite of a
    data dir of their own, whatever database the run itself uses. They are
    marked ``embedded_database`` (the PostgreSQL pass of .ci/run deselects
    them with ``-m "not embedded_database"``), except those marked
    ``outer_database``, which hand the run's own database to their process."""
    for item in items:
        if item.path.is_relative_to(HERE) and not item.get_closest_marker("outer_database"):
            item.add_marker(pytest.mark.embedded_database)


@pytest.fixture(scope="session", autouse=True)
def _migrated_template_root(tmp_path_factory):
    """The run's migrated template (``serving.migrated_template``) lives in the
    run's temporary root, which the xdist workers of one run share, and which
    pytest removes with the run's other old temporary dirs."""
    base = tmp_path_factory.getbasetemp()
    serving.TEMPLATE_ROOT = (
        base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    ) / "template"


@pytest.fixture(scope="module")
def _chromium_browser():
    """One Chromium per test file: starting it and its Playwright driver costs
    about 1.3 CPU-seconds, paid once per file instead of once per test. A test
    file holds only browser tests, so Playwright's event loop never outlives
    them into a test of another kind run next by the same worker."""
    from browser import ARGS, CHROMIUM

    if not CHROMIUM.exists():
        if os.environ.get("CRM_REQUIRE_BROWSER"):
            pytest.fail("CRM_REQUIRE_BROWSER is set but /usr/bin/chromium is missing")
        pytest.skip("Debian's chromium is not installed")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield browser
        browser.close()


@pytest.fixture
def chromium(_chromium_browser):
    """Debian's Chromium driven by Playwright (skipped if missing, unless CI
    requires it). Tests share the file's browser but never its state: each
    opens contexts of its own (cookies, storage, cache), closed after it."""
    yield _chromium_browser
    for context in list(_chromium_browser.contexts):
        context.close()


@pytest.fixture
def serve(tmp_path_factory):
    """Start ``terabox-crm serve`` (call with extra args / env); everything is killed at the end."""
    started: list[Served] = []

    def start(
        *args: str,
        data_dir: Path | None = None,
        wait: bool = True,
        fresh: bool = False,
        sigint_ignored: bool = False,
        **env: str | None,
    ):
        directory = data_dir or tmp_path_factory.mktemp("serve")
        served = Served(
            directory,
            list(args),
            clean_env(directory, fresh=fresh, **env),
            sigint_ignored=sigint_ignored,
        )
        started.append(served)
        return served.wait_ready() if wait else served

    yield start
    for served in started:
        served.kill()
