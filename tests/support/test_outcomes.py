"""The closing job: outcomes from the stored rows, idempotence, crash recovery, retention, deletion."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session, col, func, select

from core.errors import NotFoundError
from core.settings import Settings
from support import conversations, outcomes
from support.models import (
    CloseReason,
    Conversation,
    Handoff,
    HandoffStatus,
    Message,
    OutboxItem,
    Outcome,
    Rating,
    Sender,
)
from support.outcomes import close_due, decide_outcome, delete_conversation, purge_expired

T0 = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)
WINDOW = timedelta(minutes=30)


def conversation(
    session: Session,
    cid: str,
    *,
    at: datetime = T0,
    started: bool = True,
    question: bool = True,
    answers: tuple[bool | None, ...] = (None,),
    handoff: HandoffStatus | None = None,
    closed: CloseReason | None = None,
    rating: int | None = None,
) -> Conversation:
    conv = Conversation(
        id=cid,
        token_hash="0" * 64,
        locale="en",
        created_at=at,
        started_at=at if started else None,
        last_visitor_at=at if started else None,
        last_activity_at=at,
        has_question=question,
    )
    session.add(conv)
    session.flush()
    for i, helpful in enumerate(answers if started else ()):
        moment = at + timedelta(seconds=i)
        session.add(Message(conversation_id=cid, sender=Sender.visitor, text="q", created_at=moment))
        session.add(
            Message(
                conversation_id=cid,
                sender=Sender.bot,
                decision="answer",
                intent="billing",
                helpful=helpful,
                counts_as_question=question,
                created_at=moment,
            )
        )
    if handoff is not None:
        session.add(Handoff(conversation_id=cid, email="v@example.com", locale="en", status=handoff, created_at=at))
    if closed is not None:
        conv.closed_at = at + timedelta(minutes=2)
        conv.close_reason = closed
    if rating is not None:
        session.add(Rating(conversation_id=cid, score=rating))
    session.add(conv)
    session.flush()
    return conv


def outcome(session: Session, cid: str) -> Outcome | None:
    conv = session.get(Conversation, cid)
    assert conv is not None
    session.refresh(conv)
    return conv.outcome


A, S, C, H = "answer", "suggest", "clarify", "handoff"


@pytest.mark.parametrize(
    ("handed_off", "has_question", "turns", "expected"),
    [
        (True, True, [(A, True)], Outcome.handed_off),  # a handoff wins over everything
        (True, False, [], Outcome.handed_off),
        (False, False, [], Outcome.no_question),
        (False, True, [], Outcome.unresolved),  # a question the bot never answered
        (False, True, [(S, None)], Outcome.unresolved),
        (False, True, [(A, None)], Outcome.resolved_assumed),
        (False, True, [(A, True)], Outcome.resolved_confirmed),
        (False, True, [(A, False)], Outcome.unresolved),
        (False, True, [(A, True), (A, None)], Outcome.resolved_confirmed),  # confirmed earlier, no complaint since
        (False, True, [(A, True), (A, False)], Outcome.unresolved),  # the last answer failed
        (False, True, [(A, False), (A, None)], Outcome.unresolved),  # a complaint nothing later undid
        (False, True, [(A, False), (A, True)], Outcome.resolved_confirmed),  # rephrased, then helped
        (False, True, [(S, None), (A, None)], Outcome.resolved_assumed),  # a miss, then an answer
        # The bot's last turn offered a person (asked for, or after misses) or options nobody took:
        # whatever came before, the visitor was left with the question.
        (False, True, [(A, None), (H, False)], Outcome.unresolved),
        (False, True, [(A, True), (H, None)], Outcome.unresolved),
        (False, True, [(A, None), (S, None)], Outcome.unresolved),
        (False, True, [(A, None), (C, None)], Outcome.unresolved),
    ],
)
def test_outcome_rules(
    handed_off: bool, has_question: bool, turns: list[tuple[str, bool | None]], expected: Outcome
) -> None:
    result, reason = decide_outcome(handed_off=handed_off, has_question=has_question, turns=turns)
    assert result is expected
    assert reason and len(reason) <= 300


def test_outcomes_come_from_the_rows(session: Session) -> None:
    conversation(session, "confirmed", answers=(True,))
    conversation(session, "assumed", answers=(None,))
    conversation(session, "negative", answers=(True, False))
    conversation(session, "silent", answers=())
    conversation(session, "greeting", question=False, answers=(None,))  # the bot's small talk is no answer
    conversation(session, "handed", answers=(True,), handoff=HandoffStatus.open, closed=CloseReason.handoff)
    assert close_due(session, now=T0 + timedelta(hours=1), window=WINDOW) == 6
    assert outcome(session, "confirmed") is Outcome.resolved_confirmed
    assert outcome(session, "assumed") is Outcome.resolved_assumed
    assert outcome(session, "negative") is Outcome.unresolved
    assert outcome(session, "silent") is Outcome.unresolved
    assert outcome(session, "greeting") is Outcome.no_question
    assert outcome(session, "handed") is Outcome.handed_off
    handed = session.get(Conversation, "handed")
    assert handed is not None and handed.outcome_reason == "handed off to a person"


def test_a_person_offered_last_is_unresolved_and_small_talk_after_an_answer_is_not_a_turn(session: Session) -> None:
    def bot_turn(cid: str, seconds: int, decision: str, *, helpful: bool | None = None, question: bool = True) -> None:
        moment = T0 + timedelta(seconds=seconds)
        session.add(Message(conversation_id=cid, sender=Sender.visitor, text="q", created_at=moment))
        session.add(
            Message(
                conversation_id=cid,
                sender=Sender.bot,
                decision=decision,
                intent="talk_to_human" if decision == "handoff" else "billing",
                helpful=helpful,
                counts_as_question=question,
                created_at=moment,
            )
        )

    # The case: an answer, then the bot said "let me connect you with a person", voted down.
    conversation(session, "offered", answers=(None,))
    bot_turn("offered", 5, "handoff", helpful=False)
    conversation(session, "thanked", answers=(None,))
    bot_turn("thanked", 5, "answer", question=False)  # "thanks!" answered by small talk
    session.flush()
    assert close_due(session, now=T0 + timedelta(hours=1), window=WINDOW) == 2
    assert outcome(session, "offered") is Outcome.unresolved
    assert outcome(session, "thanked") is Outcome.resolved_assumed
    offered = session.get(Conversation, "offered")
    assert offered is not None and "last turn" in (offered.outcome_reason or "")


def test_inactive_conversations_close_at_their_own_time_not_the_jobs(session: Session) -> None:
    conversation(session, "quiet")
    conversation(session, "ended", closed=CloseReason.ended)
    conversation(session, "recent", at=T0 + timedelta(minutes=45))
    conversation(session, "never-started", started=False)
    assert close_due(session, now=T0 + timedelta(minutes=29), window=WINDOW) == 1  # only the ended one
    assert close_due(session, now=T0 + timedelta(days=3), window=WINDOW) == 2
    quiet = session.get(Conversation, "quiet")
    assert quiet is not None
    session.refresh(quiet)
    assert quiet.closed_at == T0 + WINDOW  # last visitor message + window, although the job ran days later
    assert quiet.close_reason is CloseReason.inactive
    ended = session.get(Conversation, "ended")
    assert ended is not None
    session.refresh(ended)
    assert (ended.closed_at, ended.close_reason) == (T0 + timedelta(minutes=2), CloseReason.ended)
    assert outcome(session, "never-started") is None  # no visitor message: never counted


def test_running_twice_counts_once(session: Session) -> None:
    for i in range(7):
        conversation(session, f"c{i}", answers=(i % 2 == 0,))
    later = T0 + timedelta(hours=2)
    assert close_due(session, now=later, window=WINDOW, batch_size=3) == 7
    assert close_due(session, now=later, window=WINDOW, batch_size=3) == 0
    assert close_due(session, now=later + timedelta(days=1), window=WINDOW) == 0


def test_a_crash_midway_loses_nothing_and_counts_nothing_twice(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    for i in range(25):
        conversation(session, f"c{i:02d}", answers=(True,) if i % 5 else (False,))
    session.commit()
    real_close = outcomes._close
    calls = 0

    def crashing(*args: object, **kwargs: object) -> int:
        nonlocal calls
        calls += 1
        if calls == 14:  # inside the second batch of ten
            raise RuntimeError("worker killed")
        return real_close(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(outcomes, "_close", crashing)
    later = T0 + timedelta(hours=1)
    with pytest.raises(RuntimeError):
        close_due(session, now=later, window=WINDOW, batch_size=10)
    session.rollback()  # what the worker's transaction does on the way out
    done = session.exec(select(func.count()).where(col(Conversation.outcome).is_not(None))).one()
    assert done == 10  # the first batch was committed; the one in flight was not

    monkeypatch.setattr(outcomes, "_close", real_close)
    assert close_due(session, now=later, window=WINDOW, batch_size=10) == 15
    assert close_due(session, now=later, window=WINDOW, batch_size=10) == 0
    counts = dict(session.exec(select(Conversation.outcome, func.count()).group_by(col(Conversation.outcome))).all())
    assert counts == {Outcome.resolved_confirmed: 20, Outcome.unresolved: 5}


def test_a_conversation_closed_by_another_worker_is_not_counted_again(session: Session) -> None:
    conv = conversation(session, "raced")
    # Another worker closed it between our read and our write.
    session.execute(
        Conversation.__table__.update()  # type: ignore[attr-defined]
        .where(Conversation.__table__.c.id == "raced")  # type: ignore[attr-defined]
        .values(outcome=Outcome.unresolved, outcome_reason="theirs")
    )
    assert outcomes._close(session, conv, now=T0 + timedelta(hours=1), window=WINDOW) == 0
    assert outcome(session, "raced") is Outcome.unresolved


def test_purge_expired_keeps_recent_and_open_tickets(session: Session) -> None:
    now = T0 + timedelta(days=100)
    conversation(session, "old", rating=4)
    conversation(session, "old-ticket", handoff=HandoffStatus.assigned)
    conversation(session, "old-resolved", handoff=HandoffStatus.resolved)
    conversation(session, "recent", at=now - timedelta(days=10))
    conversation(session, "empty-old", started=False, at=now - timedelta(days=8))
    conversation(session, "empty-new", started=False, at=now - timedelta(days=1))
    # A ticket opened before any message (stored unstarted by older versions) is not "empty".
    conversation(session, "ticket-only", started=False, at=now - timedelta(days=8), handoff=HandoffStatus.resolved)
    assert purge_expired(session, now=now, retention_days=0) == 1  # retention off: only the old empty one
    assert session.get(Conversation, "ticket-only") is not None
    session.delete(session.exec(select(Handoff).where(Handoff.conversation_id == "ticket-only")).one())
    session.delete(session.get(Conversation, "ticket-only"))
    session.flush()
    assert purge_expired(session, now=now, retention_days=90) == 2
    left = set(session.exec(select(Conversation.id)).all())
    assert left == {"old-ticket", "recent", "empty-new"}
    for table in (Message, Handoff, Rating):
        orphans = session.exec(
            select(func.count()).select_from(table).where(col(table.conversation_id).not_in(left))
        ).one()
        assert orphans == 0


def test_delete_conversation_on_request(session: Session) -> None:
    conversation(session, "mine", handoff=HandoffStatus.open, rating=2)
    conversation(session, "theirs")
    delete_conversation(session, conversation_id="mine")
    session.flush()
    assert session.get(Conversation, "mine") is None
    for table in (Message, Handoff, Rating):
        left = session.exec(select(func.count()).select_from(table).where(table.conversation_id == "mine")).one()
        assert left == 0
    assert session.get(Conversation, "theirs") is not None
    with pytest.raises(NotFoundError):
        delete_conversation(session, conversation_id="mine")


def test_closing_announces_conversation_closed_once(session: Session) -> None:
    settings = Settings(_env_file=None, webhook_urls=["https://a.example/hook", "https://b.example/hook"])  # type: ignore[call-arg]
    conversation(session, "announced", answers=(None,))
    assert close_due(session, now=T0 + timedelta(hours=1), window=WINDOW, settings=settings) == 1
    assert close_due(session, now=T0 + timedelta(hours=2), window=WINDOW, settings=settings) == 0
    items = session.exec(select(OutboxItem).where(OutboxItem.event == "conversation.closed")).all()
    assert sorted(i.target for i in items) == ["https://a.example/hook", "https://b.example/hook"]
    assert {i.payload["outcome"] for i in items} == {"resolved_assumed"}


@pytest.mark.parametrize(("vote", "after"), [(False, Outcome.unresolved), (True, Outcome.resolved_confirmed)])
def test_a_vote_after_the_conversation_closed_changes_its_outcome(session: Session, vote: bool, after: Outcome) -> None:
    conv = conversation(session, "late-vote")
    assert close_due(session, now=T0 + 2 * WINDOW, window=WINDOW) == 1
    assert outcome(session, "late-vote") is Outcome.resolved_assumed
    answer = session.exec(
        select(Message).where(Message.conversation_id == "late-vote", Message.sender == Sender.bot)
    ).one()
    conversations.give_feedback(session, conversation=conv, message_id=answer.id or 0, helpful=vote)
    assert outcome(session, "late-vote") is after  # the dashboard no longer counts the old outcome
