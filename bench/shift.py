"""Does the precision promise hold when a different share of traffic is out of scope?

For each share (10%, 30%, 60%) the test set is resampled into traffic with that share; the bot
estimates the share from the sample's confidence scores alone (``bot.traffic``, as the chat does
from its recent turns), sets its threshold for the target, and the precision it delivers is measured
on the whole test set weighted to that share (so a handful of answers cannot swing it). Beside it:
the answer rate, and the best answer rate any threshold on the same scores reaches at the delivered
precision (how much the threshold choice leaves on the table). Then the same once an editor has labelled
100 of the sample's turns in the review queue (drawn uniformly here; the queue over-samples uncertain turns
and weights them back): the share fit and labels give together (``bot.traffic.with_reviews``), and the
precision and answer rate it leads to, once those labels also say how precise answers above each score were
(``bot.reviewed``).

Scoring the rows needs the trained model (minutes); the rest needs only the scores and the calibrations.
``bench/nlu.py`` saves those (``Replay``) for every shift suite, and ``bench/replay.py`` reruns the rest
with the estimator as it is now, in seconds: a change to ``bot/traffic.py`` is seen on every suite at once.
"""

from __future__ import annotations

import pickle
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bot import evaluate as evaluation
from bot.calibration import Calibration
from bot.model import FaqModel
from bot.reviewed import Reviewed
from bot.reviewed import threshold as reviewed_threshold
from bot.traffic import estimate_oos_share, with_reviews

SHARES = (0.1, 0.3, 0.6)
SAMPLE = 1000  # messages of simulated traffic per locale and repetition
REPEATS = 5
REVIEWED = 100  # turns of the sample an editor labels in the review queue (drawn uniformly here)
REPLAYS = Path(__file__).resolve().parent / "out" / "shift"  # where bench/nlu.py saves each suite's Replay


@dataclass
class Scored:
    """The test rows of one locale as the model sees them."""

    confidence: np.ndarray
    correct: np.ndarray  # top intent right (in-scope rows only)
    oos: np.ndarray


@dataclass
class Replay:
    """What the share-by-share figures need besides the estimator: per locale the scored test rows and the
    calibration (score curves), the target and the prior share."""

    target_precision: float
    prior: float
    calibrations: dict[str, Calibration]
    scored: dict[str, Scored]

    @classmethod
    def of(cls, model: FaqModel, rows: list[dict[str, str]], *, prior: float) -> Replay:
        """Score ``rows`` with ``model`` (the slow part)."""
        scored = score(model, rows)
        calibrations = {loc: model.locales[loc].calibration for loc in scored}
        return cls(model.target_precision, prior, calibrations, scored)

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(pickle.dumps(self))

    @staticmethod
    def load(path: Path) -> Replay:
        """A saved replay (a file ``save`` wrote on this machine: pickle is for trusted files only)."""
        replay = pickle.loads(path.read_bytes())  # noqa: S301 - our own bench/out files
        if not isinstance(replay, Replay):
            raise TypeError(f"{path} holds no Replay")
        return replay


def score(model: FaqModel, rows: list[dict[str, str]]) -> dict[str, Scored]:
    """Confidence and correctness of every row, per locale."""
    out: dict[str, tuple[list[float], list[bool], list[bool]]] = {}
    for row in rows:
        p = model.predict(row["text"], locale=row.get("locale"))
        conf, correct, oos = out.setdefault(p.locale, ([], [], []))
        conf.append(p.confidence)
        correct.append(p.top is not None and p.top.intent == row["intent"])
        oos.append(row["intent"] == "oos")
    return {loc: Scored(np.array(c), np.array(k), np.array(o)) for loc, (c, k, o) in out.items()}


def best_rate(s: Scored, weights: np.ndarray, precision: float) -> float:
    """The highest in-scope answer rate of any threshold whose weighted precision reaches ``precision``."""
    return evaluation.best_rate(s.confidence, s.correct & ~s.oos, ~s.oos, precision, weights)


def at_share(replay: Replay, share: float, *, seed: int) -> dict[str, float]:
    """Estimated share, delivered precision, answer rate and best rate at that precision, and the share,
    precision and answer rate after ``REVIEWED`` labelled turns (means over repeats)."""
    rng = np.random.default_rng(seed)
    labelled = np.random.default_rng(seed + 1000)  # its own draws: the figures without reviews stay as they were
    rows: list[tuple[float, ...]] = []
    for loc, s in sorted(replay.scored.items()):
        if not s.oos.any() or s.oos.all():
            continue
        calibration = replay.calibrations[loc]
        inside, outside = np.flatnonzero(~s.oos), np.flatnonzero(s.oos)
        weights = share_weights(s, share)
        for _ in range(REPEATS):
            k = rng.binomial(SAMPLE, share)
            sample = np.concatenate([rng.choice(outside, k), rng.choice(inside, SAMPLE - k)])
            estimate = estimate_oos_share(s.confidence[sample], calibration, prior=replay.prior).share
            precision, rate = delivered(s, weights, calibration, replay.target_precision, estimate)
            # The same traffic once an editor has labelled REVIEWED of its turns: the share (bot.traffic.
            # with_reviews) and the precision above each score (bot.reviewed) move with the labels.
            picked = labelled.choice(sample, REVIEWED, replace=False)
            reviewed = with_reviews(estimate, float(s.oos[picked].mean()), REVIEWED)
            labels = Reviewed(s.confidence[picked], s.correct[picked] & ~s.oos[picked], np.ones(REVIEWED))
            threshold = reviewed_threshold(calibration.curve, replay.target_precision, reviewed, labels)[0]
            precision_r, rate_r = answered(s, weights, threshold)
            rows.append((estimate, precision, rate, best_rate(s, weights, precision), reviewed, precision_r, rate_r))
    table = np.array(rows)
    return {
        "estimated_share": float(table[:, 0].mean()),
        "delivered_precision": float(table[:, 1].mean()),
        "delivered_precision_min": float(table[:, 1].min()),
        "answer_rate": float(table[:, 2].mean()),
        "best_rate_at_that_precision": float(table[:, 3].mean()),
        "reviewed_share": float(table[:, 4].mean()),
        "reviewed_precision": float(table[:, 5].mean()),
        "reviewed_precision_min": float(table[:, 5].min()),
        "reviewed_answer_rate": float(table[:, 6].mean()),
    }


def share_weights(s: Scored, share: float) -> np.ndarray:
    """Row weights that make the test set's out-of-scope rows ``share`` of its traffic."""
    return np.where(s.oos, share / s.oos.sum(), (1 - share) / (~s.oos).sum())


def delivered(
    s: Scored, weights: np.ndarray, calibration: Calibration, target: float, share: float
) -> tuple[float, float]:
    """Precision on the weighted test rows and in-scope answer rate, at the threshold set for ``share``."""
    return answered(s, weights, calibration.curve.threshold(target, share))


def answered(s: Scored, weights: np.ndarray, threshold: float) -> tuple[float, float]:
    """Precision on the weighted test rows and in-scope answer rate, at ``threshold``."""
    accepted = s.confidence >= threshold
    answered = (weights * accepted).sum()
    precision = float((weights * accepted * s.correct).sum() / answered) if answered else 1.0
    return precision, float((accepted & s.correct & ~s.oos).sum() / (~s.oos).sum())


def report(replay: Replay) -> dict[str, dict[str, float]]:
    """``at_share`` for every share, keyed ``"10%"`` etc."""
    return {f"{round(share * 100)}%": at_share(replay, share, seed=i) for i, share in enumerate(SHARES)}
