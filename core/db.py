"""Database engine and sessions: SQLite by default, PostgreSQL (psycopg 3) in production."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session, create_engine

from core.errors import BusyError

# How long a write waits for the database: SQLite's own busy timeout and this process's writer queue.
SQLITE_BUSY_SECONDS = 10.0


def normalize_url(url: str) -> str:
    """Use psycopg 3 for plain ``postgresql://`` URLs."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def make_engine(url: str) -> Engine:
    """An engine for the URL; SQLite gets its folder created, foreign keys on and WAL journaling."""
    url = normalize_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True)
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_SECONDS})

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

    _one_writer_at_a_time(engine)
    return engine


# Statements that neither write nor lock (a deferred BEGIN takes no lock until the first write). A
# read taken for a write would only queue; a write taken for a read would meet SQLite's busy handler.
_NOT_WRITES = frozenset(
    {"SELECT", "WITH", "PRAGMA", "BEGIN", "SAVEPOINT", "RELEASE", "ROLLBACK", "COMMIT", "EXPLAIN", "VALUES"}
)


def _one_writer_at_a_time(engine: Engine) -> None:
    """Queue this process's SQLite write transactions on a lock instead of in SQLite's busy handler.

    SQLite allows one writer; the others retry with sleeps of up to 100 ms, so under 20 concurrent chats
    a turn could wait 2 s (and now and then 5 s, then fail) while the lock was free most of that time.
    A write transaction takes the lock at its first write and gives it back at commit or rollback, so
    waiting writers go in turn at once. Other processes (the worker) still meet SQLite's busy handler.
    """
    lock = threading.Lock()

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


def is_postgres(engine: Engine) -> bool:
    """Whether the engine talks to PostgreSQL."""
    return engine.dialect.name == "postgresql"


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A session committed on success and rolled back on error."""
    with Session(engine) as session:
        try:
            yield session
            session.commit()
        except Exception:
            session.rollback()
            raise
