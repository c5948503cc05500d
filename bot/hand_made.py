"""The hand-made parts of the German and Dutch glossaries (``bot/glossary.py``): function words and
customer-service words that win over the dictionaries, and German typed without umlauts or ß."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

_SPELLED_OUT = (("ae", "ä"), ("oe", "ö"), ("ue", "ü"), ("ss", "ß"))


def umlauts(word: str) -> str:
    """A German word as written with umlauts and ß where it was spelled out ("zurueck" -> "zurück")."""
    for plain, letter in _SPELLED_OUT:
        word = word.replace(plain, letter)
    return word


def function_words(locale: str) -> dict[str, str]:
    """Words dictionaries gloss by a rare sense ("mein" is also a mine, "habe" also possessions)."""
    return dict(table("function_words.json").get(locale, {}))


def support_words(locale: str) -> dict[str, str]:
    """Customer-service and everyday words general dictionaries miss or gloss by another sense
    ("Rechnung" is an invoice, not a calculation; "wachtwoord" a password, not a "guard word"; "finden"
    to find, not to account). They also gloss the words' inflections and compounds."""
    return dict(table("support_words.json").get(locale, {}))


@cache
def table(name: str) -> dict[str, dict[str, str]]:
    """One of the tables in ``bot/resources``: locale -> word -> English gloss."""
    path = Path(__file__).parent / "resources" / name
    data: dict[str, dict[str, str]] = json.loads(path.read_text(encoding="utf-8"))
    return data
