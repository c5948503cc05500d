"""The inbox and the ticket page as server-sent events: what arrives, where a reconnection resumes, who may
listen. (The pages' JavaScript is tested in a browser: tests/browser/test_agent_day_browser.py.)"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from core.accounts import Role, User
from core.db import Bind, session_scope
from core.settings import Settings
from support import assignment, handoffs
from tests.admin.test_inbox_live import data, new_handoff, visitor_writes


@pytest.fixture()
def agent(as_role: Any) -> TestClient:
    client: TestClient = as_role(Role.agent)
    return client


def first_event(
    client: TestClient, url: str, headers: dict[str, str] | None = None, then: Callable[[], object] | None = None
) -> tuple[str, dict[str, Any]]:
    """The id and data of the first event that carries data (the stream opens with a ``retry:`` line);
    ``then`` runs once the stream is open, so what it does reaches the page through a later read."""
    with client.stream("GET", url, headers=headers or {}) as stream:
        assert stream.status_code == 200
        assert stream.headers["content-type"].startswith("text/event-stream")
        event_id = ""
        for line in stream.iter_lines():
            if then is not None and line.startswith("retry:"):
                then()
            if line.startswith("id: "):
                event_id = line[4:]
            if line.startswith("data: "):
                return event_id, json.loads(line[6:])
    raise AssertionError("the stream ended without an event")


def test_the_ticket_stream_brings_the_visitor_message_and_resumes_after_the_last_event(
    agent: TestClient, db_bind: Bind, admin_settings: Settings
) -> None:
    handoff = new_handoff(db_bind, admin_settings)
    page = agent.get(f"/admin/inbox/{handoff.id}").text
    assert f'data-events="/admin/inbox/{handoff.id}/events"' in page
    after = data(page, "data-after")
    first = visitor_writes(db_bind, handoff, "Hello? <b>anyone</b>")
    event_id, body = first_event(agent, f"/admin/inbox/{handoff.id}/events?after={after}")
    assert event_id == str(first) and body["last_id"] == first and body["visitor_messages"] == 1
    assert f'id="m{first}"' in body["html"] and "&lt;b&gt;anyone&lt;/b&gt;" in body["html"]

    # EventSource reconnects with the last id it saw: only what came after it arrives.
    second = visitor_writes(db_bind, handoff, "Second message")
    event_id, body = first_event(
        agent, f"/admin/inbox/{handoff.id}/events?after={after}", headers={"Last-Event-ID": str(first)}
    )
    assert event_id == str(second)
    assert "Second message" in body["html"] and "Hello?" not in body["html"]
    # A header that is not a message id is ignored, never a 500.
    event_id, _ = first_event(agent, f"/admin/inbox/{handoff.id}/events?after={first}", headers={"Last-Event-ID": "x"})
    assert event_id == str(second)


def test_the_inbox_stream_brings_new_handoffs_and_visitors_writing_again(
    agent: TestClient, db_bind: Bind, admin_settings: Settings
) -> None:
    talking = new_handoff(db_bind, admin_settings)
    page = agent.get("/admin/inbox").text
    assert 'data-events="/admin/inbox/events?"' in page
    since, active_after = data(page, "data-since"), data(page, "data-active-after")
    fresh = new_handoff(db_bind, admin_settings)
    written = visitor_writes(db_bind, talking, "One more thing")
    event_id, body = first_event(agent, f"/admin/inbox/events?since={since}&active_after={active_after}")
    assert [row["id"] for row in body["handoffs"]] == [fresh.id]
    assert talking.id in [row["id"] for row in body["active"]]
    assert body["last_message_id"] >= written
    assert event_id == f"{body['last_id']}-{body['last_message_id']}"

    # Resuming from that id: the next event is only what happened since.
    later = new_handoff(db_bind, admin_settings)
    _, body = first_event(agent, f"/admin/inbox/events?since={since}", headers={"Last-Event-ID": event_id})
    assert [row["id"] for row in body["handoffs"]] == [later.id]
    assert fresh.id not in [row["id"] for row in body["active"]]


def test_only_signed_in_users_may_listen(app_client: TestClient, db_bind: Bind, admin_settings: Settings) -> None:
    handoff = new_handoff(db_bind, admin_settings)
    stranger = TestClient(app_client.app, follow_redirects=False)
    for url in ("/admin/inbox/events", f"/admin/inbox/{handoff.id}/events"):
        response = stranger.get(url)
        assert response.status_code == 303 and response.headers["location"].startswith("/admin/login")


def test_bad_parameters_are_refused_with_a_message(agent: TestClient) -> None:
    assert agent.get("/admin/inbox/events?since=-1").status_code == 422
    assert agent.get("/admin/inbox/events?view=nonsense").status_code == 422
    assert agent.get("/admin/inbox/99999999999/events").status_code == 422
    assert agent.get("/admin/inbox/2147483646/events").status_code == 404


def test_the_mine_view_streams_visitors_writing_on_my_tickets(
    agent: TestClient, db_bind: Bind, admin_settings: Settings
) -> None:
    handoff = new_handoff(db_bind, admin_settings)
    with session_scope(db_bind) as s:
        me = s.exec(select(User).where(User.email == "agent@example.com")).one()
        assignment.assign(s, handoff=handoffs.get_handoff(s, handoff_id=handoff.id or 0), agent=me)
    page = agent.get("/admin/inbox?view=mine").text
    since, active_after = data(page, "data-since"), data(page, "data-active-after")
    url = f"/admin/inbox/events?view=mine&since={since}&active_after={active_after}"
    # The message is written after the stream opened: a later read, after the request's own session closed.
    _, body = first_event(agent, url, then=lambda: visitor_writes(db_bind, handoff, "Any news?"))
    assert [row["id"] for row in body["active"]] == [handoff.id]
