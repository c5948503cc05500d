"""Retraining jobs: coalescing, one claim per job, activation in the database and on disk, failures keep the model.

These tests commit (the job runs in transactions of its own), so each gets a clean set of tables.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete
from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from typer.testing import CliRunner

import api.app
from bot import store
from core.db import make_engine, session_scope
from core.settings import Settings
from faqdesk.cli import app as cli
from migrations import upgrade
from support import intents, training, worker
from support.models import ActiveModel, FaqIntent, JobStatus, ModelFile, TrainingJob, utcnow

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
MINI = FIXTURES / "mini_faq.yaml"
LOCALES = ["en", "de", "nl"]


@pytest.fixture()
def db(engine: Engine) -> Iterator[Engine]:
    """The session's migrated database (SQLite and PostgreSQL), emptied of jobs, intents and models after each test."""
    yield engine
    with session_scope(engine) as session:
        for table in (TrainingJob, FaqIntent, ActiveModel, ModelFile):  # the stored models too: others count them
            session.execute(delete(table))


@pytest.fixture()
def fast(tmp_path: Path) -> Settings:
    """No encoder (lexical heads only): these tests are about the job, not the model's quality. Trained
    in this process, so a test can patch the training (the real settings train in a child process)."""
    return Settings(data_dir=tmp_path / "var", encoder_model="none", train_in_subprocess=False, _env_file=None)


def load_mini(engine: Engine, *, text: str | None = None) -> None:
    with session_scope(engine) as session:
        intents.import_yaml(session, text=text or MINI.read_text(), locales=LOCALES, user="editor@example.com")


def job_rows(engine: Engine) -> list[TrainingJob]:
    with Session(engine) as session:
        return list(session.exec(select(TrainingJob).order_by(TrainingJob.id)).all())  # type: ignore[arg-type]


def active(engine: Engine) -> str | None:
    with Session(engine) as session:
        return training.active_version(session)


def test_queue_coalesces_while_a_job_waits(db: Engine) -> None:
    with session_scope(db) as session:
        first = training.queue_training(session, requested_by="a@example.com", reason="one")
        second = training.queue_training(session, requested_by="b@example.com", reason="two")
        assert first.id == second.id and first.reason == "one"
        first.status = JobStatus.running  # once it runs, a new change needs a new job
        third = training.queue_training(session, requested_by="b@example.com", reason="three")
        assert third.id != first.id


def test_a_job_trains_from_the_database_and_activates_everywhere(
    db: Engine, settings: Settings, tmp_path: Path
) -> None:
    """The real encoder: the job's model is the one `faqdesk train` builds from the same file."""
    real = settings.model_copy(update={"data_dir": tmp_path / "var"})
    (tmp_path / "var").mkdir()
    settings.cache_dir.mkdir(parents=True, exist_ok=True)  # shared: nothing is encoded twice in a run
    (tmp_path / "var" / "cache").symlink_to(settings.cache_dir.resolve(), target_is_directory=True)
    load_mini(db)
    job = training.run_next_job(db, real, read_data=worker.training_input)
    assert job is not None and job.status is JobStatus.done, job and job.error
    assert job.model_version and job.finished_at and job.started_at and job.finished_at >= job.started_at
    assert active(db) == job.model_version == store.active_version(real.model_dir)
    assert (real.model_dir / job.model_version / "meta.json").is_file()
    assert training.run_next_job(db, real, read_data=worker.training_input) is None  # nothing queued
    model = store.load(real.model_dir)
    assert model.version == job.model_version and set(model.intents) == {i.id for i in intents_of(db)}


def intents_of(engine: Engine) -> list[FaqIntent]:
    with Session(engine) as session:
        return list(intents.list_intents(session))


def test_same_data_reuses_the_saved_model(db: Engine, fast: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    load_mini(db)
    first = training.run_next_job(db, fast, read_data=worker.training_input)
    with session_scope(db) as session:
        training.queue_training(session, requested_by="x", reason="again")

    def no_training(*args: object, **kwargs: object) -> None:
        raise AssertionError("trained although this version is saved")

    monkeypatch.setattr("bot.runtime.fit", no_training)
    again = training.run_next_job(db, fast, read_data=worker.training_input)
    assert first and again and again.status is JobStatus.done and again.model_version == first.model_version


def test_bad_data_fails_the_job_and_keeps_the_old_model(db: Engine, fast: Settings) -> None:
    load_mini(db)
    good = training.run_next_job(db, fast, read_data=worker.training_input)
    assert good is not None and good.status is JobStatus.done
    with session_scope(db) as session:  # a row written behind the editor's back: a locale that is no code
        row = session.get(FaqIntent, "pause_subscription")
        assert row is not None
        row.examples = {**row.examples, "Deutsch": row.examples["de"]}
        training.queue_training(session, requested_by="x", reason="broken")
    failed = training.run_next_job(db, fast, read_data=worker.training_input)
    assert failed is not None and failed.status is JobStatus.failed and failed.model_version is None
    assert "'Deutsch' is not a locale code" in failed.error and "pause_subscription" in failed.error
    assert active(db) == good.model_version == store.active_version(fast.model_dir)


def test_a_crash_in_training_keeps_the_old_model(db: Engine, fast: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    load_mini(db)
    good = training.run_next_job(db, fast, read_data=worker.training_input)
    assert good is not None
    load_mini(db, text=MINI.read_text().replace('"pause my plan"', '"pause my plan please"'))

    def crash(*args: object, **kwargs: object) -> None:
        raise MemoryError("out of memory")

    monkeypatch.setattr("bot.runtime.fit", crash)
    failed = training.run_next_job(db, fast, read_data=worker.training_input)
    assert failed is not None and failed.status is JobStatus.failed and failed.error == "MemoryError: out of memory"
    assert active(db) == good.model_version == store.active_version(fast.model_dir)
    assert sorted(p.name for p in fast.model_dir.iterdir() if p.is_dir()) == [
        good.model_version
    ]  # nothing half-written


def running_job(engine: Engine, *, heartbeat_age: timedelta, attempts: int = 1) -> int:
    """A job some worker claimed, whose last heartbeat is this old (no sleeping: the timestamps are set)."""
    now = utcnow()
    with session_scope(engine) as session:
        job = TrainingJob(status=JobStatus.running, started_at=now - timedelta(hours=1), attempts=attempts)
        job.heartbeat_at = now - heartbeat_age
        session.add(job)
        session.flush()
        assert job.id is not None
        return job.id


def test_a_killed_workers_job_is_claimed_again_a_minute_later(db: Engine, fast: Settings) -> None:
    load_mini(db)  # queues a job too, which waits its turn behind the reclaimed one
    dead_id = running_job(db, heartbeat_age=training.STALE_AFTER + timedelta(seconds=1))
    assert training.STALE_AFTER <= timedelta(seconds=60)  # not the ten minutes it used to block retraining
    ran = training.run_next_job(db, fast, read_data=worker.training_input)
    assert ran is not None and ran.id == dead_id and ran.status is JobStatus.done and ran.attempts == 2
    assert active(db) == ran.model_version
    after = training.run_next_job(db, fast, read_data=worker.training_input)  # the queued job runs next, as usual
    assert after is not None and after.status is JobStatus.done and after.attempts == 1


def test_a_job_whose_workers_keep_dying_is_failed_and_the_next_one_runs(db: Engine, fast: Settings) -> None:
    load_mini(db)
    dead_id = running_job(db, heartbeat_age=training.STALE_AFTER + timedelta(seconds=1), attempts=training.MAX_ATTEMPTS)
    ran = training.run_next_job(db, fast, read_data=worker.training_input)
    assert ran is not None and ran.status is JobStatus.done and ran.id != dead_id
    statuses = {j.id: (j.status, j.error) for j in job_rows(db)}
    assert statuses[ran.id] == (JobStatus.done, "")
    assert statuses[dead_id] == (JobStatus.failed, "its worker stopped 3 times (no heartbeat for 60 seconds)")


def test_a_live_running_job_blocks_other_claims(db: Engine, fast: Settings) -> None:
    load_mini(db)
    running_job(db, heartbeat_age=training.STALE_AFTER - timedelta(seconds=5))
    assert training.run_next_job(db, fast, read_data=worker.training_input) is None  # one training at a time
    assert [j.status for j in job_rows(db)] == [JobStatus.queued, JobStatus.running]


def test_a_stalled_worker_cannot_write_to_the_job_taken_from_it(db: Engine, fast: Settings) -> None:
    """The first worker was only stalled: its heartbeat and its result no longer land on the reclaimed job."""
    job_id = running_job(db, heartbeat_age=training.STALE_AFTER + timedelta(seconds=1), attempts=1)
    assert training._claim(db, now=utcnow()) == (job_id, 2)  # a second worker takes the job over
    assert training._claim(db, now=utcnow()) is None  # ... once: it is live again
    assert not training.beat(db, job_id, 1)  # the first worker wakes up
    with session_scope(db) as session:
        assert not training._finish(session, job_id, 1, status=JobStatus.done, finished=utcnow(), model_version="x")
    assert training.beat(db, job_id, 2)
    (job,) = job_rows(db)
    assert job.status is JobStatus.running and job.model_version is None and job.attempts == 2


def test_the_heartbeat_is_written_every_few_seconds(db: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    assert training.HEARTBEAT_SECONDS * 6 <= training.STALE_AFTER.total_seconds()  # many beats may be missed
    monkeypatch.setattr(training, "HEARTBEAT_SECONDS", 0.01)
    job_id = running_job(db, heartbeat_age=timedelta(seconds=50))
    heartbeat = training._Heartbeat(db, job_id, 1)
    heartbeat.start()
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            (job,) = job_rows(db)
            assert job.heartbeat_at is not None
            if utcnow() - job.heartbeat_at.replace(tzinfo=utcnow().tzinfo) < timedelta(seconds=5):
                break
            time.sleep(0.01)
        else:
            raise AssertionError("no heartbeat was written")
    finally:
        heartbeat.stop()


def test_two_workers_claiming_at_once_run_the_job_once(
    db: Engine, fast: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    load_mini(db)
    calls: list[str] = []
    real_train = training.train_data

    def slow_train(data: object, settings: Settings) -> str:
        calls.append(threading.current_thread().name)
        time.sleep(0.3)
        return real_train(data, settings)  # type: ignore[arg-type]

    monkeypatch.setattr(training, "train_data", slow_train)
    start = threading.Barrier(2)
    results: list[TrainingJob | None] = []

    def run() -> None:
        start.wait()
        results.append(training.run_next_job(db, fast, read_data=worker.training_input))

    threads = [threading.Thread(target=run, name=f"worker-{n}") for n in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(calls) == 1
    assert sorted((r is None) for r in results) == [False, True]
    assert [j.status for j in job_rows(db)] == [JobStatus.done]


def test_the_worker_round_runs_training(db: Engine, fast: Settings) -> None:
    load_mini(db)
    results = worker.run_once(db, fast)
    assert results["errors"] == 0 and results["trained"] == 1
    assert worker.run_once(db, fast)["trained"] == 0
    assert active(db) is not None


def test_activate_keeps_one_row(db: Engine, fast: Settings) -> None:
    load_mini(db)
    job = training.run_next_job(db, fast, read_data=worker.training_input)
    assert job and job.model_version
    for _ in range(2):
        with session_scope(db) as session:
            training.activate(session, version=job.model_version, model_dir=fast.model_dir)
    with Session(db) as session:
        assert len(session.exec(select(ActiveModel)).all()) == 1
    with pytest.raises(FileNotFoundError), session_scope(db) as session:
        training.activate(session, version="0123456789abcdef", model_dir=fast.model_dir)
    assert active(db) == job.model_version  # the row's change was rolled back with the failed activation


def test_cli_train_records_the_active_version(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("FAQDESK_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("FAQDESK_DATABASE_URL", url)
    monkeypatch.setenv("FAQDESK_ENCODER_MODEL", "none")
    assert CliRunner().invoke(cli, ["train", "--data", str(MINI)]).exit_code == 0
    assert not (tmp_path / "cli.db").exists()  # no database yet: training does not create one
    upgrade(url)
    result = CliRunner().invoke(cli, ["train", "--data", str(MINI)])
    assert result.exit_code == 0, result.output
    version = json.loads(result.stdout)["version"]
    engine = make_engine(url)
    try:
        assert active(engine) == version
    finally:
        engine.dispose()
    # No database to reach: the model is still trained and active, stdout still the summary.
    monkeypatch.setenv("FAQDESK_DATABASE_URL", "postgresql://nobody@127.0.0.1:9/none")
    result = CliRunner().invoke(cli, ["train", "--data", str(MINI)])
    assert result.exit_code == 0 and json.loads(result.stdout)["version"] == version
    assert "database was not updated" in result.stderr


def test_the_app_follows_the_active_version_without_restart(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite:///{tmp_path / 'app.db'}"
    upgrade(url)
    settings = Settings(data_dir=tmp_path / "var", database_url=url, encoder_model="none", _env_file=None)
    engine = make_engine(url)
    load_mini(engine)
    first = training.run_next_job(engine, settings, read_data=worker.training_input)
    assert first and first.model_version
    monkeypatch.setattr(api.app, "MODEL_POLL_SECONDS", 0.05)
    with TestClient(api.app.create_app(settings)) as client:
        ready = client.get("/readyz").json()
        assert ready["model_version"] == first.model_version
        assert ready["article_vectors"] == "on first use"  # no encoder: suggestions go by words alone
        load_mini(engine, text=MINI.read_text().replace('"pause my plan"', '"pause my plan for now"'))
        second = training.run_next_job(engine, settings, read_data=worker.training_input)
        assert second and second.model_version and second.model_version != first.model_version
        deadline = time.monotonic() + 10
        while client.get("/readyz").json()["model_version"] != second.model_version:
            assert time.monotonic() < deadline, "the app did not pick up the new version"
            time.sleep(0.05)
        assert client.get("/readyz").json()["active_version"] == second.model_version
        # A version this process cannot load: logged, and the current model keeps answering.
        with session_scope(engine) as session:
            session.get(ActiveModel, 1).version = "0123456789abcdef"  # type: ignore[union-attr]
        app = client.app
        # In a thread of its own: the browser tests keep an event loop running on the main thread.
        with ThreadPoolExecutor(1) as pool:
            assert pool.submit(asyncio.run, api.app.sync_model(app)).result() is False  # type: ignore[arg-type]
        ready = client.get("/readyz").json()
        assert (ready["model_version"], ready["active_version"]) == (second.model_version, "0123456789abcdef")
    engine.dispose()
