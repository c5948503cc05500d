"""What the inbox and ticket pages show, shared by the pages, their JSON pollers and their event streams:
inbox rows, transcript items, and the updates since what a page already shows."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from babel.dates import format_timedelta
from sqlmodel import Session

from api.params import LIST_PAGE_SIZE
from api.templating import templates
from core import accounts
from core.accounts import User
from core.i18n import DEFAULT_UI_LOCALE, gettext_for
from core.settings import Settings
from support import handoffs, reply_delivery
from support import inbox as inbox_service
from support.models import Handoff, Message, OutboxItem, Sender, utcnow

PAGE_SIZE = LIST_PAGE_SIZE  # the pollers bring at most a page of the inbox


def age(moment: datetime, now: datetime, locale: str = DEFAULT_UI_LOCALE) -> str:
    """A short age in the page's language: '4 min', '3 Std.', '2 dagen' (a unit once two of it have passed)."""
    if now - moment < timedelta(minutes=1):
        _ = gettext_for(locale)
        return _("just now")
    return format_timedelta(now - moment, threshold=2, format="short", locale=locale)


def people(session: Session) -> dict[int, User]:
    """Every user by id (assignees, authors)."""
    return {u.id: u for u in accounts.list_users(session) if u.id is not None}


def row(handoff: Handoff, *, people: dict[int, User], now: datetime, locale: str = DEFAULT_UI_LOCALE) -> dict[str, Any]:
    """One inbox row as the page and its updates show it."""
    assignee = people.get(handoff.assignee_id) if handoff.assignee_id else None
    return {
        "id": handoff.id,
        "email": handoff.email,
        "name": handoff.name or "",
        "locale": handoff.locale,
        "top_intent": handoff.top_intent or "",
        "tags": list(handoff.tags),
        "status": handoff.status.value,
        "assignee": assignee.display_name if assignee else "",
        "assignee_id": handoff.assignee_id,  # the page notifies its agent of replies on their own tickets
        "age": age(handoff.created_at, now, locale),
        "created_at": handoff.created_at.isoformat(),
        "outside_hours": handoff.outside_hours,
    }


def inbox_filters(settings: Settings, *, user: User, view: str, locale: str, tag: str) -> dict[str, Any]:
    """The queue's filters for the inbox's query parameters."""
    return {
        **inbox_service.view_filters(view, user=user),
        "locale": settings.configured_locale(locale),
        "tag": tag or None,
    }


def inbox_updates(
    session: Session, *, filters: dict[str, Any], since: int, active_after: int | None, locale: str = DEFAULT_UI_LOCALE
) -> dict[str, Any]:
    """Handoffs newer than ``since`` and, with ``active_after``, those whose visitor wrote again since that
    message id, matching the filters; ``last_id`` and ``last_message_id`` are where the next look starts."""
    rows, _ = inbox_service.queue(session, **filters, after=since, limit=PAGE_SIZE)
    # The newest id overall, not only of matching rows, so the poller never asks about skipped ones again.
    newest, _ = inbox_service.queue(session, after=since, limit=1)
    now = utcnow()
    everyone = people(session)
    body: dict[str, Any] = {
        "handoffs": [row(h, people=everyone, now=now, locale=locale) for h in rows],
        "last_id": max([since] + [h.id or 0 for h in newest]),
    }
    if active_after is not None:
        active, _ = inbox_service.queue(session, **filters, active_after=active_after, limit=PAGE_SIZE)
        body["active"] = [row(h, people=everyone, now=now, locale=locale) for h in active]
        body["last_message_id"] = max(active_after, inbox_service.newest_message_id(session))
    return body


def messages(session: Session, handoff: Handoff, people: dict[int, User]) -> list[dict[str, Any]]:
    """The ticket's transcript items: each message with its author, the bot's candidates, the reply's state."""
    found = inbox_service.transcript(session, handoff=handoff)
    emails = reply_delivery.reply_emails(session, found)
    return items(found, people=people, email_usable=handoffs.can_email(handoff), emails=emails)


def items(
    found: list[Message], *, people: dict[int, User], email_usable: bool, emails: dict[int, OutboxItem] | None = None
) -> list[dict[str, Any]]:
    """Transcript items (admin/_transcript.html) for messages: author, the bot's candidates, a reply's state
    (``emails``: the outbox items of replies' emails, by id, which say whether each was sent)."""
    emails = emails or {}
    shown = []
    for message in found:
        author = people.get(message.author_id) if message.author_id else None
        candidates = [
            {
                "intent": str(c.get("intent", "")),
                "probability": _number(c.get("probability")),
            }
            for c in message.candidates or []
            if isinstance(c, dict)
        ]
        email = emails.get(message.email_outbox_id) if message.email_outbox_id is not None else None
        state = reply_delivery.reply_state(message, email_usable=email_usable, email=email)
        shown.append({"m": message, "author": author, "candidates": candidates, "state": state, "email": email})
    return shown


def _number(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) else None


def ticket_updates(
    session: Session, *, handoff: Handoff, after: int, locale: str = DEFAULT_UI_LOCALE
) -> dict[str, Any]:
    """The ticket's messages newer than ``after`` as transcript HTML (the page's own template, autoescaped),
    how many of them the visitor wrote, and where each agent reply stands now."""
    items = messages(session, handoff, people(session))
    new = [item for item in items if (item["m"].id or 0) > after]
    replies = [item for item in items if item["state"]]
    # In the page's language: the macros' _() read ui_locale from the module's context.
    transcript = templates.env.get_template("admin/_transcript.html").make_module({"ui_locale": locale})
    return {
        "html": str(transcript.items(new, Sender, handoff.email)) if new else "",  # type: ignore[attr-defined]
        "last_id": max([after] + [item["m"].id or 0 for item in new]),
        "visitor_messages": sum(1 for item in new if item["m"].sender is Sender.visitor),
        "replies": {
            str(item["m"].id): str(transcript.delivery(item["m"], item["state"], handoff.email, item["email"]))  # type: ignore[attr-defined]
            for item in replies
        },
    }
