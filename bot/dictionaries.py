"""The word tables a glossary (``bot/glossary.py``) is built from: FreeDict's dictionaries in dictd format
(Debian's ``dict-freedict-*`` packages), one English sense per word, and simplemma's lemma dictionaries.

Only the glossary's build reads these, in a child process: German's dictionary takes ~10 s and ~300 MB
to parse, and simplemma's dictionaries would add 40-130 MB to a process that kept them.
"""

from __future__ import annotations

import gzip
import re
import unicodedata
from collections.abc import Callable
from pathlib import Path

# Which FreeDict files gloss a locale: (dictionary, direction). "to" files are X -> English; "from"
# files are English -> X, inverted, and only fill words the first do not have.
SOURCES: dict[str, tuple[tuple[str, str], ...]] = {
    "de": (("freedict-deu-eng", "to"),),
    "nl": (("freedict-nld-eng", "to"), ("freedict-eng-nld", "from")),
}

# An entry listed under its abbreviation: "Herzindex /…/ (HI /…/) <masc, n, sg>" is found as "hi".
_ABBREVIATED = re.compile(r"\(([^()/]+?)\s*/")
# Abbreviations spelling a word English writes this often (Zipf scale) are taken for that word: "hi" is a
# greeting, not a cardiac index, "acc" an account, not acetylcysteine; "plz" (3.3) stays a postcode.
ENGLISH_WORD_ZIPF = 3.5
_NOTES = re.compile(r"\[[^\]]*\]|<[^>]*>|\([^)]*\)|/[^/]*/|\{[^}]*\}")
_SKIP = ('"', "Synonym", "see:", "Note:", "Example")
_B64 = {c: i for i, c in enumerate("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")}


def _number(text: str) -> int:
    """A dictd index offset or length (base 64, most significant digit first)."""
    value = 0
    for char in text:
        value = value * 64 + _B64[char]
    return value


def normal(word: str) -> str:
    """A word as tables hold it: NFKC, lower case."""
    return unicodedata.normalize("NFKC", word).lower()


def _entries(folder: Path, name: str) -> list[tuple[str, str]]:
    """(headword, definition text) of a dictd dictionary; multi-word headwords are left out."""
    body = gzip.open(folder / f"{name}.dict.dz").read()  # dictzip is gzip with an index of chunks
    out = []
    with open(folder / f"{name}.index", encoding="utf-8") as index:
        for line in index:
            parts = line.rstrip("\n").split("\t")
            if len(parts) < 3 or " " in parts[0] or parts[0].startswith("00"):
                continue  # 00-database-* rows describe the dictionary itself
            start, length = _number(parts[1]), _number(parts[2])
            out.append((normal(parts[0]), body[start : start + length].decode("utf-8", "replace")))
    return out


def abbreviation(word: str, definition: str) -> bool:
    """Whether a dictd entry is found under ``word`` as the abbreviation of another headword (its first
    line names the headword, then the abbreviation in brackets)."""
    first = definition.split("\n", 1)[0]
    head = re.split(r" /| \(| <", first, maxsplit=1)[0].strip()
    found = _ABBREVIATED.search(first)
    return normal(head) != word and found is not None and normal(found.group(1)).rstrip(".:") == word


def _sense_lines(definition: str) -> list[str]:
    """The lines of a definition that give translations (its numbering dropped; examples, synonyms and
    cross-references left out)."""
    lines = (re.sub(r"^\d+\.\s*", "", raw.strip()) for raw in definition.split("\n")[1:])
    return [line for line in lines if line and not line.startswith(_SKIP)]


def _senses(definition: str) -> list[tuple[bool, str]]:
    """(marked, first translation) of each sense; marked senses carry a register or field such as [agr.]."""
    out = []
    for line in _sense_lines(definition):
        first = _NOTES.sub("", line).split(",")[0].split(";")[0].strip()
        if first:
            out.append(("[" in line, first))
    return out


def _everyday_senses(definition: str) -> list[str]:
    """The first translation of each sense not tagged with a field ("[med.] cardiac index"); a region
    after the translation ("postcode <n>, postal code <n> [Br.]") does not count."""
    lines = (line for line in _sense_lines(definition) if not line.startswith("["))
    return [first for line in lines if (first := _NOTES.sub("", line).split(",")[0].split(";")[0].strip())]


class Pieces:
    """How many word pieces the encoder's vocabulary needs for a phrase: fewer means a commoner word."""

    def __init__(self, vocabulary: frozenset[str]) -> None:
        self.vocabulary = vocabulary

    @staticmethod
    def _piece(word: str, start: int, end: int) -> str:
        return word[start:end] if start == 0 else "##" + word[start:end]

    def __call__(self, phrase: str) -> int:
        count = 0
        for word in phrase.lower().split():
            start = 0
            while start < len(word):
                end = len(word)
                while end > start and self._piece(word, start, end) not in self.vocabulary:
                    end -= 1
                if end == start:
                    return 99
                count, start = count + 1, end
        return count


def build_table(folder: Path, locale: str, pieces: Callable[[str], int]) -> dict[str, str]:
    """Word -> English gloss from the locale's dictionaries: per word the commonest unmarked translation."""
    from wordfreq import zipf_frequency  # the build's child process only

    def commonness(translation: str) -> tuple[bool, float, int]:
        # FreeDict lists senses in no order of use ("Zeit": spell before time, "vrouw": queen before woman),
        # so the single word English uses most wins over phrases and calls ("gerne": "You are welcome!",
        # "Platz": "Down!"); fewer word pieces break ties.
        word = translation.strip()
        return not word.replace("-", "").isalpha(), -round(zipf_frequency(word, "en"), 1), pieces(word)

    table: dict[str, str] = {}
    for n, (name, direction) in enumerate(SOURCES.get(locale, ())):
        if n and not (folder / f"{name}.index").is_file():
            continue  # only the first dictionary is needed; Debian packages the others separately
        if direction == "to":
            choices: dict[str, list[tuple[bool, str]]] = {}
            short: dict[str, list[str]] = {}  # translations found under an abbreviation, field-specific ones left out
            for word, definition in _entries(folder, name):
                if abbreviation(word, definition):
                    short.setdefault(word, []).extend(_everyday_senses(definition))
                else:
                    choices.setdefault(word, []).extend(_senses(definition))
            for word, translations in short.items():
                # An abbreviation only where the word is nothing else ("weg" is away, not a law called WEG),
                # in everyday senses (Palau's PW and nitrogen's N are [geogr.] and [chem.]), never one letter,
                # and not when it spells a common English word (a German visitor's "hi").
                spells_english = zipf_frequency(word, "en") >= ENGLISH_WORD_ZIPF
                if word not in choices and len(word) > 1 and translations and not spells_english:
                    choices[word] = [(False, t) for t in translations]
            for word, senses in choices.items():
                plain = [t for marked, t in senses if not marked] or [t for _, t in senses]
                if plain and word not in table:
                    table[word] = min(plain, key=commonness)  # min() keeps the first of equal ones
        else:
            for english, definition in _entries(folder, name):
                for word in _single_words(definition):
                    table.setdefault(word, english)
    return table


def _single_words(definition: str) -> list[str]:
    """Every single-word translation of every sense (for inverting English -> X dictionaries)."""
    words = (normal(w.strip()) for line in _sense_lines(definition) for w in _NOTES.sub("", line).split(","))
    return [w for w in words if w and " " not in w]


def lemma_links(locale: str, headwords: set[str]) -> dict[str, str]:
    """Inflected form -> lemma for the locale's forms whose lemma is one of ``headwords``, from
    simplemma's lemma dictionary (empty when simplemma has none for the locale)."""
    from simplemma.strategies import DefaultDictionaryFactory

    try:
        forms = DefaultDictionaryFactory().get_dictionary(locale.split("-")[0])
    except (ValueError, KeyError, OSError):
        return {}
    links: dict[str, str] = {}
    for form, lemma in forms.items():
        form, lemma = normal(str(form)), normal(str(lemma))
        if form != lemma and lemma in headwords:
            links.setdefault(form, lemma)
    return links
