"""Admin JSON API under /api/v1/admin: write access to articles and categories with an API token."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from api.admin_schemas import (
    CONFLICT_RESPONSE,
    AdminArticle,
    AdminArticlePage,
    AdminCategory,
    ArticleCreate,
    ArticleUpdate,
    CategoryIn,
    CategoryUpdate,
    Revision,
    StatusChange,
)
from api.auth import ApiEditorDep
from api.deps import SessionDep, SettingsDep
from api.etags import ETAG_HEADER, IfMatch, etag, expected_version
from api.params import Offset, RowId
from api.resources import ArticleDep, CategoryDep
from helpcenter import articles, categories, editorial
from helpcenter.models import ArticleStatus

router = APIRouter(prefix="/api/v1/admin", tags=["admin"])


def _category_id(session: SessionDep, slug: str | None) -> int | None:
    return categories.get_category(session, slug=slug).id if slug else None


@router.get("/articles", response_model=AdminArticlePage)
def list_articles(
    user: ApiEditorDep,
    session: SessionDep,
    settings: SettingsDep,
    status: ArticleStatus | None = None,
    locale: str | None = None,
    category: str | None = None,
    missing_translation: Annotated[
        str | None, Query(description="only articles with no version in this locale")
    ] = None,
    q: Annotated[str, Query(max_length=200)] = "",
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Offset = 0,
) -> AdminArticlePage:
    """Articles in every status, filtered, most recently updated first."""
    rows, total = editorial.list_articles(
        session,
        locales=settings.locales,
        status=status,
        locale=locale,
        category_id=_category_id(session, category),
        missing_locale=missing_translation,
        query=q,
        limit=limit,
        offset=offset,
    )
    return AdminArticlePage(total=total, items=[AdminArticle.of(r.article) for r in rows])


@router.post("/articles", response_model=AdminArticle, status_code=201)
def create_article(body: ArticleCreate, user: ApiEditorDep, session: SessionDep, settings: SettingsDep) -> AdminArticle:
    """Create an article (a draft by default); ``translation_of`` links it to another locale's version."""
    source = editorial.get_article(session, article_id=body.translation_of) if body.translation_of else None
    article = articles.create_article(
        session,
        locale=body.locale,
        locales=settings.locales,
        title=body.title,
        body=body.body,
        author=user.email,
        slug=body.slug,
        category_id=_category_id(session, body.category),
        tags=body.tags,
        intents=body.intents,
        position=body.position,
        translation_group=source.translation_group if source else None,
    )
    if body.status is not ArticleStatus.draft:
        articles.set_status(session, article=article, status=body.status)
    session.flush()
    return AdminArticle.of(article)


@router.get("/articles/{article_id}", response_model=AdminArticle, responses={200: {"headers": ETAG_HEADER}})
def get_article(user: ApiEditorDep, article: ArticleDep, response: Response) -> AdminArticle:
    """One article in any status; its ``ETag`` is its version."""
    etag(response, article.version)
    return AdminArticle.of(article)


@router.patch(
    "/articles/{article_id}",
    response_model=AdminArticle,
    responses={200: {"headers": ETAG_HEADER}, **CONFLICT_RESPONSE},
)
def update_article(
    user: ApiEditorDep,
    article: ArticleDep,
    body: ArticleUpdate,
    session: SessionDep,
    response: Response,
    if_match: IfMatch = None,
) -> AdminArticle:
    """Change fields; saved as a new revision and version. With ``version`` (or ``If-Match``), a save
    made from an older version than the one saved now is a 409 with ``current_version``."""
    category_id = article.category_id
    if body.category is not None:
        category_id = _category_id(session, body.category or None)
    articles.update_article(
        session,
        article=article,
        author=user.email,
        title=body.title,
        body=body.body,
        slug=body.slug,
        tags=body.tags,
        intents=body.intents,
        category_id=category_id,
        position=body.position,
        expected_version=expected_version(if_match, body.version),
    )
    session.flush()
    etag(response, article.version)
    return AdminArticle.of(article)


@router.post("/articles/{article_id}/status", response_model=AdminArticle)
def change_status(user: ApiEditorDep, article: ArticleDep, body: StatusChange, session: SessionDep) -> AdminArticle:
    """Publish, unpublish, archive, or schedule publication."""
    when = articles.publication_time(body.publish_at) if body.publish_at is not None else None
    articles.set_status(session, article=article, status=body.status, publish_at=when)
    session.flush()
    return AdminArticle.of(article)


@router.get("/articles/{article_id}/revisions", response_model=list[Revision])
def list_revisions(user: ApiEditorDep, article: ArticleDep, session: SessionDep) -> list[Revision]:
    """Every revision, newest first."""
    return [Revision.of(r) for r in articles.revisions(session, article=article)]


@router.post(
    "/articles/{article_id}/revisions/{number}/restore",
    response_model=AdminArticle,
    responses={200: {"headers": ETAG_HEADER}, **CONFLICT_RESPONSE},
)
def restore_revision(
    user: ApiEditorDep,
    article: ArticleDep,
    number: RowId,
    session: SessionDep,
    response: Response,
    if_match: IfMatch = None,
) -> AdminArticle:
    """Bring back an old revision's content as a new revision. With ``If-Match``, a restore chosen from an
    older version than the one saved now (it would undo that save unseen) is a 409 with ``current_version``."""
    articles.restore_revision(
        session, article=article, number=number, author=user.email, expected_version=expected_version(if_match, None)
    )
    session.flush()
    etag(response, article.version)
    return AdminArticle.of(article)


@router.get("/categories", response_model=list[AdminCategory])
def list_categories(user: ApiEditorDep, session: SessionDep) -> list[AdminCategory]:
    """All categories with their names in every locale."""
    return [AdminCategory.of(c) for c in categories.list_categories(session)]


@router.post("/categories", response_model=AdminCategory, status_code=201)
def create_category(body: CategoryIn, user: ApiEditorDep, session: SessionDep, settings: SettingsDep) -> AdminCategory:
    """Create a category (names and descriptions in the configured locales)."""
    category = categories.create_category(
        session,
        slug=body.slug,
        names=body.names,
        descriptions=body.descriptions,
        position=body.position,
        locales=settings.locales,
    )
    return AdminCategory.of(category)


@router.patch(
    "/categories/{category_id}",
    response_model=AdminCategory,
    responses={200: {"headers": ETAG_HEADER}, **CONFLICT_RESPONSE},
)
def update_category(
    user: ApiEditorDep,
    category: CategoryDep,
    body: CategoryUpdate,
    session: SessionDep,
    settings: SettingsDep,
    response: Response,
    if_match: IfMatch = None,
) -> AdminCategory:
    """Rename, describe or reorder a category. With ``version`` (or ``If-Match``), a save made from an
    older version than the one saved now is a 409 with ``current_version``."""
    categories.update_category(
        session,
        category=category,
        names=body.names,
        descriptions=body.descriptions,
        position=body.position,
        expected_version=expected_version(if_match, body.version),
        locales=settings.locales,
    )
    etag(response, category.version)
    return AdminCategory.of(category)


@router.delete("/categories/{category_id}", status_code=204)
def delete_category(
    user: ApiEditorDep, category: CategoryDep, session: SessionDep, if_match: IfMatch = None
) -> Response:
    """Delete an empty category; with ``If-Match``, only the version named there (else a 409)."""
    categories.delete_category(session, category=category, expected_version=expected_version(if_match, None))
    return Response(status_code=204)
