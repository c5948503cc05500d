"""German and Dutch glosses for the English-only encoder: the dictionary reader, the word rules, the model."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from bot import dictionaries, glossary, hand_made
from bot.data import TrainingData
from bot.encoder import Encoder
from bot.glossary import Glosser
from bot.model import FaqModel
from tests.bot.dictd import GERMAN, VOCABULARY, german_glosser, write_dictd


@pytest.fixture(autouse=True)
def _dictionaries_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests read dictionaries; the customer-service vocabulary, which wins over them, is tested
    on its own below."""
    monkeypatch.setattr(hand_made, "support_words", lambda locale: {})


@pytest.fixture()
def german(tmp_path: Path) -> Glosser:
    return german_glosser(tmp_path)


def test_words_are_glossed_by_their_commonest_plain_sense(german: Glosser) -> None:
    assert german.word("Paket") == "package"  # the sense "parcel, package" is marked [Br.]
    assert german.word("bestellen") == "order"  # "till the soil" is marked [agr.]
    assert german.word("Rücksendung") == "return"
    assert german.word("Zeit") == "time"  # listed after "spell", but English says "time" far more
    assert german.word("gerne") == "gladly"  # one word, not a phrase made of common ones
    assert german.word("Platz") == "place"  # not a call ("Down!")


def test_function_words_come_from_the_hand_made_table(german: Glosser) -> None:
    assert german.word("mein") == "my"
    assert german.word("Wo") == "where"


def test_inflections_and_compounds_find_their_headwords(german: Glosser) -> None:
    assert german.word("Pakete") == "package"
    assert german.word("Versandkosten") == "shipping costs"
    assert german.word("Rücksendungskosten") == "return costs"  # the linking s
    assert german.word("Wetter") is None


def test_a_message_is_glossed_word_by_word_keeping_unknown_words(german: Glosser) -> None:
    assert german.gloss("Wo ist mein Paket, Hamburg?") == "where is my package , Hamburg ?"


def test_numbers_are_glossed_whole(german: Glosser) -> None:
    # Split digit by digit, "38" reached the encoder as "3 8", another number.
    words = german.gloss("Paket seit 38 Tagen, 4,95 bezahlt um 14:00").split()
    assert words[0] == "package"
    assert {"38", "4,95", "14:00"} <= set(words)
    assert not {"3", "8", "4", "95", "14", "00"} & set(words)


def test_the_packed_table_is_cached_and_named_by_its_content(german: Glosser, tmp_path: Path) -> None:
    cached = list((tmp_path / "cache" / "glossary").glob("de-*.npz"))
    assert len(cached) == 1
    again = glossary.load(tmp_path / "dictd", "de", tmp_path / "cache", VOCABULARY)
    assert again is not None and again.fingerprint == german.fingerprint
    assert again.gloss("Versandkosten bestellen") == "shipping costs order"
    other = Glosser.from_table("de", {"paket": "box"}, {})
    assert other.fingerprint != german.fingerprint


def test_without_dictionaries_a_locale_has_no_glosser(tmp_path: Path) -> None:
    assert glossary.load(tmp_path, "de", tmp_path / "cache", VOCABULARY) is None
    assert glossary.load(tmp_path, "fr", tmp_path / "cache", VOCABULARY) is None


def test_abbreviations_gloss_only_in_everyday_senses_and_not_as_english_words(tmp_path: Path) -> None:
    # FreeDict finds "Herzindex (HI)" under "hi": a German visitor's "Hi" became "cardiac index CI".
    entries = {
        "Herzindex /hˈɛɾtsɪndˌɛks/ (HI /hˈaɪ/) <masc, n, sg>": " [med.] cardiac index <n>",
        "Acetylcystein /ˈatseːtˌylsyʃtˌaɪn/ (ACC /ˈak/) <neut, n, sg>": "acetylcysteine <n>",
        "Palau /pˈɑlaʊ/ (PW /pˌeːvˈeː/) <neut, n, sg>": " [geogr.] Palau <n>",
        "Süd /zˈyːt/ (S /ˈɛs/) <n>": "south <n>",
        "Postleitzahl /pˈɔstlaɪtsˌɑːl/ (PLZ /pˌeːˌɛltsˈɛt/) <fem, n, sg>": "postcode <n>, postal code <n> [Br.]",
        "ne /nˈeː/ <adv>": " [ugs.] no <adv>",
        "Neon /neːˈoːn/ (Ne /nˈeː/) <neut, n, sg>": "neon <n>",
    }
    listed = {head: head.split("(")[-1].split(" ")[0].lower() for head in entries}  # as the index lists them
    write_dictd(tmp_path, "freedict-deu-eng", entries, listed)
    table = dictionaries.build_table(tmp_path, "de", lambda phrase: 1)
    assert table["plz"] == "postcode"  # an everyday abbreviation, no English word: glossed
    assert table["ne"] == "no"  # a word of its own: the element neon is not mixed in
    assert not {"hi", "acc", "pw", "s"} & set(table)  # English words, a field's sense, one letter


def test_dutch_fills_gaps_from_the_english_dutch_dictionary(tmp_path: Path) -> None:
    write_dictd(tmp_path, "freedict-nld-eng", {"pakket": "pack"})
    write_dictd(tmp_path, "freedict-eng-nld", {"password": "1. wachtwoord, paswoord", "pack": "1. pakket"})
    glosser = glossary.load(tmp_path, "nl", tmp_path / "cache", VOCABULARY)
    assert glosser is not None
    assert glosser.gloss("wachtwoord pakket") == "password pack"


def test_a_glossing_encoder_encodes_the_glosses(german: Glosser) -> None:
    calls: list[list[str]] = []

    class Recording:
        def encode(self, texts: list[str]) -> np.ndarray:
            calls.append(list(texts))
            return np.ones((len(texts), 3), dtype=np.float32)

        def encode_one(self, text: str) -> np.ndarray:
            calls.append([text])
            return np.ones(3, dtype=np.float32)

    inner = Recording()
    wrapped = glossary.glossing(inner, german)
    assert wrapped is glossary.glossing(inner, german) and glossary.glossing(inner, None) is inner
    wrapped.encode(["Wo ist mein Paket?", "Hamburg"])
    wrapped.encode_one("Versandkosten")
    assert calls == [["where is my package ?", "Hamburg"], ["shipping costs"]]


def test_a_glossed_locale_trains_and_predicts_with_its_glosser(
    mini_data: TrainingData, encoder: Encoder, german: Glosser
) -> None:
    plain = FaqModel.train(mini_data, encoder=encoder)
    glossed = FaqModel.train(mini_data, encoder=encoder, glossers={"de": german})
    assert glossed.version != plain.version
    assert glossed.locales["de"].stats["glossary"] == german.fingerprint
    assert "glossary" not in glossed.locales["en"].stats
    assert FaqModel.version_for(mini_data, glossed.config, encoder, {"de": german}) == glossed.version
    assert FaqModel.version_for(mini_data, glossed.config, encoder, {"fr": german}) == plain.version
    calls: list[str] = []
    real = encoder.encode_one

    def counting(text: str) -> np.ndarray:
        calls.append(text)
        return real(text)

    glossed.encoder = type("Spy", (), {"encode_one": staticmethod(counting), "fingerprint": encoder.fingerprint})()  # type: ignore[assignment]
    glossed.predict("Wo ist mein Paket?", locale="de")
    assert calls == ["where is my package ?"]  # one encoder run per message, of its gloss


def test_a_machine_without_the_glossary_still_serves_the_model(
    mini_data: TrainingData, encoder: Encoder, german: Glosser, caplog: pytest.LogCaptureFixture
) -> None:
    glossed = FaqModel.train(mini_data, encoder=encoder, glossers={"de": german})
    glossed.attach(encoder, {})
    assert "no de glossary" in caplog.text
    assert glossed.predict("Wo ist mein Paket?", locale="de").candidates


def test_an_unreadable_dictionary_means_no_glosser_not_a_failed_training(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    write_dictd(tmp_path, "freedict-deu-eng", GERMAN)
    (tmp_path / "freedict-deu-eng.dict.dz").write_bytes(b"not gzip")
    assert glossary.load(tmp_path, "de", tmp_path / "cache", VOCABULARY) is None
    assert "no de glossary" in caplog.text


def test_suggestions_compare_in_the_space_the_classifier_used(
    mini_data: TrainingData, encoder: Encoder, german: Glosser
) -> None:
    glossed = FaqModel.train(mini_data, encoder=encoder, glossers={"de": german})
    de_encoder = glossed.encoder_for("de")
    assert isinstance(de_encoder, glossary.GlossingEncoder)
    assert glossed.encoder_for("en") is encoder
    # one wrapper per encoder and glosser: vectors cached per encoder survive a retrained model's copy
    assert glossed.with_traffic({"de": 0.5}).encoder_for("de") is de_encoder
    question = "Wo ist mein Paket?"
    vector = glossed.predict(question, locale="de").embedding
    assert vector is not None
    np.testing.assert_allclose(vector, de_encoder.encode_one(question), atol=1e-6)
    assert not np.allclose(vector, encoder.encode_one(question), atol=1e-3)
    np.testing.assert_allclose(de_encoder.encode([question])[0], vector, atol=1e-5)
    english = glossed.predict("where is my parcel", locale="en").embedding
    np.testing.assert_allclose(english, encoder.encode_one("where is my parcel"), atol=1e-6)  # type: ignore[arg-type]


def test_customer_service_words_win_over_a_dictionarys_sense() -> None:
    table = {"rechnung": "calculation", "adresse": "address"}
    glosser = Glosser.from_table("de", table, {}, {"rechnung": "invoice"})
    assert glosser.word("Rechnung") == "invoice"
    assert glosser.word("Rechnungen") == "invoice"  # inflected
    assert glosser.word("Rechnungsadresse") == "invoice address"  # a compound's part
    assert Glosser.from_table("de", table, {}).word("Rechnung") == "calculation"


def test_inflected_hand_made_verbs_are_found_by_their_infinitive() -> None:
    table = {"wart": "keeper", "warten": "service", "preise": "awards"}
    glosser = Glosser.from_table("de", table, {}, {"warten": "wait", "kosten": "cost", "preis": "price"})
    assert glosser.gloss("ich warte , kostet") == "ich wait , cost"
    assert glosser.word("Preise") == "awards"  # a headword of its own keeps its own sense
    assert Glosser.from_table("de", table, {}).gloss("warte kostet") == "keeper kostet"


def test_german_typed_without_umlauts_or_sharp_s_is_glossed() -> None:
    glosser = Glosser.from_table("de", {"rücksendung": "return", "löschen": "delete", "straße": "street"}, {})
    assert glosser.gloss("Ruecksendung loeschen Strasse") == "return delete street"
    assert Glosser.from_table("nl", {"rücksendung": "return"}, {}).word("ruecksendung") is None  # German only


def test_the_fingerprint_follows_the_hand_made_tables_without_rebuilding_the_table(
    german: Glosser, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(hand_made, "support_words", lambda locale: {"rechnung": "invoice"} if locale == "de" else {})
    edited = glossary.load(tmp_path / "dictd", "de", tmp_path / "cache", VOCABULARY)
    assert edited is not None and edited.fingerprint != german.fingerprint
    assert edited.word("Rechnung") == "invoice"
    assert len(list((tmp_path / "cache" / "glossary").glob("de-*.npz"))) == 1  # the same cached table


def test_the_customer_service_vocabulary_is_written_as_looked_up() -> None:
    for locale, words in hand_made.table("support_words.json").items():
        assert words and all(dictionaries.normal(w) == w and " " not in w for w in words), locale
        assert all(gloss.strip() for gloss in words.values()), locale


def test_inflections_reach_the_hand_made_vocabulary_through_their_lemma() -> None:
    table = {"sturen": "steer", "jas": "cloak", "jassen": "shell"}
    links = {"gestuurd": "sturen", "stuurde": "sturen", "jassen": "jas", "gekocht": "kopen"}  # "kopen": no headword
    plain = Glosser.from_table("nl", table, {}, lemmas=links)
    # Without a hand-made sense the links change nothing: a dictionary's first sense of a verb is often rare.
    assert plain.gloss("gestuurd jassen gekocht") == "gestuurd shell gekocht"
    glosser = Glosser.from_table("nl", table, {}, {"sturen": "send", "jas": "jacket"}, lemmas=links)
    assert glosser.gloss("gestuurd stuurde jassen gekocht") == "send send jacket gekocht"
    assert glosser.fingerprint != Glosser.from_table("nl", table, {}, {"sturen": "send", "jas": "jacket"}).fingerprint


def test_lemma_links_come_from_simplemma_and_point_at_headwords_only() -> None:
    links = dictionaries.lemma_links("nl", {"sturen", "jaar"})
    assert links["gestuurd"] == "sturen" and links["jaren"] == "jaar"
    assert set(links.values()) == {"sturen", "jaar"}
    assert dictionaries.lemma_links("de", {"kaufen"})["gekauft"] == "kaufen"
    assert dictionaries.lemma_links("xx", {"sturen"}) == {}  # a language simplemma does not know


def test_the_cached_table_keeps_its_lemma_links(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(hand_made, "support_words", lambda locale: {"sturen": "send", "pakket": "parcel"})
    write_dictd(tmp_path / "dictd", "freedict-nld-eng", {"sturen": "steer <v>", "pakket": "package <n>"})
    built = glossary.load(tmp_path / "dictd", "nl", tmp_path / "cache", VOCABULARY)
    again = glossary.load(tmp_path / "dictd", "nl", tmp_path / "cache", VOCABULARY)  # read from the cache
    assert built is not None and again is not None
    assert built.gloss("gestuurd stuurde pakketten") == again.gloss("gestuurd stuurde pakketten") == "send send parcel"
    assert again.fingerprint == built.fingerprint


def test_german_inflections_are_not_linked(german: Glosser) -> None:
    # FreeDict lists German inflections as headwords of their own; links did worse there (LEMMAS).
    assert "de" not in glossary.LEMMAS and len(german._forms) == 0
