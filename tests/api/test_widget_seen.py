"""``POST /api/v1/conversations/{id}/seen``: the widget says which agent replies it showed; fetching alone
does not count, so a reply lost on the way is still emailed (support/reply_delivery.py)."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import select

from core.accounts import User
from support import handoffs
from support.models import Handoff, Message
from tests.app import app_session


@pytest.fixture()
def chat(site_app: FastAPI) -> TestClient:
    """The run's app (tests/app.py); each test has its own chats."""
    return TestClient(site_app)


def handed_off(client: TestClient) -> tuple[str, dict[str, str]]:
    started = client.post("/api/v1/conversations", json={"locale": "en"}).json()
    auth = {"Authorization": f"Bearer {started['token']}"}
    response = client.post(
        f"/api/v1/conversations/{started['id']}/handoff", json={"email": "ann@example.com"}, headers=auth
    )
    assert response.status_code == 201, response.text
    # The open widget polls: the visitor is present, so replies wait to be seen before any email.
    assert client.get(f"/api/v1/conversations/{started['id']}/messages", headers=auth).status_code == 200
    return started["id"], auth


def agent_reply(client: TestClient, cid: str, text: str) -> int:
    settings = client.app.state.settings  # type: ignore[attr-defined]
    with app_session(client.app) as session:
        handoff = session.exec(select(Handoff).where(Handoff.conversation_id == cid)).one()
        agent = session.exec(select(User).where(User.email == "agent@example.com")).one()
        message = handoffs.reply(session, handoff=handoff, agent=agent, text=text, settings=settings)
        session.commit()
        assert message.id is not None
        return message.id


def stored(client: TestClient, message_id: int) -> Message:
    with app_session(client.app) as session:  # type: ignore[attr-defined]
        message = session.get(Message, message_id)
        assert message is not None
        return message


def test_fetching_is_not_seeing_the_acknowledgement_is(chat: TestClient) -> None:
    cid, auth = handed_off(chat)
    first = agent_reply(chat, cid, "First answer")
    second = agent_reply(chat, cid, "Second answer")
    fetched = chat.get(f"/api/v1/conversations/{cid}/messages?after=0", headers=auth)
    assert [m["text"] for m in fetched.json() if m["sender"] == "agent"] == ["First answer", "Second answer"]
    assert stored(chat, first).seen_at is None  # delivered to a connection is not shown to a person

    response = chat.post(f"/api/v1/conversations/{cid}/seen", json={"message_id": first}, headers=auth)
    assert response.status_code == 200 and response.json() == {"seen": 1}
    assert stored(chat, first).seen_at is not None and stored(chat, first).email_due_at is None
    assert stored(chat, second).seen_at is None and stored(chat, second).email_due_at is not None

    again = chat.post(f"/api/v1/conversations/{cid}/seen", json={"message_id": second}, headers=auth)
    assert again.json() == {"seen": 1}  # only what was new
    assert chat.post(f"/api/v1/conversations/{cid}/seen", json={"message_id": second}, headers=auth).json() == {
        "seen": 0
    }


def test_only_the_conversations_own_token_marks_its_replies(chat: TestClient) -> None:
    cid, auth = handed_off(chat)
    other_cid, other_auth = handed_off(chat)
    reply = agent_reply(chat, cid, "For Ann only")
    assert chat.post(f"/api/v1/conversations/{cid}/seen", json={"message_id": reply}).status_code == 401
    assert (
        chat.post(f"/api/v1/conversations/{cid}/seen", json={"message_id": reply}, headers=other_auth).status_code
        == 401
    )
    # Another conversation's acknowledgement of a larger id does not reach this conversation's replies.
    assert chat.post(
        f"/api/v1/conversations/{other_cid}/seen", json={"message_id": reply}, headers=other_auth
    ).json() == {"seen": 0}
    assert stored(chat, reply).seen_at is None


@pytest.mark.parametrize(
    "body", [{}, {"message_id": 0}, {"message_id": 2**31}, {"message_id": "x"}, {"message_id": 1, "x": 1}]
)
def test_bad_acknowledgements_are_422(chat: TestClient, body: dict[str, object]) -> None:
    cid, auth = handed_off(chat)
    response = chat.post(f"/api/v1/conversations/{cid}/seen", json=body, headers=auth)
    assert response.status_code == 422
    assert set(response.json()) >= {"error", "detail"}
