"""Journeys of issue 13 seen in Chromium: "Did you mean" buttons with intent titles, a miss that offers
a person without forcing one, "What was missing?" after a No on an article, popular articles, and the
intents editor's "try a phrase" box. Screenshots go with the test output (conftest.shot)."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.admin.conftest import PASSWORD
from tests.browser.conftest import PHONE, ChatServer, shot
from tests.browser.test_widget import ask, ask_until_options, open_chat


def sign_in_to(page: Page, url: str) -> None:
    """Open a back-office page as the editor: the sign-in form, then the page itself."""
    page.goto(url)
    page.get_by_label("Email").fill("editor@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(url)


def test_did_you_mean_buttons_show_the_intents_titles(page: Page, chat_server: ChatServer) -> None:
    open_chat(page, chat_server.url + "/")
    labels = [b.inner_text().strip() for b in ask_until_options(page).get_by_role("button").all()]
    titles = {
        "Can I pause my subscription?",
        "How do I cancel my subscription?",
        "When will my box arrive?",
        "Which payment methods can I use?",
    }
    # Each option of a titled intent reads as the editor's question, never as a raw training line.
    assert set(labels) & titles and not set(labels) & {"pause my plan", "delivery payment"}, labels
    shot(page, "widget-did-you-mean-titles")


def test_a_miss_offers_and_only_repeated_misses_with_nothing_to_suggest_hand_off(
    page: Page, chat_server: ChatServer
) -> None:
    open_chat(page, chat_server.url + "/")
    email = page.locator("#faqdesk-widget").get_by_label("Email", exact=False)
    first = ask(page, "qwertyuiop asdfghjkl zxcvbnm")
    expect(first).to_contain_text("rephrase")  # a rephrase and a person offered, no form pushed
    expect(email).to_have_count(0)
    shot(page, "widget-a-miss-offers")
    second = ask(page, "blorp flibber wuzzle")
    expect(second).to_contain_text("Let me connect you with a person")
    expect(email.first).to_be_visible()
    shot(page, "widget-second-miss-nothing-to-suggest")


def test_a_no_on_an_article_asks_what_was_missing(page: Page, live_server: str) -> None:
    page.set_viewport_size(PHONE)
    page.goto(f"{live_server}/hc/nl/articles/refund-status")
    page.get_by_role("button", name="Nee").click()
    box = page.get_by_label("Bedankt voor je reactie. Wat ontbrak er of was onduidelijk?")
    expect(box).to_be_visible()
    shot(page, "hc-what-was-missing-phone")
    box.fill("Hoe lang duurt het bij PayPal?")
    page.get_by_role("button", name="Versturen").click()
    expect(page.get_by_role("status")).to_contain_text("Bedankt voor je feedback")
    shot(page, "hc-what-was-missing-thanks")


def test_a_yes_thanks_at_once(page: Page, live_server: str) -> None:
    page.goto(f"{live_server}/hc/en/articles/gift-cards")
    page.get_by_role("button", name="Yes").click()
    expect(page.get_by_role("status")).to_contain_text("Thank you for your feedback")


def test_an_editor_tries_a_phrase(page: Page, chat_server: ChatServer) -> None:
    base = chat_server.url
    sign_in_to(page, f"{base}/admin/try-a-phrase")
    page.get_by_role("searchbox", name="Phrase").fill("How can I pause my subscription?")
    page.get_by_role("button", name="Try", exact=True).click()
    expect(page.locator(".decision")).to_have_text("answer")
    candidates = page.get_by_role("table", name="Candidates, best first")
    expect(candidates.get_by_role("row").nth(1)).to_contain_text("pause_subscription")
    expect(candidates).to_contain_text("Can I pause my subscription?")
    shot(page, "admin-try-a-phrase")


def test_the_intents_list_has_a_try_a_phrase_box(page: Page, chat_server: ChatServer) -> None:
    base = chat_server.url
    sign_in_to(page, f"{base}/admin/intents")
    page.get_by_role("searchbox", name="Try a phrase: what the bot does with it").fill("asdf qwer zxcv")
    page.get_by_role("button", name="Try", exact=True).click()
    expect(page).to_have_url(f"{base}/admin/try-a-phrase?q=asdf+qwer+zxcv")
    expect(page.locator(".decision")).not_to_have_text("answer")


def test_popular_articles_on_the_help_center_are_the_most_read(page: Page, live_server: str) -> None:
    person = {"User-Agent": "Mozilla/5.0 (X11; Linux x86_64; rv:130.0) Gecko/20100101 Firefox/130.0"}
    for _ in range(40):  # more reads than any other test gives one article (headless Chrome counts as a robot)
        assert page.request.get(f"{live_server}/hc/de/articles/business-customers", headers=person).ok
    page.goto(f"{live_server}/hc/de/")
    popular = page.get_by_role("region", name="Beliebte Artikel").get_by_role("link")
    expect(popular.first).to_have_attribute("href", "/hc/de/articles/business-customers")
    shot(page, "hc-popular-articles")
