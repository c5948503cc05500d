"""Help-center articles for a question the bot could not answer: hybrid retrieval with a relevance floor.

Two retrievers look at the question: the help center's full-text search (stems, typo tolerance) and
the encoder's similarity between the question and each published article (its title and opening
lines, and each of its sections under its heading: an article is as close as its closest passage).
Words are weighed by how rare they are among the locale's articles, so "wie", "der" and "the" count
for little. An article is suggested when the evidence is enough on its own (most of the
question's telling words are in it, or the meaning is very close) or when both retrievers agree (some
of the words and a fair similarity). A question about the weather in Hamburg therefore gets no article
about weatherproof jackets: one shared word is not enough without the meaning. Once one article has
qualified, the question is about the help center's subject; the places beside it go to the articles
ranked next by meaning (and words), as long as they are plausible: the right article is often second or
third by meaning without clearing a bar of its own.

What "fair" and "very close" mean depends on the encoder and the language: an English-only encoder finds
German texts about anything fairly similar. So each locale's floor is read off questions that belong to
no FAQ (the generic out-of-scope corpus in ``bot/resources``): "fair" is above what 99% of them reach
with their nearest article, "very close" is above all of them, "plausible" above what 90% of them
reach. German and Dutch questions and articles are compared as the classifier sees them, by their
English glosses (``FaqModel.encoder_for``), and with the article's English version where it has one
(the same translation group).

The article vectors (and floors) are built per database and locale on first use, from the encoder's
disk cache when the texts were seen before, and rebuilt when the locale's published articles change
(their count or latest edit, checked on every call: one small query).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from threading import Event, Lock
from typing import Protocol

import numpy as np
from sqlmodel import Session, col, select

from bot.glossary import GLOSS_LANGUAGE, GlossingEncoder
from bot.resources import generic_out_of_scope
from core.text import stems, tokens
from helpcenter import search
from helpcenter.markdown import plain_text, sections
from helpcenter.models import Article, ArticleStatus

# Cosine similarities of the sentence encoder between a question and an article's closest passage; the
# lowest floors, raised per locale by what off-topic questions reach (see the module's docstring).
CLOSE = 0.6  # this close in meaning is enough alone
# This close, with some shared words, is enough too. 0.40, not 0.35, since articles are compared section by
# section: more passages give an off-topic question more chances to come close to one. On the demo help
# center, held-out questions finding their article among three: 78.0% at 0.35, 76.4% at 0.40; far
# off-topic questions given an article: 6.7% at 0.35, 4.7% at 0.40 (bench/nlu.py --only articles).
FAIR = 0.40
# 99, not 95: with German and Dutch glossed, far off-topic questions given an article fell from 4.7% to 2.7%
# of 150 while held-out questions finding their article among three rose from 63.7% to 66.2%.
OFF_TOPIC_QUANTILE = 99
# Below this similarity the meaning contradicts the words: "how can i contact you guys" finds its telling
# words in the article on repairs (a link to "Contacting customer service"), at similarity 0.21. Required of
# articles qualifying by words alone and of those filling the places beside a qualified one. With both, on
# the demo help center (bench/nlu.py --only articles), held-out questions finding their article among three
# rose from 82.9% to 86.3%, visitor-style ones from 60.0% to 66.1%; far off-topic questions given one stayed
# at 6.0%. 75 or 95 instead of 90 moved held-out questions by 0.3 points at most, in a replay of these rules.
PLAUSIBLE_QUANTILE = 90
PLAUSIBLE = 0.25  # the lowest "plausible"
# Ranking the places beside a qualified article: similarity, plus this much for each share of telling words.
WORDS_WEIGHT = 0.15
# IDF-weighted shares of the question's stems found in an article (search.TermIndex.coverage).
MOST_WORDS = 0.7  # enough alone
SOME_WORDS = 0.2  # enough with a fair similarity
LEAD_CHARS = 400


class TextEncoder(Protocol):
    """What retrieval needs from ``bot.encoder.Encoder``."""

    def encode(self, texts: list[str]) -> np.ndarray:
        """L2-normalised vectors, one row per text."""
        ...

    def encode_one(self, text: str) -> np.ndarray:
        """One L2-normalised vector."""
        ...


@dataclass(frozen=True)
class Suggestion:
    """An article to offer, with how it was found."""

    article: Article
    snippet_html: str
    words: float  # IDF-weighted share of the question's stems the article holds
    similarity: float | None  # the encoder's cosine similarity (None without an encoder)


@dataclass(frozen=True)
class _Vectors:
    signature: tuple[object, ...]  # published count and latest update when built (and of the glosses' language)
    ids: list[int]
    matrix: np.ndarray  # one row per passage, each article's passages together, in the order of ``ids``
    starts: np.ndarray  # the first row of each article in ``matrix``
    fair: float
    close: float
    plausible: float
    # The encoder they were made with. Entries are keyed by its id(); holding it keeps that id from being
    # reused by another encoder (an object's id is free again once it is collected), whose questions would
    # otherwise be compared with these vectors: a test's stub encoder once lent its vectors to the next one.
    encoder: object


_vectors: dict[tuple[str, str, int], _Vectors] = {}
_building: set[tuple[str, str, int]] = set()  # keys whose vectors some thread is building now
_lock = Lock()
ENCODE_BATCH = 64  # passages per encoder call while building: a stop request is seen between calls


class Stopped(Exception):
    """A build of article vectors was asked to stop (the server is shutting down)."""


def suggest(
    session: Session,
    *,
    query: str,
    locale: str,
    encoder: TextEncoder | None,
    guesses: Sequence[str] = (),
    limit: int = 3,
    query_vector: np.ndarray | None = None,
) -> list[Suggestion]:
    """Relevant published articles of the locale for the question, best first (none when nothing is).

    ``guesses`` are the slugs of the articles of the bot's likeliest intents: each joins on some of the
    question's telling words and a lower bar for the meaning, never on the bot's word alone.
    ``query_vector`` is the question's encoding if the caller has it (the chat's model made it), which
    spares the encoder a second run.
    """
    query_stems = set(stems(tokens(query), locale))
    if not query_stems:
        return []
    found = search.search(session, query=query, locale=locale, limit=20, record_miss=False)
    hits = {h.article.id: h for h in found if h.article.id is not None}
    signature = search.published_signature(session, locale)  # read once for both in-process indexes
    vectors = _article_vectors(session, locale=locale, encoder=encoder, signature=signature) if encoder else None
    # With an encoder but its vectors still being built elsewhere (right after a start), the meaning
    # cannot confirm shared words: only articles holding most of the question's words qualify.
    unconfirmed = encoder is not None and vectors is None
    fair, close, plausible = (
        (vectors.fair, vectors.close, vectors.plausible) if vectors is not None else (FAIR, CLOSE, PLAUSIBLE)
    )
    similarity = _similarities(query, vectors, encoder, vector=query_vector) or {}
    # A typo the search corrected also blinds the encoder: compare the corrected words too. Only for the
    # words the correction found: the corrected words are the help center's own, so their meaning is close
    # to some article whatever the question was ("regnet" -> "rechnet").
    corrected = next((h.corrected for h in found if h.corrected), ())
    typo_similarity = similarity
    if corrected and similarity:
        again = _similarities(" ".join(corrected), vectors, encoder) or {}
        typo_similarity = {i: max(v, again.get(i, v)) for i, v in similarity.items()}
    guessed = _ids_of(session, slugs=guesses, locale=locale)
    near = sorted(typo_similarity, key=lambda i: -typo_similarity[i])[:10]
    pool = list(dict.fromkeys([*hits, *guessed, *near]))
    index = search.term_index(session, locale, signature=signature)
    lexical = index.coverage(list(query_stems), pool)
    # Words found only after typo correction ("pasword" -> "password") need the meaning to agree: an
    # off-topic word is often one letter away from some word of the help center ("peru" -> "per").
    fixed = index.coverage(list(corrected), pool) if corrected else {}
    # Tiers: very close in meaning; most of the question's telling words in the article; some of them
    # and a fair similarity (or, without an encoder, some of them at all). Within a tier, the closer first.
    candidates: dict[int, tuple[int, float]] = {}
    for article_id in pool:
        sim, words = similarity.get(article_id), lexical.get(article_id, 0.0)
        agrees = sim is None or sim >= fair
        if sim is not None and sim >= close:
            candidates[article_id] = (0, -sim)
        elif words >= MOST_WORDS and (sim is None or sim >= plausible):
            candidates[article_id] = (1, -words - (sim or 0.0))
        elif unconfirmed:
            continue
        elif words >= SOME_WORDS and agrees:
            candidates[article_id] = (2, -(sim or words))
        elif fixed.get(article_id, 0.0) >= SOME_WORDS and typo_similarity.get(article_id, fair) >= fair:
            candidates[article_id] = (2, -typo_similarity.get(article_id, 0.0))
        elif article_id in guessed and words >= SOME_WORDS and (sim is None or sim >= FAIR):
            # The bot's own guess, with some of the question's telling words: the meaning's bar is lower.
            candidates[article_id] = (2, -(sim or words))
    if not candidates:
        return []
    best = [min(candidates, key=candidates.__getitem__)]  # the surest, by tier, then closeness
    # The question is on the help center's subject: the next places go by meaning and words.
    nearby = [i for i in pool if i not in best and (i in candidates or typo_similarity.get(i, 0.0) >= plausible)]
    nearby.sort(key=lambda i: -typo_similarity.get(i, 0.0) - WORDS_WEIGHT * max(lexical.get(i, 0.0), fixed.get(i, 0.0)))
    best += nearby[: limit - 1]
    articles = {a.id: a for a in session.exec(select(Article).where(col(Article.id).in_(best)))}
    out = []
    for article_id in best:
        article = articles.get(article_id)
        if article is None:
            continue
        found_hit = hits.get(article_id)
        snippet = found_hit.snippet_html if found_hit else search.snippet(article, query_stems)
        out.append(Suggestion(article, snippet, lexical.get(article_id, 0.0), similarity.get(article_id)))
    return out


def warm(session: Session, *, locales: Sequence[str], encoder: TextEncoder, stop: Event | None = None) -> None:
    """Build the article vectors of every locale now (the first build encodes every passage of every
    article; later ones read the encoder's disk cache). ``stop`` ends it early with ``Stopped``."""
    for locale in locales:
        _article_vectors(session, locale=locale, encoder=encoder, stop=stop, wait=True)


def _ids_of(session: Session, *, slugs: Sequence[str], locale: str) -> list[int]:
    if not slugs:
        return []
    rows = session.exec(
        select(Article.id, Article.slug).where(
            col(Article.locale) == locale,
            col(Article.status) == ArticleStatus.published,
            col(Article.slug).in_(list(slugs)),
        )
    ).all()
    order = {slug: n for n, slug in enumerate(slugs)}
    return [int(i) for i, slug in sorted(rows, key=lambda r: order[r[1]]) if i is not None]


def _similarities(
    query: str, vectors: _Vectors | None, encoder: TextEncoder | None, *, vector: np.ndarray | None = None
) -> dict[int, float] | None:
    if vectors is None or encoder is None:
        return None
    if not vectors.ids:
        return {}
    scores = vectors.matrix @ np.asarray(encoder.encode_one(query) if vector is None else vector, dtype=np.float32)
    best = np.maximum.reduceat(scores, vectors.starts)  # an article is as close as its closest passage
    return dict(zip(vectors.ids, (float(s) for s in best), strict=True))


def _article_vectors(
    session: Session,
    *,
    locale: str,
    encoder: TextEncoder,
    signature: tuple[int, str] | None = None,
    stop: Event | None = None,
    wait: bool = False,
) -> _Vectors | None:
    """The locale's article vectors, built now if they are missing or stale.

    While another thread builds them, a request does not build them too, nor wait (with thousands of
    articles a first build takes minutes): it gets the previous vectors, or None before the first
    build is done. ``wait`` (the warm-up) builds regardless."""
    key = (*search.cache_key(session, locale), id(encoder))
    glossed = encoder if isinstance(encoder, GlossingEncoder) and locale != GLOSS_LANGUAGE else None
    full: tuple[object, ...] = tuple(signature or search.published_signature(session, locale))
    if glossed is not None:  # English versions take part too: editing one rebuilds this locale's vectors
        full += tuple(search.published_signature(session, GLOSS_LANGUAGE))
    with _lock:
        cached = _vectors.get(key)
        if cached is not None and cached.encoder is not encoder:  # cannot happen while held; say so anyway
            cached = None
        if cached is not None and cached.signature == full:
            return cached
        if key in _building and not wait:
            return cached
        _building.add(key)
    fresh = None
    try:
        fresh = _build(session, locale=locale, encoder=encoder, signature=full, glossed=glossed, stop=stop)
    finally:
        with _lock:  # published and no longer building at once: no request sees neither and builds again
            _building.discard(key)
            if fresh is not None:
                _vectors[key] = fresh
    return fresh


def _build(
    session: Session,
    *,
    locale: str,
    encoder: TextEncoder,
    signature: tuple[object, ...],
    glossed: GlossingEncoder | None,
    stop: Event | None,
) -> _Vectors:
    published = (col(Article.locale) == locale, col(Article.status) == ArticleStatus.published)
    rows = session.exec(select(Article.id, Article.title, Article.body, Article.translation_group).where(*published))
    articles = [(int(i), title, body, group) for i, title, body, group in rows.all() if i is not None]
    own = [_passages(title, body) for _, title, body, _ in articles]
    vectors = _encode_each(encoder, own, stop)
    english = _english_passages(session, [group for *_, group in articles]) if glossed is not None else []
    if glossed is not None and any(english):
        # The English versions as they are, beside the glossed text: the encoder reads English better.
        english_vectors = _encode_each(glossed.encoder, english, stop)
        vectors = [np.vstack([v, o]) for v, o in zip(vectors, english_vectors, strict=True)]
    starts = np.cumsum([0] + [len(v) for v in vectors[:-1]]).astype(np.intp)
    matrix = np.vstack(vectors) if vectors else np.zeros((0, 1), np.float32)
    fair, close, plausible = _floors(matrix, locale=locale, encoder=encoder)
    return _Vectors(signature, [i for i, *_ in articles], matrix, starts, fair, close, plausible, encoder)


def _english_passages(session: Session, groups: list[str]) -> list[list[str]]:
    """The passages of each article's published version in the glosses' language, English (none without)."""
    rows = session.exec(
        select(Article.translation_group, Article.title, Article.body).where(
            col(Article.locale) == GLOSS_LANGUAGE,
            col(Article.status) == ArticleStatus.published,
            col(Article.translation_group).in_(set(groups)),
        )
    ).all()
    found = {group: _passages(title, body) for group, title, body in rows}
    return [found.get(group, []) for group in groups]


def _encode_each(encoder: TextEncoder, passages: list[list[str]], stop: Event | None = None) -> list[np.ndarray]:
    """Each article's passages as vectors, encoded ``ENCODE_BATCH`` at a time (``stop`` is checked between)."""
    texts = [text for own in passages for text in own]
    parts = []
    for start in range(0, len(texts), ENCODE_BATCH):
        if stop is not None and stop.is_set():
            raise Stopped
        parts.append(np.asarray(encoder.encode(texts[start : start + ENCODE_BATCH]), dtype=np.float32))
    matrix = np.vstack(parts) if parts else np.zeros((0, 1), np.float32)
    bounds = np.cumsum([0] + [len(own) for own in passages])
    return [matrix[a:b] for a, b in zip(bounds[:-1], bounds[1:], strict=True)]


def _passages(title: str, body: str) -> list[str]:
    """What the encoder compares a question with: the title and lead, and each section under its heading.

    A question often asks about something an article covers in its third section ("can I change the
    address of an order I already placed?"), which its opening lines never mention."""
    out = [f"{title}. {plain_text(body)[:LEAD_CHARS]}"]
    out += [f"{title}. {heading}. {text[:LEAD_CHARS]}" for heading, text in sections(body) if heading]
    return out


def _floors(matrix: np.ndarray, *, locale: str, encoder: TextEncoder) -> tuple[float, float, float]:
    """The locale's "fair", "very close" and "plausible" similarities: above what off-topic questions reach."""
    off_topic = generic_out_of_scope(locale)
    if not len(matrix) or not off_topic:
        return FAIR, CLOSE, PLAUSIBLE
    nearest = (np.asarray(encoder.encode(off_topic), dtype=np.float32) @ matrix.T).max(axis=1)
    fair = max(FAIR, float(np.percentile(nearest, OFF_TOPIC_QUANTILE)))
    plausible = min(fair, max(PLAUSIBLE, float(np.percentile(nearest, PLAUSIBLE_QUANTILE))))
    return fair, max(CLOSE, float(nearest.max()) + 0.02), plausible
