"""Read a Zendesk Guide export: the Help Center API's JSON for categories, sections, articles and
their translations, as saved page by page (``{"articles": [...], "next_page": ...}``) into one folder
or one file.

faqdesk groups articles one level deep, so Zendesk's sections become its categories (named per locale
from the sections and their translations; Zendesk's own categories are noted, not kept). An article
and its translations are one translation group. An article Zendesk showed only to signed-in users or
agents (a user segment) becomes a draft: a published faqdesk article is public. The body is HTML in
Zendesk and Markdown in faqdesk: converted with markdownify, text that would read as Markdown escaped,
scripts and styles dropped, frames and videos kept as links; links to articles of the export lead to
their faqdesk addresses, Zendesk's paths (images too) are completed with its address, and the notes
name the articles that still depend on Zendesk. Zendesk addresses articles as
``/hc/<locale>/articles/<id>-<title>``; both ``<id>-<title>`` (its letters decoded) and ``<id>`` become
redirects to the article's new slug in its faqdesk locale (``en-us`` becomes ``en``).
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urljoin, urlsplit

from core.errors import ValidationError
from helpcenter.imported import ImportedArticle, ImportedCategory, ImportedContent, file_head
from helpcenter.markdown import escape_text
from helpcenter.models import ArticleStatus
from helpcenter.slugs import slugify

KINDS = ("categories", "sections", "articles", "translations")
MAX_BYTES = 200 * 1024 * 1024
_URL_SLUG = re.compile(r"/articles/(\d+)(-[^/?#]*)?")
# Zendesk's article path, with or without a locale; the title after the id is optional and ignored.
_ARTICLE_PATH = re.compile(r"/hc/(?:(?P<locale>[A-Za-z]{2,3}(?:-[A-Za-z0-9]+)*)/)?articles/(?P<id>\d+)(?:-[^/]*)?/?$")


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
    # Every slug first: a body's links to other articles of the export become their faqdesk addresses.
    slugs: dict[tuple[int, str], str] = {}
    used: set[tuple[str, str]] = set()
    for (kind, article_id, locale), text in sorted(texts.items(), key=lambda kv: (kv[0][1], kv[0][2])):
        if kind != "articles" or article_id not in articles:
            continue
        title = str(text.get("title") or "").strip()
        if not title:
            content.notes.append(f"article {article_id} ({locale}) has no title: skipped")
            continue
        slug = slugify(title)
        if (locale, slug) in used:
            slug = f"{slug}-{article_id}"[:200]
        used.add((locale, slug))
        slugs[(article_id, locale)] = slug
    hosts = {urlsplit(str(a.get("html_url") or "")).hostname or "" for a in articles.values()} - {""}
    met: dict[str, list[str]] = {}  # what a body met -> the articles it was met in, for the notes
    for (article_id, locale), slug in slugs.items():
        article, text = articles[article_id], texts[("articles", article_id, locale)]
        source = f"zendesk article {article_id} ({locale})"
        body = _Body(slugs, hosts, locale=locale, base=str(text.get("html_url") or article.get("html_url") or ""))
        markdown = body.convert(str(text.get("body") or ""))
        # A user segment showed the article only to signed-in users or agents; a faqdesk article is public.
        restricted = article.get("user_segment_id") is not None or bool(article.get("user_segment_ids"))
        for seen in body.met | ({"restricted"} if restricted else set()):
            met.setdefault(seen, []).append(source)
        content.articles.append(
            ImportedArticle(
                locale=locale,
                slug=slug,
                title=str(text.get("title")).strip(),
                body=markdown,
                translation_key=f"zendesk-article-{article_id}",
                category=section_slugs.get(int(article.get("section_id") or 0)),
                tags=[str(label) for label in article.get("label_names") or []],
                status=ArticleStatus.draft if text.get("draft") or restricted else ArticleStatus.published,
                position=int(article.get("position") or 0),
                old_slugs=_old_slugs(article_id, text.get("html_url")),
                source=source,
            )
        )
    for seen, note in _NOTES.items():
        if sources := met.get(seen):
            shown = sources if seen == "restricted" else sources[:5]  # each restricted one needs a look
            more = ", …" if len(shown) < len(sources) else ""
            content.notes.append(f"{len(sources)} articles {note} ({', '.join(shown)}{more})")
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


_NOTES = {
    "restricted": "were shown only to signed-in users or agents in Zendesk (a user segment): imported as drafts, "
    "as a published faqdesk article is public: publish those everyone may read",
    "images": "show images from the Zendesk address, which ends with the account: "
    "upload them in the back office and relink",
    "lost images": "had images by a relative address without the Zendesk one to complete it: they are missing",
    "links": "link to the Zendesk help center (an article not in this import, or another page), "
    "which ends with the account: relink them",
    "embeds": "embedded videos or frames, which faqdesk shows as links to them",
    "lost embeds": "embedded videos or frames without an address: they are gone",
}


def html_to_markdown(html: str) -> str:
    """Zendesk's HTML body as Markdown (faqdesk renders Markdown and never raw HTML)."""
    return _Body({}, set(), locale="", base="").convert(html)


class _Body:
    """One body's conversion: Zendesk's links and images made to work in faqdesk where they can, frames
    and videos kept as links, and in ``met`` what the import's notes should name."""

    def __init__(self, slugs: dict[tuple[int, str], str], hosts: set[str], *, locale: str, base: str) -> None:
        self.slugs, self.hosts, self.locale, self.base = slugs, hosts, locale, base
        self.met: set[str] = set()

    def convert(self, html: str) -> str:
        from bs4 import BeautifulSoup

        soup = BeautifulSoup(html, "html.parser")
        for tag in soup(["script", "style"]):
            tag.decompose()
        for tag in soup(["iframe", "video", "audio", "embed", "object"]):
            self._embed(soup, tag)
        for tag in soup("img"):
            if src := self._zendesk(str(tag.get("src") or ""), "images"):
                tag["src"] = src
        for tag in soup("a"):
            href = str(tag.get("href") or "")
            if new := self._article(href) or self._zendesk(href, "links"):
                tag["href"] = new
        for cell in soup(["td", "th"]):
            _keep_pipes(cell)
        text = _converter().convert_soup(soup)
        return re.sub(r"\n{3,}", "\n\n", text).strip() + "\n"

    def _embed(self, soup: Any, tag: Any) -> None:
        """A frame or video as a link to what it showed: faqdesk's Markdown embeds nothing."""
        if tag.parent is None:  # inside one already replaced (an <embed> in an <object>)
            return
        found = tag.get("src") or tag.get("data") or next((s.get("src") for s in tag("source") if s.get("src")), "")
        src = str(found or "").strip()
        if src.startswith("//"):  # as Zendesk's editor writes YouTube's frames
            src = f"https:{src}"
        elif src.startswith("/") and self.base:
            src = urljoin(self.base, src)
        if urlsplit(src).scheme not in ("http", "https"):
            self.met.add("lost embeds")
            tag.decompose()
            return
        self.met.add("embeds")
        link = soup.new_tag("a", href=src)
        link.string = str(tag.get("title") or "").strip() or ("Audio" if tag.name == "audio" else "Video")
        tag.replace_with(link)

    def _article(self, href: str) -> str | None:
        """A link to an article of this import, Zendesk's address or its path: that article's faqdesk one."""
        parts = urlsplit(href)
        if parts.netloc and not self._is_zendesk(parts.hostname or ""):
            return None
        match = _ARTICLE_PATH.match(parts.path)
        article_id = int(match["id"]) if match else 0
        locales = {loc for (i, loc) in self.slugs if i == article_id}
        wanted = _locale(match["locale"] or self.locale) if match else ""
        locale = next((loc for loc in (wanted, self.locale, *sorted(locales)) if loc in locales), None)
        return f"/hc/{locale}/articles/{self.slugs[(article_id, locale)]}" if locale else None

    def _zendesk(self, url: str, kind: str) -> str | None:
        """A Zendesk address made whole (a path alone leads nowhere in faqdesk) and noted under ``kind``."""
        parts = urlsplit(url)
        if not parts.netloc and parts.path.startswith("/") and not parts.scheme:
            if not urlsplit(self.base).netloc:
                self.met.add(f"lost {kind}" if kind == "images" else kind)
                return None
            url = urljoin(self.base, url)
            parts = urlsplit(url)
        if parts.netloc and self._is_zendesk(parts.hostname or ""):
            self.met.add(kind)
            return url
        return None

    def _is_zendesk(self, host: str) -> bool:
        return host in self.hosts or host == "zendesk.com" or host.endswith(".zendesk.com")


@cache
def _converter() -> Any:
    """markdownify's converter escaping text only where Markdown would read it as markup ("1986. A year",
    "+ plus", "*not bold*" stay text). Its own escape_misc also escapes every "+", "=" and "-", and a "."
    after a number mid-sentence, which every imported article's source then showed its editors ("Call
    \\+31 20 123\\."). Built on first use: markdownify and BeautifulSoup load only for an import."""
    from markdownify import MarkdownConverter

    class Converter(MarkdownConverter):
        def escape(self, text: str, parent_tags: set[str]) -> str:
            return escape_text(text)

    return Converter(heading_style="ATX", bullets="-")


def _keep_pipes(cell: Any) -> None:
    """Pipes in a table cell that markdownify leaves as they are (its escaping skips code and addresses):
    a bare one would end the cell."""
    for code in cell(["code", "pre"]):
        for string in code.find_all(string=True):
            string.replace_with(string.replace("|", "\\|"))  # markdown-it's tables take the backslash off
    for tag in cell(["a", "img"]):
        for attribute in ("href", "src"):
            if tag.get(attribute):
                tag[attribute] = str(tag[attribute]).replace("|", "%7C")


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
        # Zendesk percent-encodes the title's letters (``R%C3%BCckgabe``): the slug is made of them.
        old.insert(0, slugify(unquote(f"{article_id}{match.group(2)}")))
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
