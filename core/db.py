"""Database engine and sessions: SQLite by default, PostgreSQL (psycopg 3) in production."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine, ExceptionContext, make_url
from sqlalchemy.exc import DataError, IntegrityError
from sqlalchemy.orm.exc import StaleDataError
from sqlmodel import Session, create_engine

from core.errors import BusyError, ConflictError, FaqdeskError, ValidationError

# How long a write waits for the database: SQLite's own busy timeout and this process's writer queue.
SQLITE_BUSY_SECONDS = 10.0


def normalize_url(url: str) -> str:
    """Use psycopg 3 for plain ``postgresql://`` URLs."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def _lower(value: object) -> object:
    return value.lower() if isinstance(value, str) else value


def make_engine(url: str) -> Engine:
    """An engine for the URL; SQLite gets its folder created, foreign keys on and WAL journaling."""
    url = normalize_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        # hide_parameters: a failed statement's error (logged with its traceback) never quotes visitor text.
        engine = create_engine(url, pool_pre_ping=True, hide_parameters=True)
        _input_errors_are_domain_errors(engine)
        return engine
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(
        url, connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_SECONDS}, hide_parameters=True
    )

    @event.listens_for(engine, "connect")
    def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        # With WAL, NORMAL syncs at checkpoints instead of every commit: still corruption-safe, and a page
        # view's counter update stops costing an fsync. A power cut may lose the last moments of writes.
        cursor.execute("PRAGMA synchronous=NORMAL")
        # 64 MB page cache instead of 2 MB: article bodies (and their revisions) thrash the default.
        cursor.execute("PRAGMA cache_size=-65536")
        cursor.close()
        # SQLite's own lower() folds ASCII only: a search for "über" missed "Über uns" (PostgreSQL's does not).
        # No index is built on lower(), so replacing it changes no stored order.
        dbapi_connection.create_function("lower", 1, _lower, deterministic=True)

    _input_errors_are_domain_errors(engine)  # first: a refused statement must not take the writer lock
    _one_writer_at_a_time(engine)
    return engine


def _input_errors_are_domain_errors(engine: Engine) -> None:
    """Refuse what one backend cannot store before either sees it, so both answer the same 422.

    PostgreSQL rejects a NUL character in text (SQLite would keep it), and SQLite's driver raises a bare
    ``OverflowError`` for an integer past 64 bits; either would otherwise surface as a 500.
    """

    @event.listens_for(engine, "before_cursor_execute")
    def _no_nul(_conn: Any, _cursor: Any, _statement: str, parameters: Any, *_args: Any) -> None:
        if _has_nul(parameters):  # one row or many: tuples, lists and dicts are walked alike
            raise ValidationError("text must not contain NUL characters (\\x00)")

    @event.listens_for(engine, "handle_error")
    def _overflow(context: ExceptionContext) -> BaseException | None:
        if isinstance(context.original_exception, OverflowError):
            return ValidationError("a number in the request is larger than the database can store")
        return None


# A JSON column's value arrives serialised: a NUL is the escape \u0000 after an even number of backslashes
# (an odd number would make it the literal text "\u0000", which is fine).
_JSON_NUL = re.compile(r"(?<!\\)(?:\\\\)*\\u0000")


def _has_nul(value: object) -> bool:
    """Whether a bound value holds a NUL: in text, in SQLite's serialised JSON, or in the object that
    psycopg's JSON wrapper serialises later."""
    if isinstance(value, str):
        if "\x00" in value:
            return True
        return value[:1] in "[{" and "\\u0000" in value and _JSON_NUL.search(value) is not None
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(_has_nul(v) for v in value)
    inner = getattr(value, "obj", None)  # psycopg.types.json.Json / Jsonb
    return inner is not None and _has_nul(inner)


_UNIQUE = re.compile(r"UNIQUE constraint failed: \w+\.(\w+)|Key \((\w+)[,)]")


def input_problem(exc: IntegrityError | DataError) -> FaqdeskError:
    """The domain error for a statement the database refused because of what a request carried.

    A unique key taken meanwhile (two editors creating the same slug at once) is a 409 naming the
    column; another constraint or a value out of the column's range is a 422. Neither leaks SQL.
    """
    if isinstance(exc, DataError):
        return ValidationError("a value in the request is out of range or malformed for the database")
    orig = exc.orig
    detail = getattr(getattr(orig, "diag", None), "message_detail", None) or str(orig)
    if getattr(orig, "sqlstate", None) == "23505" or "UNIQUE constraint failed" in str(orig):
        match = _UNIQUE.search(detail)
        column = next((g for g in match.groups() if g), None) if match else None
        return ConflictError(f"another record already has this {column or 'value'}; nothing was saved")
    return ValidationError("the request refers to something that does not exist or leaves out a required value")


def stale_problem(_exc: StaleDataError) -> ConflictError:
    """The domain error for a write whose versioned row another transaction changed after it was read.

    Edits meet this inside their service, which answers with the version that won (``core.versions``);
    any other write (a status change) does not know the row here, so the answer says to read it again.
    """
    return ConflictError("someone else changed this at the same moment; nothing was saved: load it and retry")


# Statements that neither write nor lock (a deferred BEGIN takes no lock until the first write). A
# read taken for a write would only queue; a write taken for a read would meet SQLite's busy handler.
_NOT_WRITES = frozenset(
    {"SELECT", "WITH", "PRAGMA", "BEGIN", "SAVEPOINT", "RELEASE", "ROLLBACK", "COMMIT", "EXPLAIN", "VALUES"}
)


_WRITER_LOCKS: dict[str, threading.Lock] = {}
_WRITER_LOCKS_GUARD = threading.Lock()


def _writer_lock(database: str) -> threading.Lock:
    """This process's writer lock for a SQLite file (an in-memory database gets one per engine)."""
    if database in ("", ":memory:"):
        return threading.Lock()
    key = str(Path(database).resolve())
    with _WRITER_LOCKS_GUARD:
        return _WRITER_LOCKS.setdefault(key, threading.Lock())


def _one_writer_at_a_time(engine: Engine) -> None:
    """Queue this process's SQLite write transactions on a lock instead of in SQLite's busy handler.

    SQLite allows one writer; the others retry with sleeps of up to 100 ms, so under 20 concurrent chats
    a turn could wait 2 s (and now and then 5 s, then fail) while the lock was free most of that time.
    A write transaction takes the lock at its first write and gives it back at commit or rollback, so
    waiting writers go in turn at once. The lock is the database file's, shared by every engine of this
    process (the app's and the embedded worker's); other processes still meet SQLite's busy handler.
    """
    lock = _writer_lock(engine.url.database or "")

    @event.listens_for(engine, "before_cursor_execute")
    def _before_write(conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        first = statement[:40].split(None, 1)
        if conn.info.get("writer") or (first and first[0].upper() in _NOT_WRITES):
            return
        if not lock.acquire(timeout=SQLITE_BUSY_SECONDS):
            raise BusyError()
        conn.info["writer"] = True

    def _release(info: dict[str, Any]) -> None:
        if info.pop("writer", False):
            lock.release()

    event.listen(engine, "commit", lambda conn: _release(conn.info))
    event.listen(engine, "rollback", lambda conn: _release(conn.info))
    # A connection handed back to the pool without either (an autocommit write) gives the lock back too.
    event.listen(engine.pool, "checkin", lambda _dbapi, record: _release(record.info))


# Where sessions come from: the app's engine, or one connection already inside a transaction (the tests'
# rolled-back one, tests/db.py), whose sessions then commit savepoints and the transaction stays open.
Bind = Engine | Connection


def is_postgres(bind: Bind) -> bool:
    """Whether the engine or connection (a session's ``get_bind()``) talks to PostgreSQL rather than SQLite."""
    return bind.dialect.name == "postgresql"


def upsert(session: Session, table: Any, *, key: str, values: dict[str, Any]) -> None:
    """Insert a row, or update the row whose unique ``key`` it shares: one statement, so two requests racing
    to create the same row both succeed (the later one's values stay) instead of one failing on the key."""
    insert = postgresql.insert if is_postgres(session.get_bind()) else sqlite.insert
    changed = {name: value for name, value in values.items() if name != key}
    session.execute(insert(table).values(**values).on_conflict_do_update(index_elements=[key], set_=changed))


def open_session(bind: Bind) -> Session:
    """A new session on the engine or connection (on a connection in a transaction: savepoints)."""
    return Session(bind, join_transaction_mode="create_savepoint")


@contextmanager
def session_scope(engine: Bind) -> Iterator[Session]:
    """A session committed on success and rolled back on error."""
    with open_session(engine) as session:
        try:
            yield session
            session.commit()
        except Exception:
            session.rollback()
            raise


@contextmanager
def exclusive(engine: Engine, key: int) -> Iterator[None]:
    """Hold a database-wide lock while the block runs, so servers starting at once on one PostgreSQL
    prepare it one after the other (a session-level advisory lock on a connection of its own). SQLite
    needs none: one machine's server prepares the database before it starts any other process."""
    if not is_postgres(engine):
        yield
        return
    with engine.connect() as connection:
        connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": key})
        connection.commit()
        try:
            yield
        finally:
            connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": key})
            connection.commit()
