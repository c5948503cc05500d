"""A scripted support day, written as a table: scenario kinds × counts, with known times.

Everything is inserted through the models with controlled timestamps, so the expected figures can be
worked out by hand from this table (tests/support/test_test_day.py does exactly that).

Local days are in Europe/Amsterdam, in March before summer time: local = UTC + 1 h. DAY0 and DAY1 are
the range under test; conversations on the evening before DAY0 and just after midnight after DAY1 are
outside it (the latter is still DAY1 in UTC: a trap for bucketing by UTC date).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session

from core.accounts import Role, User
from helpcenter.models import Article, ArticleStatus, ArticleVote, HelpcenterSession, SearchMiss
from support.models import (
    CloseReason,
    Conversation,
    Handoff,
    HandoffStatus,
    Message,
    Rating,
    Sender,
)

TZ = "Europe/Amsterdam"
ZONE = ZoneInfo(TZ)
DAY0 = date(2026, 3, 10)
DAY1 = date(2026, 3, 11)
WINDOW = timedelta(minutes=30)
# When the closing job runs: the next day at noon, long after everything but the "still open" chats.
NOW = datetime.combine(DAY1 + timedelta(days=1), time(12, 0), tzinfo=ZONE).astimezone(UTC)

# What each kind of conversation contains (bot answers: intent and the visitor's feedback).
INTENT = {"confirmed": "billing", "assumed": "shipping", "negative": "refund"}


@dataclass(frozen=True)
class Row:
    """``count`` conversations of one kind starting on day ``day`` (0 or 1) in ``locale``.

    ``ratings`` are the scores given by the first conversations of the row, in order.
    """

    kind: str
    day: int
    count: int
    locale: str = "en"
    ratings: tuple[int, ...] = ()


SCENARIOS: list[Row] = [
    Row("confirmed", 0, 30, ratings=(5,) * 12 + (4,) * 3 + (3,) * 5),
    Row("confirmed", 1, 20, ratings=(5,) * 5 + (2,) * 2),
    Row("assumed", 0, 25, ratings=(4,) * 6 + (2,) * 4),
    Row("assumed", 1, 10, ratings=(5,) * 3),
    Row("assumed", 1, 15, locale="de", ratings=(1,) * 2),
    Row("negative", 0, 8, ratings=(1,) * 3),
    Row("negative", 1, 7, locale="de"),
    Row("no_answer", 0, 6),
    Row("no_answer", 1, 4),
    Row("confirmed_then_negative", 0, 2),
    Row("confirmed_then_negative", 1, 1),
    Row("negative_then_answer", 0, 3),
    Row("negative_then_answer", 1, 2, locale="de"),
    Row("person_offered", 0, 1),
    Row("person_offered", 1, 1, locale="de"),
    Row("greeting", 0, 10),
    Row("greeting", 1, 10, locale="de"),
    Row("handoff", 0, 12, ratings=(5,) * 4 + (1,) * 2),
    Row("handoff", 1, 8, ratings=(4,) * 2 + (2,)),
    Row("ended", 0, 4),
    Row("ended", 1, 3),
    Row("still_open", 1, 5, ratings=(5,)),
    Row("empty", 0, 10),
]


@dataclass(frozen=True)
class HandoffPlan:
    """One handoff's life: minutes to the first agent reply and to resolution, replies, who resolved it."""

    first_response: int | None
    resolved: int | None
    replies: int
    agent: str | None


# In the order the handoff conversations are created (DAY0's 12, then DAY1's 8).
# First replies after 1..16 minutes; 12 resolved after 10, 20, ... 120 minutes; 4 never answered.
HANDOFFS: list[HandoffPlan] = [
    HandoffPlan(1, 10, 1, "ann"),
    HandoffPlan(2, 20, 1, "ann"),
    HandoffPlan(3, 30, 2, "ann"),
    HandoffPlan(4, 40, 3, "bob"),
    HandoffPlan(5, 50, 1, "bob"),
    HandoffPlan(6, 60, 2, "ann"),
    HandoffPlan(7, 70, 1, "bob"),
    HandoffPlan(8, 80, 2, "ann"),
    HandoffPlan(9, 90, 4, "bob"),
    HandoffPlan(10, 100, 1, "ann"),
    HandoffPlan(11, 110, 2, "bob"),
    HandoffPlan(12, 120, 2, "ann"),
    HandoffPlan(13, None, 1, None),  # answered, not resolved yet (assigned)
    HandoffPlan(14, None, 1, None),
    HandoffPlan(15, None, 2, None),
    HandoffPlan(16, None, 1, None),
    HandoffPlan(None, None, 0, None),  # waiting for a first reply (open)
    HandoffPlan(None, None, 0, None),
    HandoffPlan(None, None, 0, None),
    HandoffPlan(None, None, 0, None),
]

# Help-center visits per (day, locale), and searches without a result on DAY0 (query, times).
HC_SESSIONS = {(0, "en"): 300, (1, "en"): 150, (1, "de"): 50}
SEARCH_MISSES = [("Refund  policy", 2), ("refund policy", 1), ("call me on +31 6 1234 5678", 1), ("=cmd|calc", 1)]
# "Was this helpful?" votes on one English article on DAY0: yes, no.
ARTICLE_VOTES = (4, 1)


def local(day: date, hour: int, minute: int = 0) -> datetime:
    """A local wall-clock time as an aware UTC datetime."""
    return datetime.combine(day, time(hour, minute), tzinfo=ZONE).astimezone(UTC)


class Player:
    """Inserts conversations with their messages, handoffs and ratings."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.ids = itertools.count(1)
        self.agents: dict[str, int] = {}
        self.handoffs = iter(HANDOFFS)

    def agent(self, name: str) -> int:
        if name not in self.agents:
            user = User(email=f"{name}@example.com", name=name, role=Role.agent, password_hash="x")
            self.session.add(user)
            self.session.flush()
            assert user.id is not None
            self.agents[name] = user.id
        return self.agents[name]

    def conversation(self, kind: str, start: datetime, *, locale: str = "en", rating: int | None = None) -> str:
        """One conversation of a kind, its first visitor message at ``start``."""
        cid = f"c{next(self.ids):04d}"
        started = None if kind == "empty" else start
        conv = Conversation(
            id=cid,
            token_hash="0" * 64,
            locale=locale,
            created_at=start - timedelta(seconds=30),
            started_at=started,
            last_visitor_at=started,
            last_activity_at=start,
            has_question=kind not in ("greeting", "empty"),
        )
        self.session.add(conv)
        self.session.flush()
        at = start

        def say(sender: Sender, **fields: object) -> None:
            nonlocal at
            self.session.add(Message(conversation_id=cid, sender=sender, created_at=at, **fields))  # type: ignore[arg-type]
            self.session.flush()
            at += timedelta(seconds=20)

        def visitor(text: str = "a question") -> None:
            say(Sender.visitor, text=text)
            conv.last_visitor_at = at - timedelta(seconds=20)

        def answer(intent: str, helpful: bool | None = None, question: bool = True) -> None:
            visitor()
            say(Sender.bot, decision="answer", intent=intent, helpful=helpful, counts_as_question=question)

        if kind == "confirmed":
            answer(INTENT["confirmed"], True)
        elif kind in ("assumed", "ended", "still_open"):
            answer(INTENT["assumed"])
        elif kind == "negative":
            answer(INTENT["negative"], False)
        elif kind == "no_answer":
            visitor()
            say(Sender.bot, decision="suggest")
        elif kind == "confirmed_then_negative":
            answer(INTENT["confirmed"], True)
            answer(INTENT["negative"], False)
        elif kind == "negative_then_answer":
            answer(INTENT["negative"], False)
            answer(INTENT["assumed"])
        elif kind == "person_offered":  # answered, then "a person, please": the form left unsent, voted down
            answer(INTENT["assumed"])
            visitor("I want to talk to a person")
            say(Sender.bot, decision="handoff", intent="human", helpful=False)
        elif kind == "greeting":
            answer("greeting", question=False)
        elif kind == "handoff":
            visitor("I want to talk to a person")
            say(Sender.bot, decision="handoff", intent="human")
            self._handoff(conv, at, next(self.handoffs))
        if kind == "ended":  # the visitor closed the chat a minute after the answer
            conv.closed_at = at + timedelta(minutes=1)
            conv.close_reason = CloseReason.ended
        if kind == "still_open":  # the chat went on past midnight and is still going at NOW
            conv.last_visitor_at = NOW - timedelta(minutes=5)
        if rating is not None:
            self.session.add(Rating(conversation_id=cid, score=rating, created_at=at))
        self.session.add(conv)
        self.session.flush()
        return cid

    def _handoff(self, conv: Conversation, at: datetime, plan: HandoffPlan) -> None:
        status = HandoffStatus.open
        if plan.first_response is not None:
            status = HandoffStatus.assigned
        if plan.resolved is not None:
            status = HandoffStatus.resolved
        handoff = Handoff(
            conversation_id=conv.id,
            status=status,
            email="visitor@example.com",
            locale=conv.locale,
            created_at=at,
            first_response_at=at + timedelta(minutes=plan.first_response) if plan.first_response else None,
            resolved_at=at + timedelta(minutes=plan.resolved) if plan.resolved else None,
            resolved_by=self.agent(plan.agent) if plan.agent else None,
            agent_replies=plan.replies,
        )
        self.session.add(handoff)
        for i in range(plan.replies):
            assert plan.first_response is not None
            self.session.add(
                Message(
                    conversation_id=conv.id,
                    sender=Sender.agent,
                    text="an agent's reply",
                    created_at=at + timedelta(minutes=plan.first_response + i),
                )
            )
        conv.closed_at = at  # the handoff closes the conversation (the widget code does this)
        conv.close_reason = CloseReason.handoff


def play(session: Session) -> Player:
    """Insert the whole scripted day (and its surroundings) and commit."""
    player = Player(session)
    slot = {0: 0, 1: 0}
    for row in SCENARIOS:
        for i in range(row.count):
            # Conversations four minutes apart from 08:00, each row after the previous one on its day.
            start = local(DAY0 + timedelta(days=row.day), 8) + timedelta(minutes=4 * slot[row.day])
            if row.kind == "still_open":
                start = local(DAY1, 23, 0) + timedelta(minutes=i)
            slot[row.day] += 1
            rating = row.ratings[i] if i < len(row.ratings) else None
            player.conversation(row.kind, start, locale=row.locale, rating=rating)
    # Around midnight: what counts on which local day.
    player.conversation("assumed", local(DAY1, 0, 30))  # 23:30 UTC on DAY0: counts on DAY1
    player.conversation("assumed", local(DAY1, 23, 30))  # late on DAY1: counts on DAY1
    player.conversation("confirmed", local(DAY0 - timedelta(days=1), 23, 30))  # before the range
    player.conversation("confirmed", local(DAY1 + timedelta(days=1), 0, 30))  # after it (DAY1 in UTC)
    _outside_handoff(player)
    _helpcenter(session)
    session.commit()
    return player


def _outside_handoff(player: Player) -> None:
    """A handoff from before the range, still open: only the backlog counts it."""
    saved = player.handoffs
    player.handoffs = iter([HandoffPlan(None, None, 0, None)])
    player.conversation("handoff", local(DAY0 - timedelta(days=2), 10))
    player.handoffs = saved


def _helpcenter(session: Session) -> None:
    for (day, locale), count in HC_SESSIONS.items():
        first = local(DAY0 + timedelta(days=day), 7, 0)
        for i in range(count):
            session.add(HelpcenterSession(locale=locale, started_at=first + timedelta(seconds=i)))
    session.add(HelpcenterSession(locale="en", started_at=local(DAY1 + timedelta(days=1), 0, 10)))  # outside
    for query, times in SEARCH_MISSES:
        for _ in range(times):
            session.add(SearchMiss(locale="en", query=query, created_at=local(DAY0, 9)))
    session.add(SearchMiss(locale="en", query="refund policy", created_at=local(DAY0 - timedelta(days=1), 9)))
    article = Article(
        slug="test-day-article",
        locale="en",
        translation_group="test-day",
        title="Test day article",
        status=ArticleStatus.published,
    )
    session.add(article)
    session.flush()
    assert article.id is not None
    yes, no = ARTICLE_VOTES
    for helpful in [True] * yes + [False] * no:
        session.add(ArticleVote(article_id=article.id, helpful=helpful, created_at=local(DAY0, 10)))
