"""Help-center content read from another tool, before it is written (``helpcenter.imports``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from helpcenter.models import ArticleStatus


@dataclass
class ImportedCategory:
    """A category to create: its slug and its name (and description) per locale."""

    slug: str
    names: dict[str, str]
    descriptions: dict[str, str] = field(default_factory=dict)


@dataclass
class ImportedArticle:
    """An article in one locale; ``translation_key`` is shared by its translations."""

    locale: str
    slug: str
    title: str
    body: str  # Markdown
    translation_key: str
    category: str | None = None  # a category slug
    tags: list[str] = field(default_factory=list)
    status: ArticleStatus = ArticleStatus.published
    position: int = 0
    old_slugs: list[str] = field(default_factory=list)  # slugs it had before: each becomes a redirect
    source: str = ""  # where it was read, for the report


@dataclass
class ImportedContent:
    """What a reader found, and what it noticed on the way (one line each)."""

    categories: list[ImportedCategory] = field(default_factory=list)
    articles: list[ImportedArticle] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def file_head(file: Path, size: int) -> str:
    """The first ``size`` characters of a file, for telling a format by its look ("" if unreadable)."""
    try:
        with file.open(encoding="utf-8", errors="replace") as handle:
            return handle.read(size)
    except OSError:
        return ""
