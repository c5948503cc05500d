"""The agent's day in Chromium: the inbox and the ticket follow the visitor live (server-sent events, polling
when events cannot be had), opt-in notifications with a Web Audio sound, canned replies picked with the
keyboard, times in the agent's own zone, and the conversation browser."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect
from sqlalchemy.engine import Engine
from sqlmodel import select

from api.app import create_app
from core.accounts import User
from core.db import make_engine, session_scope
from core.settings import Settings
from support import canned, handoffs
from support.models import Handoff
from tests.admin.conftest import PASSWORD, make_settings
from tests.admin.test_inbox_live import new_handoff, visitor_writes
from tests.browser.conftest import PHONE, shot
from tests.live import serving

LIVE = 10_000  # ms: events arrive within about 2 s; polling within 5 s
# Records what the page asks of the browser: each Notification and each tone the Web Audio API plays.
HOOKS = """
window.__notes = [];
window.__tones = 0;
const RealNotification = window.Notification;
window.Notification = function (title, options) {
  window.__notes.push({ title, body: (options || {}).body || "" });
  return new RealNotification(title, options);
};
Object.defineProperty(window.Notification, "permission", { get: () => RealNotification.permission });
window.Notification.requestPermission = (...args) => RealNotification.requestPermission(...args);
const RealOscillator = AudioContext.prototype.createOscillator;
AudioContext.prototype.createOscillator = function () {
  window.__tones += 1;
  return RealOscillator.call(this);
};
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Settings]]:
    settings = make_settings(tmp_path_factory.mktemp("agent_day"))
    with serving(create_app(settings)) as url:
        yield url, settings


@pytest.fixture(scope="module")
def engine(server: tuple[str, Settings]) -> Iterator[Engine]:
    eng = make_engine(server[1].database_url)
    yield eng
    eng.dispose()


def agent_context(browser: Browser, *, zone: str = "America/New_York", **options: object) -> BrowserContext:
    context = browser.new_context(
        viewport={"width": 1280, "height": 900},
        timezone_id=zone,
        locale="en-US",
        permissions=["notifications"],
        **options,
    )
    context.add_init_script(HOOKS)
    return context


def sign_in(page: Page, base: str, email: str = "agent@example.com", path: str = "/admin/inbox") -> None:
    page.goto(base + path)
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(base + path)


def errors_of(page: Page) -> list[str]:
    found: list[str] = []
    page.on("pageerror", lambda error: found.append(str(error)))
    return found


def test_the_inbox_and_the_ticket_follow_the_visitor_with_notifications_and_a_sound(
    browser: Browser, server: tuple[str, Settings], engine: Engine
) -> None:
    base, settings = server
    context = agent_context(browser)
    page = context.new_page()
    errors = errors_of(page)
    sign_in(page, base)
    rows = page.locator("#inbox-rows")
    expect(rows).to_have_attribute("data-live", "events", timeout=LIVE)

    # Alerts are opt-in: the toggle asks for the permission (granted in this context) and is remembered.
    toggle = page.get_by_label("Alert me with a notification and a sound", exact=False)
    expect(toggle).not_to_be_checked()
    toggle.check()
    assert page.evaluate("localStorage.getItem('faqdesk.alerts')") == "on"
    assert page.evaluate("window.__tones") == 1  # the click plays the tone once (and unlocks audio)
    shot(page, "agent_day_inbox_alerts_on")

    # A new handoff appears without a reload, with a notification and a tone.
    page.evaluate("window.notReloaded = true")
    handoff = new_handoff(engine, settings)
    expect(rows.locator("tr", has_text=handoff.email)).to_have_count(1, timeout=LIVE)
    page.wait_for_function("window.__notes.length >= 1", timeout=LIVE)
    notes = page.evaluate("window.__notes")
    assert notes[-1] == {"title": "New handoff", "body": handoff.email + " · pause_subscription"}
    assert page.evaluate("window.__tones") >= 2 and page.evaluate("window.notReloaded === true")
    shot(page, "agent_day_inbox_new_handoff")

    # The agent takes the ticket; the visitor writes; the transcript grows without a reload, with an alert.
    page.get_by_role("link", name=handoff.email).click()
    page.get_by_role("button", name="Assign to me").click()
    transcript = page.locator("#transcript")
    expect(transcript).to_have_attribute("data-live", "events", timeout=LIVE)
    page.evaluate("window.notReloaded = true; window.__notes = []")
    visitor_writes(engine, handoff, "Still there? My order is 12345")
    expect(transcript.locator("li.msg-visitor").last).to_contain_text("My order is 12345", timeout=LIVE)
    page.wait_for_function("window.__notes.length >= 1", timeout=LIVE)
    note = page.evaluate("window.__notes[0]")
    assert note["title"] == f"New message on ticket #{handoff.id}" and "12345" in note["body"]
    assert page.evaluate("window.notReloaded === true")
    shot(page, "agent_day_ticket_live")

    # Back in the inbox, a visitor writing on the agent's own ticket alerts; on someone else's it does not.
    other = new_handoff(engine, settings)
    page.goto(base + "/admin/inbox")
    expect(rows).to_have_attribute("data-live", "events", timeout=LIVE)
    page.evaluate("window.__notes = []")
    visitor_writes(engine, other, "Not yours")
    visitor_writes(engine, handoff, "Mine again")
    page.wait_for_function("() => window.__notes.some((n) => n.title === 'New message from a visitor')", timeout=LIVE)
    assert page.evaluate("window.__notes") == [{"title": "New message from a visitor", "body": handoff.email}]
    context.close()
    assert not errors, errors


def test_without_events_the_pages_poll(browser: Browser, server: tuple[str, Settings], engine: Engine) -> None:
    base, settings = server
    context = agent_context(browser)
    context.add_init_script("delete window.EventSource;")
    page = context.new_page()
    errors = errors_of(page)
    sign_in(page, base)
    handoff = new_handoff(engine, settings)
    expect(page.locator("#inbox-rows tr", has_text=handoff.email)).to_have_count(1, timeout=LIVE)
    page.get_by_role("link", name=handoff.email).click()
    visitor_writes(engine, handoff, "Polling works too")
    expect(page.locator("#transcript li.msg-visitor").last).to_contain_text("Polling works too", timeout=LIVE)
    assert page.locator("#transcript").get_attribute("data-live") is None  # no stream was opened
    context.close()
    assert not errors, errors


def local(handoff: Handoff, zone: str) -> str:
    """The hour and minute en-US shows for the handoff's creation in ``zone`` ("06:55 AM")."""
    return handoff.created_at.astimezone(ZoneInfo(zone)).strftime("%I:%M %p")


def test_times_are_shown_in_the_agents_zone(browser: Browser, server: tuple[str, Settings], engine: Engine) -> None:
    base, settings = server
    handoff = new_handoff(engine, settings)
    shown = {}
    for zone in ("America/New_York", "Asia/Tokyo"):
        context = agent_context(browser, zone=zone)
        page = context.new_page()
        sign_in(page, base, path=f"/admin/inbox/{handoff.id}")
        created = page.locator("dd time").first
        expect(created).to_contain_text(local(handoff, zone))
        assert "UTC" in (created.get_attribute("title") or "")  # the server's UTC time stays as the tooltip
        shown[zone] = created.inner_text()
        if zone == "Asia/Tokyo":
            shot(page, "agent_day_ticket_times_tokyo")
        context.close()
    assert shown["America/New_York"] != shown["Asia/Tokyo"]


def test_a_canned_reply_is_picked_with_the_keyboard_and_edited_before_sending(
    browser: Browser, server: tuple[str, Settings], engine: Engine
) -> None:
    base, settings = server
    handoff = new_handoff(engine, settings)
    tag = uuid.uuid4().hex[:6]
    with session_scope(engine) as s:
        author = s.exec(select(User).where(User.email == "editor@example.com")).one()
        for title, locale, body in (
            (
                f"Refund {tag}",
                "en",
                "Hello {visitor_email}, your refund for ticket {ticket_id} is on its way. {agent_name}",
            ),
            (f"Shipping {tag}", "en", "Parcels leave within a day."),
            (f"Erstattung {tag}", "de", "Hallo {visitor_name}"),
        ):
            canned.create_reply(s, title=title, shortcut="", locale=locale, body=body, by=author, settings=settings)
        stored = handoffs.get_handoff(s, handoff_id=handoff.id or 0)
        stored.name = "Ana"
    context = agent_context(browser)
    page = context.new_page()
    errors = errors_of(page)
    sign_in(page, base, path=f"/admin/inbox/{handoff.id}")
    page.get_by_text("Canned replies").first.click()  # the <details> opens
    search = page.get_by_role("combobox", name="Find a canned reply")
    expect(page.get_by_role("option", name=f"Erstattung {tag}")).to_have_count(0)  # another locale
    search.fill(f"refund {tag}")
    options = page.locator("#canned-list [role=option]:visible")
    expect(options).to_have_count(1)
    search.press("ArrowDown")
    search.press("ArrowUp")
    expect(options.first).to_have_attribute("aria-selected", "true")
    shot(page, "agent_day_canned_picker")
    search.press("Enter")
    reply = page.get_by_label("Reply (Markdown)")
    expect(reply).to_be_focused()
    expect(reply).to_have_value(
        re.compile(rf"^Hello {re.escape(handoff.email)}, your refund for ticket {handoff.id} is on its way\. \S")
    )
    reply.press("End")
    reply.type(" Kind regards!")
    page.get_by_role("button", name="Send reply").click()
    expect(page.locator("#transcript li.msg-agent").last).to_contain_text("Kind regards!")
    context.close()
    assert not errors, errors


def test_phone_ticket_page(browser: Browser, server: tuple[str, Settings], engine: Engine) -> None:
    base, settings = server
    handoff = new_handoff(engine, settings)
    context = browser.new_context(viewport=PHONE, timezone_id="Europe/Amsterdam")
    page = context.new_page()
    sign_in(page, base, path=f"/admin/inbox/{handoff.id}")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"] + 1, f"the ticket page scrolls sideways on a phone ({width}px)"
    shot(page, "agent_day_ticket_phone")
    context.close()


def test_an_editor_manages_canned_replies(page: Page, server: tuple[str, Settings]) -> None:
    base, _ = server
    sign_in(page, base, email="editor@example.com", path="/admin/canned")
    title = f"Delay {uuid.uuid4().hex[:6]}"
    form = page.locator("form.canned-form")
    form.get_by_label("Title").fill(title)
    form.get_by_label("Locale").select_option("nl")
    form.get_by_label("Text", exact=False).fill("Hoi {naam}, het pakket is onderweg.")
    form.get_by_role("button", name="Create").click()
    expect(page.get_by_role("alert")).to_contain_text("unknown placeholder {naam}")
    expect(form.get_by_label("Title")).to_have_value(title)  # what the editor typed is kept
    shot(page, "agent_day_canned_refused")
    form.get_by_label("Text", exact=False).fill("Hoi {visitor_name}, het pakket is onderweg.")
    form.get_by_role("button", name="Create").click()
    expect(page.get_by_role("link", name=title)).to_be_visible()
    shot(page, "agent_day_canned_list")


def test_the_conversation_browser_filters_and_opens_a_transcript(
    browser: Browser, server: tuple[str, Settings], engine: Engine
) -> None:
    base, settings = server
    handoff = new_handoff(engine, settings)
    context = agent_context(browser)
    page = context.new_page()
    errors = errors_of(page)
    sign_in(page, base, path="/admin/conversations")
    page.get_by_label("Bot decision").select_option(label="suggested articles")
    page.get_by_label("Intent").select_option("pause_subscription")
    page.get_by_label("Locale").select_option("en")
    page.get_by_role("button", name="Filter").click()  # the conversations of any day
    expect(page).to_have_url(re.compile(r"decision=suggest&intent=pause_subscription&outcome=&locale=en"))
    row = page.locator("#conversations tbody tr", has_text=f"ticket #{handoff.id}")
    expect(row).to_have_count(1)
    shot(page, "agent_day_conversations")
    row.get_by_role("link").first.click()
    expect(page.locator("#transcript li.msg-bot").first).to_contain_text("Decision answer")
    expect(page.get_by_role("link", name=f"ticket #{handoff.id}")).to_be_visible()
    shot(page, "agent_day_conversation")
    context.close()
    assert not errors, errors
