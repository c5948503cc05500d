"""Conversations in the widget: visitor messages, bot turns (classify, decide, reply), feedback, ratings.

A bot turn stores what the bot decided and why (decision, intent, confidence, runner-up candidates,
model version, latency), so every figure on the dashboard can be traced back to the turns behind it.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from bot.model import FaqModel
from bot.policy import ConversationState, Decision, PolicyConfig, decide
from core import telemetry
from core.clock import as_utc
from core.db import upsert
from core.errors import ConflictError, NotFoundError, UnauthorizedError, ValidationError
from core.security import new_token, same, token_digest
from core.text import visible
from helpcenter.markdown import render
from support import assignment, bot_reply, outcomes, review
from support.models import CloseReason, Conversation, HandoffStatus, Message, Rating, Sender, utcnow
from support.replies import reply

MAX_TEXT = 2000
PRESENCE_EVERY = timedelta(seconds=30)


class ConversationEnded(ConflictError):
    """The conversation was closed (ended or inactive); the widget starts a new one."""

    error = "conversation_ended"


def chat_locale(asked: str | None, *, locales: Sequence[str], default_locale: str) -> str:
    """The configured locale closest to what the widget asked for: itself, its language without the
    region (``de-CH`` is ``de``), else the default. A widget on a French page still gets a chat, in the
    default language, rather than an error the visitor cannot act on."""
    if asked is not None and asked in locales:
        return asked
    language = (asked or "").split("-", 1)[0].split("_", 1)[0].lower()
    return language if language in locales else default_locale


def start_conversation(
    session: Session, *, locale: str | None, page_url: str | None, locales: Sequence[str], default_locale: str
) -> tuple[Conversation, str]:
    """A new conversation and its bearer token (only the token's digest is stored)."""
    token = new_token()
    conversation = Conversation(
        id=uuid.uuid4().hex,
        token_hash=token_digest(token),
        locale=chat_locale(locale, locales=locales, default_locale=default_locale),
        page_url=(page_url or "")[:2000],
    )
    session.add(conversation)
    session.flush()
    return conversation, token


def authenticate(session: Session, *, conversation_id: str, token: str | None) -> Conversation:
    """The conversation, if the token is its own."""
    conversation = session.get(Conversation, conversation_id) if len(conversation_id) <= 36 else None
    if conversation is None:
        raise NotFoundError(f"no conversation {conversation_id!r}")
    if not token or not same(token_digest(token), conversation.token_hash):
        raise UnauthorizedError("this conversation's token is missing or wrong")
    return conversation


def add_message(
    session: Session,
    *,
    conversation: Conversation,
    sender: Sender,
    text: str,
    author_id: int | None = None,
    internal: bool = False,
    now: datetime | None = None,
) -> Message:
    """Store a message; bot, agent and system text is Markdown rendered to sanitised HTML."""
    now = now or utcnow()
    message = _message(conversation, sender, text, now, author_id=author_id, internal=internal)
    conversation.last_activity_at = now
    session.add(conversation)
    session.add(message)
    session.flush()
    return message


def message_html(sender: Sender, text: str) -> str:
    """What a message shows as HTML: the bot's and agents' Markdown rendered (and sanitised); a visitor's
    words are shown as text, never as markup."""
    return render(text) if sender is not Sender.visitor else ""


def _message(
    conversation: Conversation,
    sender: Sender,
    text: str,
    now: datetime,
    *,
    author_id: int | None = None,
    internal: bool = False,
) -> Message:
    return Message(
        conversation_id=conversation.id,
        sender=sender,
        text=text,
        html=message_html(sender, text),
        created_at=now,
        author_id=author_id,
        internal=internal,
        # Given, not defaulted: pydantic inspects a default factory's signature on every call (~0.3 ms).
        candidates=[],
        options=[],
        articles=[],
    )


@dataclass(frozen=True)
class Turn:
    """A visitor message and the bot's reply to it."""

    visitor: Message
    bot: Message


def visitor_turn(
    session: Session,
    *,
    conversation: Conversation,
    model: FaqModel,
    config: PolicyConfig,
    text: str | None = None,
    option: str | None = None,
    locale: str | None = None,
    now: datetime | None = None,
    review_rate: float = 0.0,
    window: timedelta | None = None,
) -> Turn:
    """Record the visitor's message (or clicked option) and the bot's reply.

    ``locale`` (a configured one, checked by the caller) is the language the widget speaks now: when the
    visitor or the page switched it, the conversation follows before the bot reads the message, so the
    reply, its options and articles (or the team's acknowledgement) come in it. With ``review_rate`` above
    0 the turn may join the answer-review sample (``support.review``).

    ``window`` is the resolution window: a conversation quiet that long is over (the closing job gives it
    its outcome as of then), whether or not the job has run yet; a message after it starts a new one, so
    what the dashboard counts does not depend on when the worker last ran.
    """
    started = time.perf_counter()
    now = now or utcnow()
    if conversation.close_reason is not None and conversation.close_reason is not CloseReason.handoff:
        raise ConversationEnded("this conversation has ended; start a new one")
    quiet_since = conversation.last_visitor_at or conversation.started_at
    if conversation.close_reason is None and window is not None and quiet_since and as_utc(quiet_since) + window <= now:
        raise ConversationEnded("this conversation went quiet and is over; start a new one")
    if locale is not None and locale != conversation.locale:
        conversation.locale = locale
        session.add(conversation)
    if conversation.close_reason is CloseReason.handoff:
        if option is not None and not text:  # a button of the bot's, clicked after the handoff
            raise ConflictError("a person has this conversation now: write to them instead of choosing an option")
        return _to_the_team(session, conversation=conversation, text=text, now=now)
    # Everything slow (the model, search) happens before the first write: on SQLite a write transaction
    # locks out every other writer, and 20 concurrent chats then failed with "database is locked".
    candidates: list[dict[str, object]] = []
    probability = 0.0  # of joining the answer-review sample
    vector = None  # the message's encoding, reused by article suggestions
    if option is not None:
        visitor_text, decision = bot_reply.choose_option(session, conversation=conversation, model=model, option=option)
    else:
        visitor_text = _checked(text)
        prediction = model.predict(visitor_text, fallback_locale=conversation.locale)
        decision = decide(
            prediction, model.intents, state=ConversationState(failures=conversation.failures), config=config
        )
        vector = prediction.embedding
        candidates = [{"intent": c.intent, "probability": round(c.probability, 4)} for c in prediction.candidates]
        probability = review.sample_probability(
            decision=decision.type,
            confidence=decision.confidence,
            threshold=prediction.threshold,
            counts_as_question=decision.counts_as_question,
            base_rate=review_rate,
        )
    sample_p, sample_key = review.draw(probability)
    said = bot_reply.compose(session, model=model, decision=decision, query=visitor_text, vector=vector)
    decision, reply_text, options, articles = said.decision, said.text, said.options, said.articles
    # Two round trips: the visitor's message (its id is the bot turn's reply_to), then the bot's turn
    # with the conversation's update.
    visitor = _message(conversation, Sender.visitor, visitor_text, now)
    session.add(visitor)
    session.flush()
    bot = Message(
        conversation_id=conversation.id,
        sender=Sender.bot,
        text=reply_text,
        html=message_html(Sender.bot, reply_text),
        created_at=now,
        reply_to=visitor.id,
        decision=decision.type,
        intent=decision.intent,
        confidence=round(decision.confidence, 4) if decision.confidence is not None else None,
        locale=decision.locale,
        sample_p=sample_p,
        sample_key=sample_key,
        candidates=candidates,
        options=options,
        articles=articles,
        counts_as_question=decision.counts_as_question,
        model_version=model.version,
        latency_ms=round((time.perf_counter() - started) * 1000, 2),
    )
    conversation.last_activity_at = now
    _update_state(conversation, decision=decision, now=now)
    session.add(bot)
    session.add(conversation)
    session.flush()
    # Every bot decision passes here, and only here. Greetings and thanks are answers, not answered
    # questions: counted apart, so a graph of answers shows how many questions the bot took off the team.
    small_talk = decision.type == "answer" and not decision.counts_as_question
    telemetry.count_decision("small_talk" if small_talk else decision.type, decision.locale)
    return Turn(visitor=visitor, bot=bot)


def _to_the_team(session: Session, *, conversation: Conversation, text: str | None, now: datetime) -> Turn:
    """After a handoff the visitor talks to people: the message is kept for the agents, the bot stays quiet."""
    text = _checked(text)
    visitor = add_message(session, conversation=conversation, sender=Sender.visitor, text=text, now=now)
    ack = add_message(
        session, conversation=conversation, sender=Sender.system, text=reply(conversation.locale, "to_team"), now=now
    )
    conversation.last_visitor_at = conversation.visitor_seen_at = now
    session.add(conversation)
    ticket = assignment.ticket_of(session, conversation_id=conversation.id)
    if ticket is not None and ticket.status is HandoffStatus.resolved:  # not done after all: back in the inbox
        assignment.reopen(ticket)
        session.add(ticket)
    return Turn(visitor=visitor, bot=ack)


def _checked(text: str | None) -> str:
    text = (text or "").strip()
    if not visible(text):  # "\u200b" alone was answered, and counted as a question the bot missed
        raise ValidationError("the message is empty")
    if len(text) > MAX_TEXT:
        raise ValidationError(f"the message is longer than {MAX_TEXT} characters")
    return text


def _update_state(conversation: Conversation, *, decision: Decision, now: datetime) -> None:
    conversation.started_at = conversation.started_at or now
    conversation.last_visitor_at = now
    conversation.visitor_seen_at = now
    conversation.has_question = conversation.has_question or decision.counts_as_question
    failed = decision.type == "suggest" or (decision.type == "handoff" and decision.intent is None)
    conversation.failures = conversation.failures + 1 if failed else 0
    if decision.locale != conversation.locale and decision.type == "answer":
        conversation.locale = decision.locale  # the visitor writes another language: follow them


def messages_after(
    session: Session, *, conversation: Conversation, after: int = 0, now: datetime | None = None
) -> Sequence[Message]:
    """Messages the visitor may see, newer than ``after`` (internal notes never); marks the visitor as present."""
    now = now or utcnow()
    seen = conversation.visitor_seen_at
    # Widgets poll every few seconds: writing presence at most every 30 s keeps polls read-only.
    if seen is None or now - as_utc(seen) > PRESENCE_EVERY:
        conversation.visitor_seen_at = now
        session.add(conversation)
    return session.exec(
        select(Message)
        .where(Message.conversation_id == conversation.id, col(Message.id) > after, Message.internal == False)  # noqa: E712
        .order_by(col(Message.id))
        .limit(200)
    ).all()


def visible_after(session: Session, *, conversation_id: str, after: int = 0) -> Sequence[Message]:
    """``messages_after`` for a conversation known by id alone (an open event stream, authenticated when
    it began); UnauthorizedError once the conversation is gone (deleted by the visitor or retention)."""
    conversation = session.get(Conversation, conversation_id)
    if conversation is None:
        raise UnauthorizedError("the conversation is gone")
    return messages_after(session, conversation=conversation, after=after)


def give_feedback(
    session: Session, *, conversation: Conversation, message_id: int, helpful: bool, now: datetime | None = None
) -> Message:
    """The visitor says whether a bot answer helped (the latest vote on a message counts)."""
    message = session.get(Message, message_id)
    if message is None or message.conversation_id != conversation.id:
        raise NotFoundError(f"no message {message_id} in this conversation")
    if message.sender is not Sender.bot or message.decision != "answer":
        raise ConflictError("only the bot's answers can be rated as helpful or not")
    message.helpful = helpful
    message.feedback_at = now or utcnow()
    conversation.visitor_seen_at = message.feedback_at
    session.add(message)
    session.add(conversation)
    outcomes.reconsider(session, conversation)  # a vote after the chat closed still counts
    return message


def rate(session: Session, *, conversation: Conversation, score: int, comment: str | None = None) -> Rating:
    """The visitor's 1–5 rating of the conversation; rating again replaces it."""
    if not 1 <= score <= 5:
        raise ValidationError("the score must be between 1 and 5")
    if conversation.started_at is None:
        raise ConflictError("there is nothing to rate yet")
    # Two ratings at once (a quick change of mind, two tabs): both are taken, the later one stays.
    values = {"score": score, "comment": (comment or "").strip()[:2000] or None, "created_at": utcnow()}
    upsert(session, Rating, key="conversation_id", values={"conversation_id": conversation.id, **values})
    query = select(Rating).where(Rating.conversation_id == conversation.id).execution_options(populate_existing=True)
    return session.exec(query).one()


def end_conversation(session: Session, *, conversation: Conversation, now: datetime | None = None) -> Conversation:
    """The visitor ended the chat; the closing job gives it its outcome. Ended after a handoff, it stays a
    handoff, but the visitor is gone: an agent's reply is emailed at once, and the ticket says so."""
    if conversation.closed_at is None:
        conversation.closed_at = now or utcnow()
        conversation.close_reason = CloseReason.ended
    conversation.visitor_seen_at = None  # their widget forgets the chat: it will show no reply
    session.add(conversation)
    return conversation
