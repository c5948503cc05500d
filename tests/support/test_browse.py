"""The conversation browser's filters: decision, intent, outcome, locale, local days; pages; bad values."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlmodel import Session

from core.errors import ValidationError
from support import browse
from support.handoffs import request_handoff
from support.models import Outcome
from tests.support.handoff_fixtures import MONDAY_NOON, make_conversation, support_settings

SETTINGS = support_settings()
DAY = MONDAY_NOON.date()


def ids(session: Session, **filters: object) -> set[str]:
    rows, total = browse.browse(session, tz="Europe/Amsterdam", limit=1000, **filters)  # type: ignore[arg-type]
    assert total == len(rows)
    return {row.id for row in rows}


def test_filters_pick_the_conversations_that_match(session: Session) -> None:
    # Conversations years away from every other test's, so the date range isolates them.
    now = MONDAY_NOON.replace(year=2031)
    answered = make_conversation(session, now=now)  # an answer about pause_subscription, then a suggestion
    dutch = make_conversation(session, locale="nl", now=now + timedelta(days=1))
    dutch.outcome = Outcome.unresolved
    handed = make_conversation(session, now=now + timedelta(days=2))
    handoff = request_handoff(
        session, conversation=handed, email="ana@example.com", name=None, message=None, settings=SETTINGS, now=now
    )
    session.add(dutch)
    session.flush()
    span = {"start": now.date(), "end": now.date() + timedelta(days=2)}
    assert ids(session, **span) == {answered.id, dutch.id, handed.id}
    assert ids(session, **span, locale="nl") == {dutch.id}
    assert ids(session, **span, outcome="unresolved") == {dutch.id}
    assert ids(session, **span, outcome="open") == {answered.id, handed.id}
    assert ids(session, **span, decision="suggest") == {answered.id, dutch.id, handed.id}
    assert ids(session, **span, decision="handoff") == set()
    assert ids(session, **span, intent="pause_subscription", locale="en") == {answered.id, handed.id}
    assert ids(session, **span, intent="billing_address") == set()  # a candidate only, not the bot's intent
    assert ids(session, start=now.date() + timedelta(days=1), end=now.date() + timedelta(days=1)) == {dutch.id}

    rows, total = browse.browse(session, **span, tz="UTC", limit=2)
    assert total == 3 and [r.id for r in rows] == [handed.id, dutch.id]  # newest first, a page at a time
    first = rows[0]
    assert first.first_question == "How do I pause my subscription?"
    assert first.messages == 5 and first.decisions == ["answer", "suggest"] and first.intents == ["pause_subscription"]
    assert first.handoff_id == handoff.id
    assert "pause_subscription" in browse.intents_seen(session)


@pytest.mark.parametrize(
    ("filters", "message"),
    [
        ({"decision": "maybe"}, "decision: 'maybe' is not one of answer, clarify, suggest, handoff"),
        ({"outcome": "happy"}, "outcome: 'happy' is not one of"),
        ({"start": date(2024, 6, 5), "end": date(2024, 6, 1)}, "is after the end date"),
        ({"end": date(9999, 12, 31)}, "end: a day from 1970-01-01 to 9000-12-31"),
    ],
)
def test_bad_filters_are_refused_with_a_message(session: Session, filters: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        browse.browse(session, **filters)  # type: ignore[arg-type]
