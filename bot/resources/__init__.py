"""Data shipped with the bot: the generic out-of-scope corpus (``out_of_scope/<language>.txt``).

The corpus holds questions that belong to no company's FAQ (weather, trivia, homework, chit-chat),
written the way chat visitors write. Calibration scores them as out-of-scope traffic, so an answer
threshold is never learned from the FAQ's own examples alone; the classifiers never train on them.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from core.text import language

_FOLDER = Path(__file__).parent / "out_of_scope"


@lru_cache(maxsize=16)
def _read(lang: str) -> tuple[str, ...]:
    path = _FOLDER / f"{lang}.txt"
    if not path.is_file():
        return ()
    return tuple(line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip())


def generic_out_of_scope(locale: str) -> list[str]:
    """The corpus for a locale's language, or the English one for a language without its own."""
    return list(_read(language(locale)) or _read("en"))
