"""The widget API over the demo model: bot turns as DESIGN.md section 2 fixes them, tokens, limits, CORS."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from api.app import create_app
from core.accounts import User
from core.settings import Settings
from helpcenter.models import Article
from support import conversations, handoffs, suggest
from support.models import CloseReason, Conversation, Handoff, Message, Sender
from support.replies import reply
from tests.admin.conftest import make_settings
from tests.app import configure
from tests.misses import unsure_with_articles


@pytest.fixture()
def chat(site_app: FastAPI) -> TestClient:
    """The run's app (tests/app.py) with a tight per-conversation limit for the rate-limit test."""
    # A day's window, not a minute's: the sliding-window counter weighs the previous window's hits by how
    # much of it is left, so nine posts that straddle a window's end may all pass (a flaky CI run did).
    configure(site_app, widget_rate_limit_conversation="8/day")
    return TestClient(site_app)


def start(client: TestClient, locale: str = "en") -> tuple[str, dict[str, str]]:
    response = client.post("/api/v1/conversations", json={"locale": locale, "page_url": "https://shop.example/cart"})
    assert response.status_code == 201
    body = response.json()
    return body["id"], {"Authorization": f"Bearer {body['token']}"}


def say(client: TestClient, cid: str, auth: dict[str, str], text: str) -> dict[str, object]:
    response = client.post(f"/api/v1/conversations/{cid}/messages", json={"text": text}, headers=auth)
    assert response.status_code == 200, response.text
    return response.json()


def test_a_clear_question_gets_the_answer_with_its_article(chat: TestClient, site_db: Session) -> None:
    cid, auth = start(chat)
    reply = say(chat, cid, auth, "Where is my order?")
    assert reply["type"] == "answer" and reply["intent"] == "track_order"
    assert 0 < float(reply["confidence"]) <= 1  # type: ignore[arg-type]
    assert reply["html"].startswith("<") and reply["text"]  # type: ignore[union-attr]
    assert reply["articles"] == [
        {"title": "Tracking your order", "url": "/hc/en/articles/tracking-your-order", "snippet": None}
    ]
    with site_db as session:
        turn = session.exec(select(Message).where(Message.id == reply["id"])).one()
        assert turn.decision == "answer" and turn.model_version and turn.latency_ms and turn.latency_ms > 0
        assert turn.candidates[0]["intent"] == "track_order" and len(turn.candidates) >= 2  # runner-ups kept
        conversation = session.get(Conversation, cid)
        assert conversation is not None and conversation.started_at is not None and conversation.has_question


def test_greetings_do_not_count_as_questions(chat: TestClient, site_db: Session) -> None:
    cid, auth = start(chat, "de")
    reply = say(chat, cid, auth, "Hallo!")
    assert reply["type"] == "answer" and reply["intent"] == "greeting"
    with site_db as session:
        conversation = session.get(Conversation, cid)
        assert conversation is not None and conversation.started_at is not None and not conversation.has_question


def test_options_resolve_as_if_the_visitor_asked_that_intent(chat: TestClient, site_db: Session) -> None:
    cid, auth = start(chat)
    with site_db as session:
        # A clarify turn as the policy makes it; which message yields one depends on the model, so write it.
        session.add(
            Message(
                conversation_id=cid,
                sender=Sender.bot,
                text="Did you mean one of these?",
                decision="clarify",
                options=[
                    {"intent": "return_item", "label": "How do I return an item?", "locale": "en"},
                    {"intent": "refund_status", "label": "Where is my refund?", "locale": "en"},
                ],
            )
        )
        session.commit()
    chosen = chat.post(f"/api/v1/conversations/{cid}/messages", json={"option": "refund_status"}, headers=auth)
    assert (
        chosen.status_code == 200 and chosen.json()["type"] == "answer" and chosen.json()["intent"] == "refund_status"
    )
    history = chat.get(f"/api/v1/conversations/{cid}/messages", headers=auth).json()
    assert [m["text"] for m in history if m["sender"] == "visitor"] == ["Where is my refund?"]
    again = chat.post(f"/api/v1/conversations/{cid}/messages", json={"option": "refund_status"}, headers=auth)
    assert again.status_code == 409 and "not one of the options" in again.json()["detail"]


def test_not_understood_twice_with_nothing_to_suggest_hands_off(chat: TestClient) -> None:
    cid, auth = start(chat)
    first = say(chat, cid, auth, "qwertyuiop asdfghjkl zxcvbnm")
    assert first["type"] == "suggest"
    second = say(chat, cid, auth, "blorp flibber wuzzle")
    assert second["type"] == "handoff" and second["intent"] is None


def test_misses_with_articles_to_offer_never_force_a_handoff(chat: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    """A person is offered, not forced, while the help center has something to suggest."""
    article = Article(locale="en", title="Returns", slug="return-an-item", body="", author="ed")
    found = [suggest.Suggestion(article=article, snippet_html="", words=1.0, similarity=None)]
    monkeypatch.setattr(suggest, "suggest", lambda *args, **kwargs: found)
    cid, auth = start(chat)
    turns = [say(chat, cid, auth, text) for text in ("qwertyuiop asdfghjkl", "blorp flibber", "wuzzle zorp")]
    assert [t["type"] for t in turns] == ["suggest"] * 3
    assert all(t["articles"] and t["articles"][0]["url"] == "/hc/en/articles/return-an-item" for t in turns)


def test_a_miss_offers_its_likeliest_intents_beside_articles_and_a_click_answers(
    chat: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Not sure enough to ask, but fairly sure the right intent is among the likeliest: they are offered as
    options beside the articles, and one click answers. Without articles (the question is off the help
    center's subject) they are not offered."""
    related = ["return_item", "refund_status"]
    unsure_with_articles(monkeypatch, likeliest=related, title="Returns", slug="return-an-item")
    cid, auth = start(chat)
    reply = say(chat, cid, auth, "my parcel thing")
    assert reply["type"] == "suggest" and reply["articles"]
    assert [o["intent"] for o in reply["options"]] == related  # type: ignore[index,union-attr]
    assert all(o["label"] for o in reply["options"])  # type: ignore[index,union-attr]
    chosen = chat.post(f"/api/v1/conversations/{cid}/messages", json={"option": "refund_status"}, headers=auth)
    assert chosen.status_code == 200, chosen.text
    assert (chosen.json()["type"], chosen.json()["intent"]) == ("answer", "refund_status")
    monkeypatch.setattr(suggest, "suggest", lambda *args, **kwargs: [])
    bare = say(chat, cid, auth, "blorp flibber")
    assert (bare["type"], bare["options"], bare["articles"]) == ("suggest", [], [])


def test_messages_after_and_feedback(chat: TestClient) -> None:
    cid, auth = start(chat)
    reply = say(chat, cid, auth, "How long does delivery take?")
    everything = chat.get(f"/api/v1/conversations/{cid}/messages", headers=auth).json()
    assert [m["sender"] for m in everything] == ["visitor", "bot"]
    assert chat.get(f"/api/v1/conversations/{cid}/messages?after={reply['id']}", headers=auth).json() == []
    voted = chat.post(
        f"/api/v1/conversations/{cid}/feedback", json={"message_id": reply["id"], "helpful": False}, headers=auth
    )
    assert voted.status_code == 200 and voted.json()["helpful"] is False
    visitor_id = everything[0]["id"]
    wrong = chat.post(
        f"/api/v1/conversations/{cid}/feedback", json={"message_id": visitor_id, "helpful": True}, headers=auth
    )
    assert wrong.status_code == 409
    rated = chat.post(f"/api/v1/conversations/{cid}/rating", json={"score": 4, "comment": "ok"}, headers=auth)
    assert rated.status_code == 201
    assert chat.post(f"/api/v1/conversations/{cid}/rating", json={"score": 6}, headers=auth).status_code == 422


def test_tokens_protect_conversations(chat: TestClient) -> None:
    cid, auth = start(chat)
    other_cid, other_auth = start(chat)
    assert chat.post(f"/api/v1/conversations/{cid}/messages", json={"text": "hi"}).status_code == 401
    assert (
        chat.post(f"/api/v1/conversations/{cid}/messages", json={"text": "hi"}, headers=other_auth).status_code == 401
    )
    assert chat.get("/api/v1/conversations/nope/messages", headers=auth).status_code == 404
    assert chat.get(f"/api/v1/conversations/{other_cid}/events", headers=auth).status_code == 401


@pytest.mark.parametrize(
    ("body", "status", "words"),
    [
        ({"text": ""}, 422, "empty"),
        ({"text": "x" * 2001}, 422, "text"),
        ({}, 422, "either text or option"),
        ({"text": "hi", "option": "track_order"}, 422, "either text or option"),
        ({"text": "hi", "html": "<b>"}, 422, "html"),
    ],
)
def test_bad_messages_get_clear_errors(chat: TestClient, body: dict[str, object], status: int, words: str) -> None:
    cid, auth = start(chat)
    response = chat.post(f"/api/v1/conversations/{cid}/messages", json=body, headers=auth)
    assert response.status_code == status and words in response.json()["detail"]


def test_visitor_text_is_stored_verbatim_and_never_rendered(chat: TestClient) -> None:
    cid, auth = start(chat)
    say(chat, cid, auth, "<img src=x onerror=alert(1)> where is my order")
    visitor = chat.get(f"/api/v1/conversations/{cid}/messages", headers=auth).json()[0]
    assert visitor["text"] == "<img src=x onerror=alert(1)> where is my order" and visitor["html"] == ""


@pytest.mark.parametrize(
    ("locale", "written", "typed"),
    [
        ("de", "Wo finde ich meine Rechnung?", "wo finde ich meine rechnug"),
        ("en", "How do I reset my password?", "how do i reset my paswrod"),
    ],
)
def test_a_misspelt_question_is_answered_as_the_spelt_one(
    chat: TestClient, locale: str, written: str, typed: str
) -> None:
    replies = []
    for text in (written, typed):
        cid, auth = start(chat, locale)
        replies.append(say(chat, cid, auth, text))
        visitor = chat.get(f"/api/v1/conversations/{cid}/messages", headers=auth).json()[0]
        assert visitor["text"] == text  # the transcript keeps what the visitor wrote; only the bot read it corrected
    spelt, misspelt = replies
    assert spelt["type"] == "answer" and (misspelt["type"], misspelt["intent"]) == ("answer", spelt["intent"])


def test_locale_falls_back_and_rate_limit_per_conversation(chat: TestClient) -> None:
    for asked, spoken in (("fr", "en"), ("de-CH", "de"), ("NL", "nl"), (None, "en")):
        started = chat.post("/api/v1/conversations", json={"locale": asked})
        assert started.status_code == 201 and started.json()["locale"] == spoken, asked
    cid, auth = start(chat)
    statuses = [
        chat.post(f"/api/v1/conversations/{cid}/messages", json={"text": "thanks"}, headers=auth).status_code
        for _ in range(9)
    ]
    assert statuses[:8] == [200] * 8 and statuses[8] == 429


def test_cors_allows_only_configured_sites(chat: TestClient) -> None:
    preflight = {
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization,content-type",
    }
    allowed = chat.options("/api/v1/conversations", headers={"Origin": "https://shop.example", **preflight})
    assert allowed.headers["access-control-allow-origin"] == "https://shop.example"
    assert "access-control-allow-credentials" not in allowed.headers
    other = chat.options("/api/v1/conversations", headers={"Origin": "https://evil.example", **preflight})
    assert "access-control-allow-origin" not in other.headers


def test_no_model_yet_is_a_clear_503(tmp_path: Path) -> None:
    with TestClient(create_app(make_settings(tmp_path))) as client:
        cid, auth = start(client)
        response = client.post(f"/api/v1/conversations/{cid}/messages", json={"text": "hi"}, headers=auth)
        assert response.status_code == 503 and response.json()["error"] == "model_not_ready"


def events(client: TestClient, url: str, count: int, headers: dict[str, str]) -> list[str]:
    """The first ``count`` data lines of an event stream."""
    with client.stream("GET", url, headers=headers) as stream:
        assert stream.headers["content-type"].startswith("text/event-stream")
        data: list[str] = []
        for line in stream.iter_lines():
            if line.startswith("data: "):
                data.append(line)
            if len(data) == count:
                return data
    raise AssertionError(f"the stream ended after {data}")


def test_server_sent_events_deliver_new_messages(chat: TestClient) -> None:
    cid, auth = start(chat)
    say(chat, cid, auth, "Hello")
    data = events(chat, f"/api/v1/conversations/{cid}/events", 2, auth)
    assert '"sender": "visitor"' in data[0] and '"sender": "bot"' in data[1]


def test_server_sent_events_take_the_token_from_the_header_never_the_url(chat: TestClient) -> None:
    cid, auth = start(chat)
    say(chat, cid, auth, "Hello")
    token = auth["Authorization"].split()[1]
    in_url = chat.get(f"/api/v1/conversations/{cid}/events?token={token}")  # access logs would keep it
    assert in_url.status_code == 401 and in_url.json()["error"] == "unauthorized"
    # Reconnecting resumes after the last message seen, by query (the widget) or by Last-Event-ID.
    first = chat.get(f"/api/v1/conversations/{cid}/messages", headers=auth).json()[0]["id"]
    (bot,) = events(chat, f"/api/v1/conversations/{cid}/events?after={first}", 1, auth)
    assert '"sender": "bot"' in bot
    (again,) = events(chat, f"/api/v1/conversations/{cid}/events", 1, {**auth, "Last-Event-ID": str(first)})
    assert again == bot


@pytest.mark.parametrize("text", ["\u200b", "\ufeff", "\u2060\u200f", " \u200d\n"])
def test_a_message_of_invisible_characters_is_empty(chat: TestClient, text: str) -> None:
    cid, auth = start(chat)
    refused = chat.post(f"/api/v1/conversations/{cid}/messages", json={"text": text}, headers=auth)
    assert refused.status_code == 422 and "empty" in refused.text  # not a question the bot missed
    assert chat.get(f"/api/v1/conversations/{cid}/messages", headers=auth).json() == []
    assert say(chat, cid, auth, "\U0001f44b")["type"]  # an emoji alone shows something: a turn


def test_a_conversation_starts_without_a_body_and_options_close_at_the_handoff(chat: TestClient) -> None:
    bare = chat.post("/api/v1/conversations")  # every field is optional
    assert bare.status_code == 201 and bare.json()["locale"] in ("en", "de", "nl")
    cid, auth = start(chat)
    say(chat, cid, auth, "Where is my order?")
    ticket = chat.post(f"/api/v1/conversations/{cid}/handoff", json={"email": "v@example.com"}, headers=auth)
    assert ticket.status_code == 201
    late = chat.post(f"/api/v1/conversations/{cid}/messages", json={"option": "track_order"}, headers=auth)
    assert late.status_code == 409 and "a person has this conversation" in late.json()["detail"]


def test_asking_for_a_person_after_ending_the_chat_opens_the_way_to_them(chat: TestClient, site_db: Session) -> None:
    cid, auth = start(chat)
    say(chat, cid, auth, "Where is my order?")
    assert chat.post(f"/api/v1/conversations/{cid}/end", headers=auth).status_code in (200, 204)
    ended = chat.post(f"/api/v1/conversations/{cid}/messages", json={"text": "one more thing"}, headers=auth)
    assert ended.status_code == 409  # an ended chat takes no more questions for the bot
    ticket = chat.post(f"/api/v1/conversations/{cid}/handoff", json={"email": "v@example.com"}, headers=auth)
    assert ticket.status_code == 201
    # Told a person will reply here, the visitor can write to them: the message joins the ticket.
    after = chat.post(f"/api/v1/conversations/{cid}/messages", json={"text": "it is order 123"}, headers=auth)
    assert after.status_code == 200, after.text
    site_db.expire_all()
    assert site_db.get(Conversation, cid).close_reason is CloseReason.handoff  # type: ignore[union-attr]


def test_a_message_after_the_resolution_window_starts_afresh_whether_or_not_the_worker_ran(
    chat: TestClient, site_db: Session
) -> None:
    """Otherwise one worker run early or late decided whether the late question joined the old conversation
    (and its outcome) or a new one."""
    cid, auth = start(chat)
    say(chat, cid, auth, "Where is my order?")
    settings: Settings = chat.app.state.settings  # type: ignore[attr-defined]
    with site_db as session:
        conversation = session.get(Conversation, cid)
        assert conversation is not None and conversation.last_visitor_at is not None
        quiet = timedelta(minutes=settings.resolution_window_minutes)
        conversation.last_visitor_at = conversation.last_visitor_at - quiet + timedelta(seconds=30)
        session.add(conversation)
        session.commit()
    assert chat.post(f"/api/v1/conversations/{cid}/messages", json={"text": "hi"}, headers=auth).status_code == 200
    with site_db as session:
        conversation = session.get(Conversation, cid)
        assert conversation is not None and conversation.last_visitor_at is not None
        conversation.last_visitor_at = conversation.last_visitor_at - quiet
        session.add(conversation)
        session.commit()
    late = chat.post(f"/api/v1/conversations/{cid}/messages", json={"text": "and my refund?"}, headers=auth)
    assert late.status_code == 409 and late.json()["error"] == "conversation_ended"
    site_db.expire_all()
    kept = site_db.exec(select(Message).where(Message.conversation_id == cid, Message.sender == Sender.visitor)).all()
    assert [m.text for m in kept] == ["Where is my order?", "hi"]  # the late question joined nothing


def test_handoff_then_agent_replies_reach_the_visitor(chat: TestClient, site_db: Session) -> None:
    cid, auth = start(chat)
    say(chat, cid, auth, "Where is my order?")
    missing = chat.post(f"/api/v1/conversations/{cid}/handoff", json={"name": "Ann"}, headers=auth)
    assert missing.status_code == 422
    ticket = chat.post(
        f"/api/v1/conversations/{cid}/handoff", json={"email": "Ann@Example.com", "message": "<b>hi</b>"}, headers=auth
    )
    assert ticket.status_code == 201 and ticket.json()["status"] == "open"
    after_handoff = say(chat, cid, auth, "Are you there?")  # goes to the team, the bot stays quiet
    assert after_handoff["type"] == "handoff" and after_handoff["intent"] is None
    # Said apart from the bot offering a person: a tab that missed the handoff learns of it here.
    assert (after_handoff["sender"], after_handoff["handed_off"]) == ("system", True)
    seen = max(m["id"] for m in chat.get(f"/api/v1/conversations/{cid}/messages", headers=auth).json())

    settings: Settings = chat.app.state.settings  # type: ignore[attr-defined]
    with site_db as session:
        handoff = session.exec(select(Handoff).where(Handoff.conversation_id == cid)).one()
        assert handoff.email == "ann@example.com" and handoff.top_intent == "track_order"
        agent = session.exec(select(User).where(User.email == "agent@example.com")).one()
        handoffs.note(session, handoff=handoff, agent=agent, text="VIP customer, internal")
        handoffs.reply(session, handoff=handoff, agent=agent, text="Your parcel is in **Venlo**.", settings=settings)
        handoffs.resolve(session, handoff=handoff, agent=agent, settings=settings)
        session.commit()
    new = chat.get(f"/api/v1/conversations/{cid}/messages?after={seen}", headers=auth).json()
    assert [(m["sender"], m["type"]) for m in new] == [("agent", None), ("system", "resolved")]
    assert new[0]["html"] == "<p>Your parcel is in <strong>Venlo</strong>.</p>\n"
    assert "VIP" not in str(new), "internal notes never reach the visitor"


@pytest.mark.parametrize("locked", ["this process's writers", "another process"])
def test_a_database_too_busy_to_write_is_a_503_with_retry_after(
    chat: TestClient, monkeypatch: pytest.MonkeyPatch, locked: str
) -> None:
    from sqlalchemy.exc import OperationalError

    from core.errors import BusyError

    def busy(*args: object, **kwargs: object) -> None:
        if locked == "another process":  # SQLite's own busy timeout ran out
            raise OperationalError("INSERT INTO message", {}, Exception("database is locked"))
        raise BusyError()

    cid, auth = start(chat)
    monkeypatch.setattr(conversations, "visitor_turn", busy)
    response = chat.post(f"/api/v1/conversations/{cid}/messages", json={"text": "where is my parcel"}, headers=auth)
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "1"
    assert response.json() == {"error": "busy", "detail": "the database is busy; nothing was saved, please try again"}


def test_only_the_acknowledgement_after_a_handoff_says_the_conversation_is_handed_off(chat: TestClient) -> None:
    cid, auth = start(chat)
    offered = say(chat, cid, auth, "I want to talk to a person")
    assert offered["type"] == "handoff" and (offered["sender"], offered["handed_off"]) == ("bot", False)
    # Another tab with the same conversation hands it off; this one writes again.
    assert (
        chat.post(f"/api/v1/conversations/{cid}/handoff", json={"email": "v@example.com"}, headers=auth).status_code
        == 201
    )
    acknowledged = say(chat, cid, auth, "Hello?")
    assert (acknowledged["sender"], acknowledged["handed_off"]) == ("system", True)
    assert acknowledged["text"] == reply("en", "to_team")
    shown = chat.get(f"/api/v1/conversations/{cid}/messages?after={acknowledged['visitor_message_id']}", headers=auth)
    assert [(m["id"], m["sender"]) for m in shown.json()] == [(acknowledged["id"], "system")]


def test_a_message_in_the_widgets_new_language_moves_the_conversation_there(chat: TestClient, site_db: Session) -> None:
    """faqdesk("setLocale") mid-conversation: the bot answers in the widget's language from then on."""
    started = chat.post("/api/v1/conversations", json={"locale": "de"}).json()
    assert started["locales"] == ["en", "de", "nl"]  # the ones a message may name
    cid, auth = started["id"], {"Authorization": f"Bearer {started['token']}"}
    assert str(say(chat, cid, auth, "hallo")["text"]).startswith("Hallo und willkommen")
    same = chat.post(f"/api/v1/conversations/{cid}/messages", json={"text": "hallo", "locale": "de"}, headers=auth)
    assert same.status_code == 200 and same.json()["text"].startswith("Hallo und willkommen")
    switched = chat.post(f"/api/v1/conversations/{cid}/messages", json={"text": "hallo", "locale": "nl"}, headers=auth)
    assert switched.status_code == 200 and switched.json()["text"].startswith("Hoi en welkom"), switched.text
    site_db.expire_all()
    conversation = site_db.get(Conversation, cid)
    assert conversation is not None and conversation.locale == "nl"
    assert str(say(chat, cid, auth, "hallo")["text"]).startswith("Hoi en welkom")  # stays until switched again

    # After a handoff the team's acknowledgement follows the language too.
    assert (
        chat.post(f"/api/v1/conversations/{cid}/handoff", json={"email": "v@example.com"}, headers=auth).status_code
        == 201
    )
    told = chat.post(f"/api/v1/conversations/{cid}/messages", json={"text": "Hallo?", "locale": "de"}, headers=auth)
    assert told.status_code == 200 and told.json()["text"] == reply("de", "to_team")


@pytest.mark.parametrize("locale", ["fr", "", "DE", None])
def test_a_message_in_a_locale_not_configured_is_refused(chat: TestClient, locale: str | None) -> None:
    cid, auth = start(chat)
    body = {"text": "hallo", "locale": locale}
    refused = chat.post(f"/api/v1/conversations/{cid}/messages", json=body, headers=auth)
    assert refused.status_code == 422 and "locale" in refused.json()["detail"], refused.text
    if locale == "fr":
        assert refused.json()["detail"] == "unknown locale 'fr'; configured: en, de, nl"
    assert chat.get(f"/api/v1/conversations/{cid}/messages", headers=auth).json() == []  # nothing was said


def test_the_transcript_comes_in_pages_of_200(chat: TestClient, site_db: Session) -> None:
    """What the widget's restore() relies on: a full page means more may follow after its last id."""
    cid, auth = start(chat)
    conversation = site_db.get(Conversation, cid)
    assert conversation is not None
    for n in range(230):
        conversations.add_message(site_db, conversation=conversation, sender=Sender.visitor, text=f"message {n}")
    site_db.commit()
    first = chat.get(f"/api/v1/conversations/{cid}/messages?after=0", headers=auth).json()
    assert len(first) == 200 and first[0]["text"] == "message 0"
    rest = chat.get(f"/api/v1/conversations/{cid}/messages?after={first[-1]['id']}", headers=auth).json()
    assert [m["text"] for m in rest] == [f"message {n}" for n in range(200, 230)]
