"""The dashboard page, its CSV export and the metrics API over the scripted test day."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import func, select

from core.accounts import Role
from core.db import Bind, open_session
from core.settings import Settings
from helpcenter.models import HelpcenterSession
from support.outcomes import close_due
from tests.admin.conftest import api_token
from tests.support import scenario as sc

RANGE = {"start": sc.DAY0.isoformat(), "end": sc.DAY1.isoformat()}
ARR = "66.5\u00a0%"  # automated resolution rate of the test day: 109 / 164


@pytest.fixture(autouse=True)
def untrained(site_app: FastAPI) -> None:
    """A back office before its first training: the bot's own precision estimates are empty."""
    site_app.state.model = None


@pytest.fixture()
def test_day(db_bind: Bind) -> None:
    """The scripted day, closed, in the test's transaction (~1.5 s: only for the tests that read it)."""
    with open_session(db_bind) as session:
        sc.play(session)
        close_due(session, now=sc.NOW, window=sc.WINDOW)
        session.commit()


def test_the_dashboard_needs_a_sign_in(app_client: TestClient) -> None:
    response = app_client.get("/admin/dashboard")
    assert response.status_code == 303
    assert response.headers["location"].startswith("/admin/login?next=/admin/dashboard")
    assert app_client.get("/admin/dashboard.csv").status_code == 303


@pytest.mark.usefixtures("test_day")
@pytest.mark.parametrize("role", list(Role))
def test_every_role_sees_every_figure_with_its_definition(as_role: Callable[[Role], TestClient], role: Role) -> None:
    response = as_role(role).get("/admin/dashboard", params=RANGE)
    assert response.status_code == 200, response.text
    html = response.text
    assert '<a href="/admin/dashboard">Dashboard</a>' in html
    for text in (
        "Automated resolution rate",
        "Resolved by the bot (confirmed + assumed) / conversations with a question",
        ARR,
        "Self-service score",
        "25.00",
        "First response time, median",
        "8.5\u00a0min",
        "Open handoffs now",
        "CSAT, resolved by the bot",
        "Searches with no result",
        "call me on [phone]",
    ):
        assert text in html, text
    assert "+31 6" not in html  # the phone number a visitor typed into search
    # Charts: vendored Chart.js and our script, the data as JSON, a table beside every chart; no inline script.
    scripts = re.findall(r"<script([^>]*)>", html)
    assert all("src=" in attrs or 'type="application/json"' in attrs for attrs in scripts), scripts
    assert 'src="/static/vendor/chart.umd.min.js"' in html and 'src="/static/dashboard.js"' in html
    assert html.count("<canvas") == 3 and all(f'id="t-{t}"' in html for t in ("conversations", "rates", "csat"))
    assert "script-src 'self'" in response.headers["content-security-policy"]


@pytest.mark.usefixtures("test_day")
def test_the_default_range_is_the_last_thirty_days(as_role: Callable[[Role], TestClient]) -> None:
    response = as_role(Role.agent).get("/admin/dashboard")
    assert response.status_code == 200
    assert response.text.count('<tr><th scope="row">') >= 30


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"start": "yesterday"}, "start: Value error, must be a date written YYYY-MM-DD"),
        ({"end": "20260310"}, "end: Value error, must be a date written YYYY-MM-DD"),
        ({"start": "2026-03-12", "end": "2026-03-10"}, "is after the end date"),
        ({"start": "2020-01-01", "end": "2026-03-10"}, "at most 366 days"),
        ({"locale": "fr"}, "unknown locale"),
        # The calendar's edges: a time zone or the day after would overflow them.
        ({"end": "9999-12-31"}, "end: Value error, must be a day between 1900-01-01 and 9998-12-31"),
        ({"start": "0001-01-01", "end": "0001-01-01"}, "start: Value error, must be a day between"),
    ],
)
def test_bad_filters_are_a_422_with_a_message(
    as_role: Callable[[Role], TestClient], params: dict[str, str], message: str
) -> None:
    response = as_role(Role.editor).get("/admin/dashboard", params=params)
    assert response.status_code == 422
    assert message in response.text


@pytest.mark.usefixtures("test_day")
def test_csv_export_parses_and_matches(as_role: Callable[[Role], TestClient]) -> None:
    response = as_role(Role.agent).get("/admin/dashboard.csv", params={**RANGE, "locale": "en"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "faqdesk-metrics-2026-03-10-2026-03-11-en.csv" in response.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    figures = {r["key"]: r for r in rows if r["kind"] == "figure"}
    assert figures["handoffs"]["value"] == "20"
    assert figures["backlog"]["value"] == "9"
    assert figures["self_service_score"]["value"] == str(450 / 20)
    assert figures["handoff_rate"]["definition"].startswith("Handed off to a person")
    assert all(r["definition"] for r in rows)
    daily = [r for r in rows if r["kind"] == "daily" and r["key"] == "conversations"]
    assert [r["item"] for r in daily] == ["2026-03-10", "2026-03-11"]
    misses = {r["item"]: r["value"] for r in rows if r["key"] == "search_misses" and r["kind"] == "table"}
    assert misses["'=cmd|calc"] == "1"  # a formula typed into search stays text in a spreadsheet


@pytest.mark.usefixtures("test_day")
def test_metrics_api_needs_a_token_and_gives_the_same_numbers(
    app_client: TestClient, admin_settings: Settings, as_role: Callable[[Role], TestClient], db_bind: Bind
) -> None:
    assert app_client.get("/api/v1/admin/metrics", params=RANGE).status_code == 401
    headers = {"Authorization": f"Bearer {api_token(db_bind, Role.editor)}"}
    response = app_client.get("/api/v1/admin/metrics", params=RANGE, headers=headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["timezone"] == "Europe/Amsterdam" and body["locale"] is None
    assert body["figures"]["automated_resolution_rate"]["value"] == 109 / 164
    assert body["figures"]["conversations"]["value"] == 189
    assert body["figures"]["automated_resolution_rate"]["definition"]
    assert [d["conversations"] for d in body["daily"]] == [101, 88]
    assert body["tables"]["resolved_per_agent"]["rows"] == [["ann@example.com", 7], ["bob@example.com", 5]]
    precision = body["answer_precision"]  # target, the bot's own estimate (no model here), the measured one
    assert precision["target"] == admin_settings.target_precision and precision["estimates"] == []
    assert precision["reviewed"] == 0 and precision["measured"] is None
    for start in ("2026-13-01", "9999-12-31"):
        bad = app_client.get("/api/v1/admin/metrics", params={"start": start, "end": start}, headers=headers)
        assert bad.status_code == 422 and bad.json()["error"] == "invalid"
    assert "/api/v1/admin/metrics" in app_client.get("/openapi.json").json()["paths"]


@pytest.mark.usefixtures("test_day")
def test_help_center_visits_count_once_per_browser(app_client: TestClient, db_bind: Bind) -> None:

    def visits() -> int:
        with open_session(db_bind) as session:
            return int(session.exec(select(func.count()).select_from(HelpcenterSession)).one())

    before = visits()
    browser = TestClient(app_client.app)
    first = browser.get("/hc/en/")
    assert first.status_code == 200
    assert "faqdesk_hc" in first.cookies
    assert browser.get("/hc/en/search", params={"q": "pause"}).status_code == 200
    assert visits() == before + 1  # the second page is the same visit
    TestClient(app_client.app).get("/hc/de/")  # another browser
    TestClient(app_client.app, headers={"User-Agent": "Googlebot/2.1"}).get("/hc/en/")  # a crawler
    assert visits() == before + 2
