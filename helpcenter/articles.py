"""Writing articles: create and update (each save a revision and a version), status and scheduled
publishing, revisions with diff and restore. Keyword-only functions, the session first; callers commit."""

from __future__ import annotations

import difflib
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import Enum

from sqlmodel import Session, col, select

from core.errors import ConflictError, NotFoundError, ValidationError
from core.i18n import N_
from core.versions import check_version, flush_edit
from helpcenter import related, search
from helpcenter.models import Article, ArticleRevision, ArticleStatus, SlugRedirect, utcnow
from helpcenter.slugs import check_slug, slugify


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
    locales: Sequence[str] | None = None,
) -> Article:
    """Create an article (revision 1) and index it for search; ``locales``, when given, are the configured ones."""
    if locales is not None and locale not in locales:
        raise ValidationError(f"unknown locale {locale!r}; configured: {', '.join(locales)}")
    if not title.strip():
        raise ValidationError(N_("an article needs a title"))
    slug = check_slug(slug or slugify(title))
    if by_slug(session, locale=locale, slug=slug) is not None:
        raise ConflictError(f"an article {slug!r} exists in {locale!r}")
    if translation_group is not None:
        # One version per language: the editor and the language switcher find a translation by its locale,
        # so a second one would hide one of the two.
        twin = session.exec(
            select(Article).where(Article.translation_group == translation_group, Article.locale == locale)
        ).first()
        if twin is not None:
            raise ConflictError(f"this article already has a {locale!r} version: {twin.slug!r} (edit that one)")
    now = utcnow()
    article = Article(
        slug=slug,
        locale=locale,
        title=title.strip(),
        body=body,
        author=author,
        category_id=category_id,
        tags=labels(tags or [], what="tag"),
        intents=labels(intents or [], what="intent"),
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
    related.content_changed()
    return article


class Keep(Enum):
    """A field ``update_article`` leaves as it is, where None is a value of its own."""

    KEEP = "keep"


KEEP = Keep.KEEP


MAX_LABELS = 100  # tags, or linked intents, of one article (imported help centers bring their labels)
MAX_LABEL_CHARS = 200


def labels(values: Sequence[str], *, what: str) -> list[str]:
    """An article's tags or intent ids as stored: trimmed, blanks and repeats dropped, each and their
    number bounded (a ValidationError says which is too long or that there are too many)."""
    kept = list(dict.fromkeys(v.strip() for v in values if v.strip()))
    if len(kept) > MAX_LABELS:
        raise ValidationError(f"an article may have at most {MAX_LABELS} {what}s")
    for value in kept:
        if len(value) > MAX_LABEL_CHARS:
            raise ValidationError(f"the {what} {value[:20]!r}... is longer than {MAX_LABEL_CHARS} characters")
    return kept


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
    category_id: int | None | Keep = KEEP,
    position: int | None = None,
    expected_version: int | None = None,
) -> Article:
    """Save changes as a new revision and version; a new slug leaves a redirect from the old one.
    ``None`` leaves a field alone, except ``category_id``: None takes the article out of its category.

    ``expected_version`` is the version the editor started from: another one saved meanwhile is an
    ``EditConflict`` and nothing is written.
    """
    check_version(article, expected_version, what="This article")
    if slug is not None and slug != article.slug:
        check_slug(slug)
        if by_slug(session, locale=article.locale, slug=slug) is not None:
            raise ConflictError(f"an article {slug!r} exists in {article.locale!r}")
        _remember_old_slug(session, article=article)
        article.slug = slug
    if title is not None:
        if not title.strip():
            raise ValidationError(N_("an article needs a title"))
        article.title = title.strip()
    for name, value in (
        ("body", body),
        ("tags", None if tags is None else labels(tags, what="tag")),
        ("intents", None if intents is None else labels(intents, what="intent")),
        ("position", position),
    ):
        if value is not None:
            setattr(article, name, value)
    if not isinstance(category_id, Keep):  # "no category" was None, read as "unchanged": it never cleared
        article.category_id = category_id
    article.updated_at = utcnow()
    article.version += 1
    session.add(article)
    flush_edit(session, article, what="This article")
    _add_revision(session, article=article, author=author)
    search.index(session, article=article)
    related.content_changed()
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
        raise ValidationError(N_("the publication time needs a time zone, e.g. 2026-12-01T09:00:00+01:00"))
    try:
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC) + timedelta(minutes=utc_offset_minutes or 0)
        when = when.astimezone(UTC)
    except OverflowError:
        raise ValidationError(N_("the publication time is too far ahead")) from None
    if when <= now:
        raise ValidationError(N_("the publication time must be in the future"))
    if when - now > MAX_SCHEDULE_AHEAD:
        raise ValidationError(N_("the publication time is more than five years ahead"))
    return when


def set_status(
    session: Session, *, article: Article, status: ArticleStatus, publish_at: datetime | None = None
) -> Article:
    """Publish, unpublish (draft) or archive an article; ``publish_at`` schedules publication."""
    if publish_at is not None:
        if article.status == ArticleStatus.published:
            # Scheduling makes a draft that goes live later: a live article would go offline until then.
            raise ValidationError(N_("this article is published already: unpublish it first to schedule it"))
        article.status, article.publish_at = ArticleStatus.draft, publish_at
    else:
        article.status, article.publish_at = status, None
        if status == ArticleStatus.published and article.published_at is None:
            article.published_at = utcnow()
    article.updated_at = utcnow()
    session.add(article)
    related.content_changed()
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


def by_slug(session: Session, *, locale: str, slug: str) -> Article | None:
    """An article in any status by its current slug in a locale."""
    return session.exec(select(Article).where(Article.locale == locale, Article.slug == slug)).first()


def slug_known(session: Session, *, slug: str) -> bool:
    """Whether any article, in any locale and state, has (or was renamed from) this slug."""
    if session.exec(select(Article.id).where(Article.slug == slug)).first() is not None:
        return True
    return session.exec(select(SlugRedirect.id).where(SlugRedirect.old_slug == slug)).first() is not None


def all_slugs(session: Session) -> list[str]:
    """Every article's slug, once, sorted: what an intent may link to (the editor offers them)."""
    return list(session.exec(select(Article.slug).distinct().order_by(col(Article.slug))).all())


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


def restore_revision(
    session: Session, *, article: Article, number: int, author: str, expected_version: int | None = None
) -> Article:
    """Bring back an old revision's content as a new revision (history is never rewritten).

    ``expected_version`` is the version the editor saw when choosing to restore: a save made since (which
    the restore would silently undo) is an ``EditConflict``, as for an edit."""
    revision = _revision(session, article=article, number=number)
    return update_article(
        session,
        article=article,
        author=author,
        title=revision.title,
        body=revision.body,
        tags=list(revision.tags),
        expected_version=expected_version,
    )
