"""The agents' inbox: the handoff queue with filters, one handoff's transcript, replies, notes, tags, resolve."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any

from babel.dates import format_timedelta
from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from sqlmodel import Session

from api import csrf
from api.admin_ui import page, redirect, secure_headers
from api.auth import UserDep
from api.deps import SessionDep, SettingsDep
from api.errors import FormRefused
from api.params import MAX_ID
from api.resources import HandoffDep
from api.templating import templates
from core import accounts
from core.accounts import User
from core.errors import ValidationError
from core.settings import Settings
from support import handoffs, reply_delivery
from support import inbox as inbox_service
from support.models import Handoff, Sender, utcnow

router = APIRouter(prefix="/admin", tags=["back office"], include_in_schema=False)
Csrf = Depends(csrf.verify)
PAGE_SIZE = 50
NOTICES = {
    "replied": "Reply sent.",
    "noted": "Note added.",
    "tagged": "Tags saved.",
    "assigned": "Assignment changed.",
    "resolved": "Resolved.",
    "reopened": "Reopened.",
}


def age(moment: datetime, now: datetime) -> str:
    """A short age: '4 min', '3 hr', '2 days' (a unit once two of it have passed; the admin UI is English)."""
    if now - moment < timedelta(minutes=1):
        return "just now"
    return format_timedelta(now - moment, threshold=2, format="short", locale="en")


def _people(session: Session) -> dict[int, User]:
    return {u.id: u for u in accounts.list_users(session) if u.id is not None}


def _row(handoff: Handoff, *, people: dict[int, User], now: datetime) -> dict[str, Any]:
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
        "age": age(handoff.created_at, now),
        "created_at": handoff.created_at.isoformat(),
        "outside_hours": handoff.outside_hours,
    }


@router.get("/inbox", response_class=HTMLResponse)
def inbox(
    request: Request,
    user: UserDep,
    session: SessionDep,
    settings: SettingsDep,
    view: Annotated[str, Query(max_length=20)] = "",
    locale: Annotated[str, Query(max_length=16)] = "",
    tag: Annotated[str, Query(max_length=handoffs.MAX_TAG)] = "",
    page_no: Annotated[int, Query(alias="page", ge=1, le=10_000)] = 1,
) -> Response:
    """The handoff queue, newest first, filtered by view (open, assigned, mine, resolved), locale and tag."""
    locale = locale if locale in settings.locales else ""
    rows, total = inbox_service.queue(
        session,
        **inbox_service.view_filters(view, user=user),
        locale=locale or None,
        tag=tag or None,
        limit=PAGE_SIZE,
        offset=(page_no - 1) * PAGE_SIZE,
    )
    now = utcnow()
    people = _people(session)
    # The poller asks for handoffs newer than the newest one that exists, whatever this page shows.
    newest, _ = inbox_service.queue(session, limit=1)
    context = {
        "rows": [_row(h, people=people, now=now) for h in rows],
        "total": total,
        "page_no": page_no,
        "pages": max(1, -(-total // PAGE_SIZE)),
        "filters": {"view": view, "locale": locale, "tag": tag},
        "views": inbox_service.VIEWS,
        "locales": settings.locales,
        "tags": inbox_service.tags_in_use(session),
        "since": max((h.id or 0 for h in newest), default=0),
        "active_after": inbox_service.newest_message_id(session),
    }
    return page(request, "admin/inbox.html", context, user=user)


@router.get("/inbox/updates")
def inbox_updates(
    user: UserDep,
    session: SessionDep,
    settings: SettingsDep,
    since: Annotated[int, Query(ge=0, le=MAX_ID)] = 0,
    view: Annotated[str, Query(max_length=20)] = "",
    locale: Annotated[str, Query(max_length=16)] = "",
    tag: Annotated[str, Query(max_length=handoffs.MAX_TAG)] = "",
    active_after: Annotated[int | None, Query(ge=0, le=MAX_ID)] = None,
) -> Response:
    """Handoffs newer than ``since`` and, with ``active_after``, those whose visitor wrote again since that
    message id, matching the inbox's filters, as JSON for the page's poller."""
    filters = {
        **inbox_service.view_filters(view, user=user),
        "locale": locale if locale in settings.locales else None,
        "tag": tag or None,
    }
    rows, _ = inbox_service.queue(session, **filters, after=since, limit=PAGE_SIZE)
    # The newest id overall, not only of matching rows, so the poller never asks about skipped ones again.
    newest, _ = inbox_service.queue(session, after=since, limit=1)
    now = utcnow()
    people = _people(session)
    body: dict[str, Any] = {
        "handoffs": [_row(h, people=people, now=now) for h in rows],
        "last_id": max([since] + [h.id or 0 for h in newest]),
    }
    if active_after is not None:
        active, _ = inbox_service.queue(session, **filters, active_after=active_after, limit=PAGE_SIZE)
        body["active"] = [_row(h, people=people, now=now) for h in active]
        body["last_message_id"] = max(active_after, inbox_service.newest_message_id(session))
    return secure_headers(JSONResponse(body))


def _messages(session: Session, handoff: Handoff, people: dict[int, User]) -> list[dict[str, Any]]:
    shown = []
    email_usable = handoffs.can_email(handoff)
    for message in inbox_service.transcript(session, handoff=handoff):
        author = people.get(message.author_id) if message.author_id else None
        candidates = [
            {
                "intent": str(c.get("intent", "")),
                "probability": _number(c.get("probability")),
            }
            for c in message.candidates or []
            if isinstance(c, dict)
        ]
        state = reply_delivery.reply_state(message, email_usable=email_usable)
        shown.append({"m": message, "author": author, "candidates": candidates, "state": state})
    return shown


def _number(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) else None


def _handoff_context(
    request: Request,
    *,
    session: Session,
    settings: Settings,
    handoff: Handoff,
    form: dict[str, str] | None = None,
    error: str | None = None,
) -> dict[str, Any]:
    conversation = handoffs.conversation_of(session, handoff=handoff)
    people = _people(session)
    now = utcnow()
    messages = _messages(session, handoff, people)
    return {
        "handoff": handoff,
        "conversation": conversation,
        "messages": messages,
        "last_id": max((item["m"].id or 0 for item in messages), default=0),
        "email_usable": handoffs.can_email(handoff),
        "reply_after": settings.email_reply_after_minutes,
        "assignee": people.get(handoff.assignee_id) if handoff.assignee_id else None,
        "resolver": people.get(handoff.resolved_by) if handoff.resolved_by else None,
        "agents": [u for u in people.values() if u.active],
        "age": age(handoff.created_at, now),
        "visitor_left": conversation is None or handoffs.visitor_has_left(conversation, settings=settings, now=now),
        "form": form or {"reply": "", "note": "", "tags": ", ".join(handoff.tags)},
        "error": error,
        "sender": Sender,
        "notice": NOTICES.get(request.query_params.get("notice", "")),
    }


def _refused(
    request: Request,
    *,
    user: User,
    session: Session,
    settings: Settings,
    handoff_id: int,
    error: ValidationError,
    **typed: str,
) -> FormRefused:
    """The handoff page again after bad input, keeping what the agent typed (nothing was saved)."""

    def context() -> dict[str, Any]:
        handoff = handoffs.get_handoff(session, handoff_id=handoff_id)  # as saved: the refused change is undone
        form = {"reply": "", "note": "", "tags": ", ".join(handoff.tags)} | typed
        return _handoff_context(
            request, session=session, settings=settings, handoff=handoff, form=form, error=error.detail
        )

    return FormRefused(session, "admin/handoff.html", context, user=user)


@router.get("/inbox/{handoff_id}", response_class=HTMLResponse)
def show_handoff(
    request: Request, user: UserDep, handoff: HandoffDep, session: SessionDep, settings: SettingsDep
) -> Response:
    """One handoff: the whole transcript with the bot's decisions, notes, and the agent's actions."""
    context = _handoff_context(request, session=session, settings=settings, handoff=handoff)
    return page(request, "admin/handoff.html", context, user=user)


@router.get("/inbox/{handoff_id}/updates")
def handoff_updates(
    user: UserDep,
    handoff: HandoffDep,
    session: SessionDep,
    after: Annotated[int, Query(ge=0, le=MAX_ID)] = 0,
) -> Response:
    """The ticket's messages newer than ``after`` as transcript items, and where each agent reply stands now,
    as JSON for the ticket page's poller (the visitor writing again appears without a reload)."""
    messages = _messages(session, handoff, _people(session))
    new = [item for item in messages if (item["m"].id or 0) > after]
    replies = [item for item in messages if item["state"]]
    transcript = templates.env.get_template("admin/_transcript.html").module
    body = {
        "html": str(transcript.items(new, Sender, handoff.email)) if new else "",  # type: ignore[attr-defined]
        "last_id": max([after] + [item["m"].id or 0 for item in new]),
        "visitor_messages": sum(1 for item in new if item["m"].sender is Sender.visitor),
        "replies": {
            str(item["m"].id): str(transcript.delivery(item["m"], item["state"], handoff.email))  # type: ignore[attr-defined]
            for item in replies
        },
    }
    return secure_headers(JSONResponse(body))


def _back(handoff: Handoff, notice: str) -> Response:
    return redirect(f"/admin/inbox/{handoff.id}", notice)


@router.post("/inbox/{handoff_id}/reply", response_class=HTMLResponse, dependencies=[Csrf])
def reply(
    request: Request,
    user: UserDep,
    handoff: HandoffDep,
    session: SessionDep,
    settings: SettingsDep,
    text: Annotated[str, Form(max_length=handoffs.MAX_TEXT + 100)] = "",
) -> Response:
    """Reply to the visitor (in the widget, and by email when they have left)."""
    try:
        handoffs.reply(session, handoff=handoff, agent=user, text=text, settings=settings)
    except ValidationError as exc:
        raise _refused(
            request, user=user, session=session, settings=settings, handoff_id=handoff.id or 0, error=exc, reply=text
        ) from exc
    return _back(handoff, "replied")


@router.post("/inbox/{handoff_id}/note", response_class=HTMLResponse, dependencies=[Csrf])
def add_note(
    request: Request,
    user: UserDep,
    handoff: HandoffDep,
    session: SessionDep,
    settings: SettingsDep,
    text: Annotated[str, Form(max_length=handoffs.MAX_TEXT + 100)] = "",
) -> Response:
    """An internal note for the team; the visitor never sees it."""
    try:
        handoffs.note(session, handoff=handoff, agent=user, text=text)
    except ValidationError as exc:
        raise _refused(
            request, user=user, session=session, settings=settings, handoff_id=handoff.id or 0, error=exc, note=text
        ) from exc
    return _back(handoff, "noted")


@router.post("/inbox/{handoff_id}/tags", response_class=HTMLResponse, dependencies=[Csrf])
def save_tags(
    request: Request,
    user: UserDep,
    handoff: HandoffDep,
    session: SessionDep,
    settings: SettingsDep,
    tags: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """Replace the tags (comma-separated)."""
    try:
        handoffs.set_tags(session, handoff=handoff, tags=tags.split(","))
    except ValidationError as exc:
        raise _refused(
            request, user=user, session=session, settings=settings, handoff_id=handoff.id or 0, error=exc, tags=tags
        ) from exc
    return _back(handoff, "tagged")


@router.post("/inbox/{handoff_id}/assign", dependencies=[Csrf])
def assign(
    user: UserDep,
    handoff: HandoffDep,
    session: SessionDep,
    assignee: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    """Assign to me ("me"), to a user (their id), or back to the queue ("")."""
    agent = handoffs.chosen_assignee(session, choice=assignee, me=user)
    handoffs.assign(session, handoff=handoff, agent=agent)
    return _back(handoff, "assigned")


@router.post("/inbox/{handoff_id}/resolve", dependencies=[Csrf])
def resolve(user: UserDep, handoff: HandoffDep, session: SessionDep, settings: SettingsDep) -> Response:
    """Mark the handoff resolved."""
    handoffs.resolve(session, handoff=handoff, agent=user, settings=settings)
    return _back(handoff, "resolved")


@router.post("/inbox/{handoff_id}/reopen", dependencies=[Csrf])
def reopen(user: UserDep, handoff: HandoffDep, session: SessionDep, settings: SettingsDep) -> Response:
    """Reopen a resolved handoff."""
    handoffs.reopen(session, handoff=handoff, agent=user, settings=settings)
    return _back(handoff, "reopened")
