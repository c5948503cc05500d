"""The background worker: closing, retention, scheduled publishing, unseen agent replies, outbox, retraining.

Each task runs in its own transaction and is guarded on its own, so one failing task (a mail server
down, a bad row) never stops the others. Every task is idempotent, so several worker processes, or a
worker killed halfway, leave the same result as one clean run. ``faqdesk worker`` runs ``run_forever``,
``faqdesk serve`` runs it on a thread (``BackgroundWorker``) unless told not to; tests call ``run_once``
inline.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from types import FrameType

from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.data import TrainingData
from core import logs
from core.db import make_engine, session_scope
from core.settings import Settings
from helpcenter import articles, retention
from support import intents, outbox, outcomes, reply_delivery, review, training
from support.models import utcnow

log = logging.getLogger(__name__)

Task = Callable[[Session, Settings, datetime], int]


def _close(session: Session, settings: Settings, now: datetime) -> int:
    window = timedelta(minutes=settings.resolution_window_minutes)
    return outcomes.close_due(session, now=now, window=window, settings=settings)


def _purge(session: Session, settings: Settings, now: datetime) -> int:
    purged = outcomes.purge_expired(session, now=now, retention_days=settings.retention_days)
    if settings.retention_days > 0:  # the help center's searches and feedback comments are kept as long
        purged += retention.forget_older_than(session, cutoff=now - timedelta(days=settings.retention_days))
    return purged


def _publish(session: Session, settings: Settings, now: datetime) -> int:
    return articles.publish_due(session, now=now)


def _email_unseen(session: Session, settings: Settings, now: datetime) -> int:
    return reply_delivery.email_unseen(session, settings=settings, now=now)


def _deliver(session: Session, settings: Settings, now: datetime) -> int:
    return outbox.deliver_due(session, settings=settings, now=now)


def training_input(session: Session, settings: Settings) -> TrainingData:
    """What a retraining learns from: the database's intents, and the questions reviewers marked out of
    scope as real out-of-scope traffic for calibration."""
    data = intents.training_data(session, locales=settings.locales)
    reviewed = review.out_of_scope_examples(session)
    data.out_of_scope = {loc: texts for loc, texts in reviewed.items() if loc in data.locales}
    return data


def _train(session: Session, settings: Settings, now: datetime) -> int:
    # Training commits in several short transactions of its own (claim, heartbeat, result), so it
    # takes the engine and leaves this task's session unused.
    job = training.run_next_job(session.get_bind().engine, settings, read_data=training_input, now=now)
    return 0 if job is None else 1


TASKS: dict[str, Task] = {
    "closed": _close,
    "purged": _purge,
    "published": _publish,
    "emailed": _email_unseen,  # before delivery: an email queued here goes out in the same round
    "delivered": _deliver,
    "trained": _train,  # last: a training takes seconds, the other tasks should not wait for it
}


def run_once(engine: Engine, settings: Settings, now: datetime | None = None) -> dict[str, int]:
    """Run every task once; returns what each did and ``errors``, the number of tasks that failed."""
    now = now or utcnow()
    results: dict[str, int] = {"errors": 0}
    for name, task in TASKS.items():
        try:
            with logs.bound(task=name), session_scope(engine) as session:  # log lines name their task
                results[name] = task(session, settings, now)
        except Exception:  # logged with its traceback; the next task and the next round still run
            log.exception("worker task %r failed", name)
            results["errors"] += 1
    return results


def run_forever(engine: Engine, settings: Settings, *, stop: threading.Event | None = None) -> None:
    """Run the tasks every ``worker_interval_seconds`` until ``stop`` is set (SIGTERM/SIGINT via the CLI)."""
    stop = stop or threading.Event()
    log.info("worker started: every %.1f s", settings.worker_interval_seconds)
    while not stop.is_set():
        results = run_once(engine, settings)
        if any(results.values()):
            log.info("worker round: %s", results)
        stop.wait(settings.worker_interval_seconds)
    log.info("worker stopped")


class BackgroundWorker:
    """``run_forever`` on a thread of the serving process (``faqdesk serve`` without ``--no-worker``).

    Off the request path: its own engine and connections, one task at a time, and training in a child
    process (``Settings.train_in_subprocess``), so the thread only waits while a model trains.
    """

    STOP_SECONDS = 15.0  # a round in progress gets this long to finish when the server stops

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._engine = make_engine(settings.database_url)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="faqdesk-worker", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        """Finish the round in progress (or give up on it after ``STOP_SECONDS``: every task is
        idempotent, and a training left behind is claimed again by the next round anywhere)."""
        self._stop.set()
        self._thread.join(self.STOP_SECONDS)
        if self._thread.is_alive():
            log.warning("the worker's round did not finish within %.0f s; stopping anyway", self.STOP_SECONDS)
        else:
            self._engine.dispose()

    def _run(self) -> None:
        try:
            run_forever(self._engine, self._settings, stop=self._stop)
        except Exception:  # run_once guards each task; this is a bug, and the server keeps serving
            log.exception("the background worker stopped")


def stop_on_signals(stop: threading.Event) -> None:
    """Set ``stop`` on SIGTERM and SIGINT so the current round finishes its transaction before exiting."""

    def handle(signum: int, _frame: FrameType | None) -> None:
        log.info("received %s: stopping after this round", signal.Signals(signum).name)
        stop.set()

    signal.signal(signal.SIGTERM, handle)
    signal.signal(signal.SIGINT, handle)
