"""Fixtures for the integration tests: real ``terabox-crm`` processes (serving.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from serving import Served, clean_env


@pytest.fixture
def chromium():
    """Debian's Chromium driven by Playwright (skipped if missing, unless CI requires it)."""
    import os

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
def serve(tmp_path_factory):
    """Start ``terabox-crm serve`` (call with extra args / env); everything is killed at the end."""
    started: list[Served] = []

    def start(*args: str, data_dir: Path | None = None, wait: bool = True, **env: str | None):
        directory = data_dir or tmp_path_factory.mktemp("serve")
        served = Served(directory, list(args), clean_env(directory, **env))
        started.append(served)
        return served.wait_ready() if wait else served

    yield start
    for served in started:
        served.kill()
