"""Reviewed turns as calibration data: the answer threshold from held-out predictions and real traffic.

The calibration curve (``bot.calibration.Curve``) says how precise answers are above each score on the
FAQ's own held-out rows, weighted to the estimated out-of-scope share. Real traffic can differ: on
near-domain out-of-scope questions the curve promised more than it delivered (BANKING77-OOS at 60% out
of scope: 88% at a 95% target, with the share known), on visitor-style messages less (the demo FAQ: 97%).
Reviewed turns (``support.review``) say how precise answers above a score really were, so the precision
at a score is the curve's, counted as ``CURVE_WEIGHT`` answers, pooled with the reviewed turns above that
score (a beta-binomial shrinkage): a few labels barely move the threshold, a few hundred decide it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from bot.calibration import Curve

# How many reviewed answers the curve's precision at a score is worth. Over the shift suites of
# bench/nlu.py the curve's precision at its own threshold missed the delivered one by 3.9 points (root mean
# square, the share known: bench/replay.py --curve-error); a precision near 0.955 measured on n answers has
# that error at n = 0.955 * 0.045 / 0.039**2, about 30.
CURVE_WEIGHT = 30.0


@dataclass(frozen=True)
class Reviewed:
    """A locale's reviewed turns: the confidence each had, whether the bot's top intent was what the visitor
    asked, and its weight (1 / the probability it was sampled with)."""

    scores: np.ndarray
    right: np.ndarray
    weights: np.ndarray

    @classmethod
    def of(cls, rows: list[tuple[float, bool, float]]) -> Reviewed:
        """From ``(confidence, right, weight)`` rows."""
        scores, right, weights = zip(*rows, strict=True) if rows else ((), (), ())
        return cls(np.asarray(scores, float), np.asarray(right, bool), np.asarray(weights, float))

    @property
    def n_eff(self) -> float:
        """What the weighted turns are worth as plain ones (``effective_size``)."""
        return effective_size(self.weights)


def effective_size(weights: Sequence[float] | np.ndarray) -> float:
    """Kish's effective sample size of weighted observations: (sum w)^2 / sum w^2."""
    w = np.asarray(weights, float)
    total = float(w.sum())
    return total**2 / float((w**2).sum()) if total > 0 else 0.0


def precision_at(curve: Curve, share: float, reviewed: Reviewed | None, thresholds: np.ndarray) -> np.ndarray:
    """The answer precision expected above each of ``thresholds``: the curve's, pooled with the reviewed turns'."""
    thresholds = np.asarray(thresholds, float)
    curve_precision = _above(curve.scores, curve.weights(share), curve.correct.astype(float), thresholds)[0]
    if reviewed is None or not len(reviewed.scores) or reviewed.n_eff <= 0:
        return curve_precision
    # The reviewed turns scaled to their effective size: weighted shares, counted as n_eff turns.
    scale = reviewed.n_eff / float(reviewed.weights.sum())
    right, answered = _above(reviewed.scores, reviewed.weights * scale, reviewed.right.astype(float), thresholds)[1:]
    return (CURVE_WEIGHT * curve_precision + right) / (CURVE_WEIGHT + answered)


def threshold(curve: Curve, target: float, share: float, reviewed: Reviewed | None) -> tuple[float, float]:
    """The lowest score whose answers reach ``target`` precision, and the precision expected there.

    Without reviews this is ``Curve.threshold``. Candidates are every score the curve or the reviews hold;
    when none reaches the target the threshold is above 1 (the bot never answers outright)."""
    if reviewed is None or not len(reviewed.scores):
        t = curve.threshold(target, share)
        return t, curve.rates(t, share)["precision"]
    candidates = np.unique(np.concatenate([curve.scores, reviewed.scores]))
    precision = precision_at(curve, share, reviewed, candidates)
    ok = np.flatnonzero(precision >= target)
    if not len(ok):
        return 1.01, 1.0
    return float(candidates[ok[0]]), float(precision[ok[0]])


def _above(
    scores: np.ndarray, weights: np.ndarray, hits: np.ndarray, thresholds: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For each threshold, over the rows scoring at least it: the weighted hit rate (1 where none), the
    weighted hits, and the total weight."""
    order = np.argsort(scores, kind="stable")
    s, w, h = scores[order], weights[order], hits[order]
    # Suffix sums: everything from position i to the end scores at least s[i].
    total = np.concatenate([np.cumsum(w[::-1])[::-1], [0.0]])
    good = np.concatenate([np.cumsum((w * h)[::-1])[::-1], [0.0]])
    at = np.searchsorted(s, thresholds, side="left")
    answered, right = total[at], good[at]
    rate = np.where(answered > 0, right / np.maximum(answered, 1e-12), 1.0)
    return rate, right, answered
