"""Importing an existing help center: a Markdown folder with front matter and a Zendesk Guide export."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import Session, select

from core.errors import ConflictError, ValidationError
from helpcenter import public
from helpcenter.import_zendesk import html_to_markdown
from helpcenter.imports import import_content, looks_like_markdown, looks_like_zendesk, read_markdown, read_zendesk
from helpcenter.models import Article, ArticleStatus, Category

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
LOCALES = ["en", "de", "nl"]


def articles(session: Session) -> dict[tuple[str, str], Article]:
    return {(a.locale, a.slug): a for a in session.exec(select(Article)).all()}


def test_the_formats_are_told_apart() -> None:
    assert looks_like_zendesk(FIXTURES / "zendesk_export") and not looks_like_markdown(FIXTURES / "zendesk_export")
    assert looks_like_markdown(FIXTURES / "markdown_hc") and not looks_like_zendesk(FIXTURES / "markdown_hc")


def test_a_zendesk_export_keeps_translations_sections_drafts_and_old_urls(session: Session) -> None:
    report = import_content(session, content=read_zendesk(FIXTURES / "zendesk_export"), locales=LOCALES)
    assert report.counts == {"categories": 2, "articles": 5, "redirects": 10}
    found = articles(session)
    en = found[("en", "how-do-i-pause-my-subscription")]
    de = found[("de", "wie-pausiere-ich-mein-abo")]
    assert (
        en.translation_group
        == de.translation_group
        == found[("nl", "hoe-pauzeer-ik-mijn-abonnement")].translation_group
    )
    assert "up to **8 weeks**" in en.body and "track(" not in en.body and "<" not in en.body
    assert en.tags == ["pause", "subscription"] and en.status is ArticleStatus.published
    assert found[("en", "holiday-schedule-2024")].status is ArticleStatus.draft
    category = session.get(Category, en.category_id)
    assert category is not None and category.names == {"en": "Account and billing", "de": "Konto und Rechnungen"}
    # The old address, by id and title or by id alone, finds the article in its faqdesk locale.
    for old in ("360012345671-how-do-i-pause-my-subscription", "360012345671"):
        article, redirected = public.find_published(session, locale="en", slug=old)
        assert redirected and article is not None and article.id == en.id
    assert any("en-gb" in note for note in report.notes)  # two Zendesk locales for one faqdesk locale
    assert any(n.startswith("1 articles show images from the Zendesk address") for n in report.notes)


def test_html_bodies_become_markdown_without_scripts() -> None:
    html = (
        '<h2>Steps</h2><ul><li><a href="https://x.test/a">One</a></li></ul><script>alert(1)</script><style>p{}</style>'
    )
    assert html_to_markdown(html) == "## Steps\n\n- [One](https://x.test/a)\n"


def test_a_markdown_folder_keeps_slugs_translations_categories_and_redirects(session: Session) -> None:
    content = read_markdown(FIXTURES / "markdown_hc")
    assert content.notes == ["Markdown files without front matter skipped: README.md"]
    report = import_content(session, content=content, locales=LOCALES)
    assert report.counts == {"categories": 2, "articles": 4, "redirects": 2}
    found = articles(session)
    en, de = found[("en", "pausing-your-subscription")], found[("de", "abo-pausieren")]
    assert en.translation_group == de.translation_group and en.category_id == de.category_id
    assert en.tags == ["pause", "subscription"] and en.position == 1
    assert found[("en", "holiday-2024")].status is ArticleStatus.draft
    for old in ("pause", "how-to-pause"):
        article, redirected = public.find_published(session, locale="en", slug=old)
        assert redirected and article is not None and article.id == en.id


def test_a_help_center_with_content_takes_an_import_only_when_merging(session: Session) -> None:
    import_content(session, content=read_markdown(FIXTURES / "markdown_hc"), locales=LOCALES)
    with pytest.raises(ConflictError, match="already has 4 articles"):
        import_content(session, content=read_markdown(FIXTURES / "markdown_hc"), locales=LOCALES)
    again = import_content(session, content=read_markdown(FIXTURES / "markdown_hc"), locales=LOCALES, merge=True)
    assert again.counts == {"categories": 0, "articles": 0, "redirects": 0}
    assert any("an article 'abo-pausieren' exists in 'de': left alone" in note for note in again.notes)


def test_broken_sources_are_explained(tmp_path: Path) -> None:
    (tmp_path / "a.md").write_text("---\ntags: [x]\n---\nNo title\n")
    with pytest.raises(ValidationError, match="a.md: the front matter needs a title"):
        read_markdown(tmp_path)
    (tmp_path / "articles.json").write_text('{"articles": [')
    with pytest.raises(ValidationError, match="articles.json: not JSON"):
        read_zendesk(tmp_path)


def test_hostile_front_matter_is_refused_with_the_reason_not_parsed_for_minutes(tmp_path: Path) -> None:
    from tests.core.test_yamlsafe import alias_bomb

    (tmp_path / "bomb.md").write_text("---\ntitle: Boom\n" + alias_bomb() + "---\nBody\n")
    with pytest.raises(ValidationError, match="bomb.md: malformed front matter: aliases expand"):
        read_markdown(tmp_path)
    (tmp_path / "bomb.md").write_text("---\ntitle: " + "[" * 5000 + "\n---\nBody\n")
    with pytest.raises(ValidationError, match="nested more than 50 levels"):
        read_markdown(tmp_path)
