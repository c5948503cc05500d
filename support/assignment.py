"""Who works a ticket: assigning it to an agent, to oneself, or back to the queue.

Two agents may claim the same ticket from pages loaded at the same time; the page says whom it showed
as the assignee, and the change is one conditional UPDATE, so the later claim is refused (a 409 naming
who has the ticket) instead of silently taking it over.
"""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import CursorResult, update
from sqlmodel import Session, col, select

from core.accounts import User
from core.errors import ConflictError, ValidationError
from core.numerals import whole_number
from support.models import Handoff, HandoffStatus


def chosen_assignee(session: Session, *, choice: str, me: User) -> User | None:
    """Whom the assign form names: ``"me"``, nobody (``""``), or an active user by id; else ValidationError."""
    if choice == "me":
        return me
    if not choice:
        return None
    agent = session.get(User, number) if (number := whole_number(choice)) is not None else None
    if agent is None or not agent.active:
        raise ValidationError(f"assignee: no active user {choice!r}")
    return agent


class Unseen:
    """No assignee was shown (an API call, a form from before the check): assign whatever it is now."""


UNSEEN = Unseen()


def assign(session: Session, *, handoff: Handoff, agent: User | None, seen: int | None | Unseen = UNSEEN) -> Handoff:
    """Give the handoff to an agent, or back to the queue with None (a resolved one stays resolved).

    ``seen`` is the assignee the agent's page showed (None: nobody): when someone else has assigned the
    ticket since, ConflictError, instead of silently taking it from them. The check and the change are one
    conditional UPDATE, so of two agents claiming at once exactly one wins.
    """
    new = agent.id if agent else None
    status = HandoffStatus.assigned if agent else HandoffStatus.open
    if handoff.status is HandoffStatus.resolved:
        status = HandoffStatus.resolved
    change = update(Handoff).where(col(Handoff.id) == handoff.id).values(assignee_id=new, status=status)
    if not isinstance(seen, Unseen):
        change = change.where(col(Handoff.assignee_id).is_(None) if seen is None else col(Handoff.assignee_id) == seen)
    session.flush()
    if cast(CursorResult[Any], session.execute(change)).rowcount == 0:
        session.refresh(handoff)
        if handoff.assignee_id != new:  # two agents asking for the same change is no conflict
            holder = session.get(User, handoff.assignee_id) if handoff.assignee_id else None
            now_with = holder.display_name if holder else "nobody"
            raise ConflictError(f"someone changed the assignment meanwhile: the ticket is now assigned to {now_with}")
    session.refresh(handoff)
    return handoff


def ticket_of(session: Session, *, conversation_id: str) -> Handoff | None:
    """The conversation's handoff ticket (one at most), if it has one."""
    return session.exec(select(Handoff).where(Handoff.conversation_id == conversation_id)).first()


def reopen(handoff: Handoff) -> None:
    """A resolved ticket is open again (the visitor asked again, or wrote after it was resolved): back to
    its agent, else to everyone; its resolution time counts from the next resolution."""
    handoff.reopened += 1
    handoff.status = HandoffStatus.assigned if handoff.assignee_id else HandoffStatus.open
    handoff.resolved_at = None
    handoff.resolved_by = None
