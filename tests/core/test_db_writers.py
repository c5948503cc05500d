"""SQLite writers of one process queue on a lock: taken at the first write, given back at commit or rollback."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine

from core import db
from core.errors import BusyError


@pytest.fixture()
def engine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    monkeypatch.setattr(db, "SQLITE_BUSY_SECONDS", 0.3)
    eng = db.make_engine(f"sqlite:///{tmp_path / 'w.db'}")
    with eng.begin() as conn:
        conn.execute(text("CREATE TABLE t (n INTEGER)"))
    yield eng
    eng.dispose()


def write_in_thread(engine: Engine, n: int) -> list[BaseException | None]:
    """Insert ``n`` from another thread; the list holds its error (or None) once it is done."""
    outcome: list[BaseException | None] = []

    def run() -> None:
        try:
            with engine.begin() as conn:
                conn.execute(text("INSERT INTO t VALUES (:n)"), {"n": n})
            outcome.append(None)
        except BaseException as exc:  # noqa: BLE001 - handed to the test
            outcome.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(timeout=5)
    return outcome


def values(engine: Engine) -> list[int]:
    with engine.connect() as conn:
        return [row[0] for row in conn.execute(text("SELECT n FROM t ORDER BY n"))]


def test_a_second_writer_waits_for_the_first_and_gets_a_clear_error_if_it_waits_too_long(engine: Engine) -> None:
    with engine.connect() as first:
        first.execute(text("INSERT INTO t VALUES (1)"))  # an open write transaction holds the lock
        (error,) = write_in_thread(engine, 2)
        assert isinstance(error, BusyError)  # ours, with a message; not sqlite's "database is locked"
        assert "nothing was saved" in error.detail
        first.commit()
    assert write_in_thread(engine, 3) == [None]
    assert values(engine) == [1, 3]


def test_engines_of_one_process_on_one_file_queue_on_one_lock(engine: Engine) -> None:
    other = db.make_engine(str(engine.url))  # as the embedded worker's engine beside the app's
    try:
        with engine.connect() as first:
            first.execute(text("INSERT INTO t VALUES (1)"))
            (error,) = write_in_thread(other, 2)
            assert isinstance(error, BusyError)  # queued on our lock, not failed in SQLite's busy handler
            first.commit()
        assert write_in_thread(other, 3) == [None]
    finally:
        other.dispose()
    assert values(engine) == [1, 3]


@pytest.mark.parametrize("ending", ["rollback", "close"])
def test_a_rolled_back_or_abandoned_transaction_frees_the_lock(engine: Engine, ending: str) -> None:
    first = engine.connect()
    first.execute(text("INSERT INTO t VALUES (1)"))
    getattr(first, ending)()
    assert write_in_thread(engine, 2) == [None]
    assert values(engine) == [2]
    first.close()


def test_reads_never_wait_for_a_writer(engine: Engine) -> None:
    with engine.connect() as writer:
        writer.execute(text("INSERT INTO t VALUES (1)"))
        seen: list[list[int]] = []
        reader = threading.Thread(target=lambda: seen.append(values(engine)))
        reader.start()
        reader.join(timeout=5)
        assert seen == [[]]  # WAL: the reader sees the last commit at once, without the lock
        writer.commit()


def test_many_concurrent_writers_all_succeed(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(db, "SQLITE_BUSY_SECONDS", 10.0)
    errors: list[BaseException] = []

    def worker(start: int) -> None:
        for n in range(start, start + 25):
            try:
                with engine.begin() as conn:
                    conn.execute(text("INSERT INTO t VALUES (:n)"), {"n": n})
                    conn.execute(text("UPDATE t SET n = n WHERE n = :n"), {"n": n})
            except BaseException as exc:  # noqa: BLE001 - collected for the assertion
                errors.append(exc)

    threads = [threading.Thread(target=worker, args=(i * 100,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert len(values(engine)) == 200


def test_reads_written_over_several_lines_do_not_take_the_lock(engine: Engine) -> None:
    with engine.connect() as reader:
        reader.execute(text("\n  SELECT\n n FROM t"))
        reader.execute(text("WITH x AS (SELECT 1) SELECT * FROM x"))
        assert write_in_thread(engine, 1) == [None]  # the open read transaction holds nothing
