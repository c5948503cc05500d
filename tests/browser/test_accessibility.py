"""Accessibility: axe-core (the engine behind Lighthouse's and most audits' accessibility checks) finds no
WCAG 2.1 A/AA problem and no breach of its best practices (landmarks, headings) on the visitors' pages,
the widget in its states, and the back office's pages, in a real browser."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Page, expect

from tests.admin.conftest import PASSWORD
from tests.browser.conftest import PHONE, ChatServer
from tests.browser.test_widget import ask, open_chat

AXE = Axe()
# WCAG 2.1 A and AA, and axe's best practices: a second banner landmark (the widget's header on the host
# page) or two regions named alike (the intent editor's previews) are what a screen reader user trips on.
OPTIONS = {
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]},
    "resultTypes": ["violations"],
}


def problems(page: Page, where: str) -> list[str]:
    """The violations on the page as it is now, of any impact, one line per rule and element."""
    found = AXE.run(page, options=OPTIONS).response["violations"]
    return [
        f"{where}: {v['id']} ({v['impact']}) {v['help']} at {', '.join(map(str, node['target']))}: {node['html'][:160]}"
        for v in found
        for node in v["nodes"]
    ]


@pytest.fixture()
def tab(browser: Browser) -> Iterator[Page]:
    # axe is injected by evaluating its source, which the pages' strict CSP would otherwise refuse.
    context = browser.new_context(bypass_csp=True, viewport={"width": 1280, "height": 900})
    yield context.new_page()
    context.close()


def test_the_help_center_pages(tab: Page, live_server: str) -> None:
    found: list[str] = []
    for path in ("/hc/en/", "/hc/de/", "/hc/en/search?q=password", "/hc/nl/search?q=zzzqqq", "/hc/en/no-such-page"):
        tab.goto(live_server + path)
        found += problems(tab, path)
    tab.goto(live_server + "/hc/en/")
    tab.locator("main a[href*='/articles/']").first.click()
    found += problems(tab, tab.url.removeprefix(live_server))
    tab.goto(live_server + "/hc/en/")
    tab.locator("main a[href*='/categories/']").first.click()
    found += problems(tab, tab.url.removeprefix(live_server))
    assert not found, "\n".join(found)


@pytest.mark.parametrize("size", [{"width": 1280, "height": 900}, PHONE], ids=["desktop", "phone"])
def test_the_widget_in_its_states(browser: Browser, chat_server: ChatServer, size: dict[str, int]) -> None:
    context = browser.new_context(bypass_csp=True, viewport=size)
    tab = context.new_page()
    found: list[str] = []
    open_chat(tab, chat_server.url + "/")
    found += problems(tab, "widget open")
    ask(tab, "where is my order")
    found += problems(tab, "widget answered")
    # Asking for a person opens the handoff form. (Not gibberish first: the shared server estimates its
    # out-of-scope share from recent turns, and other tests' exact questions must stay answered.)
    ask(tab, "I want to talk to a person")
    found += problems(tab, "widget handoff form")
    tab.get_by_role("button", name="Send to the team").click()  # empty: the field's error shows
    expect(tab.get_by_text("Please enter your email address.")).to_be_visible()
    found += problems(tab, "widget handoff form with an error")
    tab.get_by_label("Email (required)").fill("visitor@example.com")
    tab.get_by_role("button", name="Send to the team").click()
    expect(tab.locator("#faqdesk-widget .msg.system")).to_have_count(1)
    found += problems(tab, "widget handed off")
    tab.get_by_role("button", name="End chat").click()
    expect(tab.get_by_role("group", name="How was your experience?")).to_be_visible()
    found += problems(tab, "widget rating")
    context.close()
    assert not found, "\n".join(found)


def test_the_back_office_pages(tab: Page, live_server: str) -> None:
    found: list[str] = []
    # A ticket to open: a visitor asks for a person (over the widget's API, as the widget does).
    started = tab.request.post(f"{live_server}/api/v1/conversations", data={"locale": "en"}).json()
    auth = {"Authorization": f"Bearer {started['token']}"}
    ticket = tab.request.post(
        f"{live_server}/api/v1/conversations/{started['id']}/handoff",
        data={"email": "visitor@example.com", "message": "My parcel is lost."},
        headers=auth,
    )
    assert ticket.ok, ticket.text()
    tab.goto(live_server + "/admin/login")
    found += problems(tab, "/admin/login")
    tab.get_by_label("Email").fill("admin@example.com")
    tab.get_by_label("Password").fill(PASSWORD)
    tab.get_by_role("button", name="Sign in").click()
    expect(tab.get_by_role("heading", level=1)).to_be_visible()
    for path in (
        "/admin/",
        "/admin/articles",
        "/admin/articles/new",
        "/admin/articles/1",
        "/admin/categories",
        "/admin/media",
        "/admin/intents",
        "/admin/intents/new-intent",
        "/admin/intents/import",
        "/admin/misunderstood",
        "/admin/review",
        "/admin/try-a-phrase?q=where+is+my+order",
        "/admin/inbox",
        f"/admin/inbox/{ticket.json()['id']}",
        "/admin/conversations",
        "/admin/canned",
        "/admin/dashboard",
        "/admin/widget",
        "/admin/users",
        "/admin/tokens",
        "/admin/account",
        "/admin/training",
    ):
        tab.goto(live_server + path)
        found += problems(tab, path)
    assert not found, "\n".join(found)
