"""A visitor and an agent in two browsers: the back office follows the visitor without a reload, and a
reply shown in the visitor's widget is marked seen (so it is never emailed), while nothing is lost."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, Route, expect
from sqlmodel import Session, col, select

from core.db import make_engine
from support.models import Message, Sender
from tests.admin.conftest import PASSWORD
from tests.browser.conftest import ChatServer
from tests.browser.test_widget import ask, conversation_id, launcher, open_chat

# The chat server (tests/browser/conftest.py) has a trained mini model: the shared live server has none,
# and the visitor needs one to reach the handoff form.

LIVE = 15_000  # ms: the back office polls every 4-5 s


@pytest.fixture()
def agent_page(browser: Browser, chat_server: ChatServer) -> Iterator[Page]:
    """A signed-in agent in a browser of their own; any script error fails the test."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    tab = context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda error: errors.append(str(error)))
    tab.goto(f"{chat_server.url}/admin/inbox")
    tab.get_by_label("Email").fill("agent@example.com")
    tab.get_by_label("Password").fill(PASSWORD)
    tab.get_by_role("button", name="Sign in").click()
    expect(tab).to_have_url(f"{chat_server.url}/admin/inbox")
    yield tab
    context.close()
    assert not errors, f"JavaScript errors in the back office: {errors}"


def say(page: Page, text: str) -> None:
    """The visitor writes after the handoff (the team gets it; the server acknowledges with a notice)."""
    notices = page.locator("#faqdesk-widget .log .msg.system")
    before = notices.count()
    box = page.get_by_label("Your question")
    box.fill(text)
    box.press("Enter")
    expect(notices).to_have_count(before + 1, timeout=LIVE)


def test_the_back_office_follows_the_visitor_and_a_shown_reply_counts_as_seen(
    page: Page, agent_page: Page, chat_server: ChatServer
) -> None:
    # The visitor asks for a person.
    email = f"live.{uuid.uuid4().hex[:8]}@example.com"
    open_chat(page, chat_server.url + "/")
    ask(page, "I want to talk to a person")
    page.get_by_label("Email (required)").fill(email)
    page.get_by_role("button", name="Send to the team").click()
    expect(page.locator("#faqdesk-widget .msg.system")).to_contain_text(email)

    # The agent's inbox shows the handoff, then marks it when the visitor writes again, without a reload.
    agent_page.reload()
    row = agent_page.locator("#inbox-rows tr", has_text=email)
    expect(row).to_have_count(1)
    agent_page.evaluate("window.notReloaded = true")
    say(page, "I forgot: my order number is 12345")
    expect(row).to_contain_text("new message from the visitor", timeout=LIVE)
    assert agent_page.evaluate("window.notReloaded === true")

    # The open ticket page shows the next message as it arrives.
    row.get_by_role("link", name=email).click()
    transcript = agent_page.locator("#transcript")
    expect(transcript).to_contain_text("my order number is 12345")
    agent_page.evaluate("window.notReloaded = true")
    say(page, "Are you still there?")
    expect(transcript.locator("li.msg-visitor").last).to_contain_text("Are you still there?", timeout=LIVE)
    assert agent_page.evaluate("window.notReloaded === true")

    # The agent replies; the visitor's open widget shows it and says so; the ticket page follows.
    agent_page.get_by_label("Reply (Markdown)").fill("Yes, **we are here**.")
    agent_page.get_by_role("button", name="Send reply").click()
    expect(agent_page.get_by_role("status").first).to_have_text("Reply sent.")
    expect(page.locator("#faqdesk-widget .msg.agent strong")).to_have_text("we are here", timeout=LIVE)
    expect(agent_page.locator(".reply-state").last).to_contain_text("Seen by the visitor in the chat", timeout=LIVE)

    engine = make_engine(chat_server.settings.database_url)
    with Session(engine) as session:
        (reply,) = session.exec(
            select(Message).where(Message.conversation_id == conversation_id(page), col(Message.sender) == Sender.agent)
        ).all()
        assert reply.seen_at is not None and reply.email_due_at is None and reply.emailed_at is None
    engine.dispose()


def test_a_notice_the_event_stream_brings_before_the_reply_is_shown_once(page: Page, chat_server: ChatServer) -> None:
    """After a handoff the server acknowledges each visitor message with a notice, which both the POST's
    response and the event stream bring; whichever comes first shows it, the other does not repeat it."""
    open_chat(page, chat_server.url + "/")
    ask(page, "I want to talk to a person")
    page.get_by_label("Email (required)").fill(f"race.{uuid.uuid4().hex[:8]}@example.com")
    page.get_by_role("button", name="Send to the team").click()
    notices = page.locator("#faqdesk-widget .log .msg.system")
    expect(notices).to_have_count(1)

    def late(route: Route) -> None:
        if route.request.method != "POST":
            route.continue_()
            return
        response = route.fetch()
        time.sleep(3)  # the stream delivers the stored notice meanwhile
        route.fulfill(response=response)

    page.route("**/api/v1/conversations/*/messages", late)
    box = page.get_by_label("Your question")
    box.fill("Are you still there?")
    box.press("Enter")
    expect(notices).to_have_count(2, timeout=LIVE)
    expect(page.locator("#faqdesk-widget .log .msg.visitor")).to_have_count(2)
    expect(page.locator("#faqdesk-widget .log")).to_have_attribute("aria-busy", "false", timeout=LIVE)  # replied
    page.wait_for_timeout(500)
    expect(notices).to_have_count(2)
    # After a reload the transcript is rebuilt from the server: every message once, the bot's reply that
    # led to the handoff as a notice too.
    page.unroute("**/api/v1/conversations/*/messages")
    page.reload()
    launcher(page).click()
    expect(page.locator("#faqdesk-widget .log .msg.visitor")).to_have_count(2)
    expect(notices).to_have_count(3)
