"""The bot follows its traffic: per-locale out-of-scope shares from recent turns move the thresholds."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from sqlmodel import Session

from bot.model import FaqModel
from bot.traffic import REVIEW_PRIOR_WEIGHT
from support import traffic
from support.models import Conversation, Message, Sender

NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


def turns(
    session: Session,
    scores: Sequence[float | None],
    *,
    locale: str,
    version: str | None = None,
    at: datetime = NOW,
    labels: Sequence[str] = (),
    decision: str = "suggest",
    top: str | None = None,
) -> None:
    """Bot turns with these confidences (and ``top`` as their top intent); with ``labels``, reviewed sampled
    turns (sampled at 10%)."""
    conversation = Conversation(id=uuid.uuid4().hex, token_hash="0" * 64, locale=locale, created_at=at)
    session.add(conversation)
    session.flush()
    for n, score in enumerate(scores):
        reviewed = {"sample_p": 0.1, "sample_key": n / len(scores), "label": labels[n]} if labels else {}
        session.add(
            Message(
                conversation_id=conversation.id,
                sender=Sender.bot,
                created_at=at,
                decision=decision,
                confidence=None if score is None else float(score),
                locale=locale,
                model_version=version,
                candidates=[{"intent": top, "probability": 0.5}] if top else [],
                options=[],
                articles=[],
                **reviewed,
            )
        )
    session.flush()


def test_out_of_scope_traffic_raises_that_locales_threshold_only(session: Session, demo_model: FaqModel) -> None:
    before = {loc: lm.threshold for loc, lm in demo_model.locales.items()}
    low = np.random.default_rng(0).uniform(0.0, 0.3, 400)  # confidence of questions the FAQ does not cover
    turns(session, low, locale="de", version=demo_model.version)
    following = traffic.follow_traffic(session, model=demo_model, prior=0.3, now=NOW)
    assert following is not demo_model and demo_model.locales["de"].threshold == before["de"]  # a copy
    assert following.locales["de"].oos_share > 0.6 and following.locales["de"].threshold > before["de"]
    assert following.locales["en"].oos_share == 0.3 and following.locales["en"].threshold == before["en"]
    described = {d.locale: d for d in traffic.describe(session, following, now=NOW)}
    assert described["de"].turns == 400 and described["en"].turns == 0
    assert described["de"].reviewed == 0
    assert 0.0 < described["de"].expected_precision <= 1.0


def test_in_scope_traffic_lowers_the_share_below_the_default(session: Session, demo_model: FaqModel) -> None:
    high = np.random.default_rng(1).uniform(0.9, 1.0, 400)
    turns(session, high, locale="nl", version=demo_model.version)
    following = traffic.follow_traffic(session, model=demo_model, prior=0.3, now=NOW)
    assert following.locales["nl"].oos_share < 0.1
    assert following.locales["nl"].threshold <= demo_model.locales["nl"].threshold


def test_old_turns_and_other_versions(session: Session, demo_model: FaqModel) -> None:
    turns(session, np.full(300, 0.05), locale="en", version=demo_model.version, at=NOW - timedelta(days=30))
    assert traffic.recent_scores(session, model_version=demo_model.version, now=NOW) == {}
    # Few turns of the serving version: recent turns of any version stand in.
    turns(session, np.full(20, 0.95), locale="en", version=demo_model.version)
    turns(session, np.full(200, 0.05), locale="en", version="older")
    assert len(traffic.recent_scores(session, model_version=demo_model.version, now=NOW)["en"]) == 220
    # Enough of its own: only those count.
    turns(session, np.full(traffic.MIN_SAME_VERSION, 0.95), locale="en", version=demo_model.version)
    own = traffic.recent_scores(session, model_version=demo_model.version, now=NOW)["en"]
    assert len(own) == traffic.MIN_SAME_VERSION + 20 and min(own) == 0.95


def test_reviewed_turns_pull_the_share_toward_what_reviewers_saw(session: Session, demo_model: FaqModel) -> None:
    # Confidence says "all in scope"; reviewers found half of a weighted sample out of scope.
    turns(session, np.full(300, 0.97), locale="en", version=demo_model.version)
    fitted_only = traffic.follow_traffic(session, model=demo_model, prior=0.3, now=NOW)
    labels = ["oos" if n % 2 else "track_order" for n in range(200)]
    # No confidence: these turns count only through their labels, not in the fitted estimate.
    turns(session, [None] * 200, locale="en", labels=labels, decision="answer")
    shares = traffic.reviewed_shares(session, now=NOW)
    assert shares["en"][0] == 0.5 and shares["en"][1] == 200
    following = traffic.follow_traffic(session, model=demo_model, prior=0.3, now=NOW)
    assert fitted_only.locales["en"].oos_share < 0.15  # confident turns alone: hardly anything out of scope
    expected = (200 * 0.5 + REVIEW_PRIOR_WEIGHT * fitted_only.locales["en"].oos_share) / (200 + REVIEW_PRIOR_WEIGHT)
    assert following.locales["en"].oos_share == pytest.approx(expected)  # 200 reviews outweigh the fit
    assert following.locales["en"].threshold >= fitted_only.locales["en"].threshold
    assert {d.locale: d.reviewed for d in traffic.describe(session, following, now=NOW)}["en"] == 200


def test_reviewers_who_find_the_uncertain_answers_right_lower_the_threshold(
    session: Session, demo_model: FaqModel
) -> None:
    before = demo_model.locales["en"].threshold
    # Turns just below the threshold whose top intent reviewers found right, every one of them.
    scores = np.random.default_rng(2).uniform(before - 0.3, before, 200)
    turns(session, scores, locale="en", version=demo_model.version, labels=["track_order"] * 200, top="track_order")
    reviewed = traffic.reviewed_turns(session, now=NOW)["en"]
    assert reviewed.right.all() and reviewed.n_eff == pytest.approx(200)
    following = traffic.follow_traffic(session, model=demo_model, prior=0.3, now=NOW)
    lowered = following.locales["en"]
    # Lower than the reviewed share alone puts it (the labels say nothing here was out of scope).
    share_alone = demo_model.with_traffic({"en": lowered.oos_share}).locales["en"].threshold
    assert lowered.threshold < share_alone <= before
    assert lowered.expected_precision >= demo_model.target_precision  # what the reviews and the curve expect there


def test_reviewers_who_find_confident_answers_wrong_raise_the_threshold(session: Session, demo_model: FaqModel) -> None:
    scores = np.random.default_rng(3).uniform(demo_model.locales["en"].threshold, 1.0, 200)
    labels = ["wrong" if n % 3 == 0 else "oos" if n % 3 == 1 else "track_order" for n in range(200)]
    turns(session, scores, locale="en", version=demo_model.version, labels=labels, top="track_order")
    reviewed = traffic.reviewed_turns(session, now=NOW)["en"]
    assert reviewed.right.sum() == sum(1 for label in labels if label == "track_order")
    raised = traffic.follow_traffic(session, model=demo_model, prior=0.3, now=NOW).locales["en"]
    share_alone = demo_model.with_traffic({"en": raised.oos_share}).locales["en"].threshold
    assert raised.threshold > share_alone  # beyond what the out-of-scope labels do to the share
