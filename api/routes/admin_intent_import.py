"""Back office: intents from an FAQ spreadsheet (CSV, XLSX) or a Rasa project's files, in two steps.

Upload → a preview of what would change (intents created, updated, unchanged, deleted; those left
without an answer; every conflict the import resolved and everything it skipped) → confirm. Nothing is
written before the confirmation, which imports the intents the preview showed (carried in the form as
faqdesk YAML) after checking them again against the database. The rules are ``support.intent_import``'s.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, Response

from api import csrf
from api.admin_ui import page, redirect, secure_headers
from api.auth import EditorDep
from api.deps import SessionDep, SettingsDep
from api.errors import FormRefused
from support import intent_import
from support.intents import IntentDataError

router = APIRouter(prefix="/admin", tags=["back office"], include_in_schema=False)
Csrf = Depends(csrf.verify)
MAX_UPLOAD_BYTES = 5 * 1024 * 1024  # all files of one upload together
MAX_FILES = 20
TEMPLATE = "admin/intent_import.html"
Mode = Annotated[str, Form(pattern="^(merge|replace)$")]


def _context(settings: Any, **extra: Any) -> dict[str, Any]:
    return {
        "locales": settings.locales,
        "max_mib": MAX_UPLOAD_BYTES // (1024 * 1024),
        "preview": None,
        "errors": [],
        "mode": "merge",
        "locale": settings.default_locale,
    } | extra


@router.get("/intents/export-csv")
def export_csv(user: EditorDep, session: SessionDep) -> Response:
    """Every intent as a CSV spreadsheet (one row per question) that the upload reads back."""
    response = Response(intent_import.export_csv(session), media_type="text/csv; charset=utf-8")
    response.headers["Content-Disposition"] = 'attachment; filename="faqdesk-intents.csv"'
    return secure_headers(response)


@router.get("/intents/import-file", response_class=HTMLResponse)
def import_form(request: Request, user: EditorDep, settings: SettingsDep) -> Response:
    """The upload form."""
    return page(request, TEMPLATE, _context(settings), user=user)


@router.post("/intents/import-file", response_class=HTMLResponse, dependencies=[Csrf])
def preview_import(
    request: Request,
    user: EditorDep,
    session: SessionDep,
    settings: SettingsDep,
    files: Annotated[list[UploadFile], File()],
    mode: Mode = "merge",
    locale: Annotated[str, Form(max_length=16)] = "en",
) -> Response:
    """Read the upload and show what importing it would change; writes nothing."""
    chosen = settings.configured_locale(locale) or settings.default_locale
    try:
        uploads = _read(files)
        preview = intent_import.preview_upload(
            session, files=uploads, locale=chosen, locales=settings.locales, replace=mode == "replace"
        )
    except IntentDataError as exc:
        problems = exc.problems

        def refused() -> dict[str, Any]:
            return _context(settings, errors=problems, mode=mode, locale=chosen)

        raise FormRefused(session, TEMPLATE, refused, user=user) from exc
    return page(request, TEMPLATE, _context(settings, preview=preview, mode=mode, locale=chosen), user=user)


@router.post("/intents/import-confirm", response_class=HTMLResponse, dependencies=[Csrf])
def confirm_import(
    user: EditorDep,
    session: SessionDep,
    settings: SettingsDep,
    intents_yaml: Annotated[str, Form(max_length=MAX_UPLOAD_BYTES * 2)],
    mode: Mode = "merge",
    state: Annotated[str | None, Form(max_length=64)] = None,
) -> Response:
    """Import what the preview showed, if the intents are still as they were then; queues a retrain."""
    try:
        result = intent_import.confirm_upload(
            session,
            yaml_text=intents_yaml,
            locales=settings.locales,
            user=user.email,
            replace=mode == "replace",
            state=state,
        )
    except IntentDataError as exc:
        problems = exc.problems

        def refused() -> dict[str, Any]:
            return _context(settings, errors=problems, mode=mode)

        raise FormRefused(session, TEMPLATE, refused, user=user) from exc
    done = result.counts
    return redirect(f"/admin/intents?created={done['created']}&updated={done['updated']}&deleted={done['deleted']}")


def _read(files: list[UploadFile]) -> list[tuple[str, bytes]]:
    """The uploaded files' names and bytes, within the limits (spooled files, read in the thread pool)."""
    if len(files) > MAX_FILES:
        raise IntentDataError([f"at most {MAX_FILES} files at once"])
    out, total = [], 0
    for upload in files:
        data = upload.file.read(MAX_UPLOAD_BYTES + 1 - total)
        total += len(data)
        if total > MAX_UPLOAD_BYTES:
            raise IntentDataError([f"the files are larger than {MAX_UPLOAD_BYTES // (1024 * 1024)} MiB together"])
        name = (upload.filename or "upload").replace("\\", "/").rsplit("/", 1)[-1][:100]
        out.append((name, data))
    return out
