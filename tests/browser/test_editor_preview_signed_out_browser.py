"""The editor's live preview once the session has ended: a short note, not the sign-in page inside the form."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.admin.conftest import PASSWORD
from tests.browser.test_admin_browser import sign_in


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
    with page.context.expect_page() as opened:
        note.get_by_role("link", name="Sign in").click()
    tab = opened.value
    tab.get_by_label("Email").fill("editor@example.com")
    tab.get_by_label("Password").fill(PASSWORD)
    tab.get_by_role("button", name="Sign in").click()
    expect(tab.get_by_role("heading", level=1)).to_have_text("Overview")
    tab.close()
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
