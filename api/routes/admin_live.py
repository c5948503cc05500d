"""Server-sent events for the agents' pages: the inbox (new handoffs, visitors writing again) and an open
ticket (new messages, where each reply stands), as the widget has them.

The session cookie signs the agent in, as on every back-office page (EventSource sends it). The database
is read in the thread pool, never on the event loop: the handler's dependencies are plain functions, and
the stream reads through ``run_in_threadpool``. A reconnection resumes after the last event's id
(EventSource sends it back as ``Last-Event-ID``); a stream ends after ``SSE_MAX_SECONDS`` and the browser
reconnects, which checks the sign-in again. The pages poll the JSON ``…/updates`` routes when events
cannot be had.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request
from fastapi.concurrency import run_in_threadpool
from sqlmodel import Session
from sse_starlette import EventSourceResponse, ServerSentEvent

from api import inbox_views as views
from api.admin_ui import ui_locale
from api.auth import SESSION_COOKIE, UserDep
from api.deps import EngineDep, SettingsDep
from api.params import MAX_ID, resume_after
from api.resources import HandoffDep
from core import accounts
from core.accounts import User
from core.db import session_scope
from core.errors import FaqdeskError, UnauthorizedError
from core.settings import Settings
from support import handoffs

router = APIRouter(prefix="/admin", tags=["back office"], include_in_schema=False)

SSE_POLL_SECONDS = 1.5
SSE_HEARTBEAT_SECONDS = 15.0
SSE_MAX_SECONDS = 300.0
SSE_RETRY_MS = 3000
SSE_SEP = "\n"


class _SignedOut(UnauthorizedError):
    """The agent's session ended (signed out, deactivated) while the stream was open."""


def _still_signed_in(request: Request, settings: Settings) -> Callable[[Session], User]:
    """A check run with each read: the session cookie still names an active user (a sign-out ends the stream)."""
    token = request.cookies.get(SESSION_COOKIE) or ""
    idle = timedelta(minutes=settings.session_idle_minutes)

    def check(session: Session) -> User:
        user = accounts.session_user(session, token=token, idle=idle)
        if user is None:
            raise _SignedOut("your session has ended: sign in again")
        return user  # loaded in this read's session: the request's own user is detached by now

    return check


async def _stream(read: Callable[[], tuple[str | None, dict[str, Any] | None]]) -> EventSourceResponse:
    """Events from ``read`` (run in the thread pool every ``SSE_POLL_SECONDS``): an id and data, or nothing new.

    The first read happens before the response starts, so input the database refuses (a NUL in a filter)
    is a 422 like anywhere else, not a stream that breaks off.
    """
    first = await run_in_threadpool(read)

    async def events() -> AsyncIterator[ServerSentEvent]:
        started, found = time.monotonic(), first
        yield ServerSentEvent(retry=SSE_RETRY_MS, sep=SSE_SEP)
        while True:
            event_id, data = found
            if data is not None:
                yield ServerSentEvent(id=event_id, data=json.dumps(data), sep=SSE_SEP)
            await asyncio.sleep(SSE_POLL_SECONDS)
            if time.monotonic() - started >= SSE_MAX_SECONDS:
                return
            try:
                found = await run_in_threadpool(read)
            except FaqdeskError:
                return  # signed out, the ticket deleted, the database busy: the page reconnects or polls

    return EventSourceResponse(
        events(),
        ping=SSE_HEARTBEAT_SECONDS,
        ping_message_factory=lambda: ServerSentEvent(comment="keep-alive", sep=SSE_SEP),
        sep=SSE_SEP,
        headers={"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"},
    )


@router.get("/inbox/events")
async def inbox_events(
    request: Request,
    user: UserDep,
    engine: EngineDep,
    settings: SettingsDep,
    since: Annotated[int, Query(ge=0, le=MAX_ID)] = 0,
    active_after: Annotated[int, Query(ge=0, le=MAX_ID)] = 0,
    view: Annotated[str, Query(max_length=20)] = "",
    locale: Annotated[str, Query(max_length=16)] = "",
    tag: Annotated[str, Query(max_length=handoffs.MAX_TAG)] = "",
    last_event_id: Annotated[str | None, Header(max_length=40)] = None,
) -> EventSourceResponse:
    """The inbox's updates as events: new handoffs and those whose visitor wrote again, matching the
    filters. An event's id is ``<last handoff id>-<last message id>``, where a reconnection resumes."""
    settings.locale_filter(locale)  # a 422: a stream must not start on a filter the page would drop
    views.inbox_filters(settings, user=user, view=view, locale=locale, tag=tag)  # an unknown view is a 422 now
    if last_event_id and last_event_id.count("-") == 1:
        handoff_part, message_part = last_event_id.split("-")
        since, active_after = resume_after(handoff_part, since), resume_after(message_part, active_after)
    check = _still_signed_in(request, settings)
    position = {"since": since, "active_after": active_after}
    language = ui_locale(request, user)

    def read() -> tuple[str | None, dict[str, Any] | None]:
        with session_scope(engine) as session:  # committed: the sign-in check records the session's last use
            filters = views.inbox_filters(settings, user=check(session), view=view, locale=locale, tag=tag)
            body = views.inbox_updates(session, filters=filters, **position, locale=language)
        position["since"], position["active_after"] = body["last_id"], body["last_message_id"]
        if not body["handoffs"] and not body["active"]:
            return None, None
        return f"{body['last_id']}-{body['last_message_id']}", body

    return await _stream(read)


@router.get("/inbox/{handoff_id}/events")
async def ticket_events(
    request: Request,
    user: UserDep,
    handoff: HandoffDep,
    engine: EngineDep,
    settings: SettingsDep,
    after: Annotated[int, Query(ge=0, le=MAX_ID)] = 0,
    last_event_id: Annotated[str | None, Header(max_length=40)] = None,
) -> EventSourceResponse:
    """An open ticket's updates as events: new messages as transcript HTML, and each reply's delivery line
    when it changes. An event's id is the last message id shown, where a reconnection resumes."""
    handoff_id = handoff.id or 0
    check = _still_signed_in(request, settings)
    state: dict[str, Any] = {"after": resume_after(last_event_id, after), "replies": {}}
    language = ui_locale(request, user)

    def read() -> tuple[str | None, dict[str, Any] | None]:
        with session_scope(engine) as session:
            check(session)
            ticket = handoffs.get_handoff(session, handoff_id=handoff_id)
            body = views.ticket_updates(session, handoff=ticket, after=state["after"], locale=language)
        changed = body["replies"] != state["replies"]
        state["after"], state["replies"] = body["last_id"], body["replies"]
        if not body["html"] and not changed:
            return None, None
        return str(body["last_id"]), body

    return await _stream(read)
