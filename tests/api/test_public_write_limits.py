"""Every public write is rate limited: help-center votes (page form and API share one count) and handoffs;
so are help-center searches (a full-text query each), the page and the API together.

A day's window, not a minute's, so no test can straddle a window's end (see test_widget_api.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from api.app import create_app
from helpcenter import public
from tests.admin.conftest import make_settings


@pytest.fixture()
def client(tmp_path: Path) -> Iterator[TestClient]:
    settings = make_settings(
        tmp_path, vote_rate_limit="3/day", widget_rate_limit_handoff="2/day", search_rate_limit="3/day"
    )
    with TestClient(create_app(settings), follow_redirects=False) as c:
        yield c


def article_id(client: TestClient, locale: str, slug: str) -> int:
    with Session(client.app.state.engine) as session:  # type: ignore[attr-defined]
        article, _ = public.find_published(session, locale=locale, slug=slug)
        assert article is not None and article.id is not None
        return article.id


def test_the_vote_api_answers_429_with_retry_after(client: TestClient) -> None:
    url = f"/api/v1/articles/{article_id(client, 'en', 'tracking-your-order')}/votes"
    assert [client.post(url, json={"helpful": True}).status_code for _ in range(3)] == [201] * 3
    blocked = client.post(url, json={"helpful": False})
    assert blocked.status_code == 429 and blocked.json()["error"] == "rate_limited"
    assert int(blocked.headers["Retry-After"]) >= 1


def test_page_votes_and_api_votes_share_one_count(client: TestClient) -> None:
    page = "/hc/en/articles/tracking-your-order/feedback"
    assert [client.post(page, data={"helpful": "yes"}).status_code for _ in range(2)] == [303, 303]
    url = f"/api/v1/articles/{article_id(client, 'en', 'tracking-your-order')}/votes"
    assert client.post(url, json={"helpful": True}).status_code == 201
    assert client.post(url, json={"helpful": True}).status_code == 429
    blocked = client.post(page, data={"helpful": "no"})
    assert blocked.status_code == 429 and int(blocked.headers["Retry-After"]) >= 1
    assert "a lot of feedback in a short time" in blocked.text  # the page, with the form kept


def test_handoff_requests_are_limited_per_address(client: TestClient) -> None:
    statuses = []
    for _ in range(3):  # a new conversation each time, so only the per-address limit can stop it
        started = client.post("/api/v1/conversations", json={"locale": "en"}).json()
        auth = {"Authorization": f"Bearer {started['token']}"}
        client.post(
            f"/api/v1/conversations/{started['id']}/messages", json={"text": "Where is my order?"}, headers=auth
        )
        # A form to correct first does not use up the address's requests: it opens no ticket.
        typo = client.post(f"/api/v1/conversations/{started['id']}/handoff", json={"email": "ann@"}, headers=auth)
        assert typo.status_code == 422
        response = client.post(
            f"/api/v1/conversations/{started['id']}/handoff", json={"email": "ann@example.com"}, headers=auth
        )
        statuses.append(response.status_code)
    assert statuses == [201, 201, 429]
    assert int(response.headers["Retry-After"]) >= 1 and "requests for a person" in response.json()["detail"]


def test_searches_are_limited_per_address_on_the_page_and_the_api_together(client: TestClient) -> None:
    assert client.get("/hc/en/search", params={"q": ""}).status_code == 200  # the empty form costs nothing
    assert client.get("/hc/en/search", params={"q": "refund"}).status_code == 200
    api = [client.get("/api/v1/search", params={"q": "refund", "locale": "en"}) for _ in range(2)]
    assert [r.status_code for r in api] == [200, 200] and api[0].json()
    blocked = client.get("/api/v1/search", params={"q": "refund", "locale": "en"})
    assert blocked.status_code == 429 and blocked.json()["error"] == "rate_limited"
    page = client.get("/hc/de/search", params={"q": "Rückgabe"}, headers={"Accept": "text/html"})
    assert page.status_code == 429 and int(page.headers["Retry-After"]) >= 1
    assert "Zu viele Anfragen" in page.text  # the help center's page, in German
