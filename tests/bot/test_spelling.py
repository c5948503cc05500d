"""Typo correction of visitors' messages against the FAQ's words (bot/spelling.py)."""

from __future__ import annotations

from pathlib import Path

from bot import store
from bot.classifier import LocaleClassifier
from bot.data import TrainingData
from bot.encoder import Encoder
from bot.model import FaqModel, TrainConfig
from bot.spelling import Speller

SHOP_DE = ["Wo ist meine Rechnung?", "Ich möchte meine Bestellung stornieren", "Stornierung einer Bestellung"]
SHOP_EN = ["Where can I find my invoice?", "How do I reset my password?", "the seam of my jacket tore"]


def test_misspelt_faq_words_are_corrected() -> None:
    german = Speller.fit(SHOP_DE, "de")
    assert german.correct("rechnug fehlt") == "rechnung fehlt"
    assert german.correct("Stornirung bitte!") == "stornierung bitte!"  # two edits at most, one here
    english = Speller.fit(SHOP_EN, "en")
    assert english.correct("paswrod reset pls") == "password reset pls"
    assert english.correct("wheres my invoce?") == "where my invoice?"


def test_real_words_are_never_turned_into_the_faqs() -> None:
    english = Speller.fit(SHOP_EN, "en")
    assert english.correct("how do I stop spam") == "how do I stop spam"  # one letter from "seam"
    dutch = Speller.fit(["hoe lang duren de leveringen"], "nl")
    assert dutch.correct("mijn buren hebben mijn pakket") == "mijn buren hebben mijn pakket"  # not "duren"
    # an English word in a German message is a word too
    assert Speller.fit(["Wo finde ich den Chat?"], "de").correct("such bar") == "such bar"


def test_german_typed_without_umlauts_is_spelled_with_them_not_corrected_to_another_word() -> None:
    german = Speller.fit(["Ich möchte meine anderen Daten sehen", "Adresse ändern"], "de")
    assert german.correct("wo aendern") == "wo ändern"  # not "anderen", one letter away
    assert german.correct("kuendigen") == "kündigen"  # no FAQ word near it: still its real spelling
    assert german.correct("neue adresse") == "neue adresse"  # a word already, not "neü"
    assert Speller.fit(["waar is mijn pakket"], "nl").correct("kuendigen") == "kuendigen"  # German only


def test_a_language_without_a_word_list_is_not_corrected() -> None:
    # wordfreq has no list of Frisian: an unknown word there may well be a word
    assert Speller.fit(["wêr is myn bestelling"], "fy").correct("wêr is myn bestelingg") == "wêr is myn bestelingg"
    assert Speller.fit(["waar is mijn bestelling"], "nl-BE").correct("bestelingg") == "bestelling"


def test_short_words_and_far_misspellings_are_left_alone() -> None:
    speller = Speller.fit(["where is my order", "refund status"], "en")
    assert speller.correct("ordr") == "order"
    assert speller.correct("rfnd") == "rfnd"  # four letters: one edit at most, "refund" is two away
    assert speller.correct("xq ordr") == "xq order"
    assert speller.correct("rrefnd statuss") == "rrefnd status"  # six letters, two edits: too far


def test_the_classifier_scores_the_corrected_message() -> None:
    texts = ["where is my invoice", "send me the invoice", "cancel my order", "stop the order please"]
    labels = ["invoice", "invoice", "cancel", "cancel"]
    plain = LocaleClassifier("en").fit(texts, labels, None, spelling=False)
    spelled = LocaleClassifier("en").fit(texts, labels, None)
    assert plain.spell("invoce plz") == "invoce plz"
    assert spelled.spell("invoce plz") == "invoice plz"


def test_a_saved_model_corrects_as_the_trained_one(mini_data: TrainingData, encoder: Encoder, tmp_path: Path) -> None:
    model = FaqModel.train(mini_data, encoder=encoder, config=TrainConfig(borrow=False))
    message = "Abo kündgen bitte"  # "kündigen" with a letter left out
    assert model.locales["de"].classifier.spell(message) == "Abo kündigen bitte"
    store.save(model, tmp_path)
    loaded = store.load(tmp_path, model.version)
    loaded.attach(encoder)
    assert loaded.locales["de"].classifier.spell(message) == "Abo kündigen bitte"
    a, b = model.predict(message, locale="de"), loaded.predict(message, locale="de")
    assert a.top is not None and b.top is not None and a.top.intent == b.top.intent == "cancel_subscription"
    assert a.confidence == b.confidence
    assert model.predict("Abo kündigen bitte", locale="de").confidence == a.confidence  # the same message now


def test_spelling_is_part_of_the_model_version(mini_data: TrainingData, encoder: Encoder) -> None:
    with_spelling = FaqModel.version_for(mini_data, TrainConfig(), encoder)
    assert FaqModel.version_for(mini_data, TrainConfig(spelling=False), encoder) != with_spelling
