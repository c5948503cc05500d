"""Compound splitting against the training vocabulary (German, Dutch)."""

from __future__ import annotations

from bot.text import Analyzer
from core.text import stems


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
