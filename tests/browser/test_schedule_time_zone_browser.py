"""Scheduled publication in the editor's time zone: the offset sent is that of the chosen moment, so a time
on the other side of a daylight-saving change is not an hour off."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from playwright.sync_api import Browser, expect

from tests.browser.test_admin_browser import sign_in

ZONE = "Europe/Amsterdam"  # UTC+1 in winter, UTC+2 in summer


def test_a_time_in_winter_and_one_in_summer_are_each_stored_with_their_own_offset(
    browser: Browser, live_server: str
) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, timezone_id=ZONE, locale="en-GB")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        sign_in(page, live_server)
        page.goto(f"{live_server}/admin/articles/new")
        page.fill("#title", "Opening hours around the clock change")
        page.fill("#body", "Soon.")
        page.get_by_role("button", name="Create draft").click()
        expect(page.get_by_role("status")).to_have_text("Created.")
        year = datetime.now(UTC).year + 1
        # Whichever season today is in, one of the two is across a daylight-saving change from it.
        for local in (f"{year}-01-15T10:00", f"{year}-07-15T10:00"):
            utc = datetime.fromisoformat(local).replace(tzinfo=ZoneInfo(ZONE)).astimezone(UTC)
            page.fill("#publish_at", local)
            page.get_by_role("button", name="Schedule").click()
            expect(page.locator("section.meta time[datetime]")).to_have_attribute("datetime", utc.isoformat())
            expect(page.get_by_role("status")).to_have_text("Scheduled for publication.")
    finally:
        context.close()
    assert not errors, f"JavaScript errors: {errors}"
