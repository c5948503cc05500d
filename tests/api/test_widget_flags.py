"""What the widget API tells the widget about each message (support/message_view.py): whether to ask
"Did this help?", whether to offer a person, the visitor's vote and rating after a reload; and the handoff
form's field errors in the conversation's language (issue 13, items 1 to 3)."""

from __future__ import annotations

import json

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import select

from core.accounts import User
from core.settings import Settings
from support import handoffs
from support.models import Handoff
from tests.api.test_widget_api import events, say, start
from tests.app import app_session, configure


@pytest.fixture()
def chat(site_app: FastAPI) -> TestClient:
    """The run's app (tests/app.py), the per-address limit lifted for tests that start many chats."""
    configure(site_app, widget_rate_limit_ip="1000/minute")
    return TestClient(site_app)


def history(chat: TestClient, cid: str, auth: dict[str, str]) -> list[dict[str, object]]:
    response = chat.get(f"/api/v1/conversations/{cid}/messages", headers=auth)
    assert response.status_code == 200
    return [m for m in response.json() if m["sender"] != "visitor"]


def test_a_real_answer_asks_for_feedback_small_talk_does_not(chat: TestClient) -> None:
    cid, auth = start(chat)
    hello = say(chat, cid, auth, "Hello!")
    assert hello["type"] == "answer" and hello["intent"] == "greeting"
    assert hello["ask_feedback"] is False and hello["offer_handoff"] is False
    answer = say(chat, cid, auth, "Where is my order?")
    assert answer["intent"] == "track_order" and answer["ask_feedback"] is True and answer["offer_handoff"] is False
    thanks = say(chat, cid, auth, "Thank you!")
    assert thanks["type"] == "answer" and thanks["ask_feedback"] is False
    # The same decisions in the transcript a reloaded widget reads.
    assert [(m["id"], m["ask_feedback"]) for m in history(chat, cid, auth)] == [
        (hello["id"], False),
        (answer["id"], True),
        (thanks["id"], False),
    ]


def test_a_miss_offers_a_person_until_the_conversation_is_handed_off(chat: TestClient) -> None:
    cid, auth = start(chat)
    miss = say(chat, cid, auth, "qwertyuiop asdfghjkl zxcvbnm")
    assert miss["type"] == "suggest" and miss["offer_handoff"] is True and miss["ask_feedback"] is False
    answer = say(chat, cid, auth, "Where is my order?")
    vote = chat.post(
        f"/api/v1/conversations/{cid}/feedback", json={"message_id": answer["id"], "helpful": False}, headers=auth
    )
    assert vote.status_code == 200
    shown = {m["id"]: m for m in history(chat, cid, auth)}
    assert shown[answer["id"]]["helpful"] is False  # the pressed thumb survives a reload
    assert shown[answer["id"]]["offer_handoff"] is True  # an unhelpful answer offers a person too
    assert shown[miss["id"]]["offer_handoff"] is True

    ticket = chat.post(f"/api/v1/conversations/{cid}/handoff", json={"email": "vera@example.com"}, headers=auth)
    assert ticket.status_code == 201
    after = history(chat, cid, auth)
    assert not any(m["offer_handoff"] for m in after)  # handed off: nobody offers a person again
    ack = say(chat, cid, auth, "Are you there?")
    assert ack["offer_handoff"] is False and ack["ask_feedback"] is False


def test_the_rating_of_a_resolved_handoff_comes_back_with_its_notice(chat: TestClient) -> None:
    cid, auth = start(chat)
    say(chat, cid, auth, "Where is my order?")
    assert (
        chat.post(f"/api/v1/conversations/{cid}/handoff", json={"email": "ann@example.com"}, headers=auth).status_code
        == 201
    )
    settings: Settings = chat.app.state.settings  # type: ignore[attr-defined]
    with app_session(chat.app) as session:  # type: ignore[attr-defined]
        handoff = session.exec(select(Handoff).where(Handoff.conversation_id == cid)).one()
        agent = session.exec(select(User).where(User.email == "agent@example.com")).one()
        handoffs.resolve(session, handoff=handoff, agent=agent, settings=settings)
        session.commit()
    resolved = [m for m in history(chat, cid, auth) if m["type"] == "resolved"]
    assert len(resolved) == 1 and resolved[0]["rating"] is None  # not rated yet: the widget asks
    assert chat.post(f"/api/v1/conversations/{cid}/rating", json={"score": 4}, headers=auth).status_code == 201
    again = history(chat, cid, auth)
    assert [m["rating"] for m in again if m["type"] == "resolved"] == [4]
    assert all(m["rating"] is None for m in again if m["type"] != "resolved")
    # The event stream sends the same view of each message as GET messages.
    listed = chat.get(f"/api/v1/conversations/{cid}/messages", headers=auth).json()
    lines = events(chat, f"/api/v1/conversations/{cid}/events", len(listed), auth)
    assert [json.loads(line[len("data: ") :]) for line in lines] == listed
    streamed = listed
    assert [m["ask_feedback"] for m in streamed if m["sender"] == "bot"] == [True]


@pytest.mark.parametrize(
    ("locale", "email", "message"),
    [
        ("en", "anna.schmidt@example", "Enter an email address like name@example.com."),
        ("de", "anna.schmidt@example", "Geben Sie eine E-Mail-Adresse wie name@example.com ein."),
        ("nl", "anna.schmidt@example", "Vul een e-mailadres in zoals naam@voorbeeld.nl."),
        ("de", "  ", "Geben Sie Ihre E-Mail-Adresse ein, damit Ihnen ein Mensch antworten kann."),
    ],
)
def test_handoff_field_errors_name_the_field_in_the_visitors_language(
    chat: TestClient, locale: str, email: str, message: str
) -> None:
    cid, auth = start(chat, locale)
    refused = chat.post(f"/api/v1/conversations/{cid}/handoff", json={"email": email}, headers=auth)
    assert refused.status_code == 422
    body = refused.json()
    assert body["error"] == "invalid" and body["fields"] == {"email": message}
    assert "email" in body["detail"]


def test_the_error_model_documents_field_errors(chat: TestClient) -> None:
    schema = chat.get("/openapi.json").json()
    error_out = schema["components"]["schemas"]["ErrorOut"]
    assert "fields" in error_out["properties"] and "fields" not in error_out.get("required", [])
    handoff_in = schema["components"]["schemas"]["HandoffIn"]
    assert "pattern" in handoff_in["properties"]["email"]  # documented, though the service says what is wrong
