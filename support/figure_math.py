"""The arithmetic the dashboard's figures share: rates with an empty base, percentiles, durations."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime

from core.clock import as_utc
from support.hours import BusinessHours


def rate(part: int, base: int) -> float | None:
    """part / base, or None for an empty base (shown as "—"), never a division by zero."""
    return part / base if base else None


def percentile(values: Sequence[float], p: float) -> float | None:
    """The p-th quantile (0..1) by linear interpolation between closest ranks; None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * p
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def minutes(later: datetime, earlier: datetime) -> float:
    """Calendar minutes between two moments."""
    return (later - earlier).total_seconds() / 60


def business_minutes(hours: BusinessHours | None, start: datetime, end: datetime | None) -> float:
    """Minutes of business hours between two stored moments (SQLite's come back naive, in UTC)."""
    assert hours is not None and end is not None  # callers pass only answered or resolved handoffs
    return hours.open_minutes(as_utc(start), as_utc(end))
