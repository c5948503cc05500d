"""Help-center services: keyword-only functions, the session first; callers commit."""

from __future__ import annotations

import difflib
import heapq
import re
import time
import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, update
from sqlmodel import Session, col, select

from core.errors import ConflictError, NotFoundError, ValidationError
from core.text import fold
from core.versions import check_version, flush_edit
from helpcenter import search
from helpcenter.models import (
    Article,
    ArticleRevision,
    ArticleStatus,
    ArticleVote,
    Category,
    SlugRedirect,
    utcnow,
)

SLUG_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"  # also in the API schema, so clients see the rule
_SLUG = re.compile(SLUG_PATTERN)


def slugify(text: str) -> str:
    """A URL slug from a title: lowercase ASCII words joined by hyphens."""
    words = re.findall(r"[a-z0-9]+", fold(text))
    return "-".join(words)[:200] or "article"


def _check_slug(slug: str) -> str:
    if not _SLUG.match(slug) or len(slug) > 200:
        raise ValidationError(f"invalid slug {slug!r}: use lowercase letters, digits and single hyphens")
    return slug


def create_category(
    session: Session,
    *,
    slug: str,
    names: dict[str, str],
    descriptions: dict[str, str] | None = None,
    position: int = 0,
) -> Category:
    """Create a category."""
    if session.exec(select(Category).where(Category.slug == slug)).first():
        raise ConflictError(f"a category with slug {slug!r} exists")
    category = Category(slug=_check_slug(slug), names=names, descriptions=descriptions or {}, position=position)
    session.add(category)
    session.flush()
    return category


def get_category(session: Session, *, slug: str) -> Category:
    """A category by slug, or NotFoundError."""
    category = session.exec(select(Category).where(Category.slug == slug)).first()
    if category is None:
        raise NotFoundError(f"no category {slug!r}")
    return category


def list_categories(session: Session) -> Sequence[Category]:
    """All categories in display order."""
    return session.exec(select(Category).order_by(col(Category.position), col(Category.slug))).all()


def create_article(
    session: Session,
    *,
    locale: str,
    title: str,
    body: str,
    author: str,
    slug: str | None = None,
    category_id: int | None = None,
    tags: list[str] | None = None,
    intents: list[str] | None = None,
    status: ArticleStatus = ArticleStatus.draft,
    translation_group: str | None = None,
    position: int = 0,
) -> Article:
    """Create an article (revision 1) and index it for search."""
    slug = _check_slug(slug or slugify(title))
    if not title.strip():
        raise ValidationError("an article needs a title")
    if _by_slug(session, locale=locale, slug=slug) is not None:
        raise ConflictError(f"an article {slug!r} exists in {locale!r}")
    now = utcnow()
    article = Article(
        slug=slug,
        locale=locale,
        title=title.strip(),
        body=body,
        author=author,
        category_id=category_id,
        tags=list(tags or []),
        intents=list(intents or []),
        status=status,
        position=position,
        translation_group=translation_group or uuid.uuid4().hex,
        created_at=now,
        updated_at=now,
        published_at=now if status == ArticleStatus.published else None,
    )
    session.add(article)
    session.flush()
    _add_revision(session, article=article, author=author)
    search.index(session, article=article)
    _content_changed()
    return article


def update_article(
    session: Session,
    *,
    article: Article,
    author: str,
    title: str | None = None,
    body: str | None = None,
    slug: str | None = None,
    tags: list[str] | None = None,
    intents: list[str] | None = None,
    category_id: int | None = None,
    position: int | None = None,
    expected_version: int | None = None,
) -> Article:
    """Save changes as a new revision and version; a new slug leaves a redirect from the old one.

    ``expected_version`` is the version the editor started from: another one saved meanwhile is an
    ``EditConflict`` and nothing is written.
    """
    check_version(article, expected_version, what="This article")
    if slug is not None and slug != article.slug:
        _check_slug(slug)
        if _by_slug(session, locale=article.locale, slug=slug) is not None:
            raise ConflictError(f"an article {slug!r} exists in {article.locale!r}")
        _remember_old_slug(session, article=article)
        article.slug = slug
    if title is not None:
        if not title.strip():
            raise ValidationError("an article needs a title")
        article.title = title.strip()
    for name, value in (
        ("body", body),
        ("tags", tags),
        ("intents", intents),
        ("category_id", category_id),
        ("position", position),
    ):
        if value is not None:
            setattr(article, name, value)
    article.updated_at = utcnow()
    article.version += 1
    session.add(article)
    flush_edit(session, article, what="This article")
    _add_revision(session, article=article, author=author)
    search.index(session, article=article)
    _content_changed()
    return article


def _remember_old_slug(session: Session, *, article: Article) -> None:
    assert article.id is not None
    existing = session.exec(
        select(SlugRedirect).where(SlugRedirect.locale == article.locale, SlugRedirect.old_slug == article.slug)
    ).first()
    if existing is None:
        session.add(SlugRedirect(locale=article.locale, old_slug=article.slug, article_id=article.id))
    else:
        existing.article_id = article.id


# A schedule further ahead than this is a typo (a year of 2062 for 2026), not a plan.
MAX_SCHEDULE_AHEAD = timedelta(days=5 * 366)


def publication_time(when: datetime, *, utc_offset_minutes: int | None = None, now: datetime | None = None) -> datetime:
    """The UTC time to publish at: ``when`` carries its zone, or is local time ``utc_offset_minutes``
    behind UTC (what a browser's ``getTimezoneOffset()`` gives for a datetime-local field).

    Refused: no zone at all, a time that has passed, and one more than five years ahead (a year 9999
    would also overflow the zone shift).
    """
    now = now or datetime.now(UTC)
    if when.tzinfo is None and utc_offset_minutes is None:
        raise ValidationError("the publication time needs a time zone, e.g. 2026-12-01T09:00:00+01:00")
    try:
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC) + timedelta(minutes=utc_offset_minutes or 0)
        when = when.astimezone(UTC)
    except OverflowError:
        raise ValidationError("the publication time is too far ahead") from None
    if when <= now:
        raise ValidationError("the publication time must be in the future")
    if when - now > MAX_SCHEDULE_AHEAD:
        raise ValidationError("the publication time is more than five years ahead")
    return when


def set_status(
    session: Session, *, article: Article, status: ArticleStatus, publish_at: datetime | None = None
) -> Article:
    """Publish, unpublish (draft) or archive an article; ``publish_at`` schedules publication."""
    if publish_at is not None:
        article.status, article.publish_at = ArticleStatus.draft, publish_at
    else:
        article.status, article.publish_at = status, None
        if status == ArticleStatus.published and article.published_at is None:
            article.published_at = utcnow()
    article.updated_at = utcnow()
    session.add(article)
    _content_changed()
    return article


def publish_due(session: Session, *, now: datetime | None = None) -> int:
    """Publish scheduled articles whose time has come; returns how many."""
    now = now or utcnow()
    # Every app process runs this: on PostgreSQL an article another process is publishing is skipped
    # rather than waited for and published again.
    due = session.exec(
        select(Article)
        .where(col(Article.publish_at).is_not(None), col(Article.publish_at) <= now)
        .with_for_update(skip_locked=True)
    )
    count = 0
    for article in due.all():
        set_status(session, article=article, status=ArticleStatus.published)
        count += 1
    return count


def _by_slug(session: Session, *, locale: str, slug: str) -> Article | None:
    return session.exec(select(Article).where(Article.locale == locale, Article.slug == slug)).first()


def find_published(session: Session, *, locale: str, slug: str) -> tuple[Article | None, bool]:
    """A published article by slug and whether it was found through a renamed slug's redirect."""
    article = _by_slug(session, locale=locale, slug=slug)
    if article is not None:
        return (article if article.status == ArticleStatus.published else None), False
    redirect = session.exec(
        select(SlugRedirect).where(SlugRedirect.locale == locale, SlugRedirect.old_slug == slug)
    ).first()
    if redirect is None:
        return None, False
    target = session.get(Article, redirect.article_id)
    return (target if target and target.status == ArticleStatus.published else None), True


def translations(session: Session, *, article: Article, published_only: bool = True) -> Sequence[Article]:
    """The other locales' versions of an article."""
    query = select(Article).where(Article.translation_group == article.translation_group, Article.id != article.id)
    if published_only:
        query = query.where(Article.status == ArticleStatus.published)
    return session.exec(query.order_by(col(Article.locale))).all()


def _add_revision(session: Session, *, article: Article, author: str) -> ArticleRevision:
    assert article.id is not None
    last = session.exec(
        select(ArticleRevision.number)
        .where(ArticleRevision.article_id == article.id)
        .order_by(col(ArticleRevision.number).desc())
    ).first()
    revision = ArticleRevision(
        article_id=article.id,
        number=(last or 0) + 1,
        title=article.title,
        body=article.body,
        tags=list(article.tags),
        author=author,
        article_version=article.version,
    )
    session.add(revision)
    session.flush()
    return revision


def revisions(session: Session, *, article: Article) -> Sequence[ArticleRevision]:
    """An article's revisions, newest first."""
    return session.exec(
        select(ArticleRevision)
        .where(ArticleRevision.article_id == article.id)
        .order_by(col(ArticleRevision.number).desc())
    ).all()


def _revision(session: Session, *, article: Article, number: int) -> ArticleRevision:
    revision = session.exec(
        select(ArticleRevision).where(ArticleRevision.article_id == article.id, ArticleRevision.number == number)
    ).first()
    if revision is None:
        raise NotFoundError(f"article {article.slug!r} has no revision {number}")
    return revision


def diff_revisions(session: Session, *, article: Article, old: int, new: int) -> str:
    """A unified diff of title and body between two revisions."""
    a, b = _revision(session, article=article, number=old), _revision(session, article=article, number=new)
    before = [f"# {a.title}", "", *a.body.splitlines()]
    after = [f"# {b.title}", "", *b.body.splitlines()]
    return "\n".join(difflib.unified_diff(before, after, f"revision {old}", f"revision {new}", lineterm=""))


@dataclass(frozen=True)
class ChangesSince:
    """What was saved after the version an editor started from: the saves (oldest first) and a diff."""

    saves: list[ArticleRevision]
    diff: str  # unified diff of title and body, from the version they started from to the current one


def changes_since(session: Session, *, article: Article, version: int) -> ChangesSince:
    """The revisions saved after ``version`` and the diff from it to the current revision."""
    history = revisions(session, article=article)  # newest first
    saves = [r for r in reversed(history) if r.article_version is not None and r.article_version > version]
    started = next((r for r in history if r.article_version == version), None)
    diff = ""
    if started is not None and history and history[0].number != started.number:
        diff = diff_revisions(session, article=article, old=started.number, new=history[0].number)
    return ChangesSince(saves=saves, diff=diff)


def restore_revision(session: Session, *, article: Article, number: int, author: str) -> Article:
    """Bring back an old revision's content as a new revision (history is never rewritten)."""
    revision = _revision(session, article=article, number=number)
    return update_article(
        session, article=article, author=author, title=revision.title, body=revision.body, tags=list(revision.tags)
    )


def vote(session: Session, *, article: Article, helpful: bool, comment: str | None = None) -> ArticleVote:
    """Record a "Was this helpful?" answer."""
    assert article.id is not None
    entry = ArticleVote(article_id=article.id, helpful=helpful, comment=(comment or "").strip()[:2000] or None)
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


def category_of(session: Session, *, article: Article) -> Category | None:
    """The article's category, if any."""
    return session.get(Category, article.category_id) if article.category_id is not None else None


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


def _content_changed() -> None:
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


def related(session: Session, *, article: Article, limit: int = 4) -> list[Article]:
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
    session: Session, *, locale: str | None = None, category_id: int | None = None, limit: int = 20, offset: int = 0
) -> Sequence[Article]:
    """A page of published articles, optionally of one locale and category, by locale, position, title."""
    query = select(Article).where(Article.status == ArticleStatus.published)
    if locale is not None:
        query = query.where(Article.locale == locale)
    if category_id is not None:
        query = query.where(Article.category_id == category_id)
    order = (col(Article.locale), col(Article.position), col(Article.title), col(Article.id))
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
