"""Back-office queries: the filtered article list, missing translations, counts, search misses, votes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import case, func, or_
from sqlmodel import Session, col, select

from core.errors import NotFoundError, ValidationError
from helpcenter.models import Article, ArticleStatus, ArticleVote, SearchMiss


@dataclass(frozen=True)
class ArticleRow:
    """One line of the back-office article list."""

    article: Article
    locales: list[str]  # locales of its translation group, this one included
    missing: list[str]  # configured locales with no version yet


def get_article(session: Session, *, article_id: int) -> Article:
    """An article in any status by id."""
    article = session.get(Article, article_id)
    if article is None:
        raise NotFoundError(f"no article {article_id}")
    return article


def list_articles(
    session: Session,
    *,
    locales: Sequence[str],
    status: ArticleStatus | None = None,
    locale: str | None = None,
    category_id: int | None = None,
    missing_locale: str | None = None,
    query: str = "",
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[ArticleRow], int]:
    """Articles matching the filters, most recently updated first, and how many match in all.

    An empty locale filter means every locale; an unknown one is an error, not an empty page.
    """
    for value in (locale, missing_locale):
        if value and value not in locales:
            raise ValidationError(f"unknown locale {value!r}; this help desk has {', '.join(locales)}")
    stmt = select(Article)
    if status is not None:
        stmt = stmt.where(Article.status == status)
    if locale:
        stmt = stmt.where(Article.locale == locale)
    if category_id is not None:
        stmt = stmt.where(Article.category_id == category_id)
    if query.strip():
        # autoescape: "%" and "_" typed are characters, not wildcards (a search for "%" listed every article).
        typed = query.strip().lower()
        title, slug = func.lower(Article.title), func.lower(Article.slug)
        stmt = stmt.where(or_(title.contains(typed, autoescape=True), slug.contains(typed, autoescape=True)))
    if missing_locale:
        has_it = select(Article.translation_group).where(Article.locale == missing_locale)
        stmt = stmt.where(Article.locale != missing_locale, col(Article.translation_group).not_in(has_it))
    total = session.exec(select(func.count()).select_from(stmt.subquery())).one()
    page = session.exec(
        stmt.order_by(col(Article.updated_at).desc(), col(Article.id).desc()).offset(offset).limit(limit)
    ).all()
    groups = {a.translation_group for a in page}
    present: dict[str, set[str]] = {}
    if groups:
        pairs = session.exec(
            select(Article.translation_group, Article.locale).where(col(Article.translation_group).in_(groups))
        )
        for group, loc in pairs.all():
            present.setdefault(group, set()).add(loc)
    rows = [
        ArticleRow(
            article=a,
            locales=sorted(present.get(a.translation_group, {a.locale})),
            missing=[loc for loc in locales if loc not in present.get(a.translation_group, {a.locale})],
        )
        for a in page
    ]
    return rows, int(total)


def translation_in(session: Session, *, article: Article, locale: str) -> Article | None:
    """The article's version in a locale (any status), if written."""
    return session.exec(
        select(Article).where(Article.translation_group == article.translation_group, Article.locale == locale)
    ).first()


def status_counts(session: Session) -> dict[str, dict[str, int]]:
    """Article counts per locale and status."""
    counts: dict[str, dict[str, int]] = {}
    rows = session.exec(select(Article.locale, Article.status, func.count()).group_by(Article.locale, Article.status))
    for loc, status, n in rows.all():
        counts.setdefault(loc, {})[str(status)] = n
    return counts


def recent_search_misses(session: Session, *, limit: int = 10) -> list[tuple[str, str, int]]:
    """The most frequent searches without results: (locale, query, times)."""
    rows = session.exec(
        select(SearchMiss.locale, func.lower(SearchMiss.query), func.count())
        .group_by(SearchMiss.locale, func.lower(SearchMiss.query))
        .order_by(func.count().desc())
        .limit(limit)
    )
    return [(loc, q, n) for loc, q, n in rows.all()]


def least_helpful(session: Session, *, limit: int = 10) -> list[tuple[Article, int, int]]:
    """Articles with the most "not helpful" votes: (article, helpful, not helpful)."""
    helpful = func.sum(case((col(ArticleVote.helpful), 1), else_=0))
    total = func.count()
    rows = session.exec(
        select(ArticleVote.article_id, helpful, total)
        .group_by(col(ArticleVote.article_id))
        .order_by((total - helpful).desc())
        .limit(limit)
    ).all()
    result = []
    for article_id, yes, n in rows:
        article = session.get(Article, article_id)
        if article is not None and n - (yes or 0) > 0:
            result.append((article, int(yes or 0), int(n - (yes or 0))))
    return result
