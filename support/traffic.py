"""The bot's own view of its traffic: each locale's out-of-scope share, and the answer precision
the bot expects at the thresholds that follow from it.

The estimate (``bot.traffic``) reads the confidence of recent bot turns, never their text. Turns of
the model now serving are preferred; right after a retrain, when it has few, recent turns of any
version stand in (their scores come from a similar acceptor). Reviewed turns (``support.review``) say
outright which questions were out of scope; as they accumulate they outweigh the fitted estimate.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select as sa_select  # sqlmodel's select types up to four columns
from sqlmodel import Session, col, select

from bot.model import FaqModel
from bot.reviewed import Reviewed, effective_size
from bot.traffic import estimate_shares, with_reviews
from support.models import Message, Sender, utcnow
from support.review import OOS, WRONG

WINDOW = timedelta(days=14)
MAX_TURNS = 1000  # per locale: the most recent ones
MIN_SAME_VERSION = 100


@dataclass(frozen=True)
class LocaleTraffic:
    """One locale's estimate and the thresholds it leads to."""

    locale: str
    turns: int
    oos_share: float
    threshold: float
    expected_precision: float
    reviewed: float = 0.0  # reviewed turns' worth of labels behind the share (effective sample size)


def recent_scores(session: Session, *, model_version: str, now: datetime | None = None) -> dict[str, list[float]]:
    """Confidence of recent classified turns per locale, the serving model's own when it has enough."""
    since = (now or utcnow()) - WINDOW
    rows = session.exec(
        select(Message.locale, Message.confidence, Message.model_version)
        .where(
            Message.sender == Sender.bot,
            col(Message.confidence).is_not(None),
            col(Message.locale).is_not(None),
            Message.created_at >= since,
        )
        .order_by(col(Message.id).desc())
        .limit(MAX_TURNS * 8)
    ).all()
    same: dict[str, list[float]] = defaultdict(list)
    every: dict[str, list[float]] = defaultdict(list)
    for locale, confidence, version in rows:
        if locale is None or confidence is None:
            continue
        if len(every[locale]) < MAX_TURNS:
            every[locale].append(confidence)
        if version == model_version and len(same[locale]) < MAX_TURNS:
            same[locale].append(confidence)
    return {loc: same[loc] if len(same[loc]) >= MIN_SAME_VERSION else scores for loc, scores in every.items()}


@dataclass(frozen=True)
class _Review:
    """One reviewed sampled turn as the estimates read it."""

    locale: str
    label: str
    weight: float  # 1 / sample_p
    confidence: float | None
    top: str | None  # the bot's top intent, the one its confidence is about


def _reviews(session: Session, *, now: datetime | None = None) -> list[_Review]:
    """Recently reviewed sampled bot turns (one query for both the share and the threshold)."""
    since = (now or utcnow()) - WINDOW
    rows = session.execute(
        sa_select(
            col(Message.locale),
            col(Message.label),
            col(Message.sample_p),
            col(Message.confidence),
            col(Message.candidates),
            col(Message.intent),
        ).where(
            col(Message.sender) == Sender.bot,
            col(Message.label).is_not(None),
            col(Message.sample_p).is_not(None),
            col(Message.locale).is_not(None),
            col(Message.created_at) >= since,
        )
    ).all()
    return [
        _Review(locale, label, 1.0 / sample_p, confidence, candidates[0].get("intent") if candidates else intent)
        for locale, label, sample_p, confidence, candidates, intent in rows
        if locale and label and sample_p
    ]


def _shares(reviews: list[_Review]) -> dict[str, tuple[float, float]]:
    weights: dict[str, list[tuple[float, bool]]] = defaultdict(list)
    for r in reviews:
        if r.label != WRONG:  # the editor did not say what it was
            weights[r.locale].append((r.weight, r.label == OOS))
    out = {}
    for loc, pairs in weights.items():
        total = sum(w for w, _ in pairs)
        out[loc] = (sum(w for w, oos in pairs if oos) / total, effective_size([w for w, _ in pairs]))
    return out


def _turns(reviews: list[_Review]) -> dict[str, Reviewed]:
    found: dict[str, list[tuple[float, bool, float]]] = defaultdict(list)
    for r in reviews:
        if r.confidence is not None:
            right = r.label == r.top and r.label not in (OOS, WRONG)  # "wrong": the top intent was not it
            found[r.locale].append((r.confidence, right, r.weight))
    return {loc: Reviewed.of(rows) for loc, rows in found.items()}


def reviewed_shares(session: Session, *, now: datetime | None = None) -> dict[str, tuple[float, float]]:
    """Per locale: the out-of-scope share among recently reviewed sampled turns (weighted by the inverse
    of their sampling probability, so it stands for all question turns) and its effective sample size."""
    return _shares(_reviews(session, now=now))


def reviewed_turns(session: Session, *, now: datetime | None = None) -> dict[str, Reviewed]:
    """Per locale: recently reviewed sampled turns with their confidence, whether the bot's top intent was
    what the visitor asked, and their weight ``1 / sample_p``.

    The confidence is the one the turn had when it was made, whichever model made it: scoring the question
    again with a later model would flatter it, since a labelled question becomes one of its examples."""
    return _turns(_reviews(session, now=now))


def follow_traffic(session: Session, *, model: FaqModel, prior: float, now: datetime | None = None) -> FaqModel:
    """The model with each locale's thresholds at the out-of-scope share estimated from recent turns.

    Two estimates meet: the mixture fit on the turns' confidence (all turns, model-based) and the share
    reviewers labelled out of scope (few turns, but measured); the reviewed one counts as its effective
    number of turns against the fitted one's ``bot.traffic.REVIEW_PRIOR_WEIGHT``. The reviewed turns also say
    how precise answers above each score were, which moves the threshold too (``bot.reviewed``).
    """
    scores = recent_scores(session, model_version=model.version, now=now)
    reviews = _reviews(session, now=now)
    reviewed = _shares(reviews)
    shares = {}
    for loc, fitted in estimate_shares(model, scores, prior=prior).items():
        measured, n_eff = reviewed.get(loc, (fitted, 0.0))
        shares[loc] = with_reviews(fitted, measured, n_eff)
    turns = {loc: len(scores.get(loc, [])) for loc in model.locales}
    return model.with_traffic(shares, turns, _turns(reviews))


def describe(session: Session, model: FaqModel | None, *, now: datetime | None = None) -> list[LocaleTraffic]:
    """Per locale: turns and reviewed turns behind the estimate, the share, the threshold and the expected
    precision (none without a serving model)."""
    if model is None:
        return []
    reviewed = reviewed_shares(session, now=now)
    return [
        LocaleTraffic(
            loc,
            model.traffic_turns.get(loc, 0),
            lm.oos_share,
            lm.threshold,
            lm.expected_precision,
            round(reviewed.get(loc, (0.0, 0.0))[1], 1),
        )
        for loc, lm in sorted(model.locales.items())
    ]
