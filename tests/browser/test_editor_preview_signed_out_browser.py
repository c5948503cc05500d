"""Editing once the session has ended: the preview and the save say so and keep the text, not the sign-in page."""

from __future__ import annotations

import uuid

from playwright.sync_api import Locator, Page, expect

from tests.admin.conftest import PASSWORD
from tests.browser.test_admin_browser import sign_in


def sign_in_again_in_a_new_tab(page: Page, note: Locator) -> None:
    """What the signed-out note offers: its link opens the sign-in page in a tab of its own."""
    with page.context.expect_page() as opened:
        note.get_by_role("link", name="Sign in").click()
    tab = opened.value
    tab.get_by_label("Email").fill("editor@example.com")
    tab.get_by_label("Password").fill(PASSWORD)
    tab.get_by_role("button", name="Sign in").click()
    expect(tab.get_by_role("heading", level=1)).to_have_text("Overview")
    tab.close()


def test_a_preview_after_the_session_ended_says_so_and_keeps_the_form_as_it_was(page: Page, live_server: str) -> None:
    sign_in(page, live_server)
    page.goto(f"{live_server}/admin/articles/new")
    preview = page.locator("#preview")
    # Not a live region: a screen reader would read the whole article again after every keystroke.
    assert preview.get_attribute("aria-live") in (None, "off")
    body = page.get_by_label("Body (Markdown)")

    page.context.clear_cookies(name="faqdesk_session")  # the session ended (idle, or signed out elsewhere)
    body.fill("Still **here**.")
    note = preview.get_by_role("alert")
    expect(note).to_have_text("You are signed out. Sign in")
    form = page.locator("form.editor")
    # The sign-in page's fields did not join the article's form (the preview used to follow the redirect).
    expect(form.locator("input[name=email], input[name=password], input[name=next]")).to_have_count(0)
    expect(form.locator("input[name=csrf_token]")).to_have_count(1)
    expect(body).to_have_value("Still **here**.")

    # Signing in again in another tab, as the note offers: the preview works again, the text still here.
    sign_in_again_in_a_new_tab(page, note)
    body.fill("Still **here**, again.")
    expect(preview.locator("strong")).to_have_text("here")
    expect(preview.get_by_role("alert")).to_have_count(0)


def test_the_intent_editors_previews_are_not_live_regions(page: Page, live_server: str) -> None:
    sign_in(page, live_server)
    page.goto(f"{live_server}/admin/intents/new-intent")
    previews = page.locator("div[id^=preview_]")
    expect(previews.first).to_be_attached()
    for i in range(previews.count()):
        assert previews.nth(i).get_attribute("aria-live") in (None, "off")


def test_a_save_after_the_session_ended_keeps_the_text_and_saves_once_signed_in_again(
    page: Page, live_server: str
) -> None:
    sign_in(page, live_server)
    page.goto(f"{live_server}/admin/articles/new")
    title = f"Written while signed out {uuid.uuid4().hex[:8]}"
    page.get_by_label("Title", exact=True).fill(title)
    body = page.get_by_label("Body (Markdown)")
    body.fill("An hour of writing.")

    page.context.clear_cookies(name="faqdesk_session")
    page.get_by_role("button", name="Create draft").click()
    form = page.locator("form.editor")
    note = form.locator("p.signed-out")  # the preview, typed into just before, may say so as well
    expect(note).to_have_attribute("role", "alert")
    expect(note).to_contain_text("You were signed out, so nothing was saved.")
    assert page.url.endswith("/admin/articles/new")  # no trip to the sign-in page, which lost the text
    expect(body).to_have_value("An hour of writing.")

    # Signing in again in another tab; the form token cookie is new as well (it had expired).
    page.context.clear_cookies(name="faqdesk_csrf")
    sign_in_again_in_a_new_tab(page, note)

    page.get_by_role("button", name="Create draft").click()
    expect(page.get_by_role("status")).to_have_text("Created.")
    expect(page.get_by_label("Title", exact=True)).to_have_value(title)
    expect(page.get_by_label("Body (Markdown)")).to_have_value("An hour of writing.")
