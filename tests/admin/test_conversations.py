"""The conversation browser's pages: filters in the query string, each row opening the transcript."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi.testclient import TestClient
from sqlmodel import select

from core.accounts import Role
from core.db import Bind, session_scope
from support.models import Message
from tests.support.handoff_fixtures import make_conversation


def test_an_agent_filters_conversations_and_opens_one(as_role: Any, db_bind: Bind) -> None:
    agent: TestClient = as_role(Role.agent)
    intent = f"intent_{uuid.uuid4().hex[:6]}"
    with session_scope(db_bind) as s:
        conversation = make_conversation(s, locale="de")
        conversation_id = conversation.id
        bot_turn = s.exec(
            select(Message).where(Message.conversation_id == conversation_id, Message.decision == "answer")
        ).one()
        bot_turn.intent = intent  # an intent no other test's conversation has
        s.add(bot_turn)
    listing = agent.get(
        f"/admin/conversations?intent={intent}&decision=answer&locale=de&start=2024-06-03&end=2024-06-03"
    )
    assert listing.status_code == 200
    assert f'href="/admin/conversations/{conversation_id}"' in listing.text
    assert "How do I pause my subscription?" in listing.text
    assert agent.get(f"/admin/conversations?intent={intent}&locale=en").text.count('href="/admin/conversations/') == 0

    # The dashboard's top intents link to the browser, filtered to the intent and the dashboard's days.
    dashboard = agent.get("/admin/dashboard?start=2024-06-03&end=2024-06-03").text
    link = f"/admin/conversations?intent={intent}&amp;start=2024-06-03&amp;end=2024-06-03&amp;locale="
    assert f'href="{link}"' in dashboard

    page = agent.get(f"/admin/conversations/{conversation_id}")
    assert page.status_code == 200
    assert 'class="transcript"' in page.text and "bot decided: answer" in page.text
    assert "That button is not there &lt;script&gt;" in page.text  # visitor text escaped


def test_bad_filters_are_a_422_and_strangers_are_sent_to_sign_in(as_role: Any, app_client: TestClient) -> None:
    agent: TestClient = as_role(Role.agent)
    assert agent.get("/admin/conversations?decision=maybe").status_code == 422
    assert agent.get("/admin/conversations?start=2024-13-01").status_code == 422
    assert agent.get("/admin/conversations?end=9999-12-31").status_code == 422
    assert agent.get("/admin/conversations?page=0").status_code == 422
    assert agent.get("/admin/conversations/not-a-conversation").status_code == 422
    assert agent.get("/admin/conversations/" + "0" * 32).status_code == 404
    stranger = TestClient(app_client.app, follow_redirects=False)
    assert stranger.get("/admin/conversations").status_code == 303
