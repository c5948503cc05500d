"""Which configured locale a message is written in.

Detection is restricted to the configured locales; a short or ambiguous message keeps the
conversation's locale ("ok", "Danke!" and "hallo" say little about a language).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from lingua import IsoCode639_1, LanguageDetectorBuilder

from bot.text import tokens
from core.text import language as language_of

MIN_WORDS = 3
MIN_CONFIDENCE = 0.7
# Leaving the conversation's locale takes more: a longer message and a near-certain detection, so
# "ok danke", a product name or one English word in a Dutch sentence never switches the language.
SWITCH_WORDS = 4
SWITCH_CONFIDENCE = 0.9
# Below that but above this, a message long enough to switch is probably in the other locale: the model
# reads it in both and keeps the surer reading (FaqModel.predict).
LIKELY_OTHER_LOCALE = 0.7


# What is not prose in any language: markup, addresses (a Markdown link's target, any scheme's), code.
# "<b>bold</b><script>alert(1)</script>" and "see [link](javascript:alert(1))" in an English conversation
# were "clearly" Dutch by their tag names and script words.
_NOT_PROSE = re.compile(
    r"<(script|style)\b[^>]{0,200}>.{0,2000}?</\1\s*>|<[^<>]{0,200}>|\]\([^()\s]{0,500}(?:\([^()\s]{0,100}\))?\)"
    r"|\b(?:https?://|www\.)\S+|\b[a-z][a-z0-9+.-]{1,20}:(?://)?[^\s:]\S*|\S+@\S+\.\w+|`[^`]*`",
    re.IGNORECASE | re.DOTALL,
)


def prose(text: str) -> str:
    """The text without markup, web and email addresses and code: what its language is told from."""
    return _NOT_PROSE.sub(" ", text)


def could_switch(text: str) -> bool:
    """Whether a message is long enough to move a conversation to another locale (``clearly_not``)."""
    return len(tokens(prose(text))) >= SWITCH_WORDS


@dataclass(frozen=True)
class LocaleGuess:
    """Locales ranked by confidence, and whether the top one is clear enough to trust."""

    ranked: list[tuple[str, float]]
    confident: bool
    words: int = 0

    @property
    def best(self) -> str:
        """The most likely locale."""
        return self.ranked[0][0]

    def clearly_not(self, current: str) -> bool:
        """Whether the text is clearly written in a locale other than ``current``."""
        best, confidence = self.ranked[0]
        return best != current and self.words >= SWITCH_WORDS and confidence >= SWITCH_CONFIDENCE


class LocaleDetector:
    """Detects among a fixed set of locales (``en``, ``de-CH``... matched on the language part)."""

    def __init__(self, locales: list[str], *, accurate: bool = False) -> None:
        self.locales = list(locales)
        self._by_language: dict[str, str] = {}
        codes = []
        for loc in self.locales:
            language = language_of(loc)
            code = getattr(IsoCode639_1, language.upper(), None)
            if code is not None and language not in self._by_language:
                self._by_language[language] = loc
                codes.append(code)
        self._detector = None
        if len(codes) > 1:
            builder = LanguageDetectorBuilder.from_iso_codes_639_1(*codes)
            if not accurate:
                # Trigram models only: 12 MB instead of 101 MB for en/de/nl, 97.9% instead of 99.2% right
                # on eval/heldout.jsonl; short and unclear texts fall back to the conversation anyway.
                builder = builder.with_low_accuracy_mode()
            self._detector = builder.with_preloaded_language_models().build()

    def guess(self, text: str) -> LocaleGuess:
        """Ranked locales for a text."""
        if self._detector is None:
            return LocaleGuess([(self.locales[0], 1.0)], confident=True)
        text = prose(text)
        values = self._detector.compute_language_confidence_values(text)
        ranked = [
            (self._by_language[v.language.iso_code_639_1.name.lower()], float(v.value))
            for v in values
            if v.language.iso_code_639_1.name.lower() in self._by_language
        ]
        if not ranked:
            return LocaleGuess([(self.locales[0], 0.0)], confident=False)
        words = len(tokens(text))
        confident = words >= MIN_WORDS and ranked[0][1] >= MIN_CONFIDENCE
        return LocaleGuess(ranked, confident, words)

    def detect(self, text: str, fallback: str | None = None) -> str:
        """The locale of a text; the fallback wins when the text is short or ambiguous."""
        guess = self.guess(text)
        if fallback is not None and fallback in self.locales and not guess.clearly_not(fallback):
            return fallback
        return guess.best
