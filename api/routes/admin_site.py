"""Back-office pages for categories, uploaded images, users and API tokens; serving the images."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request, UploadFile
from fastapi.responses import FileResponse, HTMLResponse, Response
from sqlmodel import Session

from api import csrf
from api.admin_ui import page, redirect
from api.auth import AdminDep, EditorDep, UserDep
from api.deps import FormFields, SessionDep, SettingsDep
from api.errors import FormRefused
from api.params import RowId, form_version
from api.resources import CategoryDep
from core import accounts
from core.accounts import Role, User
from core.errors import ConflictError, EditConflict, FaqdeskError, ValidationError
from core.numerals import whole_number
from core.settings import Settings
from helpcenter import categories, media, slugs

router = APIRouter(tags=["back office"], include_in_schema=False)
Csrf = Depends(csrf.verify)


def _per_locale(form: dict[str, str], prefix: str, locales: list[str]) -> dict[str, str]:
    return {loc: form.get(f"{prefix}_{loc}", "") for loc in locales}  # the service checks the lengths


def _categories_context(
    *,
    session: Session,
    settings: Settings,
    conflict: dict[str, Any] | None = None,
    refused: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """``refused``: a form the service turned down (its category's id, None for a new one, and what was typed),
    shown again with ``error`` beside it."""
    return {
        "categories": categories.list_categories(session),
        "counts": categories.category_article_counts(session),
        "locales": settings.locales,
        "error": refused["error"] if refused else None,
        "conflict": conflict,
        "refused": refused,
    }


def _refused(
    exc: FaqdeskError,
    *,
    session: Session,
    settings: Settings,
    user: User,
    category_id: int | None,
    form: dict[str, str],
) -> FormRefused:
    def context() -> dict[str, Any]:
        refused = {"category_id": category_id, "form": form, "error": exc.detail}
        return _categories_context(session=session, settings=settings, refused=refused)

    return FormRefused(session, "admin/categories.html", context, user=user, status_code=exc.status_code)


@router.get("/admin/categories", response_class=HTMLResponse)
def category_list(request: Request, user: EditorDep, session: SessionDep, settings: SettingsDep) -> Response:
    """Categories with their names per locale, position and article count."""
    context = _categories_context(session=session, settings=settings)
    return page(request, "admin/categories.html", context, user=user)


@router.post("/admin/categories", dependencies=[Csrf])
def create_category(user: EditorDep, session: SessionDep, settings: SettingsDep, form: FormFields) -> Response:
    """Create a category from its slug and names; a refusal shows the form again as it was typed."""
    try:
        names = categories.clean_names(_per_locale(form, "name", settings.locales))
        slug = form.get("slug", "").strip() or slugs.slugify(next(iter(names.values())), fallback="category")
        categories.create_category(
            session,
            slug=slug,
            names=names,
            descriptions=_per_locale(form, "description", settings.locales),
            position=whole_number(form.get("position")) or 0,
            locales=settings.locales,
        )
    except (ValidationError, ConflictError) as exc:
        raise _refused(exc, session=session, settings=settings, user=user, category_id=None, form=form) from exc
    return redirect("/admin/categories", "created")


@router.post("/admin/categories/{category_id}", response_class=HTMLResponse, dependencies=[Csrf])
def update_category(
    user: EditorDep, category: CategoryDep, session: SessionDep, settings: SettingsDep, form: FormFields
) -> Response:
    """Rename, describe, reorder, or delete an empty category.

    A save made from an older version than the one saved now is a 409: the page shows the editor's
    values again, not saved, beside what is saved now.
    """
    category_id = category.id or 0
    if form.get("action") == "delete":
        categories.delete_category(session, category=category, expected_version=form_version(form))
        return redirect("/admin/categories", "deleted")
    position = whole_number(form.get("position"))
    names = _per_locale(form, "name", settings.locales)
    descriptions = _per_locale(form, "description", settings.locales)
    try:
        categories.update_category(
            session,
            category=category,
            names=names,
            descriptions=descriptions,
            position=position,
            expected_version=form_version(form),
        )
    except EditConflict as exc:

        def context() -> dict[str, Any]:
            saved = categories.get_category_by_id(session, category_id=category_id)
            changes = categories.category_changes(saved, names=names, descriptions=descriptions, position=position)
            conflict = {"category_id": category_id, "form": form, "changes": changes}
            return _categories_context(session=session, settings=settings, conflict=conflict)

        raise FormRefused(session, "admin/categories.html", context, user=user, status_code=409) from exc
    except ValidationError as exc:
        raise _refused(exc, session=session, settings=settings, user=user, category_id=category_id, form=form) from exc
    return redirect("/admin/categories", "saved")


@router.get("/admin/media", response_class=HTMLResponse)
def media_list(request: Request, user: EditorDep, session: SessionDep, settings: SettingsDep) -> Response:
    """Uploaded images with the Markdown to use them, and the upload form."""
    context = {
        "files": media.list_media(session),
        "max_kib": settings.upload_max_bytes // 1024,
        "max_megapixels": f"{settings.upload_max_pixels / 1e6:g}",
    }
    return page(request, "admin/media.html", context, user=user)


@router.post("/admin/media", dependencies=[Csrf])
def upload(user: EditorDep, session: SessionDep, settings: SettingsDep, file: UploadFile) -> Response:
    """Store an uploaded image after checking its type (by content) and size."""
    data = file.file.read(settings.upload_max_bytes + 1)  # a spooled file, read in the thread pool
    media.save_upload(
        session,
        data=data,
        filename=file.filename or "image",
        media_dir=settings.media_dir,
        max_bytes=settings.upload_max_bytes,
        max_pixels=settings.upload_max_pixels,
        uploaded_by=user.email,
    )
    return redirect("/admin/media", "uploaded")


@router.get("/media/{stored_name}")
def serve_media(stored_name: str, session: SessionDep, settings: SettingsDep) -> Response:
    """An uploaded image, with headers that stop browsers from treating it as anything else."""
    record, path = media.media_path(session, stored_name=stored_name, media_dir=settings.media_dir)
    response = FileResponse(path, media_type=record.content_type)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Content-Disposition"] = f'inline; filename="{record.stored_name}"'
    response.headers["Cache-Control"] = "public, max-age=31536000, immutable"  # the name is the content hash
    return response


@router.get("/admin/users", response_class=HTMLResponse)
def users(request: Request, user: AdminDep, session: SessionDep) -> Response:
    """Accounts and their roles."""
    context = {"users": accounts.list_users(session), "roles": list(Role), "error": None}
    return page(request, "admin/users.html", context, user=user)


@router.post("/admin/users", dependencies=[Csrf])
def create_user(
    user: AdminDep,
    session: SessionDep,
    email: Annotated[str, Form(max_length=254)],
    password: Annotated[str, Form(max_length=1000)],
    role: Annotated[Role, Form()],
    name: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Create an account."""
    accounts.create_user(session, email=email, password=password, role=role, name=name)
    return redirect("/admin/users", "created")


@router.post("/admin/users/{user_id}", dependencies=[Csrf])
def update_user(
    user_id: RowId,
    user: AdminDep,
    session: SessionDep,
    role: Annotated[Role, Form()],
    active: Annotated[bool, Form()] = False,
) -> Response:
    """Change a user's role or deactivate them (an admin cannot demote or lock out themself)."""
    target = accounts.get_user(session, user_id=user_id)
    accounts.update_user(session, user=target, role=role, active=active, by=user)
    return redirect("/admin/users", "saved")


def _tokens_page(request: Request, user: User, session: Session, new_token: str | None = None) -> Response:
    owner = None if user.role is Role.admin else user
    context = {
        "tokens": accounts.api_tokens(session, user=owner),
        "emails": {u.id: u.email for u in accounts.list_users(session)},
        "roles": accounts.token_roles(user),
        "new_token": new_token,
    }
    return page(request, "admin/tokens.html", context, user=user, status_code=201 if new_token else 200)


@router.get("/admin/tokens", response_class=HTMLResponse)
def tokens(request: Request, user: UserDep, session: SessionDep) -> Response:
    """API tokens: an admin sees all, others their own (agents hold none, but may revoke old ones)."""
    return _tokens_page(request, user, session)


@router.post("/admin/tokens", response_class=HTMLResponse, dependencies=[Csrf])
def create_token(
    request: Request,
    user: UserDep,
    session: SessionDep,
    name: Annotated[str, Form(max_length=100)],
    role: Annotated[Role | None, Form()] = None,
) -> Response:
    """Create a token for the signed-in user, with their role or a lesser one, and show it once."""
    token, _ = accounts.create_api_token(session, user=user, name=name, role=role)
    return _tokens_page(request, user, session, new_token=token)


@router.post("/admin/tokens/{token_id}/revoke", dependencies=[Csrf])
def revoke_token(token_id: RowId, user: UserDep, session: SessionDep) -> Response:
    """Revoke a token (one's own, or any for an admin)."""
    accounts.revoke_api_token(session, token_id=token_id, by=user)
    return redirect("/admin/tokens", "revoked")
