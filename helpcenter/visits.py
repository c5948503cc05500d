"""Help-center sessions: one row per visit, the numerator of the self-service score."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from helpcenter.models import HelpcenterSession, utcnow


def record_helpcenter_session(session: Session, *, locale: str, now: datetime | None = None) -> HelpcenterSession:
    """Record that a visit to the help center started (the caller decides what counts as a new visit)."""
    visit = HelpcenterSession(locale=locale, started_at=now or utcnow())
    session.add(visit)
    return visit
