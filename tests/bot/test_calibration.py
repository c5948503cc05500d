"""Threshold selection from held-out score curves, and the cross-validated calibration itself."""

from __future__ import annotations

import numpy as np
import pytest

from bot.calibration import FAR, IN, IN_VISITOR, NEAR, Curve, Variants, calibrate


def curve(scores: list[float], correct: list[bool], kinds: list[int] | None = None) -> Curve:
    k = np.full(len(scores), IN) if kinds is None else np.asarray(kinds)
    return Curve(np.asarray(scores, dtype=float), np.asarray(correct), k)


def test_threshold_is_the_lowest_score_that_keeps_the_target_precision() -> None:
    c = curve([0.9, 0.8, 0.7, 0.6, 0.5], [True, True, True, False, False])
    assert c.threshold(1.0, 0.3) == 0.7
    assert c.threshold(0.75, 0.3) == 0.6  # 3 right of 4 accepted
    assert c.threshold(0.6, 0.3) == 0.5  # 3 of 5


def test_unreachable_target_answers_nothing() -> None:
    c = curve([0.9, 0.8], [False, False])
    assert c.threshold(0.5, 0.3) > 1.0
    assert c.rates(c.threshold(0.5, 0.3), 0.3) == {"precision": 1.0, "accept_rate": 0.0}


def test_more_out_of_scope_traffic_raises_the_threshold() -> None:
    # Two in-scope rows answered right, one near-domain out-of-scope row scoring 0.8.
    c = curve([0.9, 0.8, 0.7], [True, False, True], kinds=[IN, NEAR, IN])
    assert c.threshold(0.66, 0.2) == 0.7  # 20% out of scope: the mistake weighs 0.2 against 0.8
    assert c.threshold(0.66, 0.5) == 0.9  # half out of scope: answering at 0.7 is right 50% of the time
    assert c.rates(0.7, 0.5)["precision"] == pytest.approx(0.5)
    assert c.rates(0.7, 0.2)["precision"] == pytest.approx(0.8)


def test_each_side_of_traffic_splits_between_its_kinds() -> None:
    c = curve([0.9, 0.8, 0.7, 0.6], [True, True, False, False], kinds=[IN, IN_VISITOR, NEAR, FAR])
    w = c.weights(0.4) / c.weights(0.4).sum()
    assert w[0] == pytest.approx(0.3) and w[1] == pytest.approx(0.3)  # in scope: as written, visitor-style
    assert w[2] == pytest.approx(0.4 * 0.75) and w[3] == pytest.approx(0.4 * 0.25)  # near weighs most


def test_densities_keep_each_kind_of_row_apart() -> None:
    c = curve(
        [0.95, 0.6, 0.9, 0.15, 0.85, 0.05],
        [True, True, True, False, False, False],
        kinds=[IN, IN_VISITOR, IN, NEAR, NEAR, FAR],
    )
    d = c.densities()
    assert d.inside.sum(1) == pytest.approx([1.0, 1.0]) and d.outside.sum(1) == pytest.approx([1.0, 1.0])
    written, visitors = d.inside
    near, far = d.outside
    assert written[-1] > near[-1] and written[-1] > far[-1]  # 0.95 is in-scope evidence
    assert visitors[12] > written[12] and written[-1] > visitors[-1]  # the visitor-style row at 0.6 is its own
    assert near[1] < near[3] and near[0] < near[3]  # the far row at 0.05 is not in the near density
    assert far[1] > near[1]  # ... but in its own
    assert d.in_split == pytest.approx([0.25, 0.75])  # in-scope traffic looks mostly visitor-style a priori
    assert d.out_split == pytest.approx([0.75, 0.25])  # out-of-scope traffic is mostly near the domain a priori


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
    cal = calibrate(texts, labels, emb, [], None, locale="en", folds=4, seed=1)
    assert cal.n_heldout > 0 and cal.n_out_of_scope > 0  # hidden intents stood in for out of scope
    assert 0.0 <= cal.weight <= 1.0 and cal.temperature > 0
    assert cal.curve.threshold(0.9, 0.3) <= 1.0  # a usable threshold exists
    assert set(cal.curve.kinds.tolist()) == {IN, NEAR}


def test_variants_and_far_questions_are_scored_as_traffic() -> None:
    rng = np.random.default_rng(0)
    texts = [f"topic{i} question {w}" for i in range(6) for w in ("how", "what", "when", "where")]
    labels = [f"intent{i}" for i in range(6) for _ in range(4)]
    emb = rng.normal(size=(len(texts), 8))
    far = ["what is the weather tomorrow", "tell me a joke"]
    variants = Variants(["topic0 question", "topic1 qeustion"], np.array([0, 4]), rng.normal(size=(2, 8)))
    far_emb = rng.normal(size=(2, 8))
    plain = calibrate(texts, labels, emb, far, far_emb, locale="en", folds=3, seed=1)
    cal = calibrate(texts, labels, emb, far, far_emb, locale="en", folds=3, seed=1, variants=variants)
    kinds, plain_kinds = cal.curve.kinds.tolist(), plain.curve.kinds.tolist()
    assert kinds.count(FAR) == 2  # every far question is scored once, in some fold
    # Each variant is scored where its source is: in scope in the fold that holds the source out,
    # near-domain out of scope in the fold that hides the source's intent (the same fold or another).
    assert kinds.count(IN) == plain_kinds.count(IN)
    extra_near = kinds.count(NEAR) - plain_kinds.count(NEAR)
    assert 2 <= kinds.count(IN_VISITOR) + extra_near <= 4 and kinds.count(IN_VISITOR) >= 1
