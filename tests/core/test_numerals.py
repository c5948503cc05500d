"""Whole numbers from forms and headers (core/numerals.py)."""

from __future__ import annotations

import pytest

from core.numerals import ID_LIMIT, whole_number


@pytest.mark.parametrize(
    ("value", "expected"),
    [("0", 0), ("42", 42), ("007", 7), (str(ID_LIMIT), ID_LIMIT)],
)
def test_ascii_digits_are_numbers(value: str, expected: int) -> None:
    assert whole_number(value) == expected


@pytest.mark.parametrize(
    "value", [None, "", "-1", "+1", " 1", "1.0", "1e3", "²", "١٢", "³3", str(ID_LIMIT + 1), "9" * 40]
)
def test_anything_else_is_none_not_an_error(value: str | None) -> None:
    assert whole_number(value) is None


def test_a_larger_limit_takes_larger_numbers() -> None:
    assert whole_number("99999999999", limit=10**18) == 99_999_999_999
