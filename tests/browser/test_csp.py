"""No page breaks under its Content-Security-Policy: a blocked script or style fails silently for the
visitor, so every main page is opened in Chromium and any CSP violation fails the test.

The server here has a lexical-only model (fast to train) so the widget gets real answers, an article
with an aligned Markdown table (the one inline style the policy allows), and one customer site that
embeds the widget under the host-page CSP the README documents.
"""

from __future__ import annotations

import functools
import http.server
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import ConsoleMessage, Page, expect

from api.app import create_app
from bot import runtime
from core.db import make_engine, session_scope
from helpcenter import articles
from helpcenter.models import ArticleStatus
from tests.admin.conftest import PASSWORD, make_settings
from tests.live import free_port, serving

MINI_FAQ = Path(__file__).resolve().parents[1] / "fixtures" / "mini_faq.yaml"
TABLE = "Sizes:\n\n| size | chest | length |\n|:--|:-:|--:|\n| S | 88 | 70 |\n| M | 96 | 72 |\n"
# Records every violation in the page, shadow roots included (the event is composed and bubbles).
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  const where = `${e.sourceFile}:${e.lineNumber}`;
  window.__cspViolations.push(`${e.effectiveDirective} blocked ${e.blockedURI || "inline"} in ${where}`);
}, true);
"""


def host_page_csp(faqdesk: str) -> str:
    """What the README tells a customer's site to allow for the widget (plus its own 'self')."""
    return (
        f"default-src 'self'; script-src 'self' {faqdesk}; connect-src 'self' {faqdesk}; "
        f"img-src 'self' {faqdesk}; style-src 'self'; frame-ancestors 'none'"
    )


@dataclass(frozen=True)
class Site:
    url: str  # faqdesk
    shop: str  # a customer's site with a strict CSP of its own


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    app_port, shop_port = free_port(), free_port()
    url, shop = f"http://127.0.0.1:{app_port}", f"http://127.0.0.1:{shop_port}"
    settings = make_settings(
        tmp_path_factory.mktemp("csp"),
        cors_origins=[shop],
        encoder_model="none",  # lexical only: trains in seconds, answers the mini FAQ all the same
        widget_rate_limit_ip="2000/minute",
    )
    runtime.train_and_activate(settings, MINI_FAQ)
    engine = make_engine(settings.database_url)
    with session_scope(engine) as session:
        articles.create_article(
            session, locale="en", title="Size chart", body=TABLE, author="ed", status=ArticleStatus.published
        )
    engine.dispose()

    folder = tmp_path_factory.mktemp("csp-shop")
    (folder / "shop.html").write_text(
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Shop</title></head>'
        f'<body><h1>A shop with a strict CSP</h1><script src="{url}/widget/v1/widget.js" defer></script></body></html>',
        encoding="utf-8",
    )

    class StrictShop(http.server.SimpleHTTPRequestHandler):
        def end_headers(self) -> None:
            self.send_header("Content-Security-Policy", host_page_csp(url))
            super().end_headers()

        def log_message(self, format: str, *args: object) -> None:
            pass

    shop_server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", shop_port), functools.partial(StrictShop, directory=str(folder))
    )
    threading.Thread(target=shop_server.serve_forever, daemon=True).start()
    with serving(create_app(settings), port=app_port):
        yield Site(url, shop)
    shop_server.shutdown()
    shop_server.server_close()


@pytest.fixture()
def watched(page: Page) -> Iterator[Page]:
    """The page, failing the test on any CSP violation (reported by the page or on the console)."""
    console: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text or "Content-Security-Policy" in message.text:
            console.append(message.text)

    page.add_init_script(RECORD_VIOLATIONS)
    page.on("console", on_console)
    yield page
    assert not console, f"CSP violations on the console: {console}"


def assert_no_violations(page: Page, where: str) -> None:
    page.wait_for_load_state("networkidle")
    violations = page.evaluate("() => window.__cspViolations || []")
    assert not violations, f"CSP violations on {where}: {violations}"


def chat(page: Page, question: str) -> None:
    page.locator("#faqdesk-widget button.launcher").click()
    box = page.get_by_label("Your question")
    box.fill(question)
    box.press("Enter")
    reply = page.locator("#faqdesk-widget .log .msg.bot").last
    expect(reply.locator("strong")).to_have_text("Account > Subscription", timeout=30_000)  # Markdown as HTML


def test_help_center_pages(watched: Page, site: Site) -> None:
    for path in ("/hc/en/", "/hc/de/categories/returns-and-refunds", "/hc/en/search?q=return", "/hc/en/nowhere"):
        watched.goto(site.url + path)
        expect(watched.locator("main")).to_be_visible()
        assert_no_violations(watched, path)
    watched.goto(site.url + "/hc/en/articles/tracking-your-order")
    watched.locator("form.feedback-form button[value=yes]").click()  # posts, redirects, re-renders
    expect(watched.get_by_role("status")).to_be_visible()
    assert_no_violations(watched, "an article after voting")


def test_aligned_table_cells_keep_their_alignment(watched: Page, site: Site) -> None:
    watched.goto(site.url + "/hc/en/articles/size-chart")
    cells = watched.locator("main table tbody tr").first.locator("td")
    aligns = [cells.nth(i).evaluate("c => getComputedStyle(c).textAlign") for i in range(3)]
    assert aligns == ["left", "center", "right"]  # the style attributes were applied, not blocked
    assert_no_violations(watched, "an article with a table")


def test_widget_demo_page_chats(watched: Page, site: Site) -> None:
    watched.goto(site.url + "/")
    assert watched.locator("header strong").evaluate("e => getComputedStyle(e).letterSpacing") != "normal"  # demo.css
    chat(watched, "How can I pause my subscription?")
    assert_no_violations(watched, "the demo page")


def test_widget_on_a_host_page_with_the_documented_csp(watched: Page, site: Site) -> None:
    watched.goto(site.shop + "/shop.html")
    chat(watched, "How can I pause my subscription?")
    launcher = watched.locator("#faqdesk-widget button.launcher")
    assert launcher.evaluate("b => getComputedStyle(b).borderRadius") != "0px"  # the widget's styles applied
    assert_no_violations(watched, "a customer's page")


def test_back_office_pages(watched: Page, site: Site) -> None:
    watched.goto(site.url + "/admin/login")
    assert_no_violations(watched, "/admin/login")
    watched.get_by_label("Email").fill("admin@example.com")
    watched.get_by_label("Password").fill(PASSWORD)
    watched.get_by_role("button", name="Sign in").click()
    expect(watched.get_by_role("heading", level=1)).to_have_text("Overview")
    for path in ("/admin/dashboard", "/admin/articles", "/admin/inbox", "/admin/articles/new"):
        watched.goto(site.url + path)
        expect(watched.locator("main")).to_be_visible()
        assert_no_violations(watched, path)
    watched.get_by_label("Body (Markdown)").fill(TABLE)  # the live preview shows the aligned table
    expect(watched.locator("#preview table")).to_be_visible()
    assert_no_violations(watched, "the editor's preview")


def test_api_docs_render_offline(watched: Page, site: Site) -> None:
    requests: list[str] = []
    watched.on("request", lambda request: requests.append(request.url))
    watched.goto(site.url + "/docs")
    operation = watched.locator(".opblock").first
    expect(operation).to_be_visible(timeout=15_000)
    operation.locator(".opblock-summary").click()  # expanding renders parameters and schemas
    expect(operation.locator(".opblock-body")).to_be_visible()
    assert_no_violations(watched, "/docs")
    assert all(url.startswith(site.url) for url in requests), requests  # nothing from a CDN
