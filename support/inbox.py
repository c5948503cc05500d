"""The agents' inbox: which handoffs each view shows, the filtered queue, one ticket's transcript, and
where the inbox's pollers start.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from typing import Any

from sqlalchemy import func, text
from sqlmodel import Session, col, select

from core.accounts import User
from core.db import is_postgres
from core.errors import ValidationError
from core.i18n import N_
from support.models import Handoff, HandoffStatus, Message, Sender

RECENT_FOR_TAGS = 1000  # the tag filter offers the tags of this many latest handoffs
UNRESOLVED = (HandoffStatus.open, HandoffStatus.assigned)
# What each inbox view shows; "" (the default) is the backlog: everything not yet resolved.
VIEWS = {  # labels marked for the catalogue, translated where shown
    "": N_("Open and assigned"),
    "open": N_("Open (unassigned)"),
    "assigned": N_("Assigned"),
    "mine": N_("Mine"),
    "resolved": N_("Resolved"),
    "all": N_("All"),
}


def view_filters(view: str, *, user: User) -> dict[str, Any]:
    """The ``queue`` filters of an inbox view (its statuses, and the user's own for "mine")."""
    if view not in VIEWS:
        raise ValidationError(f"unknown view {view!r}: use {', '.join(v for v in VIEWS if v)} or leave it empty")
    if view in ("open", "assigned", "resolved"):
        return {"status": HandoffStatus(view)}
    if view == "mine":
        return {"status": UNRESOLVED, "mine": user}
    if view == "all":
        return {}
    return {"status": UNRESOLVED}


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


def oldest_open(session: Session, *, locale: str | None = None) -> Handoff | None:
    """The unassigned handoff that has waited longest: the inbox lists newest first, and a visitor who
    handed off on Friday evening must not sink below Monday's tickets unseen."""
    query = select(Handoff).where(col(Handoff.status) == HandoffStatus.open)
    if locale:
        query = query.where(col(Handoff.locale) == locale)
    return session.exec(query.order_by(col(Handoff.created_at), col(Handoff.id)).limit(1)).first()


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
