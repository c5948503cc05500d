"""Search per locale with stemming, on SQLite FTS5 and PostgreSQL tsvector, with the demo content."""

from __future__ import annotations

import pytest
from sqlmodel import Session, col, select

from helpcenter import articles, content, search
from helpcenter.models import Article, ArticleStatus, SearchMiss
from tests.helpcenter.conftest import ARTICLES


@pytest.fixture()
def demo(session: Session) -> Session:
    result = content.load_folder(session, folder=ARTICLES)
    assert result.categories == 6 and result.articles >= 100
    return session


def publish(session: Session, locale: str, slug: str, title: str, body: str) -> Article:
    """A published article, by the editor "ed"."""
    return articles.create_article(
        session, locale=locale, slug=slug, title=title, body=body, author="ed", status=ArticleStatus.published
    )


def slugs(session: Session, query: str, locale: str) -> list[str]:
    return [hit.article.slug for hit in search.search(session, query=query, locale=locale)]


def test_inflected_german_and_dutch_forms_are_found(session: Session) -> None:
    publish(session, "de", "ruecksendungen", "Rücksendungen", "So funktionieren Rücksendungen bei uns.")
    publish(session, "nl", "retour", "Retour", "Ik retourneer mijn bestelling via het portaal.")
    assert slugs(session, "Rücksendung", "de") == ["ruecksendungen"]
    assert slugs(session, "Ruecksendung", "de") == ["ruecksendungen"]  # umlaut typed out
    assert slugs(session, "retourneren", "nl") == ["retour"]
    assert slugs(session, "retourneren", "de") == []  # other locales are not searched


def test_demo_content_ranks_the_right_article_first(demo: Session) -> None:
    assert slugs(demo, "forgot my password", "en")[0] == "resetting-your-password"
    assert slugs(demo, "Passwort vergessen", "de")[0] == "resetting-your-password"
    assert "return-an-item" in slugs(demo, "Rücksendung Etikett", "de")[:3]
    assert "payment-methods" in slugs(demo, "betaalmethoden ideal", "nl")[:3]


def test_typos_find_their_articles(demo: Session) -> None:
    assert slugs(demo, "pasword", "en")[0] == "resetting-your-password"
    assert slugs(demo, "wachtwoort", "nl")[0] == "resetting-your-password"
    assert slugs(demo, "retrun an item", "en")[0] == "return-an-item"
    publish(demo, "de", "geschenkverpackung", "Geschenkverpackung", "Wir verpacken Geschenke kostenlos.")
    assert slugs(demo, "geschenkverpakung", "de") == ["geschenkverpackung"]  # a new article's words count at once


def test_a_real_word_is_never_corrected_into_an_articles_word(session: Session) -> None:
    publish(session, "nl", "training", "Training", "Wij trainen onze medewerkers elk jaar.")
    assert slugs(session, "trainnen", "nl") == ["training"]  # a typo: no word at all
    # Dutch for trains, one letter from "trainen": the weather or the railways must not find this article.
    assert slugs(session, "treinen", "nl") == []
    assert slugs(session, "rijden de treinen vandaag", "nl") == []
    publish(session, "en", "newsletter", "Newsletter", "Subscribe to our newsletter.")
    # A real word, but another form of the article's word that the stemmer leaves apart (subscript-, subscrib-).
    assert slugs(session, "subscription", "en") == ["newsletter"]


def test_words_far_from_every_article_find_nothing(demo: Session) -> None:
    assert slugs(demo, "xylofoon", "nl") == []
    assert slugs(demo, "qwrtzpl", "de") == []


def test_snippets_highlight_matches_and_escape_everything_else(session: Session) -> None:
    publish(session, "en", "xss", "<b>Refunds</b>", "Your refund <script>alert(1)</script> arrives in 5 days.")
    [hit] = search.search(session, query="refund", locale="en")
    assert "<mark>refund</mark>" in hit.snippet_html
    assert "<script>" not in hit.snippet_html and "&lt;script&gt;" in hit.snippet_html


def test_drafts_are_not_found_and_misses_are_recorded(session: Session) -> None:
    articles.create_article(session, locale="en", slug="secret", title="Secret sale", body="Hidden.", author="ed")
    assert search.search(session, query="secret sale", locale="en") == []
    assert search.search(session, query="   ", locale="en") == []
    session.flush()
    misses = session.exec(select(SearchMiss)).all()
    assert [(m.locale, m.query) for m in misses] == [("en", "secret sale")]
    # A control character the database would refuse (PostgreSQL takes no NUL) is left out, not a failed search.
    assert search.search(session, query="qqzzx\x00yyv\x07", locale="en") == []
    session.flush()
    assert session.exec(select(SearchMiss.query).order_by(col(SearchMiss.id).desc())).first() == "qqzzxyyv"


def test_reindexing_after_an_edit(session: Session) -> None:
    article = publish(session, "en", "tents", "Tents", "Dome tents.")
    assert slugs(session, "tunnel", "en") == []
    articles.update_article(session, article=article, author="ed", body="Tunnel tents and dome tents.")
    assert slugs(session, "tunnel", "en") == ["tents"]


def test_query_syntax_is_not_interpreted(session: Session) -> None:
    publish(session, "en", "x", "Orders", "Orders ship fast.")
    for query in ('"', "orders OR", "NEAR(orders)", "orders*", "' OR 1=1 --", "title:orders", "(orders"):
        assert slugs(session, query, "en") in ([], ["x"])


def test_one_or_two_letters_are_no_prefix_of_every_word(demo: Session) -> None:
    # "<b>x</b><script>" stems to "b", "x", "script": as prefixes, "b" matched nearly every article.
    assert slugs(demo, "<b>x</b><script>", "en") == []
    assert slugs(demo, "b", "en") == []
    assert "resetting-your-password" in slugs(demo, "passw", "en")[:3]  # three letters or more still do
