"""The visitor's journeys of issue 13 in a real browser, on a desktop and a 390 px phone, in en/de/nl:
the handoff step (left, refused field by field, collapsed once sent), help after a miss, the JavaScript
API from a host page on another origin, the unread badge, votes and ratings kept across reloads, the
help view, icons and sizes. Screenshots of each journey are saved with ``shot``."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, Locator, Page, expect
from sqlmodel import select

from core.accounts import User
from core.db import make_engine, session_scope
from support import conversations, handoffs
from support.models import Conversation, Handoff, Sender
from tests.browser.conftest import PHONE, ChatServer, shot
from tests.browser.test_widget import agent_replies, ask, conversation_id, launcher, open_chat, panel

# Loaded by the host page before widget.js: the embed snippet's stub (api/widget_embed.py) and calls that
# must wait in its queue until the script has loaded.
API_HOST_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>API host</title></head>
<body><h1>A shop using the JavaScript API</h1>
<script>
  window.faqdesk = window.faqdesk || function () { (faqdesk.q = faqdesk.q || []).push(arguments); };
  faqdesk("identify", { email: "Anna@Example.com", name: "Anna" });
  faqdesk("setLocale", "nl");
  faqdesk("onReady", function () { window.widgetReady = (window.widgetReady || 0) + 1; });
  faqdesk("open");
</script>
<script src="APP/widget/v1/widget.js" async></script></body></html>"""


def widget(page: Page, selector: str) -> Locator:
    return page.locator("#faqdesk-widget " + selector)


@pytest.fixture()
def phone(browser: Browser) -> Page:
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    tab = context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda error: errors.append(str(error)))
    yield tab  # type: ignore[misc]
    context.close()
    assert not errors, f"JavaScript errors: {errors}"


def box(locator: Locator) -> dict[str, float]:
    found = locator.bounding_box()
    assert found is not None, "not on screen"
    return found


@pytest.mark.parametrize("device", ["desktop", "phone"])
def test_the_handoff_step_can_be_left_refuses_fields_in_place_and_collapses_once_sent(
    page: Page, phone: Page, chat_server: ChatServer, device: str
) -> None:
    tab = phone if device == "phone" else page
    open_chat(tab, chat_server.url + "/")
    if device == "phone":  # full screen under 480 px
        assert box(panel(tab))["width"] == PHONE["width"] and box(panel(tab))["height"] == PHONE["height"]
    ask(tab, "I want to talk to a person")
    email = tab.get_by_label("Email (required)")
    expect(email).to_be_focused()
    # The step never takes most of the panel: the conversation keeps at least as much room.
    assert box(widget(tab, ".card.handoff"))["height"] <= box(widget(tab, ".log"))["height"]
    # The send button stays in sight at the step's bottom edge, however far its fields scroll.
    expect(tab.get_by_role("button", name="Send to the team")).to_be_in_viewport(ratio=1)
    shot(tab, f"widget-handoff-step-{device}")

    tab.keyboard.press("Escape")  # leaves the step, not the chat
    expect(email).to_be_hidden()
    expect(panel(tab)).to_be_visible()
    widget(tab, ".msg.bot button.talk").last.click()  # offered again in the bubble
    expect(email).to_be_focused()
    tab.get_by_role("button", name="Back to the chat").click()
    expect(email).to_be_hidden()
    expect(tab.get_by_label("Your question")).to_be_focused()

    widget(tab, ".msg.bot button.talk").last.click()
    email.fill("anna.schmidt@example")  # the browser's own check lets this through; the server does not
    tab.get_by_role("button", name="Send to the team").click()
    error = tab.locator("#faqdesk-widget #faqdesk-email-error")
    expect(error).to_have_text("Enter an email address like name@example.com.")
    expect(email).to_have_attribute("aria-invalid", "true")
    expect(email).to_be_focused()
    expect(widget(tab, ".notice.error")).to_have_count(0)  # no generic error with a useless retry
    shot(tab, f"widget-handoff-field-error-{device}")

    email.fill("anna.schmidt@example.com")
    tab.get_by_role("button", name="Send to the team").click()
    sent = widget(tab, ".card.sent")
    expect(sent).to_contain_text("Sent to our team")
    expect(sent).to_contain_text("anna.schmidt@example.com")
    expect(email).to_be_hidden()
    assert box(sent)["height"] < 40  # one line
    expect(widget(tab, ".msg.system")).to_contain_text("anna.schmidt@example.com")
    shot(tab, f"widget-handoff-sent-{device}")


@pytest.mark.parametrize(
    ("locale", "launch", "message"),
    [
        ("de", "Chatten Sie mit uns", "Geben Sie eine E-Mail-Adresse wie name@example.com ein."),
        ("nl", "Chat met ons", "Vul een e-mailadres in zoals naam@voorbeeld.nl."),
    ],
)
def test_field_errors_come_in_the_visitors_language(
    page: Page, chat_server: ChatServer, locale: str, launch: str, message: str
) -> None:
    (chat_server.site / f"shop-{locale}.html").write_text(
        f'<!doctype html><html lang="{locale}"><head><meta charset="utf-8"><title>Shop</title></head><body>'
        f'<script src="{chat_server.url}/widget/v1/widget.js" defer></script></body></html>',
        encoding="utf-8",
    )
    page.goto(f"{chat_server.allowed_host}/shop-{locale}.html")
    page.get_by_role("button", name=launch).click()
    box_ = page.locator("#faqdesk-widget #faqdesk-input")
    box_.fill("qwertyuiop asdfghjkl")
    box_.press("Enter")
    widget(page, ".msg.bot button.talk").last.click()
    page.locator("#faqdesk-widget #faqdesk-email").fill("anna.schmidt@example")
    page.locator("#faqdesk-widget #faqdesk-email").press("Enter")
    expect(page.locator("#faqdesk-widget #faqdesk-email-error")).to_have_text(message)
    shot(page, f"widget-field-error-{locale}")


def test_a_miss_offers_articles_a_rephrase_and_a_person_and_small_talk_asks_nothing(
    page: Page, chat_server: ChatServer
) -> None:
    open_chat(page, chat_server.url + "/")
    hello = ask(page, "Hello")
    expect(hello.get_by_text("Did this help?")).to_have_count(0)
    expect(hello.get_by_role("button", name="Talk to a person")).to_have_count(0)
    miss = ask(page, "xyz qwerty")
    expect(miss.locator(".hint")).to_have_text("You can also ask again in other words.")
    expect(miss.get_by_text("Did this help?")).to_have_count(0)
    expect(page.get_by_label("Email (required)")).to_have_count(0)  # offered, not forced
    shot(page, "widget-miss-offers-help")
    miss.get_by_role("button", name="Talk to a person").click()
    expect(page.get_by_label("Email (required)")).to_be_focused()


def test_the_javascript_api_queues_calls_from_a_host_page_on_another_origin(
    page: Page, chat_server: ChatServer
) -> None:
    (chat_server.site / "api.html").write_text(API_HOST_PAGE.replace("APP", chat_server.url), encoding="utf-8")
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.goto(chat_server.allowed_host + "/api.html")
    # The queued calls ran in order once the script loaded: Dutch, open, ready once.
    expect(panel(page)).to_be_visible()
    expect(launcher(page)).to_have_attribute("aria-label", "Chat met ons")
    expect(page.get_by_role("log")).to_contain_text("Hallo")
    assert page.evaluate("() => window.widgetReady") == 1
    ask_box = page.get_by_label("Je vraag")
    expect(ask_box).to_be_focused()
    # identify() filled the handoff form in.
    ask_box.fill("qwertyuiop asdfghjkl")
    ask_box.press("Enter")
    widget(page, ".msg.bot button.talk").last.click()
    expect(page.locator("#faqdesk-widget #faqdesk-email")).to_have_value("Anna@Example.com")
    expect(page.locator("#faqdesk-widget #faqdesk-name")).to_have_value("Anna")
    shot(page, "widget-js-api-other-origin")
    # Calls after loading run at once.
    page.evaluate("() => faqdesk('close')")
    expect(panel(page)).to_be_hidden()
    page.evaluate("() => faqdesk('toggle')")
    expect(panel(page)).to_be_visible()
    page.evaluate("() => faqdesk('setLocale', 'de')")
    expect(launcher(page)).to_have_attribute("aria-label", "Chatten Sie mit uns")
    page.evaluate("() => faqdesk('no-such-command')")  # ignored, with a console warning
    # No third-party requests: only the host page's origin and the faqdesk server.
    origins = {f"{urlsplit(u).scheme}://{urlsplit(u).netloc}" for u in requests if u.startswith("http")}
    assert origins <= {chat_server.allowed_host, chat_server.url}, origins


def test_the_launcher_counts_agent_replies_while_closed_even_after_a_reload(
    page: Page, chat_server: ChatServer
) -> None:
    open_chat(page, chat_server.url + "/")
    ask(page, "I want to talk to a person")
    page.get_by_label("Email (required)").fill("badge@example.com")
    page.get_by_role("button", name="Send to the team").click()
    expect(widget(page, ".card.sent")).to_be_visible()
    launcher(page).click()  # closed
    expect(panel(page)).to_be_hidden()
    agent_replies(chat_server, page, "A reply while you were away")
    badge = widget(page, ".launcher .badge")
    expect(badge).to_have_text("1", timeout=10_000)
    expect(launcher(page)).to_have_attribute("aria-label", "Chat with us (New messages: 1)")
    shot(page, "widget-unread-badge")
    launcher(page).click()
    expect(badge).to_be_hidden()
    expect(launcher(page)).to_have_attribute("aria-label", "Chat with us")
    expect(widget(page, ".msg.agent")).to_contain_text("A reply while you were away")

    # Closed after the reload: the transcript and live updates start with the page.
    with page.expect_request(lambda request: "/events?" in request.url or "/messages?after=" in request.url):
        page.reload()
    expect(panel(page)).to_be_hidden()
    agent_replies(chat_server, page, "Another reply")
    expect(badge).to_have_text("1", timeout=10_000)
    launcher(page).click()
    expect(widget(page, ".msg.agent .body")).to_have_text(["A reply while you were away", "Another reply"])
    expect(widget(page, ".card.sent")).to_contain_text("badge@example.com")

    # A reply that comes while the page is away (or still loading) is new too: the restored transcript
    # counts what is past the last message the page showed.
    launcher(page).click()  # closed
    known = conversation_id(page)
    page.goto("about:blank")
    with session_scope(make_engine(chat_server.settings.database_url)) as session:
        conversation = session.get(Conversation, known)
        assert conversation is not None
        conversations.add_message(session, conversation=conversation, sender=Sender.agent, text="While away")
    page.goto(chat_server.url + "/")
    expect(badge).to_have_text("1", timeout=10_000)
    launcher(page).click()
    expect(widget(page, ".msg.agent .body")).to_have_text(
        ["A reply while you were away", "Another reply", "While away"]
    )


def test_votes_and_ratings_are_kept_across_reloads(page: Page, chat_server: ChatServer) -> None:
    open_chat(page, chat_server.url + "/")
    answer = ask(page, "How can I pause my subscription?")
    no = answer.get_by_role("button", name="No, this did not help")
    no.click()
    expect(no).to_have_attribute("aria-pressed", "true")
    expect(answer.get_by_role("button", name="Talk to a person")).to_be_visible()  # a person offered after a "no"
    assert answer.locator("svg").count() >= 2 and "👍" not in answer.inner_text()  # icons, not emoji
    page.reload()
    launcher(page).click()
    restored = widget(page, ".msg.bot").last
    expect(restored.get_by_role("button", name="No, this did not help")).to_have_attribute("aria-pressed", "true")
    expect(restored.get_by_role("button", name="Yes, this helped")).to_have_attribute("aria-pressed", "false")
    expect(restored.get_by_role("button", name="Talk to a person")).to_have_count(1)
    shot(page, "widget-vote-after-reload")

    # A resolved handoff asks for a rating once; after a reload the rating given is shown, not asked again.
    ask(page, "I want to talk to a person")
    page.get_by_label("Email (required)").fill("rater@example.com")
    page.get_by_role("button", name="Send to the team").click()
    expect(widget(page, ".card.sent")).to_be_visible()
    with session_scope(make_engine(chat_server.settings.database_url)) as session:
        handoff = session.exec(select(Handoff).where(Handoff.conversation_id == conversation_id(page))).one()
        agent = session.exec(select(User).where(User.email == "agent@example.com")).one()
        handoffs.resolve(session, handoff=handoff, agent=agent, settings=chat_server.settings)
    page.get_by_label("5 of 5").check(timeout=10_000)
    page.get_by_role("button", name="Send rating").click()
    expect(page.get_by_text("Thank you for your rating!")).to_be_visible()
    page.reload()
    launcher(page).click()
    expect(widget(page, ".msg.system .body").last).to_have_text("Thank you for your rating! 5 of 5")
    expect(page.get_by_role("button", name="Send rating")).to_have_count(0)


@pytest.mark.parametrize("device", ["desktop", "phone"])
def test_the_help_view_lists_popular_articles_and_searches(
    page: Page, phone: Page, chat_server: ChatServer, device: str
) -> None:
    tab = phone if device == "phone" else page
    open_chat(tab, chat_server.url + "/")
    tab.get_by_role("button", name="Help articles").click()
    search = tab.get_by_label("Search the help center")
    expect(search).to_be_focused()
    popular = widget(tab, ".helpview .articles").first
    # The locale's popular articles, as the help-center API ranks them (views and votes), at most five.
    ranked = tab.request.get(chat_server.url + "/api/v1/articles?locale=en&sort=popular&limit=5").json()
    assert ranked, "the demo content has published English articles"
    expect(popular.locator("a")).to_have_count(len(ranked))
    titles = [" ".join(t.replace("(opens in a new tab)", "").split()) for t in popular.locator("a").all_inner_texts()]
    assert titles == [article["title"] for article in ranked]
    search.fill("pause subscription")
    search.press("Enter")
    results = widget(tab, ".helpview [role=status]")
    expect(results.get_by_role("heading", name="Search results")).to_be_visible()
    link = results.locator("a").first
    expect(link).to_have_attribute("target", "_blank")
    assert (link.get_attribute("href") or "").startswith(chat_server.url + "/hc/en/articles/")
    shot(tab, f"widget-help-view-{device}")
    tab.keyboard.press("Escape")  # back to the chat
    expect(tab.get_by_label("Your question")).to_be_visible()


def test_inputs_are_16px_and_the_launcher_uses_an_icon(phone: Page, chat_server: ChatServer) -> None:
    open_chat(phone, chat_server.url + "/")
    for selector in ("#faqdesk-input",):
        assert phone.locator("#faqdesk-widget " + selector).evaluate("e => getComputedStyle(e).fontSize") == "16px"
    phone.get_by_role("button", name="Close chat").click()
    expect(launcher(phone).locator("svg")).to_have_count(1)
    assert box(launcher(phone))["x"] + box(launcher(phone))["width"] <= PHONE["width"]
