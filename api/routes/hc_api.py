"""Public JSON API of the help center: search, published articles and categories, votes."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request

from api.deps import LimiterDep, LocaleDep, SessionDep, SettingsDep, known_locale
from api.params import Offset, RowId
from api.ratelimit import count_search, count_vote
from api.schemas import ArticleDetail, ArticleHit, ArticleSummary, CategoryOut, VoteIn, VoteOut
from helpcenter import categories, public, search
from helpcenter.markdown import render
from helpcenter.models import Article, Category

router = APIRouter(prefix="/api/v1", tags=["help center"])


@router.get("/search", response_model=list[ArticleHit])
def search_articles(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    limiter: LimiterDep,
    locale: LocaleDep,
    q: Annotated[str, Query(min_length=1, max_length=200)],
    limit: Annotated[int, Query(ge=1, le=50)] = 10,
) -> list[ArticleHit]:
    """Published help-center articles matching ``q`` in a locale, best first."""
    count_search(limiter, request, settings.search_rate_limit)
    hits = search.search(session, query=q, locale=locale, limit=limit)
    return [
        ArticleHit(
            slug=h.article.slug,
            locale=h.article.locale,
            title=h.article.title,
            url=f"/hc/{h.article.locale}/articles/{h.article.slug}",
            snippet_html=h.snippet_html,
            score=round(h.score, 4),
        )
        for h in hits
    ]


def _summary_fields(article: Article, category_slugs: dict[int, str]) -> dict[str, object]:
    assert article.id is not None
    return {
        "id": article.id,
        "slug": article.slug,
        "locale": article.locale,
        "title": article.title,
        "category": category_slugs.get(article.category_id) if article.category_id is not None else None,
        "tags": list(article.tags),
        "updated_at": article.updated_at,
        "url": f"/hc/{article.locale}/articles/{article.slug}",
    }


def _category_slugs(categories: Sequence[Category]) -> dict[int, str]:
    return {c.id: c.slug for c in categories if c.id is not None}


@router.get("/articles", response_model=list[ArticleSummary])
def list_articles(
    session: SessionDep,
    settings: SettingsDep,
    locale: Annotated[str | None, Query(max_length=16)] = None,
    category: Annotated[str | None, Query(max_length=120, description="A category slug")] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    offset: Offset = 0,
    sort: Annotated[
        Literal["position", "popular"],
        Query(
            description="`position`: by locale, position, title; `popular`: most read and found helpful first "
            "(per language with `locale`)"
        ),
    ] = "position",
) -> list[ArticleSummary]:
    """Published articles (without body), optionally of one locale and category, in the editors' order or by
    popularity (views weighted by the share of helpful votes)."""
    if locale is not None:
        known_locale(locale, settings)
    category_id = categories.get_category(session, slug=category).id if category is not None else None
    articles = public.list_published(
        session, locale=locale, category_id=category_id, limit=limit, offset=offset, popular=sort == "popular"
    )
    slugs = _category_slugs(categories.list_categories(session))
    return [ArticleSummary.model_validate(_summary_fields(a, slugs)) for a in articles]


@router.get("/articles/{article_id}", response_model=ArticleDetail)
def get_article(article_id: RowId, session: SessionDep) -> ArticleDetail:
    """One published article with its Markdown body and sanitised HTML."""
    article = public.get_published(session, article_id=article_id)
    slugs = _category_slugs(categories.list_categories(session))
    return ArticleDetail.model_validate(
        {**_summary_fields(article, slugs), "body": article.body, "html": render(article.body)}
    )


@router.get("/categories", response_model=list[CategoryOut])
def list_categories(session: SessionDep, locale: LocaleDep) -> list[CategoryOut]:
    """Categories in display order, named in the locale, with their published article counts there."""
    counts = public.published_counts(session, locale=locale)
    return [
        CategoryOut(
            slug=c.slug,
            name=c.names.get(locale) or c.slug,
            description=c.descriptions.get(locale, ""),
            article_count=counts.get(c.id, 0) if c.id is not None else 0,
        )
        for c in categories.list_categories(session)
    ]


@router.post("/articles/{article_id}/votes", response_model=VoteOut, status_code=201)
def vote_on_article(
    article_id: RowId, body: VoteIn, session: SessionDep, settings: SettingsDep, limiter: LimiterDep, request: Request
) -> VoteOut:
    """Record a "Was this helpful?" answer for a published article (limited per address, 429 beyond)."""
    count_vote(limiter, request, settings.vote_rate_limit)
    article = public.get_published(session, article_id=article_id)
    entry = public.vote(session, article=article, helpful=body.helpful, comment=body.comment)
    session.flush()  # assigns the id
    assert entry.id is not None
    return VoteOut(id=entry.id, helpful=entry.helpful)
