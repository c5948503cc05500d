"""The widget's settings in a real browser: an admin sets colour, corner and title on /admin/widget and
copies the embed code; a customer's page on another origin pasted it and shows the widget as set; the
help center's own pages carry the chat, in their language, and it answers there.

The server has its own database (the appearance changes here must not leak into other browser tests)
and a model trained on tests/fixtures/mini_faq.yaml.
"""

from __future__ import annotations

import functools
import http.server
import io
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import Browser, Page, expect

from api.app import create_app
from bot import runtime
from tests.admin.conftest import PASSWORD, make_settings
from tests.browser.conftest import PHONE, shot
from tests.live import free_port, serving

MINI_FAQ = Path(__file__).resolve().parents[1] / "fixtures" / "mini_faq.yaml"
# Every CSP violation in the page, shadow roots included: the preview and the widget must live within the
# pages' strict policy (no inline style attribute, no inline script).
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__cspViolations.push(`${e.effectiveDirective} blocked ${e.blockedURI || "inline"}`);
}, true);
"""


@dataclass(frozen=True)
class Sites:
    url: str  # faqdesk: back office, help center, widget
    shop: str  # a customer's site on another origin
    folder: Path  # what the customer's site serves


@pytest.fixture(scope="module")
def sites(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sites]:
    app_port, shop_port = free_port(), free_port()
    shop = f"http://127.0.0.1:{shop_port}"
    settings = make_settings(
        tmp_path_factory.mktemp("appearance"),
        cors_origins=[shop],
        widget_rate_limit_ip="2000/minute",
        widget_rate_limit_conversation="200/minute",
    )
    runtime.train_and_activate(settings, MINI_FAQ)
    folder = tmp_path_factory.mktemp("shop")

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", shop_port), functools.partial(Quiet, directory=str(folder)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    with serving(create_app(settings), port=app_port) as url:
        yield Sites(url, shop, folder)
    server.shutdown()
    server.server_close()


def _png() -> bytes:
    """An 8 x 8 PNG, as an admin would upload for the avatar."""
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (240, 165, 0)).save(buffer, format="PNG")
    return buffer.getvalue()


def _sign_in(page: Page, base: str, path: str) -> None:
    page.goto(base + path)
    page.get_by_label("Email").fill("admin@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(base + path)


def _launcher(page: Page):  # type: ignore[no-untyped-def]
    return page.locator("#faqdesk-widget button.launcher")


def test_an_admin_styles_the_widget_and_a_customer_site_shows_it_as_set(page: Page, sites: Sites) -> None:
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=sites.url)
    page.add_init_script(RECORD_VIOLATIONS)
    _sign_in(page, sites.url, "/admin/media")
    page.locator("#file").set_input_files({"name": "anna.png", "mimeType": "image/png", "buffer": _png()})
    page.get_by_role("button", name="Upload").click()
    expect(page.get_by_role("status")).to_have_text("Uploaded.")

    page.goto(sites.url + "/admin/widget")
    page.get_by_label("Accent colour").fill("#b00020")
    page.get_by_label("Bottom left").check()
    page.get_by_label("Panel title (en)").fill("Nordkap service")
    page.get_by_label("Avatar in the panel's header").select_option(label="anna.png")
    # The preview follows the form before anything is saved.
    preview = page.locator("#look-preview")
    expect(preview.locator(".lp-title")).to_have_text("Nordkap service")
    assert preview.locator(".lp-header").evaluate("h => getComputedStyle(h).backgroundColor") == "rgb(176, 0, 32)"
    expect(preview.locator(".lp-avatar")).to_be_visible()
    assert page.evaluate("window.__cspViolations") == []
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status").first).to_have_text("Saved.")
    expect(page.get_by_label("Accent colour")).to_have_value("#b00020")
    expect(page.get_by_label("Bottom left")).to_be_checked()

    # A colour no text is readable on is refused, with the reason next to the field; nothing changes.
    page.get_by_label("Accent colour").fill("#777777")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#accent-error")).to_contain_text("Neither white nor dark text is readable")
    expect(page.get_by_label("Accent colour")).to_have_attribute("aria-invalid", "true")
    shot(page, "widget_settings_refused_colour")

    page.goto(sites.url + "/admin/widget")
    page.get_by_role("button", name="Copy the code").click()
    expect(page.get_by_role("status").filter(has_text="Copied.")).to_be_visible()
    snippet = str(page.evaluate("navigator.clipboard.readText()"))
    assert snippet == page.get_by_label("Embed code").input_value()
    assert f'<script src="{sites.url}/widget/v1/widget.js" async></script>' in snippet
    shot(page, "widget_settings_saved")

    # The customer pastes the code into their page, on their own origin.
    (sites.folder / "index.html").write_text(
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Shop</title></head>'
        f"<body><h1>A customer's shop</h1>{snippet}</body></html>",
        encoding="utf-8",
    )
    page.goto(sites.shop + "/index.html")
    launcher = _launcher(page)
    expect(launcher).to_be_visible()
    assert launcher.evaluate("b => getComputedStyle(b).backgroundColor") == "rgb(176, 0, 32)"
    assert launcher.evaluate("b => getComputedStyle(b).color") == "rgb(255, 255, 255)"
    box = launcher.bounding_box()
    assert box is not None and box["x"] < 100, box  # bottom left
    launcher.click()
    dialog = page.get_by_role("dialog", name="Nordkap service")
    expect(dialog).to_be_visible()
    header_colour = dialog.locator("header").evaluate("h => getComputedStyle(h).backgroundColor")
    assert header_colour == "rgb(176, 0, 32)"
    avatar = dialog.locator("header img")
    expect(avatar).to_have_attribute("alt", "")  # decorative: the title beside it names the panel
    assert (avatar.get_attribute("src") or "").startswith(sites.url + "/media/")
    assert avatar.evaluate("img => img.complete && img.naturalWidth") == 8  # loaded from faqdesk's origin
    shot(page, "widget_settings_on_customer_site")


def test_the_help_center_pages_carry_the_chat_in_their_language(browser: Browser, sites: Sites) -> None:
    context = browser.new_context(viewport=PHONE, locale="en-GB")
    page = context.new_page()
    page.add_init_script(RECORD_VIOLATIONS)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(sites.url + "/hc/de/articles/contacting-customer-service")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    launcher = _launcher(page)
    expect(launcher).to_contain_text("Chatten Sie mit uns")  # the page's language, not the browser's
    launcher.click()
    box = page.get_by_label("Ihre Frage")
    expect(box).to_be_focused()
    replies = page.locator("#faqdesk-widget .log .msg.bot")
    before = replies.count()
    box.fill("Wie kann ich mein Abo pausieren?")
    box.press("Enter")
    expect(replies).to_have_count(before + 1, timeout=30_000)  # the first turn warms the encoder up
    expect(replies.last).to_contain_text("Konto > Abo")
    assert page.evaluate("window.__cspViolations") == []  # same origin, under the help center's own CSP
    shot(page, "widget_on_help_center_phone")
    context.close()
    assert not errors, errors
