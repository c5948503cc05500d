"""Optimistic locking in the services, on SQLite and PostgreSQL: a save made from an older version is
refused with the current one, a save from the current version bumps it, and a write overtaken by another
transaction between its read and its write is the same conflict (issue 10: no lost update).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, func, select

from core.db import make_engine
from core.errors import EditConflict
from helpcenter import articles, categories, public
from helpcenter.models import Article, ArticleRevision, ArticleStatus, Category
from support import intents
from support.models import FaqIntent

LOCALES = ["en", "de", "nl"]


def _article(session: Session, title: str = "Returns") -> Article:
    return articles.create_article(session, locale="en", title=title, body="Send it back.", author="ann@example.com")


def _save_intent(session: Session, intent_id: str, answer: str, **kwargs: object) -> FaqIntent:
    return intents.save_intent(
        session,
        intent_id=intent_id,
        kind="faq",
        article=None,
        examples={"en": [f"question about {intent_id}"]},
        answers={"en": answer},
        user="ann@example.com",
        locales=LOCALES,
        **kwargs,  # type: ignore[arg-type]
    )


def _revisions(session: Session, article: Article) -> int:
    return session.exec(select(func.count()).where(ArticleRevision.article_id == article.id)).one()


# --- the editor's version against the saved one ------------------------------------------------------


def test_an_article_save_from_the_current_version_bumps_it_and_records_it(session: Session) -> None:
    article = _article(session)
    assert article.version == 1 and articles.revisions(session, article=article)[0].article_version == 1
    articles.update_article(
        session, article=article, author="bob@example.com", body="Within 30 days.", expected_version=1
    )
    assert article.version == 2
    latest = articles.revisions(session, article=article)[0]
    assert (latest.article_version, latest.body, latest.author) == (2, "Within 30 days.", "bob@example.com")


def test_an_article_save_from_an_older_version_is_refused_and_writes_nothing(session: Session) -> None:
    article = _article(session)
    articles.update_article(session, article=article, author="ann@example.com", body="Ann's text.", expected_version=1)
    with pytest.raises(EditConflict) as refused:
        articles.update_article(session, article=article, author="bob@example.com", body="Bob's.", expected_version=1)
    assert refused.value.current_version == 2 and refused.value.status_code == 409
    session.expire_all()
    assert (article.body, article.version, _revisions(session, article)) == ("Ann's text.", 2, 2)


def test_publishing_and_views_leave_the_version_alone(session: Session) -> None:
    article = _article(session)
    articles.set_status(session, article=article, status=ArticleStatus.published)
    public.count_view(session, article=article)
    session.flush()
    session.refresh(article)
    assert (article.status, article.views, article.version) == (ArticleStatus.published, 1, 1)
    # so an editor who opened version 1 before it was published still saves
    articles.update_article(session, article=article, author="bob@example.com", body="New.", expected_version=1)
    assert article.version == 2


def test_changes_since_lists_who_saved_and_diffs_from_the_version_started_from(session: Session) -> None:
    article = _article(session)
    articles.update_article(session, article=article, author="ann@example.com", body="Send it back.\nFree.")
    articles.update_article(session, article=article, author="cem@example.com", title="Returns and refunds")
    changes = articles.changes_since(session, article=article, version=1)
    assert [(r.article_version, r.author) for r in changes.saves] == [(2, "ann@example.com"), (3, "cem@example.com")]
    assert "-# Returns" in changes.diff and "+# Returns and refunds" in changes.diff and "+Free." in changes.diff
    assert articles.changes_since(session, article=article, version=3) == articles.ChangesSince(saves=[], diff="")


def test_a_category_save_from_an_older_version_is_refused(session: Session) -> None:
    category = categories.create_category(session, slug="shipping", names={"en": "Shipping"})
    assert category.version == 1
    categories.update_category(session, category=category, names={"en": "Delivery"}, expected_version=1)
    assert category.version == 2
    with pytest.raises(EditConflict) as refused:
        categories.update_category(session, category=category, names={"en": "Post"}, expected_version=1)
    assert refused.value.current_version == 2
    session.expire_all()
    assert category.names == {"en": "Delivery"}
    changes = categories.category_changes(category, names={"en": "Post", "de": ""}, descriptions={}, position=None)
    assert [(c.field, c.saved, c.yours) for c in changes] == [("name (en)", "Delivery", "Post")]


def test_an_intent_save_from_an_older_version_is_refused_unless_it_changes_nothing(session: Session) -> None:
    intent = _save_intent(session, "opening_hours", "9 to 5.")
    assert intent.version == 1
    _save_intent(session, "opening_hours", "9 to 6.", expected_version=1)
    assert intent.version == 2
    with pytest.raises(EditConflict) as refused:
        _save_intent(session, "opening_hours", "8 to 5.", expected_version=1)
    assert refused.value.current_version == 2
    session.expire_all()
    assert intent.answers == {"en": "9 to 6."}
    _save_intent(session, "opening_hours", "9 to 6.", expected_version=1)  # the same text: nothing to lose
    changes = intents.intent_changes(
        intent, kind="faq", article="", examples={"en": ["question about opening_hours"]}, answers={"en": "8 to 5."}
    )
    assert [(c.field, c.saved, c.yours) for c in changes] == [("answer (en)", "9 to 6.", "8 to 5.")]


# --- two transactions: the second write was read before the first committed -------------------------


@pytest.fixture(scope="module")
def db(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


def _overtaken(
    db: Engine, load: Callable[[Session], object], edit: Callable[[Session, object], object]
) -> EditConflict:
    """Read a row in one session, let another session save it and commit, then save from the first."""
    with Session(db) as first, Session(db) as second:
        mine = load(first)
        edit(second, load(second))
        second.commit()
        with pytest.raises(EditConflict) as refused:
            edit(first, mine)  # no expected version: only the UPDATE's own version check can catch it
        return refused.value


def test_an_article_write_overtaken_by_another_transaction_is_a_conflict(db: Engine) -> None:
    with Session(db) as session:
        article_id = _article(session, title="Overtaken article").id
        session.commit()

    def load(session: Session) -> object:
        return session.get(Article, article_id)

    def edit(session: Session, article: object) -> object:
        assert isinstance(article, Article)
        return articles.update_article(session, article=article, author=f"{id(session)}", body=f"by {id(session)}")

    conflict = _overtaken(db, load, edit)
    assert conflict.current_version == 2
    with Session(db) as session:
        article = session.get(Article, article_id)
        assert article is not None and article.version == 2 and _revisions(session, article) == 2


def test_a_category_write_overtaken_by_another_transaction_is_a_conflict(db: Engine) -> None:
    with Session(db) as session:
        category_id = categories.create_category(session, slug="overtaken", names={"en": "Overtaken"}).id
        session.commit()

    def load(session: Session) -> object:
        return session.get(Category, category_id)

    def edit(session: Session, category: object) -> object:
        assert isinstance(category, Category)
        return categories.update_category(session, category=category, names={"en": f"by {id(session)}"})

    assert _overtaken(db, load, edit).current_version == 2


def test_an_intent_write_overtaken_by_another_transaction_is_a_conflict(db: Engine) -> None:
    with Session(db) as session:
        _save_intent(session, "overtaken", "First.")
        session.commit()

    def load(session: Session) -> object:
        return session.get(FaqIntent, "overtaken")

    def edit(session: Session, _intent: object) -> object:
        return _save_intent(session, "overtaken", f"by {id(session)}")

    assert _overtaken(db, load, edit).current_version == 2
