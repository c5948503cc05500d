"""Words of a text per locale: folding (accents, German umlaut spellings), tokens, Snowball stems.

Shared by the bot's classifier and the help center's search so both treat "Rücksendungen" and
"Ruecksendung" alike.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache

import Stemmer

_STEMMER_NAMES = {
    "en": "english",
    "de": "german",
    "nl": "dutch",
    "fr": "french",
    "es": "spanish",
    "it": "italian",
    "pt": "portuguese",
    "da": "danish",
    "sv": "swedish",
    "no": "norwegian",
    "fi": "finnish",
    "pl": "polish",
    "tr": "turkish",
}
_TOKEN = re.compile(r"[^\W_]+", re.UNICODE)
# German transliterations of umlauts; folded after stemming so both spellings meet.
_DE_DIGRAPHS = (("ae", "a"), ("oe", "o"), ("ue", "u"))


def fold(text: str, locale: str = "en") -> str:
    """Lowercase and strip accents; German umlaut digraphs fold to the plain vowel too."""
    text = unicodedata.normalize("NFKC", text).lower().replace("ß", "ss")
    text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    if locale == "de":
        for digraph, vowel in _DE_DIGRAPHS:
            text = text.replace(digraph, vowel)
    return text


# Characters that show nothing: soft hyphen, zero-width spaces and joiners, direction marks and embeddings,
# word joiner and invisible operators, byte-order mark. A regular-expression class, shared with the chat
# API's schema (api/widget_schemas.py), so what the schema calls a message is what the chat accepts.
INVISIBLE = "\u00ad\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff"
_VISIBLE = re.compile(f"[^\\s{INVISIBLE}]")


def visible(text: str) -> bool:
    """Whether the text shows anything: a character that is neither white space nor ``INVISIBLE``."""
    return _VISIBLE.search(text) is not None


def language(locale: str) -> str:
    """The language part of a locale ("de" of "de-AT")."""
    return locale.split("-")[0].lower()


def tokens(text: str) -> list[str]:
    """Word tokens of a text (letters and digits), lowercased."""
    return _TOKEN.findall(unicodedata.normalize("NFKC", text).lower())


@lru_cache(maxsize=16)
def _stemmer(locale: str) -> Stemmer.Stemmer | None:
    name = _STEMMER_NAMES.get(language(locale))
    return Stemmer.Stemmer(name) if name else None


def stems(words: Iterable[str], locale: str) -> list[str]:
    """Snowball stems of words, folded, for the locale (unchanged words where none exists)."""
    stemmer = _stemmer(locale)
    words = list(words)
    stemmed = stemmer.stemWords(words) if stemmer else words
    return [fold(word, locale) for word in stemmed]
