"""Optimistic locking for what editors change (articles, categories, intents).

Each such row has a ``version`` that SQLAlchemy's ``version_id_col`` puts in every UPDATE's WHERE
clause, so a write overtaken by another transaction fails (``StaleDataError``) instead of overwriting
it. That only covers the milliseconds between a read and a write; an editor works for minutes, so the
version the editor started from is also compared with the one saved now before anything is written.
Both cases are the same ``EditConflict``, carrying the current version.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import inspect
from sqlalchemy.orm.exc import StaleDataError
from sqlmodel import Session

from core.errors import EditConflict


class Versioned(Protocol):
    """A row with a version counter."""

    version: int


def check_version(row: Versioned, expected: int | None, *, what: str) -> None:
    """Refuse a save made from another version than the one saved now (None: the caller did not say)."""
    if expected is not None and expected != row.version:
        raise EditConflict(
            f"{what} was changed by someone else after you opened it (you started from version {expected}, "
            f"version {row.version} is saved now); nothing was saved",
            current_version=row.version,
        )


def flush_edit(session: Session, row: Versioned, *, what: str) -> None:
    """Write a versioned row now; if another transaction saved it since it was read, ``EditConflict``."""
    try:
        session.flush()
    except StaleDataError:
        # The failed flush has already undone this transaction; the rollback only lets the session read
        # again, to tell the caller which version won.
        session.rollback()
        identity = inspect(row).identity
        current = session.get(type(row), identity, populate_existing=True) if identity else None
        raise EditConflict(
            f"{what} was saved by someone else at the same moment; nothing was saved",
            current_version=current.version if current is not None else None,
        ) from None


@dataclass(frozen=True)
class FieldChange:
    """A field whose saved value differs from what the editor sent."""

    field: str
    saved: str
    yours: str


def field_changes(saved: dict[str, str], yours: dict[str, str]) -> list[FieldChange]:
    """The fields (in the editor's order, then any only saved) whose values differ."""
    names = [*yours, *(name for name in saved if name not in yours)]
    return [
        FieldChange(name, saved.get(name, ""), yours.get(name, ""))
        for name in names
        if saved.get(name, "") != yours.get(name, "")
    ]
