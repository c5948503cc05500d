"""Back-office pages for canned replies: editors and admins write them per locale; agents pick them on a ticket."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlmodel import Session

from api import csrf
from api.admin_ui import page, redirect
from api.auth import EditorDep
from api.deps import FormFields, SessionDep, SettingsDep
from api.errors import FormRefused
from api.params import RowId, form_version
from core.errors import EditConflict, ValidationError
from core.settings import Settings
from support import canned
from support.models import CannedReply

router = APIRouter(prefix="/admin/canned", tags=["back office"], include_in_schema=False)
Csrf = Depends(csrf.verify)
FIELDS = ("title", "shortcut", "locale", "body")


def reply_in_path(reply_id: RowId, user: EditorDep, session: SessionDep) -> CannedReply:
    """The canned reply ``{reply_id}`` names (after the role check, so a stranger learns nothing)."""
    return canned.get_reply(session, reply_id=reply_id)


CannedDep = Annotated[CannedReply, Depends(reply_in_path)]


def _typed(form: dict[str, str]) -> dict[str, str]:
    return {name: form.get(name, "") for name in FIELDS}


def _list_context(
    session: Session, settings: Settings, *, locale: str, form: dict[str, str] | None = None, error: str | None = None
) -> dict[str, Any]:
    return {
        "replies": canned.list_replies(session, locale=locale or None),
        "locales": settings.locales,
        "filter_locale": locale,
        "placeholders": canned.PLACEHOLDERS,
        "form": form or {"title": "", "shortcut": "", "locale": locale or settings.default_locale, "body": ""},
        "error": error,
    }


def _edit_context(
    reply: CannedReply,
    settings: Settings,
    *,
    form: dict[str, str] | None = None,
    error: str | None = None,
    changes: list[Any] | None = None,
) -> dict[str, Any]:
    saved = {"title": reply.title, "shortcut": reply.shortcut, "locale": reply.locale, "body": reply.body}
    return {
        "reply": reply,
        "locales": settings.locales,
        "placeholders": canned.PLACEHOLDERS,
        "form": form or saved,
        "error": error,
        "changes": changes,
    }


@router.get("", response_class=HTMLResponse)
def canned_list(
    request: Request,
    user: EditorDep,
    session: SessionDep,
    settings: SettingsDep,
    locale: Annotated[str, Query(max_length=16)] = "",
) -> Response:
    """Canned replies by locale and title, with the form for a new one and the placeholders explained."""
    locale = settings.configured_locale(locale) or ""
    return page(request, "admin/canned.html", _list_context(session, settings, locale=locale), user=user)


@router.post("", response_class=HTMLResponse, dependencies=[Csrf])
def create(user: EditorDep, session: SessionDep, settings: SettingsDep, form: FormFields) -> Response:
    """A new canned reply; a refused one (unknown placeholder, taken shortcut…) is a 422 with the text kept."""
    typed = _typed(form)
    try:
        canned.create_reply(session, **typed, by=user, settings=settings)
    except ValidationError as exc:
        detail = exc.detail  # the name ``exc`` is gone once the except block ends

        def context() -> dict[str, Any]:
            return _list_context(session, settings, locale="", form=typed, error=detail)

        raise FormRefused(session, "admin/canned.html", context, user=user) from exc
    return redirect("/admin/canned", "created")


@router.get("/{reply_id}", response_class=HTMLResponse)
def edit(request: Request, user: EditorDep, reply: CannedDep, settings: SettingsDep) -> Response:
    """One canned reply's editor."""
    return page(request, "admin/canned_edit.html", _edit_context(reply, settings), user=user)


@router.post("/{reply_id}", response_class=HTMLResponse, dependencies=[Csrf])
def save(user: EditorDep, reply: CannedDep, session: SessionDep, settings: SettingsDep, form: FormFields) -> Response:
    """Save (the version the editor started from is checked: a 409 shows what changed) or delete."""
    reply_id = reply.id or 0
    if form.get("action") == "delete":
        canned.delete_reply(session, reply=reply, expected_version=form_version(form))
        return redirect("/admin/canned", "deleted")
    typed = _typed(form)
    try:
        canned.update_reply(
            session, reply=reply, **typed, by=user, settings=settings, expected_version=form_version(form)
        )
    except EditConflict as exc:
        conflict_detail = exc.detail

        def conflict() -> dict[str, Any]:
            saved = canned.get_reply(session, reply_id=reply_id)
            changes = canned.reply_changes(saved, **typed)
            return _edit_context(saved, settings, form=typed, error=conflict_detail, changes=changes)

        raise FormRefused(session, "admin/canned_edit.html", conflict, user=user, status_code=409) from exc
    except ValidationError as exc:
        refusal = exc.detail

        def refused() -> dict[str, Any]:
            saved = canned.get_reply(session, reply_id=reply_id)
            return _edit_context(saved, settings, form=typed, error=refusal)

        raise FormRefused(session, "admin/canned_edit.html", refused, user=user) from exc
    return redirect(f"/admin/canned/{reply_id}", "saved")
