"""Time as the product stores it: timezone-aware, in UTC.

SQLite hands stored datetimes back naive; they were written in UTC, so ``as_utc`` reads them so. One
helper for every table, so times compare and print alike whichever database holds them.
"""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    """The current time, timezone-aware in UTC."""
    return datetime.now(UTC)


def as_utc(moment: datetime) -> datetime:
    """``moment`` in UTC; a naive one (as SQLite returns them) was stored in UTC."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
