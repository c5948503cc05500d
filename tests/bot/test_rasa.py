"""Reading Rasa projects: retrieval intents and their responses, conflicts resolved and reported."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from bot.loaders import load_training_data
from bot.problems import TrainingDataError
from bot.rasa import load_rasa_test, looks_like_rasa, read_rasa, read_rasa_files

PROJECT = Path(__file__).resolve().parents[1] / "fixtures" / "rasa_project"
LOCALES = ["en", "de", "nl"]


def test_a_whole_project_is_read_with_retrieval_intents_and_their_responses() -> None:
    imported = read_rasa(PROJECT)
    intents = imported.data.intents
    assert len(intents) == 25
    faq = intents["faq_return_parcel"]
    assert faq.kind == "faq" and faq.answers["en"].startswith("To return a parcel:\n1. Print the return label")
    assert "how do I return a parcel" in faq.examples["en"]
    assert intents["chitchat_ask_name"].kind == "smalltalk"
    assert intents["chitchat_ask_name"].answers == {"en": "I'm ParcelBot, the virtual assistant of ParcelPost."}
    assert intents["greet"].kind == "smalltalk" and intents["human_handoff"].kind == "handoff"
    # Answered by the response named after the intent; buttons are left out, with a note.
    assert intents["track_parcel"].answers["en"].startswith("You can follow your parcel on the **Track** page")
    assert "response utter_track_parcel: buttons left out (faqdesk answers with text)" in imported.notes
    # The config's language is the locale; the lookup table in a subfolder changes nothing.
    assert {loc for i in intents.values() for loc in i.examples} == {"en"}


def test_intents_without_a_text_response_are_imported_without_an_answer() -> None:
    imported = read_rasa(PROJECT)
    unanswered = ["affirm", "deny", "change_address", "report_damage", "book_pickup", "subscribe_newsletter"]
    assert imported.unanswered() == unanswered
    for intent_id in unanswered:
        assert imported.data.intents[intent_id].answers == {} and imported.data.intents[intent_id].examples["en"]
    assert "response utter_change_address (domain.yml) has no text (custom only): not an answer" in imported.notes
    assert any(note.startswith("6 intents have no text response") for note in imported.notes)


def test_entity_markup_is_reduced_to_its_text_and_entity_data_is_skipped_with_a_note() -> None:
    imported = read_rasa(PROJECT)
    examples = imported.data.intents["track_parcel"].examples["en"]
    assert "track my parcel JVGL0612345678" in examples and "where is parcel 3SABC1234567" in examples
    assert "arrange a pickup from Munich" in imported.data.intents["book_pickup"].examples["en"]
    assert not any("[" in t or "](" in t for i in imported.data.intents.values() for t in i.examples["en"])
    assert "entity markup reduced to its text in 15 examples" in imported.notes
    assert any(n.startswith("skipped 1 lookup table, 2 regexes, 1 synonym") for n in imported.notes)


def test_an_example_under_two_intents_stays_where_it_was_written_most_or_is_dropped() -> None:
    imported = read_rasa(PROJECT)
    intents = imported.data.intents
    assert imported.decisions == [
        "example 'my parcel is lost' (en) under 'faq_lost_parcel' (2x), 'report_damage' (1x): "
        "kept in 'faq_lost_parcel'",
        "example 'ok' (en) under 'affirm' (1x), 'deny' (1x): dropped (as often in each)",
    ]
    assert intents["faq_lost_parcel"].examples["en"].count("my parcel is lost") == 1
    assert "my parcel is lost" not in intents["report_damage"].examples["en"]
    assert "ok" not in intents["affirm"].examples["en"] and "ok" not in intents["deny"].examples["en"]


def test_strict_refuses_the_conflicts_instead() -> None:
    with pytest.raises(TrainingDataError) as caught:
        read_rasa(PROJECT, strict=True)
    messages = [p.message for p in caught.value.problems]
    assert (
        len(messages) == 2 and "'ok' (en) is an example of several intents: 'affirm' (1x), 'deny' (1x)" in messages[1]
    )


def test_train_and_evaluate_take_the_project_as_it_is() -> None:
    data = load_training_data(PROJECT, locales=LOCALES)
    assert len(data.intents) == 25 and data.intents["book_pickup"].answers == {}
    assert any("kept in 'faq_lost_parcel'" in note for note in data.notes)
    # One NLU file alone still finds its project's responses (config and domain two levels up).
    faq_only = load_training_data(PROJECT / "data" / "nlu" / "faq.yml", locales=LOCALES)
    assert faq_only.intents["faq_customs"].answers["en"].startswith("Parcels leaving the EU")


def test_a_project_layout_without_a_domain_near_the_nlu_still_reads_the_responses(tmp_path: Path) -> None:
    # Rasa's own demo keeps its retrieval responses in data/nlu/responses/responses.yml.
    project = tmp_path / "demo"
    shutil.copytree(PROJECT, project)
    (project / "data" / "responses.yml").rename(project / "data" / "nlu" / "lookups" / "responses.yml")
    (project / "domain.yml").unlink()
    imported = read_rasa(project)
    assert imported.data.intents["faq_packaging"].answers["en"].startswith("Use a sturdy box")
    assert imported.data.intents["greet"].answers == {}  # its response was in the domain


def test_the_older_markdown_and_json_formats(tmp_path: Path) -> None:
    md = tmp_path / "nlu.md"
    md.write_text(
        "## intent:check_balance\n- how much money is on [my account](account)\n- what's my balance\n\n"
        "## synonym:savings\n- savings account\n\n## intent:greet\n- hi\n- hello\n"
    )
    assert looks_like_rasa(md)
    imported = read_rasa(md, locale="de")
    assert imported.data.intents["check_balance"].examples == {
        "de": ["how much money is on my account", "what's my balance"]
    }
    assert any(n.startswith("skipped 1 synonym") for n in imported.notes)
    rows = [{"text": "hi there", "intent": "greet", "entities": []}, {"text": "hey", "intent": "greet"}]
    js = tmp_path / "nlu.json"
    js.write_text(json.dumps({"rasa_nlu_data": {"common_examples": rows, "regex_features": [{"name": "x"}]}}))
    assert read_rasa(js).data.intents["greet"].examples == {"en": ["hi there", "hey"]}


def test_names_that_map_to_one_id_are_kept_apart(tmp_path: Path) -> None:
    nlu = tmp_path / "nlu.yml"
    nlu.write_text(
        "nlu:\n- intent: ask-price\n  examples: |\n    - price?\n- intent: ask_price\n  examples: |\n    - cost?\n"
    )
    imported = read_rasa(nlu)
    assert imported.data.intents["ask_price"].examples == {"en": ["price?"]}
    assert imported.data.intents["ask_price_2"].examples == {"en": ["cost?"]}
    assert "intent 'ask_price' is imported as 'ask_price_2' ('ask_price' was taken)" in imported.notes


def test_located_problems_for_broken_files(tmp_path: Path) -> None:
    (tmp_path / "nlu.yml").write_text("nlu:\n- intent: greet\n  examples: [oops\n")
    with pytest.raises(TrainingDataError) as caught:
        read_rasa(tmp_path)
    [problem] = caught.value.problems  # once, though the file is read for responses and for examples
    assert str(problem).startswith(f"{tmp_path / 'nlu.yml'}:")
    (tmp_path / "nlu.yml").write_text("nlu:\n- intent: greet\n  examples: hi\n")
    with pytest.raises(TrainingDataError, match="'examples' must be a '- ' list"):
        read_rasa(tmp_path)


def test_deeply_nested_json_is_a_located_problem_not_a_crash(tmp_path: Path) -> None:
    (tmp_path / "nlu.json").write_text("[" * 100_000 + "]" * 100_000)  # was a RecursionError: a 500 on upload
    with pytest.raises(TrainingDataError) as caught:
        read_rasa(tmp_path)
    assert [str(p) for p in caught.value.problems] == [
        f"{tmp_path / 'nlu.json'}: cannot read file: JSON nested too deeply"
    ]


def test_rasa_test_stories_and_nlu_test_files_are_test_sets() -> None:
    rows = load_rasa_test(PROJECT / "tests" / "test_stories.yml")
    assert rows == [
        {"text": "when is the shop open on saturdays?", "intent": "faq_opening_hours"},
        {"text": "where's my parcel JVGL0611111111", "intent": "track_parcel"},
        {"text": "thank you!", "intent": "thank"},
        {"text": "can I speak to a person?", "intent": "human_handoff"},
    ]
    nlu_rows = load_rasa_test(PROJECT / "data" / "nlu" / "chitchat.yml")
    assert nlu_rows[0] == {"text": "what is your name", "intent": "chitchat_ask_name"} and len(nlu_rows) == 24


def _project(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


NLU = "nlu:\n- intent: ask_hours\n  examples: |\n    - when are you open\n    - opening hours\n"
RASA_INIT_NLU = "nlu:\n- intent: mood_great\n  examples: |\n    - perfect\n"


def test_only_what_rasa_train_reads_is_read_never_a_virtualenv_or_hidden_folder(tmp_path: Path) -> None:
    project = _project(
        tmp_path / "bot",
        {
            "domain.yml": "responses:\n  utter_ask_hours:\n  - text: Monday to Friday, 9 to 5.\n",
            "config.yml": "language: en\n",
            "data/nlu.yml": NLU,
            # `rasa init`'s example project ships inside Rasa's package: it was imported as the bot's own.
            "venv/pyvenv.cfg": "home = /usr/bin\n",
            "venv/lib/python3.10/site-packages/rasa/cli/initial_project/data/nlu.yml": RASA_INIT_NLU,
            ".venv/lib/site-packages/rasa/data/nlu.yml": RASA_INIT_NLU,
            "charts/templates/deployment.yaml": "{{- if .Values.enabled }}\nkind: Deployment\n{{- end }}\n",
            "old/nlu.yml": RASA_INIT_NLU,
        },
    )
    imported = read_rasa(project)
    assert list(imported.data.intents) == ["ask_hours"]
    assert imported.data.intents["ask_hours"].answers == {"en": "Monday to Friday, 9 to 5."}
    assert "not read, as 'rasa train' reads only domain, config and data/: old/nlu.yml" in imported.notes
    assert looks_like_rasa(project) and not looks_like_rasa(project / "venv")


def test_a_file_that_is_not_rasa_data_and_fails_to_parse_is_a_note_not_a_refusal(tmp_path: Path) -> None:
    folder = _project(
        tmp_path,
        {
            "nlu.yml": NLU,
            "deploy/templates/service.yaml": "{{- if .Values.service }}\nkind: Service\n{{- end }}\n",
            "tsconfig.json": '{\n  // comments are fine for TypeScript\n  "strict": true\n}\n',
        },
    )
    imported = read_rasa(folder)
    assert list(imported.data.intents) == ["ask_hours"]
    helm = next(n for n in imported.notes if "service.yaml" in n)
    assert helm.startswith(f"{folder / 'deploy/templates/service.yaml'}:1: skipped, holds no Rasa data and malformed")
    assert any(n.startswith(f"{folder / 'tsconfig.json'}: skipped, holds no Rasa data") for n in imported.notes)
    # Without any intents, the files skipped are the likely reason: they are listed with the refusal.
    (folder / "nlu.yml").unlink()
    with pytest.raises(TrainingDataError) as caught:
        read_rasa(folder)
    assert [p.where.file for p in caught.value.problems if p.where] == [
        str(folder / "deploy/templates/service.yaml"),
        str(folder / "tsconfig.json"),
        str(folder),
    ]


def test_markdown_takes_every_bullet_rasa_takes_and_drops_comments(tmp_path: Path) -> None:
    md = tmp_path / "nlu.md"
    md.write_text(
        "<!-- Rasa 1 markdown NLU -->\n## intent:greet\n* hi\n* hello there\n+ good morning\n\n"
        "## intent:ask_weather\n- How is the weather\n- weather for [today](date) <!-- a date entity -->\n"
        "<!--\n- old example we disabled\n-->\n- Is it raining\n"
    )
    imported = read_rasa(md)
    assert imported.data.intents["greet"].examples == {"en": ["hi", "hello there", "good morning"]}
    assert imported.data.intents["ask_weather"].examples == {
        "en": ["How is the weather", "weather for today", "Is it raining"]
    }
    source = imported.data.intents["ask_weather"].source
    assert source is not None and source.line == 7  # lines after a comment keep their numbers


def test_the_answer_is_the_variant_for_everyone_and_slots_are_left_out(tmp_path: Path) -> None:
    nlu = "nlu:\n" + "".join(
        f"- intent: {name}\n  examples: |\n    - {name} please\n" for name in ("refund", "vip", "greet", "only_name")
    )
    domain = """responses:
  utter_refund:
  - text: "Reply with *refund* in <#C123|support>"
    channel: slack
  - text: Refunds take 5 days.
  utter_vip:
  - condition:
    - type: slot
      name: vip
      value: true
    text: As a VIP, {first_name}, you get instant refunds.
  - text: Hello {first_name}, refunds take 5 days.
  - text: Refunds take 5 days.
  utter_greet:
  - text: Hi {name}!
  utter_only_name:
  - text: "{name}"
"""
    imported = read_rasa(_project(tmp_path, {"data/nlu.yml": nlu, "domain.yml": domain}))
    answers = {i.id: i.answers.get("en") for i in imported.data.intents.values()}
    assert answers == {
        "refund": "Refunds take 5 days.",
        "vip": "Refunds take 5 days.",
        "greet": "Hi!",
        "only_name": None,
    }
    assert imported.notes[:4] == [
        "response utter_refund: 2 variants, the answer is variant 2, the first with no channel, condition or slot; "
        "left out: the one for channel 'slack'",
        "response utter_vip: 3 variants, the answer is variant 3, the first with no channel, condition or slot; "
        "left out: the one for slot vip = true",
        "response utter_greet: {name} left out of the answer (faqdesk fills no slots): 'Hi!'",
        "response utter_only_name: only {name}, which faqdesk cannot fill: not an answer",
    ]


def test_an_intent_without_examples_is_skipped_with_a_note(tmp_path: Path) -> None:
    nlu = tmp_path / "nlu.yml"
    nlu.write_text("nlu:\n- intent: being_written\n  examples: |\n- intent: greet\n  examples: |\n    - hi\n")
    imported = read_rasa(nlu)
    assert list(imported.data.intents) == ["greet"]
    assert f"{nlu}:2: intent 'being_written' has no examples: skipped" in imported.notes


def test_uploaded_files_take_the_language_their_config_names() -> None:
    files = [(p.name, p.read_bytes()) for p in (PROJECT / "config.yml", PROJECT / "data" / "nlu" / "faq.yml")]
    files[0] = ("config.yml", b"recipe: default.v1\nlanguage: de\npipeline: []\n")
    imported = read_rasa_files(files, locale="en")  # the upload form always sends its default
    assert {loc for i in imported.data.intents.values() for loc in i.examples} == {"de"}
    assert imported.notes[0] == "config.yml names the language 'de': the files are read as 'de'"
    without = read_rasa_files(files[1:], locale="nl")
    assert {loc for i in without.data.intents.values() for loc in i.examples} == {"nl"}
