"""UI translations: complete de/nl catalogs, matching placeholders, per-context language in templates."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po
from babel.support import NullTranslations

from api.templating import templates
from core import i18n

ROOT = Path(__file__).resolve().parents[2]
LOCALES = ROOT / "core" / "locales"
TRANSLATED = ["de", "nl"]
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")
TAG = re.compile(r"</?([a-z0-9]+)")


def _catalog(path: Path, locale: str | None = None) -> Catalog:
    with path.open("rb") as f:
        return read_po(f, locale=locale)


def _messages(catalog: Catalog) -> list[Message]:
    return [m for m in catalog if m.id]


def _forms(value: str | tuple[str, ...] | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def test_template_is_up_to_date_with_the_code() -> None:
    """A string marked in a template, api/ or support/ but missing from messages.pot means: run pybabel extract."""
    with (ROOT / "babel.cfg").open() as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    found = extract_from_dir(ROOT, method_map, options_map)
    extracted = {(msgid, context) for _file, _line, msgid, _comments, context in found}
    in_pot = {(m.id, m.context) for m in _messages(_catalog(LOCALES / "messages.pot"))}
    assert extracted == in_pot, "run: pybabel extract -F babel.cfg -o core/locales/messages.pot . && pybabel update ..."
    assert len(in_pot) >= 25


@pytest.mark.parametrize("locale", TRANSLATED)
def test_every_message_is_translated(locale: str) -> None:
    pot = _messages(_catalog(LOCALES / "messages.pot"))
    po = _catalog(i18n.po_path(locale), locale)
    missing, fuzzy = [], []
    for message in pot:
        translated = po.get(message.id, context=message.context)
        if translated is None or not all(form.strip() for form in _forms(translated.string)):
            missing.append(message.id)
        elif translated.fuzzy:
            fuzzy.append(message.id)
    assert not missing, f"untranslated in {locale}: {missing} (pybabel update, then translate)"
    assert not fuzzy, f"fuzzy in {locale}: {fuzzy}"
    assert len(po.plural_forms) > 0 and po.num_plurals == 2


@pytest.mark.parametrize("locale", TRANSLATED)
def test_placeholders_and_markup_match(locale: str) -> None:
    for message in _messages(_catalog(i18n.po_path(locale), locale)):
        source = _forms(message.id)[-1]  # the plural form when there is one
        for form in _forms(message.string):
            assert sorted(PLACEHOLDER.findall(form)) == sorted(PLACEHOLDER.findall(source)), (locale, form)
            assert TAG.findall(form) == TAG.findall(source), (locale, form)
            assert "%" not in PLACEHOLDER.sub("", form), (locale, form)  # a stray % breaks newstyle gettext


def test_no_compiled_catalogs_are_committed() -> None:
    assert not list(LOCALES.rglob("*.mo"))


def test_catalogs_compile_in_memory_and_unknown_locales_fall_back_to_english() -> None:
    assert i18n.gettext_for("de")("Search") == "Suchen"
    assert i18n.gettext_for("nl")("Search") == "Zoeken"
    assert i18n.ngettext_for("de")("%(count)s result for “%(query)s”.", "%(count)s results for “%(query)s”.", 2) == (
        "%(count)s Ergebnisse für „%(query)s“."
    )
    for unknown in ("en", "fr", "", "../../etc", "de/../nl"):
        assert type(i18n.translations_for(unknown)) is NullTranslations
        assert i18n.gettext_for(unknown)("Search") == "Search"
    assert i18n.translations_for("de") is i18n.translations_for("de")  # compiled once


def test_language_names_are_in_their_own_language() -> None:
    assert [i18n.language_name(loc) for loc in ("en", "de", "nl")] == ["English", "Deutsch", "Nederlands"]
    assert i18n.language_name("not a locale") == "not a locale"


def test_templates_take_the_language_from_their_context() -> None:
    page = templates.env.from_string('{{ _("Search") }}|{% trans %}Search results{% endtrans %}')
    assert page.render() == "Search|Search results"
    assert page.render(locale="de") == "Suchen|Suchergebnisse"
    assert page.render(locale="de", ui_locale="nl") == "Zoeken|Zoekresultaten"
    assert page.render(locale="nl", ui_locale=None) == "Zoeken|Zoekresultaten"


def test_translated_strings_escape_their_variables() -> None:
    page = templates.env.from_string(
        "{% trans count=n %}{{ count }} result for “{{ query }}”.{% pluralize %}"
        "{{ count }} results for “{{ query }}”.{% endtrans %}"
    )
    assert page.render(locale="de", n=1, query="<b>") == "1 Ergebnis für „&lt;b&gt;“."
    assert page.render(locale="nl", n=3, query="a&b") == "3 resultaten voor ‘a&amp;b’."


def test_dates_follow_the_context_language() -> None:
    page = templates.env.from_string("{{ day|format_date }}")
    day = date(2025, 3, 4)
    assert page.render(day=day, locale="de") == "4. März 2025"
    assert page.render(day=day, locale="nl") == "4 maart 2025"
    assert page.render(day=day) == "March 4, 2025"
