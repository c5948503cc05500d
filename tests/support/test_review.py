"""The answer-review sample: who gets sampled, labels and what they teach, the unbiased precision."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from sqlmodel import Session, col, select

from core.errors import ConflictError, NotFoundError
from support import intents, review
from support.models import Conversation, FaqIntent, JobStatus, Message, Sender, TrainingJob

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
LOCALES = ["en", "de", "nl"]


# --- sampling ------------------------------------------------------------------------------------


def p(decision: str = "answer", confidence: float | None = 0.9, *, question: bool = True) -> float:
    return review.sample_probability(
        decision=decision, confidence=confidence, threshold=0.8, counts_as_question=question, base_rate=0.1
    )


def test_turns_near_the_threshold_are_sampled_five_times_as_often() -> None:
    assert p(confidence=0.85) == pytest.approx(0.5)
    assert p("suggest", 0.7) == pytest.approx(0.5)
    assert p(confidence=0.99) == pytest.approx(0.1)
    assert p("suggest", 0.2) == pytest.approx(0.1)
    assert p("clarify", 0.4) == pytest.approx(0.1)


def test_small_talk_and_clicked_options_are_never_sampled() -> None:
    assert p(question=False) == 0.0
    assert p(confidence=None) == 0.0  # a clicked "did you mean" option has no confidence
    assert (
        review.sample_probability(
            decision="answer", confidence=0.9, threshold=0.8, counts_as_question=True, base_rate=0.0
        )
        == 0.0
    )


def test_draw_keeps_the_probability_and_a_random_key() -> None:
    rng = random.Random(1)
    drawn = [review.draw(0.3, rng) for _ in range(4000)]
    kept = [d for d in drawn if d[0] is not None]
    assert 0.27 < len(kept) / len(drawn) < 0.33
    assert all(sp == 0.3 and 0.0 <= key < 1.0 for sp, key in kept)  # type: ignore[operator]
    assert review.draw(0.0, rng) == (None, None)
    assert review.draw(1.0, rng)[0] == 1.0


def test_weighting_undoes_the_over_sampling() -> None:
    """Uncertain answers are wrong more often and sampled more often; the weighted estimate is unbiased."""
    rng = np.random.default_rng(7)
    confidence = rng.uniform(0.8, 1.0, 200_000)
    right = rng.random(confidence.size) < confidence  # answers near the threshold are right less often
    probability = np.where(confidence < 0.95, 0.5, 0.1)
    sampled = rng.random(confidence.size) < probability
    rows = list(zip(right[sampled].tolist(), probability[sampled].tolist(), strict=True))
    measured = review.estimate(rows)
    naive = right[sampled].mean()
    assert measured.precision == pytest.approx(right.mean(), abs=0.005)
    assert naive < right.mean() - 0.01  # without weights the uncertain turns drag the estimate down
    assert measured.low is not None and measured.high is not None
    assert measured.low < right.mean() < measured.high


def test_the_interval_narrows_with_more_reviews() -> None:
    few = review.estimate([(True, 0.1)] * 18 + [(False, 0.1)] * 2)
    many = review.estimate([(True, 0.1)] * 180 + [(False, 0.1)] * 20)
    assert few.precision == many.precision == pytest.approx(0.9)
    assert (many.high - many.low) < (few.high - few.low)  # type: ignore[operator]
    assert review.estimate([]) == review.Measured(0, None, None, None)


# --- the queue and its labels --------------------------------------------------------------------


def sampled_turn(
    session: Session,
    text: str,
    *,
    key: float,
    decision: str = "answer",
    intent: str | None = "change_address",
    locale: str = "en",
    sample_p: float = 0.1,
    at: datetime = T0,
) -> Message:
    conversation = Conversation(id=uuid.uuid4().hex, token_hash="0" * 64, locale=locale, created_at=at)
    session.add(conversation)
    session.flush()
    visitor = Message(conversation_id=conversation.id, sender=Sender.visitor, text=text, created_at=at)
    session.add(visitor)
    session.flush()
    bot = Message(
        conversation_id=conversation.id,
        sender=Sender.bot,
        text="…",
        created_at=at,
        reply_to=visitor.id,
        decision=decision,
        intent=intent,
        confidence=0.9,
        locale=locale,
        sample_p=sample_p,
        sample_key=key,
        candidates=[{"intent": "change_address", "probability": 0.8}, {"intent": "track_order", "probability": 0.1}],
    )
    session.add(bot)
    session.flush()
    return bot


@pytest.fixture()
def faq(session: Session) -> FaqIntent:
    for intent_id in ("change_address", "track_order"):
        intents.create_intent(
            session,
            intent_id=intent_id,
            examples={"en": [f"example of {intent_id}"]},
            answers={"en": "Answer."},
            article=None,
            user="setup@example.com",
            locales=LOCALES,
        )
    for job in session.exec(select(TrainingJob)).all():
        session.delete(job)
    session.flush()
    row = session.get(FaqIntent, "change_address")
    assert row is not None
    return row


def queued_jobs(session: Session) -> list[TrainingJob]:
    return list(session.exec(select(TrainingJob).where(col(TrainingJob.status) == JobStatus.queued)).all())


def test_the_queue_runs_in_key_order_and_can_skip_ahead(session: Session) -> None:
    late = sampled_turn(session, "b", key=0.7)
    early = sampled_turn(session, "a", key=0.2)
    sampled_turn(session, "c", key=0.5, locale="de")
    assert [i.turn.id for i in review.pending(session, limit=5)] == [early.id, sampled_turn_id(session, "c"), late.id]
    assert [i.turn.id for i in review.pending(session, after=0.5, limit=5)] == [late.id]
    assert [i.turn.id for i in review.pending(session, locale="en", limit=5)] == [early.id, late.id]
    assert review.remaining(session) == 3 and review.remaining(session, locale="de") == 1


def sampled_turn_id(session: Session, text: str) -> int | None:
    visitor = session.exec(select(Message).where(Message.text == text, Message.sender == Sender.visitor)).one()
    return session.exec(select(Message.id).where(Message.reply_to == visitor.id)).one()


def test_the_queue_shows_the_question_masked(session: Session) -> None:
    sampled_turn(session, "new address, call +31 6 12345678", key=0.1)
    (item,) = review.pending(session)
    assert item.question == "new address, call [phone]"
    assert item.candidates == ["change_address", "track_order"]


def test_right_makes_the_question_an_example_and_queues_a_retrain(session: Session, faq: FaqIntent) -> None:
    turn = sampled_turn(session, "I moved, mail me at a@b.nl", key=0.1)
    done = review.label_turn(session, turn_id=turn.id or 0, label="right", user="ed@x", locales=LOCALES)
    assert done.turn.label == "change_address" and done.learned == "example of change_address"
    assert done.turn.labelled_by == "ed@x" and done.turn.labelled_at is not None
    session.refresh(faq)
    assert faq.examples["en"][-1] == "I moved, mail me at [email]"
    assert len(queued_jobs(session)) == 1
    assert review.pending(session) == []


def test_picking_another_intent_teaches_that_intent(session: Session, faq: FaqIntent) -> None:
    turn = sampled_turn(session, "where's my stuff", key=0.1)
    review.label_turn(session, turn_id=turn.id or 0, label="track_order", user="ed@x", locales=LOCALES)
    tracked = session.get(FaqIntent, "track_order")
    assert tracked is not None and "where's my stuff" in tracked.examples["en"]
    assert "where's my stuff" not in faq.examples["en"]


def test_out_of_scope_feeds_calibration_and_wrong_teaches_nothing(session: Session, faq: FaqIntent) -> None:
    out = sampled_turn(session, "do you sell bicycles", key=0.1, locale="nl")
    unsure = sampled_turn(session, "hmm that thing", key=0.2)
    assert review.label_turn(session, turn_id=out.id or 0, label="oos", user="ed", locales=LOCALES).learned
    assert review.label_turn(session, turn_id=unsure.id or 0, label="wrong", user="ed", locales=LOCALES).learned is None
    assert review.out_of_scope_examples(session) == {"nl": ["do you sell bicycles"]}
    assert len(queued_jobs(session)) == 1  # out of scope retrains; "wrong" does not
    assert "hmm that thing" not in str(session.get(FaqIntent, "change_address").examples)  # type: ignore[union-attr]


def test_bad_labels_are_refused(session: Session, faq: FaqIntent) -> None:
    turn = sampled_turn(session, "x", key=0.1)
    with pytest.raises(NotFoundError):
        review.label_turn(session, turn_id=turn.id or 0, label="no_such_intent", user="ed", locales=LOCALES)
    with pytest.raises(NotFoundError):
        review.label_turn(session, turn_id=999_999, label="oos", user="ed", locales=LOCALES)
    review.label_turn(session, turn_id=turn.id or 0, label="oos", user="ed", locales=LOCALES)
    with pytest.raises(ConflictError, match="another editor"):  # a second editor on the same turn
        review.label_turn(session, turn_id=turn.id or 0, label="wrong", user="other", locales=LOCALES)
    # The same editor with another label (a second tab, the back button) is told it was them, not someone else.
    with pytest.raises(ConflictError, match="you labelled this turn already"):
        review.label_turn(session, turn_id=turn.id or 0, label="wrong", user="ed", locales=LOCALES)


def test_measured_precision_weights_labels_by_their_sampling(session: Session, faq: FaqIntent) -> None:
    # Three confident answers sampled at 10% (right), two uncertain ones at 50% (one wrong).
    for n in range(3):
        t = sampled_turn(session, f"sure {n}", key=0.1 + n / 100, sample_p=0.1)
        review.label_turn(session, turn_id=t.id or 0, label="right", user="ed", locales=LOCALES)
    good = sampled_turn(session, "unsure good", key=0.5, sample_p=0.5)
    bad = sampled_turn(session, "unsure bad", key=0.6, sample_p=0.5)
    review.label_turn(session, turn_id=good.id or 0, label="right", user="ed", locales=LOCALES)
    review.label_turn(session, turn_id=bad.id or 0, label="oos", user="ed", locales=LOCALES)
    unanswered = sampled_turn(session, "no answer", key=0.7, decision="suggest", intent=None)
    review.label_turn(session, turn_id=unanswered.id or 0, label="oos", user="ed", locales=LOCALES)
    measured = review.measured_precision(session)
    assert measured.reviewed == 5  # the suggestion is not an answer
    assert measured.precision == pytest.approx((30 + 2) / (30 + 4))
    assert review.measured_precision(session, locale="de").reviewed == 0
    assert review.measured_precision(session, since=T0 + timedelta(days=1)).precision is None
