"""Whole numbers in strings that come from outside: form fields, headers, signed tickets.

``str.isdigit`` is true for "²" and other Unicode digits, which ``int`` refuses (a 500 where a bad
value should be ignored or refused): only ASCII digits count here.
"""

from __future__ import annotations

ID_LIMIT = 2**31 - 1  # PostgreSQL's integer columns: a larger id could never match a row


def whole_number(value: str | None, *, limit: int = ID_LIMIT) -> int | None:
    """``value`` as a non-negative whole number up to ``limit``, else None ("", "-1", "²", "1e3", "99999999999")."""
    if not value or not value.isascii() or not value.isdigit() or len(value) > len(str(limit)):
        return None
    number = int(value)
    return number if number <= limit else None
