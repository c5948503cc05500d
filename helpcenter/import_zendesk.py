"""Read a Zendesk Guide export: the Help Center API's JSON for categories, sections, articles and
their translations, as saved page by page (``{"articles": [...], "next_page": ...}``) into one folder
or one file.

faqdesk groups articles one level deep, so Zendesk's sections become its categories (named per locale
from the sections and their translations; Zendesk's own categories are noted, not kept). An article
and its translations are one translation group. The body is HTML in Zendesk and Markdown in faqdesk:
converted with markdownify (scripts, styles and frames dropped). Zendesk addresses articles as
``/hc/<locale>/articles/<id>-<title>``; both ``<id>-<title>`` and ``<id>`` become redirects to the
article's new slug in its faqdesk locale (``en-us`` becomes ``en``).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from core.errors import ValidationError
from helpcenter.imported import ImportedArticle, ImportedCategory, ImportedContent, file_head
from helpcenter.models import ArticleStatus
from helpcenter.slugs import slugify

KINDS = ("categories", "sections", "articles", "translations")
MAX_BYTES = 200 * 1024 * 1024
_URL_SLUG = re.compile(r"/articles/(\d+)(-[^/?#]*)?")


def looks_like_zendesk(path: Path) -> bool:
    """A JSON file, or a folder of them, holding the Help Center API's ``articles`` list."""
    heads = (file_head(file, 65536) for file in _json_files(path)[:20])
    return any('"articles"' in head and '"html_url"' in head for head in heads)


def read_zendesk(path: Path) -> ImportedContent:
    """Categories (from sections), articles and translations, with the old URLs as redirects."""
    lists = _lists(path)
    content = ImportedContent()
    texts: dict[tuple[str, int, str], dict[str, Any]] = {}  # (kind, id, faqdesk locale) -> its text
    dropped: set[str] = set()
    for kind, singular in (("sections", "Section"), ("articles", "Article")):
        for item in lists[kind]:
            _add_text(texts, kind, item.get("id"), item, dropped)
        for item in lists["translations"]:
            if item.get("source_type") == singular:
                _add_text(texts, kind, item.get("source_id"), item, dropped)
    sections = {s["id"]: s for s in lists["sections"] if isinstance(s.get("id"), int)}
    articles = {a["id"]: a for a in lists["articles"] if isinstance(a.get("id"), int)}
    section_slugs = _categories(content, sections, texts)
    used: set[tuple[str, str]] = set()
    for (kind, article_id, locale), text in sorted(texts.items(), key=lambda kv: (kv[0][1], kv[0][2])):
        if kind != "articles" or article_id not in articles:
            continue
        article = articles[article_id]
        title = str(text.get("title") or "").strip()
        if not title:
            content.notes.append(f"article {article_id} ({locale}) has no title: skipped")
            continue
        slug = slugify(title)
        if (locale, slug) in used:
            slug = f"{slug}-{article_id}"[:200]
        used.add((locale, slug))
        content.articles.append(
            ImportedArticle(
                locale=locale,
                slug=slug,
                title=title,
                body=html_to_markdown(str(text.get("body") or "")),
                translation_key=f"zendesk-article-{article_id}",
                category=section_slugs.get(int(article.get("section_id") or 0)),
                tags=[str(label) for label in article.get("label_names") or []],
                status=ArticleStatus.draft if text.get("draft") else ArticleStatus.published,
                position=int(article.get("position") or 0),
                old_slugs=_old_slugs(article_id, text.get("html_url")),
                source=f"zendesk article {article_id} ({locale})",
            )
        )
    hosted = [a.source for a in content.articles if re.search(r"!\[[^\]]*\]\(https?://[^)]*zendesk\.com/", a.body)]
    if hosted:
        content.notes.append(
            f"{len(hosted)} articles show images from the Zendesk address, which ends with the account: "
            f"upload them in the back office and relink ({', '.join(hosted[:5])})"
        )
    if lists["categories"]:
        content.notes.append(
            f"{len(lists['categories'])} Zendesk categories: faqdesk groups articles one level deep, "
            "so their sections became the categories"
        )
    if dropped:
        content.notes.append(
            f"more than one Zendesk locale for one faqdesk locale, the first kept: {', '.join(sorted(dropped))}"
        )
    return content


def html_to_markdown(html: str) -> str:
    """Zendesk's HTML body as Markdown (faqdesk renders Markdown and never raw HTML)."""
    from bs4 import BeautifulSoup
    from markdownify import markdownify

    soup = BeautifulSoup(html, "html.parser")
    for tag in soup(["script", "style", "iframe", "object", "embed"]):
        tag.decompose()
    text = markdownify(str(soup), heading_style="ATX", bullets="-")
    return re.sub(r"\n{3,}", "\n\n", text).strip() + "\n"


def _categories(
    content: ImportedContent, sections: dict[int, Any], texts: dict[tuple[str, int, str], dict[str, Any]]
) -> dict[int, str]:
    slugs: dict[int, str] = {}
    ordered = sorted(sections.values(), key=lambda s: (int(s.get("position") or 0), s["id"]))
    for section in ordered:
        names = {
            loc: str(t.get("name") or t.get("title") or "")
            for (k, i, loc), t in texts.items()
            if k == "sections" and i == section["id"]
        }
        names = {loc: name for loc, name in names.items() if name.strip()}
        source = names.get(_locale(str(section.get("source_locale") or section.get("locale") or ""))) or next(
            iter(names.values()), ""
        )
        slug = slugify(source or f"section-{section['id']}")
        if slug in slugs.values():
            slug = f"{slug}-{section['id']}"
        slugs[section["id"]] = slug
        descriptions = {
            loc: str(t.get("description") or t.get("body") or "")
            for (k, i, loc), t in texts.items()
            if k == "sections" and i == section["id"] and (t.get("description") or t.get("body"))
        }
        content.categories.append(ImportedCategory(slug=slug, names=names, descriptions=descriptions))
    return slugs


def _add_text(
    texts: dict[tuple[str, int, str], dict[str, Any]],
    kind: str,
    item_id: object,
    item: dict[str, Any],
    dropped: set[str],
) -> None:
    zendesk_locale = str(item.get("locale") or "")
    if not isinstance(item_id, int) or not zendesk_locale:
        return
    key = (kind, item_id, _locale(zendesk_locale))
    if key in texts:
        if texts[key].get("locale") != zendesk_locale:
            dropped.add(zendesk_locale)
        return
    texts[key] = item


def _locale(zendesk: str) -> str:
    """``en-us`` → ``en``: faqdesk's locales are languages."""
    return zendesk.lower().split("-")[0]


def _old_slugs(article_id: int, url: object) -> list[str]:
    old = [str(article_id)]
    match = _URL_SLUG.search(str(url or ""))
    if match and match.group(2):
        old.insert(0, slugify(f"{article_id}{match.group(2)}"))
    return old


def _lists(path: Path) -> dict[str, list[dict[str, Any]]]:
    lists: dict[str, list[dict[str, Any]]] = {kind: [] for kind in KINDS}
    total = 0
    for file in _json_files(path):
        total += file.stat().st_size
        if total > MAX_BYTES:
            raise ValidationError(f"{path}: more than {MAX_BYTES // (1024 * 1024)} MB of JSON")
        try:
            doc = json.loads(file.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ValidationError(f"{file.name}: not JSON: {exc}") from None
        for kind in KINDS:
            value = doc.get(kind) if isinstance(doc, dict) else None
            if isinstance(value, list):
                lists[kind] += [item for item in value if isinstance(item, dict)]
    if not lists["articles"]:
        raise ValidationError(f"{path}: no Help Center 'articles' found in its JSON")
    return lists


def _json_files(path: Path) -> list[Path]:
    if path.is_file():
        return [path] if path.suffix == ".json" else []
    return [p for p in sorted(path.rglob("*.json")) if p.is_file()] if path.is_dir() else []
