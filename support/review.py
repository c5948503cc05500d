"""The answer-review queue: a random sample of bot turns that editors label, and what it measures.

Sampling: when the bot makes a turn it draws, independently, whether the turn joins the sample, with
probability ``sample_p`` (stored on the turn): a base rate, five times higher for turns whose confidence
is close to the answer threshold, where the bot is least sure and a label teaches the most. Each
sampled turn also gets a random ``sample_key``; the queue is reviewed in key order, so any reviewed
part of it is itself a random part of the sample.

Measuring: a turn's label says what the visitor asked (an intent id, ``oos``, or ``wrong`` when the
editor only knows the bot's reading was wrong). Answer precision is the share of reviewed answers whose
label is the answered intent, each weighted by ``1 / sample_p`` (Horvitz-Thompson), so over-sampling
the uncertain turns does not bias it; the interval is Wilson's at the weights' effective sample size.

Learning: a label that names an intent adds the visitor's words (masked) as an example of it; ``oos``
adds them to the locale's out-of-scope examples, which calibration scores as out-of-scope traffic.
Either queues a retrain.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select, update

from core.errors import ConflictError, NotFoundError, ValidationError
from core.i18n import N_
from support import intents, training
from support.models import Message, Sender, utcnow
from support.privacy import mask_personal

OOS = "oos"
WRONG = "wrong"
UNCERTAIN_BAND = 0.15  # |confidence - threshold| within this counts as uncertain
UNCERTAIN_FACTOR = 5.0
SAMPLED_DECISIONS = ("answer", "clarify", "suggest", "handoff")
Z_95 = 1.959964


def sample_probability(
    *, decision: str, confidence: float | None, threshold: float, counts_as_question: bool, base_rate: float
) -> float:
    """How likely a bot turn is to join the review sample (0 for small talk and clicked options)."""
    if confidence is None or not counts_as_question or decision not in SAMPLED_DECISIONS or base_rate <= 0:
        return 0.0
    if abs(confidence - threshold) <= UNCERTAIN_BAND:
        return min(1.0, base_rate * UNCERTAIN_FACTOR)
    return min(1.0, base_rate)


def draw(probability: float, rng: random.Random | None = None) -> tuple[float | None, float | None]:
    """``(sample_p, sample_key)`` for a sampled turn, ``(None, None)`` for one left out."""
    rng = rng or random.Random()
    if probability <= 0 or rng.random() >= probability:
        return None, None
    return probability, rng.random()


@dataclass(frozen=True)
class ReviewItem:
    """A sampled bot turn with the visitor's question (masked)."""

    turn: Message
    question: str
    candidates: list[str]  # the bot's top intents, best first


def pending(
    session: Session, *, locale: str | None = None, after: float | None = None, limit: int = 1
) -> list[ReviewItem]:
    """Unlabelled sampled turns in review order (those after ``after`` when skipping ahead)."""
    visitor = aliased(Message)
    query = (
        select(Message, visitor.text)
        .join(visitor, col(visitor.id) == col(Message.reply_to))
        .where(
            col(Message.sender) == Sender.bot,
            col(Message.sample_key).is_not(None),
            col(Message.label).is_(None),
        )
        .order_by(col(Message.sample_key), col(Message.id))
        .limit(limit)
    )
    if locale:
        query = query.where(col(Message.locale) == locale)
    if after is not None:
        query = query.where(col(Message.sample_key) > after)
    return [
        ReviewItem(turn, mask_personal(text), [str(c["intent"]) for c in turn.candidates if c.get("intent")])
        for turn, text in session.exec(query).all()
    ]


def remaining(session: Session, *, locale: str | None = None) -> int:
    """How many sampled turns wait for a label."""
    query = (
        select(func.count())
        .select_from(Message)
        .where(col(Message.sample_key).is_not(None), col(Message.label).is_(None))
    )
    if locale:
        query = query.where(col(Message.locale) == locale)
    return int(session.exec(query).one())


@dataclass(frozen=True)
class Labelled:
    """What a label did: the turn, and whether the question became an example (and of what)."""

    turn: Message
    learned: str | None  # "example of <intent>", "out of scope", or None
    note: str = ""


def label_turn(
    session: Session, *, turn_id: int, label: str, user: str, locales: list[str], now: datetime | None = None
) -> Labelled:
    """Record what the visitor asked for a sampled turn, and learn from it."""
    turn = session.get(Message, turn_id)
    if turn is None or turn.sender is not Sender.bot or turn.sample_key is None:
        raise NotFoundError(f"no sampled bot turn {turn_id}")
    label = label.strip()
    if label == "right":  # the bot's reading was right: its top intent
        label = turn.intent or (turn.candidates[0]["intent"] if turn.candidates else "")
        if not label:
            raise ValidationError(N_("this turn has no intent to confirm; pick the right one or 'out of scope'"))
    if label not in (OOS, WRONG):
        intents.get_intent(session, intent_id=label)  # NotFoundError for an unknown intent
    done = session.exec(
        update(Message)
        .where(col(Message.id) == turn_id, col(Message.label).is_(None))
        .values(label=label, labelled_at=now or utcnow(), labelled_by=user[:254])
        .execution_options(synchronize_session="fetch")
    )
    if done.rowcount != 1:
        session.refresh(turn)
        if turn.label == label and turn.labelled_by == user[:254]:
            return Labelled(turn, None)  # the same label again (a double key press): done, nothing learnt twice
        if turn.labelled_by == user[:254]:  # this editor's own earlier label, from another tab or a back button
            raise ConflictError(N_("you labelled this turn already, with another label; it keeps the first"))
        raise ConflictError(N_("another editor labelled this turn just now"))
    session.refresh(turn)
    return _learn(session, turn=turn, label=label, user=user, locales=locales)


def _learn(session: Session, *, turn: Message, label: str, user: str, locales: list[str]) -> Labelled:
    visitor = session.get(Message, turn.reply_to) if turn.reply_to else None
    text = " ".join(mask_personal(visitor.text).split()) if visitor else ""
    locale = turn.locale or ""
    if not text or locale not in locales or label == WRONG:
        return Labelled(turn, None)
    if label == OOS:
        training.queue_training(session, requested_by=user, reason="a reviewed question marked out of scope")
        return Labelled(turn, "out of scope")
    try:
        intents.add_example(session, intent_id=label, locale=locale, text=text, user=user, locales=locales)
    except intents.IntentDataError as exc:  # e.g. already an example of another intent: the label stands
        return Labelled(turn, None, note=str(exc))
    return Labelled(turn, f"example of {label}")


def out_of_scope_examples(session: Session) -> dict[str, list[str]]:
    """Questions reviewers marked out of scope, masked, per locale (calibration's own traffic)."""
    visitor = aliased(Message)
    rows = session.exec(
        select(Message.locale, visitor.text)
        .join(visitor, col(visitor.id) == col(Message.reply_to))
        .where(col(Message.label) == OOS, col(Message.locale).is_not(None))
        .order_by(col(Message.id))
    ).all()
    out: dict[str, list[str]] = {}
    for locale, text in rows:
        masked = " ".join(mask_personal(text).split())
        if locale and masked and masked not in out.get(locale, []):
            out.setdefault(locale, []).append(masked)
    return out


@dataclass(frozen=True)
class Measured:
    """Answer precision measured on reviewed answers, with its 95% interval."""

    reviewed: int
    precision: float | None
    low: float | None
    high: float | None


def measured_precision(
    session: Session, *, since: datetime | None = None, until: datetime | None = None, locale: str | None = None
) -> Measured:
    """Weighted share of reviewed answers that answered what the visitor asked."""
    query = select(Message.intent, Message.label, Message.sample_p).where(
        col(Message.sender) == Sender.bot,
        col(Message.decision) == "answer",
        col(Message.label).is_not(None),
        col(Message.sample_p).is_not(None),
    )
    if since is not None:
        query = query.where(col(Message.created_at) >= since)
    if until is not None:
        query = query.where(col(Message.created_at) < until)
    if locale:
        query = query.where(col(Message.locale) == locale)
    rows = session.exec(query).all()
    return estimate([(intent == label, p) for intent, label, p in rows if p])


def estimate(rows: list[tuple[bool, float]]) -> Measured:
    """Horvitz-Thompson precision of (right, sample probability) pairs, with a Wilson interval."""
    if not rows:
        return Measured(0, None, None, None)
    weights = [1.0 / p for _, p in rows]
    total = sum(weights)
    precision = sum(w for (right, _), w in zip(rows, weights, strict=True) if right) / total
    n_eff = total**2 / sum(w * w for w in weights)
    low, high = wilson(precision, n_eff)
    return Measured(len(rows), precision, low, high)


def wilson(p: float, n: float, z: float = Z_95) -> tuple[float, float]:
    """Wilson score interval of a proportion ``p`` observed on ``n`` (possibly fractional) trials."""
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)
