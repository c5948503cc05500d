"""Categories: create, look up, list, edit (with the editor's version checked), delete when empty.
Keyword-only functions, the session first; callers commit."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func
from sqlmodel import Session, col, select

from core.errors import ConflictError, NotFoundError, ValidationError
from core.i18n import N_
from core.versions import FieldChange, check_version, field_changes, flush_edit
from helpcenter.models import Article, Category
from helpcenter.slugs import check_slug

MAX_NAME = 200  # the API's limit too (api.params.LocaleNames)
MAX_DESCRIPTION = 500  # the form's and the API's limit


def clean_names(names: dict[str, str], locales: Sequence[str] | None = None) -> dict[str, str]:
    """A category's names per locale, trimmed and without the blank ones: at least one is needed.
    With ``locales`` (the configured ones), a name in another locale is refused: it would replace the
    names the help center shows with one it never shows."""
    _known_locales(names, locales)
    cleaned = {k: v.strip() for k, v in names.items() if v.strip()}
    if not cleaned:
        raise ValidationError(N_("a category needs a name in at least one locale"))
    if any(len(name) > MAX_NAME for name in cleaned.values()):  # cut silently before
        raise ValidationError(N_("a category name is at most 200 characters"))
    return cleaned


def clean_descriptions(descriptions: dict[str, str], locales: Sequence[str] | None = None) -> dict[str, str]:
    """A category's descriptions per locale, trimmed and without the blank ones."""
    _known_locales(descriptions, locales)
    cleaned = {k: v.strip() for k, v in descriptions.items() if v.strip()}
    if any(len(text) > MAX_DESCRIPTION for text in cleaned.values()):
        raise ValidationError(N_("a category description is at most 500 characters"))
    return cleaned


def _known_locales(texts: dict[str, str], locales: Sequence[str] | None) -> None:
    if locales is not None and (unknown := sorted(set(texts) - set(locales))):
        raise ValidationError(f"unknown locale {unknown[0]!r}; configured: {', '.join(locales)}")


def create_category(
    session: Session,
    *,
    slug: str,
    names: dict[str, str],
    descriptions: dict[str, str] | None = None,
    position: int = 0,
    locales: Sequence[str] | None = None,
) -> Category:
    """Create a category; ``locales``, when given, are the configured ones its texts must be in."""
    names, descriptions = clean_names(names, locales), clean_descriptions(descriptions or {}, locales)
    if session.exec(select(Category).where(Category.slug == slug)).first():
        raise ConflictError(f"a category with slug {slug!r} exists")
    category = Category(slug=check_slug(slug), names=names, descriptions=descriptions, position=position)
    session.add(category)
    session.flush()
    return category


def get_category(session: Session, *, slug: str) -> Category:
    """A category by slug, or NotFoundError."""
    category = session.exec(select(Category).where(Category.slug == slug)).first()
    if category is None:
        raise NotFoundError(f"no category {slug!r}")
    return category


def list_categories(session: Session) -> Sequence[Category]:
    """All categories in display order."""
    return session.exec(select(Category).order_by(col(Category.position), col(Category.slug))).all()


def category_of(session: Session, *, article: Article) -> Category | None:
    """The article's category, if any."""
    return session.get(Category, article.category_id) if article.category_id is not None else None


def update_category(
    session: Session,
    *,
    category: Category,
    names: dict[str, str] | None = None,
    descriptions: dict[str, str] | None = None,
    position: int | None = None,
    expected_version: int | None = None,
    locales: Sequence[str] | None = None,
) -> Category:
    """Rename, describe or move a category (its slug stays: public URLs depend on it).

    ``expected_version`` is the version the editor started from: another one saved meanwhile is an
    ``EditConflict`` and nothing is written. ``locales`` as for ``create_category``.
    """
    check_version(category, expected_version, what="This category")
    if names is not None:
        category.names = clean_names(names, locales)
    if descriptions is not None:
        category.descriptions = clean_descriptions(descriptions, locales)
    if position is not None:
        category.position = position
    session.add(category)
    flush_edit(session, category, what="This category")
    return category


def category_changes(
    category: Category, *, names: dict[str, str], descriptions: dict[str, str], position: int | None
) -> list[FieldChange]:
    """The fields where the saved category differs from an editor's refused save, for the conflict page."""

    def fields(names: dict[str, str], descriptions: dict[str, str], position: str) -> dict[str, str]:
        per_locale = {f"name ({loc})": text.strip() for loc, text in names.items()}
        per_locale |= {f"description ({loc})": text.strip() for loc, text in descriptions.items()}
        return {**per_locale, "position": position}

    saved = fields(category.names, category.descriptions, str(category.position))
    yours = fields(names, descriptions, str(category.position if position is None else position))
    return field_changes(saved, yours)


def get_category_by_id(session: Session, *, category_id: int) -> Category:
    """A category by id."""
    category = session.get(Category, category_id)
    if category is None:
        raise NotFoundError(f"no category {category_id}")
    return category


def category_article_counts(session: Session) -> dict[int, int]:
    """How many articles (any status) each category holds."""
    rows = session.exec(
        select(Article.category_id, func.count())
        .where(col(Article.category_id).is_not(None))
        .group_by(col(Article.category_id))
    )
    return {cid: n for cid, n in rows.all() if cid is not None}


def delete_category(session: Session, *, category: Category, expected_version: int | None = None) -> None:
    """Delete an empty category; one that still holds articles is refused, and so is a delete from a page
    of an older version (``expected_version``): it would drop what another editor saved meanwhile unseen."""
    check_version(category, expected_version, what="This category")
    if category_article_counts(session).get(category.id or -1):
        raise ConflictError(N_("move or delete the category's articles first"))
    session.delete(category)
