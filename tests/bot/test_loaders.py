"""Loaders for faqdesk YAML, Rasa NLU YAML and JSON lines, and every validation error."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import pytest

from bot.jsonl import load_test_set
from bot.loaders import load_training_data
from bot.problems import Problem, TrainingDataError
from bot.yamlnodes import MAX_DEPTH, YamlSyntaxError, compose_text

LOCALES = ["en", "de", "nl"]


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def problems_of(path: Path, **kwargs: object) -> list[str]:
    with pytest.raises(TrainingDataError) as info:
        load_training_data(path, **kwargs)  # type: ignore[arg-type]
    return [str(p) for p in info.value.problems]


FAQ = """\
intents:
  - id: pause_subscription
    article: pausing-your-subscription
    examples:
      en: [How can I pause my subscription?, pause plan]
      de: [Wie kann ich mein Abo pausieren?]
    answer:
      en: "Go to **Account**."
      de: "Gehen Sie zu **Konto**."
  - id: greeting
    kind: smalltalk
    examples:
      en: [hi, "no"]
    answer:
      en: Hello!
"""


def test_faqdesk_yaml_loads_intents_examples_answers_and_kinds(tmp_path: Path) -> None:
    data = load_training_data(write(tmp_path / "faq.yaml", FAQ), locales=LOCALES)
    pause = data.intents["pause_subscription"]
    assert pause.examples == {
        "en": ["How can I pause my subscription?", "pause plan"],
        "de": ["Wie kann ich mein Abo pausieren?"],
    }
    assert pause.answers["de"] == "Gehen Sie zu **Konto**."
    assert pause.article == "pausing-your-subscription"
    assert pause.kind == "faq"
    assert data.intents["greeting"].kind == "smalltalk"
    # YAML 1.1 would read a bare no as False; an FAQ example must stay text.
    assert data.intents["greeting"].examples["en"] == ["hi", "no"]
    assert data.locales == ["de", "en"]
    assert data.examples("de") == (["Wie kann ich mein Abo pausieren?"], ["pause_subscription"])


def test_folder_loads_every_yaml_file_recursively_and_ignores_jsonl(tmp_path: Path) -> None:
    write(tmp_path / "a.yaml", FAQ)
    write(tmp_path / "more" / "b.yml", "intents:\n  - id: bye\n    examples: {en: [bye]}\n    answer: {en: Bye}\n")
    write(tmp_path / "eval.jsonl", '{"text": "x", "intent": "bye"}\n')
    write(tmp_path / "articles" / "categories.yaml", "categories:\n  - slug: orders\n")
    data = load_training_data(tmp_path, locales=LOCALES)
    assert list(data.intents) == ["pause_subscription", "greeting", "bye"]
    assert data.skipped == [str(tmp_path / "articles" / "categories.yaml")]


def test_folder_without_intents_is_an_error(tmp_path: Path) -> None:
    write(tmp_path / "config.yml", "pipeline: []\n")
    [problem] = problems_of(tmp_path)
    assert "no intents found" in problem


def test_fingerprint_changes_with_content_only(tmp_path: Path) -> None:
    first = load_training_data(write(tmp_path / "a.yaml", FAQ)).fingerprint()
    assert load_training_data(write(tmp_path / "b.yaml", FAQ)).fingerprint() == first
    changed = FAQ.replace("pause plan", "pause my plan")
    assert load_training_data(write(tmp_path / "c.yaml", changed)).fingerprint() != first


def test_rasa_nlu_with_domain_responses(tmp_path: Path) -> None:
    write(
        tmp_path / "domain.yml",
        """\
version: "3.1"
responses:
  utter_greet:
    - text: "Hey! How are you?"
  utter_pause:
    - text: "Pause it under Account."
""",
    )
    nlu = write(
        tmp_path / "data" / "nlu.yml",
        """\
version: "3.1"
nlu:
- intent: greet
  examples: |
    - hey
    - hello [Sara](name)
- intent: pause
  examples: |
    - pause my [subscription]{"entity": "product"}
- synonym: subscription
  examples: |
    - abo
- intent: greet
  examples: |
    - good morning
- intent: oos
  examples: |
    - what is the weather
""",
    )
    data = load_training_data(nlu, locale="de", locales=LOCALES)
    assert data.intents["greet"].examples == {"de": ["hey", "hello Sara", "good morning"]}
    assert data.intents["pause"].examples == {"de": ["pause my subscription"]}
    assert data.intents["greet"].answers == {"de": "Hey! How are you?"}
    assert data.out_of_scope == {"de": ["what is the weather"]}


def test_rasa_without_domain_needs_no_answers(tmp_path: Path) -> None:
    nlu = write(tmp_path / "nlu.yml", "nlu:\n- intent: greet\n  examples: |\n    - hi\n")
    data = load_training_data(nlu, locales=LOCALES)
    assert data.intents["greet"].examples == {"en": ["hi"]}
    assert data.intents["greet"].answers == {}


def test_jsonl_with_locales_default_locale_and_oos(tmp_path: Path) -> None:
    rows = [
        {"text": "where is my card", "intent": "card_arrival"},
        {"text": "wo ist meine Karte", "intent": "card_arrival", "locale": "de"},
        {"text": "tell me a joke", "intent": "oos"},
    ]
    path = write(tmp_path / "train.jsonl", "\n".join(json.dumps(r) for r in rows) + "\n\n")
    data = load_training_data(path, locale="en")
    assert data.intents["card_arrival"].examples == {"en": ["where is my card"], "de": ["wo ist meine Karte"]}
    assert data.out_of_scope == {"en": ["tell me a joke"]}


def test_test_set_rows(tmp_path: Path) -> None:
    path = write(
        tmp_path / "test.jsonl",
        '{"text": "hi", "intent": "greeting", "locale": "nl"}\n{"text": "weather?", "intent": "oos"}\n',
    )
    assert load_test_set(path) == [
        {"text": "hi", "intent": "greeting", "locale": "nl"},
        {"text": "weather?", "intent": "oos"},
    ]


# ----- validation: every error names file, line and intent ------------------------------------


def test_duplicate_ids_across_files_name_both_places(tmp_path: Path) -> None:
    write(tmp_path / "a.yaml", FAQ)
    write(tmp_path / "b.yaml", "intents:\n  - id: greeting\n    examples: {en: [hello there]}\n    answer: {en: Hi}\n")
    [problem] = problems_of(tmp_path, locales=LOCALES)
    assert f"{tmp_path / 'b.yaml'}:2" in problem
    assert "intent 'greeting'" in problem
    assert f"first defined at {tmp_path / 'a.yaml'}:10" in problem


def test_one_example_under_two_intents(tmp_path: Path) -> None:
    text = FAQ + '  - id: plans\n    examples:\n      en: ["Pause  PLAN"]\n    answer: {en: Plans.}\n'
    [problem] = problems_of(write(tmp_path / "faq.yaml", text), locales=LOCALES)
    assert ":16:" in problem and "intent 'plans'" in problem
    assert "also an example of intent 'pause_subscription'" in problem


def test_empty_intent(tmp_path: Path) -> None:
    text = "intents:\n  - id: empty\n    examples: {en: []}\n    answer: {en: x}\n"
    [problem] = problems_of(write(tmp_path / "faq.yaml", text), locales=LOCALES)
    assert ":2:" in problem and "intent 'empty'" in problem and "no examples" in problem


def test_unknown_locale(tmp_path: Path) -> None:
    text = "intents:\n  - id: hi\n    examples: {fr: [bonjour]}\n    answer: {fr: Salut}\n"
    [problem] = problems_of(write(tmp_path / "faq.yaml", text), locales=LOCALES)
    assert "intent 'hi'" in problem and "unknown locale 'fr'" in problem and "FAQDESK_LOCALES" in problem
    # Without a restriction (evaluation of other languages) any well-formed locale is fine.
    assert load_training_data(tmp_path / "faq.yaml").locales == ["fr"]


def test_a_locale_without_an_answer_is_trained_and_left_unanswered(tmp_path: Path) -> None:
    # Imported or not translated yet: its questions are learned; the policy never answers it there.
    text = "intents:\n  - id: hi\n    examples: {en: [hello], nl: [hallo]}\n    answer: {en: Hi}\n"
    data = load_training_data(write(tmp_path / "faq.yaml", text), locales=LOCALES)
    assert data.intents["hi"].examples == {"en": ["hello"], "nl": ["hallo"]} and data.intents["hi"].answers == {
        "en": "Hi"
    }


def test_malformed_yaml_names_the_line(tmp_path: Path) -> None:
    text = "intents:\n  - id: hi\n    examples: {en: [hello]\n    answer: {en: Hi}\n"
    [problem] = problems_of(write(tmp_path / "faq.yaml", text), locales=LOCALES)
    assert problem.startswith(f"{tmp_path / 'faq.yaml'}:4:") and "malformed YAML" in problem


def test_repeated_key_is_reported(tmp_path: Path) -> None:
    text = "intents:\n  - id: hi\n    examples: {en: [hello]}\n    examples: {en: [hey]}\n    answer: {en: Hi}\n"
    [problem] = problems_of(write(tmp_path / "faq.yaml", text), locales=LOCALES)
    assert ":4:" in problem and "'examples' appears twice" in problem


BILLION_LAUGHS = "a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + "".join(
    f"{b}: &{b} [{', '.join([f'*{a}'] * 9)}]\n" for a, b in zip("abcdef", "bcdefg", strict=True)
)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        (BILLION_LAUGHS, "aliases expand to far more values"),  # 9^7 values from 300 bytes
        ("[" * 5000 + "]" * 5000, "nested more than 50 levels"),  # was a RecursionError
        ("intents:\n" + "".join("  " * i + f"k{i}:\n" for i in range(1, 60)), "nested more than 50 levels"),
    ],
)
def test_hostile_yaml_is_refused_as_a_problem_not_a_crash(tmp_path: Path, text: str, words: str) -> None:
    [problem] = problems_of(write(tmp_path / "faq.yaml", text), locales=LOCALES)
    assert words in problem


@pytest.mark.parametrize("brackets", ["[" * 5000, "{a: " * 5000, "x: [" + "{a: [" * 40])
def test_flow_nesting_is_refused_at_the_bracket_past_the_limit(brackets: str) -> None:
    """The scanner stops there, instead of reading the whole run of brackets first: its work grows with
    the square of the brackets open (1,000 cost 2.5 s of CPU before the composer's own limit)."""
    with pytest.raises(YamlSyntaxError, match="nested more than 50 levels") as caught:
        compose_text(brackets)
    opened = [i for i, char in enumerate(brackets) if char in "[{"]
    assert caught.value.column == opened[MAX_DEPTH] + 1


def test_aliases_that_share_an_answer_still_load(tmp_path: Path) -> None:
    text = (
        "intents:\n  - id: hi\n    examples: {en: [hello]}\n    answer: &same {en: Hi}\n"
        "  - id: hey\n    examples: {en: [hey there]}\n    answer: *same\n"
    )
    data = load_training_data(write(tmp_path / "faq.yaml", text), locales=LOCALES)
    assert [data.intents[i].answers["en"] for i in ("hi", "hey")] == ["Hi", "Hi"]


def test_shape_errors_are_collected_together(tmp_path: Path) -> None:
    text = """\
intents:
  - id: Bad-Id
    examples: {en: [hello]}
    answer: {en: Hi}
  - id: typo
    exmaples: {en: [hey]}
    answer: {en: Hi}
  - id: weird_kind
    kind: robot
    examples: {en: [beep]}
    answer: {en: ""}
  - examples: {en: [orphan]}
"""
    problems = problems_of(write(tmp_path / "faq.yaml", text), locales=LOCALES)
    joined = "\n".join(problems)
    assert "intent 'Bad-Id': id must match [a-z0-9_]+" in joined
    assert ":6: intent 'typo': unknown key 'exmaples'" in joined
    assert "intent 'typo': 'examples' must map each locale" in joined
    assert ":9: intent 'weird_kind': kind must be one of faq, smalltalk, handoff" in joined
    assert ":11: intent 'weird_kind': answer for 'en' must be non-empty text" in joined
    assert ":12: intent without an 'id'" in joined


def test_not_an_faq_file(tmp_path: Path) -> None:
    [problem] = problems_of(write(tmp_path / "x.yaml", "title: hello\n"), locales=LOCALES)
    assert "expected a top-level 'intents:'" in problem


def test_bad_jsonl_lines_are_located(tmp_path: Path) -> None:
    lines = ['{"text": "hi", "intent": "greet"}', "{oops", '["list"]', '{"text": "", "intent": "x"}']
    path = write(tmp_path / "t.jsonl", "\n".join(lines) + "\n")
    problems = problems_of(path)
    assert [p.split(": ", 1)[0] for p in problems] == [f"{path}:2", f"{path}:3", f"{path}:4"]


def test_missing_path(tmp_path: Path) -> None:
    [problem] = problems_of(tmp_path / "nope")
    assert "no such file or folder" in problem


def test_demo_faq_meets_the_content_bar(demo_data) -> None:  # type: ignore[no-untyped-def]
    faq = [i for i in demo_data.intents.values() if i.kind == "faq"]
    assert len(faq) >= 30
    for intent in faq:
        assert intent.article, intent.id
        for loc in ("en", "de", "nl"):
            assert len(intent.examples[loc]) >= 12, (intent.id, loc)
            assert intent.answers[loc]
    kinds = {i.id: i.kind for i in demo_data.intents.values()}
    assert {kinds[k] for k in ("greeting", "thanks", "goodbye")} == {"smalltalk"}
    assert kinds["talk_to_human"] == "handoff"


def test_the_error_keeps_its_problems_when_it_crosses_a_process() -> None:
    # Training runs in a child process (core.isolated) and its error comes back pickled.
    error = TrainingDataError([Problem(None, "unknown locale 'fr'", intent="opening_hours")])
    again = pickle.loads(pickle.dumps(error))
    assert again.problems == error.problems and str(again) == str(error)
