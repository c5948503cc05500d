"""The misunderstood-question queue for editors; deleting a visitor's conversation on request (admins)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Path, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import Field
from sqlmodel import Session

from api import csrf
from api.admin_ui import page, redirect
from api.auth import AdminDep, EditorDep
from api.deps import OptionalModelDep, SessionDep, SettingsDep
from api.errors import FormRefused
from api.params import MAX_ANSWER_CHARS, MAX_ID, OptionalDay
from bot.model import FaqModel
from core.accounts import User
from core.errors import ConflictError, FaqdeskError, NotFoundError, ValidationError
from core.i18n import N_
from core.settings import Settings
from support import intents, misunderstood, outcomes

router = APIRouter(prefix="/admin", tags=["back office"], include_in_schema=False)
Csrf = Depends(csrf.verify)
DEFAULT_DAYS = 30
NOTICES = {
    "added": N_(
        "Added to the intent. A retrain is queued: the bot learns it once the worker has trained and activated"
        " the new model."
    ),
    "created": N_(
        "Intent created. A retrain is queued: the bot learns it once the worker has trained and activated the"
        " new model."
    ),
    "dismissed": N_("Dismissed: these questions left the queue."),
    "deleted": N_("The conversation and everything in it was deleted."),
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
    context = _queue(session, settings=settings, model=model, locale=locale, since=since)
    context["notice"] = NOTICES.get(request.query_params.get("notice", ""))
    return page(request, "admin/misunderstood.html", context, user=user)


def _queue(
    session: Session, *, settings: Settings, model: FaqModel | None, locale: str, since: date | None
) -> dict[str, Any]:
    locale = settings.locale_filter(locale) or ""
    start = since or datetime.now(UTC).date() - timedelta(days=DEFAULT_DAYS)
    found = misunderstood.items(
        session,
        since=datetime.combine(start, time.min, tzinfo=UTC),
        locale=locale or None,
        limit=misunderstood.DEFAULT_LIMIT,
    )
    grouped = misunderstood.groups(found, encoder=model.encoder if model is not None else None)
    return {
        "groups": grouped,
        "total": len(found),
        "limited": len(found) >= misunderstood.DEFAULT_LIMIT,
        "filters": {"locale": locale, "since": start.isoformat()},
        "locales": settings.locales,
        "intent_ids": [i.id for i in intents.list_intents(session)],
        "semantic": model is not None and model.encoder is not None,
        "notice": None,
        "refused": None,
    }


def _refused(
    exc: FaqdeskError,
    session: Session,
    *,
    settings: Settings,
    model: FaqModel | None,
    user: User,
    form: dict[str, Any],
) -> FormRefused:
    """The queue again with the refused group's ticks and typed fields as they were, and the problem beside them."""

    def context() -> dict[str, Any]:
        try:
            since = date.fromisoformat(form["since"]) if form["since"] else None
        except ValueError:
            since = None
        shown = _queue(session, settings=settings, model=model, locale=form["locale"], since=since)
        ticked = set(form["message_ids"])  # the group they were ticked in gets the form back as it was
        group = next((g.key for g in shown["groups"] if ticked & {i.message_id for i in g.items}), None)
        shown["refused"] = form | {"group": group}
        shown["error"] = exc.detail
        return shown

    return FormRefused(session, "admin/misunderstood.html", context, user=user, status_code=exc.status_code)


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
    model: OptionalModelDep,
    message_id: MessageIds = [],  # noqa: B006  (FastAPI copies defaults)
    intent_id: Annotated[str, Form(max_length=100)] = "",
    locale: Annotated[str, Form(max_length=16)] = "",
    since: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    """Add the chosen questions as examples of an existing intent; queues a retrain."""
    try:
        if not intent_id.strip():
            raise ValidationError(N_("choose the intent to add the questions to"))
        misunderstood.add_to_intent(
            session, message_ids=message_id, intent_id=intent_id.strip(), user=user.email, locales=settings.locales
        )
    except (ValidationError, ConflictError, NotFoundError) as exc:
        form = {"message_ids": message_id, "intent_id": intent_id, "locale": locale, "since": since}
        raise _refused(exc, session, settings=settings, model=model, user=user, form=form) from exc
    return _back(locale, since, "added")


@router.post("/misunderstood/new", dependencies=[Csrf])
def new_intent(
    user: EditorDep,
    session: SessionDep,
    settings: SettingsDep,
    model: OptionalModelDep,
    answers: Annotated[dict[str, str], Depends(_answers)],
    message_id: MessageIds = [],  # noqa: B006
    new_intent_id: Annotated[str, Form(max_length=100)] = "",
    article: Annotated[str, Form(max_length=200)] = "",
    locale: Annotated[str, Form(max_length=16)] = "",
    since: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    """Create a new intent from the chosen questions with the given answers; queues a retrain.

    Refused (an id taken or malformed, no answer, an unknown article), the queue comes back with the
    group's ticks, the id, the article and the answers as they were typed."""
    try:
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
    except (ValidationError, ConflictError, NotFoundError) as exc:
        form = {
            "message_ids": message_id,
            "new_intent_id": new_intent_id,
            "article": article,
            "answers": answers,
            "locale": locale,
            "since": since,
        }
        raise _refused(exc, session, settings=settings, model=model, user=user, form=form) from exc
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
