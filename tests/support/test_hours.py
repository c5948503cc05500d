"""Business hours: parsing, opening times in the configured zone, weekends and DST changes."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from core.settings import Settings
from support import hours
from support.hours import parse

AMS = ZoneInfo("Europe/Amsterdam")
WEEK = parse("mon-fri 09:00-17:00; sat 10:00-14:00", "Europe/Amsterdam")


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=AMS)  # type: ignore[misc]


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (local(2024, 6, 3, 9, 0), True),  # Monday opening, start included
        (local(2024, 6, 3, 8, 59, 59), False),
        (local(2024, 6, 3, 16, 59), True),
        (local(2024, 6, 3, 17, 0), False),  # end excluded
        (local(2024, 6, 7, 12, 0), True),  # Friday
        (local(2024, 6, 8, 10, 0), True),  # Saturday's short hours
        (local(2024, 6, 8, 14, 0), False),
        (local(2024, 6, 9, 12, 0), False),  # Sunday
        (utc(2024, 6, 3, 7, 0), True),  # 09:00 summer time (UTC+2)
        (utc(2024, 1, 8, 7, 30), False),  # 08:30 winter time (UTC+1)
        (utc(2024, 1, 8, 8, 0), True),  # 09:00 winter time
    ],
)
def test_is_open(moment: datetime, expected: bool) -> None:
    assert WEEK.is_open(moment) is expected


def test_next_opening_is_now_when_open() -> None:
    at = local(2024, 6, 4, 11, 0)
    assert WEEK.next_opening(at) == at


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (local(2024, 6, 3, 6, 0), local(2024, 6, 3, 9, 0)),  # early Monday: later today
        (local(2024, 6, 3, 17, 0), local(2024, 6, 4, 9, 0)),  # after closing: tomorrow
        (local(2024, 6, 7, 17, 30), local(2024, 6, 8, 10, 0)),  # Friday evening: Saturday
        (local(2024, 6, 8, 15, 0), local(2024, 6, 10, 9, 0)),  # Saturday afternoon: Monday
        (local(2024, 6, 9, 23, 59), local(2024, 6, 10, 9, 0)),  # Sunday night
    ],
)
def test_next_opening(moment: datetime, expected: datetime) -> None:
    opening = WEEK.next_opening(moment)
    assert opening is not None
    assert opening.astimezone(UTC) == expected.astimezone(UTC)


def test_weekend_over_spring_forward() -> None:
    # Clocks go forward on Sunday 31 March 2024: Friday evening is UTC+1, Monday morning UTC+2.
    opening = WEEK.next_opening(local(2024, 3, 29, 18, 0))
    assert opening is not None
    assert opening.astimezone(UTC) == utc(2024, 3, 30, 9, 0)  # Saturday 10:00 CET
    opening = WEEK.next_opening(local(2024, 3, 30, 15, 0))
    assert opening is not None
    assert opening.astimezone(UTC) == utc(2024, 4, 1, 7, 0)  # Monday 09:00 CEST


def test_weekend_over_fall_back() -> None:
    # Clocks go back on Sunday 27 October 2024: Monday 09:00 is UTC+1 again.
    opening = WEEK.next_opening(local(2024, 10, 26, 15, 0))
    assert opening is not None
    assert opening.astimezone(UTC) == utc(2024, 10, 28, 8, 0)
    assert WEEK.is_open(utc(2024, 10, 28, 7, 59)) is False
    assert WEEK.is_open(utc(2024, 10, 28, 8, 0)) is True


def test_opening_inside_the_skipped_hour_is_when_the_clocks_land() -> None:
    night = parse("sun 02:30-04:00", "Europe/Amsterdam")
    opening = night.next_opening(utc(2024, 3, 30, 12, 0))
    assert opening is not None
    # 02:00 CET jumps to 03:00 CEST (01:00 UTC); the wall clock passes 02:30 at that moment.
    assert opening.astimezone(UTC) == utc(2024, 3, 31, 1, 0)
    assert night.is_open(utc(2024, 3, 31, 1, 0)) is True
    assert night.is_open(utc(2024, 3, 31, 0, 59, 59)) is False


def test_opening_inside_the_repeated_hour_is_the_first_pass() -> None:
    night = parse("sun 02:30-04:00", "Europe/Amsterdam")
    opening = night.next_opening(utc(2024, 10, 26, 12, 0))
    assert opening is not None
    assert opening.astimezone(UTC) == utc(2024, 10, 27, 0, 30)  # 02:30 CEST, before the clocks go back


def test_day_lists_several_ranges_wrapping_days_and_midnight() -> None:
    spec = parse("MON,wed 08:00-12:00, 13:00-17:00; fri-sun 20:00-24:00", "UTC")
    assert spec.is_open(utc(2024, 6, 3, 11, 59))  # Monday
    assert not spec.is_open(utc(2024, 6, 3, 12, 30))  # lunch
    assert spec.is_open(utc(2024, 6, 5, 13, 0))  # Wednesday
    assert not spec.is_open(utc(2024, 6, 4, 9, 0))  # Tuesday
    assert spec.is_open(utc(2024, 6, 9, 23, 59, 59))  # Sunday until midnight
    assert not spec.is_open(utc(2024, 6, 10, 0, 0))
    wraps = parse("fri-mon 10:00-11:00", "UTC")
    assert [wraps.is_open(utc(2024, 6, d, 10, 30)) for d in range(3, 10)] == [
        True,
        False,
        False,
        False,
        True,
        True,
        True,
    ]


def test_overlapping_ranges_merge() -> None:
    spec = parse("mon 09:00-12:00; mon 11:00-14:00", "UTC")
    assert spec.week[0] == ((9 * 3600, 14 * 3600),)


def test_empty_spec_never_opens() -> None:
    spec = parse("", "Europe/Amsterdam")
    assert not spec.ever_open
    assert not spec.is_open(utc(2024, 6, 3, 10, 0))
    assert spec.next_opening(utc(2024, 6, 3, 10, 0)) is None


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("mon-fry 09:00-17:00", "unknown day 'fry'"),
        ("09:00-17:00", "write days then times"),
        ("mon-fri", "write days then times"),
        ("mon-fri 9-17", "is not a time like 09:00"),
        ("mon 25:00-26:00", "is not a time of day"),
        ("mon 17:00-09:00", "ends before it starts"),
        ("mon 09:00", "is not a range like 09:00-17:00"),
        ("mon,,tue 09:00-10:00", "an empty day"),
    ],
)
def test_bad_specs_say_what_is_wrong(spec: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse(spec, "Europe/Amsterdam")


def test_bad_timezone() -> None:
    with pytest.raises(ValueError, match="unknown timezone 'Mars/Olympus'"):
        parse("mon 09:00-17:00", "Mars/Olympus")


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        WEEK.is_open(datetime(2024, 6, 3, 10, 0))


def test_settings_functions() -> None:
    settings = Settings(business_hours="sat-sun 10:00-12:00", timezone="America/New_York", _env_file=None)  # type: ignore[call-arg]
    assert hours.is_open(settings=settings, at=utc(2024, 6, 8, 14, 30))  # 10:30 EDT on Saturday
    assert not hours.is_open(settings=settings, at=utc(2024, 6, 8, 13, 30))
    assert hours.next_opening(settings=settings, at=utc(2024, 6, 10, 12, 0)) == datetime(
        2024, 6, 15, 10, 0, tzinfo=ZoneInfo("America/New_York")
    )


@pytest.mark.parametrize(
    ("start", "end", "minutes"),
    [
        (local(2024, 6, 3, 10, 0), local(2024, 6, 3, 10, 30), 30),  # inside one opening
        (local(2024, 6, 7, 18, 0), local(2024, 6, 10, 9, 5), 5 + 4 * 60),  # Friday evening → Monday, Saturday's 4 h
        (local(2024, 6, 7, 16, 0), local(2024, 6, 7, 20, 0), 60),  # past closing: the clock stops at 17:00
        (local(2024, 6, 9, 8, 0), local(2024, 6, 9, 20, 0), 0),  # all Sunday
        (utc(2024, 6, 3, 6, 0), utc(2024, 6, 3, 8, 0), 60),  # UTC moments: 08:00-10:00 local
        (local(2024, 6, 3, 12, 0), local(2024, 6, 3, 11, 0), 0),  # reversed
    ],
)
def test_open_minutes_stop_the_clock_outside_business_hours(start: datetime, end: datetime, minutes: float) -> None:
    assert WEEK.open_minutes(start, end) == minutes


def test_open_minutes_over_a_daylight_saving_change_count_real_minutes() -> None:
    always = parse("mon-sun 00:00-24:00", "Europe/Amsterdam")
    # Saturday noon to Sunday noon over the spring-forward night: 23 hours passed.
    assert always.open_minutes(local(2024, 3, 30, 12, 0), local(2024, 3, 31, 12, 0)) == 23 * 60
    assert parse("", "Europe/Amsterdam").open_minutes(local(2024, 3, 30, 12, 0), local(2024, 3, 31, 12, 0)) == 0
