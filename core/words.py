"""Whether a string is a word of a language: wordfreq's word lists, read as hashes.

Typo correction must never "correct" a real word into a known one: Dutch "vakantie" (holiday) is not a typo
of "garantie", nor "york" of "work" (both seen in help-center search), and an off-topic question made to
look like a known one is worse than a miss. Both the bot's speller (``bot.spelling``) and the help-center
search (``helpcenter.search``) ask here first.
"""

from __future__ import annotations

import gzip
import hashlib
import importlib.util
from functools import cache
from pathlib import Path

import msgpack
import numpy as np

from core.text import language


@cache
def _word_list(language: str) -> np.ndarray:
    """Sorted 64-bit hashes of wordfreq's words of a language (~30,000-40,000; empty for a language it lacks).

    Read straight from the package's data file: importing wordfreq and holding its lists as Python sets cost a
    serving process ~29 MB; the hashes take ~0.3 MB a language.
    """
    spec = importlib.util.find_spec("wordfreq")  # found, not imported
    folders = spec.submodule_search_locations if spec is not None else None
    file = Path(folders[0]) / "data" / f"small_{language}.msgpack.gz" if folders else None
    if file is None or not file.is_file():
        return np.zeros(0, dtype=np.uint64)
    parts = []
    with gzip.open(file, "rb") as fh:
        # A header, then the words of each frequency band; read band by band, so the process never holds
        # all the words as Python strings at once (their freed memory stayed in its heap: +10 MB).
        unpacker = msgpack.Unpacker(fh, raw=False)
        for n in range(unpacker.read_array_header()):
            band = unpacker.unpack()
            if n:
                parts.append(np.fromiter((_hash(w) for w in band), dtype=np.uint64, count=len(band)))
    return np.unique(np.concatenate(parts)) if parts else np.zeros(0, dtype=np.uint64)


def _hash(word: str) -> int:
    return int.from_bytes(hashlib.blake2b(word.encode("utf-8"), digest_size=8).digest(), "little")


def _listed(word: str, language: str) -> bool:
    hashes, key = _word_list(language), np.uint64(_hash(word))  # uint64: a Python int above 2**63 is a float
    i = int(np.searchsorted(hashes, key))
    return i < len(hashes) and hashes[i] == key


def load(locale: str) -> None:
    """Read the lists ``is_word`` checks a locale's words against (~0.2 s the first time in a process)."""
    for lang in {language(locale), "en"}:
        _word_list(lang)


def has_word_list(locale: str) -> bool:
    """Whether wordfreq has a list of the locale's language (about 40 languages, en, de and nl among them)."""
    return len(_word_list(language(locale))) > 0


def is_word(word: str, locale: str) -> bool:
    """Whether ``word`` is a word of the locale's language or of English (visitors mix the two; wordfreq
    casefolds its words)."""
    folded = word.casefold()
    return _listed(folded, language(locale)) or _listed(folded, "en")
