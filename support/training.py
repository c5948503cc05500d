"""Retraining as a queued job: editors queue it, the worker runs it, every app process follows the result.

A job is claimed with a conditional UPDATE (only one worker's UPDATE matches a queued row, and none
matches while another job runs), keeps a heartbeat while it trains, and activates its model in one
place (``activate``): the ``ACTIVE`` file and the ``active_model`` row. A job that fails, or whose worker
dies, leaves the previous model active. A running job whose heartbeat is older than ``STALE_AFTER`` lost
its worker: the next worker round claims it again (up to ``MAX_ATTEMPTS`` claims, then it is failed), so
a killed training delays retraining by about a minute. Each claim counts in ``attempts``, and the
heartbeat and the result are written only while ``attempts`` is still the claim's own: a worker that was
only stalled, not dead, cannot overwrite the job that was taken from it or activate its model. Model
folders are written to a staging folder and renamed (``bot.store``), so no process ever loads half a model.

Every transaction here starts with its write (or only reads): on SQLite a transaction that reads and
then writes fails at once when another process wrote in between, instead of waiting its turn.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import exists, func, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from bot import runtime, store
from bot.data import TrainingData
from bot.model import FaqModel
from bot.problems import TrainingDataError
from core import isolated
from core.db import session_scope, upsert
from core.settings import Settings
from support import model_files
from support.models import ActiveModel, JobStatus, TrainingJob, utcnow

log = logging.getLogger(__name__)

# A running job's worker writes a heartbeat every HEARTBEAT_SECONDS from a thread of its own; one without
# a heartbeat for STALE_AFTER lost its worker (twelve beats missed: a loaded machine or a slow database
# write does not look like a dead worker).
HEARTBEAT_SECONDS = 5.0
STALE_AFTER = timedelta(seconds=60)
MAX_ATTEMPTS = 3  # claims of one job; a job that kills its worker every time is failed after this many
MAX_ERROR = 2000  # the error column's size

# What a job trains on, read in its own session: the worker passes support.worker.training_input.
DataReader = Callable[[Session, Settings], TrainingData]


def queue_training(session: Session, *, requested_by: str, reason: str) -> TrainingJob:
    """Queue a retrain; while one is already queued, that job is returned (it will see this change too)."""
    # Coalescing: the queued job reads the intents when it starts, so one job covers every change made
    # before then. Two requests racing here may queue two jobs; the second then finds its model
    # version already trained and only re-activates it.
    queued = session.exec(
        select(TrainingJob).where(col(TrainingJob.status) == JobStatus.queued).order_by(col(TrainingJob.id)).limit(1)
    ).first()
    if queued is not None:
        return queued
    job = TrainingJob(requested_by=requested_by[:254], reason=reason[:300])
    session.add(job)
    session.flush()
    return job


def active_version(session: Session) -> str | None:
    """The model version every process should serve (the ``active_model`` row), or None before the first."""
    return session.exec(select(ActiveModel.version).where(col(ActiveModel.id) == 1)).first()


def activate(session: Session, *, version: str, model_dir: Path, now: datetime | None = None) -> None:
    """Make a saved model version the active one: its files in the database, the ``active_model`` row and
    the ``ACTIVE`` file."""
    # The files first, in this transaction: a process that sees the new row can always fetch them.
    model_files.publish(session, model_dir=model_dir, version=version)
    # An upsert, so two first-ever activations cannot collide on the single row's primary key.
    upsert(session, ActiveModel, key="id", values={"id": 1, "version": version, "activated_at": now or utcnow()})
    # The file last: if the version is not saved here it raises, and the caller's rollback keeps the row.
    store.activate(model_dir, version)


def recent_jobs(session: Session, *, limit: int = 50) -> list[TrainingJob]:
    """The newest jobs first (the training page)."""
    return list(session.exec(select(TrainingJob).order_by(col(TrainingJob.id).desc()).limit(limit)).all())


def pending_job(session: Session) -> TrainingJob | None:
    """The job running or waiting, if any (pages say a retrain is on its way)."""
    return session.exec(
        select(TrainingJob)
        .where(col(TrainingJob.status).in_([JobStatus.queued, JobStatus.running]))
        .order_by(col(TrainingJob.id).desc())
        .limit(1)
    ).first()


def run_next_job(
    engine: Engine, settings: Settings, *, read_data: DataReader, now: datetime | None = None
) -> TrainingJob | None:
    """Fail stale jobs, then claim the oldest queued job, train it on what ``read_data`` reads and activate it.

    Returns the finished job (done or failed), or None when there was nothing to run or another worker
    is training. Never raises for a training failure: the job records the error.
    """
    now = now or utcnow()
    started = time.monotonic()
    fail_stale(engine, now=now)
    claim = _claim(engine, now=now)
    if claim is None:
        return None
    job_id, attempt = claim
    heartbeat = _Heartbeat(engine, job_id, attempt)
    heartbeat.start()
    try:
        version = _train(engine, settings, read_data)
        finished = now + timedelta(seconds=time.monotonic() - started)
        with Session(engine, expire_on_commit=False) as session:
            if _finish(session, job_id, attempt, status=JobStatus.done, finished=finished, model_version=version):
                activate(session, version=version, model_dir=settings.model_dir, now=finished)
                model_files.prune(session, active=version)
            else:
                log.warning(
                    "training job %s was failed or claimed again while it ran; not activating %s", job_id, version
                )
            job = session.get(TrainingJob, job_id)
            session.commit()
        log.info("training job %s done: model %s active", job_id, version)
        return job
    except Exception as exc:  # recorded on the job; the previous model stays active
        log.exception("training job %s failed", job_id)
        finished = now + timedelta(seconds=time.monotonic() - started)
        with Session(engine, expire_on_commit=False) as session:
            _finish(session, job_id, attempt, status=JobStatus.failed, finished=finished, error=_error_text(exc))
            job = session.get(TrainingJob, job_id)
            session.commit()
        return job
    finally:
        heartbeat.stop()


def _last_sign() -> Any:
    return func.coalesce(col(TrainingJob.heartbeat_at), col(TrainingJob.started_at))


def fail_stale(engine: Engine, *, now: datetime) -> int:
    """Mark running jobs without a heartbeat for ``STALE_AFTER`` that were claimed ``MAX_ATTEMPTS`` times as failed."""
    with session_scope(engine) as session:
        result = session.exec(
            update(TrainingJob)
            .where(
                col(TrainingJob.status) == JobStatus.running,
                _last_sign() < now - STALE_AFTER,
                col(TrainingJob.attempts) >= MAX_ATTEMPTS,
            )
            .values(
                status=JobStatus.failed,
                finished_at=now,
                error=f"its worker stopped {MAX_ATTEMPTS} times (no heartbeat for {STALE_AFTER.seconds} seconds)",
            )
        )
        count = int(result.rowcount or 0)
    if count:
        log.warning("marked %d training job(s) whose workers kept stopping as failed", count)
    return count


def _claim(engine: Engine, *, now: datetime) -> tuple[int, int] | None:
    """Claim a running job that lost its worker, else the oldest queued one: its id and this claim's attempt."""
    with Session(engine) as session:  # read-only: which job is next
        stale = session.exec(
            select(TrainingJob.id, TrainingJob.attempts)
            .where(
                col(TrainingJob.status) == JobStatus.running,
                _last_sign() < now - STALE_AFTER,
                col(TrainingJob.attempts) < MAX_ATTEMPTS,
            )
            .order_by(col(TrainingJob.id))
            .limit(1)
        ).first()
        queued = session.exec(
            select(TrainingJob.id, TrainingJob.attempts)
            .where(col(TrainingJob.status) == JobStatus.queued)
            .order_by(col(TrainingJob.id))
            .limit(1)
        ).first()
    if stale is not None:
        job_id, seen = stale
        # Still stale and still at the attempt this worker saw: of two workers reclaiming at once, the
        # second UPDATE matches nothing, as with a queued job below.
        condition = [col(TrainingJob.status) == JobStatus.running, _last_sign() < now - STALE_AFTER]
    elif queued is not None:
        job_id, seen = queued
        other = aliased(TrainingJob)
        # Matches only while the job is still queued and nothing else runs: two workers claiming at
        # once both target this row, and the second UPDATE (serialised by SQLite's write lock, re-checked
        # by PostgreSQL after the first commits) matches nothing. One job at a time also means an older
        # job can never activate its model after a newer one.
        condition = [
            col(TrainingJob.status) == JobStatus.queued,
            ~exists().where(col(other.status) == JobStatus.running),
        ]
    else:
        return None
    assert job_id is not None
    with session_scope(engine) as session:
        result = session.exec(
            update(TrainingJob)
            .where(col(TrainingJob.id) == job_id, col(TrainingJob.attempts) == seen, *condition)
            .values(status=JobStatus.running, started_at=now, heartbeat_at=now, attempts=seen + 1)
        )
        claimed = result.rowcount == 1
    if claimed and stale is not None:
        log.warning("training job %s lost its worker; claimed again (attempt %d)", job_id, seen + 1)
    return (job_id, seen + 1) if claimed else None


def _train(engine: Engine, settings: Settings, read_data: DataReader) -> str:
    """Train on what ``read_data`` reads (unless this exact version is saved) and return the version."""
    with Session(engine) as session:
        data = read_data(session, settings)
    if settings.train_in_subprocess:
        return isolated.call(train_data, data, settings)
    return train_data(data, settings)


def train_data(data: TrainingData, settings: Settings) -> str:
    """Fit and save a model for ``data`` (not activated); an existing identical version is reused."""
    encoder, glossers = runtime.load_encoder(settings), runtime.load_glossers(settings)
    version = FaqModel.version_for(data, runtime.train_config(settings), encoder, glossers)
    try:
        store.load(settings.model_dir, version)
        return version  # same data, configuration and encoder: this model exists already
    except FileNotFoundError:
        pass
    model = runtime.fit(data, settings, previous=_previous(settings))
    store.save(model, settings.model_dir)
    return model.version


def _previous(settings: Settings) -> FaqModel | None:
    # Locales whose examples did not change reuse the active model's classifiers.
    try:
        return runtime.load_active(settings)
    except (FileNotFoundError, ValueError, OSError, EOFError):
        return None


def _finish(
    session: Session,
    job_id: int,
    attempt: int,
    *,
    status: JobStatus,
    finished: datetime,
    model_version: str | None = None,
    error: str = "",
) -> bool:
    values: dict[str, Any] = {"status": status, "finished_at": finished, "heartbeat_at": finished, "error": error}
    if model_version is not None:
        values["model_version"] = model_version
    result = session.exec(
        update(TrainingJob)
        .where(
            col(TrainingJob.id) == job_id,
            col(TrainingJob.status) == JobStatus.running,
            col(TrainingJob.attempts) == attempt,  # not taken over by another worker meanwhile
        )
        .values(**values)
    )
    return result.rowcount == 1


def _error_text(exc: Exception) -> str:
    if isinstance(exc, TrainingDataError):
        text = "the intents cannot be trained: " + "; ".join(str(p) for p in exc.problems)
    else:
        text = f"{type(exc).__name__}: {exc}"
    return text[:MAX_ERROR]


def beat(engine: Engine, job_id: int, attempt: int, *, now: datetime | None = None) -> bool:
    """Touch a running job's heartbeat; False when the job is no longer this claim's (failed, claimed again)."""
    with session_scope(engine) as session:
        result = session.exec(
            update(TrainingJob)
            .where(
                col(TrainingJob.id) == job_id,
                col(TrainingJob.status) == JobStatus.running,
                col(TrainingJob.attempts) == attempt,
            )
            .values(heartbeat_at=now or utcnow())
        )
        return result.rowcount == 1


class _Heartbeat:
    """Touches the job's heartbeat while it trains, so a long training is not mistaken for a dead one.

    A thread of its own, so the beat goes on while the training thread is busy in native code.
    """

    def __init__(self, engine: Engine, job_id: int, attempt: int) -> None:
        self._engine = engine
        self._job_id = job_id
        self._attempt = attempt
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"training-heartbeat-{job_id}", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(HEARTBEAT_SECONDS):
            try:
                beat(self._engine, self._job_id, self._attempt)
            except Exception:  # a missed beat is harmless; a minute of them hands the job to another worker
                log.exception("training heartbeat failed")
