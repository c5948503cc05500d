"""The agents' inbox: permissions, the transcript with the bot's decisions, replies, notes, tags, filters, updates."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import col, select

from api.inbox_views import age
from core.accounts import Role, User
from core.db import Bind, open_session, session_scope
from core.settings import Settings
from support import conversations, handoffs
from support.models import Conversation, Handoff, HandoffStatus, Message, Sender, utcnow
from tests.admin.conftest import csrf_token
from tests.support.handoff_fixtures import make_conversation

XSS = "<script>alert('pwned')</script>"


def new_handoff(db_bind: Bind, settings: Settings, *, locale: str = "en", message: str | None = None) -> Handoff:
    """A handoff from a conversation with bot turns, committed; returned detached."""
    with session_scope(db_bind) as s:
        conversation = make_conversation(s, locale=locale, now=utcnow())
        handoff = handoffs.request_handoff(
            s,
            conversation=conversation,
            email=f"visitor.{uuid.uuid4().hex[:10]}@example.com",
            name=None,
            message=message,
            settings=settings,
        )
        s.flush()
        s.refresh(handoff)
        s.expunge(handoff)
    return handoff


def fresh(db_bind: Bind, handoff_id: int | None) -> Handoff:
    with open_session(db_bind) as s:
        handoff = s.get(Handoff, handoff_id)
        assert handoff is not None
        s.expunge(handoff)
        return handoff


def messages(db_bind: Bind, handoff: Handoff) -> list[Message]:
    with open_session(db_bind) as s:
        rows = s.exec(
            select(Message).where(Message.conversation_id == handoff.conversation_id).order_by(col(Message.id))
        ).all()
        for row in rows:
            s.expunge(row)
        return list(rows)


def user_id(db_bind: Bind, role: Role) -> int:
    with open_session(db_bind) as s:
        user = s.exec(select(User).where(User.email == f"{role.value}@example.com")).one()
        assert user.id is not None
        return user.id


def post(client: TestClient, handoff: Handoff, action: str, **data: str) -> Any:
    token = csrf_token(client, f"/admin/inbox/{handoff.id}")
    return client.post(f"/admin/inbox/{handoff.id}/{action}", data={"csrf_token": token, **data})


# --- permissions -----------------------------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_the_login(
    app_client: TestClient, db_bind: Bind, admin_settings: Settings
) -> None:
    handoff = new_handoff(db_bind, admin_settings)
    for path in ("/admin/inbox", f"/admin/inbox/{handoff.id}", "/admin/inbox?view=mine"):
        response = app_client.get(path)
        assert response.status_code == 303
        assert response.headers["location"].startswith("/admin/login?next=/admin/inbox")
    response = app_client.get("/admin/inbox/updates?since=0", headers={"Accept": "application/json"})
    assert response.status_code == 401
    assert response.json()["error"] == "login_required"
    response = app_client.post(f"/admin/inbox/{handoff.id}/reply", data={"text": "hi", "csrf_token": "x"})
    assert response.status_code in (303, 403)
    assert [m for m in messages(db_bind, handoff) if m.sender is Sender.agent] == []


@pytest.mark.parametrize("role", list(Role))
def test_every_role_works_the_inbox(role: Role, as_role: Any, db_bind: Bind, admin_settings: Settings) -> None:
    client = as_role(role)
    handoff = new_handoff(db_bind, admin_settings)
    page = client.get("/admin/inbox")
    assert page.status_code == 200
    assert '<a href="/admin/inbox">Inbox</a>' in page.text  # in the navigation
    assert handoff.email in page.text
    assert client.get(f"/admin/inbox/{handoff.id}").status_code == 200
    assert post(client, handoff, "reply", text=f"Hello from the {role.value}").status_code == 303
    assert fresh(db_bind, handoff.id).agent_replies == 1
    assert fresh(db_bind, handoff.id).assignee_id == user_id(db_bind, role)


def test_pages_are_strict(as_role: Any, db_bind: Bind, admin_settings: Settings) -> None:
    handoff = new_handoff(db_bind, admin_settings)
    client = as_role(Role.agent)
    for path in ("/admin/inbox", f"/admin/inbox/{handoff.id}"):
        response = client.get(path)
        assert "script-src 'self'" in response.headers["content-security-policy"]
        # Scripts only from files: no inline script anywhere.
        assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", response.text) == []
    assert '<script src="/static/inbox.js" defer></script>' in client.get("/admin/inbox").text
    assert client.get("/static/inbox.js").status_code == 200


def test_unknown_or_impossible_handoff_ids(as_role: Any) -> None:
    client = as_role(Role.agent)
    assert client.get("/admin/inbox/987654").status_code == 404
    assert client.get("/admin/inbox/99999999999999999999").status_code == 422
    assert client.get("/admin/inbox/updates?since=99999999999999999999").status_code == 422


# --- the handoff page ---------------------------------------------------------------------------


def test_transcript_shows_the_bots_decisions(as_role: Any, db_bind: Bind, admin_settings: Settings) -> None:
    handoff = new_handoff(db_bind, admin_settings, message="Please call me")
    page = as_role(Role.agent).get(f"/admin/inbox/{handoff.id}").text
    assert "How do I pause my subscription?" in page
    assert "bot decided: answer" in page
    assert "bot decided: suggest" in page
    assert "intent pause_subscription" in page
    assert "confidence 91 %" in page
    assert "cancel_subscription (6 %)" in page  # a runner-up candidate
    assert "billing_address (40 %)" in page
    assert "visitor found it not helpful" in page
    assert "Please call me" in page
    assert "<strong>Account &gt; Subscription</strong>" in page  # bot answers are sanitised HTML


def test_visitor_text_is_escaped(as_role: Any, db_bind: Bind, admin_settings: Settings) -> None:
    handoff = new_handoff(db_bind, admin_settings, message=f"handoff {XSS}")
    client = as_role(Role.agent)
    page = client.get(f"/admin/inbox/{handoff.id}").text
    assert "<script>alert(" not in page
    assert "&lt;script&gt;alert(" in page  # the transcript's visitor message and the handoff message


def test_reply_with_markup_is_escaped_and_reaches_the_visitor(
    as_role: Any, db_bind: Bind, admin_settings: Settings
) -> None:
    handoff = new_handoff(db_bind, admin_settings)
    client = as_role(Role.agent)
    response = post(client, handoff, "reply", text=f"Try this {XSS} **now**")
    assert response.status_code == 303
    assert response.headers["location"] == f"/admin/inbox/{handoff.id}?notice=replied"
    page = client.get(response.headers["location"]).text
    assert "Reply sent." in page
    assert "<script>alert(" not in page
    assert "<strong>now</strong>" in page
    stored = fresh(db_bind, handoff.id)
    assert stored.first_response_at is not None
    assert stored.status is HandoffStatus.assigned
    with open_session(db_bind) as s:
        conversation = s.get(Conversation, handoff.conversation_id)
        assert conversation is not None
        visible = conversations.messages_after(s, conversation=conversation, after=0)
        assert any(m.sender is Sender.agent and "now" in m.text for m in visible)


def test_reply_without_csrf_token_is_refused(as_role: Any, db_bind: Bind, admin_settings: Settings) -> None:
    handoff = new_handoff(db_bind, admin_settings)
    client = as_role(Role.agent)
    response = client.post(f"/admin/inbox/{handoff.id}/reply", data={"text": "sneaky"})
    assert response.status_code == 403
    response = client.post(f"/admin/inbox/{handoff.id}/reply", data={"text": "sneaky", "csrf_token": "forged"})
    assert response.status_code == 403
    assert "expired or was not sent from this site" in response.text
    assert all(m.text != "sneaky" for m in messages(db_bind, handoff))
    assert fresh(db_bind, handoff.id).first_response_at is None


def test_empty_reply_is_a_clear_error(as_role: Any, db_bind: Bind, admin_settings: Settings) -> None:
    handoff = new_handoff(db_bind, admin_settings)
    response = post(as_role(Role.agent), handoff, "reply", text="   ")
    assert response.status_code == 422
    assert "the reply is empty" in response.text
    response = post(as_role(Role.agent), handoff, "note", text="")
    assert response.status_code == 422
    assert "the note is empty" in response.text


def test_a_reply_to_a_ticket_deleted_meanwhile_is_shown_back_not_lost(
    as_role: Any, db_bind: Bind, admin_settings: Settings
) -> None:
    handoff = new_handoff(db_bind, admin_settings)
    client = as_role(Role.agent)
    token = csrf_token(client, f"/admin/inbox/{handoff.id}")  # the agent opens the ticket and starts writing
    with session_scope(db_bind) as s:  # meanwhile the visitor's data is erased
        conversation = s.get(Conversation, handoff.conversation_id)
        assert conversation is not None
        s.delete(conversation)
    written = "Your refund of <b>€40</b> is on its way."
    response = client.post(f"/admin/inbox/{handoff.id}/reply", data={"csrf_token": token, "text": written})
    assert response.status_code == 404
    assert "This ticket no longer exists: its conversation was deleted. Your reply was not sent." in response.text
    assert "Your refund of &lt;b&gt;€40&lt;/b&gt; is on its way.</textarea>" in response.text


def test_notes_are_internal_marked_and_escaped(as_role: Any, db_bind: Bind, admin_settings: Settings) -> None:
    handoff = new_handoff(db_bind, admin_settings)
    client = as_role(Role.editor)
    assert (
        post(client, handoff, "note", text=f"Refund refused before <img src=x onerror=alert(1)> {XSS}").status_code
        == 303
    )
    page = client.get(f"/admin/inbox/{handoff.id}").text
    assert "Internal note" in page and "not shown to the visitor" in page
    assert "msg-internal" in page
    assert "<img src=x" not in page and "<script>alert(" not in page
    assert "Refund refused before" in page
    (note,) = [m for m in messages(db_bind, handoff) if m.internal]
    with open_session(db_bind) as s:
        conversation = s.get(Conversation, handoff.conversation_id)
        assert conversation is not None
        visible = conversations.messages_after(s, conversation=conversation, after=0)
    assert note.id not in [m.id for m in visible]
    assert fresh(db_bind, handoff.id).first_response_at is None  # a note is not a response


def test_tags_are_saved_and_escaped(as_role: Any, db_bind: Bind, admin_settings: Settings) -> None:
    handoff = new_handoff(db_bind, admin_settings)
    client = as_role(Role.agent)
    assert post(client, handoff, "tags", tags=f"Billing, vip, {XSS}").status_code == 303
    assert fresh(db_bind, handoff.id).tags == ["billing", "vip", XSS.lower()]
    for path in (f"/admin/inbox/{handoff.id}", "/admin/inbox", "/admin/inbox?view=all"):
        page = client.get(path).text
        assert "<script>alert(" not in page
    assert "&lt;script&gt;alert(" in client.get("/admin/inbox").text
    response = post(client, handoff, "tags", tags="x" * 60)
    assert response.status_code == 422
    assert "longer than 50 characters" in response.text


def test_assign_resolve_reopen(as_role: Any, db_bind: Bind, admin_settings: Settings) -> None:
    handoff = new_handoff(db_bind, admin_settings)
    client = as_role(Role.agent)
    agent_id = user_id(db_bind, Role.agent)
    assert post(client, handoff, "assign", assignee="me").status_code == 303
    assert (fresh(db_bind, handoff.id).status, fresh(db_bind, handoff.id).assignee_id) == (
        HandoffStatus.assigned,
        agent_id,
    )
    assert post(client, handoff, "assign", assignee="").status_code == 303
    assert fresh(db_bind, handoff.id).status is HandoffStatus.open
    admin_id = user_id(db_bind, Role.admin)
    assert post(client, handoff, "assign", assignee=str(admin_id)).status_code == 303
    assert fresh(db_bind, handoff.id).assignee_id == admin_id
    response = post(client, handoff, "assign", assignee="424242")
    assert response.status_code == 422
    assert "no active user" in response.text
    assert post(client, handoff, "resolve").status_code == 303
    stored = fresh(db_bind, handoff.id)
    assert stored.status is HandoffStatus.resolved
    assert stored.resolved_by == agent_id
    assert "Reopen" in client.get(f"/admin/inbox/{handoff.id}").text
    assert post(client, handoff, "reopen").status_code == 303
    stored = fresh(db_bind, handoff.id)
    assert (stored.status, stored.reopened, stored.resolved_at) == (HandoffStatus.assigned, 1, None)


def test_a_claim_from_a_stale_page_does_not_take_the_ticket_from_who_took_it_meanwhile(
    as_role: Any, db_bind: Bind, admin_settings: Settings
) -> None:
    handoff = new_handoff(db_bind, admin_settings)
    agent, admin = as_role(Role.agent), as_role(Role.admin)
    assert 'name="shown" value="0"' in agent.get(f"/admin/inbox/{handoff.id}").text  # both pages show nobody
    assert post(admin, handoff, "assign", assignee="me", shown="0").status_code == 303
    stale = post(agent, handoff, "assign", assignee="me", shown="0")
    assert stale.status_code == 409 and "assigned to" in stale.text
    assert fresh(db_bind, handoff.id).assignee_id == user_id(db_bind, Role.admin)
    # Seen as the admin's, handing it on is deliberate; the same change twice (a double click) is no conflict.
    admin_id = str(user_id(db_bind, Role.admin))
    assert post(agent, handoff, "assign", assignee="me", shown=admin_id).status_code == 303
    assert post(agent, handoff, "assign", assignee="me", shown=admin_id).status_code == 303
    assert fresh(db_bind, handoff.id).assignee_id == user_id(db_bind, Role.agent)


# --- the queue ------------------------------------------------------------------------------------


def rows(client: TestClient, query: str = "") -> list[int]:
    response = client.get("/admin/inbox" + query)
    assert response.status_code == 200, response.text
    return [int(i) for i in re.findall(r'<tr data-id="(\d+)">', response.text)]


def test_filters(as_role: Any, db_bind: Bind, admin_settings: Settings) -> None:
    client = as_role(Role.agent)
    english, german, dutch = (new_handoff(db_bind, admin_settings, locale=loc) for loc in ("en", "de", "nl"))
    post(client, german, "assign", assignee="me")
    post(client, dutch, "resolve")
    post(client, english, "tags", tags="urgent-zz")

    default = rows(client)
    assert english.id in default and german.id in default and dutch.id not in default
    assert default == sorted(default, reverse=True)  # newest first
    assert english.id in rows(client, "?view=open") and german.id not in rows(client, "?view=open")
    assert german.id in rows(client, "?view=assigned")
    assert german.id in rows(client, "?view=mine") and english.id not in rows(client, "?view=mine")
    assert rows(client, "?view=resolved").count(dutch.id) == 1 and english.id not in rows(client, "?view=resolved")
    assert dutch.id in rows(client, "?view=all")
    by_locale = rows(client, "?view=all&locale=de")
    assert german.id in by_locale and english.id not in by_locale
    assert rows(client, "?view=all&tag=urgent-zz") == [english.id]
    # Another agent's "mine" is different.
    assert german.id not in rows(as_role(Role.admin), "?view=mine")
    response = client.get("/admin/inbox?view=bogus")
    assert response.status_code == 422
    assert "unknown view" in response.text


def test_updates_for_the_poller(as_role: Any, db_bind: Bind, admin_settings: Settings) -> None:
    client = as_role(Role.agent)
    page = client.get("/admin/inbox").text
    since = int(re.search(r'data-since="(\d+)"', page).group(1))  # type: ignore[union-attr]
    assert 'data-updates="/admin/inbox/updates?"' in page
    assert client.get(f"/admin/inbox/updates?since={since}").json() == {"handoffs": [], "last_id": since}

    first = new_handoff(db_bind, admin_settings, locale="en", message=XSS)
    second = new_handoff(db_bind, admin_settings, locale="de")
    response = client.get(f"/admin/inbox/updates?since={since}")
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert [h["id"] for h in body["handoffs"]] == [second.id, first.id]  # newest first
    assert body["last_id"] == second.id
    row = body["handoffs"][1]
    assert row["email"] == first.email
    assert row["status"] == "open"
    assert row["top_intent"] == "pause_subscription"
    assert row["age"] == "just now"
    # The poller keeps the page's filters.
    filtered = client.get(f"/admin/inbox/updates?since={since}&locale=de").json()
    assert [h["id"] for h in filtered["handoffs"]] == [second.id]
    assert filtered["last_id"] == second.id  # skipped rows are not asked about again
    assert client.get(f"/admin/inbox/updates?since={second.id}").json()["handoffs"] == []
    filtered_page = client.get("/admin/inbox?locale=de").text
    assert 'data-updates="/admin/inbox/updates?locale=de&amp;"' in filtered_page
    assert client.get("/admin/inbox/updates?since=-1").status_code == 422


@pytest.mark.parametrize(
    ("elapsed", "shown"),
    [
        (timedelta(seconds=59), "just now"),
        (timedelta(minutes=4, seconds=50), "5 min"),
        (timedelta(minutes=90), "90 min"),
        (timedelta(hours=3), "3 hr"),
        (timedelta(hours=47), "47 hr"),
        (timedelta(days=2), "2 days"),
    ],
)
def test_a_ticket_age_is_short(elapsed: timedelta, shown: str) -> None:
    now = utcnow()
    assert age(now - elapsed, now) == shown


def test_the_inbox_names_the_ticket_waiting_longest_for_an_agent(
    as_role: Any, db_bind: Bind, admin_settings: Settings
) -> None:
    client = as_role(Role.agent)
    waiting, taken, _new = (new_handoff(db_bind, admin_settings) for _ in range(3))
    with session_scope(db_bind) as s:
        for handoff, hours in ((waiting, 3), (taken, 5)):
            row = s.get(Handoff, handoff.id)
            assert row is not None
            row.created_at = utcnow() - timedelta(hours=hours)
    post(client, taken, "assign", assignee="me")  # taken: an agent has it, it no longer waits for one
    page = client.get("/admin/inbox").text
    oldest = re.search(r'<p id="oldest-open">(.*?)</p>', page, re.S)
    assert oldest is not None, "the longest-waiting ticket is named above the newest-first list"
    assert f'href="/admin/inbox/{waiting.id}"' in oldest.group(1) and ">3 hr<" in oldest.group(1)
    assert 'id="oldest-open"' not in client.get("/admin/inbox?locale=nl").text  # none waits in Dutch
