"""Report metrics computed from known outcomes."""

from __future__ import annotations

import copy

import pytest

from bot.data import Intent, TrainingData
from bot.encoder import Encoder
from bot.evaluate import REPORT_KEYS, Outcome, best_answer_rate, format_table, report, run, with_stand_in_answers
from bot.model import FaqModel


def outcome(
    truth: str,
    top: str | None,
    acted: str | None,
    decision: str,
    *,
    locale: str = "en",
    confidence: float = 0.5,
    latency: float = 1.0,
) -> Outcome:
    return Outcome(truth, locale, top, acted, decision, confidence, latency)


OUTCOMES = [
    outcome("a", "a", "a", "answer", confidence=0.9, latency=1.0),  # right answer
    outcome("a", "a", None, "clarify", confidence=0.6, latency=2.0),  # right top, asked
    outcome("b", "a", "a", "answer", confidence=0.8, latency=3.0),  # wrong answer
    outcome("b", "b", None, "suggest", confidence=0.3, latency=4.0, locale="de"),
    outcome("oos", "a", None, "suggest", confidence=0.2, latency=5.0, locale="de"),
    outcome("oos", "b", "b", "answer", confidence=0.85, latency=6.0),  # false accept
]


def test_overall_figures() -> None:
    r = report(OUTCOMES, train_seconds=12.3456)
    assert r["n_test"] == 6
    assert r["in_scope_accuracy"] == pytest.approx(3 / 4)
    assert r["answer_rate"] == pytest.approx(1 / 4)
    assert r["answer_precision"] == pytest.approx(1 / 3)
    assert r["clarify_rate"] == pytest.approx(1 / 6)
    assert r["oos_recall"] == pytest.approx(1 / 2)
    assert r["oos_false_accept_rate"] == pytest.approx(1 / 2)
    # F1(a): precision 1/2, recall 1/2 -> 0.5; F1(b): precision 0 (b answered for an oos), recall 0 -> 0.
    assert r["macro_f1"] == pytest.approx(0.25)
    assert r["train_seconds"] == 12.346
    assert r["predict_ms_p50"] == pytest.approx(3.5)
    # AUROC: in-scope confidences (.9 .6 .8 .3) against oos (.2 .85): 5 of 8 pairs ranked right.
    assert r["oos_auroc"] == pytest.approx(5 / 8)


def test_per_locale_and_keys_and_types() -> None:
    r = report(OUTCOMES, train_seconds=1.0, train_seconds_per_locale={"de": 0.25})
    assert set(REPORT_KEYS) <= set(r)
    assert set(r["per_locale"]) == {"en", "de"}
    de = r["per_locale"]["de"]
    assert set(REPORT_KEYS) <= set(de)
    assert (de["n_test"], de["answer_rate"], de["oos_recall"], de["train_seconds"]) == (2, 0.0, 1.0, 0.25)
    assert de["answer_precision"] is None  # nothing was answered in German: no base, no made-up figure
    for key in REPORT_KEYS:
        value = r[key]
        assert isinstance(value, int if key == "n_test" else float), key
        if key.endswith(("rate", "accuracy", "precision", "recall", "f1")):
            assert 0.0 <= value <= 1.0


def test_without_oos_messages_oos_figures_are_none() -> None:
    r = report([o for o in OUTCOMES if o.truth != "oos"], train_seconds=0.0)
    assert r["oos_recall"] is None and r["oos_false_accept_rate"] is None and r["oos_auroc"] is None


def test_table_lists_overall_and_each_locale() -> None:
    table = format_table(report(OUTCOMES, train_seconds=2.0))
    lines = table.splitlines()
    assert lines[0].split()[:3] == ["locale", "n", "accuracy"]
    assert [line.split()[0] for line in lines[2:5]] == ["all", "de", "en"]
    assert "75.0%" in lines[2]


def test_an_intent_set_without_answers_is_evaluated_with_stand_ins_an_faq_as_it_is(
    mini_data: TrainingData, encoder: Encoder
) -> None:
    bare = copy.deepcopy(mini_data)
    for intent in bare.intents.values():
        intent.answers = {}
    model = FaqModel.train(bare, encoder=encoder)
    rows = [
        {"text": text, "intent": iid, "locale": "en"} for iid, i in bare.intents.items() for text in i.examples["en"]
    ]
    decisions = {o.decision for o in run(model, rows)}
    assert "answer" in decisions  # without stand-ins every recognised question would be a suggestion
    assert all(not intent.answers for intent in model.intents.values())  # the model itself is untouched
    faq = {**model.intents, "x": Intent("x", {"en": ["q"]}, answers={"en": "A"})}
    assert with_stand_in_answers(faq) is faq
    assert with_stand_in_answers(model.intents)[rows[0]["intent"]].answers["en"].startswith("(the answer of")


def test_the_best_answer_rate_is_what_the_confidence_ranking_allows_at_a_precision() -> None:
    ranked = [
        outcome("a", "a", None, "suggest", confidence=0.9),
        outcome("b", "b", None, "suggest", confidence=0.8),
        outcome("oos", "a", None, "suggest", confidence=0.7),  # an out-of-scope question scored high
        outcome("c", "c", None, "suggest", confidence=0.6),
        outcome("d", "x", None, "suggest", confidence=0.5),  # the top intent wrong
        outcome("e", "e", None, "suggest", confidence=0.1),
    ]
    # Above 0.6: 3 right of 4 (75%); above 0.8: 2 of 2. Every row: 4 of 6.
    assert best_answer_rate(ranked, 0.75) == pytest.approx(3 / 5)
    assert best_answer_rate(ranked, 0.9) == pytest.approx(2 / 5)
    assert best_answer_rate(ranked, 0.6) == pytest.approx(4 / 5)
    assert best_answer_rate([outcome("oos", "a", None, "suggest")], 0.9) is None
    assert report(ranked, train_seconds=0.0)["best_answer_rate_at_90"] == pytest.approx(2 / 5)
