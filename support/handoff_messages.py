"""What a handoff says: the visitor's notices and the reply email in their locale, and the webhooks' payloads."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from babel.dates import format_date, format_datetime, format_time, get_timezone_name
from sqlmodel import Session

from core.accounts import User
from core.i18n import DEFAULT_UI_LOCALE, N_, gettext_for, has_catalog
from core.settings import Settings
from support import hours
from support.inbox import transcript
from support.models import Conversation, Handoff, Message, Sender

# Visitor-facing wording, from the one catalogue (core/locales); the placeholders are %-format fields.
WORDING: dict[str, str] = {
    "open": N_("Thanks! A person will reply here shortly. If you leave, we'll send the reply to %(email)s."),
    "closed": N_("Thanks! Our team is away right now. We're back %(when)s and will reply by email to %(email)s."),
    "closed_unknown": N_("Thanks! Our team is away right now. We'll reply by email to %(email)s as soon as we can."),
    "when": N_("on %(date)s at %(time)s (%(zone)s)"),
    "subject": N_("A reply to your question"),
    "email_missing": N_("Enter your email address, so that a person can reply."),
    "email_invalid": N_("Enter an email address like name@example.com."),
    "too_long": N_("Use at most %(n)s characters."),
    "resolved": N_("Our team has marked your question as resolved. How did we do?"),
    "greeting": N_("Hello%(name)s,"),
    "intro": N_("our support team replied to your question:"),
    "transcript": N_("Your conversation so far:"),
    "signature": N_("Your support team"),
    "visitor": N_("You"),
    "bot": N_("Assistant"),
    "agent": N_("Support team"),
    "system": N_("Info"),
}


def _locale(locale: str) -> str:
    return locale if has_catalog(locale) else DEFAULT_UI_LOCALE


def wording(locale: str, key: str, **fields: str) -> str:
    """A visitor-facing sentence in the locale (English for a locale without a catalogue)."""
    return gettext_for(_locale(locale))(WORDING[key]) % fields


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


def email_body(session: Session, *, handoff: Handoff, reply_text: str, settings: Settings) -> str:
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


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def _entry(message: Message) -> dict[str, Any]:
    entry: dict[str, Any] = {"sender": message.sender.value, "text": message.text, "at": _iso(message.created_at)}
    if message.sender is Sender.bot:
        entry |= {"decision": message.decision, "intent": message.intent, "confidence": message.confidence}
    return entry


def created_payload(session: Session, *, handoff: Handoff) -> dict[str, Any]:
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


def resolution_payload(handoff: Handoff, agent: User | None) -> dict[str, Any]:
    """What ``handoff.resolved`` and ``handoff.reopened`` carry."""
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
