"""Bounds shared by every route's ids, paging and dates.

A number past what the database stores (32-bit ids in PostgreSQL, 64-bit integers in SQLite) or a date
past what Python's datetime can shift by a time zone would otherwise reach the driver and come back as a
500; declared here once, they are a 422 that names the field, and the OpenAPI schema shows the range.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query
from pydantic import Field

MAX_ID = 2**31 - 1

RowId = Annotated[int, Path(ge=1, le=MAX_ID, description="A row's id")]
"""An id in the path."""

OptionalRowIdQuery = Annotated[int | None, Query(ge=1, le=MAX_ID)]
"""An optional id in the query string."""

Offset = Annotated[int, Query(ge=0, le=MAX_ID, description="How many rows to skip")]

RowIdField = Annotated[int, Field(ge=1, le=MAX_ID)]
"""An id inside a JSON body."""
