"""Canned replies: placeholders checked when saved and filled in from the ticket, per locale, edits versioned."""

from __future__ import annotations

import uuid

import pytest
from sqlmodel import Session

from core.errors import EditConflict, ValidationError
from support import canned
from support.handoffs import request_handoff
from tests.support.handoff_fixtures import MONDAY_NOON, make_conversation, make_user, support_settings

SETTINGS = support_settings()


def shortcut() -> str:
    return "s" + uuid.uuid4().hex[:8]


def test_placeholders_are_filled_in_from_the_ticket_and_the_agent(session: Session) -> None:
    agent = make_user(session, name="Bea")
    editor = make_user(session)
    conversation = make_conversation(session, locale="de")
    handoff = request_handoff(
        session,
        conversation=conversation,
        email="ana@example.com",
        name="Ana",
        message=None,
        settings=SETTINGS,
        now=MONDAY_NOON,
    )
    body = "Hallo {visitor_name}, hier ist {agent_name} zu Ticket #{ticket_id} ({visitor_email}). {{ok}}"
    mine = canned.create_reply(
        session, title="Begrüßung", shortcut=shortcut(), locale="de", body=body, by=editor, settings=SETTINGS
    )
    canned.create_reply(
        session, title="Hello", shortcut="", locale="en", body="Hi {visitor_name}", by=editor, settings=SETTINGS
    )
    choices = {c.id: c for c in canned.choices_for(session, handoff=handoff, agent=agent)}
    assert mine.id in choices
    assert choices[mine.id].text == f"Hallo Ana, hier ist Bea zu Ticket #{handoff.id} (ana@example.com). {{ok}}"
    assert all(canned.get_reply(session, reply_id=i).locale == "de" for i in choices)  # the ticket's locale only


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("Hi {visitor_nmae}", "unknown placeholder {visitor_nmae}; use {visitor_name}, {visitor_email}"),
        ("Hi {0} and {}", "unknown placeholder {0}, {}"),
        ("Hi {visitor_name.upper}", "unknown placeholder {visitor_name.upper}"),
        ("Hi {visitor_name!r}", "placeholders take no format or conversion"),
        ("Hi {visitor_name", "write {{ or }} for a brace itself"),
        ("   ", "the reply is empty"),
    ],
)
def test_a_body_with_an_unknown_or_broken_placeholder_is_refused(session: Session, body: str, message: str) -> None:
    editor = make_user(session)
    with pytest.raises(ValidationError, match="^body: ") as refused:
        canned.create_reply(session, title="T", shortcut="", locale="en", body=body, by=editor, settings=SETTINGS)
    assert message in refused.value.detail


def test_titles_shortcuts_and_locales_are_checked(session: Session) -> None:
    editor = make_user(session)
    taken = shortcut()
    canned.create_reply(session, title="A", shortcut=taken, locale="en", body="x", by=editor, settings=SETTINGS)
    with pytest.raises(ValidationError, match="already used by another en reply"):
        canned.create_reply(
            session, title="B", shortcut=taken.upper(), locale="en", body="y", by=editor, settings=SETTINGS
        )
    other = canned.create_reply(session, title="B", shortcut=taken, locale="nl", body="y", by=editor, settings=SETTINGS)
    assert other.shortcut == taken  # a shortcut is per locale
    with pytest.raises(ValidationError, match="title: a canned reply needs a title"):
        canned.create_reply(session, title=" ", shortcut="", locale="en", body="x", by=editor, settings=SETTINGS)
    with pytest.raises(ValidationError, match="locale: 'fr' is not one of en, de, nl"):
        canned.create_reply(session, title="C", shortcut="", locale="fr", body="x", by=editor, settings=SETTINGS)


def test_an_edit_from_an_older_version_is_a_conflict(session: Session) -> None:
    editor = make_user(session)
    reply = canned.create_reply(session, title="A", shortcut="", locale="en", body="one", by=editor, settings=SETTINGS)
    started = reply.version
    fields = {"title": "A", "shortcut": "", "locale": "en"}
    canned.update_reply(
        session, reply=reply, **fields, body="two", by=editor, settings=SETTINGS, expected_version=started
    )
    assert reply.version == started + 1
    with pytest.raises(EditConflict) as conflict:
        canned.update_reply(
            session, reply=reply, **fields, body="three", by=editor, settings=SETTINGS, expected_version=started
        )
    assert conflict.value.current_version == started + 1
    assert [c.field for c in canned.reply_changes(reply, **fields, body="three")] == ["body"]
    assert reply.body == "two"
