"""Importing an existing help center: categories and articles with their translations and old URLs.

Readers turn a source into ``ImportedContent`` (``helpcenter.import_markdown`` for a folder of Markdown
files with front matter, ``helpcenter.import_zendesk`` for a Zendesk Guide export); ``import_content``
writes it in the caller's transaction, through the same services as the editor (revision 1, search
index). Articles that share a translation key become one translation group; every old slug or URL an
article had becomes a redirect to it, so links into the old help center keep working.

Into a help center that has content already, only ``merge`` imports, and then it keeps what is there:
a category or article whose slug exists is left alone and reported.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlmodel import Session, func, select

from core.errors import ConflictError, ValidationError
from helpcenter import articles, categories
from helpcenter.import_markdown import looks_like_markdown, read_markdown
from helpcenter.import_zendesk import looks_like_zendesk, read_zendesk
from helpcenter.imported import ImportedArticle, ImportedCategory, ImportedContent
from helpcenter.models import Article, Category, SlugRedirect
from helpcenter.slugs import check_slug

__all__ = [
    "ImportedArticle",
    "ImportedCategory",
    "ImportedContent",
    "ContentReport",
    "import_content",
    "looks_like_markdown",
    "looks_like_zendesk",
    "read_markdown",
    "read_zendesk",
]

_NAMESPACE = uuid.UUID("0b6a4f8e-3c51-4f4e-9a7d-6d1f0e2c9b31")  # translation groups from source keys
AUTHOR = "faqdesk import"


@dataclass
class ContentReport:
    """What an import wrote and what it left alone."""

    counts: dict[str, int] = field(default_factory=lambda: {"categories": 0, "articles": 0, "redirects": 0})
    notes: list[str] = field(default_factory=list)


def import_content(
    session: Session, *, content: ImportedContent, merge: bool = False, locales: Sequence[str] | None = None
) -> ContentReport:
    """Write categories, articles and redirects (the caller commits); ``ConflictError`` when the help
    center has content and ``merge`` is not asked for. ``locales``: the configured ones; others are skipped."""
    present = session.exec(select(func.count()).select_from(Article)).one()
    if present and not merge:
        raise ConflictError(
            f"the help center already has {present} articles: pass --merge to add the imported ones beside them "
            "(an article or category whose slug exists is left alone)"
        )
    report = ContentReport(notes=list(content.notes))
    category_ids = _categories(session, content.categories, report)
    written: list[tuple[Article, ImportedArticle]] = []
    for item in content.articles:
        if locales is not None and item.locale not in locales:
            report.notes.append(f"{item.source}: locale '{item.locale}' is not configured (FAQDESK_LOCALES): skipped")
            continue
        if articles.by_slug(session, locale=item.locale, slug=item.slug) is not None:
            report.notes.append(f"{item.source}: an article '{item.slug}' exists in '{item.locale}': left alone")
            continue
        article = articles.create_article(
            session,
            locale=item.locale,
            slug=item.slug,
            title=item.title,
            body=item.body,
            author=AUTHOR,
            category_id=category_ids.get(item.category or ""),
            tags=item.tags,
            status=item.status,
            translation_group=uuid.uuid5(_NAMESPACE, item.translation_key).hex,
            position=item.position,
        )
        report.counts["articles"] += 1
        written.append((article, item))
    for article, item in written:  # after every article, so an old slug never hides a new article's
        _redirects(session, article, item, report)
    session.flush()
    return report


def _categories(session: Session, items: list[ImportedCategory], report: ContentReport) -> dict[str, int]:
    ids = {c.slug: c.id for c in session.exec(select(Category)).all() if c.id is not None}
    position = len(ids)
    for item in items:
        if item.slug in ids:
            report.notes.append(f"category '{item.slug}' exists: its articles join it, its names are left alone")
            continue
        category = categories.create_category(
            session, slug=item.slug, names=item.names, descriptions=item.descriptions, position=position
        )
        assert category.id is not None
        ids[item.slug] = category.id
        position += 1
        report.counts["categories"] += 1
    return ids


def _redirects(session: Session, article: Article, item: ImportedArticle, report: ContentReport) -> None:
    assert article.id is not None
    for old in dict.fromkeys(item.old_slugs):
        if old == article.slug:
            continue
        try:
            check_slug(old)
        except ValidationError:
            continue
        taken = (
            articles.by_slug(session, locale=article.locale, slug=old) is not None
            or session.exec(
                select(SlugRedirect.id).where(SlugRedirect.locale == article.locale, SlugRedirect.old_slug == old)
            ).first()
        )
        if taken:
            report.notes.append(f"{item.source}: the old slug '{old}' is taken in '{article.locale}': no redirect")
            continue
        session.add(SlugRedirect(locale=article.locale, old_slug=old, article_id=article.id))
        report.counts["redirects"] += 1
