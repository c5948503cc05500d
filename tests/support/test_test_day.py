"""The quality bar: a scripted test day yields exactly the expected figure for every metric.

The expected figures are worked out from the scenario table (tests/support/scenario.py) by hand, in
the terms of DESIGN.md section 3, not by running the metrics code a second time.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlmodel import Session

from support import metrics
from support.outcomes import close_due
from tests.support import scenario as sc
from tests.support.scenario import ARTICLE_VOTES, DAY0, DAY1, HANDOFFS, HC_SESSIONS, SCENARIOS, TZ

# Conversations around midnight (scenario.play): two count on DAY1, two are outside the range.
BOUNDARY_ASSUMED_DAY1 = 2


def n(*kinds: str, day: int | None = None, locale: str | None = None) -> int:
    """How many conversations of these kinds the table plays (in range, before the boundary cases)."""
    return sum(
        r.count
        for r in SCENARIOS
        if r.kind in kinds and (day is None or r.day == day) and (locale is None or r.locale == locale)
    )


def ratings(*kinds: str, day: int | None = None) -> list[int]:
    return [s for r in SCENARIOS if r.kind in kinds and (day is None or r.day == day) for s in r.ratings]


def satisfied(scores: list[int]) -> float:
    return sum(1 for s in scores if s >= 4) / len(scores)


@pytest.fixture()
def day(session: Session) -> Iterator[Session]:
    sc.play(session)
    closed = close_due(session, now=sc.NOW, window=sc.WINDOW)
    # Every started conversation but the still-open ones closes (boundary and outside ones included).
    played = sum(r.count for r in SCENARIOS if r.kind not in ("empty", "still_open"))
    assert closed == played + 4 + 1
    yield session


def test_every_figure_of_the_test_day(day: Session) -> None:
    m = metrics.compute(day, start=DAY0, end=DAY1, locale=None, tz=TZ)

    confirmed = n("confirmed")
    # Not resolved, whatever came before: a complaint no later answer undid, a person offered last.
    assumed = n("assumed", "ended") + BOUNDARY_ASSUMED_DAY1
    unresolved = n("negative", "no_answer", "confirmed_then_negative", "negative_then_answer", "person_offered")
    handed_off = n("handoff")
    no_question = n("greeting")
    still_open = n("still_open")
    with_question = confirmed + assumed + unresolved + handed_off
    assert (confirmed, assumed, unresolved, handed_off, no_question) == (50, 59, 35, 20, 20)  # the table, read by eye

    expected_counts = {
        "conversations": with_question + no_question + still_open,
        "open_conversations": still_open,
        "with_question": with_question,
        "no_question": no_question,
        "resolved_confirmed": confirmed,
        "resolved_assumed": assumed,
        "handed_off": handed_off,
        "unresolved": unresolved,
        "handoffs": len(HANDOFFS),
        "helpcenter_sessions": sum(HC_SESSIONS.values()),
        "handoffs_resolved": sum(1 for h in HANDOFFS if h.resolved is not None),
        "one_touch_resolutions": sum(1 for h in HANDOFFS if h.resolved is not None and h.replies == 1),
        # Open or assigned now, whatever the date: 4 waiting, 4 answered, 1 from before the range.
        "backlog": 4 + 4 + 1,
        "ratings_bot": len(ratings("confirmed", "assumed", "ended", "negative_then_answer")),
        "ratings_agent": len(ratings("handoff")),
        "search_misses": 5,
    }
    for key, value in expected_counts.items():
        assert m.value(key) == value, key
    assert m.value("conversations") == 189

    assert m.value("automated_resolution_rate") == (confirmed + assumed) / with_question == 109 / 164
    assert m.value("confirmed_share") == confirmed / (confirmed + assumed)
    assert m.value("handoff_rate") == handed_off / with_question
    assert m.value("unresolved_rate") == unresolved / with_question
    assert m.value("self_service_score") == 500 / 20
    assert m.value("one_touch_rate") == 5 / 12

    # First replies after 1..16 minutes: median (8 + 9) / 2; p90 at rank 0.9 * 15 = 13.5 -> 14.5.
    assert m.value("first_response_median") == pytest.approx(8.5)
    assert m.value("first_response_p90") == pytest.approx(14.5)
    # Resolved after 10..120 minutes: median (60 + 70) / 2; p90 at rank 0.9 * 11 = 9.9 -> 100 + 0.9 * 10.
    assert m.value("resolution_median") == pytest.approx(65)
    assert m.value("resolution_p90") == pytest.approx(109)

    # CSAT: bot-resolved 12+3 (5s, 4s) + 5 (DAY1 5s) + 6 (4s) + 3 (5s) of 20+7+10+3+2 ratings.
    bot_scores = ratings("confirmed", "assumed")
    assert m.value("csat_bot") == satisfied(bot_scores) == 29 / 42
    assert m.value("csat_agent") == satisfied(ratings("handoff")) == 6 / 9
    all_scores = bot_scores + ratings("handoff") + ratings("negative") + ratings("still_open")
    assert m.value("csat_all") == satisfied(all_scores) == 36 / 55

    tables = {key: t.rows for key, t in m.tables.items()}
    assert tables["resolved_per_agent"] == [("ann@example.com", 7), ("bob@example.com", 5)]
    shipping = n("assumed", "negative_then_answer", "ended", "still_open", "person_offered") + BOUNDARY_ASSUMED_DAY1
    billing = n("confirmed", "confirmed_then_negative")
    refund = n("negative", "confirmed_then_negative", "negative_then_answer")
    human = n("handoff", "person_offered")
    # Bot turns, then conversations: one turn per intent and conversation in this day's scenarios.
    assert tables["top_intents"] == [
        ("shipping", shipping, shipping),
        ("billing", billing, billing),
        ("refund", refund, refund),
        ("human", human, human),
    ]
    assert tables["unhelpful_answers"] == [("refund", n("negative", "confirmed_then_negative", "negative_then_answer"))]
    assert tables["search_misses"] == [("refund policy", 3), ("=cmd|calc", 1), ("call me on [phone]", 1)]
    yes, no = ARTICLE_VOTES
    assert tables["article_votes"] == [("Test day article", "en", "test-day-article", yes, no, yes / (yes + no))]


def test_daily_series_of_the_test_day(day: Session) -> None:
    m = metrics.compute(day, start=DAY0, end=DAY1, locale=None, tz=TZ)
    assert [d.day for d in m.daily] == [DAY0, DAY1]
    for index, d in enumerate(m.daily):
        resolved = n("confirmed", "assumed", "ended", day=index)
        resolved += BOUNDARY_ASSUMED_DAY1 if index == 1 else 0
        handed = n("handoff", day=index)
        unresolved = ("negative", "no_answer", "confirmed_then_negative", "negative_then_answer", "person_offered")
        question = resolved + handed + n(*unresolved, day=index)
        total = question + n("greeting", "still_open", day=index)
        assert (d.conversations, d.with_question, d.resolved, d.handed_off) == (total, question, resolved, handed)
        assert d.automated_resolution_rate == resolved / question
        assert d.handoff_rate == handed / question
        scores = [s for r in SCENARIOS if r.day == index and r.kind != "empty" for s in r.ratings]
        assert d.ratings == len(scores)
        assert d.csat == satisfied(scores)
    assert [d.conversations for d in m.daily] == [101, 88]
    assert sum(d.conversations for d in m.daily) == m.value("conversations")


def test_locale_filter_of_the_test_day(day: Session) -> None:
    m = metrics.compute(day, start=DAY1, end=DAY1, locale="de", tz=TZ)
    assumed = n("assumed", locale="de")
    unresolved = n("negative", "negative_then_answer", "person_offered", locale="de")
    assert m.value("conversations") == assumed + unresolved + n("greeting", locale="de")
    assert m.value("with_question") == assumed + unresolved
    assert m.value("automated_resolution_rate") == assumed / (assumed + unresolved)
    assert m.value("handoff_rate") == 0
    assert m.value("handoffs") == 0
    assert m.value("self_service_score") is None  # no handoff: no ratio, not a division by zero
    assert m.value("helpcenter_sessions") == HC_SESSIONS[(1, "de")]
    assert m.value("backlog") == 0  # every open handoff is English
    assert m.value("csat_bot") == 0.0  # two ratings of 1


def test_one_local_day_and_its_midnights(day: Session) -> None:
    """DAY1 alone: 00:30 and 23:30 local count on it; 00:30 the next day (still DAY1 in UTC) does not."""
    m = metrics.compute(day, start=DAY1, end=DAY1, locale=None, tz=TZ)
    in_day1 = sum(r.count for r in SCENARIOS if r.day == 1 and r.kind != "empty") + BOUNDARY_ASSUMED_DAY1
    assert m.value("conversations") == in_day1
    utc = metrics.compute(day, start=DAY1, end=DAY1, locale=None, tz="UTC")
    # In UTC, 00:30 local on DAY1 is DAY0 and 00:30 local on the day after is DAY1.
    assert utc.value("conversations") == in_day1 - 1 + 1
    assert metrics.compute(day, start=DAY0, end=DAY0, locale=None, tz=TZ).value("conversations") == 101
    assert metrics.compute(day, start=DAY0, end=DAY0, locale=None, tz="UTC").value("conversations") == 102


def test_running_the_closing_job_again_changes_nothing(day: Session) -> None:
    before = metrics.compute(day, start=DAY0, end=DAY1, locale=None, tz=TZ)
    assert close_due(day, now=sc.NOW, window=sc.WINDOW) == 0
    after = metrics.compute(day, start=DAY0, end=DAY1, locale=None, tz=TZ)
    assert {k: f.value for k, f in before.figures.items()} == {k: f.value for k, f in after.figures.items()}
