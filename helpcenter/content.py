"""Load help-center content from files: ``categories.yaml`` and ``<locale>/<slug>.md`` with front matter.

Used to seed an empty database with the demo content; the same slug in several locales is one
article in translation.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlmodel import Session, func, select

from core import yamlsafe
from core.errors import ValidationError
from core.yamlsafe import YamlSyntaxError
from helpcenter import articles, categories
from helpcenter.models import Article, ArticleStatus

_NAMESPACE = uuid.UUID("6f1c0c52-1d0e-4a8e-9b5e-2f7c5d1f3a10")


@dataclass
class LoadResult:
    """What a content load did."""

    categories: int = 0
    articles: int = 0


def is_empty(session: Session) -> bool:
    """Whether the help center has no articles yet."""
    return session.exec(select(func.count()).select_from(Article)).one() == 0


def load_folder(session: Session, *, folder: Path, author: str = "faqdesk demo") -> LoadResult:
    """Create the categories and published articles found in a content folder."""
    result = LoadResult()
    category_ids: dict[str, int] = {}
    for position, raw in enumerate(_read_yaml(folder / "categories.yaml").get("categories") or []):
        category = categories.create_category(
            session,
            slug=raw["slug"],
            names=dict(raw.get("name") or {}),
            descriptions=dict(raw.get("description") or {}),
            position=position,
        )
        assert category.id is not None
        category_ids[category.slug] = category.id
        result.categories += 1
    for file in sorted(folder.glob("*/*.md")):
        meta, body = _front_matter(file)
        slug, locale = file.stem, file.parent.name
        articles.create_article(
            session,
            locale=locale,
            slug=slug,
            title=str(meta["title"]),
            body=body,
            author=author,
            category_id=category_ids.get(str(meta.get("category", ""))),
            tags=[str(t) for t in meta.get("tags") or []],
            intents=[str(i) for i in meta.get("intents") or []],
            status=ArticleStatus.published,
            translation_group=uuid.uuid5(_NAMESPACE, slug).hex,
            position=int(meta.get("position") or 0),
        )
        result.articles += 1
    return result


def _read_yaml(path: Path) -> dict[str, Any]:
    if not path.is_file():
        return {}
    try:
        data = yamlsafe.load(path.read_text(encoding="utf-8"))
    except YamlSyntaxError as exc:
        raise ValidationError(f"{path}: malformed YAML: {exc}") from None
    return data if isinstance(data, dict) else {}


def _front_matter(file: Path) -> tuple[dict[str, Any], str]:
    text = file.read_text(encoding="utf-8")
    if not text.startswith("---"):
        raise ValidationError(f"{file}: an article starts with '---' front matter")
    _, header, body = text.split("---", 2)
    try:
        meta = yamlsafe.load(header) or {}
    except YamlSyntaxError as exc:
        raise ValidationError(f"{file}: malformed front matter: {exc}") from None
    if not isinstance(meta, dict) or not meta.get("title"):
        raise ValidationError(f"{file}: front matter needs a title")
    return meta, body.strip() + "\n"
