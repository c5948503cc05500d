"""Queue depths for the metrics scrape: counted on SQLite and PostgreSQL alike (support/queues.py)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlmodel import Session

from support import queues
from support.models import ActiveModel, Handoff, HandoffStatus, JobStatus, OutboxItem, OutboxKind, TrainingJob
from tests.support.handoff_fixtures import MONDAY_NOON, make_conversation

NOW = MONDAY_NOON


def outbox(session: Session, **fields: Any) -> None:
    item = OutboxItem(kind=OutboxKind.email, target="v@example.com", event="agent.reply", payload={}, **fields)
    session.add(item)


def test_depths_count_only_what_still_waits(session: Session) -> None:
    empty = queues.depths(session, now=NOW)
    assert empty == queues.Depths(0, 0, 0, 0, 0, 0, None)
    outbox(session, next_attempt_at=NOW - timedelta(minutes=1))  # due
    outbox(session, next_attempt_at=NOW)  # due (the worker sends what is due at "now" too)
    outbox(session, next_attempt_at=NOW + timedelta(minutes=5), attempts=2)  # waiting for a retry
    outbox(session, next_attempt_at=NOW - timedelta(hours=1), delivered_at=NOW)  # sent
    outbox(session, next_attempt_at=NOW - timedelta(hours=1), failed_at=NOW)  # given up
    for status in (JobStatus.queued, JobStatus.running, JobStatus.running, JobStatus.done, JobStatus.failed):
        session.add(TrainingJob(status=status))
    tickets = [(HandoffStatus.open, 120), (HandoffStatus.open, 30)]  # minutes ago
    tickets += [(HandoffStatus.assigned, 300), (HandoffStatus.resolved, 900)]
    for ticket, minutes_ago in tickets:
        conversation = make_conversation(session, now=NOW)
        at = NOW - timedelta(minutes=minutes_ago)
        session.add(
            Handoff(conversation_id=conversation.id, status=ticket, email="v@example.com", locale="en", created_at=at)
        )
    session.add(ActiveModel(id=1, version="v-42"))
    session.flush()
    assert queues.depths(session, now=NOW) == queues.Depths(
        outbox_due=2,
        outbox_waiting=1,
        training_queued=1,
        training_running=2,
        handoffs_open=2,
        handoffs_assigned=1,
        active_version="v-42",
        oldest_open_seconds=7200.0,  # the open ticket of two hours ago; taken and resolved ones do not wait
    )
