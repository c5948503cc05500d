"""The conversation browser: every conversation (not only handoffs) with filters, and one conversation's
transcript, for agents and up."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import HTMLResponse, Response

from api import inbox_views as views
from api.admin_ui import page
from api.auth import UserDep
from api.deps import SessionDep, SettingsDep
from api.params import ListPageDep, OptionalDay
from support import browse, handoffs
from support.models import Conversation, Sender

router = APIRouter(prefix="/admin/conversations", tags=["back office"], include_in_schema=False)


def conversation_in_path(
    conversation_id: Annotated[str, Path(max_length=36, pattern=r"^[0-9a-f]{32}$")], user: UserDep, session: SessionDep
) -> Conversation:
    """The conversation ``{conversation_id}`` names (after the sign-in check, so a stranger learns nothing)."""
    return browse.get_conversation(session, conversation_id=conversation_id)


ConversationDep = Annotated[Conversation, Depends(conversation_in_path)]


@router.get("", response_class=HTMLResponse)
def conversations(
    request: Request,
    user: UserDep,
    session: SessionDep,
    settings: SettingsDep,
    list_page: ListPageDep,
    decision: Annotated[str, Query(max_length=16)] = "",
    intent: Annotated[str, Query(max_length=browse.MAX_INTENT)] = "",
    outcome: Annotated[str, Query(max_length=32)] = "",
    locale: Annotated[str, Query(max_length=16)] = "",
    start: OptionalDay = None,
    end: OptionalDay = None,
) -> Response:
    """Conversations, newest first, filtered by decision, intent, outcome, locale and the days they started."""
    locale = settings.configured_locale(locale) or ""
    rows, total = browse.browse(
        session,
        decision=decision or None,
        intent=intent or None,
        outcome=outcome or None,
        locale=locale or None,
        start=start,
        end=end,
        tz=settings.timezone,
        limit=list_page.size,
        offset=list_page.offset,
    )
    filters = {
        "decision": decision,
        "intent": intent,
        "outcome": outcome,
        "locale": locale,
        "start": start.isoformat() if start else "",
        "end": end.isoformat() if end else "",
    }
    context: dict[str, Any] = {
        "rows": rows,
        **list_page.pager(total),
        "filters": filters,
        "decisions": browse.DECISIONS,
        "outcomes": browse.OUTCOMES,
        "intents": browse.intents_seen(session),
        "locales": settings.locales,
        "timezone": settings.timezone,
    }
    return page(request, "admin/conversations.html", context, user=user)


@router.get("/{conversation_id}", response_class=HTMLResponse)
def conversation(request: Request, user: UserDep, conversation: ConversationDep, session: SessionDep) -> Response:
    """One conversation's whole transcript with the bot's decisions (and a link to its ticket, if any)."""
    handoff = browse.handoff_of(session, conversation=conversation)
    messages = browse.transcript(session, conversation=conversation)
    items = views.items(
        messages, people=views.people(session), email_usable=handoff is not None and handoffs.can_email(handoff)
    )
    context = {
        "conversation": conversation,
        "handoff": handoff,
        "messages": items,
        "sender": Sender,
        "email": handoff.email if handoff else "",
    }
    return page(request, "admin/conversation.html", context, user=user)
