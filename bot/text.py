"""Lexical analysis per locale: folding, tokens, stems and compound parts.

The default encoder is English-only, so German and Dutch lean on this side: Snowball stems, umlaut
and accent folding (visitors type "Rucksendung" or "Ruecksendung"), and compound splitting against
the vocabulary of the training examples ("Versandkosten" -> "versand" + "kost").
"""

from __future__ import annotations

from collections.abc import Iterable

from core.text import fold, stems, tokens

__all__ = ["Analyzer", "fold", "stems", "tokens"]

# Linking elements between parts of German and Dutch compounds.
_LINKS = ("", "s", "es", "n", "en", "e", "er")
_COMPOUND_LOCALES = {"de", "nl", "da", "sv", "no"}
_MIN_PART = 3


class Analyzer:
    """Turns a message into lexical terms: folded stems plus compound parts.

    The compound vocabulary is learned from training texts so splitting only ever yields parts the
    classifier has seen.
    """

    def __init__(self, locale: str, vocabulary: Iterable[str] = ()) -> None:
        self.locale = locale
        self.vocabulary = frozenset(v for v in vocabulary if len(v) >= _MIN_PART)
        self._split_cache: dict[str, tuple[str, ...]] = {}

    @classmethod
    def fit(cls, texts: Iterable[str], locale: str) -> Analyzer:
        """Learn the compound vocabulary (folded words and stems) from training texts."""
        vocab: set[str] = set()
        for text in texts:
            words = tokens(text)
            vocab.update(fold(w, locale) for w in words)
            vocab.update(stems(words, locale))
        return cls(locale, vocab)

    def terms(self, text: str) -> list[str]:
        """Stems of the text, each followed by its compound parts when it splits."""
        out: list[str] = []
        words = tokens(text)
        for word, stem in zip(words, stems(words, self.locale), strict=True):
            out.append(stem)
            if self.locale in _COMPOUND_LOCALES and len(stem) >= 2 * _MIN_PART + 1:
                out.extend(stems(self.split(fold(word, self.locale)), self.locale))
        return out

    def split(self, word: str) -> tuple[str, ...]:
        """Known parts of a compound word (empty when it does not split into known parts)."""
        if word not in self._split_cache:
            parts = self._split(word, depth=0)
            self._split_cache[word] = tuple(parts) if parts and len(parts) > 1 else ()
        return self._split_cache[word]

    def _split(self, word: str, depth: int) -> list[str] | None:
        if word in self.vocabulary and depth > 0:
            return [word]
        if depth >= 3:
            return None
        # Longest head first: "versandkosten" prefers "versand" over "vers".
        for cut in range(len(word) - _MIN_PART, _MIN_PART - 1, -1):
            head, rest = word[:cut], word[cut:]
            if head not in self.vocabulary:
                continue
            for link in _LINKS:
                if not rest.startswith(link) or len(rest) - len(link) < _MIN_PART:
                    continue
                tail = self._split(rest[len(link) :], depth + 1)
                if tail:
                    return [head, *tail]
        return None
