"""Conversations: the locale a chat gets, the bearer token, what the visitor sees, ratings (SQLite and
PostgreSQL). Bot turns are covered through the widget API."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

import pytest
from sqlmodel import Session, select

from core.db import make_engine, session_scope
from core.errors import ConflictError, NotFoundError, UnauthorizedError, ValidationError
from core.security import token_digest
from support import conversations
from support.models import CloseReason, Conversation, Rating, Sender, utcnow

LOCALES = ["en", "de", "nl"]


@pytest.mark.parametrize(
    ("asked", "locale"),
    [
        ("de", "de"),
        ("nl", "nl"),
        ("de-CH", "de"),
        ("nl_BE", "nl"),
        ("DE-at", "de"),
        ("fr", "en"),
        ("fr-FR", "en"),
        ("", "en"),
        (None, "en"),
        ("-de", "en"),
    ],
)
def test_a_chat_gets_the_closest_configured_locale(asked: str | None, locale: str) -> None:
    assert conversations.chat_locale(asked, locales=LOCALES, default_locale="en") == locale


def test_the_default_locale_is_the_fallback(session: Session) -> None:
    assert conversations.chat_locale("fr", locales=LOCALES, default_locale="nl") == "nl"


def start(session: Session, locale: str | None = "de-CH", page_url: str | None = None) -> tuple[Conversation, str]:
    return conversations.start_conversation(
        session, locale=locale, page_url=page_url, locales=LOCALES, default_locale="en"
    )


def test_a_new_conversation_keeps_only_its_token_digest(session: Session) -> None:
    conversation, token = start(session, page_url="https://shop.example/" + "x" * 3000)
    assert conversation.locale == "de"
    assert conversation.token_hash == token_digest(token) != token and len(token) >= 43
    assert len(conversation.page_url or "") == 2000
    assert conversation.started_at is None  # a conversation starts with the visitor's first message
    other, other_token = start(session, locale=None)
    assert other.id != conversation.id and other_token != token and other.locale == "en"


def test_only_the_conversations_own_token_opens_it(session: Session) -> None:
    conversation, token = start(session)
    other, other_token = start(session)
    cid = conversation.id
    assert conversations.authenticate(session, conversation_id=cid, token=token) is conversation
    for wrong in (other_token, None, "", token + "x"):
        with pytest.raises(UnauthorizedError):
            conversations.authenticate(session, conversation_id=cid, token=wrong)
    with pytest.raises(NotFoundError):
        conversations.authenticate(session, conversation_id="0" * 32, token=token)
    with pytest.raises(NotFoundError):
        conversations.authenticate(session, conversation_id="a" * 5000, token=token)


def test_the_visitor_sees_messages_after_an_id_but_never_internal_notes(session: Session) -> None:
    conversation, _ = start(session)
    first = conversations.add_message(session, conversation=conversation, sender=Sender.visitor, text="Hello")
    conversations.add_message(session, conversation=conversation, sender=Sender.agent, text="note", internal=True)
    reply = conversations.add_message(session, conversation=conversation, sender=Sender.agent, text="**Hi**")
    assert reply.html is not None and "<strong>Hi</strong>" in reply.html
    seen = conversations.messages_after(session, conversation=conversation)
    assert [m.id for m in seen] == [first.id, reply.id]
    assert [m.id for m in conversations.messages_after(session, conversation=conversation, after=first.id or 0)] == [
        reply.id
    ]
    assert conversation.visitor_seen_at is not None  # reading marks the visitor present
    by_id = conversations.visible_after(session, conversation_id=conversation.id, after=first.id or 0)
    assert [m.id for m in by_id] == [reply.id]
    with pytest.raises(UnauthorizedError):
        conversations.visible_after(session, conversation_id="0" * 32)


def test_a_rating_needs_a_started_conversation_and_replaces_the_last(session: Session) -> None:
    conversation, _ = start(session)
    with pytest.raises(ConflictError):
        conversations.rate(session, conversation=conversation, score=5)
    conversation.started_at = utcnow()
    for score in (0, 6):
        with pytest.raises(ValidationError):
            conversations.rate(session, conversation=conversation, score=score)
    first = conversations.rate(session, conversation=conversation, score=2, comment="  slow  ")
    again = conversations.rate(session, conversation=conversation, score=5, comment="   ")
    assert again.id == first.id and (again.score, again.comment) == (5, None)


def test_ending_a_conversation_is_recorded_once(session: Session) -> None:
    conversation, _ = start(session)
    conversations.end_conversation(session, conversation=conversation)
    ended = conversation.closed_at
    assert ended is not None and conversation.close_reason is CloseReason.ended
    conversations.end_conversation(session, conversation=conversation)
    assert conversation.closed_at == ended


def test_a_recognised_question_without_an_answer_is_told_so_not_misunderstood(session: Session) -> None:
    from types import SimpleNamespace

    from bot.data import Intent
    from bot.policy import Decision
    from support.bot_reply import compose
    from support.replies import reply

    intents = {"book_pickup": Intent("book_pickup", {"en": ["pick up"]})}
    model = SimpleNamespace(intents=intents, encoder=None, encoder_for=lambda locale: None)
    base = Decision("suggest", "en", options=["book_pickup"], reason="no answer in 'en' yet")
    told = compose(session, model=model, decision=replace(base, unanswered=True), query="zzz qqq")  # type: ignore[arg-type]
    missed = compose(session, model=model, decision=base, query="zzz qqq")  # type: ignore[arg-type]
    assert told.text == reply("en", "unanswered_empty") and missed.text == reply("en", "suggest_empty")
    assert reply("de", "unanswered").startswith("Darauf kann ich hier noch nicht antworten")


def test_two_ratings_at_once_both_succeed_and_one_stays(database_url: str) -> None:
    """A quick change of mind, or two tabs: each request rates on its own connection at the same moment."""
    engine = make_engine(database_url)
    with session_scope(engine) as session:
        conversation, _ = conversations.start_conversation(
            session, locale="en", page_url=None, locales=LOCALES, default_locale="en"
        )
        conversation.started_at = utcnow()
        cid = conversation.id

    def rate(score: int, ready: threading.Barrier) -> int:
        with session_scope(engine) as session:
            chat = session.get(Conversation, cid)  # as the API reads it first: both see no rating yet
            assert chat is not None
            session.exec(select(Rating).where(Rating.conversation_id == cid)).first()
            ready.wait()
            return conversations.rate(session, conversation=chat, score=score).score

    for _ in range(5):
        ready = threading.Barrier(2)
        with ThreadPoolExecutor(2) as pool:
            assert sorted(pool.map(rate, (1, 5), (ready, ready))) == [1, 5]  # neither failed
        with Session(engine) as session:
            [kept] = session.exec(select(Rating).where(Rating.conversation_id == cid)).all()
            assert kept.score in (1, 5)
            session.delete(kept)
            session.commit()
    engine.dispose()
