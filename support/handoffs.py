"""Handoffs: a conversation handed to people, the agents' ticket (open -> assigned -> resolved, and reopen).

A handoff closes the conversation for the bot (``close_reason=handoff``; the outcomes job sets the
outcome). The visitor is told what happens next in their locale: a reply here soon inside business
hours, else by email after the next opening. Agent replies reach the widget, and the visitor's inbox
when they have left or do not see them in time (support.reply_delivery). Internal notes are agent
messages with ``internal=True`` and never leave the back office: not to the widget, not in emails, not
in webhooks.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Collection, Sequence
from datetime import datetime, timedelta
from typing import Any

from babel.dates import format_date, format_datetime, format_time, get_timezone_name
from sqlalchemy import func, text
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from core.accounts import User, normalize_email
from core.db import is_postgres
from core.errors import NotFoundError, ValidationError
from core.settings import Settings
from support import hours, outbox
from support.conversations import add_message
from support.models import CloseReason, Conversation, Handoff, HandoffStatus, Message, Sender, utcnow

log = logging.getLogger(__name__)

MAX_NAME = 200
MAX_MESSAGE = 4000
MAX_TEXT = 10_000  # an agent reply or note
MAX_TAGS = 20
MAX_TAG = 50
RECENT_FOR_TAGS = 1000  # the tag filter offers the tags of this many latest handoffs

CREATED = "handoff.created"
RESOLVED = "handoff.resolved"
REOPENED = "handoff.reopened"
AGENT_REPLY = "agent.reply"

# Visitor-facing wording. Kept here rather than in the UI catalogue because support/ must not import
# api/; the placeholders are str.format fields.
WORDING: dict[str, dict[str, str]] = {
    "en": {
        "open": "Thanks! A person will reply here shortly. If you leave, we'll send the reply to {email}.",
        "closed": "Thanks! Our team is away right now. We're back {when} and will reply by email to {email}.",
        "closed_unknown": "Thanks! Our team is away right now. We'll reply by email to {email} as soon as we can.",
        "when": "on {date} at {time} ({zone})",
        "subject": "A reply to your question",
        "resolved": "Our team has marked your question as resolved. How did we do?",
        "greeting": "Hello{name},",
        "intro": "our support team replied to your question:",
        "transcript": "Your conversation so far:",
        "signature": "Your support team",
        "visitor": "You",
        "bot": "Assistant",
        "agent": "Support team",
        "system": "Info",
    },
    "de": {
        "open": "Danke! Ein Mensch antwortet Ihnen hier in Kürze. Wenn Sie die Seite verlassen, "
        "senden wir die Antwort an {email}.",
        "closed": "Danke! Unser Team ist gerade nicht erreichbar. Wir sind {when} wieder da und antworten "
        "Ihnen per E-Mail an {email}.",
        "closed_unknown": "Danke! Unser Team ist gerade nicht erreichbar. Wir antworten Ihnen so bald wie möglich "
        "per E-Mail an {email}.",
        "when": "am {date} um {time} ({zone})",
        "subject": "Eine Antwort auf Ihre Frage",
        "resolved": "Unser Team hat Ihre Frage als erledigt markiert. Wie zufrieden waren Sie?",
        "greeting": "Guten Tag{name},",
        "intro": "unser Support-Team hat auf Ihre Frage geantwortet:",
        "transcript": "Ihr bisheriges Gespräch:",
        "signature": "Ihr Support-Team",
        "visitor": "Sie",
        "bot": "Assistent",
        "agent": "Support-Team",
        "system": "Info",
    },
    "nl": {
        "open": "Bedankt! Iemand van ons team antwoordt hier zo. Als je weggaat, sturen we het antwoord naar {email}.",
        "closed": "Bedankt! Ons team is nu niet bereikbaar. We zijn {when} terug en antwoorden per e-mail aan {email}.",
        "closed_unknown": "Bedankt! Ons team is nu niet bereikbaar. We antwoorden zo snel mogelijk per e-mail "
        "aan {email}.",
        "when": "op {date} om {time} ({zone})",
        "subject": "Een antwoord op je vraag",
        "resolved": "Ons team heeft je vraag als opgelost gemarkeerd. Hoe hebben we het gedaan?",
        "greeting": "Hallo{name},",
        "intro": "ons supportteam heeft je vraag beantwoord:",
        "transcript": "Je gesprek tot nu toe:",
        "signature": "Je supportteam",
        "visitor": "Jij",
        "bot": "Assistent",
        "agent": "Supportteam",
        "system": "Info",
    },
}


def _locale(locale: str) -> str:
    return locale if locale in WORDING else "en"


def wording(locale: str, key: str, **fields: str) -> str:
    """A visitor-facing sentence in the locale (English for a locale without wording)."""
    return WORDING[_locale(locale)][key].format(**fields)


def format_when(moment: datetime, *, locale: str, settings: Settings) -> str:
    """'on Monday, June 3, 2024 at 9:00 AM (Central European Summer Time)', in the locale and the zone."""
    loc = _locale(locale)
    local = moment.astimezone(hours.business_hours(settings).zone)
    return wording(
        loc,
        "when",
        date=format_date(local, "full", locale=loc),
        time=format_time(local, "short", locale=loc),
        zone=get_timezone_name(local, "long", locale=loc),
    )


# --- creating -------------------------------------------------------------------------------------


def _checked_email(email: str | None) -> str:
    if not email or not email.strip():
        raise ValidationError("email: an email address is required so that a person can reply")
    try:
        return normalize_email(email)
    except ValidationError:
        raise ValidationError(f"email: {email.strip()[:100]!r} is not a valid email address") from None


def _optional(value: str | None, *, field: str, limit: int) -> str | None:
    value = (value or "").strip()
    if len(value) > limit:
        raise ValidationError(f"{field}: at most {limit} characters")
    return value or None


def _is_open(settings: Settings, now: datetime) -> tuple[bool, datetime | None]:
    try:
        spec = hours.business_hours(settings)
    except ValueError:
        # A broken spec must not lose the visitor's request: they are told to expect an email.
        log.exception("FAQDESK_BUSINESS_HOURS / FAQDESK_TIMEZONE cannot be read; treating the team as away")
        return False, None
    return spec.is_open(now), spec.next_opening(now)


def _top_intent(session: Session, *, conversation: Conversation) -> str | None:
    return session.exec(
        select(Message.intent)
        .where(
            Message.conversation_id == conversation.id,
            Message.sender == Sender.bot,
            col(Message.intent).is_not(None),
        )
        .order_by(col(Message.id).desc())
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
    email = _checked_email(email)
    name = _optional(name, field="name", limit=MAX_NAME)
    message = _optional(message, field="message", limit=MAX_MESSAGE)
    now = now or utcnow()
    conversation.visitor_email = email
    conversation.visitor_name = name or conversation.visitor_name
    conversation.last_activity_at = now
    if conversation.closed_at is None:
        conversation.closed_at = now
        conversation.close_reason = CloseReason.handoff
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
            _reopen(handoff)
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
        outbox.queue_webhook(session, event=event, payload=_payload(session, handoff=handoff), settings=settings)
    return handoff


def _existing(session: Session, *, conversation: Conversation) -> Handoff | None:
    return session.exec(select(Handoff).where(Handoff.conversation_id == conversation.id)).first()


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
        text_ = wording(locale, "open", email=email)
    elif opening is not None:
        text_ = wording(locale, "closed", email=email, when=format_when(opening, locale=locale, settings=settings))
    else:
        text_ = wording(locale, "closed_unknown", email=email)
    return add_message(session, conversation=conversation, sender=Sender.system, text=text_)


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def _entry(message: Message) -> dict[str, Any]:
    entry: dict[str, Any] = {"sender": message.sender.value, "text": message.text, "at": _iso(message.created_at)}
    if message.sender is Sender.bot:
        entry |= {"decision": message.decision, "intent": message.intent, "confidence": message.confidence}
    return entry


def _payload(session: Session, *, handoff: Handoff) -> dict[str, Any]:
    """What ``handoff.created`` carries: contact, the bot's guesses and the visitor-visible transcript."""
    conversation = session.get(Conversation, handoff.conversation_id)
    messages = transcript(session, handoff=handoff, internal=False)
    guesses = [
        {
            "message_id": m.id,
            "decision": m.decision,
            "intent": m.intent,
            "confidence": m.confidence,
            "candidates": m.candidates,
        }
        for m in messages
        if m.sender is Sender.bot and m.decision
    ]
    return {
        "handoff_id": handoff.id,
        "conversation_id": handoff.conversation_id,
        "locale": handoff.locale,
        "email": handoff.email,
        "name": handoff.name,
        "message": handoff.message,
        "top_intent": handoff.top_intent,
        "tags": list(handoff.tags),
        "status": handoff.status.value,
        "outside_hours": handoff.outside_hours,
        "created_at": _iso(handoff.created_at),
        "page_url": conversation.page_url if conversation else "",
        "transcript": [_entry(m) for m in messages],
        "guesses": guesses,
    }


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


def assign(session: Session, *, handoff: Handoff, agent: User | None) -> Handoff:
    """Give the handoff to an agent, or back to the queue with None (a resolved one stays resolved)."""
    handoff.assignee_id = agent.id if agent else None
    if handoff.status is not HandoffStatus.resolved:
        handoff.status = HandoffStatus.assigned if agent else HandoffStatus.open
    session.add(handoff)
    session.flush()
    return handoff


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
    outbox.queue_email(
        session,
        to=handoff.email,
        subject=wording(handoff.locale, "subject"),
        body=_email_body(session, handoff=handoff, reply_text=message.text, settings=settings),
        event=AGENT_REPLY,
        conversation_id=handoff.conversation_id,
    )
    message.emailed_at = now
    message.email_due_at = None
    session.add(message)


def _email_body(session: Session, *, handoff: Handoff, reply_text: str, settings: Settings) -> str:
    """The reply, then the visitor-visible transcript as plain text (no link back: the chat needs its token)."""
    loc = _locale(handoff.locale)
    zone = hours.business_hours(settings).zone
    lines = [
        wording(loc, "greeting", name=f" {handoff.name}" if handoff.name else ""),
        "",
        wording(loc, "intro"),
        "",
        reply_text,
        "",
        "-- ",
        wording(loc, "signature"),
        "",
        "",
        wording(loc, "transcript"),
        "",
    ]
    for message in transcript(session, handoff=handoff, internal=False):
        at = format_datetime(message.created_at, "short", tzinfo=zone, locale=loc)
        lines.append(f"[{at}] {wording(loc, message.sender.value)}:")
        lines.extend(f"  {line}" for line in message.text.splitlines() or [""])
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


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


def _reopen(handoff: Handoff) -> None:
    handoff.reopened += 1
    handoff.status = HandoffStatus.assigned if handoff.assignee_id else HandoffStatus.open
    handoff.resolved_at = None
    handoff.resolved_by = None


def _resolution_payload(handoff: Handoff, agent: User | None) -> dict[str, Any]:
    return {
        "handoff_id": handoff.id,
        "conversation_id": handoff.conversation_id,
        "locale": handoff.locale,
        "email": handoff.email,
        "status": handoff.status.value,
        "tags": list(handoff.tags),
        "top_intent": handoff.top_intent,
        "by": agent.email if agent else None,
        "resolved_at": _iso(handoff.resolved_at),
        "first_response_at": _iso(handoff.first_response_at),
        "agent_replies": handoff.agent_replies,
        "reopened": handoff.reopened,
    }


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
        text=wording(handoff.locale, "resolved"),
        now=handoff.resolved_at,
    )
    notice.decision = "resolved"
    session.add(notice)
    session.flush()
    outbox.queue_webhook(session, event=RESOLVED, payload=_resolution_payload(handoff, agent), settings=settings)
    return handoff


def reopen(session: Session, *, handoff: Handoff, agent: User, settings: Settings) -> Handoff:
    """Reopen a resolved handoff (back to its assignee, else the queue) and send ``handoff.reopened``."""
    if handoff.status is not HandoffStatus.resolved:
        return handoff
    _reopen(handoff)
    session.add(handoff)
    session.flush()
    outbox.queue_webhook(session, event=REOPENED, payload=_resolution_payload(handoff, agent), settings=settings)
    return handoff


def _has_tag(session: Session, tag: str) -> Any:
    """A WHERE clause: the JSON tag list contains ``tag`` (each backend has its own JSON functions)."""
    if is_postgres(session.get_bind()):
        return text("CAST(handoff.tags AS JSONB) @> CAST(:tags AS JSONB)").bindparams(tags=json.dumps([tag]))
    return text("EXISTS (SELECT 1 FROM json_each(handoff.tags) WHERE json_each.value = :tag)").bindparams(tag=tag)


def queue(
    session: Session,
    *,
    status: HandoffStatus | Collection[HandoffStatus] | None = None,
    mine: User | None = None,
    locale: str | None = None,
    tag: str | None = None,
    after: int | None = None,
    active_after: int | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[Handoff], int]:
    """The inbox, newest first: a page of handoffs matching the filters and how many match in all.

    ``after`` keeps handoffs with a larger id; ``active_after`` those whose visitor wrote a message with a
    larger id (message ids only grow, so the inbox's poller remembers the newest one it knows).
    """
    conditions: list[Any] = []
    if isinstance(status, HandoffStatus):
        conditions.append(col(Handoff.status) == status)
    elif status is not None:
        conditions.append(col(Handoff.status).in_(list(status)))
    if mine is not None:
        conditions.append(col(Handoff.assignee_id) == mine.id)
    if locale:
        conditions.append(col(Handoff.locale) == locale)
    if tag:
        conditions.append(_has_tag(session, " ".join(tag.split()).lower()))
    if after is not None:
        conditions.append(col(Handoff.id) > after)
    if active_after is not None:
        conditions.append(
            select(Message.id)
            .where(
                col(Message.conversation_id) == col(Handoff.conversation_id),
                col(Message.sender) == Sender.visitor,
                col(Message.id) > active_after,
            )
            .exists()
        )
    rows = session.exec(
        select(Handoff)
        .where(*conditions)
        .order_by(col(Handoff.created_at).desc(), col(Handoff.id).desc())
        .limit(limit)
        .offset(offset)
    ).all()
    total = session.exec(select(func.count()).select_from(Handoff).where(*conditions)).one()
    return list(rows), int(total)


def transcript(session: Session, *, handoff: Handoff, internal: bool = True) -> list[Message]:
    """The conversation's messages in order; ``internal=False`` leaves out the agents' notes."""
    query = select(Message).where(Message.conversation_id == handoff.conversation_id)
    if not internal:
        query = query.where(Message.internal == False)  # noqa: E712
    return list(session.exec(query.order_by(col(Message.id))).all())


def newest_message_id(session: Session) -> int:
    """The largest message id of all conversations (0 when there is none): where the inbox's poller starts."""
    return int(session.exec(select(func.max(Message.id))).one() or 0)


def tags_in_use(session: Session) -> list[str]:
    """The tags on recent handoffs, sorted (for the inbox's tag filter)."""
    tags: set[str] = set()
    for row in session.exec(select(Handoff.tags).order_by(col(Handoff.id).desc()).limit(RECENT_FOR_TAGS)).all():
        tags.update(row or [])
    return sorted(tags)
