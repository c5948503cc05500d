"""Help-center tables: categories, articles with revisions and translations, votes, search misses."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, Column, Index, Integer, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from core.clock import utcnow


class ArticleStatus(StrEnum):
    """Life cycle of an article."""

    draft = "draft"
    published = "published"
    archived = "archived"


# Optimistic locking (core.versions): each UPDATE says WHERE version = <the version read>.
_CATEGORY_VERSION = Column("version", Integer, nullable=False)
_ARTICLE_VERSION = Column("version", Integer, nullable=False)


class Category(SQLModel, table=True):
    """A group of articles, ordered, named per locale."""

    # Every change of a category is an edit, so SQLAlchemy counts each UPDATE.
    __mapper_args__ = {"version_id_col": _CATEGORY_VERSION}

    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(max_length=120, unique=True, index=True)
    position: int = 0
    names: dict[str, str] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    descriptions: dict[str, str] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    version: int = Field(default=1, sa_column=_CATEGORY_VERSION)


class Article(SQLModel, table=True):
    """One article in one locale; ``translation_group`` links its translations."""

    __table_args__ = (
        UniqueConstraint("locale", "slug", name="uq_article_locale_slug"),
        # Every public list filters on both (published articles of a locale).
        Index("ix_article_locale_status", "locale", "status"),
    )
    # The version counts saves of the content (helpcenter.articles.update_article raises it with each
    # revision); publishing, scheduling and views leave it alone, so they never turn an editor's open
    # work into a conflict. Their UPDATEs still check it, so they cannot overwrite a save either.
    __mapper_args__ = {"version_id_col": _ARTICLE_VERSION, "version_id_generator": False}

    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(max_length=200, index=True)
    locale: str = Field(max_length=16, index=True)
    translation_group: str = Field(max_length=64, index=True)
    title: str = Field(max_length=300)
    body: str = Field(default="", sa_column=Column(Text, nullable=False))
    status: ArticleStatus = Field(default=ArticleStatus.draft, index=True)
    category_id: int | None = Field(default=None, foreign_key="category.id", index=True)
    author: str = Field(default="", max_length=200)
    tags: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    intents: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    position: int = 0
    views: int = 0
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    published_at: datetime | None = None
    publish_at: datetime | None = None  # scheduled publication
    version: int = Field(default=1, sa_column=_ARTICLE_VERSION)


class ArticleRevision(SQLModel, table=True):
    """A saved state of an article; every save adds one."""

    __table_args__ = (UniqueConstraint("article_id", "number", name="uq_revision_number"),)

    id: int | None = Field(default=None, primary_key=True)
    article_id: int = Field(foreign_key="article.id", index=True, ondelete="CASCADE")
    number: int
    title: str = Field(max_length=300)
    body: str = Field(default="", sa_column=Column(Text, nullable=False))
    tags: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    author: str = Field(default="", max_length=200)
    created_at: datetime = Field(default_factory=utcnow)
    # The article's version this revision saved; empty for revisions older than migration 0010 (except
    # each article's latest, which is version 1).
    article_version: int | None = None


class SlugRedirect(SQLModel, table=True):
    """An old slug that now points at an article (renamed slugs keep working)."""

    __table_args__ = (UniqueConstraint("locale", "old_slug", name="uq_redirect_locale_slug"),)

    id: int | None = Field(default=None, primary_key=True)
    locale: str = Field(max_length=16)
    old_slug: str = Field(max_length=200)
    article_id: int = Field(foreign_key="article.id", index=True, ondelete="CASCADE")


class ArticleVote(SQLModel, table=True):
    """A "Was this helpful?" answer, with an optional comment."""

    id: int | None = Field(default=None, primary_key=True)
    article_id: int = Field(foreign_key="article.id", index=True, ondelete="CASCADE")
    helpful: bool
    comment: str | None = Field(default=None, max_length=2000)
    created_at: datetime = Field(default_factory=utcnow)


class SearchMiss(SQLModel, table=True):
    """A search that found nothing: material for the content-gap report."""

    id: int | None = Field(default=None, primary_key=True)
    locale: str = Field(max_length=16, index=True)
    query: str = Field(max_length=500)
    created_at: datetime = Field(default_factory=utcnow, index=True)


class ArticleSearchDoc(SQLModel, table=True):
    """What search matches: the article's stems (SQLite FTS5 indexes this; PostgreSQL uses tsvector)."""

    article_id: int = Field(foreign_key="article.id", primary_key=True, ondelete="CASCADE")
    locale: str = Field(max_length=16, index=True)
    terms: str = Field(default="", sa_column=Column(Text, nullable=False))


class MediaFile(SQLModel, table=True):
    """An uploaded image, stored in the data folder under a name derived from its content."""

    __tablename__ = "media_file"

    id: int | None = Field(default=None, primary_key=True)
    stored_name: str = Field(max_length=80, unique=True, index=True)  # <sha256>.<ext>, never user text
    original_name: str = Field(max_length=255)
    content_type: str = Field(max_length=40)
    size: int
    width: int | None = None
    height: int | None = None
    uploaded_by: str = Field(default="", max_length=200)
    created_at: datetime = Field(default_factory=utcnow)


class HelpcenterSession(SQLModel, table=True):
    """A visit to the public help center (the self-service score counts these against handoffs)."""

    __tablename__ = "helpcenter_session"

    id: int | None = Field(default=None, primary_key=True)
    locale: str = Field(max_length=16, index=True)
    started_at: datetime = Field(default_factory=utcnow, index=True)
