"""Back-office intent pages: list, editor with answer preview, YAML import and export, retraining.

Every change queues a retrain that the worker runs (``support.training``); a request never trains.
Routes with a fixed name contain a hyphen, which no intent id can, so they never hide an intent's page.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, Response
from sqlmodel import Session

from api import csrf
from api.admin_ui import page, redirect, secure_headers
from api.auth import EditorDep
from api.deps import OptionalModelDep, SessionDep, SettingsDep
from api.errors import FormRefused
from api.params import MAX_ANSWER_CHARS, MAX_ID
from api.resources import IntentDep
from bot.model import FaqModel
from core.errors import ConflictError, EditConflict, NotFoundError, ValidationError
from core.settings import Settings
from core.versions import FieldChange
from helpcenter import articles
from helpcenter.markdown import render
from support import intents, training
from support.intents import IntentDataError
from support.models import FaqIntent

router = APIRouter(prefix="/admin", tags=["back office"], include_in_schema=False)
Csrf = Depends(csrf.verify)
KINDS = ("faq", "smalltalk", "handoff")
MAX_EXAMPLES_CHARS = 100_000  # one locale's examples, one per line
MAX_IMPORT_BYTES = 5 * 1024 * 1024
_LOCALE_FIELD = re.compile(r"^(examples|answer|title)_([a-z]{2,3}(?:-[A-Za-z0-9]{2,8})?)$")
MAX_TITLE_CHARS = 200
EXPORT_NAME = "faqdesk-intents.yaml"


async def _locale_fields(request: Request) -> dict[str, dict[str, str]]:
    """The editor's per-locale fields (``examples_<loc>``, ``answer_<loc>``, ``title_<loc>``), by kind and locale."""
    fields: dict[str, dict[str, str]] = {"examples": {}, "answer": {}, "title": {}}
    limits = {"examples": MAX_EXAMPLES_CHARS, "answer": MAX_ANSWER_CHARS, "title": MAX_TITLE_CHARS}
    for key, value in (await request.form()).items():
        match = _LOCALE_FIELD.match(key)
        if match and isinstance(value, str):
            limit = limits[match.group(1)]
            if len(value) > limit:
                raise ValidationError(f"{key} is longer than {limit:,} characters")
            fields[match.group(1)][match.group(2)] = value
    return fields


LocaleFields = Annotated[dict[str, dict[str, str]], Depends(_locale_fields)]


def _context(session: Session, model: FaqModel | None) -> dict[str, Any]:
    """What every intent page shows: a retrain on its way, the active and the served model version."""
    return {
        "pending": training.pending_job(session),
        "active_version": training.active_version(session),
        "serving_version": model.version if model is not None else None,
    }


@router.get("/intents", response_class=HTMLResponse)
def intent_list(
    request: Request,
    user: EditorDep,
    session: SessionDep,
    settings: SettingsDep,
    model: OptionalModelDep,
    q: Annotated[str, Query(max_length=200)] = "",
    created: Annotated[int | None, Query(ge=0)] = None,
    updated: Annotated[int | None, Query(ge=0)] = None,
    deleted: Annotated[int | None, Query(ge=0)] = None,
    unanswered: Annotated[bool, Query()] = False,
) -> Response:
    """Intents with their examples and answers per locale, filtered by any text they contain (and,
    with ``unanswered``, to those without an answer in a locale they have questions in)."""
    imported: dict[str, int] | None = None
    if created is not None:
        imported = {"created": created, "updated": updated or 0, "deleted": deleted or 0}  # said in the page's language
    context = _list_context(
        session=session, settings=settings, model=model, q=q, imported=imported, unanswered=unanswered
    )
    return page(request, "admin/intents.html", context, user=user)


def _list_context(
    *,
    session: Session,
    settings: Settings,
    model: FaqModel | None,
    q: str = "",
    imported: dict[str, int] | None = None,
    import_errors: list[str] | None = None,
    unanswered: bool = False,
) -> dict[str, Any]:
    rows = intents.intent_rows(session, query=q, locales=settings.locales)
    return {
        "rows": [row for row in rows if row.missing_answer] if unanswered else rows,
        "unanswered": unanswered,
        "unanswered_count": sum(1 for row in rows if row.missing_answer),
        "q": q,
        "locales": settings.locales,
        "imported": imported,
        "import_errors": import_errors or [],
        "max_import_mib": MAX_IMPORT_BYTES // (1024 * 1024),
        **_context(session, model),
    }


@router.get("/intents/export-yaml")
def export_intents(user: EditorDep, session: SessionDep) -> Response:
    """Every intent as faqdesk YAML, downloaded as a file."""
    response = Response(intents.export_yaml(session), media_type="application/yaml; charset=utf-8")
    response.headers["Content-Disposition"] = f'attachment; filename="{EXPORT_NAME}"'
    return secure_headers(response)


@router.post("/intents/import-yaml", response_class=HTMLResponse, dependencies=[Csrf])
def import_intents(
    user: EditorDep,
    session: SessionDep,
    settings: SettingsDep,
    model: OptionalModelDep,
    file: Annotated[UploadFile, File()],
    mode: Annotated[str, Form(pattern="^(merge|replace)$")] = "merge",
) -> Response:
    """Import a faqdesk YAML file: merge by id, or replace every intent; all problems are listed with lines."""
    data = file.file.read(MAX_IMPORT_BYTES + 1)  # a spooled file, read in the thread pool
    name = (file.filename or "upload.yaml").rsplit("/", 1)[-1][:100]
    try:
        if len(data) > MAX_IMPORT_BYTES:
            raise IntentDataError([f"{name}: the file is larger than {MAX_IMPORT_BYTES // (1024 * 1024)} MiB"])
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            raise IntentDataError([f"{name}: the file is not UTF-8 text"]) from None
        counts = intents.import_yaml(
            session, text=text, locales=settings.locales, user=user.email, replace=mode == "replace", source=name
        )
    except IntentDataError as exc:
        problems = exc.problems

        def context() -> dict[str, Any]:
            return _list_context(session=session, settings=settings, model=model, import_errors=problems)

        raise FormRefused(session, "admin/intents.html", context, user=user) from exc
    return redirect(
        f"/admin/intents?created={counts['created']}&updated={counts['updated']}&deleted={counts['deleted']}"
    )


def _editor_context(
    *,
    session: Session,
    settings: Settings,
    model: FaqModel | None,
    intent: FaqIntent | None,
    form: dict[str, Any],
    errors: list[str] | None = None,
    conflict: list[FieldChange] | None = None,
) -> dict[str, Any]:
    # Configured locales first, then any other locale the intent holds (so nothing is dropped unseen).
    extra = sorted({*form["examples"], *form["answers"], *form.get("titles", {})} - set(settings.locales))
    return {
        "intent": intent,
        "form": form,
        "errors": errors or [],
        "conflict": conflict,
        "locales": [*settings.locales, *extra],
        "kinds": KINDS,
        "previews": {loc: render(text) for loc, text in form["answers"].items()},
        "article_slugs": articles.all_slugs(session),
        **_context(session, model),
    }


def _form_of(intent: FaqIntent) -> dict[str, Any]:
    return {
        "id": intent.id,
        "kind": intent.kind,
        "article": intent.article or "",
        "examples": {loc: "\n".join(texts) for loc, texts in intent.examples.items()},
        "answers": dict(intent.answers),
        "titles": dict(intent.titles),
        "version": intent.version,
    }


def _posted(intent_id: str, kind: str, article: str, fields: dict[str, dict[str, str]]) -> dict[str, Any]:
    return {
        "id": intent_id,
        "kind": kind,
        "article": article,
        "examples": fields["examples"],
        "answers": fields["answer"],
        "titles": fields["title"],
    }


def _lines(form: dict[str, Any]) -> dict[str, list[str]]:
    return {loc: text.splitlines() for loc, text in form["examples"].items()}


@router.get("/intents/new-intent", response_class=HTMLResponse)
def new_intent(
    request: Request, user: EditorDep, session: SessionDep, settings: SettingsDep, model: OptionalModelDep
) -> Response:
    """An empty intent editor."""
    form = {"id": "", "kind": "faq", "article": "", "examples": {}, "answers": {}, "titles": {}}
    context = _editor_context(session=session, settings=settings, model=model, intent=None, form=form)
    return page(request, "admin/intent.html", context, user=user)


@router.post("/intents", response_class=HTMLResponse, dependencies=[Csrf])
def create_intent(
    user: EditorDep,
    session: SessionDep,
    settings: SettingsDep,
    model: OptionalModelDep,
    fields: LocaleFields,
    intent_id: Annotated[str, Form(max_length=100)] = "",
    kind: Annotated[str, Form(max_length=16)] = "faq",
    article: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Create an intent; queues a retrain."""
    form = _posted(intent_id.strip(), kind, article, fields)
    try:
        intents.create_intent(
            session,
            intent_id=form["id"],
            kind=kind,
            article=article,
            examples=_lines(form),
            answers=form["answers"],
            titles=form["titles"],
            user=user.email,
            locales=settings.locales,
        )
    except (ValidationError, ConflictError) as exc:
        errors = _problems(exc)

        def context() -> dict[str, Any]:
            return _editor_context(
                session=session, settings=settings, model=model, intent=None, form=form, errors=errors
            )

        raise FormRefused(session, "admin/intent.html", context, user=user) from exc
    return redirect(f"/admin/intents/{form['id']}", "created")


def _problems(exc: ValidationError | ConflictError) -> list[str]:
    """Every problem of a refused save (intent data lists several, with where they are)."""
    return exc.problems if isinstance(exc, IntentDataError) else [exc.detail]


@router.get("/intents/{intent_id}", response_class=HTMLResponse)
def edit_intent(
    request: Request,
    user: EditorDep,
    intent: IntentDep,
    session: SessionDep,
    settings: SettingsDep,
    model: OptionalModelDep,
) -> Response:
    """The editor for one intent."""
    context = _editor_context(session=session, settings=settings, model=model, intent=intent, form=_form_of(intent))
    return page(request, "admin/intent.html", context, user=user)


@router.post("/intents/{intent_id}", response_class=HTMLResponse, dependencies=[Csrf])
def save_intent(
    user: EditorDep,
    intent_id: str,
    session: SessionDep,
    settings: SettingsDep,
    model: OptionalModelDep,
    fields: LocaleFields,
    kind: Annotated[str, Form(max_length=16)] = "faq",
    article: Annotated[str, Form(max_length=200)] = "",
    version: Annotated[int | None, Form(ge=1, le=MAX_ID)] = None,
) -> Response:
    """Save an intent's examples, answers, kind and article; queues a retrain when something changed.

    A save made from an older version than the one saved now is a 409 that shows the editor's text
    again, not saved, beside what is saved now, to merge and save on purpose.
    """
    form = _posted(intent_id, kind, article, fields) | {"version": version}
    try:
        intents.get_intent(session, intent_id=intent_id)
    except NotFoundError as exc:  # deleted by someone else meanwhile: the typed text must not be lost

        def gone() -> dict[str, Any]:
            context = _editor_context(session=session, settings=settings, model=model, intent=None, form=form)
            return context | {"deleted_meanwhile": True}

        raise FormRefused(session, "admin/intent.html", gone, user=user, status_code=409) from exc
    try:
        intents.save_intent(
            session,
            intent_id=intent_id,
            kind=kind,
            article=article,
            examples=_lines(form),
            answers=form["answers"],
            titles=form["titles"],
            user=user.email,
            locales=settings.locales,
            expected_version=version,
        )
    except EditConflict as exc:

        def conflict() -> dict[str, Any]:
            saved = intents.get_intent(session, intent_id=intent_id)
            changes = intents.intent_changes(
                saved,
                kind=kind,
                article=article,
                examples=_lines(form),
                answers=form["answers"],
                titles=form["titles"],
            )
            saving_again = form | {"version": saved.version}  # saving again now is a deliberate choice
            return _editor_context(
                session=session, settings=settings, model=model, intent=saved, form=saving_again, conflict=changes
            )

        raise FormRefused(session, "admin/intent.html", conflict, user=user, status_code=409) from exc
    except ValidationError as exc:
        errors = _problems(exc)

        def context() -> dict[str, Any]:
            saved = intents.get_intent(session, intent_id=intent_id)
            return _editor_context(
                session=session, settings=settings, model=model, intent=saved, form=form, errors=errors
            )

        raise FormRefused(session, "admin/intent.html", context, user=user) from exc
    return redirect(f"/admin/intents/{intent_id}", "saved")


@router.post("/intents/{intent_id}/delete", dependencies=[Csrf])
def delete_intent(
    intent_id: str, user: EditorDep, session: SessionDep, version: Annotated[int | None, Form(ge=1, le=MAX_ID)] = None
) -> Response:
    """Delete an intent (if still the version the page showed); queues a retrain."""
    intents.delete_intent(session, intent_id=intent_id, user=user.email, expected_version=version)
    return redirect("/admin/intents", "deleted")


@router.get("/training", response_class=HTMLResponse)
def training_page(request: Request, user: EditorDep, session: SessionDep, model: OptionalModelDep) -> Response:
    """Training jobs (newest first) and the active model version."""
    context = {"jobs": training.recent_jobs(session), "queued": "queued" in request.query_params}
    return page(request, "admin/training.html", context | _context(session, model), user=user)


@router.post("/training", dependencies=[Csrf])
def retrain(user: EditorDep, session: SessionDep) -> Response:
    """Queue a retrain now (joins the one already waiting, if any)."""
    training.queue_training(session, requested_by=user.email, reason="retrain requested in the back office")
    return redirect("/admin/training?queued=1")
