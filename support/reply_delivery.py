"""Agent replies reach the visitor: seen in the chat, or emailed. None is lost.

**Seen** means the visitor's widget says it showed the reply: once it has put messages on screen in
the open chat panel of a visible page, it posts the highest message id shown to
``POST /api/v1/conversations/{id}/seen`` (``mark_seen``). An acknowledgement, not "the GET or the event
stream returned it": the server only knows that it wrote the reply to a connection, and a response cut
off on the way, a stream whose tab was closed a moment before, or a client that never displays messages
would all count as seen, so that reply would never be emailed. The acknowledgement errs the other way
(lost on the network, a widget loaded before this change): the reply is then emailed although it was
seen, a duplicate rather than a loss.

**Emailed**: ``support.handoffs.reply`` emails a reply at once when the visitor has already left (no
widget contact for ``email_reply_after_minutes``), else it sets ``email_due_at`` to that many minutes
ahead. The worker (``email_unseen``, every few seconds) emails each reply still unseen once it is due,
whenever that is; a reply seen first is never emailed. A visitor without a usable email address cannot
be emailed: the ticket page says so (``reply_state``).

**Exactly once**: the worker claims a reply with a conditional UPDATE that clears ``email_due_at`` only
while it is due and the reply unseen, in the same transaction that queues the email in the outbox. Of
two workers only one UPDATE matches (SQLite runs one writer at a time; PostgreSQL re-checks the row
once the first commits), and a crash rolls the claim back together with the email. The outbox then
delivers the email with its own claims and retries.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Literal

from sqlmodel import Session, col, select, update

from core.settings import Settings
from support import handoffs
from support.models import Conversation, Handoff, Message, OutboxItem, Sender, utcnow

log = logging.getLogger(__name__)

BATCH = 50  # replies claimed per worker round; the rest follow in the next rounds

# "sending": queued as an email the outbox has not delivered yet (retrying, or no mail server configured);
# "email_failed": the outbox gave up on it. A reply whose email's outbox row is gone (pruned, or queued before
# migration 0017 recorded it) reads "emailed", as it did before.
ReplyState = Literal["seen", "emailed", "sending", "email_failed", "waiting", "unreachable"]


def mark_seen(session: Session, *, conversation: Conversation, up_to: int, now: datetime | None = None) -> int:
    """The widget showed the visitor every message up to ``up_to``: those agent replies are seen (returns how many)."""
    now = now or utcnow()
    result = session.exec(
        update(Message)
        .where(
            col(Message.conversation_id) == conversation.id,
            col(Message.sender) == Sender.agent,
            col(Message.internal) == False,  # noqa: E712
            col(Message.id) <= up_to,
            col(Message.seen_at).is_(None),
        )
        .values(seen_at=now, email_due_at=None)
    )
    conversation.visitor_seen_at = now  # an acknowledgement is the widget's contact too
    session.add(conversation)
    session.flush()
    return int(result.rowcount)


def email_unseen(session: Session, *, settings: Settings, now: datetime | None = None) -> int:
    """Queue an email for each agent reply still unseen at its due time; returns how many were queued.

    Commits: each claim with its email in a transaction of its own.
    """
    now = now or utcnow()
    due = session.exec(
        select(Message.id)
        .where(col(Message.email_due_at) <= now)
        .order_by(col(Message.email_due_at), col(Message.id))
        .limit(BATCH)
    ).all()
    # End the read before claiming: on SQLite a transaction that read and then writes fails at once when
    # another worker wrote in between; one that starts with its write waits its turn instead.
    session.commit()
    queued = 0
    for message_id in due:
        if message_id is None:
            continue
        try:
            queued += _claim(session, message_id=message_id, settings=settings, now=now)
        except Exception:  # one broken reply must not hold up the others; it is tried again next round
            session.rollback()
            log.exception("agent reply %s could not be emailed", message_id)
    return queued


def _claim(session: Session, *, message_id: int, settings: Settings, now: datetime) -> int:
    result = session.exec(
        update(Message)
        .where(
            col(Message.id) == message_id,
            col(Message.email_due_at) <= now,
            col(Message.seen_at).is_(None),
        )
        .values(email_due_at=None)
    )
    if result.rowcount != 1:  # seen meanwhile, or another worker took it
        session.commit()
        return 0
    message = session.get(Message, message_id, populate_existing=True)
    handoff = None
    if message is not None:
        handoff = session.exec(select(Handoff).where(Handoff.conversation_id == message.conversation_id)).first()
    if message is None or handoff is None or not handoffs.can_email(handoff):
        # Claimed all the same, so it is not looked at every round; the ticket page says it is unreachable.
        log.info("agent reply %s is unseen and its visitor left no usable email address", message_id)
        session.commit()
        return 0
    handoffs.queue_reply_email(session, handoff=handoff, message=message, settings=settings, now=now)
    session.commit()
    return 1


def reply_emails(session: Session, messages: list[Message]) -> dict[int, OutboxItem]:
    """The outbox items carrying the emails of these agent replies, by item id (one query)."""
    ids = {m.email_outbox_id for m in messages if m.email_outbox_id is not None}
    if not ids:
        return {}
    return {item.id: item for item in session.exec(select(OutboxItem).where(col(OutboxItem.id).in_(ids))) if item.id}


def reply_state(message: Message, *, email_usable: bool, email: OutboxItem | None = None) -> ReplyState | None:
    """Where an agent reply stands for the visitor (None: not a reply to them, or written before tracking
    began); ``email`` is the outbox item of its email, when it was queued as one."""
    if message.sender is not Sender.agent or message.internal:
        return None
    if message.seen_at is not None:
        return "seen"
    if message.emailed_at is not None:
        if email is None or email.delivered_at is not None:
            return "emailed"
        return "email_failed" if email.failed_at is not None else "sending"
    if not email_usable:
        return "unreachable"
    if message.email_due_at is not None:
        return "waiting"
    return None  # before migration 0007 nothing was recorded: unknown, so nothing is claimed
