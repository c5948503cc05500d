"""The public help center in a real browser: keyboard use, search, languages, feedback, small screens."""

from __future__ import annotations

from playwright.sync_api import Page, expect


def test_skip_link_and_search_by_keyboard(page: Page, live_server: str) -> None:
    page.goto(f"{live_server}/hc/de/")
    page.keyboard.press("Tab")
    skip = page.locator("a.skip-link, a[href='#content']").first
    expect(skip).to_be_focused()
    page.keyboard.press("Enter")
    assert page.evaluate("location.hash") == "#content"
    search = page.get_by_role("searchbox").first
    search.focus()
    search.fill("Rücksendung")
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{live_server}/hc/de/search?q=R%C3%BCcksendung")
    first_hit = page.locator("main mark").first
    expect(first_hit).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "de")


def test_search_query_with_markup_is_shown_as_text(page: Page, live_server: str) -> None:
    page.goto(f"{live_server}/hc/en/search?q=%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E")
    expect(page.get_by_role("searchbox").first).to_have_value("<img src=x onerror=alert(1)>")
    assert page.locator("main img").count() == 0  # and the page fixture fails on any dialog


def test_language_switcher_and_feedback(page: Page, live_server: str) -> None:
    page.goto(f"{live_server}/hc/en/articles/tracking-your-order")
    languages = page.get_by_role("navigation", name="Language").or_(page.locator("nav.languages")).first
    languages.locator("a[hreflang='nl']").click()
    expect(page.locator("html")).to_have_attribute("lang", "nl")
    expect(page).to_have_url(f"{live_server}/hc/nl/articles/tracking-your-order")
    page.get_by_role("button", name="Nee").click()
    comment = page.locator("#feedback-comment")
    expect(comment).to_be_visible()  # "What was missing?" follows a No, without JavaScript
    comment.fill("<b>Track & trace</b> link ontbreekt")
    page.locator("form.feedback-missing button[type=submit]").click()
    expect(page.get_by_role("status")).to_be_visible()
    expect(page).to_have_url(f"{live_server}/hc/nl/articles/tracking-your-order?feedback=thanks#feedback")


def test_pages_fit_a_small_phone(page: Page, live_server: str) -> None:
    page.set_viewport_size({"width": 360, "height": 740})
    for path in ["/hc/en/", "/hc/de/articles/tracking-your-order", "/hc/nl/search?q=retourneren"]:
        page.goto(live_server + path)
        overflow = page.evaluate("document.scrollingElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{path} scrolls sideways by {overflow}px at 360px"
