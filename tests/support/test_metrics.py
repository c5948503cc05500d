"""Metrics on their own: empty bases, ranges, timezones, percentiles, masking, help-center visits."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import Session

from core.errors import ValidationError
from helpcenter.visits import record_helpcenter_session
from support import metrics
from support.metrics import mask_personal, percentile


def test_an_empty_range_has_no_rates_and_no_division_by_zero(session: Session) -> None:
    m = metrics.compute(session, start=date(2001, 1, 1), end=date(2001, 1, 3), locale=None, tz="Europe/Amsterdam")
    for figure in m.figures.values():
        assert figure.definition, figure.key
        if figure.unit in ("rate", "ratio", "minutes"):
            assert figure.value is None, figure.key
        else:
            assert figure.value == 0, figure.key
    assert [d.day for d in m.daily] == [date(2001, 1, 1), date(2001, 1, 2), date(2001, 1, 3)]
    assert all(d.automated_resolution_rate is None and d.csat is None for d in m.daily)
    assert all(t.rows == [] and t.definition for t in m.tables.values())


@pytest.mark.parametrize(
    ("start", "end", "tz", "message"),
    [
        (date(2026, 2, 1), date(2026, 1, 1), "UTC", "after the end date"),
        (date(2024, 1, 1), date(2026, 1, 1), "UTC", "at most 366 days"),
        (date(2026, 1, 1), date(2026, 1, 2), "Mars/Olympus", "unknown timezone"),
    ],
)
def test_bad_ranges_and_zones_are_refused_with_a_message(
    session: Session, start: date, end: date, tz: str, message: str
) -> None:
    with pytest.raises(ValidationError, match=message):
        metrics.compute(session, start=start, end=end, locale=None, tz=tz)


def test_local_days_become_utc_bounds_with_summer_time() -> None:
    zone = metrics.zone("Europe/Amsterdam")
    # 29 March 2026 has 23 hours in Amsterdam (clocks go forward).
    low, high = metrics.utc_bounds(date(2026, 3, 29), date(2026, 3, 29), zone)
    assert low == datetime(2026, 3, 28, 23, 0, tzinfo=UTC)
    assert high == datetime(2026, 3, 29, 22, 0, tzinfo=UTC)


def test_percentile_interpolates_between_closest_ranks() -> None:
    assert percentile([], 0.5) is None
    assert percentile([7.0], 0.9) == 7.0
    assert percentile([1, 2, 3, 4], 0.5) == 2.5
    assert percentile([10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110], 0.9) == 100


def test_personal_details_in_search_queries_are_masked() -> None:
    assert mask_personal("mail jan.de.vries@example.nl please") == "mail [email] please"
    assert mask_personal("call +31 (0)6 1234-5678") == "call [phone]"
    assert mask_personal("order 12345") == "order 12345"  # a short number is not a phone number


def test_help_center_sessions_count_per_locale(session: Session) -> None:
    day = datetime(2003, 6, 1, 10, tzinfo=UTC)
    for locale in ("en", "en", "de"):
        record_helpcenter_session(session, locale=locale, now=day)
    session.flush()
    both = metrics.compute(session, start=day.date(), end=day.date(), locale=None, tz="UTC")
    german = metrics.compute(session, start=day.date(), end=day.date(), locale="de", tz="UTC")
    assert (both.value("helpcenter_sessions"), german.value("helpcenter_sessions")) == (3, 1)


def test_top_intents_count_turns_and_the_conversations_the_drill_down_lists(session: Session) -> None:
    from support.models import Conversation, Message, Sender

    started = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
    twice = Conversation(id="c" * 32, locale="en", started_at=started, token_hash="a" * 64)
    once = Conversation(id="d" * 32, locale="en", started_at=started, token_hash="b" * 64)
    session.add_all([twice, once])
    session.flush()
    for conversation, turns in ((twice, 2), (once, 1)):
        for _ in range(turns):  # asked again in other words, answered again
            session.add(
                Message(
                    conversation_id=conversation.id,
                    sender=Sender.bot,
                    text="Here is how.",
                    created_at=started,
                    decision="answer",
                    intent="track_order",
                    counts_as_question=True,
                )
            )
    session.flush()
    m = metrics.compute(session, start=date(2026, 3, 2), end=date(2026, 3, 2), locale=None, tz="UTC")
    assert m.tables["top_intents"].rows == [("track_order", 3, 2)]
    assert m.tables["top_intents"].columns[-1] == "conversations"


def test_response_times_in_business_hours_stop_the_clock_outside_them(session: Session) -> None:
    from support.hours import parse
    from support.models import Conversation, Handoff

    ams = ZoneInfo("Europe/Amsterdam")
    friday_evening = datetime(2026, 3, 6, 18, 0, tzinfo=ams)  # a Friday
    tuesday = datetime(2026, 3, 10, 10, 0, tzinfo=ams)
    plans = [  # created, first reply, resolved
        (friday_evening, datetime(2026, 3, 9, 9, 5, tzinfo=ams), datetime(2026, 3, 9, 11, 0, tzinfo=ams)),
        (tuesday, datetime(2026, 3, 10, 10, 15, tzinfo=ams), None),
    ]
    for n, (created, replied, resolved) in enumerate(plans):
        conversation = Conversation(id=f"{n:032d}", locale="en", started_at=created, token_hash="e" * 64)
        session.add(conversation)
        session.flush()
        session.add(
            Handoff(
                conversation_id=conversation.id,
                email="v@example.com",
                locale="en",
                created_at=created,
                first_response_at=replied,
                resolved_at=resolved,
            )
        )
    session.flush()
    week = parse("mon-fri 09:00-17:00", "Europe/Amsterdam")
    days = {"start": date(2026, 3, 6), "end": date(2026, 3, 10), "locale": None, "tz": "Europe/Amsterdam"}
    m = metrics.compute(session, **days, hours=week)  # type: ignore[arg-type]
    assert m.value("first_response_business_median") == pytest.approx((5 + 15) / 2)
    assert m.value("first_response_median") == pytest.approx((2 * 24 * 60 + 15 * 60 + 5 + 15) / 2)  # calendar
    assert m.value("resolution_business_median") == pytest.approx(120)
    assert m.value("resolution_median") == pytest.approx(2 * 24 * 60 + 17 * 60)
    without = metrics.compute(session, **days, hours=parse("", "Europe/Amsterdam"))  # type: ignore[arg-type]
    assert without.value("first_response_business_median") is None
    assert without.value("first_response_median") == m.value("first_response_median")
