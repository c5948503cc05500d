"""The misunderstood-question queue for editors; deleting a visitor's conversation on request (admins)."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Path, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import Field

from api import csrf
from api.admin_ui import page, redirect
from api.auth import AdminDep, EditorDep
from api.deps import OptionalModelDep, SessionDep, SettingsDep
from api.params import MAX_ANSWER_CHARS, MAX_ID, OptionalDay
from core.errors import ValidationError
from core.i18n import N_
from support import intents, misunderstood, outcomes

router = APIRouter(prefix="/admin", tags=["back office"], include_in_schema=False)
Csrf = Depends(csrf.verify)
DEFAULT_DAYS = 30
RETRAIN = "A retrain is queued: the bot learns it once the worker has trained and activated the new model."
NOTICES = {
    "added": f"Added to the intent. {RETRAIN}",
    "created": f"Intent created. {RETRAIN}",
    "dismissed": "Dismissed: these questions left the queue.",
    "deleted": "The conversation and everything in it was deleted.",
}
MessageIds = Annotated[list[Annotated[int, Field(ge=1, le=MAX_ID)]], Form(max_length=misunderstood.MAX_SELECTED)]
ConversationId = Annotated[str, Path(min_length=1, max_length=36, pattern="^[0-9a-f]+$")]


def _back(locale: str, since: str, notice: str) -> Response:
    query = urlencode({k: v for k, v in (("locale", locale), ("since", since)) if v})
    return redirect("/admin/misunderstood" + (f"?{query}" if query else ""), notice)


@router.get("/misunderstood", response_class=HTMLResponse)
def queue(
    request: Request,
    user: EditorDep,
    session: SessionDep,
    settings: SettingsDep,
    model: OptionalModelDep,
    locale: Annotated[str, Query(max_length=16)] = "",
    since: Annotated[OptionalDay, Query()] = None,
) -> Response:
    """Misunderstood questions grouped by similarity, the largest groups first."""
    locale = settings.locale_filter(locale) or ""
    start = since or datetime.now(UTC).date() - timedelta(days=DEFAULT_DAYS)
    found = misunderstood.items(
        session,
        since=datetime.combine(start, time.min, tzinfo=UTC),
        locale=locale or None,
        limit=misunderstood.DEFAULT_LIMIT,
    )
    grouped = misunderstood.groups(found, encoder=model.encoder if model is not None else None)
    context: dict[str, Any] = {
        "groups": grouped,
        "total": len(found),
        "limited": len(found) >= misunderstood.DEFAULT_LIMIT,
        "filters": {"locale": locale, "since": start.isoformat()},
        "locales": settings.locales,
        "intent_ids": [i.id for i in intents.list_intents(session)],
        "semantic": model is not None and model.encoder is not None,
        "notice": NOTICES.get(request.query_params.get("notice", "")),
    }
    return page(request, "admin/misunderstood.html", context, user=user)


async def _answers(request: Request, settings: SettingsDep) -> dict[str, str]:
    """The new intent's answers from the ``answer_<locale>`` fields (the locales are configured, not fixed)."""
    form = await request.form()  # already parsed and cached by the CSRF check
    answers: dict[str, str] = {}
    for loc in settings.locales:
        value = form.get(f"answer_{loc}")
        if isinstance(value, str) and value.strip():
            if len(value) > MAX_ANSWER_CHARS:
                raise ValidationError(f"the {loc} answer is longer than {MAX_ANSWER_CHARS} characters")
            answers[loc] = value
    return answers


@router.post("/misunderstood/add", dependencies=[Csrf])
def add_to_intent(
    user: EditorDep,
    session: SessionDep,
    settings: SettingsDep,
    message_id: MessageIds = [],  # noqa: B006  (FastAPI copies defaults)
    intent_id: Annotated[str, Form(max_length=100)] = "",
    locale: Annotated[str, Form(max_length=16)] = "",
    since: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    """Add the chosen questions as examples of an existing intent; queues a retrain."""
    if not intent_id.strip():
        raise ValidationError(N_("choose the intent to add the questions to"))
    misunderstood.add_to_intent(
        session, message_ids=message_id, intent_id=intent_id.strip(), user=user.email, locales=settings.locales
    )
    return _back(locale, since, "added")


@router.post("/misunderstood/new", dependencies=[Csrf])
def new_intent(
    user: EditorDep,
    session: SessionDep,
    settings: SettingsDep,
    answers: Annotated[dict[str, str], Depends(_answers)],
    message_id: MessageIds = [],  # noqa: B006
    new_intent_id: Annotated[str, Form(max_length=100)] = "",
    article: Annotated[str, Form(max_length=200)] = "",
    locale: Annotated[str, Form(max_length=16)] = "",
    since: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    """Create a new intent from the chosen questions with the given answers; queues a retrain."""
    if not new_intent_id.strip():
        raise ValidationError(N_("give the new intent an id (lowercase letters, digits and _)"))
    misunderstood.new_intent(
        session,
        message_ids=message_id,
        intent_id=new_intent_id.strip(),
        answers=answers,
        article=article.strip() or None,
        user=user.email,
        locales=settings.locales,
    )
    return _back(locale, since, "created")


@router.post("/misunderstood/dismiss", dependencies=[Csrf])
def dismiss(
    user: EditorDep,
    session: SessionDep,
    message_id: MessageIds = [],  # noqa: B006
    locale: Annotated[str, Form(max_length=16)] = "",
    since: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    """Take the chosen questions out of the queue without learning from them."""
    misunderstood.dismiss(session, message_ids=message_id, user=user.email)
    return _back(locale, since, "dismissed")


@router.post("/conversations/{conversation_id}/delete", dependencies=[Csrf])
def delete_conversation(conversation_id: ConversationId, user: AdminDep, session: SessionDep) -> Response:
    """Delete a visitor's conversation on their request: messages, handoff, rating and queued webhooks."""
    outcomes.delete_conversation(session, conversation_id=conversation_id)
    return redirect("/admin/misunderstood", "deleted")
