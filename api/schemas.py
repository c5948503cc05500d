"""Request and response shapes of the public JSON API (they appear in the OpenAPI document)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, StrictBool, field_validator

from core.clock import as_utc

COMMENT_MAX = 2000


class ErrorOut(BaseModel):
    """Every error answer of the JSON API has this shape."""

    error: str = Field(description="A short machine-readable code, e.g. `not_found`, `invalid`, `rate_limited`")
    detail: str = Field(description="What went wrong, for a person")
    fields: dict[str, str] | None = Field(
        None,
        description="Input refused field by field (e.g. the widget's handoff form): each field's message, in "
        "the conversation's language, to show beside it. Absent otherwise.",
    )


ERROR_RESPONSES: dict[int | str, dict[str, object]] = {
    "4XX": {"model": ErrorOut, "description": "The request cannot be served as sent: `{error, detail}`"},
    503: {
        "model": ErrorOut,
        "description": "Busy or not ready yet (no trained model): try again after `Retry-After` seconds",
    },
}
"""Declared once for every operation (``FastAPI(responses=...)``), so the schema documents the errors the
API really sends instead of FastAPI's default validation-error shape."""


class ArticleHit(BaseModel):
    """A search result."""

    slug: str
    locale: str
    title: str
    url: str
    snippet_html: str
    score: float


class ArticleSummary(BaseModel):
    """A published article in a list (no body)."""

    id: int
    slug: str
    locale: str
    title: str
    category: str | None = Field(description="The category's slug")
    tags: list[str]
    updated_at: datetime
    url: str = Field(description="Path of the article's page in the help center")

    _aware_updated = field_validator("updated_at")(as_utc)


class ArticleDetail(ArticleSummary):
    """A published article with its Markdown body and the sanitised HTML rendering."""

    body: str = Field(description="Markdown source")
    html: str = Field(description="Sanitised HTML rendered from the body")


class CategoryOut(BaseModel):
    """A category in one locale with the number of its published articles there."""

    slug: str
    name: str
    description: str
    article_count: int


class VoteIn(BaseModel):
    """A "Was this helpful?" answer."""

    model_config = ConfigDict(extra="forbid")

    helpful: StrictBool
    comment: str | None = Field(default=None, max_length=COMMENT_MAX)


class VoteOut(BaseModel):
    """The recorded vote."""

    id: int
    helpful: bool
