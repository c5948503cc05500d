"""The back office's widget page: the embed snippet and the JavaScript API to copy, and the widget's
appearance (editors may look, admins change it)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from sqlmodel import Session

from api import csrf
from api.admin_ui import page, redirect
from api.auth import AdminDep, EditorDep
from api.deps import FormFields, SessionDep, SettingsDep
from api.errors import FormRefused
from api.params import form_version
from api.widget_embed import API_CALLS, embed_snippet
from core.accounts import Role, User
from core.errors import EditConflict, FieldErrors
from core.settings import Settings
from helpcenter import media
from support import appearance

router = APIRouter(tags=["back office"], include_in_schema=False)
Csrf = Depends(csrf.verify)


def _context(
    request: Request,
    *,
    session: Session,
    settings: Settings,
    user: User,
    form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    conflict: bool = False,
) -> dict[str, Any]:
    saved = appearance.get_appearance(session)
    base_url = settings.public_url or str(request.base_url).rstrip("/")
    return {
        "snippet": embed_snippet(base_url),
        "api_calls": API_CALLS,
        "look": saved,
        # What the form shows: the saved values, or what the admin typed when the save was refused.
        "form": form if form is not None else _as_form(saved, settings.locales),
        "errors": errors or {},
        "conflict": conflict,
        "locales": settings.locales,
        "images": media.list_media(session),
        "can_edit": user.role is Role.admin,
    }


def _as_form(look: appearance.WidgetAppearance, locales: list[str]) -> dict[str, str]:
    form = {"accent": look.accent, "position": look.position, "avatar": look.avatar or ""}
    form |= {f"title_{loc}": look.titles.get(loc, "") for loc in locales}
    return form | ({"on_help_center": "1"} if look.on_help_center else {})


@router.get("/admin/widget", response_class=HTMLResponse)
def widget_page(request: Request, user: EditorDep, session: SessionDep, settings: SettingsDep) -> Response:
    """The snippet to paste into a site, the JavaScript API, and the appearance form."""
    context = _context(request, session=session, settings=settings, user=user)
    return page(request, "admin/widget.html", context, user=user)


@router.post("/admin/widget", response_class=HTMLResponse, dependencies=[Csrf])
def save_widget(
    request: Request, user: AdminDep, session: SessionDep, settings: SettingsDep, form: FormFields
) -> Response:
    """Save the appearance; a refused field is shown next to it (422), an edit overtaken by another
    admin's save is a 409 with the typed values kept."""
    data = appearance.AppearanceInput(
        accent=form.get("accent", "").strip()[:20],
        position=form.get("position", ""),
        titles={loc: form.get(f"title_{loc}", "")[:500] for loc in settings.locales},
        avatar=form.get("avatar", "")[:100],
        on_help_center=form.get("on_help_center") == "1",
    )
    typed = dict(form)
    try:
        appearance.save_appearance(session, data=data, expected_version=form_version(form), updated_by=user.email)
    except FieldErrors as exc:
        fields = exc.fields
        raise FormRefused(
            session,
            "admin/widget.html",
            lambda: _context(request, session=session, settings=settings, user=user, form=typed, errors=fields),
            user=user,
        ) from exc
    except EditConflict as exc:
        raise FormRefused(
            session,
            "admin/widget.html",
            lambda: _context(request, session=session, settings=settings, user=user, form=typed, conflict=True),
            user=user,
            status_code=409,
        ) from exc
    return redirect("/admin/widget", "saved")
