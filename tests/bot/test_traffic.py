"""Estimating the out-of-scope share of traffic from confidence scores, and from reviewed turns."""

from __future__ import annotations

import numpy as np
import pytest

from bot.calibration import FAR, IN, IN_VISITOR, NEAR, Calibration, Curve
from bot.traffic import MAX_SHARE, PRIOR_WEIGHT, REVIEW_PRIOR_WEIGHT, estimate_oos_share, with_reviews


@pytest.fixture(scope="module")
def calibration() -> Calibration:
    """In-scope rows score high, near-domain out-of-scope rows low, with some overlap."""
    rng = np.random.default_rng(0)
    scores = np.concatenate([rng.beta(6, 2, 2000), rng.beta(2, 6, 2000)])
    kinds = np.array([IN] * 2000 + [NEAR] * 2000)
    curve = Curve(scores, kinds == IN, kinds)
    return Calibration(1.0, 1.0, None, None, curve, curve, 2000, 2000)


def traffic(share: float, n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    k = int(round(share * n))
    return np.concatenate([rng.beta(2, 6, k), rng.beta(6, 2, n - k)])


@pytest.mark.parametrize("share", [0.1, 0.3, 0.6])
def test_the_share_of_plenty_of_traffic_is_recovered(calibration: Calibration, share: float) -> None:
    estimate = estimate_oos_share(traffic(share, 3000, seed=1), calibration, prior=0.3)
    assert estimate.turns == 3000
    assert estimate.share == pytest.approx(share, abs=0.04)


def test_without_traffic_the_prior_holds(calibration: Calibration) -> None:
    assert estimate_oos_share([], calibration, prior=0.3).share == 0.3


def test_a_few_turns_barely_move_the_prior(calibration: Calibration) -> None:
    few = estimate_oos_share(traffic(0.0, 10, seed=2), calibration, prior=0.3).share
    many = estimate_oos_share(traffic(0.0, 2000, seed=2), calibration, prior=0.3).share
    assert many < few < 0.3
    assert few > 0.3 * PRIOR_WEIGHT / (PRIOR_WEIGHT + 10) - 0.01  # the prior counts as PRIOR_WEIGHT turns


def test_the_share_stays_in_bounds(calibration: Calibration) -> None:
    assert estimate_oos_share(traffic(1.0, 3000, seed=3), calibration, prior=0.3).share <= MAX_SHARE
    assert estimate_oos_share([float("nan"), 0.9], calibration, prior=0.3).turns == 1


def test_in_scope_traffic_is_read_whether_tidy_or_written_the_visitors_way() -> None:
    """Tidy held-out examples score higher than visitor-style copies. One bot's visitors write like the copies,
    another's (HWU64's validation set) like its examples: the estimate fits which, so neither kind of traffic
    with 10% out of scope is misread. An even fixed mix of the two read visitor-style traffic as ~0.22; a fixed
    lean on the copies read tidy traffic as in scope almost entirely (~0.04)."""
    rng = np.random.default_rng(4)
    scores = np.concatenate([rng.beta(8, 2, 2000), rng.beta(4, 3, 2000), rng.beta(2, 6, 2000)])
    kinds = np.array([IN] * 2000 + [IN_VISITOR] * 2000 + [NEAR] * 2000)
    curve = Curve(scores, kinds != NEAR, kinds)
    calibration = Calibration(1.0, 1.0, None, None, curve, curve, 4000, 2000)
    visitors = np.concatenate([rng.beta(2, 6, 300), rng.beta(4, 3, 2700)])
    assert estimate_oos_share(visitors, calibration, prior=0.3).share == pytest.approx(0.1, abs=0.04)
    tidy = np.concatenate([rng.beta(2, 6, 300), rng.beta(8, 2, 2700)])
    assert estimate_oos_share(tidy, calibration, prior=0.3).share == pytest.approx(0.1, abs=0.03)


def test_far_out_of_scope_traffic_is_not_read_as_near_plus_unsure_in_scope() -> None:
    """Far questions (weather, jokes) score lowest of all; near-domain ones in between. Traffic whose
    out-of-scope part is far is estimated as such, not as a larger near-domain share that takes in the
    in-scope messages the bot is unsure of (what a near-only density made of it)."""
    rng = np.random.default_rng(5)
    inside, near, far = rng.beta(5, 2, 3000), rng.beta(2, 3, 3000), rng.beta(1, 12, 3000)
    scores = np.concatenate([inside, near, far])
    kinds = np.array([IN_VISITOR] * 3000 + [NEAR] * 3000 + [FAR] * 3000)
    curve = Curve(scores, kinds == IN_VISITOR, kinds)
    calibration = Calibration(1.0, 1.0, None, None, curve, curve, 3000, 6000)
    for share in (0.1, 0.3, 0.6):
        k = int(share * 3000)
        traffic = np.concatenate([rng.beta(1, 12, k), rng.beta(5, 2, 3000 - k)])
        assert estimate_oos_share(traffic, calibration, prior=0.3).share == pytest.approx(share, abs=0.04)
        near_only = np.concatenate([rng.beta(2, 3, k), rng.beta(5, 2, 3000 - k)])
        assert estimate_oos_share(near_only, calibration, prior=0.3).share == pytest.approx(share, abs=0.05)


def test_reviewed_turns_outweigh_the_fit_as_they_accumulate() -> None:
    fitted, measured = 0.1, 0.4  # the fit reads confident out-of-scope traffic as in scope
    assert with_reviews(fitted, measured, 0) == fitted
    assert with_reviews(fitted, measured, REVIEW_PRIOR_WEIGHT) == pytest.approx(0.25)  # the fit is worth this many
    shares = [with_reviews(fitted, measured, n) for n in (5, 20, 100, 1000)]
    assert shares == sorted(shares) and shares[-1] == pytest.approx(measured, abs=0.005)
