"""Findings of the widget's browser audit, each in a real browser: the unread badge across reloads, a second
tab after a handoff in the first, keyboard focus in the full-screen chat, switching language mid-conversation,
long conversations restored whole, right-to-left text and long messages."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Locator, Page, ViewportSize, expect

from api.widget_schemas import MessageIn
from core.db import make_engine, session_scope
from support import conversations
from support.models import Conversation, Sender
from tests.browser.conftest import ChatServer, shot, watched_tab
from tests.browser.test_widget import agent_replies, ask, conversation_id, launcher, open_chat, panel

SMALL_PHONE: ViewportSize = {"width": 360, "height": 740}


def widget(page: Page, selector: str) -> Locator:
    return page.locator("#faqdesk-widget " + selector)


def hand_off(page: Page, email: str) -> None:
    ask(page, "I want to talk to a person")
    page.get_by_label("Email (required)").fill(email)
    page.get_by_role("button", name="Send to the team").click()
    expect(widget(page, ".card.sent")).to_be_visible()


def focused_in_widget(page: Page) -> str:
    """The class of what has focus inside the widget, or "" when focus is on the host page."""
    return str(
        page.evaluate(
            "() => { const host = document.activeElement; if (!host || host.id !== 'faqdesk-widget') return '';"
            " const inner = host.shadowRoot.activeElement; return inner ? inner.className || inner.tagName : ''; }"
        )
    )


@pytest.fixture()
def small_phone(browser: Browser) -> Iterator[Page]:
    with watched_tab(browser, viewport=SMALL_PHONE, is_mobile=True, has_touch=True) as tab:
        yield tab


def test_an_unread_reply_keeps_its_badge_across_reloads_until_the_panel_is_opened(
    page: Page, chat_server: ChatServer
) -> None:
    open_chat(page, chat_server.url + "/")
    hand_off(page, "unread@example.com")
    launcher(page).click()  # closed
    agent_replies(chat_server, page, "A reply you have not read")
    badge = widget(page, ".launcher .badge")
    expect(badge).to_have_text("1", timeout=10_000)

    # The live stream had the reply before the reload; the visitor had not seen it.
    page.reload()
    expect(badge).to_have_text("1", timeout=10_000)
    page.reload()  # as often as the visitor likes
    expect(badge).to_have_text("1", timeout=10_000)
    expect(launcher(page)).to_have_attribute("aria-label", "Chat with us (New messages: 1)")

    launcher(page).click()  # seen now
    expect(badge).to_be_hidden()
    expect(widget(page, ".msg.agent .body")).to_have_text(["A reply you have not read"])
    launcher(page).click()
    with page.expect_response(lambda response: "/messages?after=0" in response.url):
        page.reload()
    page.wait_for_timeout(500)  # the restored transcript is on the page (closed) by now
    expect(badge).to_be_hidden()

    # A second reply counts alone, before and after a reload.
    agent_replies(chat_server, page, "Another one")
    expect(badge).to_have_text("1", timeout=10_000)
    page.reload()
    expect(badge).to_have_text("1", timeout=10_000)
    launcher(page).click()
    expect(widget(page, ".msg.agent .body")).to_have_text(["A reply you have not read", "Another one"])


def test_a_tab_that_missed_the_handoff_learns_of_it_from_its_next_message(page: Page, chat_server: ChatServer) -> None:
    first = page
    open_chat(first, chat_server.url + "/")
    ask(first, "When will my box arrive?")
    # A second tab with a copy of the first one's sessionStorage (as "Duplicate tab" makes it).
    stored = first.evaluate("() => JSON.stringify(Object.entries(sessionStorage))")
    second = first.context.new_page()
    errors: list[str] = []
    second.on("pageerror", lambda error: errors.append(str(error)))
    second.goto(chat_server.url + "/")
    second.evaluate("(entries) => { for (const [k, v] of JSON.parse(entries)) sessionStorage.setItem(k, v); }", stored)
    second.reload()
    assert conversation_id(second) == conversation_id(first)

    hand_off(first, "twotabs@example.com")  # in the first tab only
    launcher(second).click()
    expect(widget(second, ".msg.system")).to_contain_text(["twotabs@example.com"])  # the transcript, restored
    expect(second.get_by_label("Email (required)")).to_have_count(0)
    told = ask(second, "Are you still there?")
    expect(told).to_have_class("msg system")
    expect(told).to_contain_text("Thanks, your message has been passed on to our team.")
    expect(second.get_by_label("Email (required)")).to_have_count(0)  # no handoff form: the team has it
    expect(widget(second, ".card.sent")).to_contain_text("Sent to our team")
    again = ask(second, "Hello?")
    expect(again).to_have_class("msg system")
    expect(second.get_by_label("Email (required)")).to_have_count(0)
    shot(second, "widget-second-tab-after-handoff")

    # Live updates run in the second tab too.
    agent_replies(chat_server, second, "Hello from the team")
    expect(widget(second, ".msg.agent .body")).to_have_text(["Hello from the team"], timeout=10_000)
    second.close()
    assert not errors, f"JavaScript errors: {errors}"


def test_an_older_talk_button_after_a_handoff_in_another_tab_asks_for_nothing_again(
    page: Page, chat_server: ChatServer
) -> None:
    first = page
    open_chat(first, chat_server.url + "/")
    ask(first, "How can I pause my subscription?")
    stored = first.evaluate("() => JSON.stringify(Object.entries(sessionStorage))")
    second = first.context.new_page()
    second.goto(chat_server.url + "/")
    second.evaluate("(entries) => { for (const [k, v] of JSON.parse(entries)) sessionStorage.setItem(k, v); }", stored)
    second.reload()
    launcher(second).click()
    restored = widget(second, ".msg.bot").last
    restored.get_by_role("button", name="No, this did not help").click()
    talk = restored.get_by_role("button", name="Talk to a person")  # offered after the "no", in this tab
    expect(talk).to_be_visible()
    hand_off(first, "olderbutton@example.com")  # in the first tab
    # The second tab learns of it from its next message (the handoff's own notice may come along too).
    box = second.get_by_label("Your question")
    box.fill("Are you still there?")
    box.press("Enter")
    expect(widget(second, ".msg.system").filter(has_text="passed on to our team")).to_have_count(1)
    talk.click()
    expect(second.get_by_label("Email (required)")).to_have_count(0)  # the team has it: no form again
    expect(widget(second, ".card.sent")).to_contain_text("Sent to our team")
    second.close()


def test_the_full_screen_chat_keeps_keyboard_focus_inside_and_is_modal(
    small_phone: Page, chat_server: ChatServer
) -> None:
    tab = small_phone
    open_chat(tab, chat_server.url + "/")  # the demo page has links behind the panel
    dialog = panel(tab)
    expect(dialog).to_have_attribute("aria-modal", "true")
    expect(tab.get_by_label("Your question")).to_be_focused()
    tab.keyboard.press("Tab")
    expect(tab.get_by_role("button", name="Send")).to_be_focused()
    tab.keyboard.press("Tab")  # round to the panel's first control, not the hidden page's links
    assert focused_in_widget(tab) == "helpbtn"
    tab.keyboard.press("Shift+Tab")  # and back round to the last
    expect(tab.get_by_role("button", name="Send")).to_be_focused()
    for _ in range(12):  # a full round and more never leaves the panel
        tab.keyboard.press("Tab")
        assert focused_in_widget(tab), "focus went to the host page"

    # In the help view the composer is hidden: its last control is the way back to the chat.
    tab.get_by_role("button", name="Help articles").click()
    back = tab.get_by_role("button", name="Back to the chat")
    back.focus()
    tab.keyboard.press("Tab")
    assert focused_in_widget(tab) == "helpbtn"
    tab.keyboard.press("Shift+Tab")
    expect(back).to_be_focused()

    # Wider than 480 px, the panel stands beside the page: not modal, Tab goes on to the page.
    tab.set_viewport_size({"width": 1024, "height": 740})
    expect(dialog).to_have_attribute("aria-modal", "false")
    tab.set_viewport_size(SMALL_PHONE)
    expect(dialog).to_have_attribute("aria-modal", "true")


def test_switching_the_language_mid_conversation_switches_the_bots_too(page: Page, chat_server: ChatServer) -> None:
    open_chat(page, chat_server.url + "/")
    expect(ask(page, "Hello")).to_contain_text("Hello! How can I help?")
    sent: list[dict[str, object]] = []
    page.on(
        "request",
        lambda r: sent.append(json.loads(r.post_data or "{}")) if r.url.endswith("/messages") else None,
    )
    page.evaluate("() => faqdesk('setLocale', 'de')")
    expect(launcher(page)).to_have_attribute("aria-label", "Chatten Sie mit uns")
    expect(ask(page, "Hallo")).to_contain_text("Hallo! Wie kann ich helfen?")
    assert sent and sent[-1]["locale"] == "de"
    # Said once: the conversation keeps it (and may still follow a visitor who writes another language).
    expect(ask(page, "Hallo")).to_contain_text("Hallo! Wie kann ich helfen?")
    assert len(sent) == 2 and "locale" not in sent[-1]
    with session_scope(make_engine(chat_server.settings.database_url)) as session:
        conversation = session.get(Conversation, conversation_id(page))
        assert conversation is not None and conversation.locale == "de"


def test_a_long_conversation_is_restored_whole(page: Page, chat_server: ChatServer) -> None:
    open_chat(page, chat_server.url + "/")
    ask(page, "Hello")
    with session_scope(make_engine(chat_server.settings.database_url)) as session:
        conversation = session.get(Conversation, conversation_id(page))
        assert conversation is not None
        for n in range(450):  # the API sends 200 a call: three pages
            conversations.add_message(session, conversation=conversation, sender=Sender.visitor, text=f"message {n}")
    page.reload()
    launcher(page).click()
    mine = widget(page, ".msg.visitor .body")
    expect(mine).to_have_count(451, timeout=15_000)
    expect(mine.last).to_have_text("message 449")
    ask(page, "Hello again")  # and the conversation goes on
    expect(mine).to_have_count(452)


def test_right_to_left_text_is_shown_right_to_left(page: Page, chat_server: ChatServer) -> None:
    open_chat(page, chat_server.url + "/")
    box = page.get_by_label("Your question")
    arabic = "أين طلبي؟"
    box.fill(arabic)
    assert box.evaluate("e => getComputedStyle(e).direction") == "rtl"
    box.fill("Where is my order?")
    assert box.evaluate("e => getComputedStyle(e).direction") == "ltr"
    reply = ask(page, arabic)
    mine = widget(page, ".msg.visitor .body").last
    expect(mine).to_have_text(arabic)
    assert mine.evaluate("e => getComputedStyle(e).direction") == "rtl"
    # The bot's English stays left to right, as does the bubble's reading order around it.
    assert reply.locator(".body").evaluate("e => getComputedStyle(e).direction") == "ltr"
    ask(page, "I want to talk to a person")  # the handoff form's message too
    message = page.locator("#faqdesk-widget #faqdesk-message")
    message.fill(arabic)
    assert message.evaluate("e => getComputedStyle(e).direction") == "rtl"


def test_a_long_message_is_sent_whole_up_to_the_servers_limit(page: Page, chat_server: ChatServer) -> None:
    limit = MessageIn.model_fields["text"].metadata[0].max_length
    assert limit == conversations.MAX_TEXT
    open_chat(page, chat_server.url + "/")
    box = page.get_by_label("Your question")
    expect(box).to_have_attribute("maxlength", str(limit))
    pasted = ("Where is my order? " * 100)[:1500].strip()
    box.focus()
    page.keyboard.insert_text(pasted)  # as a paste arrives
    assert box.input_value() == pasted
    box.press("Enter")
    expect(widget(page, ".msg.visitor .body").last).to_have_text(pasted, timeout=30_000)
    expect(widget(page, ".msg.bot")).to_have_count(2, timeout=30_000)  # the greeting, then a reply: not refused
    with session_scope(make_engine(chat_server.settings.database_url)) as session:
        conversation = session.get(Conversation, conversation_id(page))
        assert conversation is not None
        said = conversations.messages_after(session, conversation=conversation)
        assert [m.text for m in said if m.sender is Sender.visitor] == [pasted]
