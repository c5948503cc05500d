"""The inbox and a ticket page follow the visitor without a reload, and say honestly whether a reply reached them."""

from __future__ import annotations

import html
import re
import uuid
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from core.accounts import Role
from core.db import Bind, open_session, session_scope
from core.settings import Settings
from support import conversations, handoffs, reply_delivery
from support.models import Conversation, Handoff, OutboxItem, Sender, utcnow
from tests.admin.conftest import csrf_token
from tests.support.handoff_fixtures import make_conversation


@pytest.fixture()
def agent(as_role: Any) -> TestClient:
    client: TestClient = as_role(Role.agent)
    return client


def new_handoff(db_bind: Bind, settings: Settings) -> Handoff:
    """A handoff whose visitor's widget is open right now (committed; returned detached)."""
    with session_scope(db_bind) as s:
        conversation = make_conversation(s, now=utcnow(), seen_ago=None)
        conversation.visitor_seen_at = utcnow()
        handoff = handoffs.request_handoff(
            s,
            conversation=conversation,
            email=f"visitor.{uuid.uuid4().hex[:10]}@example.com",
            name=None,
            message=None,
            settings=settings,
        )
        s.flush()
        s.refresh(handoff)
        s.expunge(handoff)
    return handoff


def visitor_writes(db_bind: Bind, handoff: Handoff, text: str) -> int:
    with session_scope(db_bind) as s:
        conversation = s.get(Conversation, handoff.conversation_id)
        assert conversation is not None
        message = conversations.add_message(s, conversation=conversation, sender=Sender.visitor, text=text)
        assert message.id is not None
        return message.id


def data(page: str, name: str) -> int:
    match = re.search(rf'{name}="(\d+)"', page)
    assert match, f"no {name} on the page"
    return int(match.group(1))


def reply(client: TestClient, handoff: Handoff, text: str) -> str:
    token = csrf_token(client, f"/admin/inbox/{handoff.id}")
    response = client.post(f"/admin/inbox/{handoff.id}/reply", data={"csrf_token": token, "text": text})
    assert response.status_code == 303, response.text
    return client.get(response.headers["location"]).text


def test_a_new_visitor_message_reaches_the_open_ticket_page(
    agent: TestClient, db_bind: Bind, admin_settings: Settings
) -> None:
    handoff = new_handoff(db_bind, admin_settings)
    page = agent.get(f"/admin/inbox/{handoff.id}").text
    assert '<script src="/static/handoff.js" defer></script>' in page
    after = data(page, "data-after")
    assert agent.get(f"/admin/inbox/{handoff.id}/updates?after={after}").json()["html"] == ""

    written = visitor_writes(db_bind, handoff, "Still waiting <script>alert(1)</script>")
    update = agent.get(f"/admin/inbox/{handoff.id}/updates?after={after}")
    assert update.status_code == 200
    assert update.headers["cache-control"] == "no-store"
    body = update.json()
    assert body["last_id"] == written and body["visitor_messages"] == 1
    assert f'<li id="m{written}" class="msg msg-visitor">' in body["html"]
    assert "Still waiting &lt;script&gt;alert(1)&lt;/script&gt;" in body["html"]  # the page's own escaping
    assert "<script>" not in body["html"]
    again = agent.get(f"/admin/inbox/{handoff.id}/updates?after={written}").json()
    assert (again["html"], again["last_id"], again["visitor_messages"]) == ("", written, 0)


def test_each_reply_says_whether_it_reached_the_visitor(
    agent: TestClient, db_bind: Bind, admin_settings: Settings
) -> None:
    handoff = new_handoff(db_bind, admin_settings)
    page = reply(agent, handoff, "Here is how.")
    assert "if they have not seen it within 2 min, it is emailed to" in page
    assert "Not seen in the chat yet: emailed to " + handoff.email in page
    assert "The visitor sees this in the chat." not in page  # the old promise nobody checked

    with open_session(db_bind) as s:  # the widget shows the reply and says so
        conversation = s.get(Conversation, handoff.conversation_id)
        assert conversation is not None
        assert reply_delivery.mark_seen(s, conversation=conversation, up_to=2**31 - 1) == 1
        s.commit()
    after = data(agent.get(f"/admin/inbox/{handoff.id}").text, "data-after")
    (line,) = agent.get(f"/admin/inbox/{handoff.id}/updates?after={after}").json()["replies"].values()
    assert line.startswith('<p class="hint reply-state" data-reply="')
    assert "Seen by the visitor in the chat" in line


def test_an_email_queued_is_not_called_sent_and_a_failed_one_says_so(
    agent: TestClient, db_bind: Bind, admin_settings: Settings
) -> None:
    handoff = new_handoff(db_bind, admin_settings)
    with open_session(db_bind) as s:  # the visitor has left: the reply goes out as an email at once
        conversation = s.get(Conversation, handoff.conversation_id)
        assert conversation is not None
        conversation.visitor_seen_at = utcnow() - timedelta(days=1)
        s.add(conversation)
        s.commit()
    page = html.unescape(reply(agent, handoff, "We sent a new one."))
    assert f"Not seen in the chat: an email to {handoff.email} is waiting to be sent since" in page
    with open_session(db_bind) as s:  # the outbox tried and gave up
        [item] = s.exec(select(OutboxItem).where(OutboxItem.target == handoff.email)).all()
        item.attempts, item.failed_at, item.last_error = 8, utcnow(), "550 mailbox unavailable"
        s.add(item)
        s.commit()
    page = html.unescape(agent.get(f"/admin/inbox/{handoff.id}").text)
    assert '<p class="error reply-state"' in page
    assert f"the email to {handoff.email} could not be sent (550 mailbox unavailable)" in page
    assert "Not seen in the chat: emailed to" not in page


def test_no_email_is_said_plainly(agent: TestClient, db_bind: Bind, admin_settings: Settings) -> None:
    handoff = new_handoff(db_bind, admin_settings)
    with session_scope(db_bind) as s:
        stored = s.get(Handoff, handoff.id)
        assert stored is not None
        stored.email = ""
    page = reply(agent, handoff, "Are you still there?")
    assert "The visitor left no email: they see this reply only if they come back to the chat." in page
    assert "The visitor has not seen this reply and left no email." in page


def test_the_inbox_learns_which_handoffs_have_new_visitor_messages(
    agent: TestClient, db_bind: Bind, admin_settings: Settings
) -> None:
    quiet = new_handoff(db_bind, admin_settings)
    talking = new_handoff(db_bind, admin_settings)
    page = agent.get("/admin/inbox").text
    since, active_after = data(page, "data-since"), data(page, "data-active-after")
    written = visitor_writes(db_bind, talking, "One more thing")
    body = agent.get(f"/admin/inbox/updates?since={since}&active_after={active_after}").json()
    assert [row["id"] for row in body["active"]] == [talking.id]
    assert quiet.id not in [row["id"] for row in body["active"]]
    assert body["last_message_id"] >= written
    later = agent.get(f"/admin/inbox/updates?since={since}&active_after={body['last_message_id']}").json()
    assert later["active"] == []
    # Without the parameter the answer is what it was (an older page's script).
    assert "active" not in agent.get(f"/admin/inbox/updates?since={since}").json()


def test_updates_need_a_signed_in_user_and_sane_ids(
    app_client: TestClient, agent: TestClient, db_bind: Bind, admin_settings: Settings
) -> None:
    handoff = new_handoff(db_bind, admin_settings)
    anonymous = app_client.get(f"/admin/inbox/{handoff.id}/updates", headers={"Accept": "application/json"})
    assert anonymous.status_code == 401
    assert agent.get("/admin/inbox/987654/updates").status_code == 404
    assert agent.get(f"/admin/inbox/{handoff.id}/updates?after=99999999999").status_code == 422
    assert agent.get("/admin/inbox/updates?active_after=99999999999").status_code == 422
