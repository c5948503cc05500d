"""Lexical analysis: folding, stemming and compound splitting for de/nl."""

from __future__ import annotations

from bot.text import Analyzer
from core.text import fold, stems, tokens


def test_fold_strips_accents_and_umlaut_spellings_meet() -> None:
    assert fold("Rücksendung", "de") == fold("Ruecksendung", "de") == fold("Rucksendung", "de") == "rucksendung"
    assert fold("Größe", "de") == "grosse"
    assert fold("geëxporteerd café", "nl") == "geexporteerd cafe"
    # Outside German "ue" is an ordinary pair of letters.
    assert fold("Queue", "en") == "queue"


def test_tokens_drop_punctuation() -> None:
    assert tokens("Wo ist mein Paket?!  #123") == ["wo", "ist", "mein", "paket", "123"]


def test_stems_bring_inflected_forms_together() -> None:
    assert stems(["Rücksendungen"], "de") == stems(["Ruecksendung"], "de")
    assert stems(["retourneren"], "nl") == stems(["retourneer"], "nl")
    assert stems(["returns"], "en") == stems(["returning"], "en")


def test_compounds_split_into_known_parts() -> None:
    analyzer = Analyzer.fit(
        ["Was kostet der Versand?", "Wie hoch sind die Kosten", "Etikett drucken", "Rücksendung anmelden"], "de"
    )
    terms = analyzer.terms("Versandkosten")
    assert "versand" in terms and "kost" in terms
    # A linking "s" and an umlaut spelled out: Rücksende-etikett.
    assert "etikett" in analyzer.terms("Ruecksendeetikett")
    # Unknown parts never appear out of nowhere.
    assert analyzer.terms("Donaudampfschiff") == stems(["Donaudampfschiff"], "de")


def test_dutch_compounds_and_no_splitting_in_english() -> None:
    nl = Analyzer.fit(["wat zijn de verzend opties", "hoeveel kosten"], "nl")
    assert set(stems(["verzend", "kosten"], "nl")) <= set(nl.terms("verzendkosten"))
    en = Analyzer.fit(["ship costs"], "en")
    assert en.terms("shipcosts") == ["shipcost"]
