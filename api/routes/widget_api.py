"""The widget API (DESIGN.md section 2): conversations, bot turns, agent replies, feedback, handoff, rating.

Visitors are anonymous: a conversation's bearer token is its only credential. Requests are limited per
address and per conversation.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Annotated

import anyio
from fastapi import APIRouter, Depends, Header, Request
from fastapi.concurrency import run_in_threadpool
from sse_starlette import EventSourceResponse, ServerSentEvent

from api.deps import ChatLimiterDep, EngineDep, LimiterDep, OptionalModelDep, SessionDep, SettingsDep, require_model
from api.params import Offset, resume_after
from api.ratelimit import client_address
from api.widget_schemas import (
    BotReply,
    ConversationIn,
    ConversationOut,
    FeedbackIn,
    HandoffIn,
    HandoffOut,
    MessageIn,
    MessageOut,
    RatingIn,
    SeenIn,
)
from bot import runtime
from core.db import open_session, session_scope
from core.errors import UnauthorizedError, ValidationError
from support import conversations, handoffs, message_view, reply_delivery
from support.models import Conversation

router = APIRouter(prefix="/api/v1/conversations", tags=["widget"])
SSE_POLL_SECONDS = 1.0
SSE_HEARTBEAT_SECONDS = 15.0
SSE_MAX_SECONDS = 300.0  # EventSource reconnects by itself; short streams free workers and connections
SSE_SEP = "\n"  # the widget accepts CR LF too (sse-starlette's default), but LF keeps the stream as it was


def limit_per_ip(request: Request, settings: SettingsDep, limiter: LimiterDep) -> None:
    """Every widget call counts against the caller's address."""
    limiter.check(settings.widget_rate_limit_ip, f"widget:{client_address(request)}")


def limit_handoffs(request: Request, settings: SettingsDep, limiter: LimiterDep) -> None:
    """Handoff requests count against the caller's address as well: each one may open a ticket and post webhooks."""
    key = f"handoff:{client_address(request)}"
    limiter.check(settings.widget_rate_limit_handoff, key, what="requests for a person")


def _bearer(authorization: str | None) -> str | None:
    if authorization and authorization.lower().startswith("bearer "):
        return authorization[7:].strip()
    return None


def conversation_of(
    conversation_id: str, session: SessionDep, authorization: Annotated[str | None, Header()] = None
) -> Conversation:
    """The conversation named in the path, if the bearer token is its own."""
    return conversations.authenticate(session, conversation_id=conversation_id, token=_bearer(authorization))


ConversationDep = Annotated[Conversation, Depends(conversation_of)]
router.dependencies.append(Depends(limit_per_ip))


@router.post("", response_model=ConversationOut, status_code=201)
def start(session: SessionDep, settings: SettingsDep, body: ConversationIn | None = None) -> ConversationOut:
    """Start a conversation (every field is optional: no body at all is fine); it counts only once the
    visitor writes."""
    body = body or ConversationIn()
    conversation, token = conversations.start_conversation(
        session,
        locale=body.locale,
        page_url=body.page_url,
        locales=settings.locales,
        default_locale=settings.default_locale,
    )
    return ConversationOut(id=conversation.id, token=token, locale=conversation.locale, locales=settings.locales)


@router.post("/{conversation_id}/messages", response_model=BotReply)
async def post_message(
    conversation_id: str,
    body: MessageIn,
    settings: SettingsDep,
    engine: EngineDep,
    limiter: LimiterDep,
    chat_limiter: ChatLimiterDep,
    serving: OptionalModelDep,
    authorization: Annotated[str | None, Header()] = None,
) -> BotReply:
    """The visitor's message (or option click) and the bot's reply: answer, clarify, suggest or handoff.

    With ``locale`` (the widget's language now), the conversation speaks it from this message on."""
    if (body.text is None) == (body.option is None):
        raise ValidationError("send either text or option")
    if body.locale is not None and body.locale not in settings.locales:
        raise ValidationError(f"unknown locale {body.locale!r}; configured: {', '.join(settings.locales)}")
    model = await require_model(serving)  # after the body's check, which a client can act on at once

    def turn() -> BotReply:
        with session_scope(engine) as session:
            conversation = conversations.authenticate(
                session, conversation_id=conversation_id, token=_bearer(authorization)
            )
            limiter.check(settings.widget_rate_limit_conversation, f"conversation:{conversation.id}", what="messages")
            done = conversations.visitor_turn(
                session,
                conversation=conversation,
                model=model,
                config=runtime.policy_config(settings),
                text=body.text,
                option=body.option,
                locale=body.locale,
                review_rate=settings.review_sample_rate,
                window=timedelta(minutes=settings.resolution_window_minutes),
            )
            shown = message_view.view(done.bot, conversation=conversation)
            return BotReply.of(shown, visitor_message_id=done.visitor.id or 0)  # committed on the way out

    # Turns take a few threads of their own: with the web server's 40, every waiting turn held the GIL
    # and the database lock in turn, and under 20 busy clients a turn took seconds instead of
    # queueing for milliseconds (bench/chat.py).
    return await anyio.to_thread.run_sync(turn, limiter=chat_limiter)


@router.get("/{conversation_id}/messages", response_model=list[MessageOut])
def get_messages(conversation: ConversationDep, session: SessionDep, after: Offset = 0) -> list[MessageOut]:
    """Messages newer than ``after``, oldest first and at most 200 a call (a full page: ask again after its
    last id): agent replies and notices arrive this way (poll every few seconds)."""
    found = conversations.messages_after(session, conversation=conversation, after=after)
    return [MessageOut.of(v) for v in message_view.views(session, conversation=conversation, messages=found)]


@router.get("/{conversation_id}/events", response_class=EventSourceResponse)
async def events(
    conversation_id: str,
    engine: EngineDep,
    authorization: Annotated[str | None, Header()] = None,
    after: Offset = 0,
    last_event_id: Annotated[str | None, Header()] = None,
) -> EventSourceResponse:
    """Server-sent events: each new visible message as one `data:` line of JSON (id = message id).

    The conversation's token comes in the Authorization header like on every other call, never in the
    URL, which access logs and proxies record; the widget reads the stream with fetch(), since EventSource
    cannot send headers. A reconnection asks for what came after its last message (``after`` or
    ``Last-Event-ID``).
    """

    def check() -> None:
        with open_session(engine) as session:
            conversations.authenticate(session, conversation_id=conversation_id, token=_bearer(authorization))

    await run_in_threadpool(check)
    after = resume_after(last_event_id, after)

    def fetch(since: int) -> list[MessageOut]:
        with session_scope(engine) as session:  # committed: reading marks the visitor present
            return [
                MessageOut.of(v)
                for v in message_view.visible_views(session, conversation_id=conversation_id, after=since)
            ]

    async def stream() -> AsyncIterator[ServerSentEvent]:
        # sse-starlette writes the events, sends the keep-alive comments and stops this loop when the
        # client goes away; the loop itself ends the stream after SSE_MAX_SECONDS.
        since, started = after, time.monotonic()
        yield ServerSentEvent(retry=3000, sep=SSE_SEP)
        while time.monotonic() - started < SSE_MAX_SECONDS:
            try:
                new = await run_in_threadpool(fetch, since)
            except UnauthorizedError:
                return
            for message in new:
                since = message.id
                data = json.dumps(message.model_dump(mode="json"))
                yield ServerSentEvent(id=str(message.id), data=data, sep=SSE_SEP)
            await asyncio.sleep(SSE_POLL_SECONDS)

    return EventSourceResponse(
        stream(),
        ping=SSE_HEARTBEAT_SECONDS,
        ping_message_factory=lambda: ServerSentEvent(comment="keep-alive", sep=SSE_SEP),
        sep=SSE_SEP,
    )


@router.post("/{conversation_id}/seen")
def seen(body: SeenIn, conversation: ConversationDep, session: SessionDep) -> dict[str, object]:
    """The widget showed the visitor the messages up to ``message_id``; an agent reply never seen is emailed."""
    return {"seen": reply_delivery.mark_seen(session, conversation=conversation, up_to=body.message_id)}


@router.post("/{conversation_id}/feedback")
def feedback(body: FeedbackIn, conversation: ConversationDep, session: SessionDep) -> dict[str, object]:
    """Whether a bot answer helped; a "no" counts against resolution and feeds the misunderstood queue."""
    message = conversations.give_feedback(
        session, conversation=conversation, message_id=body.message_id, helpful=body.helpful
    )
    return {"message_id": message.id, "helpful": message.helpful}


@router.post("/{conversation_id}/handoff", response_model=HandoffOut, status_code=201)
def handoff(
    body: HandoffIn,
    conversation: ConversationDep,
    session: SessionDep,
    settings: SettingsDep,
    request: Request,
    limiter: LimiterDep,
) -> HandoffOut:
    """Hand the conversation to a person: the ticket carries the transcript and the bot's guesses."""
    # A form the visitor must correct (an address like "anna@example") is refused before the limit counts
    # it: only requests that can open a ticket use up the caller's handoffs.
    handoffs.visitor_fields(body.email, body.name, body.message, locale=conversation.locale)
    limit_handoffs(request, settings, limiter)
    ticket = handoffs.request_handoff(
        session, conversation=conversation, email=body.email, name=body.name, message=body.message, settings=settings
    )
    return HandoffOut(id=ticket.id or 0, status=ticket.status.value, outside_hours=ticket.outside_hours)


@router.post("/{conversation_id}/rating", status_code=201)
def rating(body: RatingIn, conversation: ConversationDep, session: SessionDep) -> dict[str, object]:
    """The visitor's 1–5 rating (CSAT counts 4 and 5)."""
    saved = conversations.rate(session, conversation=conversation, score=body.score, comment=body.comment)
    return {"score": saved.score}


@router.post("/{conversation_id}/end")
def end(conversation: ConversationDep, session: SessionDep) -> dict[str, object]:
    """The visitor ends the chat; its outcome is set by the closing job."""
    conversations.end_conversation(session, conversation=conversation)
    return {"closed": True}


@router.delete("/{conversation_id}")
def delete(conversation: ConversationDep, session: SessionDep) -> dict[str, object]:
    """The visitor deletes their own conversation: messages, handoff, rating and queued webhooks go for good."""
    from support import outcomes  # kept inside, so this route stays one self-contained addition

    outcomes.delete_conversation(session, conversation_id=conversation.id)
    return {"deleted": True}
