"""Reviewed turns move the answer threshold by what they say about precision above each score."""

from __future__ import annotations

import numpy as np
import pytest

from bot.calibration import FAR, IN, NEAR, Curve
from bot.reviewed import CURVE_WEIGHT, Reviewed, precision_at, threshold


@pytest.fixture
def curve() -> Curve:
    """Held-out rows whose top intent is right more often the higher they score; out-of-scope rows score low."""
    rng = np.random.default_rng(0)
    inside = rng.uniform(0, 1, 600)
    outside = rng.uniform(0, 0.6, 400)
    scores = np.concatenate([inside, outside])
    correct = np.concatenate([rng.uniform(0, 1, 600) < inside, np.zeros(400, bool)])
    kinds = np.concatenate([np.full(600, IN), np.full(300, NEAR), np.full(100, FAR)])
    return Curve(scores, correct, kinds)


def reviews(scores: np.ndarray, right: np.ndarray, weights: np.ndarray | None = None) -> Reviewed:
    return Reviewed(scores, right, np.ones(len(scores)) if weights is None else weights)


def test_without_reviews_the_curve_decides(curve: Curve) -> None:
    t, precision = threshold(curve, 0.9, 0.3, None)
    assert t == curve.threshold(0.9, 0.3)
    assert precision == pytest.approx(curve.rates(t, 0.3)["precision"])
    assert threshold(curve, 0.9, 0.3, reviews(np.zeros(0), np.zeros(0, bool))) == (t, precision)


def test_reviews_that_find_answers_right_lower_the_threshold_and_wrong_ones_raise_it(curve: Curve) -> None:
    before = threshold(curve, 0.9, 0.3, None)[0]
    scores = np.linspace(0.3, 1.0, 200)
    lower = threshold(curve, 0.9, 0.3, reviews(scores, np.ones(200, bool)))[0]
    higher = threshold(curve, 0.9, 0.3, reviews(scores, scores > 0.97))[0]
    assert lower < before < higher


def test_a_few_reviews_move_the_threshold_less_than_many(curve: Curve) -> None:
    before = threshold(curve, 0.9, 0.3, None)[0]
    rng = np.random.default_rng(1)
    many = np.sort(rng.uniform(0.3, 1.0, 400))
    few = many[::40]  # ten of them, spread the same way
    moved_few = before - threshold(curve, 0.9, 0.3, reviews(few, np.ones(len(few), bool)))[0]
    moved_many = before - threshold(curve, 0.9, 0.3, reviews(many, np.ones(len(many), bool)))[0]
    assert 0 <= moved_few < moved_many


def test_precision_pools_the_curve_with_the_reviews_above_each_score(curve: Curve) -> None:
    at = np.array([0.5])
    curve_alone = precision_at(curve, 0.3, None, at)[0]
    # Twenty reviewed answers above 0.5, half of them right; five below it, which must not count.
    scores = np.concatenate([np.full(20, 0.8), np.full(5, 0.2)])
    right = np.concatenate([np.arange(20) % 2 == 0, np.ones(5, bool)])
    pooled = precision_at(curve, 0.3, reviews(scores, right), at)[0]
    assert pooled == pytest.approx((CURVE_WEIGHT * curve_alone + 10) / (CURVE_WEIGHT + 20))


def test_weights_count_at_their_effective_size() -> None:
    assert reviews(np.zeros(4), np.zeros(4, bool)).n_eff == pytest.approx(4)
    # Horvitz-Thompson weights of a sample that over-sampled some turns are worth fewer plain turns.
    assert reviews(np.zeros(4), np.zeros(4, bool), np.array([1.0, 1.0, 5.0, 5.0])).n_eff == pytest.approx(144 / 52)
    assert Reviewed.of([]).n_eff == 0.0


def test_no_score_reaches_an_impossible_target(curve: Curve) -> None:
    wrong = reviews(np.linspace(0, 1, 500), np.zeros(500, bool))
    assert threshold(curve, 0.999, 0.9, wrong)[0] > 1.0
