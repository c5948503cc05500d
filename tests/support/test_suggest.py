"""Article suggestions for questions the bot could not answer: relevant ones only."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest
from sqlmodel import Session

from bot import glossary
from bot.encoder import Encoder
from bot.model import FaqModel
from bot.policy import PolicyConfig
from helpcenter import articles, content
from helpcenter.models import ArticleStatus
from support import conversations, suggest
from tests.bot.dictd import write_dictd
from tests.helpcenter.conftest import ARTICLES


@pytest.fixture()
def demo(session: Session) -> Session:
    content.load_folder(session, folder=ARTICLES)
    return session


def slugs(session: Session, query: str, locale: str, encoder: Encoder | None, **kwargs: object) -> list[str]:
    found = suggest.suggest(session, query=query, locale=locale, encoder=encoder, **kwargs)  # type: ignore[arg-type]
    return [s.article.slug for s in found]


@pytest.mark.parametrize(
    ("query", "locale"),
    [
        ("what is the capital of peru", "en"),
        ("Wie wird das Wetter morgen in Hamburg?", "de"),
        ("give me a recipe for banana bread", "en"),
        ("wat voor weer wordt het morgen in hamburg", "nl"),
    ],
)
def test_off_topic_questions_get_no_article(demo: Session, encoder: Encoder, query: str, locale: str) -> None:
    assert slugs(demo, query, locale, encoder) == []
    # ... even when the bot guessed an intent with an article: its guess alone is no evidence.
    assert slugs(demo, query, locale, encoder, guesses=["express-delivery"]) == []


@pytest.mark.parametrize(
    ("query", "locale", "slug"),
    [
        ("my parcel never arrived", "en", "missing-items"),
        ("can I wash my rain jacket in the machine", "en", "caring-for-your-rain-jacket"),
        ("Passwort vergessen", "de", "resetting-your-password"),
        ("pasword reset", "en", "resetting-your-password"),  # a typo, corrected and confirmed by meaning
    ],
)
def test_questions_get_their_article_among_three(
    demo: Session, encoder: Encoder, query: str, locale: str, slug: str
) -> None:
    found = suggest.suggest(demo, query=query, locale=locale, encoder=encoder)
    assert 1 <= len(found) <= 3 and slug in [s.article.slug for s in found]
    assert all(s.snippet_html for s in found)


@pytest.mark.parametrize(
    ("query", "wrong"),
    [("how can I get in touch with you", "pickup-points"), ("how do i reach you guys", "repair-service")],
)
def test_an_article_with_the_words_but_not_the_meaning_is_not_offered(
    demo: Session, encoder: Encoder, query: str, wrong: str
) -> None:
    # The article holds the question's one or two telling words ("touch", "reach") in another sense.
    assert wrong not in slugs(demo, query, "en", encoder)


def test_the_places_beside_a_qualified_article_go_to_the_next_closest(demo: Session, encoder: Encoder) -> None:
    # The newsletter article clears no bar on its own for this question (few shared words, a modest
    # similarity), but it is the next closest once another article has shown the question is on topic.
    found = suggest.suggest(demo, query="too many mails from you", locale="en", encoder=encoder)
    assert len(found) == 3 and "newsletter" in [s.article.slug for s in found[1:]]
    assert found[1].similarity is not None and found[1].similarity < suggest.FAIR


def test_the_bots_guess_joins_on_shared_words_and_fair_meaning(demo: Session, encoder: Encoder) -> None:
    question = "waar kan ik me inschrijven voor jullie nieuwsbrief"
    assert "newsletter" not in slugs(demo, question, "nl", encoder)  # too little evidence on its own
    assert "newsletter" in slugs(demo, question, "nl", encoder, guesses=["newsletter"])


def test_new_articles_are_found_and_drafts_never(demo: Session, encoder: Encoder) -> None:
    articles.create_article(
        demo,
        locale="en",
        slug="gift-wrapping",
        title="Gift wrapping",
        author="ed",
        body="We wrap gifts for free: tick 'gift wrap' at checkout and add a card with your message.",
        status=ArticleStatus.published,
    )
    articles.create_article(
        demo, locale="en", slug="secret-gift-plans", title="Gift wrapping plans", author="ed", body="Draft."
    )
    found = slugs(demo, "can you wrap my gift", "en", encoder)
    assert found[0] == "gift-wrapping" and "secret-gift-plans" not in found


def test_without_an_encoder_words_alone_decide(demo: Session) -> None:
    assert "resetting-your-password" in slugs(demo, "forgot my password", "en", None)
    assert slugs(demo, "qwrtzpl", "en", None) == []


def test_warming_builds_every_locales_vectors_ahead(demo: Session, encoder: Encoder) -> None:
    suggest._vectors.clear()
    suggest.warm(demo, locales=["en", "de", "nl"], encoder=encoder)
    built = {locale for (_, locale, _) in suggest._vectors}
    assert built == {"en", "de", "nl"}
    # Every article has its passages (title and lead, then one per section) together in the matrix.
    assert all(len(v.ids) == len(v.starts) > 0 and len(v.matrix) > len(v.ids) for v in suggest._vectors.values())


class Counting:
    """The encoder, recording the texts it is asked to encode one at a time."""

    def __init__(self, encoder: Encoder) -> None:
        self.inner, self.fingerprint, self.texts = encoder, encoder.fingerprint, list[str]()

    def encode(self, texts: list[str]) -> np.ndarray:
        return self.inner.encode(texts)

    def encode_one(self, text: str) -> np.ndarray:
        self.texts.append(text)
        return self.inner.encode_one(text)


def test_a_vector_the_caller_has_is_used_not_encoded_again(demo: Session, encoder: Encoder) -> None:
    query = "my parcel never arrived"
    counting = Counting(encoder)
    given = suggest.suggest(demo, query=query, locale="en", encoder=counting, query_vector=encoder.encode_one(query))
    assert counting.texts == []
    alone = suggest.suggest(demo, query=query, locale="en", encoder=encoder)
    assert [(s.article.slug, s.similarity) for s in given] == [(s.article.slug, s.similarity) for s in alone]
    assert given and given[0].similarity is not None


def test_a_chat_turn_encodes_the_visitors_message_once(demo: Session, demo_model: FaqModel, encoder: Encoder) -> None:
    counting = Counting(encoder)
    demo_model.encoder = counting  # type: ignore[assignment]
    conversation, _ = conversations.start_conversation(
        demo, locale="en", page_url=None, locales=["en", "de", "nl"], default_locale="en"
    )
    text = "can I wash my rain jacket in the machine at sixty degrees"
    turn = conversations.visitor_turn(
        demo, conversation=conversation, model=demo_model, config=PolicyConfig(), text=text
    )
    assert turn.bot.decision == "suggest" and turn.bot.articles  # the suggestions compared the message's meaning
    assert counting.texts == [text]


def test_an_article_is_found_by_a_section_its_opening_never_mentions(demo: Session, encoder: Encoder) -> None:
    lead = (
        "Our insulated bottles keep drinks cold for 24 hours and hot for 12. They are made of double-walled "
        "stainless steel, hold 750 ml and fit the side pocket of every Nordkap backpack. The lid is leak-proof "
        "and the powder coating survives drops on rocky trails. Wash them by hand with warm water and a drop of "
        "soap; the dishwasher dulls the coating over time. Spare lids and straw tops are sold separately."
    )
    articles.create_article(
        demo,
        locale="en",
        slug="insulated-bottles",
        title="Insulated bottles",
        author="ed",
        body=f"{lead}\n\n## Personal engraving\n\nWe laser-engrave a name or initials on any bottle for free.",
        status=ArticleStatus.published,
    )
    assert "insulated-bottles" in slugs(demo, "can you put my initials on a flask", "en", encoder)


def test_a_translation_is_also_found_by_its_english_version(demo: Session, encoder: Encoder, tmp_path: Path) -> None:
    write_dictd(tmp_path / "dictd", "freedict-deu-eng", {"Geschenk": "gift <n>", "einpacken": "wrap <v>, to wrap"})
    german = glossary.load(tmp_path / "dictd", "de", tmp_path / "cache", frozenset(["gift", "wrap"]))
    assert german is not None
    glossed = glossary.glossing(encoder, german)
    # A German page whose text says little yet: its glossed text alone does not answer the question.
    stub = articles.create_article(
        demo,
        locale="de",
        slug="geschenkservice",
        title="Geschenkservice",
        body="Diese Seite wird gerade übersetzt.",
        author="ed",
        status=ArticleStatus.published,
    )
    question = "Könnt ihr mein Geschenk einpacken?"
    assert "geschenkservice" not in slugs(demo, question, "de", glossed)
    articles.create_article(
        demo,
        locale="en",
        slug="gift-wrapping",
        title="Gift wrapping",
        body="We wrap gifts for free: tick 'gift wrap' at checkout and add a card with your message.",
        author="ed",
        status=ArticleStatus.published,
        translation_group=stub.translation_group,
    )
    # Publishing the English version rebuilds the German vectors, and its meaning finds the German page.
    assert "geschenkservice" in slugs(demo, question, "de", glossed)


class Held:
    """The encoder, holding every batch of articles until released (a build that takes minutes)."""

    def __init__(self, encoder: Encoder) -> None:
        self.inner, self.fingerprint = encoder, encoder.fingerprint
        self.started, self.release = threading.Event(), threading.Event()

    def encode(self, texts: list[str]) -> np.ndarray:
        self.started.set()
        assert self.release.wait(30)
        return self.inner.encode(texts)

    def encode_one(self, text: str) -> np.ndarray:
        return self.inner.encode_one(text)


def test_a_question_does_not_wait_for_vectors_another_thread_is_building(demo: Session, encoder: Encoder) -> None:
    held = Held(encoder)
    # The warm-up reads the articles, then encodes; the test's session is used by one thread at a time.
    warming = threading.Thread(target=suggest.warm, args=(demo,), kwargs={"locales": ["en"], "encoder": held})
    warming.start()
    try:
        assert held.started.wait(30)
        # Meanwhile a visitor's question is answered at once, by most of its words alone (no article
        # that only shares a word or two: without the meaning, nothing confirms it).
        assert "resetting-your-password" in slugs(demo, "password reset", "en", held)
        assert slugs(demo, "what is the capital of peru", "en", held) == []
    finally:
        held.release.set()
        warming.join(60)
    assert "resetting-your-password" in slugs(demo, "I cannot log in anymore", "en", held)


def test_warming_stops_when_asked(demo: Session, encoder: Encoder) -> None:
    stop = threading.Event()
    stop.set()
    with pytest.raises(suggest.Stopped):
        suggest.warm(demo, locales=["en"], encoder=Counting(encoder), stop=stop)
