"""Public JSON API of the help center."""

from __future__ import annotations

from fastapi import APIRouter, Query
from pydantic import BaseModel

from api.deps import LocaleDep, SessionDep
from helpcenter import search

router = APIRouter(prefix="/api/v1", tags=["help center"])


class ArticleHit(BaseModel):
    """A search result."""

    slug: str
    locale: str
    title: str
    url: str
    snippet_html: str
    score: float


@router.get("/search", response_model=list[ArticleHit])
def search_articles(
    session: SessionDep, locale: LocaleDep, q: str = Query(..., min_length=1, max_length=200), limit: int = 10
) -> list[ArticleHit]:
    """Published help-center articles matching ``q`` in a locale, best first."""
    hits = search.search(session, query=q, locale=locale, limit=max(1, min(limit, 50)))
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
