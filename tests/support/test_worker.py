"""The worker: each task in its own transaction, a failing task does not stop the others, run_once inline."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from core.db import make_engine, session_scope
from core.settings import Settings
from helpcenter import articles
from helpcenter.models import ArticleVote, SearchMiss
from migrations import upgrade
from support import worker
from support.models import Conversation, Outcome

T0 = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)


@pytest.fixture()
def setup(tmp_path: Path) -> Iterator[tuple[Engine, Settings]]:
    url = f"sqlite:///{tmp_path / 'worker.db'}"
    upgrade(url)
    engine = make_engine(url)
    settings = Settings(database_url=url, data_dir=tmp_path, retention_days=30, _env_file=None)
    yield engine, settings
    engine.dispose()


def add(engine: Engine, cid: str, at: datetime, *, started: bool = True) -> None:
    with session_scope(engine) as session:
        session.add(
            Conversation(
                id=cid,
                token_hash="0" * 64,
                locale="en",
                created_at=at,
                started_at=at if started else None,
                last_visitor_at=at if started else None,
                last_activity_at=at,
                has_question=False,
            )
        )


def test_run_once_closes_purges_and_is_idempotent(setup: tuple[Engine, Settings]) -> None:
    engine, settings = setup
    now = T0 + timedelta(days=40)
    add(engine, "quiet", now - timedelta(hours=1))
    add(engine, "ancient", T0)
    add(engine, "fresh", now - timedelta(minutes=5))
    first = worker.run_once(engine, settings, now=now)
    assert first["errors"] == 0
    assert (first["closed"], first["purged"], first["published"]) == (2, 1, 0)  # closed, then purged
    again = worker.run_once(engine, settings, now=now)
    assert (again["closed"], again["purged"], again["errors"]) == (0, 0, 0)
    with Session(engine) as session:
        rows = {c.id: c.outcome for c in session.exec(select(Conversation)).all()}
    assert rows == {"quiet": Outcome.no_question, "fresh": None}


def test_retention_also_forgets_the_help_centers_searches_and_feedback_comments(setup: tuple[Engine, Settings]) -> None:
    engine, settings = setup
    now = T0 + timedelta(days=40)
    with session_scope(engine) as session:
        article = articles.create_article(session, locale="en", title="Returns", body="Send it back.", author="e")
        session.add_all(
            [
                SearchMiss(locale="en", query="refund for order 4711, Jane Doe", created_at=T0),
                SearchMiss(locale="en", query="gift wrap", created_at=now - timedelta(days=1)),
                ArticleVote(article_id=article.id or 0, helpful=False, comment="call me: 0170 1234567", created_at=T0),
                ArticleVote(article_id=article.id or 0, helpful=False, comment="too short", created_at=now),
            ]
        )
    assert worker.run_once(engine, settings, now=now)["purged"] == 2
    with Session(engine) as session:
        assert [m.query for m in session.exec(select(SearchMiss)).all()] == ["gift wrap"]
        votes = session.exec(select(ArticleVote).order_by(col(ArticleVote.id))).all()
        assert [(v.helpful, v.comment) for v in votes] == [(False, None), (False, "too short")]  # counts stay


def test_a_failing_task_does_not_stop_the_others(
    setup: tuple[Engine, Settings], monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    engine, settings = setup
    add(engine, "quiet", T0)

    def broken(session: Session, settings: Settings, now: datetime) -> int:
        raise RuntimeError("database hiccup")

    monkeypatch.setitem(worker.TASKS, "purged", broken)
    results = worker.run_once(engine, settings, now=T0 + timedelta(hours=1))
    assert results["errors"] == 1
    assert "purged" not in results
    assert results["closed"] == 1  # ran before, and committed on its own
    assert "published" in results and "delivered" in results  # ran after
    assert "worker task 'purged' failed" in caplog.text


def test_run_forever_stops_when_asked(setup: tuple[Engine, Settings]) -> None:
    engine, settings = setup
    settings.worker_interval_seconds = 0.05
    stop = threading.Event()
    thread = threading.Thread(target=worker.run_forever, args=(engine, settings), kwargs={"stop": stop})
    thread.start()
    stop.set()
    thread.join(timeout=5)
    assert not thread.is_alive()
