"""Reading FAQ spreadsheets as people keep them: filled down, merged, Excel's encodings and cell formats."""

from __future__ import annotations

import io
import zipfile
from datetime import date, datetime
from pathlib import Path

import pytest

from bot.problems import TrainingDataError
from bot.spreadsheet import read_spreadsheet

FAQ_XLSX = Path(__file__).resolve().parents[1] / "fixtures" / "spreadsheet" / "faq.xlsx"


def _examples(data: bytes, name: str, **options: object) -> dict[str, dict[str, list[str]]]:
    imported = read_spreadsheet(data, name=name, **options)  # type: ignore[arg-type]
    return {i.id: i.examples for i in imported.data.intents.values()}


def damaged_workbook(member: str, cut: int) -> bytes:
    """The fixture workbook with one of its XML parts cut short, as a broken download leaves it."""
    out = io.BytesIO()
    with zipfile.ZipFile(FAQ_XLSX) as source, zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            data = source.read(item)
            target.writestr(item, data[:cut] if item.filename == member else data)
    return out.getvalue()


@pytest.mark.parametrize(
    "data",
    [
        damaged_workbook("xl/worksheets/sheet1.xml", 300),  # was a ParseError from the rows: a 500 in the back office
        damaged_workbook("xl/workbook.xml", 10),
        damaged_workbook("xl/styles.xml", 50),
        b"PK\x03\x04" + b"\x00" * 40,
    ],
)
def test_a_damaged_workbook_is_refused_with_the_reason(data: bytes) -> None:
    with pytest.raises(TrainingDataError) as caught:
        read_spreadsheet(data, name="faq.xlsx")
    [problem] = caught.value.problems
    assert str(problem).startswith("faq.xlsx: not a readable XLSX workbook: ")


def test_a_sheet_naming_each_intent_on_its_first_row_only_keeps_the_groups() -> None:
    rows = (
        "intent,question,answer\nreturns,How do I return an item?,Within 30 days.\n,Can I send it back?,\n"
        ",Refund please,\n\nhours,When are you open?,9 to 5.\n,Do you open on Sundays?,No.\n"
    )
    imported = read_spreadsheet(rows.encode(), name="faq.csv")
    assert {i.id: (i.examples["en"], i.answers) for i in imported.data.intents.values()} == {
        "returns": (["How do I return an item?", "Can I send it back?", "Refund please"], {"en": "Within 30 days."}),
        "hours": (["When are you open?"], {"en": "9 to 5."}),
        "do_you_open_on_sundays": (["Do you open on Sundays?"], {"en": "No."}),  # an answer of its own
    }
    assert (
        "rows without an intent read as the intent above them (the sheet names each on its first row only): 3, 4"
        in (imported.notes)
    )
    # A sheet that writes the intent on every row of a group means a row without one as a question apart.
    full = "intent,question\nreturns,How do I return?\nreturns,Send it back?\n,Do you sell gift cards?\n"
    assert list(_examples(full.encode(), "full.csv")) == ["returns", "do_you_sell_gift_cards"]


def test_one_intent_written_in_several_cases_is_one_intent() -> None:
    rows = (
        "intent,question,answer\nReturns,How do I return?,Within 30 days\nreturns,Send it back?,\nRETURNS ,Refund?,\n"
    )
    imported = read_spreadsheet(rows.encode(), name="case.csv")
    assert list(imported.data.intents) == ["returns"]
    assert imported.data.intents["returns"].answers == {"en": "Within 30 days"}
    assert "intent 'returns' written as 'Returns', 'returns', 'RETURNS': read as one intent" in imported.notes


def test_merged_cells_and_formatted_values_read_as_the_sheet_shows_them() -> None:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Intent", "Question", "Answer", "Locale"])
    sheet.append(["returns", "How do I return an item?", "Within 30 days.", "de"])
    sheet.append([None, "Can I send it back?", None, None])
    sheet.append([None, "Refund please", None, None])
    sheet.merge_cells("A2:A4")
    sheet.merge_cells("C2:C4")
    sheet.merge_cells("D2:D4")
    sheet.append(["sale", "When is the sale?", date(2025, 3, 1), "en"])
    sheet.append(["opening", "When do you open on Monday?", datetime(2025, 3, 3, 9, 30), "en"])
    sheet.append(["discount", "How much is the discount?", 0.15, "en"])
    sheet["C7"].number_format = "0%"
    sheet.append(["free", "Is shipping free?", True, "en"])
    sheet.append(["count", "How many stores?", 12.0, "en"])
    saved = io.BytesIO()
    book.save(saved)
    imported = read_spreadsheet(saved.getvalue(), name="merged.xlsx")
    returns = imported.data.intents["returns"]
    assert returns.examples == {"de": ["How do I return an item?", "Can I send it back?", "Refund please"]}
    assert returns.answers == {"de": "Within 30 days."}
    answers = {i.id: i.answers["en"] for i in imported.data.intents.values() if i.id != "returns"}
    assert answers == {
        "sale": "2025-03-01",
        "opening": "2025-03-03 09:30",
        "discount": "15%",
        "free": "TRUE",
        "count": "12",
    }
    assert "merged cells read as their value on every row they span: A2:A4, C2:C4, D2:D4" in imported.notes


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be"])
def test_excel_unicode_text_is_read(encoding: str) -> None:
    text = "intent\tquestion\tanswer\r\nreturns\tWie gebe ich zurück?\tInnerhalb von 30 Tagen – gratis\r\n"
    data = ("\ufeff" + text).encode(encoding) if encoding.endswith("be") else text.encode(encoding)
    imported = read_spreadsheet(data, name="faq.txt")
    assert imported.data.intents["returns"].examples == {"en": ["Wie gebe ich zurück?"]}
    assert imported.data.intents["returns"].answers == {"en": "Innerhalb von 30 Tagen – gratis"}


def test_locale_codes_are_read_as_the_configured_ones_when_only_one_fits() -> None:
    rows = "intent,question,locale\nship,Wie lange?,DE\nship,How long?,en-US\nship,Hoe lang?,nl_NL\n"
    assert _examples(rows.encode(), "l.csv")["ship"] == {"de": ["Wie lange?"], "en": ["How long?"], "nl": ["Hoe lang?"]}
    imported = read_spreadsheet(rows.encode(), name="l.csv")
    assert "locales read as faqdesk's: DE → de, en-US → en, nl_NL → nl" in imported.notes
    configured = _examples(rows.encode(), "l.csv", locales=["en", "de-CH", "nl"])
    assert configured["ship"] == {"de-CH": ["Wie lange?"], "en": ["How long?"], "nl": ["Hoe lang?"]}
    # Two English variants cannot both be 'en': written as they are, refused later as unknown locales.
    two = "intent,question,locale\nship,How long?,en-US\nship,How long then?,en-GB\n"
    assert set(_examples(two.encode(), "two.csv")["ship"]) == {"en-US", "en-GB"}
