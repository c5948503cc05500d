"""The one translation catalogue: pages, the visitor-facing messages of ``support`` and the widget's strings.

Each locale's ``core/locales/<locale>/LC_MESSAGES/messages.po`` is compiled in memory on first use (no .mo
files). It lives in ``core`` so that every package may draw from it (``support`` must not import ``api``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from functools import lru_cache
from io import BytesIO
from pathlib import Path

from babel import Locale, UnknownLocaleError
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

LOCALES_DIR = Path(__file__).resolve().parent / "locales"
DEFAULT_UI_LOCALE = "en"
# Only names like "de" or "pt_BR" reach the file system (no path tricks, a small cache).
_LOCALE_NAME = re.compile(r"^[a-z]{2,3}(?:_[A-Z]{2})?$")


def po_path(locale: str) -> Path:
    """Where a locale's catalog lives."""
    return LOCALES_DIR / locale / "LC_MESSAGES" / "messages.po"


@lru_cache(maxsize=32)
def translations_for(locale: str) -> NullTranslations:
    """The compiled catalog of a locale; unknown locales (and English) get the source strings."""
    path = po_path(locale) if _LOCALE_NAME.match(locale or "") else None
    if path is None or not path.is_file():
        return NullTranslations()
    with path.open("rb") as po:
        catalog = read_po(po, locale=locale)
    compiled = BytesIO()
    write_mo(compiled, catalog)  # fuzzy entries are left out, as msgfmt does
    compiled.seek(0)
    return Translations(fp=compiled)


def N_(message: str) -> str:  # the name pybabel extracts by default
    """Mark a string for the catalogue where it is defined; translate it where it is used (``gettext_for``)."""
    return message


def has_catalog(locale: str) -> bool:
    """Whether the locale is English (the source strings) or has a catalogue of its own."""
    return locale == DEFAULT_UI_LOCALE or (bool(_LOCALE_NAME.match(locale or "")) and po_path(locale).is_file())


def catalog_locales() -> list[str]:
    """English, then every locale with a catalogue, sorted."""
    found = sorted(path.parent.parent.name for path in LOCALES_DIR.glob("*/LC_MESSAGES/messages.po"))
    return [DEFAULT_UI_LOCALE, *(locale for locale in found if _LOCALE_NAME.match(locale))]


def gettext_for(locale: str) -> Callable[[str], str]:
    """``gettext`` of a locale, for Python code: name it ``_`` so ``pybabel extract`` finds the strings."""
    return translations_for(locale).gettext


def ngettext_for(locale: str) -> Callable[[str, str, int], str]:
    """``ngettext`` of a locale, for Python code."""
    return translations_for(locale).ngettext


@lru_cache(maxsize=32)
def language_name(locale: str) -> str:
    """A locale's name in its own language ("Deutsch"), for language switchers."""
    try:
        name = Locale.parse(locale).get_display_name(locale) or locale
    except (ValueError, UnknownLocaleError):
        return locale
    return name[:1].upper() + name[1:]


def accepted_locale(accept_language: str, available: Sequence[str]) -> str | None:
    """The first of ``available`` an ``Accept-Language`` header asks for (by q-value, "de-AT" matching
    "de"), else None. A few lines rather than a dependency: Babel negotiates but does not parse the header.
    """
    wanted: list[tuple[float, int, str]] = []
    for position, part in enumerate(accept_language.split(",")[:20]):  # a browser sends a handful
        tag, _sep, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                continue
        if tag and quality > 0:
            wanted.append((-quality, position, tag.strip().replace("-", "_").lower()))
    by_lower = {locale.lower(): locale for locale in available}
    for _quality, _position, tag in sorted(wanted):
        match = by_lower.get(tag) or by_lower.get(tag.split("_")[0])
        if match:
            return match
    return None
