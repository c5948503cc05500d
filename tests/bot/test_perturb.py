"""Visitor-style copies of training examples (calibration only)."""

from __future__ import annotations

import numpy as np

from bot.perturb import chatty, keywords, typos, visitor_style


def test_typos_lowercase_drop_punctuation_and_slip_some_letters() -> None:
    rng = np.random.default_rng(0)
    text = "How can I return my Hiking Boots?"
    copies = {typos(text, rng, rate=1.0) for _ in range(20)}
    assert all(c == c.lower() and "?" not in c for c in copies)
    assert all(len(c.split()) == len(text.split()) for c in copies)
    assert all(c != text.lower().rstrip("?") for c in copies)  # every long word slipped somewhere


def test_keywords_keep_the_longest_words_in_order() -> None:
    rng = np.random.default_rng(0)
    out = keywords("Wie kann ich meine Bestellung stornieren?", rng).split()
    assert 2 <= len(out) <= 4 and "bestellung" in out and "stornieren" in out
    assert out.index("bestellung") < out.index("stornieren")


def test_chatty_wraps_the_question_in_the_locale_language() -> None:
    rng = np.random.default_rng(1)
    nl = chatty("Waar is mijn pakket?", "nl", rng)
    assert "waar is mijn pakket?" in nl and not nl.startswith("waar")
    assert chatty("Where is it?", "fr", rng) != "where is it?"  # any other language gets English openers


def test_the_same_seed_gives_the_same_copies() -> None:
    texts = ["Where is my parcel?", "Can I pay by invoice?", "Wo ist mein Paket?"]
    a = [visitor_style(t, "en", np.random.default_rng(5)) for t in texts]
    b = [visitor_style(t, "en", np.random.default_rng(5)) for t in texts]
    assert a == b
