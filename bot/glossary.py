"""Word-by-word English glosses of German and Dutch messages, for the English-only encoder.

The default encoder understands English; German and Dutch reach it mostly as unfamiliar word pieces,
which is why few-shot German and Dutch were answered far less often than English. A gloss ("Wo ist
mein Paket?" -> "where is my package ?") gives the encoder words it knows, so a glossed locale's
classifier and suggestions embed the gloss instead of the message (``GlossingEncoder``: still one
encoder run per message; blending the message's own vector in as well did a little better but cost a
second run, a third more per German or Dutch turn). Glosses are crude (one sense per word, no word
order), but the same crude gloss is made of the training examples and of the visitor's message, so
what matters is that the two meet; words the dictionaries lack (names, English words) stay as written.

Content words come from FreeDict dictionaries in dictd format (Debian's ``dict-freedict-deu-eng``,
``dict-freedict-nld-eng`` and, for Dutch words that only appear as translations, ``dict-freedict-eng-nld``),
read from ``FAQDESK_GLOSSARY_DIR``; function words, which dictionaries translate badly ("mijn" is
also a mine, "habe" also possessions), from a short hand-made table (``resources/function_words.json``).
Dutch inflections reach the hand-made vocabulary through their lemma ("jassen" -> "jas", "zat" ->
"zitten"), as simplemma's lemma dictionary gives it (``LEMMAS``); the links are worked out when the table
is built, since simplemma's dictionaries would add 40-130 MB to every process.
Without the dictionaries a locale simply has no glosser and the bot works as before.
"""

from __future__ import annotations

import bisect
import hashlib
import json
import logging
import multiprocessing
import os
import re
import tempfile
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from functools import lru_cache
from importlib.metadata import version
from pathlib import Path
from typing import Any, Protocol, overload

import numpy as np

from bot import hand_made
from bot.dictionaries import SOURCES, Pieces, build_table, lemma_links, normal

log = logging.getLogger(__name__)

# Bump when parsing, choosing senses or how glosses are embedded changes: trained models change with it.
# 3: customer-service vocabulary, German ae/oe/ue/ss; 4: lemmas (simplemma); 5: whole numbers; 6: senses by use
# 7: abbreviations only where plain and not a common English word
GLOSS_VERSION = 7
# Locales whose inflected forms are linked to their lemmas (simplemma). Dutch: FreeDict's Dutch dictionary
# has 20,000 headwords and few inflections, and links raised the demo FAQ's cross-validated Dutch answer rate
# from 39.3% to 43.6% and Dutch article hit@3 from 78.5% to 82.6%. Not German: FreeDict lists German
# inflections itself (280,000 headwords), and links lowered German article hit@3 from 80.6% to 77.8% (all
# measured with bench/nlu.py --only demo_cv demo_fewshot articles). Only links to the hand-made
# vocabulary are used: a lemma's dictionary sense did worse than the form's own or none (Dutch few-shot
# answer rate 76.9% against 67.5%), since FreeDict's first sense of a verb is often a rare one.
LEMMAS = ("nl",)
# Inflection endings tried when a word is not a headword ("bestellte" -> "bestell" + "te" is not
# found, "bestellen" is), longest first.
_ENDINGS = {
    "de": ("ten", "est", "en", "es", "er", "em", "st", "te", "e", "n", "s", "t"),
    "nl": ("ten", "den", "en", "te", "de", "s", "e", "t"),
}
_MIN_STEM = 3
# A word, a number as written ("38", "4,95", "14:00": the encoder reads them whole), or one other character.
_WORD = re.compile(r"[^\W\d_]+|\d+(?:[.,:]\d+)*|\S", re.UNICODE)
_ARRAYS = ("words", "word_offsets", "glosses", "gloss_offsets", "forms", "form_offsets", "lemma_at")


class _Column(Sequence[str]):
    """The i-th string of a blob cut at offsets, for bisect over a sorted table without a dict in memory."""

    def __init__(self, blob: np.ndarray, offsets: np.ndarray) -> None:
        self.blob, self.offsets = blob, offsets

    def __len__(self) -> int:
        return len(self.offsets) - 1

    @overload
    def __getitem__(self, i: int) -> str: ...
    @overload
    def __getitem__(self, i: slice) -> Sequence[str]: ...
    def __getitem__(self, i: int | slice) -> str | Sequence[str]:
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        return bytes(self.blob[self.offsets[i] : self.offsets[i + 1]]).decode("utf-8")


class Glosser:
    """Glosses one locale's messages word by word; ``fingerprint`` names the table it glosses with.

    The table is kept as two sorted byte blobs with offsets (~10 MB for German's 280,000 words, where
    a dict took 55 MB in every serving process).
    """

    def __init__(
        self,
        locale: str,
        words: _Column,
        glosses: _Column,
        function_words: dict[str, str],
        fingerprint: str,
        support_words: dict[str, str] | None = None,
        lemmas: tuple[_Column, np.ndarray] | None = None,
    ):
        self.locale, self.fingerprint = locale, fingerprint
        self._words, self._glosses, self._function = words, glosses, function_words
        self._support = support_words or {}
        # Inflected forms, sorted, and the position of each one's lemma among ``words``.
        no_links = (_Column(np.zeros(0, np.uint8), np.zeros(1, np.int64)), np.zeros(0, np.int32))
        self._forms: _Column
        self._lemma_at: np.ndarray
        self._forms, self._lemma_at = lemmas or no_links

    @classmethod
    def from_table(
        cls,
        locale: str,
        table: dict[str, str],
        function_words: dict[str, str],
        support_words: dict[str, str] | None = None,
        lemmas: dict[str, str] | None = None,
    ) -> Glosser:
        """A glosser over a word -> gloss table, and inflected form -> lemma links into it."""
        arrays = _pack(table, lemmas or {})
        return cls._from_arrays(locale, arrays, function_words, _table_digest(table, lemmas or {}), support_words)

    @classmethod
    def _from_arrays(
        cls,
        locale: str,
        arrays: dict[str, np.ndarray],
        function_words: dict[str, str],
        table_fingerprint: str,
        support_words: dict[str, str] | None = None,
    ) -> Glosser:
        words = _Column(arrays["words"], arrays["word_offsets"])
        glosses = _Column(arrays["glosses"], arrays["gloss_offsets"])
        lemmas = (_Column(arrays["forms"], arrays["form_offsets"]), arrays["lemma_at"]) if "forms" in arrays else None
        # The hand-made tables are read at every load, so they are part of the fingerprint here, not in
        # the cached table's: editing them changes the glosser (and retrains) without rebuilding the table.
        hand = json.dumps([table_fingerprint, function_words, support_words or {}], sort_keys=True)
        fingerprint = hashlib.sha256(hand.encode()).hexdigest()[:16]
        return cls(locale, words, glosses, function_words, fingerprint, support_words, lemmas)

    def lookup(self, word: str) -> str | None:
        """The gloss of one word: the hand-made vocabulary's (for the word, else its lemma), else the
        dictionary headword's."""
        hand = self._hand(word)
        return hand if hand is not None else self._headword(word)

    def _headword(self, word: str) -> str | None:
        """The dictionary's gloss of a headword."""
        i = _find(self._words, word)
        return self._glosses[i] if i is not None else None

    def _hand(self, word: str) -> str | None:
        """The hand-made customer-service and everyday vocabulary's gloss of a word or of its lemma."""
        if word in self._support:
            return self._support[word]
        lemma = _find(self._forms, word)
        if lemma is not None:
            # "jassen" is a coat's plural before the dictionary's "shell", "zat" a form of "zitten" before
            # "drunk". (Not the function words' table: a pronoun's lemma is another pronoun.)
            lemma_word = self._words[int(self._lemma_at[lemma])]
            if lemma_word in self._support:
                return self._support[lemma_word]
        return None

    @lru_cache(maxsize=50_000)  # noqa: B019 - one glosser per locale and process, kept for the process's life
    def word(self, word: str) -> str | None:
        """The gloss of a word as written: function word, headword, inflected headword, or compound."""
        word = normal(word)
        if word in self._function:
            return self._function[word]
        found = self.lookup(word)
        if found is not None:
            return found
        stems = [word[: -len(e)] for e in _ENDINGS.get(self.locale, ()) if word.endswith(e)]
        stems = [stem for stem in stems if len(stem) >= _MIN_STEM]
        # The hand-made vocabulary, also inflected ("finde", "werkt" -> "finden", "werken"), before a
        # dictionary headword of the stem.
        for candidate in (c for stem in stems for c in (stem, stem + "en", stem + "n")):
            found = self._hand(candidate)
            if found is not None:
                return found
        for stem in stems:  # their hand-made glosses were tried above
            found = self._headword(stem)
            if found is not None:
                return found
        if self.locale.startswith("de") and (umlauts := hand_made.umlauts(word)) != word:
            # "Ruecksendung", "loeschen", "strasse": typed without ä, ö, ü or ß ("adresse" keeps its ss)
            if (found := self.word(umlauts)) is not None:
                return found
        return self._compound(word)

    def _compound(self, word: str) -> str | None:
        """Two known parts, the head as long as possible ("versandkosten" -> shipping + costs)."""
        if len(word) < 2 * _MIN_STEM + 1:
            return None
        for cut in range(len(word) - _MIN_STEM, _MIN_STEM - 1, -1):
            head, tail = word[:cut], word[cut:]
            tail_gloss = self.lookup(tail)
            if tail_gloss is None:
                continue
            for candidate in (head, head[:-1] if head[-1] in "sn" else ""):  # linking s / n: "Rücksendung-s-kosten"
                head_gloss = self.lookup(candidate) if len(candidate) >= _MIN_STEM else None
                if head_gloss is not None:
                    return f"{head_gloss} {tail_gloss}"
        return None

    def gloss(self, text: str) -> str:
        """The text with every word it knows replaced by its English gloss (others kept as written)."""
        return " ".join((self.word(w) or w) if w[0].isalpha() else w for w in _WORD.findall(text))


class TextEncoder(Protocol):
    """What glossing needs of ``bot.encoder.Encoder``."""

    def encode(self, texts: list[str]) -> np.ndarray: ...

    def encode_one(self, text: str) -> np.ndarray: ...


# The language every glossary translates into (FreeDict's ``*-eng``), and the encoder's.
GLOSS_LANGUAGE = "en"


class GlossingEncoder:
    """The encoder for one locale's texts: it encodes their glosses. The classifier trains and predicts
    with it, and article suggestions compare glossed questions with glossed articles."""

    def __init__(self, encoder: TextEncoder, glosser: Glosser) -> None:
        self.encoder, self.glosser = encoder, glosser

    def encode(self, texts: list[str]) -> np.ndarray:
        """Vectors of the texts' glosses (through the encoder's disk cache)."""
        return self.encoder.encode([self.glosser.gloss(t) for t in texts])

    def encode_one(self, text: str) -> np.ndarray:
        """The vector of one text's gloss, on the encoder's single-message path."""
        return self.encoder.encode_one(self.glosser.gloss(text))


_glossing: dict[tuple[int, int], GlossingEncoder] = {}


def glossing(encoder: TextEncoder, glosser: Glosser | None) -> TextEncoder:
    """``encoder`` for a locale with ``glosser`` (itself without one); the same wrapper every time, so
    what is cached per encoder (article vectors) survives a retrained model."""
    if glosser is None:
        return encoder
    key = (id(encoder), id(glosser))
    if key not in _glossing:
        _glossing[key] = GlossingEncoder(encoder, glosser)
    return _glossing[key]


def _find(column: Sequence[str], word: str) -> int | None:
    """The position of ``word`` in a sorted column, or None."""
    i = bisect.bisect_left(column, word)
    return i if i < len(column) and column[i] == word else None


def _pack(table: dict[str, str], lemmas: dict[str, str]) -> dict[str, np.ndarray]:
    """The table's sorted words and their glosses, and the sorted inflected forms with the position of
    each one's lemma among the words, as byte blobs with offsets (``_Column``)."""
    words = sorted(table)
    position = {w: i for i, w in enumerate(words)}
    forms = sorted(f for f, lemma in lemmas.items() if lemma in position)
    out: dict[str, np.ndarray] = {}
    for name, offsets, column in (
        ("words", "word_offsets", words),
        ("glosses", "gloss_offsets", [table[w] for w in words]),
        ("forms", "form_offsets", forms),
    ):
        encoded = [s.encode("utf-8") for s in column]
        out[name] = np.frombuffer(b"".join(encoded), dtype=np.uint8)
        out[offsets] = np.concatenate([[0], np.cumsum([len(e) for e in encoded])]).astype(np.int64)
    out["lemma_at"] = np.array([position[lemmas[f]] for f in forms], dtype=np.int32)
    return out


def _table_digest(table: dict[str, str], lemmas: dict[str, str]) -> str:
    content = [GLOSS_VERSION, sorted(table.items()), sorted(lemmas.items())]
    return hashlib.sha256(json.dumps(content).encode()).hexdigest()[:16]


def _source_signature(folder: Path, locale: str) -> str | None:
    """Names, sizes and times of the locale's dictionary files; None when the first one is missing."""
    sources = SOURCES.get(locale, ())
    if not sources or not (folder / f"{sources[0][0]}.index").is_file():
        return None
    parts = [GLOSS_VERSION, locale, version("simplemma")]  # a new simplemma may link other forms
    for name, _ in sources:
        for suffix in (".index", ".dict.dz"):
            file = folder / f"{name}{suffix}"
            if file.is_file():
                stat = file.stat()
                parts += [file.name, stat.st_size, int(stat.st_mtime)]
    return hashlib.sha256(json.dumps(parts).encode()).hexdigest()[:16]


def load(folder: Path, locale: str, cache_dir: Path, vocabulary: frozenset[str]) -> Glosser | None:
    """The locale's glosser from the dictionaries in ``folder`` (None without them), cached as arrays.

    Parsing German's dictionary takes ~10 s and ~300 MB, so the packed table is built once, in a child
    process (a serving process would keep that memory), and saved under ``cache_dir`` keyed by the
    dictionary files' sizes and times; every process then maps it from there (~0.5 s, ~25 MB).
    """
    signature = _source_signature(folder, locale)
    if signature is None:
        return None
    cached = cache_dir / "glossary" / f"{locale}-{signature}.npz"
    if not cached.is_file():
        try:
            with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
                pool.submit(_build, folder, locale, cached, vocabulary).result()
        except Exception:  # noqa: BLE001 - e.g. a daemonic process may not start children: try here
            try:
                _build(folder, locale, cached, vocabulary)
            except (OSError, ValueError, UnicodeError, KeyError, EOFError) as exc:
                log.warning("no %s glossary: the dictionaries in %s could not be read (%s)", locale, folder, exc)
                return None
    with np.load(cached) as data:
        arrays = {k: data[k] for k in _ARRAYS}
        fingerprint = str(data["fingerprint"])
    return Glosser._from_arrays(
        locale, arrays, hand_made.function_words(locale), fingerprint, hand_made.support_words(locale)
    )


def _build(folder: Path, locale: str, cached: Path, vocabulary: frozenset[str]) -> None:
    """Parse the dictionaries and write the packed table to ``cached`` (by rename: complete or absent)."""
    table = build_table(folder, locale, Pieces(vocabulary))
    lemmas = lemma_links(locale, set(table)) if locale.split("-")[0] in LEMMAS else {}
    digest = _table_digest(table, lemmas)
    cached.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=cached.parent, suffix=".tmp")
    with os.fdopen(fd, "wb") as fh:
        arrays: dict[str, Any] = {"fingerprint": np.array(digest), **_pack(table, lemmas)}
        np.savez(fh, **arrays)
    os.replace(tmp, cached)
    log.info("glossary for %s built from %s: %d words, %d inflected forms", locale, folder, len(table), len(lemmas))
