"""Read a folder of Markdown articles with YAML front matter (Jekyll, Hugo, Docusaurus, MkDocs style).

Front matter keys: ``title`` (required), ``slug`` (else the file name), ``locale`` (else a parent folder
named like a locale, ``en/`` or ``docs/de/``, else the default), ``category`` (a slug or a name),
``translation_key`` (also ``translationKey`` or ``translation``; else the slug: the same slug in several
locales is one article in translation), ``tags``, ``status`` (``draft`` or ``published``, the default),
``position`` (also ``weight``, ``sidebar_position``), ``redirect_from`` (also ``aliases``: old slugs or
URLs, each a redirect). A ``categories.yaml`` in the folder (faqdesk's own content format) names the
categories per locale; without it a category is named after how the articles spell it.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from core import yamlsafe
from core.errors import ValidationError
from core.yamlsafe import YamlSyntaxError
from helpcenter.imported import ImportedArticle, ImportedCategory, ImportedContent, file_head
from helpcenter.models import ArticleStatus
from helpcenter.slugs import slugify

_LOCALE_FOLDER = re.compile(r"^[a-z]{2,3}(?:[-_][A-Za-z]{2,4})?$")
_FRONT = re.compile(r"\A---[ \t]*\r?\n(.*?)\r?\n---[ \t]*(?:\r?\n|\Z)(.*)\Z", re.S)
MAX_FILES = 10_000


def looks_like_markdown(path: Path) -> bool:
    """A folder holding Markdown files that start with front matter."""
    if not path.is_dir():
        return False
    return any(_FRONT.match(file_head(file, 4096)) for file in _files(path)[:20])


def read_markdown(path: Path, *, default_locale: str = "en") -> ImportedContent:
    """Every ``*.md`` under ``path`` with front matter (others are listed in the notes)."""
    if not path.is_dir():
        raise ValidationError(f"{path}: a Markdown import reads a folder of .md files")
    content = ImportedContent()
    named = _categories_file(path / "categories.yaml")
    categories: dict[str, ImportedCategory] = {c.slug: c for c in named}
    files = _files(path)
    if len(files) > MAX_FILES:
        raise ValidationError(f"{path}: more than {MAX_FILES:,} Markdown files")
    without = []
    for file in files:
        relative = file.relative_to(path)
        match = _FRONT.match(file.read_text(encoding="utf-8", errors="replace"))
        if not match:
            without.append(str(relative))
            continue
        try:
            meta = yamlsafe.load(match.group(1)) or {}
        except YamlSyntaxError as exc:
            raise ValidationError(f"{relative}: malformed front matter: {exc}") from None
        if not isinstance(meta, dict) or not str(meta.get("title") or "").strip():
            raise ValidationError(f"{relative}: the front matter needs a title")
        locale = str(meta.get("locale") or meta.get("lang") or _folder_locale(relative) or default_locale)
        slug = slugify(str(meta.get("slug") or file.stem))
        category = _category(meta.get("category") or meta.get("categories"), locale, categories)
        content.articles.append(
            ImportedArticle(
                locale=locale.replace("_", "-").lower(),
                slug=slug,
                title=str(meta["title"]).strip(),
                body=match.group(2).strip() + "\n",
                translation_key=str(_first(meta, "translation_key", "translationKey", "translation") or slug),
                category=category,
                tags=[str(t) for t in _list(meta.get("tags"))],
                status=ArticleStatus.draft
                if str(meta.get("status", "")).lower() == "draft"
                else ArticleStatus.published,
                position=_int(_first(meta, "position", "weight", "sidebar_position")),
                old_slugs=[_slug_of(old) for old in _list(_first(meta, "redirect_from", "aliases"))],
                source=str(relative),
            )
        )
    content.categories = list(categories.values())
    if without:
        content.notes.append(f"Markdown files without front matter skipped: {', '.join(without[:10])}")
    return content


def _category(value: object, locale: str, categories: dict[str, ImportedCategory]) -> str | None:
    """The slug of the article's category, creating one named as written when it is new."""
    name = str(_list(value)[0]).strip() if _list(value) else ""
    if not name:
        return None
    slug = slugify(name)
    if slug not in categories:
        categories[slug] = ImportedCategory(slug=slug, names={locale: name})
    else:
        categories[slug].names.setdefault(locale, name)
    return slug


def _categories_file(file: Path) -> list[ImportedCategory]:
    if not file.is_file():
        return []
    try:
        doc = yamlsafe.load(file.read_text(encoding="utf-8")) or {}
    except YamlSyntaxError as exc:
        raise ValidationError(f"{file.name}: malformed YAML: {exc}") from None
    out = []
    for raw in doc.get("categories") or [] if isinstance(doc, dict) else []:
        if isinstance(raw, dict) and raw.get("slug"):
            names = {str(k): str(v) for k, v in (raw.get("name") or {}).items()}
            descriptions = {str(k): str(v) for k, v in (raw.get("description") or {}).items()}
            out.append(ImportedCategory(slug=slugify(str(raw["slug"])), names=names, descriptions=descriptions))
    return out


def _files(path: Path) -> list[Path]:
    return [p for p in sorted(path.rglob("*.md")) if p.is_file() and not p.name.startswith(".")]


def _folder_locale(relative: Path) -> str | None:
    for part in reversed(relative.parts[:-1]):
        if _LOCALE_FOLDER.match(part):
            return part
    return None


def _first(meta: dict[str, Any], *keys: str) -> Any:
    return next((meta[key] for key in keys if meta.get(key) not in (None, "")), None)


def _list(value: object) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


def _int(value: object) -> int:
    try:
        return int(str(value)) if value is not None else 0
    except ValueError:
        return 0


def _slug_of(old: object) -> str:
    """An old slug, or the last part of an old URL (``/help/pausing.html`` → ``pausing``)."""
    last = str(old).rstrip("/").rsplit("/", 1)[-1]
    return slugify(re.sub(r"\.html?$", "", last))
