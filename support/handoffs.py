"""Handoffs: a conversation handed to people, the agents' ticket (open -> assigned -> resolved, and reopen).

A handoff closes the conversation for the bot (``close_reason=handoff``; the outcomes job sets the
outcome). The visitor is told what happens next in their locale: a reply here soon inside business
hours, else by email after the next opening. Agent replies reach the widget, and the visitor's inbox
when they have left or do not see them in time (support.reply_delivery). Internal notes are agent
messages with ``internal=True`` and never leave the back office: not to the widget, not in emails, not
in webhooks. What is said (notices, the reply email, webhook payloads) is in ``support.handoff_messages``;
the inbox's queries are in ``support.inbox``.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from core.accounts import User, normalize_email
from core.errors import FieldErrors, NotFoundError, ValidationError
from core.settings import Settings
from support import assignment, handoff_messages, hours, outbox, outcomes
from support.conversations import add_message
from support.models import (
    CloseReason,
    Conversation,
    Handoff,
    HandoffStatus,
    Message,
    Sender,
    utcnow,
)

log = logging.getLogger(__name__)

MAX_NAME = 200
MAX_MESSAGE = 4000
MAX_TEXT = 10_000  # an agent reply or note
MAX_TAGS = 20
MAX_TAG = 50

CREATED = "handoff.created"
RESOLVED = "handoff.resolved"
REOPENED = "handoff.reopened"
AGENT_REPLY = "agent.reply"

# --- creating -------------------------------------------------------------------------------------


def visitor_fields(
    email: str | None, name: str | None, message: str | None, *, locale: str
) -> tuple[str, str | None, str | None]:
    """The handoff form's fields checked together, each refusal in the visitor's language beside its field:
    the widget shows them there (an address like ``anna@example`` needs a fix, not a retry)."""
    problems: dict[str, str] = {}
    checked = ""
    if not email or not email.strip():
        problems["email"] = handoff_messages.wording(locale, "email_missing")
    else:
        try:
            checked = normalize_email(email)
        except ValidationError:
            problems["email"] = handoff_messages.wording(locale, "email_invalid")
    optional: dict[str, str | None] = {}
    for field, value, limit in (("name", name, MAX_NAME), ("message", message, MAX_MESSAGE)):
        optional[field] = (value or "").strip() or None
        if len(optional[field] or "") > limit:
            problems[field] = handoff_messages.wording(locale, "too_long", n=str(limit))
    if problems:
        raise FieldErrors(problems)
    return checked, optional["name"], optional["message"]


def _is_open(settings: Settings, now: datetime) -> tuple[bool, datetime | None]:
    try:
        spec = hours.business_hours(settings)
    except ValueError:
        # A broken spec must not lose the visitor's request: they are told to expect an email.
        log.exception("FAQDESK_BUSINESS_HOURS / FAQDESK_TIMEZONE cannot be read; treating the team as away")
        return False, None
    return spec.is_open(now), spec.next_opening(now)


def _top_intent(session: Session, *, conversation: Conversation) -> str | None:
    """The topic the visitor asked about: the most confident FAQ answer among the bot's turns (the latest on
    a tie). Only answers about FAQ intents count (``counts_as_question``): "a person, please" is an intent of
    kind handoff and small talk says nothing about the topic, so neither becomes the ticket's top intent."""
    return session.exec(
        select(Message.intent)
        .where(
            Message.conversation_id == conversation.id,
            Message.sender == Sender.bot,
            Message.decision == "answer",
            Message.counts_as_question == True,  # noqa: E712
            col(Message.intent).is_not(None),
        )
        .order_by(col(Message.confidence).desc().nulls_last(), col(Message.id).desc())
    ).first()


def request_handoff(
    session: Session,
    *,
    conversation: Conversation,
    email: str | None,
    name: str | None,
    message: str | None,
    settings: Settings,
    now: datetime | None = None,
) -> Handoff:
    """Hand the conversation to people (one handoff per conversation: asking again updates or reopens it)."""
    email, name, message = visitor_fields(email, name, message, locale=conversation.locale)
    now = now or utcnow()
    conversation.visitor_email = email
    conversation.visitor_name = name or conversation.visitor_name
    conversation.last_activity_at = now
    # Asking for a person straight away (the form, or the API, before any message) starts it: unstarted
    # conversations are never counted and are purged as empty, ticket and all.
    conversation.started_at = conversation.started_at or now
    if conversation.close_reason is not CloseReason.handoff:
        # Also when the visitor had ended the chat or it went quiet: it is with people now, and their next
        # message must reach the ticket (an ended chat refuses messages). An outcome already counted is
        # corrected, so the dashboard counts the handoff.
        conversation.closed_at, conversation.close_reason = now, CloseReason.handoff
        if conversation.outcome is not None:
            conversation.outcome, conversation.outcome_reason = outcomes.decide_outcome(
                handed_off=True, has_question=conversation.has_question, turns=[]
            )
    session.add(conversation)

    handoff = _existing(session, conversation=conversation)
    created = handoff is None
    if handoff is None:
        top_intent = _top_intent(session, conversation=conversation)
        handoff = Handoff(
            conversation_id=conversation.id,
            email=email,
            name=name,
            message=message,
            locale=conversation.locale,
            tags=[top_intent] if top_intent else [],
            top_intent=top_intent,
            created_at=now,
        )
        try:
            with session.begin_nested():  # two requests racing: the second one updates the first's
                session.add(handoff)
        except IntegrityError:
            handoff = _existing(session, conversation=conversation)
            if handoff is None:
                raise
            created = False
    reopened = False
    if not created:
        handoff.email = email
        handoff.name = name or handoff.name
        handoff.message = message or handoff.message
        if handoff.status is HandoffStatus.resolved:
            assignment.reopen(handoff)
            reopened = True
    open_now, opening = _is_open(settings, now)
    if created or reopened:
        handoff.outside_hours = not open_now
    session.add(handoff)
    session.flush()

    if created or reopened:
        _tell_visitor(
            session, conversation=conversation, email=email, open_now=open_now, opening=opening, settings=settings
        )
        event = CREATED if created else REOPENED
        outbox.queue_webhook(
            session, event=event, payload=handoff_messages.created_payload(session, handoff=handoff), settings=settings
        )
    return handoff


def _existing(session: Session, *, conversation: Conversation) -> Handoff | None:
    return assignment.ticket_of(session, conversation_id=conversation.id)


def _tell_visitor(
    session: Session,
    *,
    conversation: Conversation,
    email: str,
    open_now: bool,
    opening: datetime | None,
    settings: Settings,
) -> Message:
    locale = conversation.locale
    if open_now:
        text_ = handoff_messages.wording(locale, "open", email=email)
    elif opening is not None:
        text_ = handoff_messages.wording(
            locale, "closed", email=email, when=handoff_messages.format_when(opening, locale=locale, settings=settings)
        )
    else:
        text_ = handoff_messages.wording(locale, "closed_unknown", email=email)
    return add_message(session, conversation=conversation, sender=Sender.system, text=text_)


# --- the agents' work ---------------------------------------------------------------------------


def get_handoff(session: Session, *, handoff_id: int) -> Handoff:
    """The handoff with this id."""
    handoff = session.get(Handoff, handoff_id)
    if handoff is None:
        raise NotFoundError(f"no handoff {handoff_id}")
    return handoff


def _conversation(session: Session, handoff: Handoff) -> Conversation:
    conversation = session.get(Conversation, handoff.conversation_id)
    if conversation is None:  # the foreign key cascades, so this only happens mid-deletion
        raise NotFoundError(f"handoff {handoff.id} has no conversation")
    return conversation


def conversation_of(session: Session, *, handoff: Handoff) -> Conversation | None:
    """The handoff's conversation (None only while it is being deleted)."""
    return session.get(Conversation, handoff.conversation_id)


def _checked_text(text_: str, *, what: str) -> str:
    text_ = (text_ or "").strip()
    if not text_:
        raise ValidationError(f"the {what} is empty")
    if len(text_) > MAX_TEXT:
        raise ValidationError(f"the {what} is longer than {MAX_TEXT} characters")
    return text_


def visitor_has_left(conversation: Conversation, *, settings: Settings, now: datetime) -> bool:
    """Whether the widget has not been seen for ``email_reply_after_minutes`` (replies then go by email too)."""
    seen = conversation.visitor_seen_at
    return seen is None or seen <= now - timedelta(minutes=settings.email_reply_after_minutes)


def reply(
    session: Session, *, handoff: Handoff, agent: User, text: str, settings: Settings, now: datetime | None = None
) -> Message:
    """An agent's reply: shown in the widget, emailed now if the visitor has left, else later if still unseen."""
    text = _checked_text(text, what="reply")
    now = now or utcnow()
    conversation = _conversation(session, handoff)
    message = add_message(
        session, conversation=conversation, sender=Sender.agent, text=text, author_id=agent.id, now=now
    )
    handoff.first_response_at = handoff.first_response_at or now
    handoff.agent_replies += 1
    if handoff.status is HandoffStatus.open:
        handoff.status = HandoffStatus.assigned
        handoff.assignee_id = handoff.assignee_id or agent.id
    session.add(handoff)
    if can_email(handoff) and visitor_has_left(conversation, settings=settings, now=now):
        queue_reply_email(session, handoff=handoff, message=message, settings=settings, now=now)
    else:
        # The visitor looks present, but a reply is only known to have reached them once their widget
        # says it showed it (support.reply_delivery); the worker emails it if that has not happened by then.
        message.email_due_at = now + timedelta(minutes=settings.email_reply_after_minutes)
        session.add(message)
    session.flush()
    return message


def can_email(handoff: Handoff) -> bool:
    """Whether the visitor left an email address that replies can go to."""
    try:
        normalize_email(handoff.email or "")
    except ValidationError:
        return False
    return True


def queue_reply_email(
    session: Session, *, handoff: Handoff, message: Message, settings: Settings, now: datetime
) -> None:
    """Queue the agent reply ``message`` as an email to the visitor and record that it was (once per reply)."""
    email = outbox.queue_email(
        session,
        to=handoff.email,
        subject=handoff_messages.wording(handoff.locale, "subject"),
        body=handoff_messages.email_body(session, handoff=handoff, reply_text=message.text, settings=settings),
        event=AGENT_REPLY,
        conversation_id=handoff.conversation_id,
    )
    message.emailed_at = now
    message.email_outbox_id = email.id
    message.email_due_at = None
    session.add(message)


def note(session: Session, *, handoff: Handoff, agent: User, text: str, now: datetime | None = None) -> Message:
    """An internal note: visible to agents only, never to the visitor."""
    text = _checked_text(text, what="note")
    conversation = _conversation(session, handoff)
    return add_message(
        session, conversation=conversation, sender=Sender.agent, text=text, author_id=agent.id, internal=True, now=now
    )


def clean_tags(tags: Sequence[str]) -> list[str]:
    """Tags as stored: trimmed, lowercase, single spaces, no duplicates, in the given order."""
    cleaned: list[str] = []
    for tag in tags:
        tag = " ".join(tag.split()).lower()
        if not tag or tag in cleaned:
            continue
        if len(tag) > MAX_TAG:
            raise ValidationError(f"tags: {tag[:MAX_TAG]!r}... is longer than {MAX_TAG} characters")
        cleaned.append(tag)
    if len(cleaned) > MAX_TAGS:
        raise ValidationError(f"tags: at most {MAX_TAGS} tags")
    return cleaned


def set_tags(session: Session, *, handoff: Handoff, tags: Sequence[str]) -> Handoff:
    """Replace the handoff's tags."""
    handoff.tags = clean_tags(tags)
    session.add(handoff)
    session.flush()
    return handoff


def resolve(
    session: Session, *, handoff: Handoff, agent: User, settings: Settings, now: datetime | None = None
) -> Handoff:
    """Mark the handoff resolved (already resolved: nothing changes) and send ``handoff.resolved``."""
    if handoff.status is HandoffStatus.resolved:
        return handoff
    handoff.status = HandoffStatus.resolved
    handoff.resolved_at = now or utcnow()
    handoff.resolved_by = agent.id
    session.add(handoff)
    # Tells the widget to ask for a rating; "resolved" in the type field is what it listens for.
    notice = add_message(
        session,
        conversation=_conversation(session, handoff),
        sender=Sender.system,
        text=handoff_messages.wording(handoff.locale, "resolved"),
        now=handoff.resolved_at,
    )
    notice.decision = "resolved"
    session.add(notice)
    session.flush()
    outbox.queue_webhook(
        session, event=RESOLVED, payload=handoff_messages.resolution_payload(handoff, agent), settings=settings
    )
    return handoff


def reopen(session: Session, *, handoff: Handoff, agent: User, settings: Settings) -> Handoff:
    """Reopen a resolved handoff (back to its assignee, else the queue) and send ``handoff.reopened``."""
    if handoff.status is not HandoffStatus.resolved:
        return handoff
    assignment.reopen(handoff)
    session.add(handoff)
    session.flush()
    outbox.queue_webhook(
        session, event=REOPENED, payload=handoff_messages.resolution_payload(handoff, agent), settings=settings
    )
    return handoff
