"""The back office in German in a real browser: the sign-in page follows the browser's language, an admin
chooses German on their account page, and the dashboard (its charts too), inbox and editor speak it."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.admin.conftest import PASSWORD
from tests.browser.conftest import PHONE, shot, watched_tab

GERMAN_AGE = re.compile(r"^(gerade eben|\d+ (Min\.|Std\.))$")  # babel's short units, whatever the machine's pace


@pytest.fixture()
def german_browser_page(browser: Browser) -> Iterator[Page]:
    """A browser that asks for German first (its Accept-Language and navigator.language)."""
    with watched_tab(browser, locale="de-DE", viewport={"width": 1280, "height": 900}) as tab:
        yield tab


def _handoff(page: Page, base: str, email: str = "anna.schmidt@example.com", name: str = "Anna Schmidt") -> int:
    """A German visitor asks for a person through the widget API; the ticket's id."""
    started = page.request.post(f"{base}/api/v1/conversations", data={"locale": "de"})
    assert started.ok, started.text()
    conversation = started.json()
    handoff = page.request.post(
        f"{base}/api/v1/conversations/{conversation['id']}/handoff",
        data={"email": email, "name": name, "message": "Die Schuhe passen nicht."},
        headers={"Authorization": f"Bearer {conversation['token']}"},
    )
    assert handoff.ok, handoff.text()
    return int(handoff.json()["id"])


def test_the_sign_in_page_follows_the_browser_language(german_browser_page: Page, live_server: str) -> None:
    page = german_browser_page
    page.goto(f"{live_server}/admin/login")
    expect(page.locator("html")).to_have_attribute("lang", "de")
    expect(page.get_by_role("heading", level=1)).to_have_text("Anmelden")
    page.get_by_label("E-Mail").fill("agent@example.com")
    page.get_by_label("Passwort").fill("not the password")
    page.get_by_role("button", name="Anmelden").click()
    expect(page.get_by_role("alert")).to_contain_text("E-Mail-Adresse oder Passwort falsch")
    shot(page, "admin-de-sign-in")


def test_a_german_admin_works_in_german(page: Page, live_server: str) -> None:
    """An English browser; the admin picks Deutsch once and every page follows, whatever the browser says."""
    page.goto(f"{live_server}/admin/login")
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    page.get_by_label("Email").fill("admin@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("link", name="admin@example.com").click()  # the account link in the header
    try:
        expect(page.get_by_role("heading", level=1)).to_have_text("Your account")
        page.get_by_label("Language of the back office").select_option(label="Deutsch")
        page.get_by_role("button", name="Save").click()
        expect(page.get_by_role("status")).to_have_text("Gespeichert.")
        expect(page.get_by_role("heading", level=1)).to_have_text("Ihr Konto")
        expect(page.locator("html")).to_have_attribute("lang", "de")

        page.get_by_role("navigation", name="Backoffice").get_by_role("link", name="Dashboard").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Dashboard")
        expect(page.get_by_role("heading", name="Unterhaltungen pro Tag")).to_be_visible()
        expect(page.get_by_role("button", name="Anzeigen")).to_be_visible()
        # The charts' series are named in German too (the template hands the names to the script).
        page.wait_for_function("() => window.Chart && Chart.getChart(document.querySelector('[data-chart=rates]'))")
        names = page.evaluate(
            "() => Chart.getChart(document.querySelector('[data-chart=rates]')).data.datasets.map(d => d.label)"
        )
        assert names == ["Automatische Lösungsquote", "Übergabequote"]
        shot(page, "admin-de-dashboard")

        ticket = _handoff(page, live_server)
        page.get_by_role("link", name="Posteingang").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Posteingang")
        expect(page.get_by_role("button", name="Abmelden")).to_be_visible()
        row = page.locator(f'tr[data-id="{ticket}"]')
        expect(row.locator(".status")).to_have_text("offen")
        expect(row.locator("time")).to_have_text(GERMAN_AGE)
        # A handoff arriving while the page is open: the script builds its row with the page's words.
        second = _handoff(page, live_server, email="jan.de.vries@example.com", name="Jan")
        live_row = page.locator(f'tr[data-id="{second}"]')
        expect(live_row.locator(".status")).to_have_text("offen")
        expect(live_row.locator("time")).to_have_text(GERMAN_AGE)
        expect(page.locator("#inbox-live")).to_have_text("Neue Übergabe von jan.de.vries@example.com")
        shot(page, "admin-de-inbox")
        row.get_by_role("link").click()
        expect(page.get_by_role("heading", level=1)).to_have_text(f"Übergabe #{ticket}: Anna Schmidt")
        expect(page.get_by_role("heading", name="Dem Besucher antworten")).to_be_visible()
        expect(page.get_by_role("button", name="Mir zuweisen")).to_be_visible()
        expect(page.get_by_role("heading", name="Die Nachricht des Besuchers")).to_be_visible()
        expect(page.get_by_role("heading", name="Verlauf")).to_be_visible()
        shot(page, "admin-de-ticket")

        page.get_by_role("link", name="Artikel", exact=True).click()
        page.get_by_role("link", name="Neuer Artikel").first.click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Neuer Artikel")
        page.get_by_label("Titel", exact=True).fill("Zelt im Winter pflegen")
        page.get_by_label("Text (Markdown)").fill("Das Zelt **trocken** einlagern.")
        expect(page.locator("#preview strong")).to_have_text("trocken")  # the live preview still works
        page.get_by_role("button", name="Entwurf anlegen").click()
        expect(page.get_by_role("status")).to_have_text("Angelegt.")
        expect(page.get_by_role("button", name="Veröffentlichen")).to_be_visible()
        expect(page.get_by_role("navigation", name="Übersetzungen")).to_contain_text("nach de übersetzen")
        shot(page, "admin-de-editor")

        page.set_viewport_size(PHONE)
        page.goto(f"{live_server}/admin/dashboard")
        expect(page.get_by_role("heading", name="Tag für Tag")).to_be_visible()
        shot(page, "admin-de-dashboard-phone")
    finally:  # the session's other tests sign in as this admin too: back to the browser's language
        page.set_viewport_size({"width": 1280, "height": 900})
        page.goto(f"{live_server}/admin/account")
        page.locator("#language").select_option("")
        page.locator("form.narrow button[type=submit]").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your account")
