"""A live server (uvicorn in a thread) and Debian's Chromium driven by Playwright.

Browser tests skip where Chromium is not installed, except in CI, where they must run.
"""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from api.app import create_app
from bot import runtime
from core.settings import Settings
from tests.admin.conftest import make_settings
from tests.live import free_port, serving
from tests.servers import copy_cache

MINI_FAQ = Path(__file__).resolve().parents[1] / "fixtures" / "mini_faq.yaml"

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
    # Every test reads from 127.0.0.1: one test reads an article 40 times to make it the most read.
    settings = make_settings(tmp_path_factory.mktemp("live"), view_count_limit="1000/minute")
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


@contextmanager
def watched_tab(browser: Browser, **options: Any) -> Iterator[Page]:
    """A page in a browser context of its own (``options``: viewport, locale …); a JavaScript error on it
    fails the test."""
    context = browser.new_context(**options)
    tab = context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda error: errors.append(str(error)))
    yield tab
    context.close()
    assert not errors, f"JavaScript errors: {errors}"


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


# ---- the chat server: the app with a trained model, and customer sites on two other origins ----
# (here, so every widget test module shares one trained model per session)


@dataclass(frozen=True)
class ChatServer:
    url: str  # the faqdesk app (API and widget.js)
    settings: Settings
    allowed_host: str  # a host page origin listed in FAQDESK_CORS_ORIGINS
    other_host: str  # a host page origin that is not
    site: Path  # the folder both host origins serve


def _serve_folder(folder: Path, port: int) -> http.server.ThreadingHTTPServer:
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

    handler = functools.partial(Quiet, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.fixture(scope="session")
def chat_server(tmp_path_factory: pytest.TempPathFactory, warm_cache: Path) -> Iterator[ChatServer]:
    """The app with a trained model on one port, and two customer sites on two other ports.

    Shared by every widget test of a worker, in no fixed order: a test must not change how it answers
    (new intents, review labels, a flood of out-of-scope questions move its thresholds)."""
    with _chat_app(tmp_path_factory, warm_cache) as server:
        yield server


@pytest.fixture()
def own_chat_server(tmp_path_factory: pytest.TempPathFactory, warm_cache: Path) -> Iterator[ChatServer]:
    """A chat server for one test that changes how the bot answers: labelling its turns in the review
    queue moves its thresholds (five "out of scope" labels on handoff requests once stopped the shared
    server answering at all, failing whichever widget tests came after)."""
    with _chat_app(tmp_path_factory, warm_cache) as server:
        yield server


@contextmanager
def _chat_app(tmp_path_factory: pytest.TempPathFactory, warm_cache: Path) -> Iterator[ChatServer]:
    app_port, allowed_port, other_port = free_port(), free_port(), free_port()
    allowed_host = f"http://127.0.0.1:{allowed_port}"
    settings = make_settings(
        tmp_path_factory.mktemp("widget"),
        cors_origins=[allowed_host],
        # Every test talks from 127.0.0.1: the per-address limit would otherwise trip mid-session.
        widget_rate_limit_ip="2000/minute",
        widget_rate_limit_conversation="200/minute",
        widget_rate_limit_handoff="1000/minute",  # a dozen journeys hand off from the same address
        review_sample_rate=1.0,  # every question joins the answer-review sample
    )
    # The session's encoder cache, as a machine that ran before has it (a cold one cost ~20 s here).
    copy_cache(warm_cache, settings.cache_dir)
    runtime.train_and_activate(settings, MINI_FAQ)

    site = tmp_path_factory.mktemp("customer-site")  # pages added by tests are served too
    (site / "shop.html").write_text(
        '<!doctype html><html lang="de"><head><meta charset="utf-8"><title>Kundenshop</title></head>'
        "<body><h1>Ein anderer Shop</h1>"
        f'<script src="http://127.0.0.1:{app_port}/widget/v1/widget.js" defer></script></body></html>',
        encoding="utf-8",
    )
    sites = [_serve_folder(site, allowed_port), _serve_folder(site, other_port)]

    with serving(create_app(settings), port=app_port) as url:
        yield ChatServer(url, settings, allowed_host, f"http://127.0.0.1:{other_port}", site)
    for site_server in sites:
        site_server.shutdown()
        site_server.server_close()
