"""Public help-center pages: home, categories, articles with feedback, search (server-rendered, escaped)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import urlencode

from babel.numbers import format_decimal
from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session

from api.deps import LimiterDep, LocaleDep, PageLocaleDep, SecretKeyDep, SessionDep, SettingsDep
from api.hc_visits import CountVisit, VisitCookieRoute, is_robot
from api.ratelimit import RateLimited, count_search, count_vote, counts_as_view
from api.schemas import COMMENT_MAX
from api.templating import templates
from core.errors import ConflictError, NotFoundError, ValidationError
from core.i18n import gettext_for, language_name
from core.settings import Settings
from helpcenter import categories, public, related, search
from helpcenter.markdown import render
from helpcenter.models import Article
from support import appearance

router = APIRouter(tags=["help center pages"], include_in_schema=False, route_class=VisitCookieRoute)


@dataclass(frozen=True)
class LanguageLink:
    """One entry of the language switcher (and a hreflang alternate)."""

    locale: str
    href: str
    name: str
    current: bool


def _language_links(settings: Settings, current: str, hrefs: Mapping[str, str]) -> list[LanguageLink]:
    return [
        LanguageLink(locale=loc, href=hrefs[loc], name=language_name(loc), current=loc == current)
        for loc in settings.locales
        if loc in hrefs
    ]


def _everywhere(settings: Settings, path: str) -> dict[str, str]:
    """The same page in every configured locale; ``path`` has a ``{locale}`` placeholder."""
    return {loc: path.format(locale=loc) for loc in settings.locales}


@router.get("/hc/{locale}/", response_class=HTMLResponse, dependencies=[CountVisit])
def home(request: Request, locale: PageLocaleDep, session: SessionDep, settings: SettingsDep) -> Response:
    """Categories with their articles, the most read articles and a search box."""
    all_categories = categories.list_categories(session)
    articles = public.published_articles(session, locale=locale)
    by_category: dict[int | None, list[Article]] = {}
    for article in articles:
        by_category.setdefault(article.category_id, []).append(article)
    popular = public.popular_articles(session, locale=locale, limit=5)
    context = {
        "locale": locale,
        "categories": all_categories,
        "by_category": by_category,
        "popular": popular,
        "language_links": _language_links(settings, locale, _everywhere(settings, "/hc/{locale}/")),
        "chat_widget": appearance.chat_on_help_center(session),
    }
    return templates.TemplateResponse(request, "hc/home.html", context)


@router.get("/hc/{locale}/categories/{slug}", response_class=HTMLResponse, dependencies=[CountVisit])
def category_page(
    request: Request, locale: PageLocaleDep, slug: str, session: SessionDep, settings: SettingsDep
) -> Response:
    """A category's published articles in the locale; an unknown category gets the helpful 404."""
    category = categories.get_category(session, slug=slug)
    assert category.id is not None
    context = {
        "locale": locale,
        "category": category,
        "articles": public.articles_in_category(session, locale=locale, category_id=category.id),
        "language_links": _language_links(
            settings, locale, _everywhere(settings, f"/hc/{{locale}}/categories/{category.slug}")
        ),
        "chat_widget": appearance.chat_on_help_center(session),
    }
    return templates.TemplateResponse(request, "hc/category.html", context)


def _article_response(
    request: Request,
    session: Session,
    settings: Settings,
    article: Article,
    *,
    status_code: int = 200,
    feedback: Mapping[str, Any] | None = None,
) -> Response:
    translations = public.translations(session, article=article)
    hrefs = {t.locale: f"/hc/{t.locale}/articles/{t.slug}" for t in [article, *translations]}
    context = {
        "locale": article.locale,
        "article": article,
        "body_html": render(article.body),
        "translations": translations,
        "category": categories.category_of(session, article=article),
        "related": related.related_articles(session, article=article),
        "language_links": _language_links(settings, article.locale, hrefs),
        "comment_max": COMMENT_MAX,
        "chat_widget": appearance.chat_on_help_center(session),
        "feedback_thanks": False,
        "feedback_error": None,
        "feedback_choice": None,
        "feedback_comment": "",
        "feedback_ticket": None,
        **(feedback or {}),
    }
    return templates.TemplateResponse(request, "hc/article.html", context, status_code=status_code)


def _published_or_404(session: Session, *, locale: str, slug: str) -> tuple[Article, bool]:
    article, redirected = public.find_published(session, locale=locale, slug=slug)
    if article is None:
        raise NotFoundError(f"no article {slug!r} in {locale!r}")
    return article, redirected


@router.get("/hc/{locale}/articles/{slug}", response_class=HTMLResponse, dependencies=[CountVisit])
def article_page(
    request: Request,
    locale: PageLocaleDep,
    slug: str,
    session: SessionDep,
    settings: SettingsDep,
    limiter: LimiterDep,
    feedback: Annotated[str | None, Query(max_length=20)] = None,
    ticket: Annotated[str, Query(max_length=80)] = "",
) -> Response:
    """One article; a renamed slug redirects permanently, an unknown one gets a helpful 404.

    ``feedback=thanks`` shows the thank-you; ``feedback=missing`` (after a No) asks what was missing.
    """
    article, redirected = _published_or_404(session, locale=locale, slug=slug)
    if redirected:
        return RedirectResponse(f"/hc/{locale}/articles/{article.slug}", status_code=301)
    thanks = feedback == "thanks"
    missing = feedback == "missing" and bool(ticket)
    # Coming back from the feedback form is not another read; robots and repeated reads are not people's.
    if (
        not (thanks or missing)
        and not is_robot(request)
        and counts_as_view(limiter, request, article.id or 0, settings.view_count_limit)
    ):
        public.count_view(session, article=article)
    state = {"feedback_thanks": thanks, "feedback_ticket": ticket if missing else None}
    return _article_response(request, session, settings, article, feedback=state)


@router.post("/hc/{locale}/articles/{slug}/feedback", response_class=HTMLResponse)
def article_feedback(
    request: Request,
    locale: LocaleDep,
    slug: str,
    session: SessionDep,
    settings: SettingsDep,
    limiter: LimiterDep,
    secret: SecretKeyDep,
    helpful: Annotated[str, Form()] = "",
    comment: Annotated[str, Form()] = "",
) -> Response:
    """The "Was this helpful?" form: record the vote, then back to the article with a thank-you (303)."""
    article, _redirected = _published_or_404(session, locale=locale, slug=slug)
    _ = gettext_for(locale)
    choice = helpful.strip().lower()
    text = comment.replace("\r\n", "\n").strip()  # browsers count a line break as one character
    error, retry_after = None, 0
    if choice not in ("yes", "no"):
        error = _("Please choose “Yes” or “No”.")
    elif len(text) > COMMENT_MAX:
        error = _("Your comment is too long: please keep it to %(max)s characters.") % {
            "max": format_decimal(COMMENT_MAX, locale=locale)
        }
    if error is None:
        try:  # one address cannot flood an article's votes
            count_vote(limiter, request, settings.vote_rate_limit)
        except RateLimited as exc:
            error = _("You have sent a lot of feedback in a short time. Please try again in a minute.")
            retry_after = exc.retry_after
    if error is not None:
        state = {"feedback_error": error, "feedback_choice": choice or None, "feedback_comment": text}
        status = 429 if retry_after else 422
        response = _article_response(request, session, settings, article, status_code=status, feedback=state)
        if retry_after:
            response.headers["Retry-After"] = str(retry_after)
        return response
    entry = public.vote(session, article=article, helpful=choice == "yes", comment=text or None)
    if choice == "no" and not text:  # a No: ask what was missing, on the same vote
        session.flush()
        query = urlencode({"feedback": "missing", "ticket": public.vote_ticket(entry, secret=secret)})
        return RedirectResponse(f"/hc/{locale}/articles/{article.slug}?{query}#feedback", status_code=303)
    return RedirectResponse(f"/hc/{locale}/articles/{article.slug}?feedback=thanks#feedback", status_code=303)


@router.post("/hc/{locale}/articles/{slug}/feedback/missing", response_class=HTMLResponse)
def article_feedback_missing(
    request: Request,
    locale: LocaleDep,
    slug: str,
    session: SessionDep,
    settings: SettingsDep,
    secret: SecretKeyDep,
    ticket: Annotated[str, Form(max_length=80)] = "",
    comment: Annotated[str, Form()] = "",
) -> Response:
    """The answer to "What was missing?" after a No: added to that vote, then the thank-you (303)."""
    article, _redirected = _published_or_404(session, locale=locale, slug=slug)
    _ = gettext_for(locale)
    text = comment.replace("\r\n", "\n").strip()
    thanks = RedirectResponse(f"/hc/{locale}/articles/{article.slug}?feedback=thanks#feedback", status_code=303)
    if len(text) > COMMENT_MAX:
        error = _("Your comment is too long: please keep it to %(max)s characters.") % {
            "max": format_decimal(COMMENT_MAX, locale=locale)
        }
    elif not text:
        error = _("Please write what was missing, or skip this question.")
    else:
        try:
            public.explain_vote(session, article=article, ticket=ticket, comment=text, secret=secret)
            return thanks
        except ConflictError:  # sent twice (a double click, the back button): the first one is kept
            return thanks
        except ValidationError:
            error = _("This feedback form has expired. Thank you anyway!")
    state = {"feedback_error": error, "feedback_ticket": ticket, "feedback_comment": text}
    return _article_response(request, session, settings, article, status_code=422, feedback=state)


@router.get("/hc/{locale}/search", response_class=HTMLResponse, dependencies=[CountVisit])
def search_page(
    request: Request,
    locale: PageLocaleDep,
    session: SessionDep,
    settings: SettingsDep,
    limiter: LimiterDep,
    q: Annotated[str, Query(max_length=200)] = "",
) -> Response:
    """Ranked results with highlighted snippets."""
    if q.strip():
        count_search(limiter, request, settings.search_rate_limit)
    hits = search.search(session, query=q, locale=locale) if q.strip() else []
    suffix = f"?{urlencode({'q': q})}" if q else ""
    links = _language_links(settings, locale, _everywhere(settings, "/hc/{locale}/search" + suffix))
    context = {
        "locale": locale,
        "query": q,
        "hits": hits,
        "language_links": links,
        "chat_widget": appearance.chat_on_help_center(session),
    }
    return templates.TemplateResponse(request, "hc/search.html", context)
