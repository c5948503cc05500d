"""The answer-review queue for editors: label sampled bot turns, one keystroke each."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, Response

from api import csrf
from api.admin_ui import page, redirect
from api.auth import EditorDep
from api.deps import OptionalModelDep, SessionDep, SettingsDep
from api.params import RowId
from core.i18n import N_
from support import intents, review, traffic

router = APIRouter(prefix="/admin", tags=["back office"], include_in_schema=False)
Csrf = Depends(csrf.verify)
NOTICES = {
    "example": N_("Labelled; the question is now an example of that intent (a retrain is queued)."),
    "oos": N_("Labelled out of scope; the question now teaches the bot what not to answer (a retrain is queued)."),
    "labelled": N_("Labelled."),
    "skipped": N_("Skipped."),
}
TurnId = RowId


def _queue_url(locale: str, after: float | None = None) -> str:
    query = urlencode({k: v for k, v in (("locale", locale), ("after", after)) if v not in ("", None)})
    return "/admin/review" + (f"?{query}" if query else "")


@router.get("/review", response_class=HTMLResponse)
def queue(
    request: Request,
    user: EditorDep,
    session: SessionDep,
    settings: SettingsDep,
    model: OptionalModelDep,
    locale: Annotated[str, Query(max_length=16)] = "",
    after: Annotated[float | None, Query(ge=0.0, le=1.0)] = None,
) -> Response:
    """The next sampled turn to label, with the precision measured so far."""
    locale = settings.locale_filter(locale) or ""
    item = next(iter(review.pending(session, locale=locale or None, after=after)), None)
    context = {
        "item": item,
        "remaining": review.remaining(session, locale=locale or None),
        "measured": review.measured_precision(session, locale=locale or None),
        "estimates": traffic.describe(session, model),
        "target": settings.target_precision,
        "intent_ids": [i.id for i in intents.list_intents(session)],
        "locales": settings.locales,
        "locale": locale,
        "sample_rate": settings.review_sample_rate,
        "notice": NOTICES.get(request.query_params.get("notice", "")),
    }
    return page(request, "admin/review.html", context, user=user)


@router.post("/review/{turn_id}", dependencies=[Csrf])
def label(
    turn_id: TurnId,
    user: EditorDep,
    session: SessionDep,
    settings: SettingsDep,
    label: Annotated[str, Form(min_length=1, max_length=100)],
    locale: Annotated[str, Form(max_length=16)] = "",
) -> Response:
    """Record what the visitor asked (the bot's intent, another intent, out of scope or just wrong)."""
    done = review.label_turn(session, turn_id=turn_id, label=label, user=user.email, locales=settings.locales)
    notice = "oos" if done.learned == "out of scope" else "example" if done.learned else "labelled"
    return redirect(_queue_url(settings.locale_filter(locale) or ""), notice)
