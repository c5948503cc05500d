"""Help-center services on SQLite and PostgreSQL: articles, revisions, slugs, translations, votes."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import delete
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from core.db import is_postgres, make_engine
from core.errors import ConflictError, NotFoundError, ValidationError
from helpcenter import articles, categories, public
from helpcenter.models import Article, ArticleStatus, ArticleVote, utcnow


def make(session: Session, **overrides: object):  # type: ignore[no-untyped-def]
    values = {"locale": "en", "title": "Returning an item", "body": "Use the **returns portal**.", "author": "ed"}
    values.update(overrides)
    return articles.create_article(session, **values)  # type: ignore[arg-type]


def test_create_slugifies_and_keeps_revision_one(session: Session) -> None:
    article = make(session, title="Rücksendung & Umtausch!", locale="de")
    assert article.slug == "rucksendung-umtausch"
    assert article.status == ArticleStatus.draft
    [rev] = articles.revisions(session, article=article)
    assert (rev.number, rev.title, rev.author) == (1, "Rücksendung & Umtausch!", "ed")


def test_titles_without_latin_letters_get_slugs_of_their_own(session: Session) -> None:
    # Each got "article" before, and the second such title was refused as a duplicate slug.
    first, second = make(session, title="日本語のガイド"), make(session, title="配送について")
    assert first.slug != second.slug and first.slug.startswith("article-") and second.slug.startswith("article-")
    assert make(session, title="!!!", locale="de").slug.startswith("article-")


def test_category_texts_are_checked_not_cut(session: Session) -> None:
    with pytest.raises(ValidationError, match="at most 200"):
        categories.create_category(session, slug="long", names={"en": "x" * 201}, locales=["en"])
    with pytest.raises(ValidationError, match="at most 500"):
        categories.create_category(session, slug="long", names={"en": "Long"}, descriptions={"en": "y" * 501})
    assert categories.create_category(session, slug="ok", names={"en": " Returns "}).names == {"en": "Returns"}


def test_bad_slugs_and_duplicates_are_refused(session: Session) -> None:
    make(session, slug="returns")
    with pytest.raises(ConflictError, match="exists"):  # taken: a 409, the request itself was fine
        make(session, slug="returns")
    for slug in ("Returns", "re turns", "../etc", "a--b", "<script>"):
        with pytest.raises(ValidationError, match="invalid slug"):
            make(session, slug=slug)
    assert make(session, slug="returns", locale="de").slug == "returns"  # same slug, other locale


def test_every_save_is_a_revision_diff_and_restore(session: Session) -> None:
    article = make(session)
    articles.update_article(session, article=article, author="ann", body="Use the portal.\nFree label.")
    articles.update_article(session, article=article, author="bob", title="Returns")
    assert [r.number for r in articles.revisions(session, article=article)] == [3, 2, 1]
    diff = articles.diff_revisions(session, article=article, old=1, new=3)
    assert "-# Returning an item" in diff and "+# Returns" in diff and "+Free label." in diff
    articles.restore_revision(session, article=article, number=1, author="cy")
    assert (article.title, article.body) == ("Returning an item", "Use the **returns portal**.")
    assert articles.revisions(session, article=article)[0].number == 4  # restoring adds, never rewrites
    with pytest.raises(NotFoundError):
        articles.diff_revisions(session, article=article, old=1, new=99)


def test_tags_and_linked_intents_are_trimmed_and_bounded(session: Session) -> None:
    article = articles.create_article(
        session, locale="en", title="Tagged", body="x", author="ed", tags=[" returns", "", "returns", " "], intents=[""]
    )
    assert (article.tags, article.intents) == (["returns"], [])
    articles.update_article(session, article=article, author="ed", tags=["a", " b "], intents=["track_order "])
    assert (article.tags, article.intents) == (["a", "b"], ["track_order"])
    with pytest.raises(ValidationError, match="longer than 200 characters"):
        articles.update_article(session, article=article, author="ed", tags=["x" * 5000])
    with pytest.raises(ValidationError, match="at most 100 intents"):
        articles.update_article(session, article=article, author="ed", intents=[f"i{n}" for n in range(101)])


def test_renamed_slug_redirects(session: Session) -> None:
    article = make(session, slug="return-an-item", status=ArticleStatus.published)
    articles.update_article(session, article=article, author="ed", slug="returning-items")
    found, redirected = public.find_published(session, locale="en", slug="return-an-item")
    assert found is article and redirected
    assert public.find_published(session, locale="en", slug="returning-items") == (article, False)
    assert public.find_published(session, locale="en", slug="nope") == (None, False)


def test_the_chats_link_finds_what_the_page_finds(session: Session) -> None:
    article = make(session, slug="return-an-item", status=ArticleStatus.published)
    articles.update_article(session, article=article, author="ed", slug="returning-items")
    title = article.title
    assert public.published_link(session, locale="en", slug="return-an-item") == (title, "returning-items")
    assert public.published_link(session, locale="en", slug="returning-items") == (title, "returning-items")
    assert public.published_link(session, locale="de", slug="returning-items") is None
    make(session, slug="soon")  # a draft is linked to by no one
    assert public.published_link(session, locale="en", slug="soon") is None


def test_drafts_and_archived_are_not_public_and_scheduling_publishes(session: Session) -> None:
    article = make(session, slug="soon")
    assert public.find_published(session, locale="en", slug="soon") == (None, False)
    articles.set_status(
        session, article=article, status=ArticleStatus.published, publish_at=utcnow() + timedelta(hours=1)
    )
    assert articles.publish_due(session) == 0
    assert articles.publish_due(session, now=utcnow() + timedelta(hours=2)) == 1
    assert public.find_published(session, locale="en", slug="soon")[0] is article
    articles.set_status(session, article=article, status=ArticleStatus.archived)
    assert public.find_published(session, locale="en", slug="soon") == (None, False)


def test_translations_share_a_group(session: Session) -> None:
    en = make(session, slug="returns", status=ArticleStatus.published)
    de = make(
        session,
        slug="ruecksendung",
        locale="de",
        translation_group=en.translation_group,
        status=ArticleStatus.published,
    )
    make(session, slug="retour", locale="nl", translation_group=en.translation_group)  # draft
    assert [a.locale for a in public.translations(session, article=en)] == ["de"]
    assert len(public.translations(session, article=de, published_only=False)) == 2
    # One version per language: a second German one would hide one of the two from the language switcher.
    with pytest.raises(ConflictError, match="'ruecksendung'"):
        make(session, slug="rueckgabe", locale="de", translation_group=en.translation_group)
    with pytest.raises(ConflictError):
        make(session, slug="returns-2", translation_group=en.translation_group)  # English, like its source


def test_votes_and_views(session: Session) -> None:
    article = make(session)
    public.vote(session, article=article, helpful=False, comment="  too short  ")
    public.count_view(session, article=article)
    public.count_view(session, article=article)
    session.flush()
    vote = session.exec(select(ArticleVote).where(ArticleVote.article_id == article.id)).one()
    assert (vote.helpful, vote.comment, article.views) == (False, "too short", 2)


def test_popular_articles_are_the_most_read_that_helped_and_otherwise_the_editors_order(session: Session) -> None:
    def published(title: str, position: int, **values: object) -> Article:
        article = make(session, title=title, slug=f"pop-{uuid.uuid4().hex[:8]}", locale="nl", position=position)
        articles.set_status(session, article=article, status=ArticleStatus.published)
        for name, value in values.items():
            setattr(article, name, value)
        return article

    # No reads, no votes: the editors' order (position), not the alphabet.
    first, second = published("Zwemmen", 0), published("Aanmelden", 1)
    session.flush()
    assert [a.id for a in public.popular_articles(session, locale="nl", limit=2)] == [first.id, second.id]
    read_but_unhelpful = published("Veel gelezen", 2, views=200)
    read_and_helpful = published("Goed geholpen", 3, views=150)
    session.flush()
    for _ in range(8):
        public.vote(session, article=read_but_unhelpful, helpful=False)
        public.vote(session, article=read_and_helpful, helpful=True)
    public.vote(session, article=read_but_unhelpful, helpful=True)
    session.flush()
    top = public.popular_articles(session, locale="nl", limit=3)
    assert [a.id for a in top] == [read_and_helpful.id, read_but_unhelpful.id, first.id]
    assert public.popular_articles(session, locale="de") == []  # per language
    everywhere = public.list_published(session, popular=True, limit=100)
    assert {read_and_helpful.id, first.id} <= {a.id for a in everywhere}


def test_two_processes_publishing_at_once_do_not_both_publish_an_article(engine: Engine) -> None:
    if not is_postgres(engine):
        pytest.skip("SQLite lets one writer at a time in; PostgreSQL needs the row lock")
    with Session(engine) as setup:
        article = make(setup, slug=f"race-{uuid.uuid4().hex[:8]}")
        articles.set_status(
            setup, article=article, status=ArticleStatus.published, publish_at=utcnow() - timedelta(minutes=1)
        )
        setup.commit()
        article_id = article.id
    try:
        with Session(engine) as first, Session(engine) as second:
            assert articles.publish_due(first) >= 1  # its row locks last until it commits
            assert articles.publish_due(second) == 0  # skips the locked article instead of publishing it again
            first.commit()
        with Session(engine) as check:
            published = check.get(Article, article_id)
            assert published is not None and published.status == ArticleStatus.published
    finally:
        with Session(engine) as cleanup:  # committed for real: leave nothing for the other tests
            cleanup.exec(delete(Article).where(col(Article.id) == article_id))  # type: ignore[call-overload]
            cleanup.commit()


def test_views_counted_at_once_by_two_requests_are_both_kept(engine: Engine) -> None:
    # The app's own engine configuration: the test engine's explicit BEGINs would make SQLite's second
    # reader a stale snapshot that may not write at all.
    engine = make_engine(engine.url.render_as_string(hide_password=False))
    with Session(engine) as setup:
        article_id = make(setup, slug=f"views-{uuid.uuid4().hex[:8]}").id
        setup.commit()
    try:
        with Session(engine) as first, Session(engine) as second:
            one, two = first.get(Article, article_id), second.get(Article, article_id)  # both read views = 0
            assert one is not None and two is not None
            public.count_view(first, article=one)
            first.commit()
            public.count_view(second, article=two)
            second.commit()
        with Session(engine) as check:
            assert check.get(Article, article_id).views == 2  # type: ignore[union-attr]
    finally:
        with Session(engine) as cleanup:
            cleanup.exec(delete(Article).where(col(Article.id) == article_id))  # type: ignore[call-overload]
            cleanup.commit()
        engine.dispose()
