"""Related articles: published articles of the same locale sharing tags or category, from an index
kept per process."""

from __future__ import annotations

import heapq
import time
from collections import Counter
from dataclasses import dataclass

from sqlmodel import Session, col, select

from helpcenter.models import Article, ArticleStatus


@dataclass(frozen=True)
class _RelatedIndex:
    """Published articles of a locale by tag and by category (ids ascending)."""

    by_tag: dict[str, list[int]]
    by_category: dict[int | None, list[int]]
    category_of: dict[int, int | None]


# (database, locale) -> (read at, content version, index). Ranking related articles needs every published
# article's tags; reading them on each page view cost 10-14 ms with 5,000 articles. The index is rebuilt after
# any change made by this process, and at least every INDEX_TTL seconds for changes made by other processes
# (related links may lag that long behind another server's edits).
INDEX_TTL = 30.0
_INDEX: dict[tuple[str, str], tuple[float, int, _RelatedIndex]] = {}
_content_version = 0


def content_changed() -> None:
    """Note that published content changed, so this process rebuilds its related-articles index."""
    global _content_version
    _content_version += 1


def _related_index(session: Session, *, locale: str) -> _RelatedIndex:
    key = (str(session.get_bind().engine.url), locale)
    cached = _INDEX.get(key)
    if cached is not None and cached[1] == _content_version and time.monotonic() - cached[0] < INDEX_TTL:
        return cached[2]
    version, read_at = _content_version, time.monotonic()
    published = (Article.locale == locale, Article.status == ArticleStatus.published)
    columns = select(Article.id, Article.tags, Article.category_id).where(*published).order_by(col(Article.id))
    index = _RelatedIndex(by_tag={}, by_category={}, category_of={})
    for article_id, tags, category_id in session.exec(columns).all():
        assert article_id is not None
        for tag in set(tags):
            index.by_tag.setdefault(tag, []).append(article_id)
        index.by_category.setdefault(category_id, []).append(article_id)
        index.category_of[article_id] = category_id
    _INDEX[key] = (read_at, version, index)
    return index


def related_articles(session: Session, *, article: Article, limit: int = 4) -> list[Article]:
    """Published articles of the same locale sharing tags or category, most shared tags first."""
    index = _related_index(session, locale=article.locale)
    shared: Counter[int] = Counter()
    for tag in set(article.tags):
        shared.update(index.by_tag.get(tag, ()))
    candidates = (set(shared) | set(index.by_category.get(article.category_id, ()))) - {article.id}
    # Most shared tags, then the same category, then the older article: the order the page always had.
    ids = heapq.nsmallest(
        limit, candidates, key=lambda i: (-shared[i], -(index.category_of[i] == article.category_id), i)
    )
    if not ids:
        return []
    loaded = {a.id: a for a in session.exec(select(Article).where(col(Article.id).in_(ids)))}
    return [loaded[i] for i in ids if i in loaded]
