"""How much of a locale's traffic is out of scope, estimated from the bot's own confidence scores.

Calibration keeps the acceptor-score distributions of each kind of held-out row: in scope as written and
written the visitors' way, out of scope near the domain and far from it (``Curve.densities``). Recent
turns' scores are a mixture of them; the mix that makes them most likely (EM over binned scores, Saerens
et al. 2002) gives the out-of-scope share, its near and far parts together. The in-scope part is fitted
as a mix too: one bot's visitors write like its FAQ's examples, another's like the visitor-style copies,
and a fixed picture of them misreads the other kind as more or less out of scope. A prior share counts
as ``PRIOR_WEIGHT`` pseudo-turns, so a few turns barely move it and a quiet bot keeps the conservative
default. Traffic that looks even less like the FAQ's examples than the visitor-style copies still reads
as more out of scope, which errs on the side of answering less.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from bot.calibration import Calibration, score_bins
from bot.model import FaqModel

PRIOR_WEIGHT = 50
MIN_SHARE, MAX_SHARE = 0.02, 0.9
REVIEW_PRIOR_WEIGHT = 13.0  # the fitted share counts as this many reviewed turns (see with_reviews)


@dataclass(frozen=True)
class ShareEstimate:
    """The estimated out-of-scope share and how many turns it rests on."""

    share: float
    turns: int


def estimate_oos_share(scores: Sequence[float], calibration: Calibration, *, prior: float) -> ShareEstimate:
    """The out-of-scope share of traffic whose acceptor scores are ``scores``."""
    x = np.asarray([s for s in scores if s is not None and np.isfinite(s)], dtype=float)
    if not len(x) or not len(calibration.curve.scores):
        return ShareEstimate(prior, len(x))
    d = calibration.curve.densities()
    if not len(d.inside) or not len(d.outside):
        return ShareEstimate(prior, len(x))
    bins = score_bins(x)
    likelihood = np.vstack([d.inside[:, bins], d.outside[:, bins]])  # components x turns
    # The prior's mix, worth PRIOR_WEIGHT turns; each kind's part is fitted too, not only the share.
    expected = np.concatenate([(1.0 - prior) * d.in_split, prior * d.out_split])
    mix = expected
    for _ in range(500):
        responsibility = mix[:, None] * likelihood
        responsibility /= responsibility.sum(0)
        updated = (responsibility.sum(1) + PRIOR_WEIGHT * expected) / (len(x) + PRIOR_WEIGHT)
        converged = np.abs(updated - mix).max() < 1e-7
        mix = updated
        if converged:
            break
    share = float(mix[len(d.inside) :].sum())
    return ShareEstimate(float(np.clip(share, MIN_SHARE, MAX_SHARE)), len(x))


def with_reviews(fitted: float, measured: float, n_eff: float) -> float:
    """The share from the fitted estimate and the share reviewers labelled out of scope on ``n_eff`` turns'
    worth of labels, each weighted by how much it can be trusted.

    The fit errs whichever way traffic differs from the calibration: over the six shift suites of
    ``bench/nlu.py`` at 10/30/60% out of scope its error was 11.8 points of share (root mean square; HWU64 at
    30% reads as 16%, the demo FAQ's visitor-style traffic at 10% as 16%; ``bench/replay.py``). A labelled
    turn's variance is s(1-s), about 0.18 over those shares, so the fit is worth 0.18 / 0.118² ≈ 13 labels
    (``REVIEW_PRIOR_WEIGHT``)."""
    weight = n_eff / (n_eff + REVIEW_PRIOR_WEIGHT) if n_eff > 0 else 0.0
    return weight * measured + (1.0 - weight) * fitted


def estimate_shares(
    model: FaqModel, scores: Mapping[str, Sequence[float]], *, prior: float | None = None
) -> dict[str, float]:
    """Every locale's share from its scores; ``prior`` defaults to the share each locale assumes now."""
    return {
        loc: estimate_oos_share(
            scores.get(loc, []), lm.calibration, prior=lm.oos_share if prior is None else prior
        ).share
        for loc, lm in model.locales.items()
    }
