"""What the public help center reads and records: published articles by slug (through renamed slugs'
redirects, and other help centers' addresses), by id, by category, in pages and by popularity;
translations; votes and views."""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import Select, and_, case, func, or_, update
from sqlmodel import Session, col, select

from core.errors import ConflictError, NotFoundError, ValidationError
from core.numerals import whole_number
from core.security import same, sign
from helpcenter import articles
from helpcenter.models import Article, ArticleStatus, ArticleVote, SlugRedirect, utcnow
from helpcenter.slugs import slugify

# How long after a No the visitor may still say what was missing.
FOLLOW_UP_WINDOW = timedelta(hours=1)


def find_published(session: Session, *, locale: str, slug: str) -> tuple[Article | None, bool]:
    """A published article by slug and whether it was found through a renamed slug's redirect (or, for
    an address that matches neither, ``_loosely``)."""
    article = articles.by_slug(session, locale=locale, slug=slug)
    if article is not None:
        return (article if article.status == ArticleStatus.published else None), False
    redirect = session.exec(
        select(SlugRedirect).where(SlugRedirect.locale == locale, SlugRedirect.old_slug == slug)
    ).first()
    if redirect is not None:
        target = session.get(Article, redirect.article_id)
        return (target if target and target.status == ArticleStatus.published else None), True
    loose = _loosely(select(Article), locale=locale, slug=slug)
    found = session.exec(loose).first() if loose is not None else None
    return (found if found and found.status == ArticleStatus.published else None), found is not None


def published_link(session: Session, *, locale: str, slug: str) -> tuple[str, str] | None:
    """The title and current slug of the published article ``find_published`` would find: what the
    chat links to on every answer, read without loading the article's body and revisions."""
    columns = select(Article.title, Article.slug, Article.status)
    row = session.exec(columns.where(Article.locale == locale, Article.slug == slug)).first()
    if row is None:
        renamed = columns.join(SlugRedirect, col(SlugRedirect.article_id) == col(Article.id))
        row = session.exec(renamed.where(SlugRedirect.locale == locale, SlugRedirect.old_slug == slug)).first()
    if row is None and (loose := _loosely(columns, locale=locale, slug=slug)) is not None:
        row = session.exec(loose).first()
    if row is None or row[2] != ArticleStatus.published:
        return None
    return row[0], row[1]


_Query = TypeVar("_Query", bound="Select[*tuple[Any, ...]]")


def _loosely(query: _Query, *, locale: str, slug: str) -> _Query | None:
    """``query`` for the article an address no slug or redirect matched exactly stands for, else None
    when there is nothing else to try: one more query, and only after a miss.

    Addresses kept from another help center keep what a slug folds away: Zendesk's capitals
    (``360000000001-Returns-Refunds``) and letters (``R%C3%BCckgabe``, decoded before it gets here).
    Their slug's form is tried as a slug, then as a redirect; last the leading number as a redirect,
    since Zendesk finds an article by its id whatever its title is now. An article is found, never an
    address: the caller redirects to that article's own slug."""
    folded = slugify(slug)
    number = re.match(r"(\d{6,})-", folded)  # long, as Zendesk's ids are: not a slug's year
    tried = [old for old in (folded, number[1] if number else "") if old and old != slug]
    if not tried:
        return None
    via = and_(
        col(SlugRedirect.article_id) == col(Article.id),
        col(SlugRedirect.locale) == locale,
        col(SlugRedirect.old_slug).in_(tried),
    )
    rank = case((col(Article.slug) == folded, 0), (col(SlugRedirect.old_slug) == folded, 1), else_=2)
    return (
        query.outerjoin(SlugRedirect, via)
        .where(col(Article.locale) == locale, or_(col(Article.slug) == folded, col(SlugRedirect.id).is_not(None)))
        .order_by(rank)
    )


def published_locales(session: Session, *, slugs: Collection[str]) -> dict[str, list[str]]:
    """For each of these slugs that a published article has (its own or an old one it was renamed from),
    the locales it is published in: where an intent's article link leads (the chat links the visitor's)."""
    if not slugs:
        return {}
    published = Article.status == ArticleStatus.published
    own = select(Article.slug, Article.locale).where(published, col(Article.slug).in_(slugs))
    renamed = (
        select(SlugRedirect.old_slug, Article.locale)
        .join(Article, col(SlugRedirect.article_id) == col(Article.id))
        .where(published, col(SlugRedirect.old_slug).in_(slugs), SlugRedirect.locale == Article.locale)
    )
    found: dict[str, list[str]] = {}
    for slug, locale in [*session.exec(own).all(), *session.exec(renamed).all()]:
        found.setdefault(slug, []).append(locale)
    return found


def translations(session: Session, *, article: Article, published_only: bool = True) -> Sequence[Article]:
    """The other locales' versions of an article."""
    query = select(Article).where(Article.translation_group == article.translation_group, Article.id != article.id)
    if published_only:
        query = query.where(Article.status == ArticleStatus.published)
    return session.exec(query.order_by(col(Article.locale))).all()


def vote(session: Session, *, article: Article, helpful: bool, comment: str | None = None) -> ArticleVote:
    """Record a "Was this helpful?" answer."""
    assert article.id is not None
    entry = ArticleVote(article_id=article.id, helpful=helpful, comment=(comment or "").strip()[:2000] or None)
    session.add(entry)
    return entry


def vote_ticket(entry: ArticleVote, *, secret: str) -> str:
    """What a "What was missing?" form carries after a No: the vote's id and this server's MAC of it, so
    only the visitor who cast the vote can add its comment."""
    return f"{entry.id}.{sign(secret, f'article-vote:{entry.id}')}"


def explain_vote(
    session: Session, *, article: Article, ticket: str, comment: str, secret: str, now: datetime | None = None
) -> ArticleVote:
    """The answer to "What was missing?" after a No joins that vote: once, within ``FOLLOW_UP_WINDOW``."""
    vote_id, _, mac = ticket.partition(".")
    entry = session.get(ArticleVote, number) if (number := whole_number(vote_id)) is not None else None
    if entry is None or not same(mac, sign(secret, f"article-vote:{vote_id}")) or entry.article_id != article.id:
        raise ValidationError("this feedback form has expired: please vote again")
    created = entry.created_at if entry.created_at.tzinfo else entry.created_at.replace(tzinfo=UTC)
    if entry.helpful or entry.comment or (now or utcnow()) - created > FOLLOW_UP_WINDOW:
        raise ConflictError("this feedback has already been sent")
    text = comment.strip()
    if not text:
        raise ValidationError("please write what was missing, or skip this question")
    entry.comment = text[:2000]
    session.add(entry)
    return entry


def count_view(session: Session, *, article: Article) -> None:
    """Count one page view: an increment in SQL, so concurrent readers (and processes) lose no count."""
    session.execute(update(Article).where(col(Article.id) == article.id).values(views=Article.views + 1))


def published_articles(session: Session, *, locale: str) -> Sequence[Article]:
    """Published articles of a locale in category order."""
    return session.exec(
        select(Article)
        .where(Article.locale == locale, Article.status == ArticleStatus.published)
        .order_by(col(Article.position), col(Article.title))
    ).all()


def articles_in_category(session: Session, *, locale: str, category_id: int) -> Sequence[Article]:
    """Published articles of one category in a locale, by position then title."""
    return session.exec(
        select(Article)
        .where(Article.locale == locale, Article.status == ArticleStatus.published, Article.category_id == category_id)
        .order_by(col(Article.position), col(Article.title), col(Article.id))
    ).all()


def get_published(session: Session, *, article_id: int) -> Article:
    """A published article by id, or NotFoundError (drafts and archived articles are not public)."""
    article = session.get(Article, article_id)
    if article is None or article.status != ArticleStatus.published:
        raise NotFoundError(f"no published article {article_id}")
    return article


def list_published(
    session: Session,
    *,
    locale: str | None = None,
    category_id: int | None = None,
    limit: int = 20,
    offset: int = 0,
    popular: bool = False,
) -> Sequence[Article]:
    """A page of published articles, optionally of one locale and category, by locale, position, title, or
    ``popular`` first (``popular_articles``)."""
    if popular:
        return popular_articles(session, locale=locale, category_id=category_id, limit=limit, offset=offset)
    query = select(Article).where(Article.status == ArticleStatus.published)
    if locale is not None:
        query = query.where(Article.locale == locale)
    if category_id is not None:
        query = query.where(Article.category_id == category_id)
    order = (col(Article.locale), col(Article.position), col(Article.title), col(Article.id))
    return session.exec(query.order_by(*order).offset(offset).limit(limit)).all()


def popular_articles(
    session: Session, *, locale: str | None, limit: int = 5, offset: int = 0, category_id: int | None = None
) -> Sequence[Article]:
    """Published articles of a locale (None: of every locale), the most useful first: read often and found helpful.

    The score is the page views weighted by the share of helpful votes, smoothed toward one half
    (``(helpful + 1) / (votes + 2)``), so an article read 200 times that most readers voted unhelpful
    ranks below one read 150 times that helped. Without any views or votes (a new help center) the
    editors' order stands, never the alphabet.
    """
    helpful = func.coalesce(func.sum(case((col(ArticleVote.helpful), 1), else_=0)), 0)
    votes = func.count(col(ArticleVote.id))
    tally = (
        select(col(ArticleVote.article_id).label("article_id"), helpful.label("helpful"), votes.label("votes"))
        .group_by(col(ArticleVote.article_id))
        .subquery()
    )
    score = (Article.views + 1) * (func.coalesce(tally.c.helpful, 0) + 1.0) / (func.coalesce(tally.c.votes, 0) + 2.0)
    query = (
        select(Article)
        .outerjoin(tally, tally.c.article_id == Article.id)
        .where(Article.status == ArticleStatus.published)
    )
    if locale is not None:
        query = query.where(Article.locale == locale)
    if category_id is not None:
        query = query.where(Article.category_id == category_id)
    order = (score.desc(), col(Article.position), col(Article.title), col(Article.id))
    return session.exec(query.order_by(*order).offset(offset).limit(limit)).all()


def published_counts(session: Session, *, locale: str) -> dict[int, int]:
    """Published articles per category id in a locale."""
    rows = session.exec(
        select(Article.category_id, func.count())
        .where(Article.locale == locale, Article.status == ArticleStatus.published)
        .where(col(Article.category_id).is_not(None))
        .group_by(col(Article.category_id))
    ).all()
    return {category_id: count for category_id, count in rows if category_id is not None}
