"""How much work is waiting, read for the metrics scrape: a few indexed counts, no row is loaded."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, col, select

from core.clock import as_utc
from support import inbox, training
from support.models import Handoff, HandoffStatus, JobStatus, OutboxItem, TrainingJob, utcnow


@dataclass(frozen=True)
class Depths:
    """Counts of waiting work and the active model version."""

    outbox_due: int  # emails and webhooks the worker should send now
    outbox_waiting: int  # ... and those waiting for a retry (not yet due)
    training_queued: int
    training_running: int
    handoffs_open: int  # tickets no agent has taken yet
    handoffs_assigned: int  # taken, not resolved
    active_version: str | None
    oldest_open_seconds: float = 0.0  # how long the longest-waiting untaken ticket has waited (0: none)


def depths(session: Session, *, now: datetime | None = None) -> Depths:
    """The queue depths right now."""
    now = now or utcnow()
    undelivered = (col(OutboxItem.delivered_at).is_(None), col(OutboxItem.failed_at).is_(None))
    is_due = col(OutboxItem.next_attempt_at) <= now
    due, total = session.exec(select(func.count().filter(is_due), func.count()).where(*undelivered)).one()
    jobs = dict(
        session.exec(
            select(TrainingJob.status, func.count())
            .where(col(TrainingJob.status).in_([JobStatus.queued, JobStatus.running]))
            .group_by(TrainingJob.status)
        ).all()
    )
    tickets = dict(
        session.exec(
            select(Handoff.status, func.count())
            .where(col(Handoff.status).in_([HandoffStatus.open, HandoffStatus.assigned]))
            .group_by(Handoff.status)
        ).all()
    )
    oldest = inbox.oldest_open(session)
    return Depths(
        outbox_due=int(due),
        outbox_waiting=int(total) - int(due),
        training_queued=int(jobs.get(JobStatus.queued, 0)),
        training_running=int(jobs.get(JobStatus.running, 0)),
        handoffs_open=int(tickets.get(HandoffStatus.open, 0)),
        handoffs_assigned=int(tickets.get(HandoffStatus.assigned, 0)),
        active_version=training.active_version(session),
        oldest_open_seconds=max(0.0, (now - as_utc(oldest.created_at)).total_seconds()) if oldest else 0.0,
    )
