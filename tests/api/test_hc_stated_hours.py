"""The help center's footer states the configured business hours, worded in the page's language."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from api.app import create_app
from tests.admin.conftest import make_settings


def test_every_help_center_page_states_the_configured_hours_in_its_language(client: TestClient) -> None:
    german = client.get("/hc/de/articles/contacting-customer-service").text
    assert "Unser Support-Team ist für Sie da: Montag bis Freitag, 09:00 – 17:00 (Mitteleuropäische Zeit)." in german
    dutch = client.get("/hc/nl/search?q=retour").text
    assert "Ons supportteam staat voor je klaar: maandag tot en met vrijdag, 09:00 – 17:00" in dutch
    missing = client.get("/hc/en/articles/no-such-article")
    assert missing.status_code == 404 and "Monday to Friday, 9:00\u202fAM – 5:00\u202fPM" in missing.text


def test_other_hours_are_stated_as_configured_and_none_promise_nothing(tmp_path: Path) -> None:
    weekend = make_settings(tmp_path / "a", business_hours="sat-sun 10:00-14:00", timezone="Europe/London")
    with TestClient(create_app(weekend)) as client:
        page = client.get("/hc/en/").text
    assert "Saturday to Sunday, 10:00\u202fAM – 2:00\u202fPM (" in page and "Monday" not in page
    closed = make_settings(tmp_path / "b", business_hours="")
    with TestClient(create_app(closed)) as client:
        assert 'class="hours"' not in client.get("/hc/en/").text
