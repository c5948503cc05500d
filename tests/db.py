"""Database fixtures for every test folder: a migrated database per backend (SQLite always, PostgreSQL
when reachable, required in CI); each test runs in a transaction that is rolled back.

PostgreSQL: ``FAQDESK_TEST_POSTGRES_URL`` names a database the tests may connect to and create databases
from; every run (and every pytest-xdist worker) migrates databases of its own next to it and drops them.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event, text
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session

from core.db import make_engine, open_session
from migrations import upgrade

POSTGRES_URL = os.environ.get("FAQDESK_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


def postgres_engine() -> Engine | None:
    """An engine on the tests' PostgreSQL database, or None when it cannot be reached."""
    engine = make_engine(POSTGRES_URL)
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception:
        engine.dispose()
        return None
    return engine


def required_postgres() -> Engine:
    """The tests' PostgreSQL engine; a failure in CI when it cannot be reached, else the test is skipped."""
    engine = postgres_engine()
    if engine is None:
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL is required in CI but not reachable at {POSTGRES_URL}")
        pytest.skip(f"PostgreSQL not reachable at {POSTGRES_URL}")
    return engine


def real_sqlite_savepoints(engine: Engine) -> None:
    """Let SQLAlchemy, not pysqlite, start transactions, so ``session.commit()`` inside a test only
    releases a savepoint and the rollback at the end really undoes it (SQLAlchemy's documented recipe)."""

    @event.listens_for(engine, "connect")
    def _no_implicit_transactions(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None

    @event.listens_for(engine, "begin")
    def _begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN")


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest) -> Engine:
    """The run's migrated database on the test's backend (a selector, like ``_site`` in tests/app.py:
    switching backends tears down only this, not the database)."""
    engine: Engine = request.getfixturevalue(f"_{request.param}_engine")
    return engine


@pytest.fixture(scope="session")
def _sqlite_engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'faqdesk.db'}"
    upgrade(url)
    eng = make_engine(url)
    real_sqlite_savepoints(eng)
    yield eng
    eng.dispose()


@pytest.fixture(scope="session")
def _postgresql_engine() -> Iterator[Engine]:
    # A database of the run's own, not the tests' database itself: the suite runs in several workers
    # (pytest-xdist), and each would drop the others' tables.
    with fresh_postgres_database(required_postgres(), prefix="faqdesk_tests") as url:
        eng = make_engine(url)
        yield eng
        eng.dispose()


@contextmanager
def rolled_back(engine: Engine) -> Iterator[Session]:
    """A session inside a transaction that is rolled back at the end (its commits are savepoints).

    ``session.get_bind()`` is that transaction's connection: an app bound to it (tests/app.py) writes
    into the same transaction."""
    connection = engine.connect()
    transaction = connection.begin()
    try:
        with open_session(connection) as s:
            yield s
    finally:
        transaction.rollback()
        connection.close()


@pytest.fixture()
def session(engine: Engine) -> Iterator[Session]:
    """A session inside a transaction that is rolled back after the test."""
    with rolled_back(engine) as s:
        yield s


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A migrated database of its own per module, for tests that run the whole app and commit.

    PostgreSQL gets a fresh database next to the tests' one (dropped afterwards), so what the app commits
    never shows up in the rolled-back ``session`` tests.
    """
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('app-db') / 'faqdesk.db'}"
        upgrade(url)
        yield url
        return
    admin = required_postgres()
    with fresh_postgres_database(admin, prefix="faqdesk_app") as url:
        yield url


@contextmanager
def fresh_postgres_database(admin: Engine, *, prefix: str) -> Iterator[str]:
    """A new, migrated PostgreSQL database next to the tests' one, dropped afterwards (``admin`` too)."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    upgrade(url)
    try:
        yield url
    finally:
        with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
