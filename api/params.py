"""Bounds shared by every route's ids, paging and dates.

A number past what the database stores (32-bit ids in PostgreSQL, 64-bit integers in SQLite) or a date
past what Python's datetime can shift by a time zone would otherwise reach the driver and come back as a
500; declared here once, they are a 422 that names the field, and the OpenAPI schema shows the range.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Annotated

from fastapi import Depends, Path, Query
from pydantic import BeforeValidator, Field, WithJsonSchema

from core.numerals import ID_LIMIT, whole_number

MAX_ID = ID_LIMIT

RowId = Annotated[int, Path(ge=1, le=MAX_ID, description="A row's id")]
"""An id in the path."""

OptionalRowIdQuery = Annotated[int | None, Query(ge=1, le=MAX_ID)]
"""An optional id in the query string."""

Offset = Annotated[int, Query(ge=0, le=MAX_ID, description="How many rows to skip")]


def _a_json_integer(value: object) -> object:
    """JSON Schema's integer: 3 and 3.0, never ``true`` or ``"3"`` (pydantic's lax mode takes both)."""
    if isinstance(value, bool | str):
        raise ValueError("must be a JSON integer")
    return value


JsonInt = BeforeValidator(_a_json_integer)

RowIdField = Annotated[int, Field(ge=1, le=MAX_ID), JsonInt]  # constraints first: their schema survives
"""An id inside a JSON body."""

Position = Annotated[int, Field(ge=0, le=100_000), JsonInt]
"""Where an article or category sorts among its siblings."""

_FULL_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
FIRST_DAY, LAST_DAY = date(1900, 1, 1), date(9998, 12, 31)


def _day_or_empty(value: object) -> object:
    """YYYY-MM-DD (RFC 3339's full-date, nothing else ``date.fromisoformat`` would take), or "" for None:
    an HTML form submits a field left empty as ``name=``, meaning "the default"."""
    if value == "":
        return None
    if isinstance(value, str):
        if not _FULL_DATE.fullmatch(value):
            raise ValueError("must be a date written YYYY-MM-DD")
        value = date.fromisoformat(value)  # a ValueError for 2026-02-30 as well
    if isinstance(value, date) and not FIRST_DAY <= value <= LAST_DAY:
        # A day at the calendar's edge overflows once a time zone or the next day is added to it.
        raise ValueError(f"must be a day between {FIRST_DAY.isoformat()} and {LAST_DAY.isoformat()}")
    return value


OptionalDay = Annotated[
    date | None,
    BeforeValidator(_day_or_empty),
    WithJsonSchema({"anyOf": [{"type": "string", "format": "date"}, {"type": "string", "maxLength": 0}]}),
]
"""An optional day in the query string: a date, or empty (or absent) for the default."""

MAX_ANSWER_CHARS = 20_000
"""An intent's answer in one locale, as the back office's forms (the editor, the misunderstood queue) take it."""

LocaleNames = Annotated[dict[str, Annotated[str, Field(max_length=200, pattern=r"\S")]], Field(min_length=1)]
"""A name per locale: at least one, none blank."""

LocaleDescriptions = dict[str, Annotated[str, Field(max_length=500)]]
"""A description per locale (blank ones are dropped)."""

PageNumber = Annotated[int, Query(alias="page", ge=1, le=10_000, description="Which page of a list (from 1)")]
"""A page of a paginated back-office list."""


def form_version(form: Mapping[str, str]) -> int | None:
    """The version an editor's form was loaded at (its hidden ``version`` field); None when the form has
    none (made before versions existed): the save is then not checked."""
    return whole_number(form.get("version"))


def resume_after(last_event_id: str | None, default: int) -> int:
    """Where an event stream's reconnection starts: the ``Last-Event-ID`` header (not validated by the
    schema: clamped to an id), or ``default`` without a usable one."""
    if (resumed := whole_number(last_event_id, limit=10**18)) is not None:
        return max(default, min(resumed, MAX_ID))
    return default


def page_count(total: int, page_size: int) -> int:
    """How many pages ``total`` rows fill (at least one, so an empty list still has its page)."""
    return max(1, -(-total // page_size))


LIST_PAGE_SIZE = 50


@dataclass(frozen=True)
class ListPage:
    """The page of a back-office list asked for: the query's limit and offset, and the pager's fields."""

    number: int
    size: int = LIST_PAGE_SIZE

    @property
    def offset(self) -> int:
        """How many rows the pages before this one hold."""
        return (self.number - 1) * self.size

    def pager(self, total: int) -> dict[str, int]:
        """What ``admin/_pager.html`` shows: the row count, this page and how many there are."""
        return {"total": total, "page_no": self.number, "pages": page_count(total, self.size)}


def _list_page(page_no: PageNumber = 1) -> ListPage:
    return ListPage(page_no)


ListPageDep = Annotated[ListPage, Depends(_list_page)]
"""The ``?page=`` of a paginated back-office list."""
