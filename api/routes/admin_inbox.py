"""The agents' inbox: the handoff queue with filters, one handoff's transcript, replies, notes, tags, resolve."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from sqlmodel import Session

from api import csrf
from api import inbox_views as views
from api.admin_ui import page, redirect, secure_headers, ui_locale
from api.auth import UserDep
from api.deps import SessionDep, SettingsDep
from api.errors import FormRefused, row_key
from api.params import MAX_ID, ListPageDep, RowId
from api.resources import HandoffDep
from core import accounts
from core.accounts import User
from core.errors import ConflictError, NotFoundError, ValidationError
from core.i18n import N_, gettext_for
from core.numerals import whole_number
from core.settings import Settings
from support import assignment, canned, handoffs
from support import inbox as inbox_service
from support.models import Handoff, Sender, utcnow

router = APIRouter(prefix="/admin", tags=["back office"], include_in_schema=False)
Csrf = Depends(csrf.verify)
NOTICES = {
    "replied": N_("Reply sent."),
    "noted": N_("Note added."),
    "tagged": N_("Tags saved."),
    "assigned": N_("Assignment changed."),
    "resolved": N_("Resolved."),
    "reopened": N_("Reopened."),
}


@router.get("/inbox", response_class=HTMLResponse)
def inbox(
    request: Request,
    user: UserDep,
    session: SessionDep,
    settings: SettingsDep,
    list_page: ListPageDep,
    view: Annotated[str, Query(max_length=20)] = "",
    locale: Annotated[str, Query(max_length=16)] = "",
    tag: Annotated[str, Query(max_length=handoffs.MAX_TAG)] = "",
) -> Response:
    """The handoff queue, newest first, filtered by view (open, assigned, mine, resolved), locale and tag."""
    locale = settings.configured_locale(locale) or ""
    rows, total = inbox_service.queue(
        session,
        **inbox_service.view_filters(view, user=user),
        locale=locale or None,
        tag=tag or None,
        limit=list_page.size,
        offset=list_page.offset,
    )
    now = utcnow()
    people = views.people(session)
    # The poller asks for handoffs newer than the newest one that exists, whatever this page shows.
    newest, _ = inbox_service.queue(session, limit=1)
    oldest = inbox_service.oldest_open(session, locale=locale or None)
    context = {
        "rows": [views.row(h, people=people, now=now, locale=ui_locale(request, user)) for h in rows],
        "oldest": views.row(oldest, people=people, now=now, locale=ui_locale(request, user)) if oldest else None,
        **list_page.pager(total),
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
    request: Request,
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
    message id, matching the inbox's filters, as JSON for the page's poller (the fallback of its events)."""
    filters = views.inbox_filters(settings, user=user, view=view, locale=locale, tag=tag)
    body = views.inbox_updates(
        session, filters=filters, since=since, active_after=active_after, locale=ui_locale(request, user)
    )
    return secure_headers(JSONResponse(body))


def _handoff_context(
    request: Request,
    *,
    session: Session,
    settings: Settings,
    handoff: Handoff,
    user: User,
    form: dict[str, str] | None = None,
    error: str | None = None,
) -> dict[str, Any]:
    conversation = handoffs.conversation_of(session, handoff=handoff)
    people = views.people(session)
    now = utcnow()
    messages = views.messages(session, handoff, people)
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
        "age": views.age(handoff.created_at, now, ui_locale(request, user)),
        "visitor_left": conversation is None or handoffs.visitor_has_left(conversation, settings=settings, now=now),
        "form": form or {"reply": "", "note": "", "tags": ", ".join(handoff.tags)},
        "error": error,
        "sender": Sender,
        "notice": NOTICES.get(request.query_params.get("notice", "")),
        "canned": canned.choices_for(session, handoff=handoff, agent=user),
    }


def _refused(
    request: Request,
    *,
    user: User,
    session: Session,
    settings: Settings,
    handoff: Handoff,
    error: ValidationError | ConflictError,
    **typed: str,
) -> FormRefused:
    """The handoff page again after bad input, keeping what the agent typed (nothing was saved). After a
    write the database refused, the rows in hand are unusable: they are loaded again by their keys."""
    handoff_id, user_id = row_key(handoff), row_key(user)

    def context() -> dict[str, Any]:
        saved = handoffs.get_handoff(session, handoff_id=handoff_id)  # as saved: the refused change is undone
        agent = accounts.get_user(session, user_id=user_id)
        form = {"reply": "", "note": "", "tags": ", ".join(saved.tags)} | typed
        return _handoff_context(
            request, session=session, settings=settings, handoff=saved, user=agent, form=form, error=error.detail
        )

    return FormRefused(session, "admin/handoff.html", context, user=user, status_code=error.status_code)


@router.get("/inbox/{handoff_id}", response_class=HTMLResponse)
def show_handoff(
    request: Request, user: UserDep, handoff: HandoffDep, session: SessionDep, settings: SettingsDep
) -> Response:
    """One handoff: the whole transcript with the bot's decisions, notes, and the agent's actions."""
    context = _handoff_context(request, session=session, settings=settings, handoff=handoff, user=user)
    return page(request, "admin/handoff.html", context, user=user)


@router.get("/inbox/{handoff_id}/updates")
def handoff_updates(
    request: Request,
    user: UserDep,
    handoff: HandoffDep,
    session: SessionDep,
    after: Annotated[int, Query(ge=0, le=MAX_ID)] = 0,
) -> Response:
    """The ticket's messages newer than ``after`` as transcript items, and where each agent reply stands now,
    as JSON for the ticket page's poller (the fallback of its events)."""
    body = views.ticket_updates(session, handoff=handoff, after=after, locale=ui_locale(request, user))
    return secure_headers(JSONResponse(body))


def _gone(request: Request, user: User) -> str:
    _ = gettext_for(ui_locale(request, user))
    return _("This ticket no longer exists: its conversation was deleted. Your reply was not sent.")


def _back(handoff: Handoff, notice: str) -> Response:
    return redirect(f"/admin/inbox/{handoff.id}", notice)


@router.post("/inbox/{handoff_id}/reply", response_class=HTMLResponse, dependencies=[Csrf])
def reply(
    request: Request,
    user: UserDep,
    handoff_id: RowId,
    session: SessionDep,
    settings: SettingsDep,
    text: Annotated[str, Form(max_length=handoffs.MAX_TEXT + 100)] = "",
) -> Response:
    """Reply to the visitor (in the widget, and by email when they have left). A ticket deleted while the
    agent wrote (the visitor's data erased) gives its 404 with the reply shown, not thrown away."""
    try:
        handoff = handoffs.get_handoff(session, handoff_id=handoff_id)
    except NotFoundError:
        context = {"status_code": 404, "detail": _gone(request, user), "kept": text}
        return page(request, "admin/error.html", context, user=user, status_code=404)
    try:
        handoffs.reply(session, handoff=handoff, agent=user, text=text, settings=settings)
    except ValidationError as exc:
        raise _refused(
            request, user=user, session=session, settings=settings, handoff=handoff, error=exc, reply=text
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
            request, user=user, session=session, settings=settings, handoff=handoff, error=exc, note=text
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
            request, user=user, session=session, settings=settings, handoff=handoff, error=exc, tags=tags
        ) from exc
    return _back(handoff, "tagged")


@router.post("/inbox/{handoff_id}/assign", response_class=HTMLResponse, dependencies=[Csrf])
def assign(
    request: Request,
    user: UserDep,
    handoff: HandoffDep,
    session: SessionDep,
    settings: SettingsDep,
    assignee: Annotated[str, Form(max_length=20)] = "",
    shown: Annotated[str | None, Form(max_length=20)] = None,
) -> Response:
    """Assign to me ("me"), to a user (their id), or back to the queue (""). ``shown`` is the assignee the
    page showed ("0": nobody): a ticket assigned by someone else since is not silently taken from them."""
    try:
        agent = assignment.chosen_assignee(session, choice=assignee, me=user)
        seen = assignment.UNSEEN if shown is None else whole_number(shown) or None
        assignment.assign(session, handoff=handoff, agent=agent, seen=seen)
    except (ValidationError, ConflictError) as exc:
        raise _refused(request, user=user, session=session, settings=settings, handoff=handoff, error=exc) from exc
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
