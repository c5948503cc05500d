"""Folding, tokens and stems per locale."""

from __future__ import annotations

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
