"""A migrated database per backend (SQLite always, PostgreSQL when reachable); each test rolls back."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session

from core.db import make_engine
from migrations import upgrade

POSTGRES_URL = os.environ.get("FAQDESK_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


def _postgres_engine() -> Engine | None:
    engine = make_engine(POSTGRES_URL)
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception:
        engine.dispose()
        return None
    return engine


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'faqdesk.db'}"
        upgrade(url)
        eng = make_engine(url)
    else:
        pg = _postgres_engine()
        if pg is None:
            if os.environ.get("CI"):
                pytest.fail(f"PostgreSQL is required in CI but not reachable at {POSTGRES_URL}")
            pytest.skip(f"PostgreSQL not reachable at {POSTGRES_URL}")
        with pg.begin() as conn:  # a clean slate: this database belongs to the tests
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        upgrade(POSTGRES_URL)
        eng = pg
    yield eng
    eng.dispose()


@pytest.fixture()
def session(engine: Engine) -> Iterator[Session]:
    """A session inside a transaction that is rolled back after the test."""
    connection = engine.connect()
    transaction = connection.begin()
    with Session(bind=connection, join_transaction_mode="create_savepoint") as s:
        yield s
    transaction.rollback()
    connection.close()


ARTICLES = Path(__file__).resolve().parents[2] / "training_data" / "articles"
