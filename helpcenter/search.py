"""Full-text search per locale behind one interface: SQLite FTS5 or PostgreSQL tsvector.

Both engines index the same thing, the Snowball stems of the article (``core.text``), so
"Rücksendung" finds "Rücksendungen" and "retourneren" finds "retourneer" on either database.

Typos: when no article has all of a query's words, each word that no published article of the
locale uses is replaced by the closest word that one does (edit distance 1, a swap of two letters
counting as one; 2 for words of eight letters or more), so "pasword", "wachtwoort" and
"geschenkverpakung" find their articles. A real word of the language (or of English) is replaced
only by another form of itself ("subscription" finds "subscribe", ``_variant``), never by another word
(``core.words``): "treinen" (trains) is not a typo of "trainen", nor "york" of "work", and the railways or
the time in New York must not find the help center's articles. The vocabulary is read from the index per
locale and kept until the locale's published articles change.
"""

from __future__ import annotations

import bisect
import html
import math
import os
import re
from dataclasses import dataclass
from functools import lru_cache
from threading import Lock

from rapidfuzz import process
from rapidfuzz.distance import OSA
from sqlalchemy import func, text
from sqlmodel import Session, col, select

from core.text import stems, tokens
from core.words import is_word
from helpcenter.markdown import plain_text
from helpcenter.models import Article, ArticleSearchDoc, ArticleStatus, SearchMiss

TITLE_WEIGHT = 3  # title stems are repeated so a match in the title ranks higher
# (database, locale) -> (published signature, index): rebuilt when the locale's published articles change.
_vocabularies: dict[tuple[str, str], tuple[tuple[int, str], TermIndex]] = {}
_vocabulary_lock = Lock()
_SENTENCE = re.compile(r"(?<=[.!?])\s+|\n+")
_WORD = re.compile(r"[^\W_]+")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


@dataclass
class SearchHit:
    """One ranked result with a highlighted snippet (already HTML-escaped)."""

    article: Article
    score: float
    snippet_html: str
    all_words: bool = False  # found by the pass that requires every word of the query
    corrected: tuple[str, ...] = ()  # the query's stems after typo correction, when a word was corrected


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
    with _vocabulary_lock:  # an edit that keeps count and timestamps still renews the words here
        _vocabularies.pop(cache_key(session, article.locale), None)
    if session.get_bind().dialect.name == "sqlite":
        session.execute(text("DELETE FROM article_fts WHERE rowid = :id"), {"id": article.id})
        session.execute(
            text("INSERT INTO article_fts(rowid, terms) VALUES (:id, :terms)"), {"id": article.id, "terms": terms}
        )
    session.flush()


def search(session: Session, *, query: str, locale: str, limit: int = 20, record_miss: bool = True) -> list[SearchHit]:
    """Published articles of a locale matching the query, best first; a miss is recorded."""
    words = tokens(query)
    stemmed = stems(words, locale)
    query_stems = list(dict.fromkeys(stemmed))[:20]
    if not query_stems:
        return []
    ranked = _match(session, query_stems, locale, limit, require_all=True)
    corrected: tuple[str, ...] = ()
    if not ranked:  # a word no article uses may be a typo of one that is used, unless it is a word itself
        real = {stem for word, stem in zip(words, stemmed, strict=True) if is_word(word, locale)}
        fixed = _corrected(session, query_stems, locale, keep=real)
        if fixed != query_stems:
            query_stems, corrected = fixed, tuple(fixed)
            ranked = _match(session, query_stems, locale, limit, require_all=True)
    all_words = bool(ranked)
    if not ranked:
        ranked = _match(session, query_stems, locale, limit, require_all=False)
    # One query for all hits, not one per hit.
    ids = [article_id for article_id, _ in ranked]
    articles = {a.id: a for a in session.exec(select(Article).where(col(Article.id).in_(ids)))}
    hits = []
    for article_id, score in ranked:
        article = articles.get(article_id)
        if article is not None and article.status == ArticleStatus.published:
            hits.append(SearchHit(article, score, snippet(article, set(query_stems)), all_words, corrected))
    if not hits and record_miss:
        # Control characters (a NUL the database would refuse, failing the whole search) say nothing.
        session.add(SearchMiss(locale=locale, query=_CONTROL.sub("", query).strip()[:500]))
    return hits


def _corrected(session: Session, query_stems: list[str], locale: str, *, keep: set[str]) -> list[str]:
    """The query's stems with each unknown one replaced by the closest known stem, if one is close; those in
    ``keep`` (real words) only by another form of themselves."""
    vocabulary = term_index(session, locale).vocabulary
    out = []
    for stem in query_stems:
        at = bisect.bisect_left(vocabulary, stem)
        known = at < len(vocabulary) and vocabulary[at].startswith(stem)  # searched as a prefix
        if known or len(stem) < 4:
            out.append(stem)
            continue
        limit = 1 if len(stem) < 8 else 2
        match = process.extractOne(stem, vocabulary, scorer=OSA.distance, score_cutoff=limit)
        if match and stem in keep and not _variant(stem, str(match[0])):
            match = None  # a word of its own, not a form of the article's word
        out.append(str(match[0]) if match else stem)
    return out


def _variant(stem: str, other: str) -> bool:
    """Whether two stems are forms of one word the stemmer left apart ("subscript" of subscription, "subscrib"
    of subscribe): they differ only in their last two letters, after at least five in common."""
    return len(os.path.commonprefix([stem, other])) >= max(5, len(stem) - 2)


@dataclass(frozen=True)
class TermIndex:
    """The stems of a locale's published articles: sorted vocabulary, each article's stems, document counts."""

    vocabulary: list[str]
    terms: dict[int, frozenset[str]]
    df: dict[str, int]

    def expand(self, stem: str, cap: int = 64) -> list[str]:
        """The indexed stems the query stem matches (it is searched as a prefix)."""
        at = bisect.bisect_left(self.vocabulary, stem)
        out: list[str] = []
        while at < len(self.vocabulary) and self.vocabulary[at].startswith(stem) and len(out) < cap:
            out.append(self.vocabulary[at])
            at += 1
        return out

    def coverage(self, query_stems: list[str], article_ids: list[int]) -> dict[int, float]:
        """Per article: the IDF-weighted share of the query's stems it holds ("wie", "der" weigh little)."""
        n = len(self.terms)
        weights, matches = [], []
        for stem in dict.fromkeys(query_stems):
            forms = set(self.expand(stem))
            df = max((self.df[f] for f in forms), default=0)
            weights.append(math.log((n + 1) / (df + 1)) + 1.0)
            matches.append(forms)
        total = sum(weights)
        out = {}
        for article_id in article_ids:
            held = self.terms.get(article_id, frozenset())
            out[article_id] = sum(w for w, forms in zip(weights, matches, strict=True) if forms & held) / total
        return out


def cache_key(session: Session, locale: str) -> tuple[str, str]:
    """Which database and locale an in-process cache entry belongs to."""
    return session.get_bind().engine.url.render_as_string(hide_password=True), locale


def published_signature(session: Session, locale: str) -> tuple[int, str]:
    """How many articles of the locale are published and the latest edit: changes when they do."""
    count, latest = session.exec(
        select(func.count(), func.max(Article.updated_at)).where(
            col(Article.locale) == locale, col(Article.status) == ArticleStatus.published
        )
    ).one()
    return int(count), str(latest)


def term_index(session: Session, locale: str, *, signature: tuple[int, str] | None = None) -> TermIndex:
    """The locale's term index, rebuilt when its published articles change (``signature``, if the
    caller has just read it)."""
    key = cache_key(session, locale)
    signature = signature or published_signature(session, locale)
    with _vocabulary_lock:
        cached = _vocabularies.get(key)
    if cached is not None and cached[0] == signature:
        return cached[1]
    rows = session.exec(
        select(ArticleSearchDoc.article_id, ArticleSearchDoc.terms)
        .join(Article, col(Article.id) == col(ArticleSearchDoc.article_id))
        .where(col(Article.locale) == locale, col(Article.status) == ArticleStatus.published)
    ).all()
    terms = {int(article_id): frozenset(text.split()) for article_id, text in rows}
    df: dict[str, int] = {}
    for held in terms.values():
        for term in held:
            df[term] = df.get(term, 0) + 1
    index = TermIndex(sorted(df), terms, df)
    with _vocabulary_lock:
        _vocabularies[key] = (signature, index)
    return index


# Stems this long or longer also match as prefixes ("retour" finds "retourneren"); a shorter one only as
# itself: "s" or "b" as a prefix matched nearly every article ("<b>…</script>" found 20, all scoring 0).
PREFIX_FROM = 3


def _match(
    session: Session, query_stems: list[str], locale: str, limit: int, *, require_all: bool
) -> list[tuple[int, float]]:
    if session.get_bind().dialect.name == "sqlite":
        joiner = " AND " if require_all else " OR "
        match = joiner.join(f'"{s}"*' if len(s) >= PREFIX_FROM else f'"{s}"' for s in query_stems)
        # CROSS JOIN keeps the full-text match as the outer loop. With "rowid IN (published ids)" SQLite runs
        # the MATCH once per published id of the locale: 50 ms to 2.7 s per query with 5,000 articles.
        sql = (
            "SELECT f.rowid, -bm25(article_fts) AS score FROM article_fts AS f CROSS JOIN article AS a "
            "ON a.id = f.rowid WHERE article_fts MATCH :match AND a.status = 'published' AND a.locale = :locale "
            "ORDER BY score DESC LIMIT :limit"
        )
        rows = session.execute(text(sql), {"match": match, "locale": locale, "limit": limit})
    else:
        joiner = " & " if require_all else " | "
        tsquery = joiner.join(f"'{s}':*" if len(s) >= PREFIX_FROM else f"'{s}'" for s in query_stems)
        # tsv is a stored generated column with a GIN index (migration 0004): ranking reads it instead of
        # rebuilding to_tsvector for every matching row (667 ms -> 8 ms for a common prefix, 5,000 articles).
        sql = (
            "SELECT d.article_id, ts_rank(d.tsv, q) AS score "
            "FROM articlesearchdoc AS d JOIN article AS a ON a.id = d.article_id, to_tsquery('simple', :q) AS q "
            "WHERE d.locale = :locale AND d.tsv @@ q AND a.status = 'published' AND a.locale = :locale "
            "ORDER BY score DESC LIMIT :limit"
        )
        rows = session.execute(text(sql), {"q": tsquery, "locale": locale, "limit": limit})
    return [(int(r[0]), float(r[1])) for r in rows]


def snippet(article: Article, query_stems: set[str], width: int = 220) -> str:
    """The sentence that matches best, escaped, with matching words in ``<mark>``."""
    sentences = _sentences(article.body, article.locale) or ((article.title, ()),)

    def hits(sentence: tuple[str, tuple[str, ...]]) -> int:
        return sum(stem in query_stems for stem in sentence[1])

    best = max(sentences, key=hits)[0][:width]
    out, last = [], 0
    for m in _WORD.finditer(best):
        word = m.group(0)
        if _stem(word.lower(), article.locale) in query_stems:
            out.append(html.escape(best[last : m.start()]))
            out.append(f"<mark>{html.escape(word)}</mark>")
            last = m.end()
    out.append(html.escape(best[last:]))
    return "".join(out)


# Each search makes a snippet for up to 20 hits, and the text of an article comes from parsing its Markdown
# (~1 ms for a 250-word article). The sentences and their stems are remembered per body for the articles that
# keep turning up in results; 1,024 articles take a few MB.
@lru_cache(maxsize=1024)
def _sentences(body: str, locale: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """The sentences of a body's plain text, each with the stems of its words."""
    texts = [s.strip() for s in _SENTENCE.split(plain_text(body)) if s.strip()]
    return tuple((sentence, tuple(_stem(word, locale) for word in tokens(sentence))) for sentence in texts)


@lru_cache(maxsize=100_000)
def _stem(word: str, locale: str) -> str:
    """``stems([word], locale)[0]``, remembered: snippets stem every word of each hit's text."""
    return stems([word], locale)[0]
