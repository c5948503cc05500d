"""Business hours: when people answer handoffs live, read from ``FAQDESK_BUSINESS_HOURS`` in ``FAQDESK_TIMEZONE``.

The spec is a list of segments separated by ``;``, each a set of days and a set of time ranges::

    mon-fri 09:00-17:00; sat 10:00-14:00
    mon,wed,fri 08:30-12:00,13:00-17:30; sun 00:00-24:00

Days are ``mon`` .. ``sun``, single or as ranges (``fri-mon`` wraps over the weekend); times are
``HH:MM`` wall-clock times in the configured zone, a range includes its start and excludes its end,
``24:00`` ends a range at midnight. An empty spec means nobody answers live: it is never open.
Ranges are wall-clock times, so a DST change shifts them with the clocks, as people expect.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel.dates import format_time, get_day_names, get_timezone_name

from core.i18n import gettext_for
from core.settings import Settings

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_TIME = re.compile(r"^(\d{1,2}):(\d{2})$")
_DAY_SECONDS = 24 * 3600


@dataclass(frozen=True)
class BusinessHours:
    """Opening ranges per weekday (0 = Monday), in seconds after local midnight, merged and sorted."""

    zone: ZoneInfo
    week: tuple[tuple[tuple[int, int], ...], ...]  # 7 entries of (start, end) seconds

    @property
    def ever_open(self) -> bool:
        """Whether the spec opens at all."""
        return any(self.week)

    def is_open(self, at: datetime) -> bool:
        """Whether ``at`` (timezone-aware) falls inside business hours."""
        local = _aware(at).astimezone(self.zone)
        second = local.hour * 3600 + local.minute * 60 + local.second
        return any(start <= second < end for start, end in self.week[local.weekday()])

    def next_opening(self, at: datetime) -> datetime | None:
        """The first moment at or after ``at`` when business hours are open (``at`` itself when open; None: never)."""
        at = _aware(at)
        if self.is_open(at):
            return at
        first_day = at.astimezone(self.zone).date()
        # Eight days: today's later ranges, then a full week (today's earlier ones included).
        for offset in range(8):
            day = first_day + timedelta(days=offset)
            for start, _end in self.week[day.weekday()]:
                opening = _local_moment(day, start, self.zone)
                # Compare in UTC: aware datetimes sharing a tzinfo compare by wall clock, ignoring DST.
                if opening.astimezone(UTC) > at.astimezone(UTC):
                    return opening
        return None

    def open_minutes(self, start: datetime, end: datetime) -> float:
        """Minutes of business hours between two moments: the clock of a business-hours response time,
        stopped outside them (a handoff at Friday 18:00 answered Monday 9:05 took 5 minutes)."""
        start, end = _aware(start).astimezone(UTC), _aware(end).astimezone(UTC)
        seconds = 0.0
        day, last = start.astimezone(self.zone).date(), end.astimezone(self.zone).date()
        while day <= last:
            for opens, closes in self.week[day.weekday()]:
                low = max(_local_moment(day, opens, self.zone).astimezone(UTC), start)
                high = min(_local_moment(day, closes, self.zone).astimezone(UTC), end)
                seconds += max((high - low).total_seconds(), 0.0)
            day += timedelta(days=1)
        return seconds / 60


def _aware(at: datetime) -> datetime:
    if at.tzinfo is None:
        raise ValueError("business hours need a timezone-aware datetime")
    return at


def _local_moment(day: date, second: int, zone: ZoneInfo) -> datetime:
    """The instant a wall clock in ``zone`` first shows ``day`` plus ``second`` (or passes it, over a DST gap)."""
    naive = datetime.combine(day, dtime()) + timedelta(seconds=second)
    early = naive.replace(tzinfo=zone)  # fold=0: the first of two instants in a fall-back hour
    if early.astimezone(UTC).astimezone(zone).replace(tzinfo=None) == naive:
        return early
    # Spring forward skips this wall time; business opens when the clocks land, at the transition
    # itself (is_open agrees: the wall time just after the jump is inside the range).
    late = naive.replace(tzinfo=zone, fold=1)
    before, after = int(late.timestamp()), int(early.timestamp())  # fold=1 maps before the jump here
    offset_after = late.utcoffset()
    while after - before > 1:  # transitions fall on whole seconds
        middle = (before + after) // 2
        if datetime.fromtimestamp(middle, zone).utcoffset() == offset_after:
            after = middle
        else:
            before = middle
    return datetime.fromtimestamp(after, zone)


def _days(text: str, segment: str) -> set[int]:
    days: set[int] = set()
    for part in text.split(","):
        part = part.strip()
        if not part:
            raise ValueError(f"business hours {segment!r}: an empty day in the day list")
        first, sep, last = part.partition("-")
        for name in (first, last) if sep else (first,):
            if name.strip() not in DAYS:
                raise ValueError(f"business hours {segment!r}: unknown day {name.strip()!r} (use {', '.join(DAYS)})")
        start = DAYS.index(first.strip())
        stop = DAYS.index(last.strip()) if sep else start
        span = (stop - start) % 7  # fri-mon wraps over the weekend
        days.update((start + i) % 7 for i in range(span + 1))
    return days


def _seconds(text: str, segment: str, *, end: bool) -> int:
    match = _TIME.match(text.strip())
    if not match:
        raise ValueError(f"business hours {segment!r}: {text.strip()!r} is not a time like 09:00")
    hour, minute = int(match.group(1)), int(match.group(2))
    if end and (hour, minute) == (24, 0):
        return _DAY_SECONDS
    if hour > 23 or minute > 59:
        raise ValueError(f"business hours {segment!r}: {text.strip()!r} is not a time of day (00:00 to 23:59)")
    return hour * 3600 + minute * 60


def _ranges(text: str, segment: str) -> list[tuple[int, int]]:
    ranges = []
    for part in text.split(","):
        start_text, sep, end_text = part.partition("-")
        if not sep:
            raise ValueError(f"business hours {segment!r}: {part.strip()!r} is not a range like 09:00-17:00")
        start = _seconds(start_text, segment, end=False)
        end = _seconds(end_text, segment, end=True)
        if end <= start:
            raise ValueError(
                f"business hours {segment!r}: {part.strip()!r} ends before it starts "
                "(split a range over midnight into two days, ending the first at 24:00)"
            )
        ranges.append((start, end))
    return ranges


def _merged(ranges: list[tuple[int, int]]) -> tuple[tuple[int, int], ...]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(ranges):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return tuple(merged)


def parse(spec: str, timezone: str) -> BusinessHours:
    """Parse a business-hours spec in a zone; ValueError says what is wrong and where."""
    try:
        zone = ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown timezone {timezone!r} (use an IANA name such as Europe/Amsterdam)") from exc
    week: list[list[tuple[int, int]]] = [[] for _ in DAYS]
    for raw in spec.lower().split(";"):
        segment = raw.strip()
        if not segment:
            continue
        # Days first, then the time ranges: "mon-fri 09:00-12:00, 13:00-17:00".
        match = re.match(r"^([a-z ,-]+?)\s+(\d.*)$", segment)
        if not match:
            raise ValueError(f"business hours {segment!r}: write days then times, e.g. 'mon-fri 09:00-17:00'")
        days = _days(match.group(1), segment)
        ranges = _ranges(match.group(2), segment)
        for day in days:
            week[day].extend(ranges)
    return BusinessHours(zone=zone, week=tuple(_merged(day) for day in week))


@lru_cache(maxsize=16)
def _cached(spec: str, timezone: str) -> BusinessHours:
    return parse(spec, timezone)


def business_hours(settings: Settings) -> BusinessHours:
    """The configured business hours (parsed once per spec and zone)."""
    return _cached(settings.business_hours, settings.timezone)


def is_open(*, settings: Settings, at: datetime) -> bool:
    """Whether people answer live at ``at``."""
    return business_hours(settings).is_open(at)


def next_opening(*, settings: Settings, at: datetime) -> datetime | None:
    """When people next answer live, at or after ``at`` (None: the spec never opens)."""
    return business_hours(settings).next_opening(at)


def _clock(second: int, locale: str) -> str:
    if second >= _DAY_SECONDS:
        return "24:00"  # the end of the day; Babel would say midnight, which reads as the day's start
    return format_time(dtime(second // 3600, second % 3600 // 60), format="short", locale=locale)


def describe(hours: BusinessHours, locale: str) -> str:
    """The hours as a visitor reads them in ``locale``: "Monday to Friday, 9:00 AM – 5:00 PM (Central
    European Time)"; days with the same ranges in a row are one run. Empty when the spec never opens."""
    if not hours.ever_open:
        return ""
    _ = gettext_for(locale)
    names = get_day_names("wide", locale=locale)
    runs: list[tuple[int, int]] = []  # (first day, last day) of days in a row with the same ranges
    for day, ranges in enumerate(hours.week):
        if ranges and runs and runs[-1][1] == day - 1 and hours.week[runs[-1][0]] == ranges:
            runs[-1] = (runs[-1][0], day)
        elif ranges:
            runs.append((day, day))
    parts = []
    for first, last in runs:
        days = (
            str(names[first])
            if first == last
            else _("%(first)s to %(last)s")
            % {
                "first": names[first],
                "last": names[last],
            }
        )
        ranges = hours.week[first]
        if ranges == ((0, _DAY_SECONDS),):
            times = _("all day")
        else:
            times = ", ".join(f"{_clock(start, locale)} – {_clock(end, locale)}" for start, end in ranges)
        parts.append(f"{days}, {times}")
    return "; ".join(parts) + f" ({get_timezone_name(hours.zone, locale=locale)})"


def stated(settings: Settings, locale: str) -> str:
    """The configured business hours as ``describe`` words them in ``locale``."""
    return describe(business_hours(settings), locale)
