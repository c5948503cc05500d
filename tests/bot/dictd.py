"""FreeDict dictionaries in dictd format, written by tests: a tiny German one and the glosser built from it."""

from __future__ import annotations

import gzip
from pathlib import Path

from bot import glossary
from bot.glossary import Glosser

_B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"


def _b64(number: int) -> str:
    out = ""
    while True:
        number, digit = divmod(number, 64)
        out = _B64[digit] + out
        if not number:
            return out


def write_dictd(folder: Path, name: str, entries: dict[str, str], listed_as: dict[str, str] | None = None) -> None:
    """A dictionary in dictd format, as Debian's dict-freedict-* packages install them: each entry's first
    line is its headword, found in the index as itself or as ``listed_as`` says (an abbreviation's)."""
    body, index = b"", []
    for headword, definition in entries.items():
        data = f"{headword}\n{definition}\n".encode()
        listed = (listed_as or {}).get(headword, headword)
        index.append(f"{listed}\t{_b64(len(body))}\t{_b64(len(data))}\n")
        body += data
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.index").write_text("00-database-info\tA\tB\n" + "".join(index), encoding="utf-8")
    with gzip.open(folder / f"{name}.dict.dz", "wb") as fh:
        fh.write(body)


GERMAN = {
    "Paket": "parcel <n> [Br.] , package <n> [Am.]\n   Synonym: {Päckchen}\n\npackage <n>",
    "bestellen": " [agr.] till the soil <v>\n\norder <v>, to order",
    "Versand": "shipping <n>, dispatch",
    "Kosten": "costs <pl>",
    "Rücksendung": "return <n>",
    "mein": "mine <n>",  # what dictionaries make of function words: the hand-made table wins
    "Zeit": "spell <n>\n\ntime <n>",  # as FreeDict lists it: the rare sense first
    "gerne": "You are welcome!\n\ngladly <adv>",
    "Platz": "Down!\n\nplace <n>",  # a command to a dog, listed first
}
VOCABULARY = frozenset(
    ["parcel", "package", "order", "till", "the", "soil", "shipping", "costs", "return", "mine"]
    + ["spell", "time", "you", "are", "welcome", "!", "gladly", "down", "place"]
)


def german_glosser(folder: Path) -> Glosser:
    """The glosser of ``GERMAN`` (dictionary and table cache under ``folder``)."""
    write_dictd(folder / "dictd", "freedict-deu-eng", GERMAN)
    glosser = glossary.load(folder / "dictd", "de", folder / "cache", VOCABULARY)
    assert glosser is not None
    return glosser
