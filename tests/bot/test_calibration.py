"""Threshold selection from held-out score curves, and the cross-validated calibration itself."""

from __future__ import annotations

import numpy as np
import pytest

from bot.calibration import Curve, calibrate


def curve(scores: list[float], correct: list[bool], weights: list[float] | None = None) -> Curve:
    w = np.ones(len(scores)) if weights is None else np.asarray(weights, dtype=float)
    return Curve(np.asarray(scores, dtype=float), np.asarray(correct), w)


def test_threshold_is_the_lowest_score_that_keeps_the_target_precision() -> None:
    c = curve([0.9, 0.8, 0.7, 0.6, 0.5], [True, True, True, False, False])
    assert c.threshold(1.0) == 0.7
    assert c.threshold(0.75) == 0.6  # 3 right of 4 accepted
    assert c.threshold(0.6) == 0.5  # 3 of 5


def test_unreachable_target_answers_nothing() -> None:
    c = curve([0.9, 0.8], [False, False])
    assert c.threshold(0.5) > 1.0
    assert c.rates(c.threshold(0.5)) == {"precision": 1.0, "accept_rate": 0.0}


def test_weights_make_out_of_scope_mistakes_count_more() -> None:
    c = curve([0.9, 0.8, 0.7], [True, False, True], weights=[1, 1, 1])
    assert c.threshold(0.66) == 0.7
    heavy = curve([0.9, 0.8, 0.7], [True, False, True], weights=[1, 3, 1])
    assert heavy.threshold(0.66) == 0.9
    assert heavy.rates(0.7)["precision"] == pytest.approx(2 / 5)


def test_calibration_learns_that_far_questions_are_out_of_scope() -> None:
    rng = np.random.default_rng(0)
    intents = {
        f"intent{i}": [f"topic{i} question {w}" for w in ("how", "what", "when", "where", "why", "who")]
        for i in range(8)
    }
    texts = [t for ts in intents.values() for t in ts]
    labels = [i for i, ts in intents.items() for _ in ts]
    centers = rng.normal(size=(8, 16))
    emb = np.vstack([centers[int(label[-1])] + 0.1 * rng.normal(size=16) for label in labels])
    emb /= np.linalg.norm(emb, axis=1, keepdims=True)
    cal = calibrate(texts, labels, emb, [], None, locale="en", folds=4, oos_prior=0.25, seed=1)
    assert cal.n_heldout > 0 and cal.n_out_of_scope > 0  # hidden intents stood in for out of scope
    assert 0.0 <= cal.weight <= 1.0 and cal.temperature > 0
    assert cal.curve.threshold(0.9) <= 1.0  # a usable threshold exists
