"""Public help-center pages: home, article, search (server-rendered, escaped by Jinja2)."""

from __future__ import annotations

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.deps import LocaleDep, SessionDep
from api.templating import templates
from core.errors import NotFoundError
from helpcenter import search, service
from helpcenter.markdown import render

router = APIRouter(tags=["help center pages"], include_in_schema=False)


@router.get("/hc/{locale}/", response_class=HTMLResponse)
def home(request: Request, locale: LocaleDep, session: SessionDep) -> Response:
    """Categories with their articles, the most read articles and a search box."""
    categories = service.list_categories(session)
    articles = service.published_articles(session, locale=locale)
    by_category: dict[int | None, list] = {}
    for article in articles:
        by_category.setdefault(article.category_id, []).append(article)
    popular = sorted(articles, key=lambda a: (-a.views, a.title))[:5]
    context = {"locale": locale, "categories": categories, "by_category": by_category, "popular": popular}
    return templates.TemplateResponse(request, "hc/home.html", context)


@router.get("/hc/{locale}/articles/{slug}", response_class=HTMLResponse)
def article_page(request: Request, locale: LocaleDep, slug: str, session: SessionDep) -> Response:
    """One article; a renamed slug redirects permanently, an unknown one gets a helpful 404."""
    article, redirected = service.find_published(session, locale=locale, slug=slug)
    if article is None:
        raise NotFoundError(f"no article {slug!r} in {locale!r}")
    if redirected:
        return RedirectResponse(f"/hc/{locale}/articles/{article.slug}", status_code=301)
    service.count_view(session, article=article)
    context = {
        "locale": locale,
        "article": article,
        "body_html": render(article.body),
        "translations": service.translations(session, article=article),
        "category": service.category_of(session, article=article),
        "related": service.related(session, article=article),
    }
    return templates.TemplateResponse(request, "hc/article.html", context)


@router.get("/hc/{locale}/search", response_class=HTMLResponse)
def search_page(
    request: Request, locale: LocaleDep, session: SessionDep, q: str = Query("", max_length=200)
) -> Response:
    """Ranked results with highlighted snippets."""
    hits = search.search(session, query=q, locale=locale) if q.strip() else []
    return templates.TemplateResponse(request, "hc/search.html", {"locale": locale, "query": q, "hits": hits})
