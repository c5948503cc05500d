"""The intents editor's "try a phrase" page: the decision the serving model makes for a message."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from api.admin_ui import page
from api.auth import EditorDep
from api.deps import OptionalModelDep, SettingsDep
from bot.runtime import policy_config
from core.errors import ValidationError
from helpcenter.markdown import render
from support import trial

router = APIRouter(prefix="/admin", tags=["back office"], include_in_schema=False)


@router.get("/try-a-phrase", response_class=HTMLResponse)
def try_a_phrase(
    request: Request,
    user: EditorDep,
    settings: SettingsDep,
    model: OptionalModelDep,
    q: Annotated[str, Query(max_length=trial.MAX_PHRASE)] = "",
    locale: Annotated[str, Query(max_length=16)] = "",
) -> Response:
    """The form, and with ``q`` the bot's decision, confidence against the threshold and the candidates."""
    chosen = settings.configured_locale(locale)  # anything else: detected, as in the chat
    result, error = None, None
    if q.strip() and model is not None:
        try:
            result = trial.try_phrase(model, text=q, locale=chosen, config=policy_config(settings))
        except ValidationError as exc:
            error = exc.detail
    context = {
        "q": q,
        "locale": chosen or "",
        "locales": settings.locales,
        "trial": result,
        "error": error,
        "no_model": model is None,
        "answer_html": _answer_html(result),
    }
    return page(request, "admin/try.html", context, user=user)


def _answer_html(result: trial.Trial | None) -> str | None:
    if result is None or not result.decision.answer:
        return None
    return render(result.decision.answer)
