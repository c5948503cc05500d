"""The back office in a real browser: sign in, live preview, publish, and no script from content runs."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.admin.conftest import PASSWORD


def sign_in(page: Page, base: str, email: str = "editor@example.com") -> None:
    page.goto(f"{base}/admin/articles")
    expect(page).to_have_url(f"{base}/admin/login?next=/admin/articles")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(f"{base}/admin/articles")


def test_editor_writes_with_live_preview_and_publishes(page: Page, live_server: str) -> None:
    sign_in(page, live_server)
    page.get_by_role("link", name="New article").first.click()
    page.get_by_label("Title", exact=True).fill("Tent care in winter")
    body = page.get_by_label("Body (Markdown)")
    body.fill("Dry your tent **before** storing it.\n\n<img src=x onerror=alert(1)><script>alert(2)</script>")
    preview = page.locator("#preview")
    expect(preview.locator("strong")).to_have_text("before")  # rendered by the server as you type
    expect(preview).to_contain_text("<script>alert(2)</script>")  # shown as text, not run
    page.get_by_role("button", name="Create draft").click()
    expect(page.get_by_role("status")).to_have_text("Created.")
    page.get_by_role("button", name="Publish").click()
    expect(page.get_by_role("status")).to_have_text("Published.")
    page.get_by_role("link", name="view on the help center").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Tent care in winter")
    expect(page.locator("main strong")).to_have_text("before")


def test_translation_side_by_side(page: Page, live_server: str) -> None:
    sign_in(page, live_server)
    page.get_by_label("Title or slug").fill("track")
    page.get_by_label("Locale").select_option("en")
    page.get_by_role("button", name="Filter").click()
    page.get_by_role("link", name="Tracking your order").first.click()
    page.get_by_role("navigation", name="Translations").get_by_role("link", name="de (published)").click()
    expect(page.locator("#h-source")).to_contain_text("Source (en)")
    expect(page.get_by_label("Title", exact=True)).not_to_have_value("")
    expect(page.locator("#preview")).not_to_be_empty()


def test_agent_cannot_open_the_editor(page: Page, live_server: str) -> None:
    page.goto(f"{live_server}/admin/login")
    page.get_by_label("Email").fill("agent@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Overview")
    expect(page.get_by_role("link", name="Articles")).to_have_count(0)
    response = page.goto(f"{live_server}/admin/articles/new")
    assert response is not None and response.status == 403
    expect(page.get_by_role("heading", level=1)).to_have_text("Not allowed")


def test_schedule_sends_the_browser_time_zone(page: Page, live_server: str) -> None:
    sign_in(page, live_server)
    page.goto(f"{live_server}/admin/articles/1")  # published: no schedule form (it would take it offline)
    expect(page.locator("input[data-tz-offset]")).to_have_count(0)
    page.goto(f"{live_server}/admin/articles/new")
    page.fill("#title", "Winter opening hours")
    page.fill("#body", "Soon.")
    page.get_by_role("button", name="Create draft").click()
    expect(page.get_by_role("status")).to_have_text("Created.")  # the save asks the server first: wait for it
    offset = page.evaluate("new Date().getTimezoneOffset()")
    expect(page.locator("input[data-tz-offset]")).to_have_value(str(offset))
