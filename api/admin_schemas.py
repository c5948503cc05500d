"""Request and response bodies of the admin JSON API (they make its OpenAPI schema)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from api.params import LocaleDescriptions, LocaleNames, Position, RowIdField
from api.schemas import ErrorOut
from helpcenter.models import Article, ArticleRevision, ArticleStatus, Category
from helpcenter.slugs import SLUG_PATTERN

VERSION_IN = (
    "the version this change was made from (or send its ETag in `If-Match`): if another version is saved "
    "now, nothing is saved and the answer is 409 with `current_version`"
)
VERSION_OUT = "raised by every save; send it back as `version` or `If-Match` so a save never overwrites another"


class ArticleCreate(BaseModel):
    """A new article; it starts as a draft unless ``status`` says otherwise."""

    locale: str = Field(max_length=16, examples=["en"])
    title: str = Field(min_length=1, max_length=300)
    body: str = Field("", max_length=200_000, description="Markdown; raw HTML is not rendered")
    slug: str | None = Field(
        None, max_length=200, pattern=SLUG_PATTERN, description="derived from the title when left out"
    )
    category: str | None = Field(None, max_length=120, description="category slug")
    tags: list[str] = Field(default_factory=list, max_length=50)
    intents: list[str] = Field(default_factory=list, max_length=100)
    position: Position = 0
    status: ArticleStatus = ArticleStatus.draft
    translation_of: RowIdField | None = Field(None, description="id of the article this one translates")


class ArticleUpdate(BaseModel):
    """Fields to change; every change is saved as a new revision."""

    title: str | None = Field(None, min_length=1, max_length=300)
    body: str | None = Field(None, max_length=200_000)
    slug: str | None = Field(None, max_length=200, pattern=SLUG_PATTERN, description="the old slug keeps redirecting")
    category: str | None = Field(None, max_length=120, description="category slug; empty string removes it")
    tags: list[str] | None = Field(None, max_length=50)
    intents: list[str] | None = Field(None, max_length=100)
    position: Position | None = None
    version: RowIdField | None = Field(None, description=VERSION_IN)


class StatusChange(BaseModel):
    """Publish, unpublish (draft) or archive; ``publish_at`` schedules publication instead."""

    status: ArticleStatus
    publish_at: datetime | None = Field(None, description="ISO 8601 with a time zone, in the future")


class AdminArticle(BaseModel):
    """An article as editors see it, in any status."""

    id: int
    slug: str
    locale: str
    translation_group: str
    title: str
    body: str
    status: ArticleStatus
    category_id: int | None
    author: str
    tags: list[str]
    intents: list[str]
    position: int
    views: int
    created_at: datetime
    updated_at: datetime
    published_at: datetime | None
    publish_at: datetime | None
    version: int = Field(description=VERSION_OUT + " (publishing and views leave it alone)")

    @classmethod
    def of(cls, article: Article) -> AdminArticle:
        """From the table row."""
        return cls.model_validate(article, from_attributes=True)


class AdminArticlePage(BaseModel):
    """One page of the filtered article list."""

    total: int
    items: list[AdminArticle]


class Revision(BaseModel):
    """A saved state of an article."""

    number: int
    title: str
    body: str
    tags: list[str]
    author: str
    created_at: datetime

    @classmethod
    def of(cls, revision: ArticleRevision) -> Revision:
        """From the table row."""
        return cls.model_validate(revision, from_attributes=True)


class CategoryIn(BaseModel):
    """A category: slug and names per locale."""

    slug: str = Field(max_length=120, pattern=SLUG_PATTERN)
    names: LocaleNames
    descriptions: LocaleDescriptions = Field(default_factory=dict)
    position: Position = 0


class CategoryUpdate(BaseModel):
    """Category fields to change (the slug stays: public URLs depend on it)."""

    names: LocaleNames | None = None
    descriptions: LocaleDescriptions | None = None
    position: Position | None = None
    version: RowIdField | None = Field(None, description=VERSION_IN)


class AdminCategory(BaseModel):
    """A category with all its names."""

    id: int
    slug: str
    position: int
    names: dict[str, str]
    descriptions: dict[str, str]
    version: int = Field(description=VERSION_OUT)

    @classmethod
    def of(cls, category: Category) -> AdminCategory:
        """From the table row."""
        return cls.model_validate(category, from_attributes=True)


class ConflictOut(ErrorOut):
    """A 409: the error shape, plus the version saved now when the save was made from an older one."""

    current_version: int | None = Field(
        None,
        description="the version saved now, when someone saved since the version this change was made from "
        "(GET the record, merge, and send this version); absent for other conflicts (e.g. a slug taken)",
    )


CONFLICT_RESPONSE: dict[int | str, dict[str, object]] = {
    409: {"model": ConflictOut, "description": "Saved by someone else meanwhile, or a slug taken: nothing was saved"}
}
