"""Back-office queries and edits: the filtered article list, missing translations, categories."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import case, func, or_
from sqlmodel import Session, col, select

from core.errors import ConflictError, NotFoundError, ValidationError
from core.versions import FieldChange, check_version, field_changes, flush_edit
from helpcenter.models import Article, ArticleStatus, ArticleVote, Category, SearchMiss


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
        like = f"%{query.strip().lower()}%"
        stmt = stmt.where(or_(func.lower(Article.title).like(like), func.lower(Article.slug).like(like)))
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


def update_category(
    session: Session,
    *,
    category: Category,
    names: dict[str, str] | None = None,
    descriptions: dict[str, str] | None = None,
    position: int | None = None,
    expected_version: int | None = None,
) -> Category:
    """Rename, describe or move a category (its slug stays: public URLs depend on it).

    ``expected_version`` is the version the editor started from: another one saved meanwhile is an
    ``EditConflict`` and nothing is written.
    """
    check_version(category, expected_version, what="This category")
    if names is not None:
        if not any(v.strip() for v in names.values()):
            raise ValidationError("a category needs a name in at least one locale")
        category.names = {k: v.strip() for k, v in names.items() if v.strip()}
    if descriptions is not None:
        category.descriptions = {k: v.strip() for k, v in descriptions.items() if v.strip()}
    if position is not None:
        category.position = position
    session.add(category)
    flush_edit(session, category, what="This category")
    return category


def category_changes(
    category: Category, *, names: dict[str, str], descriptions: dict[str, str], position: int | None
) -> list[FieldChange]:
    """The fields where the saved category differs from an editor's refused save, for the conflict page."""

    def fields(names: dict[str, str], descriptions: dict[str, str], position: str) -> dict[str, str]:
        per_locale = {f"name ({loc})": text.strip() for loc, text in names.items()}
        per_locale |= {f"description ({loc})": text.strip() for loc, text in descriptions.items()}
        return {**per_locale, "position": position}

    saved = fields(category.names, category.descriptions, str(category.position))
    yours = fields(names, descriptions, str(category.position if position is None else position))
    return field_changes(saved, yours)


def get_category_by_id(session: Session, *, category_id: int) -> Category:
    """A category by id."""
    category = session.get(Category, category_id)
    if category is None:
        raise NotFoundError(f"no category {category_id}")
    return category


def category_article_counts(session: Session) -> dict[int, int]:
    """How many articles (any status) each category holds."""
    rows = session.exec(
        select(Article.category_id, func.count())
        .where(col(Article.category_id).is_not(None))
        .group_by(col(Article.category_id))
    )
    return {cid: n for cid, n in rows.all() if cid is not None}


def delete_category(session: Session, *, category: Category) -> None:
    """Delete an empty category; one that still holds articles is refused."""
    if category_article_counts(session).get(category.id or -1):
        raise ConflictError("move or delete the category's articles first")
    session.delete(category)
