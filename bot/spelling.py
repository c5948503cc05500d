"""Typos in visitors' messages corrected to the FAQ's own words, before the classifier sees them.

Visitors misspell ("rechnug fehlt", "stornirung bitte", "paswrod reset"), and a misspelt word is lost
twice: the lexical head never saw it, and the German and Dutch glosses (bot/glossary.py) cannot look it
up, so the encoder gets an unknown string too. A word is corrected only when it is no word at all, that
is, in none of wordfreq's lists of the locale's language and English (visitors mix the two) nor among
the FAQ's words; it then becomes the FAQ's word closest to it (OSA distance 1, or 2 for words of seven
letters or more), if there is one. Real words are never "corrected" into the FAQ's words ("spam" stays
spam, "buren" stays neighbours), which would make an off-topic question look like a known one. A locale
whose language wordfreq has no list of is left as written.

Calibration corrects its held-out rows with a speller fitted on the fold's training examples only,
the generic out-of-scope questions included, so the thresholds see what correction does to both.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from os.path import commonprefix

from rapidfuzz import process
from rapidfuzz.distance import OSA

from bot import hand_made
from core.text import language, tokens
from core.words import has_word_list, is_word
from core.words import load as load_word_lists

_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)
_MIN_LENGTH = 4  # shorter words are too often another word one letter away
_TWO_EDITS_FROM = 7  # letters from which a word may be two edits away from the FAQ's ("paswrod")
_CACHE_LIMIT = 20_000


class Speller:
    """Corrects a locale's messages against a vocabulary (the FAQ's words of that locale)."""

    def __init__(self, locale: str, vocabulary: Iterable[str]) -> None:
        self.locale = locale
        self.vocabulary = sorted({w for w in vocabulary if len(w) >= 3})
        self._known = frozenset(self.vocabulary)
        self._fixed: dict[str, str] = {}

    @classmethod
    def fit(cls, texts: Iterable[str], locale: str) -> Speller:
        """The words of the examples, and for German and Dutch the glossary's customer-service words
        (they gloss reliably, so a typo of one reaches the encoder as its meaning)."""
        words = {w for t in texts for w in tokens(t)}
        words.update(hand_made.support_words(language(locale)))
        return cls(locale, words)

    def load(self) -> None:
        """Read the word lists it checks words against (~0.2 s the first time in a process)."""
        load_word_lists(self.locale)

    def correct(self, text: str) -> str:
        """``text`` with each misspelt word replaced by the FAQ's word it most likely meant."""
        return _WORD.sub(lambda m: self.word(m.group(0)), text)

    def word(self, word: str) -> str:
        """The word itself, or (lowercased) the vocabulary's word it is a typo of."""
        lower = word.lower()
        if len(lower) < _MIN_LENGTH or lower in self._known:
            return word
        fixed = self._fixed.get(lower)
        if fixed is None:  # chat threads share the cache: read and written once each, never re-read
            if len(self._fixed) >= _CACHE_LIMIT:
                self._fixed.clear()
            fixed = self._fixed[lower] = self._closest(lower)
        return word if fixed == lower else fixed

    def _closest(self, word: str) -> str:
        # Without a word list of the locale's language nothing tells a typo from a word we do not know.
        if not self.vocabulary or not has_word_list(self.locale) or is_word(word, self.locale):
            return word
        if language(self.locale) == "de" and (spelled := hand_made.umlauts(word)) != word and is_word(spelled, "de"):
            return spelled  # "aendern" is "ändern" typed without umlauts, not a typo of "anderen"
        limit = 1 if len(word) < _TWO_EDITS_FROM else 2
        found = process.extract(word, self.vocabulary, scorer=OSA.distance, score_cutoff=limit, limit=None)
        if not found:
            return word
        nearest = min(distance for _, distance, _ in found)
        # Ties: a typo rarely hits the first letter, then the longer shared start, then the closer length.
        ties = [w for w, distance, _ in found if distance == nearest]
        return max(ties, key=lambda w: (w[0] == word[0], len(commonprefix([w, word])), -abs(len(w) - len(word)), w))
