"""Canned replies: texts agents insert into a ticket's reply box, one locale each, with placeholders.

A body names placeholders in braces, filled in from the ticket when an agent picks the reply; the agent
edits the result before sending. Only the names in ``PLACEHOLDERS`` are accepted when a reply is saved
(a typo such as ``{visitor_nmae}`` would otherwise reach a visitor as written); ``{{`` and ``}}`` write a
literal brace. Editors and admins maintain them; the version an editor started from is checked on save
(core.versions), as for categories and intents.
"""

from __future__ import annotations

from dataclasses import dataclass
from string import Formatter

from sqlmodel import Session, col, select

from core.accounts import User
from core.errors import NotFoundError, ValidationError
from core.i18n import N_
from core.settings import Settings
from core.versions import FieldChange, check_version, field_changes, flush_edit
from support.models import CannedReply, Handoff, utcnow

MAX_TITLE = 200
MAX_SHORTCUT = 50
MAX_BODY = 10_000  # an agent reply's limit (support.handoffs.MAX_TEXT)

# What each placeholder becomes; the descriptions are shown on the back-office page.
PLACEHOLDERS: dict[str, str] = {
    "visitor_name": N_("the name the visitor gave (empty if none)"),
    "visitor_email": N_("the visitor's email address"),
    "agent_name": N_("the display name of the agent who inserts the reply"),
    "ticket_id": N_("the handoff's number"),
}


def placeholders_in(body: str) -> list[str]:
    """The placeholder names a body uses, in order; ValidationError for braces that do not pair up."""
    try:
        parts = [(name, spec, conversion) for _, name, spec, conversion in Formatter().parse(body) if name is not None]
    except ValueError as exc:
        raise ValidationError(
            f"body: {exc} (a placeholder is written {{visitor_name}}; write {{{{ or }}}} for a brace itself)"
        ) from None
    if any(spec or conversion for _, spec, conversion in parts):
        raise ValidationError("body: placeholders take no format or conversion (write {visitor_name}, nothing more)")
    return [name for name, _, _ in parts]


def check_body(body: str) -> str:
    """The body as saved (trimmed), refused when empty, too long or naming an unknown placeholder."""
    body = (body or "").strip()
    if not body:
        raise ValidationError("body: the reply is empty")
    if len(body) > MAX_BODY:
        raise ValidationError(f"body: at most {MAX_BODY} characters")
    unknown = [name for name in placeholders_in(body) if name not in PLACEHOLDERS]
    if unknown:
        known = ", ".join("{" + name + "}" for name in PLACEHOLDERS)
        shown = ", ".join("{" + name + "}" for name in dict.fromkeys(unknown))
        raise ValidationError(f"body: unknown placeholder {shown}; use {known}")
    return body


def fill(body: str, values: dict[str, str]) -> str:
    """The body with its placeholders replaced (a saved body only names known ones)."""
    return body.format_map({name: values.get(name, "") for name in PLACEHOLDERS})


def ticket_values(handoff: Handoff, *, agent: User) -> dict[str, str]:
    """What each placeholder means on this ticket, for this agent."""
    return {
        "visitor_name": handoff.name or "",
        "visitor_email": handoff.email,
        "agent_name": agent.display_name,
        "ticket_id": str(handoff.id or ""),
    }


@dataclass(frozen=True)
class Choice:
    """A canned reply as the ticket's picker offers it: filled in for the ticket."""

    id: int
    title: str
    shortcut: str
    text: str


def choices_for(session: Session, *, handoff: Handoff, agent: User) -> list[Choice]:
    """The canned replies in the ticket's locale, by title, filled in for the ticket and the agent."""
    values = ticket_values(handoff, agent=agent)
    return [
        Choice(id=r.id or 0, title=r.title, shortcut=r.shortcut, text=fill(r.body, values))
        for r in list_replies(session, locale=handoff.locale)
    ]


def list_replies(session: Session, *, locale: str | None = None) -> list[CannedReply]:
    """Canned replies (of one locale, or all), by locale and title."""
    query = select(CannedReply)
    if locale:
        query = query.where(CannedReply.locale == locale)
    return list(session.exec(query.order_by(col(CannedReply.locale), col(CannedReply.title), col(CannedReply.id))))


def get_reply(session: Session, *, reply_id: int) -> CannedReply:
    """The canned reply with this id."""
    reply = session.get(CannedReply, reply_id)
    if reply is None:
        raise NotFoundError(f"no canned reply {reply_id}")
    return reply


def _cleaned(
    session: Session, *, title: str, shortcut: str, locale: str, body: str, settings: Settings, own_id: int | None
) -> tuple[str, str, str, str]:
    title = " ".join((title or "").split())
    if not title:
        raise ValidationError("title: a canned reply needs a title")
    if len(title) > MAX_TITLE:
        raise ValidationError(f"title: at most {MAX_TITLE} characters")
    shortcut = "".join((shortcut or "").split()).lower().lstrip("/")
    if len(shortcut) > MAX_SHORTCUT:
        raise ValidationError(f"shortcut: at most {MAX_SHORTCUT} characters")
    if locale not in settings.locales:
        raise ValidationError(f"locale: {locale!r} is not one of {', '.join(settings.locales)}")
    if shortcut:
        taken = session.exec(
            select(CannedReply.id).where(
                CannedReply.locale == locale, CannedReply.shortcut == shortcut, col(CannedReply.id) != (own_id or 0)
            )
        ).first()
        if taken is not None:
            raise ValidationError(f"shortcut: {shortcut!r} is already used by another {locale} reply")
    return title, shortcut, locale, check_body(body)


def create_reply(
    session: Session, *, title: str, shortcut: str, locale: str, body: str, by: User, settings: Settings
) -> CannedReply:
    """A new canned reply (ValidationError for an unknown placeholder, a taken shortcut, a foreign locale)."""
    title, shortcut, locale, body = _cleaned(
        session, title=title, shortcut=shortcut, locale=locale, body=body, settings=settings, own_id=None
    )
    reply = CannedReply(title=title, shortcut=shortcut, locale=locale, body=body, updated_by=by.email)
    session.add(reply)
    session.flush()
    return reply


def update_reply(
    session: Session,
    *,
    reply: CannedReply,
    title: str,
    shortcut: str,
    locale: str,
    body: str,
    by: User,
    settings: Settings,
    expected_version: int | None,
) -> CannedReply:
    """Save an edit made from ``expected_version`` (EditConflict when someone saved since)."""
    check_version(reply, expected_version, what=f"the canned reply {reply.title!r}")
    title, shortcut, locale, body = _cleaned(
        session, title=title, shortcut=shortcut, locale=locale, body=body, settings=settings, own_id=reply.id
    )
    reply.title, reply.shortcut, reply.locale, reply.body = title, shortcut, locale, body
    reply.updated_at = utcnow()
    reply.updated_by = by.email
    session.add(reply)
    flush_edit(session, reply, what=f"the canned reply {title!r}")
    return reply


def reply_changes(saved: CannedReply, *, title: str, shortcut: str, locale: str, body: str) -> list[FieldChange]:
    """The fields where what is saved differs from what the editor sent (for the conflict page)."""
    return field_changes(
        {"title": saved.title, "shortcut": saved.shortcut, "locale": saved.locale, "body": saved.body},
        {"title": title, "shortcut": shortcut, "locale": locale, "body": body},
    )


def delete_reply(session: Session, *, reply: CannedReply, expected_version: int | None = None) -> None:
    """Remove a canned reply (sent replies keep their text); a delete from a page of an older version is
    an ``EditConflict``, like a save."""
    check_version(reply, expected_version, what=f"the canned reply {reply.title!r}")
    session.delete(reply)
    session.flush()
