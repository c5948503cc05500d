"""A live server (uvicorn in a thread) and Debian's Chromium driven by Playwright.

Browser tests skip where Chromium is not installed, except in CI, where they must run.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from api.app import create_app
from tests.admin.conftest import make_settings
from tests.live import serving

CHROMIUM = os.environ.get("FAQDESK_CHROMIUM", "/usr/bin/chromium")
# Screenshots of each journey are kept with the test output (CI keeps the folder; git ignores it).
SCREENSHOTS = Path(os.environ.get("FAQDESK_SCREENSHOTS", "test-output/screenshots"))
PHONE = {"width": 390, "height": 844}

try:
    from playwright.sync_api import Browser, Page, sync_playwright
except ImportError:  # pragma: no cover - playwright is a dev dependency
    sync_playwright = None


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app over a fresh database with demo content and one user per role, on a free port."""
    settings = make_settings(tmp_path_factory.mktemp("live"))
    with serving(create_app(settings)) as url:
        yield url


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if sync_playwright is None or not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        if os.environ.get("CI"):
            pytest.fail(f"Chromium is required in CI but not found at {CHROMIUM}")
        pytest.skip(f"Chromium not found at {CHROMIUM} (apt-get install chromium)")
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"], headless=True)
        yield instance
        instance.close()


def shot(page: Page, name: str) -> Path:
    """Save a full-page screenshot of ``page`` as ``<name>.png`` under the screenshots folder."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


@pytest.fixture()
def page(browser: Browser) -> Iterator[Page]:
    """A fresh browser context per test: no cookies carried over. Any script dialog fails the test."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    tab = context.new_page()
    dialogs: list[str] = []
    tab.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    errors: list[str] = []
    tab.on("pageerror", lambda error: errors.append(str(error)))
    yield tab
    context.close()
    assert not dialogs, f"a script ran and opened a dialog: {dialogs}"
    assert not errors, f"JavaScript errors: {errors}"
