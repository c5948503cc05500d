"""The conversation browser: every conversation, not only handoffs, filtered by what the bot decided, an
intent, the outcome, the locale and the days it started (in ``FAQDESK_TIMEZONE``, like the dashboard)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from core.errors import NotFoundError, ValidationError
from support.metrics import utc_bounds, zone
from support.models import Conversation, Handoff, Message, Outcome, Sender

DECISIONS = ("answer", "clarify", "suggest", "handoff")
OPEN = "open"  # not closed yet: no outcome
OUTCOMES = (*(o.value for o in Outcome), OPEN)
MAX_INTENT = 100
EARLIEST, LATEST = date(1970, 1, 1), date(9000, 12, 31)  # beyond, a zone's shift would overflow
FIRST_WORDS = 160  # how much of the first question a row shows


@dataclass
class Row:
    """One conversation as the browser lists it."""

    id: str
    started_at: datetime | None
    locale: str
    outcome: str | None
    first_question: str = ""
    messages: int = 0
    decisions: list[str] = field(default_factory=list)
    intents: list[str] = field(default_factory=list)
    handoff_id: int | None = None


def _conditions(
    *,
    decision: str | None,
    intent: str | None,
    outcome: str | None,
    locale: str | None,
    start: date | None,
    end: date | None,
    tz: str,
) -> list[Any]:
    conditions: list[Any] = [col(Conversation.started_at).is_not(None)]  # a conversation starts with a message
    if decision:
        if decision not in DECISIONS:
            raise ValidationError(f"decision: {decision!r} is not one of {', '.join(DECISIONS)}")
        conditions.append(_bot_turn(col(Message.decision) == decision))
    if intent:
        if len(intent) > MAX_INTENT:
            raise ValidationError(f"intent: at most {MAX_INTENT} characters")
        conditions.append(_bot_turn(col(Message.intent) == intent))
    if outcome:
        if outcome not in OUTCOMES:
            raise ValidationError(f"outcome: {outcome!r} is not one of {', '.join(OUTCOMES)}")
        is_open = outcome == OPEN
        conditions.append(col(Conversation.outcome).is_(None) if is_open else col(Conversation.outcome) == outcome)
    if locale:
        conditions.append(col(Conversation.locale) == locale)
    for name, day in (("start", start), ("end", end)):
        if day is not None and not EARLIEST <= day <= LATEST:
            raise ValidationError(f"{name}: a day from {EARLIEST.isoformat()} to {LATEST.isoformat()}")
    if start and end and start > end:
        raise ValidationError(f"the start date {start.isoformat()} is after the end date {end.isoformat()}")
    if start:  # local days in the configured zone, both ends included
        conditions.append(col(Conversation.started_at) >= utc_bounds(start, start, zone(tz))[0])
    if end:
        conditions.append(col(Conversation.started_at) < utc_bounds(end, end, zone(tz))[1])
    return conditions


def _bot_turn(condition: Any) -> Any:
    return (
        select(Message.id)
        .where(
            col(Message.conversation_id) == col(Conversation.id),
            col(Message.sender) == Sender.bot,
            condition,
        )
        .exists()
    )


def browse(
    session: Session,
    *,
    decision: str | None = None,
    intent: str | None = None,
    outcome: str | None = None,
    locale: str | None = None,
    start: date | None = None,
    end: date | None = None,
    tz: str = "UTC",
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[Row], int]:
    """A page of conversations matching the filters, newest first, and how many match in all."""
    conditions = _conditions(
        decision=decision, intent=intent, outcome=outcome, locale=locale, start=start, end=end, tz=tz
    )
    found = session.exec(
        select(Conversation)
        .where(*conditions)
        .order_by(col(Conversation.started_at).desc(), col(Conversation.id))
        .limit(limit)
        .offset(offset)
    ).all()
    total = int(session.exec(select(func.count()).select_from(Conversation).where(*conditions)).one())
    rows = {c.id: Row(id=c.id, started_at=c.started_at, locale=c.locale, outcome=c.outcome) for c in found}
    if rows:
        _summarise(session, rows)
    return list(rows.values()), total


def _summarise(session: Session, rows: dict[str, Row]) -> None:
    """Each row's first question, message count, the bot's decisions and intents, and its handoff."""
    messages = session.exec(
        select(Message).where(col(Message.conversation_id).in_(list(rows))).order_by(col(Message.id))
    ).all()
    for message in messages:
        row = rows[message.conversation_id]
        sender, text, decision, intent = message.sender, message.text, message.decision, message.intent
        row.messages += 1
        if sender is Sender.visitor and not row.first_question:
            row.first_question = text[:FIRST_WORDS] + ("…" if len(text) > FIRST_WORDS else "")
        if sender is Sender.bot and decision and decision not in row.decisions:
            row.decisions.append(decision)
        if sender is Sender.bot and intent and intent not in row.intents:
            row.intents.append(intent)
    handoffs = session.exec(
        select(Handoff.conversation_id, Handoff.id).where(col(Handoff.conversation_id).in_(list(rows)))
    ).all()
    for conversation_id, handoff_id in handoffs:
        rows[conversation_id].handoff_id = handoff_id


def intents_seen(session: Session) -> list[str]:
    """The intents of the bot's turns, sorted (for the intent filter)."""
    found = session.exec(
        select(Message.intent).where(col(Message.intent).is_not(None), Message.sender == Sender.bot).distinct()
    ).all()
    return sorted(i for i in found if i)


def get_conversation(session: Session, *, conversation_id: str) -> Conversation:
    """The conversation with this id."""
    conversation = session.get(Conversation, conversation_id)
    if conversation is None:
        raise NotFoundError(f"no conversation {conversation_id}")
    return conversation


def transcript(session: Session, *, conversation: Conversation) -> list[Message]:
    """Every message of the conversation in order, agents' notes included."""
    return list(
        session.exec(select(Message).where(Message.conversation_id == conversation.id).order_by(col(Message.id))).all()
    )


def handoff_of(session: Session, *, conversation: Conversation) -> Handoff | None:
    """The conversation's handoff, if it was handed to people."""
    return session.exec(select(Handoff).where(Handoff.conversation_id == conversation.id)).first()
