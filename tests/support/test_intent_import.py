"""Intents from a Rasa project or a spreadsheet into the database: merge, replace, plan, conflicts kept."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import Session, select

from bot.loaders import load_training_text
from bot.rasa import read_rasa
from bot.spreadsheet import read_spreadsheet
from support import intent_import, intents
from support.intents import IntentDataError
from support.models import FaqIntent, TrainingJob

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
LOCALES = ["en", "de", "nl"]


def spreadsheet(name: str = "faq.csv") -> bytes:
    return (FIXTURES / "spreadsheet" / name).read_bytes()


def test_a_rasa_project_lands_in_an_empty_database_with_unanswered_intents(session: Session) -> None:
    result = intent_import.import_intents(
        session, imported=read_rasa(FIXTURES / "rasa_project"), locales=LOCALES, user="u"
    )
    assert len(result.created) == 25 and result.counts["updated"] == result.counts["deleted"] == 0
    assert result.unanswered == [
        "affirm",
        "deny",
        "change_address",
        "report_damage",
        "book_pickup",
        "subscribe_newsletter",
    ]
    assert any("kept in 'faq_lost_parcel'" in d for d in result.decisions)
    row = session.get(FaqIntent, "book_pickup")
    assert row is not None and row.answers == {} and "schedule a parcel collection" in row.examples["en"]
    assert session.exec(select(TrainingJob)).first() is not None  # the worker trains it
    # Training reads it as it is: no answer is no problem.
    assert intents.training_data(session, locales=LOCALES).intents["book_pickup"].answers == {}
    listed = intents.intent_rows(session, query="", locales=LOCALES, unanswered=True)
    assert [r.intent.id for r in listed] == result.unanswered


def test_merge_keeps_other_intents_and_their_questions(session: Session) -> None:
    intents.save_intent(
        session,
        intent_id="shipping",
        kind="faq",
        article=None,
        examples={"en": ["On which days do you deliver?", "shipping options"]},
        answers={"en": "We ship Monday to Saturday."},
        user="editor",
        locales=LOCALES,
    )
    imported = read_spreadsheet(spreadsheet(), name="faq.csv")
    plan = intent_import.plan(session, imported=imported, locales=LOCALES, replace=False)
    assert session.get(FaqIntent, "pause_subscription") is None  # a plan writes nothing
    result = intent_import.import_intents(
        session, imported=read_spreadsheet(spreadsheet(), name="faq.csv"), locales=LOCALES, user="u"
    )
    assert result.created == plan.created and "shipping" not in result.deleted
    delivery = session.get(FaqIntent, "delivery_days")
    assert delivery is not None and "On which days do you deliver?" not in delivery.examples["en"]
    assert any("is already an example of 'shipping': kept there" in d for d in result.decisions)
    assert session.get(FaqIntent, "shipping") is not None
    # Importing the same file again changes nothing.
    again = intent_import.import_intents(
        session, imported=read_spreadsheet(spreadsheet(), name="faq.csv"), locales=LOCALES, user="u"
    )
    assert again.counts == {"created": 0, "updated": 0, "unchanged": 7, "deleted": 0}


def test_replace_leaves_only_the_imported_intents_in_the_files_order(session: Session) -> None:
    intents.import_yaml(session, text=(FIXTURES / "mini_faq.yaml").read_text(), locales=LOCALES, user="u")
    result = intent_import.import_intents(
        session,
        imported=read_spreadsheet(spreadsheet("faq_by_answer.csv"), name="x.csv"),
        locales=LOCALES,
        user="u",
        replace=True,
    )
    assert result.deleted and [i.id for i in intents.list_intents(session)] == result.created


def test_csv_and_xlsx_import_the_same_intents(session: Session) -> None:
    from_csv = read_spreadsheet(spreadsheet("faq.csv"), name="faq.csv")
    from_xlsx = read_spreadsheet(spreadsheet("faq.xlsx"), name="faq.xlsx")
    assert [i.to_dict() for i in from_csv.data.intents.values()] == [
        i.to_dict() for i in from_xlsx.data.intents.values()
    ]


def test_an_unconfigured_locale_refuses_the_whole_import(session: Session) -> None:
    rows = b"question,intent,answer,locale\nBonjour?,hello,Salut,fr\nHi?,hi,Hi,en\n"
    with pytest.raises(IntentDataError) as caught:
        intent_import.import_intents(session, imported=read_spreadsheet(rows, name="fr.csv"), locales=LOCALES, user="u")
    assert "fr.csv:2: intent 'hello': unknown locale 'fr'" in caught.value.problems[0]
    assert session.exec(select(FaqIntent)).first() is None


def test_the_editor_export_of_an_import_reads_back_the_same(session: Session) -> None:
    intent_import.import_intents(session, imported=read_rasa(FIXTURES / "rasa_project"), locales=LOCALES, user="u")
    data = load_training_text(intents.export_yaml(session), locales=LOCALES)
    saved = intents.training_data(session, locales=LOCALES).intents
    assert [i.to_dict() for i in data.intents.values()] == [i.to_dict() for i in saved.values()]


def test_the_csv_export_imports_again_as_the_same_intents(session: Session) -> None:
    intents.import_yaml(session, text=(FIXTURES / "mini_faq.yaml").read_text(), locales=LOCALES, user="u")
    intent_import.import_intents(session, imported=read_rasa(FIXTURES / "rasa_project"), locales=LOCALES, user="u")
    before = [i.to_dict() for i in intents.training_data(session, locales=LOCALES).intents.values()]
    exported = intent_import.export_csv(session)
    again = read_spreadsheet(exported.encode(), name="export.csv")
    assert again.decisions == [] and [i.to_dict() for i in again.data.intents.values()] == before
    replaced = intent_import.import_intents(session, imported=again, locales=LOCALES, user="u", replace=True)
    assert replaced.counts["created"] == replaced.counts["updated"] == replaced.counts["deleted"] == 0


def test_a_long_intent_id_survives_the_csv_round_trip(session: Session) -> None:
    # The back office takes ids up to 100 characters; the spreadsheet reader cut every id at 60, so the
    # export of such an intent imported as a new, shorter one beside it.
    long_id = "a" * 100
    intents.import_yaml(
        session,
        text=f"intents:\n  - id: {long_id}\n    examples:\n      en: [Is there a very long question?]\n"
        "    answer:\n      en: Yes.\n",
        locales=LOCALES,
        user="u",
    )
    again = read_spreadsheet(intent_import.export_csv(session).encode(), name="export.csv")
    assert list(again.data.intents) == [long_id]
    made = read_spreadsheet(f"question,answer\n{'Why ' * 40}?,Because.\n".encode(), name="q.csv")
    assert all(len(i) <= 60 for i in made.data.intents)  # an id made from a question stays short
