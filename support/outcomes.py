"""Closing conversations and giving them their outcome (DESIGN.md section 3); retention and deletion.

The closing job is idempotent. It only picks conversations whose outcome is still empty, sets the
outcome with a conditional UPDATE (``... WHERE outcome IS NULL``) so two workers never both count one
conversation, and commits after every batch: a crash loses at most the batch in flight, which the next
run picks up again because its outcome is still empty.

Outcomes come from the stored rows only (handoff, messages and their feedback, ``has_question``), and
an inactive conversation closes at ``last_visitor_at + window``, not at the time the job ran, so the
figures never depend on when or how often the worker runs.

Conversations without a visitor message (the widget was opened, nothing was asked) have not started:
they never get an outcome and are never counted. They hold nothing worth keeping, so ``purge_expired``
deletes them once they have been idle for ``EMPTY_CONVERSATION_TTL``, whatever the retention setting.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import and_, delete, func, or_, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, col, select

from core.errors import NotFoundError
from core.settings import Settings
from support import outbox
from support.models import (
    CloseReason,
    Conversation,
    Handoff,
    HandoffStatus,
    Message,
    Outcome,
    Rating,
    Sender,
)

BATCH_SIZE = 200
# A conversation nobody wrote in is deleted after this long without contact from the widget.
EMPTY_CONVERSATION_TTL = timedelta(days=7)


# Bot turns whose decision leaves the visitor's question open: articles and a person offered
# ("suggest"), a person offered or the handoff step shown ("handoff"), or a "Did you mean …?" nobody
# answered ("clarify"). A conversation that ends on one of them was not resolved by the bot.
OPEN_DECISIONS = frozenset({"suggest", "handoff", "clarify"})


def decide_outcome(
    *, handed_off: bool, has_question: bool, turns: Sequence[tuple[str | None, bool | None]]
) -> tuple[Outcome, str]:
    """The outcome and its reason from the facts.

    ``turns`` are the bot's turns about a question (small talk left out), oldest first, as (decision,
    the visitor's feedback). Nothing flatters: a conversation whose last such turn offered a person,
    or in which an answer was voted unhelpful and no later answer was voted helpful, is unresolved.
    """
    if handed_off:
        return Outcome.handed_off, "handed off to a person"
    if not has_question:
        return Outcome.no_question, "greetings or thanks only, no question"
    answers = [helpful for decision, helpful in turns if decision == "answer"]
    if not answers:
        return Outcome.unresolved, "the bot gave no answer"
    if turns[-1][0] in OPEN_DECISIONS:
        return Outcome.unresolved, f"the bot's last turn did not answer ({turns[-1][0]}: a person or options offered)"
    votes = [helpful for helpful in answers if helpful is not None]
    if votes and votes[-1] is False:
        return Outcome.unresolved, "the visitor said the bot's last rated answer did not help"
    if votes and votes[-1] is True:
        return Outcome.resolved_confirmed, "the visitor said an answer helped"
    return Outcome.resolved_assumed, "the bot answered, nobody rated it, and its last turn offered no person"


def _outcome_of(session: Session, conversation: Conversation) -> tuple[Outcome, str]:
    handed_off = session.exec(select(Handoff.id).where(Handoff.conversation_id == conversation.id)).first()
    # Small-talk replies are "answers" too, but they answer no question and do not count here.
    turns = session.exec(
        select(Message.decision, Message.helpful)
        .where(
            Message.conversation_id == conversation.id,
            Message.sender == Sender.bot,
            col(Message.decision).is_not(None),
            or_(col(Message.decision) != "answer", col(Message.counts_as_question).is_(True)),
        )
        .order_by(col(Message.created_at), col(Message.id))
    ).all()
    return decide_outcome(
        handed_off=handed_off is not None,
        has_question=conversation.has_question,
        turns=[(decision, helpful) for decision, helpful in turns],
    )


def reconsider(session: Session, conversation: Conversation) -> None:
    """Give a counted conversation its outcome again from its rows: a vote the visitor gave after it
    closed (the widget keeps the thumbs) said "resolved, assumed" was wrong, or right."""
    if conversation.outcome is None:
        return  # the closing job has not counted it yet: it will read the vote then
    session.flush()
    conversation.outcome, conversation.outcome_reason = _outcome_of(session, conversation)
    session.add(conversation)
    session.flush()


def _due(now: datetime, window: timedelta) -> ColumnElement[bool]:
    """The SQL condition for conversations ready to close."""
    last_visitor = func.coalesce(col(Conversation.last_visitor_at), col(Conversation.started_at))
    return and_(
        col(Conversation.started_at).is_not(None),
        col(Conversation.outcome).is_(None),
        or_(col(Conversation.closed_at).is_not(None), last_visitor <= now - window),
    )


def close_due(
    session: Session,
    *,
    now: datetime,
    window: timedelta,
    batch_size: int = BATCH_SIZE,
    settings: Settings | None = None,
) -> int:
    """Close every started conversation that ended or went quiet and store its outcome; returns how many.

    With ``settings``, each closing also queues the ``conversation.closed`` webhook in the same transaction,
    so the event is sent exactly when the outcome is written.
    """
    closed = 0
    after = ""  # keyset paging: a row that cannot be closed now is not picked again in this run
    while True:
        batch = session.exec(
            select(Conversation)
            .where(_due(now, window), col(Conversation.id) > after)
            .order_by(col(Conversation.id))
            .limit(batch_size)
        ).all()
        if not batch:
            return closed
        for conversation in batch:
            if _close(session, conversation, now=now, window=window):
                closed += 1
                if settings is not None and settings.webhook_urls:
                    _announce(session, conversation_id=conversation.id, settings=settings)
        after = batch[-1].id
        session.commit()  # one batch per transaction: a crash loses at most the batch in flight


def _close(session: Session, conversation: Conversation, *, now: datetime, window: timedelta) -> int:
    outcome, reason = _outcome_of(session, conversation)
    if conversation.closed_at is not None:
        closed_at, close_reason = conversation.closed_at, conversation.close_reason or CloseReason.ended
    else:
        last = conversation.last_visitor_at or conversation.started_at
        assert last is not None  # _due only picks started conversations
        closed_at, close_reason = last + window, CloseReason.inactive
    # Conditional: another worker may have closed it since we read it; then it is theirs to count.
    result = session.execute(
        update(Conversation)
        .where(col(Conversation.id) == conversation.id, col(Conversation.outcome).is_(None))
        .values(closed_at=closed_at, close_reason=close_reason, outcome=outcome, outcome_reason=reason)
        .execution_options(synchronize_session=False)
    )
    session.expire(conversation)
    assert isinstance(result, CursorResult)
    return int(result.rowcount or 0)


def _announce(session: Session, *, conversation_id: str, settings: Settings) -> None:
    conversation = session.get(Conversation, conversation_id)
    if conversation is None:
        return
    payload = {
        "conversation_id": conversation.id,
        "locale": conversation.locale,
        "outcome": conversation.outcome.value if conversation.outcome else None,
        "outcome_reason": conversation.outcome_reason,
        "close_reason": conversation.close_reason.value if conversation.close_reason else None,
        "started_at": conversation.started_at.isoformat() if conversation.started_at else None,
        "closed_at": conversation.closed_at.isoformat() if conversation.closed_at else None,
    }
    outbox.queue_webhook(session, event="conversation.closed", payload=payload, settings=settings)


def _delete_ids(session: Session, ids: Sequence[str]) -> int:
    # Children first, so deletion works even where the database does not cascade.
    for table in (Message, Handoff, Rating):
        session.execute(delete(table).where(col(table.conversation_id).in_(ids)))
    for conversation_id in ids:  # emails and webhooks about it carry its transcript
        outbox.forget_conversation(session, conversation_id=conversation_id)
    result = session.execute(delete(Conversation).where(col(Conversation.id).in_(ids)))
    assert isinstance(result, CursorResult)
    return int(result.rowcount or 0)


def purge_expired(session: Session, *, now: datetime, retention_days: int, batch_size: int = BATCH_SIZE) -> int:
    """Delete conversations idle longer than the retention (0 keeps them) and long-idle empty ones; returns how many."""
    last_contact = func.coalesce(col(Conversation.visitor_seen_at), col(Conversation.last_activity_at))
    ticket = select(Handoff.id).where(Handoff.conversation_id == Conversation.id).exists()
    # Empty: nothing asked and no ticket (one opened before any message was once left unstarted).
    empty = and_(col(Conversation.started_at).is_(None), ~ticket)
    expired = and_(empty, last_contact < now - EMPTY_CONVERSATION_TTL)
    if retention_days > 0:
        expired = or_(expired, col(Conversation.last_activity_at) < now - timedelta(days=retention_days))
    # An agent's unfinished ticket is work in progress: it is kept until it is resolved.
    open_ticket = (
        select(Handoff.id)
        .where(Handoff.conversation_id == Conversation.id, Handoff.status != HandoffStatus.resolved)
        .exists()
    )
    purged = 0
    while True:
        ids = session.exec(select(Conversation.id).where(expired, ~open_ticket).limit(batch_size)).all()
        if not ids:
            return purged
        purged += _delete_ids(session, ids)
        session.commit()


def delete_conversation(session: Session, *, conversation_id: str) -> None:
    """Delete a conversation with its messages, handoff and rating (a visitor's request to be forgotten)."""
    if session.get(Conversation, conversation_id) is None:
        raise NotFoundError(f"no conversation {conversation_id!r}")
    _delete_ids(session, [conversation_id])
