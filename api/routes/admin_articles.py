"""Back-office article pages: list with filters, editor with preview, status, revisions, translations."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, Field
from sqlmodel import Session

from api import csrf
from api.admin_ui import page, redirect
from api.auth import EditorDep, UserDep
from api.deps import SessionDep, SettingsDep
from api.errors import FormRefused
from api.params import MAX_ID, ListPageDep, OptionalRowIdQuery, RowId
from api.resources import ArticleDep
from core.errors import ConflictError, EditConflict, ValidationError
from core.i18n import N_
from core.numerals import whole_number
from core.settings import Settings
from core.versions import FieldChange, field_changes
from helpcenter import articles, categories, editorial, public
from helpcenter.markdown import render
from helpcenter.models import Article, ArticleStatus, Category

router = APIRouter(prefix="/admin", tags=["back office"], include_in_schema=False)
Csrf = Depends(csrf.verify)


def _split(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def _status(value: str) -> ArticleStatus | None:
    # The filter form sends "" for "any status".
    if not value:
        return None
    try:
        return ArticleStatus(value)
    except ValueError as exc:
        raise ValidationError(f"unknown status {value!r}: use draft, published or archived") from exc


def _category_id(value: str) -> int | None:
    try:
        return int(value) if value.strip() else None
    except ValueError as exc:
        raise ValidationError(f"unknown category {value!r}") from exc


@router.get("/articles", response_class=HTMLResponse)
def article_list(
    request: Request,
    user: UserDep,
    session: SessionDep,
    settings: SettingsDep,
    list_page: ListPageDep,
    status: Annotated[str, Query(max_length=20)] = "",
    locale: str = "",
    category: str = "",
    missing: str = "",
    q: Annotated[str, Query(max_length=200)] = "",
) -> Response:
    """Articles filtered by status, locale, category, a missing translation or words in the title."""
    rows, total = editorial.list_articles(
        session,
        locales=settings.locales,
        status=_status(status),
        locale=settings.configured_locale(locale),
        category_id=_category_id(category),
        missing_locale=settings.configured_locale(missing),
        query=q,
        limit=list_page.size,
        offset=list_page.offset,
    )
    context = {
        "rows": rows,
        **list_page.pager(total),
        "filters": {"status": status or "", "locale": locale, "category": category, "missing": missing, "q": q},
        "statuses": list(ArticleStatus),
        "locales": settings.locales,
        "categories": categories.list_categories(session),
    }
    return page(request, "admin/articles.html", context, user=user)


class ArticleForm(BaseModel):
    """The editor's fields, as posted or as an article holds them: text as typed (the service checks and
    normalises it). The one shape the editor page shows (``shown``)."""

    title: str = Field("", max_length=300)
    body: str = Field("", max_length=200_000)
    slug: str = Field("", max_length=200)
    category_id: str = Field("", max_length=20)
    tags: str = Field("", max_length=1000)
    intents: str = Field("", max_length=2000)
    position: int = Field(0, ge=0, le=100_000)
    # The version the editor loaded (a hidden field): a save from an older one is refused as a conflict.
    version: int | None = Field(None, ge=1, le=MAX_ID)

    @classmethod
    def of(cls, article: Article, *, content: bool = True) -> ArticleForm:
        """An article's fields (not validated: what is saved is shown as it is); without ``content``
        only what a translation starts from (slug, category, tags, intents, position)."""
        form = cls.model_construct(
            slug=article.slug,
            category_id=str(article.category_id or ""),
            tags=", ".join(article.tags),
            intents=", ".join(article.intents),
            position=article.position,
        )
        if content:
            form = form.model_copy(update={"title": article.title, "body": article.body, "version": article.version})
        return form

    def shown(self, locale: str) -> dict[str, str]:
        """The fields as the editor shows them."""
        fields = self.model_dump(include=set(ArticleForm.model_fields))
        return {**fields, "position": str(self.position), "version": str(self.version or ""), "locale": locale}


class NewArticleForm(ArticleForm):
    """A new article also names its locale, and the article it translates (if any)."""

    locale: str = Field("", max_length=16)
    translation_of: str = Field("", max_length=20)


def _other_fields(saved: Article, posted: ArticleForm, shelves: Sequence[Category]) -> list[FieldChange]:
    """The fields besides title and body where the saved article differs from the editor's form."""
    names = {str(c.id): c.slug for c in shelves}

    def fields(form: ArticleForm) -> dict[str, str]:
        return {
            "slug": form.slug.strip(),
            "category": names.get(form.category_id.strip(), ""),
            "tags": ", ".join(_split(form.tags)),
            "intents": ", ".join(_split(form.intents)),
            "position": str(form.position),
        }

    mine = fields(posted)
    mine["slug"] = mine["slug"] or saved.slug  # an empty slug keeps the article's
    return field_changes(fields(ArticleForm.of(saved)), mine)


def _editor_context(
    *,
    session: Session,
    settings: Settings,
    article: Article | None,
    form: dict[str, str],
    source: Article | None = None,
    error: str | None = None,
    conflict: articles.ChangesSince | None = None,
) -> dict[str, Any]:
    return {
        "article": article,
        "form": form,
        "error": error,
        "conflict": conflict,
        "diff_lines": conflict.diff.splitlines() if conflict else [],
        "source": source,
        "source_html": render(source.body) if source else None,
        "locales": settings.locales,
        "categories": categories.list_categories(session),
        "translations": {a.locale: a for a in public.translations(session, article=article, published_only=False)}
        if article
        else {},
        "preview_html": render(form.get("body", "")),
    }


@router.get("/articles/new", response_class=HTMLResponse)
def new_article(
    request: Request,
    user: EditorDep,
    session: SessionDep,
    settings: SettingsDep,
    locale: str = "",
    translation_of: OptionalRowIdQuery = None,
) -> Response:
    """An empty editor; ``translation_of`` opens it beside the source article, in another locale."""
    source = editorial.get_article(session, article_id=translation_of) if translation_of else None
    locale = settings.configured_locale(locale) or settings.default_locale
    form = ArticleForm()
    if source is not None:
        existing = editorial.translation_in(session, article=source, locale=locale)
        if existing is not None:
            return redirect(f"/admin/articles/{existing.id}?source={source.id}")
        form = ArticleForm.of(source, content=False)
    context = _editor_context(session=session, settings=settings, article=None, form=form.shown(locale), source=source)
    return page(request, "admin/editor.html", context, user=user)


@router.post("/articles", response_class=HTMLResponse, dependencies=[Csrf])
def create_article(
    user: EditorDep,
    session: SessionDep,
    settings: SettingsDep,
    posted: Annotated[NewArticleForm, Form()],
) -> Response:
    """Create a draft (its first revision); a translation joins the source's translation group."""
    form = posted.shown(posted.locale)
    of = posted.translation_of
    source = editorial.get_article(session, article_id=number) if (number := whole_number(of)) is not None else None
    try:
        article = articles.create_article(
            session,
            locale=posted.locale,
            locales=settings.locales,
            title=posted.title.strip(),
            body=posted.body,
            author=user.email,
            slug=posted.slug.strip() or None,
            category_id=_category_id(posted.category_id),
            tags=_split(posted.tags),
            intents=_split(posted.intents),
            position=posted.position,
            translation_group=source.translation_group if source else None,
        )
    except (ValidationError, ConflictError) as exc:  # a slug taken meanwhile too: the typed text stays
        error, source_id = exc.detail, source.id if source else None

        def context() -> dict[str, Any]:
            again = editorial.get_article(session, article_id=source_id) if source_id else None
            return _editor_context(
                session=session, settings=settings, article=None, form=form, source=again, error=error
            )

        raise FormRefused(session, "admin/editor.html", context, user=user, status_code=exc.status_code) from exc
    return redirect(f"/admin/articles/{article.id}", "created")


@router.get("/articles/{article_id}", response_class=HTMLResponse)
def edit_article(
    request: Request,
    user: EditorDep,
    article: ArticleDep,
    session: SessionDep,
    settings: SettingsDep,
    source: int | None = None,
) -> Response:
    """The editor for one article, optionally beside another locale's version."""
    source_article = editorial.get_article(session, article_id=source) if source else None
    form = ArticleForm.of(article).shown(article.locale)
    context = _editor_context(session=session, settings=settings, article=article, form=form, source=source_article)
    return page(request, "admin/editor.html", context, user=user)


@router.post("/articles/{article_id}", response_class=HTMLResponse, dependencies=[Csrf])
def save_article(
    user: EditorDep,
    article: ArticleDep,
    session: SessionDep,
    settings: SettingsDep,
    posted: Annotated[ArticleForm, Form()],
) -> Response:
    """Save as a new revision; a changed slug keeps the old URL working.

    A save made from an older version than the one saved now (someone saved meanwhile) is a 409 that
    shows the editor's text again, not saved, with who saved what since, to merge and save on purpose.
    """
    article_id = article.id or 0
    form = posted.shown(article.locale)
    try:
        articles.update_article(
            session,
            article=article,
            author=user.email,
            title=posted.title.strip(),
            body=posted.body,
            slug=posted.slug.strip() or article.slug,
            tags=_split(posted.tags),
            intents=_split(posted.intents),
            category_id=_category_id(posted.category_id),
            position=posted.position,
            expected_version=posted.version,
        )
    except EditConflict as exc:

        def conflict() -> dict[str, Any]:
            saved = editorial.get_article(session, article_id=article_id)
            changes = articles.changes_since(session, article=saved, version=posted.version or saved.version)
            saving_again = form | {"version": str(saved.version)}  # saving again now is a deliberate choice
            context = _editor_context(
                session=session, settings=settings, article=saved, form=saving_again, conflict=changes
            )
            # Saving again replaces these too: a slug or tags another editor set were reverted unseen.
            return context | {"other_changes": _other_fields(saved, posted, context["categories"])}

        raise FormRefused(session, "admin/editor.html", conflict, user=user, status_code=409) from exc
    except (ValidationError, ConflictError) as exc:
        error = exc.detail

        def context() -> dict[str, Any]:
            saved = editorial.get_article(session, article_id=article_id)
            return _editor_context(session=session, settings=settings, article=saved, form=form, error=error)

        raise FormRefused(session, "admin/editor.html", context, user=user, status_code=exc.status_code) from exc
    return redirect(f"/admin/articles/{article_id}", "saved")


@router.post("/articles/{article_id}/status", dependencies=[Csrf])
def change_status(
    user: EditorDep,
    article: ArticleDep,
    session: SessionDep,
    action: Annotated[str, Form(pattern="^(publish|unpublish|archive|schedule)$")],
    publish_at: Annotated[str, Form(max_length=40)] = "",
    tz_offset: Annotated[int, Form(ge=-840, le=720)] = 0,  # getTimezoneOffset(): UTC+14 is -840, UTC-12 is 720
) -> Response:
    """Publish, unpublish, archive, or schedule publication (the time is in the editor's time zone)."""
    article_id = article.id
    if action == "schedule":
        try:
            local = datetime.fromisoformat(publish_at)
        except ValueError as exc:
            raise ValidationError(N_("give the publication time as YYYY-MM-DDTHH:MM")) from exc
        when = articles.publication_time(local, utc_offset_minutes=tz_offset)
        articles.set_status(session, article=article, status=ArticleStatus.draft, publish_at=when)
        return redirect(f"/admin/articles/{article_id}", "scheduled")
    status = {"publish": ArticleStatus.published, "unpublish": ArticleStatus.draft, "archive": ArticleStatus.archived}
    articles.set_status(session, article=article, status=status[action])
    notice = {"publish": "published", "unpublish": "unpublished", "archive": "archived"}[action]
    return redirect(f"/admin/articles/{article_id}", notice)


@router.post("/preview", response_class=HTMLResponse, dependencies=[Csrf])
def preview(user: EditorDep, body: Annotated[str, Form(max_length=200_000)] = "") -> Response:
    """The editor's live preview: the same renderer and sanitiser as the public page."""
    response = HTMLResponse(render(body))
    response.headers["Content-Security-Policy"] = "default-src 'none'; img-src 'self'"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@router.get("/articles/{article_id}/revisions", response_class=HTMLResponse)
def revision_list(
    request: Request,
    user: EditorDep,
    article: ArticleDep,
    session: SessionDep,
    old: int | None = None,
    new: int | None = None,
) -> Response:
    """Every saved revision, and the diff between two of them (the last two by default)."""
    context = _revisions_context(session, article=article, old=old, new=new)
    return page(request, "admin/revisions.html", context, user=user)


def _revisions_context(session: Session, *, article: Article, old: int | None, new: int | None) -> dict[str, Any]:
    revisions = articles.revisions(session, article=article)
    diff_lines: list[str] = []
    if len(revisions) >= 2 or (old and new):
        new = new or revisions[0].number
        old = old or revisions[1].number
        diff_lines = articles.diff_revisions(session, article=article, old=old, new=new).splitlines()
    context = {"article": article, "revisions": revisions, "old": old, "new": new, "diff_lines": diff_lines}
    return context | {"overtaken_from": None}  # the version a refused restore was chosen from


@router.post("/articles/{article_id}/revisions/{number}/restore", dependencies=[Csrf])
def restore(
    user: EditorDep,
    article: ArticleDep,
    number: RowId,
    session: SessionDep,
    version: Annotated[int | None, Form(ge=0, le=MAX_ID)] = None,
) -> Response:
    """Restore an old revision as a new one, unless someone saved the article since the page was opened
    (``version``): restoring then would undo their save unseen, so the page comes back with it listed."""
    article_id = article.id or 0
    try:
        articles.restore_revision(session, article=article, number=number, author=user.email, expected_version=version)
    except EditConflict as exc:

        def overtaken() -> dict[str, Any]:
            saved = editorial.get_article(session, article_id=article_id)
            return _revisions_context(session, article=saved, old=None, new=None) | {"overtaken_from": version}

        raise FormRefused(session, "admin/revisions.html", overtaken, user=user, status_code=409) from exc
    return redirect(f"/admin/articles/{article_id}/revisions", "restored")
