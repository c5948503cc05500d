"""Full-text search per locale behind one interface: SQLite FTS5 or PostgreSQL tsvector.

Both engines index the same thing, the Snowball stems of the article (``core.text``), so
"Rücksendung" finds "Rücksendungen" and "retourneren" finds "retourneer" on either database.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from sqlalchemy import text
from sqlmodel import Session

from core.text import stems, tokens
from helpcenter.markdown import plain_text
from helpcenter.models import Article, ArticleSearchDoc, ArticleStatus, SearchMiss

TITLE_WEIGHT = 3  # title stems are repeated so a match in the title ranks higher
_SENTENCE = re.compile(r"(?<=[.!?])\s+|\n+")
_WORD = re.compile(r"[^\W_]+")


@dataclass
class SearchHit:
    """One ranked result with a highlighted snippet (already HTML-escaped)."""

    article: Article
    score: float
    snippet_html: str


def _terms(article: Article) -> str:
    title = stems(tokens(article.title), article.locale)
    body = stems(tokens(plain_text(article.body)), article.locale)
    tags = stems([t for tag in article.tags for t in tokens(tag)], article.locale)
    return " ".join(title * TITLE_WEIGHT + tags + body)


def index(session: Session, *, article: Article) -> None:
    """(Re)index one article."""
    assert article.id is not None
    terms = _terms(article)
    doc = session.get(ArticleSearchDoc, article.id)
    if doc is None:
        session.add(ArticleSearchDoc(article_id=article.id, locale=article.locale, terms=terms))
    else:
        doc.locale, doc.terms = article.locale, terms
        session.add(doc)
    if session.get_bind().dialect.name == "sqlite":
        session.execute(text("DELETE FROM article_fts WHERE rowid = :id"), {"id": article.id})
        session.execute(
            text("INSERT INTO article_fts(rowid, terms) VALUES (:id, :terms)"), {"id": article.id, "terms": terms}
        )
    session.flush()


def search(session: Session, *, query: str, locale: str, limit: int = 20, record_miss: bool = True) -> list[SearchHit]:
    """Published articles of a locale matching the query, best first; a miss is recorded."""
    query_stems = list(dict.fromkeys(stems(tokens(query), locale)))[:20]
    if not query_stems:
        return []
    ranked = _match(session, query_stems, locale, limit, require_all=True)
    if not ranked:
        ranked = _match(session, query_stems, locale, limit, require_all=False)
    hits = []
    for article_id, score in ranked:
        article = session.get(Article, article_id)
        if article is not None and article.status == ArticleStatus.published:
            hits.append(SearchHit(article, score, snippet(article, set(query_stems))))
    if not hits and record_miss:
        session.add(SearchMiss(locale=locale, query=query.strip()[:500]))
    return hits


def _match(
    session: Session, query_stems: list[str], locale: str, limit: int, *, require_all: bool
) -> list[tuple[int, float]]:
    published = "(SELECT id FROM article WHERE status = 'published' AND locale = :locale)"
    if session.get_bind().dialect.name == "sqlite":
        joiner = " AND " if require_all else " OR "
        match = joiner.join(f'"{s}"*' for s in query_stems)
        sql = (
            f"SELECT rowid, -bm25(article_fts) AS score FROM article_fts WHERE article_fts MATCH :match "
            f"AND rowid IN {published} ORDER BY score DESC LIMIT :limit"
        )
        rows = session.execute(text(sql), {"match": match, "locale": locale, "limit": limit})
    else:
        joiner = " & " if require_all else " | "
        tsquery = joiner.join(f"'{s}':*" for s in query_stems)
        sql = (
            "SELECT article_id, ts_rank(to_tsvector('simple', terms), to_tsquery('simple', :q)) AS score "
            "FROM articlesearchdoc WHERE locale = :locale "
            "AND to_tsvector('simple', terms) @@ to_tsquery('simple', :q) "
            f"AND article_id IN {published} ORDER BY score DESC LIMIT :limit"
        )
        rows = session.execute(text(sql), {"q": tsquery, "locale": locale, "limit": limit})
    return [(int(r[0]), float(r[1])) for r in rows]


def snippet(article: Article, query_stems: set[str], width: int = 220) -> str:
    """The sentence that matches best, escaped, with matching words in ``<mark>``."""
    sentences = [s.strip() for s in _SENTENCE.split(plain_text(article.body)) if s.strip()] or [article.title]

    def hits(sentence: str) -> int:
        return sum(stem in query_stems for stem in stems(tokens(sentence), article.locale))

    best = max(sentences, key=hits)[:width]
    out, last = [], 0
    for m in _WORD.finditer(best):
        word = m.group(0)
        if stems([word.lower()], article.locale)[0] in query_stems:
            out.append(html.escape(best[last : m.start()]))
            out.append(f"<mark>{html.escape(word)}</mark>")
            last = m.end()
    out.append(html.escape(best[last:]))
    return "".join(out)
