"""A visitor deletes their own conversation through the widget API (privacy on request)."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import select

from support.models import Conversation, Message, OutboxItem, OutboxKind, Rating, Sender
from tests.app import app_session

ORIGIN = "https://shop.example"


@pytest.fixture()
def widget(site_app: FastAPI) -> TestClient:
    """The run's app (tests/app.py), which allows the customer site's origin."""
    assert ORIGIN in site_app.state.settings.cors_origins
    return TestClient(site_app)


def start(client: TestClient) -> tuple[str, dict[str, str]]:
    response = client.post("/api/v1/conversations", json={"locale": "en"})
    assert response.status_code == 201
    body = response.json()
    return body["id"], {"Authorization": f"Bearer {body['token']}"}


def fill(client: TestClient, cid: str) -> None:
    """Messages, a rating and a queued webhook carrying the transcript."""
    with app_session(client.app) as s:  # type: ignore[attr-defined]
        s.add(Message(conversation_id=cid, sender=Sender.visitor, text="I am jan@example.nl, call 0612345678"))
        s.add(Message(conversation_id=cid, sender=Sender.bot, text="Sorry?", decision="suggest"))
        s.add(Rating(conversation_id=cid, score=2))
        s.add(
            OutboxItem(
                kind=OutboxKind.webhook,
                target="https://hooks.example.com",
                event="handoff.created",
                payload={"conversation_id": cid, "transcript": [{"text": "I am jan@example.nl"}]},
            )
        )
        s.commit()


def test_a_visitor_deletes_their_own_conversation(widget: TestClient) -> None:
    cid, auth = start(widget)
    other_cid, other_auth = start(widget)
    fill(widget, cid)
    fill(widget, other_cid)

    response = widget.delete(f"/api/v1/conversations/{cid}", headers=auth)
    assert response.status_code == 200 and response.json() == {"deleted": True}

    with app_session(widget.app) as s:  # type: ignore[attr-defined]
        assert s.get(Conversation, cid) is None
        assert s.exec(select(Message).where(Message.conversation_id == cid)).first() is None
        assert s.exec(select(Rating).where(Rating.conversation_id == cid)).first() is None
        payloads = [item.payload["conversation_id"] for item in s.exec(select(OutboxItem)).all()]
        assert cid not in payloads and other_cid in payloads  # only this conversation's items go
        assert s.get(Conversation, other_cid) is not None

    gone = widget.get(f"/api/v1/conversations/{cid}/messages", headers=auth)
    assert gone.status_code == 404 and gone.json()["error"] == "not_found"
    again = widget.delete(f"/api/v1/conversations/{cid}", headers=auth)
    assert again.status_code == 404
    assert widget.get(f"/api/v1/conversations/{other_cid}/messages", headers=other_auth).status_code == 200


def test_another_token_or_none_may_not_delete(widget: TestClient) -> None:
    cid, _ = start(widget)
    _, other_auth = start(widget)
    for headers in (other_auth, {}, {"Authorization": "Bearer wrong"}, {"Authorization": "Basic abc"}):
        response = widget.delete(f"/api/v1/conversations/{cid}", headers=headers)
        assert response.status_code == 401 and response.json()["error"] == "unauthorized"
    with app_session(widget.app) as s:  # type: ignore[attr-defined]
        assert s.get(Conversation, cid) is not None


def test_unknown_or_malformed_ids_are_404(widget: TestClient) -> None:
    _, auth = start(widget)
    for cid in ("0" * 32, "x" * 200):
        assert widget.delete(f"/api/v1/conversations/{cid}", headers=auth).status_code == 404


def test_the_widget_may_send_delete_from_an_allowed_origin(widget: TestClient) -> None:
    preflight = widget.options(
        "/api/v1/conversations/abc",
        headers={
            "Origin": ORIGIN,
            "Access-Control-Request-Method": "DELETE",
            "Access-Control-Request-Headers": "Authorization",
        },
    )
    assert preflight.status_code == 200
    assert "DELETE" in preflight.headers["access-control-allow-methods"]
