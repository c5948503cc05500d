"""Handoffs: creation from a conversation, the visitor's next steps, agent replies, notes, tags, resolve, queue."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlmodel import Session, col, select

from bot.policy import PolicyConfig
from core.accounts import Role
from core.errors import FieldErrors, NotFoundError, ValidationError
from support import assignment, conversations, handoffs, inbox, outcomes
from support.handoffs import request_handoff
from support.models import CloseReason, HandoffStatus, Message, OutboxKind, Outcome, Sender
from tests.support.handoff_fixtures import (
    HOOKS,
    MONDAY_NOON,
    SATURDAY_NIGHT,
    make_conversation,
    make_user,
    outbox_items,
    support_settings,
)

SETTINGS = support_settings()


def email() -> str:
    return f"ana.{uuid.uuid4().hex[:8]}@example.com"


def system_texts(session: Session, conversation_id: str) -> list[str]:
    rows = session.exec(
        select(Message)
        .where(Message.conversation_id == conversation_id, Message.sender == Sender.system)
        .order_by(col(Message.id))
    ).all()
    return [m.text for m in rows]


def test_handoff_from_a_conversation_with_bot_turns(session: Session) -> None:
    conversation = make_conversation(session)
    address = email()
    handoff = request_handoff(
        session,
        conversation=conversation,
        email=f"  {address.upper()} ",
        name=" Ana ",
        message="Please call me back",
        settings=SETTINGS,
        now=MONDAY_NOON,
    )
    assert handoff.id is not None
    assert handoff.status is HandoffStatus.open
    assert handoff.email == address  # normalised
    assert handoff.name == "Ana"
    assert handoff.message == "Please call me back"
    assert handoff.locale == "en"
    assert handoff.top_intent == "pause_subscription"  # the FAQ topic the bot answered
    assert handoff.tags == ["pause_subscription"]
    assert handoff.outside_hours is False
    assert handoff.created_at == MONDAY_NOON
    # The conversation is closed for the bot; the outcomes job sets the outcome.
    assert conversation.closed_at == MONDAY_NOON
    assert conversation.close_reason is CloseReason.handoff
    assert conversation.outcome is None
    assert conversation.visitor_email == address
    assert conversation.visitor_name == "Ana"
    # The visitor is told what happens next.
    assert system_texts(session, conversation.id) == [
        f"Thanks! A person will reply here shortly. If you leave, we'll send the reply to {address}."
    ]
    # One webhook per URL, carrying the transcript and the bot's guesses.
    hooks = outbox_items(session, conversation=conversation, event="handoff.created")
    assert [h.target for h in hooks] == HOOKS
    assert all(h.kind is OutboxKind.webhook for h in hooks)
    payload = hooks[0].payload
    assert payload["handoff_id"] == handoff.id
    assert payload["conversation_id"] == conversation.id
    assert payload["email"] == address
    assert payload["name"] == "Ana"
    assert payload["message"] == "Please call me back"
    assert payload["locale"] == "en"
    assert payload["top_intent"] == "pause_subscription"
    assert payload["tags"] == ["pause_subscription"]
    senders = [e["sender"] for e in payload["transcript"]]
    assert senders == ["visitor", "bot", "visitor", "bot", "system"]
    first_bot = payload["transcript"][1]
    assert first_bot["decision"] == "answer"
    assert first_bot["intent"] == "pause_subscription"
    assert first_bot["confidence"] == pytest.approx(0.91)
    assert "decision" not in payload["transcript"][0]
    assert payload["transcript"][0]["text"] == "How do I pause my subscription?"
    assert payload["transcript"][0]["at"].startswith("2024-06-03T09:55:00")
    assert [(g["decision"], g["intent"]) for g in payload["guesses"]] == [
        ("answer", "pause_subscription"),
        ("suggest", None),
    ]
    assert payload["guesses"][1]["candidates"][0] == {"intent": "billing_address", "probability": 0.4}


def test_a_deleted_tickets_number_is_never_given_to_the_next_one(session: Session) -> None:
    # An agent's page of the deleted ticket posts its reply to that number: it must not find another visitor.
    first = request_handoff(
        session, conversation=make_conversation(session), email=email(), name=None, message=None, settings=SETTINGS
    )
    session.commit()
    gone = first.id
    outcomes.delete_conversation(session, conversation_id=first.conversation_id)
    session.commit()
    second = request_handoff(
        session, conversation=make_conversation(session), email=email(), name=None, message=None, settings=SETTINGS
    )
    session.commit()
    assert second.id is not None and gone is not None and second.id > gone


def test_a_handoff_after_the_chat_closed_reopens_it_to_people_and_counts_as_one(session: Session) -> None:
    conversation = make_conversation(session)
    conversations.end_conversation(session, conversation=conversation, now=MONDAY_NOON)
    outcomes.close_due(session, now=MONDAY_NOON + timedelta(minutes=1), window=timedelta(minutes=30))
    session.refresh(conversation)
    assert conversation.outcome is not None and conversation.outcome is not Outcome.handed_off
    request_handoff(session, conversation=conversation, email=email(), name=None, message=None, settings=SETTINGS)
    assert conversation.close_reason is CloseReason.handoff
    assert conversation.outcome is Outcome.handed_off  # the dashboard counts the handoff


def test_asking_for_a_person_before_any_message_starts_the_conversation_and_counts(session: Session) -> None:
    chat, _token = conversations.start_conversation(
        session, locale="en", page_url="https://shop.example/", locales=["en"], default_locale="en"
    )
    assert chat.started_at is None
    request_handoff(
        session, conversation=chat, email=email(), name=None, message=None, settings=SETTINGS, now=MONDAY_NOON
    )
    assert chat.started_at == MONDAY_NOON  # counted on the dashboard, never purged as an empty chat
    outcomes.close_due(session, now=MONDAY_NOON + timedelta(minutes=1), window=timedelta(minutes=30))
    session.refresh(chat)
    assert chat.outcome is Outcome.handed_off


def test_a_visitor_writing_after_the_ticket_was_resolved_reopens_it(session: Session) -> None:
    chat = make_conversation(session)
    agent = make_user(session)
    handoff = request_handoff(
        session, conversation=chat, email=email(), name=None, message=None, settings=SETTINGS, now=MONDAY_NOON
    )
    handoffs.resolve(session, handoff=handoff, agent=agent, settings=SETTINGS, now=MONDAY_NOON + timedelta(hours=1))
    turn = conversations.visitor_turn(
        session, conversation=chat, model=None, config=PolicyConfig(), text="the refund did not arrive",  # type: ignore[arg-type]
        now=MONDAY_NOON + timedelta(hours=2),
    )  # fmt: skip
    assert turn.bot.sender is Sender.system  # the team has it; the bot stays quiet
    assert handoff.status is HandoffStatus.open and handoff.reopened == 1 and handoff.resolved_at is None


def test_no_intent_means_no_default_tag(session: Session) -> None:
    conversation = make_conversation(session)
    for message in session.exec(select(Message).where(Message.conversation_id == conversation.id)).all():
        message.intent = None
        session.add(message)
    session.flush()
    handoff = request_handoff(
        session, conversation=conversation, email=email(), name=None, message=None, settings=SETTINGS, now=MONDAY_NOON
    )
    assert handoff.top_intent is None
    assert handoff.tags == []
    assert handoff.name is None and handoff.message is None


def test_the_top_intent_is_the_topic_not_the_request_for_a_person(session: Session) -> None:
    # The fixture's answer (pause_subscription, 0.91) and failed suggestion, then a less confident answer,
    # small talk, and "a person, please" (an intent of kind handoff), each more confident than the topic.
    conversation = make_conversation(session)
    later = [
        ("answer", "cancel_subscription", 0.62, True),
        ("answer", "thanks", 0.99, False),
        ("handoff", "talk_to_human", 0.97, True),
    ]
    for decision, intent, confidence, question in later:
        session.add(
            Message(
                conversation_id=conversation.id,
                sender=Sender.bot,
                text="...",
                decision=decision,
                intent=intent,
                confidence=confidence,
                counts_as_question=question,
            )
        )
    session.flush()
    handoff = request_handoff(
        session, conversation=conversation, email=email(), name=None, message=None, settings=SETTINGS, now=MONDAY_NOON
    )
    assert handoff.top_intent == "pause_subscription"
    hook = outbox_items(session, conversation=conversation, event="handoff.created")[0]
    assert hook.payload["top_intent"] == "pause_subscription"


def test_a_conversation_with_only_a_request_for_a_person_has_no_top_intent(session: Session) -> None:
    conversation = make_conversation(session)
    for message in session.exec(select(Message).where(Message.conversation_id == conversation.id)).all():
        message.intent = "talk_to_human" if message.sender is Sender.bot else None
        message.decision = "handoff" if message.sender is Sender.bot else None
        session.add(message)
    session.flush()
    handoff = request_handoff(
        session, conversation=conversation, email=email(), name=None, message=None, settings=SETTINGS, now=MONDAY_NOON
    )
    assert handoff.top_intent is None


@pytest.mark.parametrize(
    ("locale", "expected"),
    [
        ("en", ["We're back on Monday, June 10, 2024 at 9:00", "Central European Summer Time"]),
        ("de", ["Wir sind am Montag, 10. Juni 2024 um 09:00", "Mitteleuropäische Sommerzeit"]),
        ("nl", ["We zijn op maandag 10 juni 2024 om 09:00", "Midden-Europese zomertijd"]),
    ],
)
def test_outside_hours_the_visitor_is_told_when_to_expect_an_email(
    session: Session, locale: str, expected: list[str]
) -> None:
    conversation = make_conversation(session, locale=locale, now=SATURDAY_NIGHT)
    address = email()
    handoff = request_handoff(
        session,
        conversation=conversation,
        email=address,
        name=None,
        message=None,
        settings=SETTINGS,
        now=SATURDAY_NIGHT,
    )
    assert handoff.outside_hours is True
    (text,) = system_texts(session, conversation.id)
    for part in expected:
        assert part in text
    assert address in text


def test_no_business_hours_at_all(session: Session) -> None:
    conversation = make_conversation(session)
    settings = support_settings(business_hours="")
    handoff = request_handoff(
        session, conversation=conversation, email=email(), name=None, message=None, settings=settings, now=MONDAY_NOON
    )
    assert handoff.outside_hours is True
    assert "as soon as we can" in system_texts(session, conversation.id)[0]


def test_a_broken_hours_setting_does_not_lose_the_request(session: Session, caplog: pytest.LogCaptureFixture) -> None:
    conversation = make_conversation(session)
    settings = support_settings(business_hours="weekdays 9-5")
    handoff = request_handoff(
        session, conversation=conversation, email=email(), name=None, message=None, settings=settings, now=MONDAY_NOON
    )
    assert handoff.outside_hours is True
    assert "cannot be read" in caplog.text


@pytest.mark.parametrize(
    ("fields", "problems"),
    [
        ({"email": ""}, {"email": "Enter your email address, so that a person can reply."}),
        ({"email": None}, {"email": "Enter your email address, so that a person can reply."}),
        ({"email": "   "}, {"email": "Enter your email address, so that a person can reply."}),
        ({"email": "not-an-email"}, {"email": "Enter an email address like name@example.com."}),
        ({"email": "anna.schmidt@example"}, {"email": "Enter an email address like name@example.com."}),
        # Control characters, quotes, angle brackets and a direction override garbled the inbox.
        ({"email": 'a\u0007<x>"@ex\u202eample.com'}, {"email": "Enter an email address like name@example.com."}),
        ({"email": "a@ex\u202eample.com"}, {"email": "Enter an email address like name@example.com."}),
        ({"email": "**bold**@example.com"}, {"email": "Enter an email address like name@example.com."}),
        ({"name": "x" * 201}, {"name": "Use at most 200 characters."}),
        (
            {"email": "a@b", "message": "x" * 4001},
            {"email": "Enter an email address like name@example.com.", "message": "Use at most 4000 characters."},
        ),
    ],
)
def test_validation_errors_name_each_field(
    session: Session, fields: dict[str, str | None], problems: dict[str, str]
) -> None:
    conversation = make_conversation(session)
    values: dict[str, str | None] = {"email": email(), "name": None, "message": None} | fields
    with pytest.raises(FieldErrors) as caught:
        request_handoff(session, conversation=conversation, settings=SETTINGS, now=MONDAY_NOON, **values)
    assert caught.value.status_code == 422
    assert caught.value.fields == problems  # every field's problem at once, for the form to show beside each
    assert conversation.closed_at is None  # nothing changed


def test_field_errors_speak_the_conversations_language(session: Session) -> None:
    conversation = make_conversation(session, locale="de")
    with pytest.raises(FieldErrors) as caught:
        request_handoff(
            session,
            conversation=conversation,
            email="anna.schmidt@example",
            name=None,
            message=None,
            settings=SETTINGS,
            now=MONDAY_NOON,
        )
    assert caught.value.fields == {"email": "Geben Sie eine E-Mail-Adresse wie name@example.com ein."}


def test_a_second_request_updates_the_open_handoff(session: Session) -> None:
    conversation = make_conversation(session)
    first = request_handoff(
        session, conversation=conversation, email=email(), name="Ana", message="Hi", settings=SETTINGS, now=MONDAY_NOON
    )
    address = email()
    second = request_handoff(
        session,
        conversation=conversation,
        email=address,
        name=None,
        message="Another detail",
        settings=SETTINGS,
        now=MONDAY_NOON + timedelta(minutes=1),
    )
    assert second.id == first.id
    assert second.email == address
    assert second.name == "Ana"  # kept when not given again
    assert second.message == "Another detail"
    assert second.reopened == 0
    assert len(system_texts(session, conversation.id)) == 1  # told once
    assert len(outbox_items(session, conversation=conversation, event="handoff.created")) == len(HOOKS)
    assert conversation.closed_at == MONDAY_NOON  # closed once


def test_reopen_after_resolve(session: Session) -> None:
    conversation = make_conversation(session)
    agent = make_user(session)
    handoff = request_handoff(
        session, conversation=conversation, email=email(), name=None, message=None, settings=SETTINGS, now=MONDAY_NOON
    )
    assignment.assign(session, handoff=handoff, agent=agent)
    handoffs.resolve(session, handoff=handoff, agent=agent, settings=SETTINGS, now=MONDAY_NOON + timedelta(hours=1))
    assert handoff.status is HandoffStatus.resolved
    assert handoff.resolved_by == agent.id
    assert handoff.resolved_at == MONDAY_NOON + timedelta(hours=1)
    resolved = outbox_items(session, conversation=conversation, event="handoff.resolved")
    assert len(resolved) == len(HOOKS)
    assert resolved[0].payload["by"] == agent.email
    # Resolving again changes nothing and sends nothing; the visitor is told once (the widget then asks
    # for a rating).
    handoffs.resolve(session, handoff=handoff, agent=agent, settings=SETTINGS)
    assert len(outbox_items(session, conversation=conversation, event="handoff.resolved")) == len(HOOKS)
    assert sum("as resolved" in t for t in system_texts(session, conversation.id)) == 1

    handoffs.reopen(session, handoff=handoff, agent=agent, settings=SETTINGS)
    assert handoff.status is HandoffStatus.assigned  # back to its assignee
    assert handoff.reopened == 1
    assert handoff.resolved_at is None and handoff.resolved_by is None
    assert len(outbox_items(session, conversation=conversation, event="handoff.reopened")) == len(HOOKS)
    handoffs.reopen(session, handoff=handoff, agent=agent, settings=SETTINGS)  # not resolved: no-op
    assert handoff.reopened == 1

    # The visitor asking again after a resolution reopens it too, and is told what happens next.
    handoffs.resolve(session, handoff=handoff, agent=agent, settings=SETTINGS)
    assignment.assign(session, handoff=handoff, agent=None)
    again = request_handoff(
        session, conversation=conversation, email=email(), name=None, message=None, settings=SETTINGS, now=MONDAY_NOON
    )
    assert again.id == handoff.id
    assert again.reopened == 2
    assert again.status is HandoffStatus.open
    assert len([t for t in system_texts(session, conversation.id) if "as resolved" not in t]) == 2


def test_assign_and_unassign(session: Session) -> None:
    conversation = make_conversation(session)
    agent = make_user(session)
    handoff = request_handoff(
        session, conversation=conversation, email=email(), name=None, message=None, settings=SETTINGS, now=MONDAY_NOON
    )
    assignment.assign(session, handoff=handoff, agent=agent)
    assert (handoff.status, handoff.assignee_id) == (HandoffStatus.assigned, agent.id)
    assignment.assign(session, handoff=handoff, agent=None)
    assert (handoff.status, handoff.assignee_id) == (HandoffStatus.open, None)


def test_reply_stamps_the_first_response_once(session: Session) -> None:
    conversation = make_conversation(session)
    agent, other = make_user(session, name="Bo"), make_user(session)
    handoff = request_handoff(
        session, conversation=conversation, email=email(), name=None, message=None, settings=SETTINGS, now=MONDAY_NOON
    )
    first = MONDAY_NOON + timedelta(minutes=3)
    message = handoffs.reply(
        session, handoff=handoff, agent=agent, text="Hello **there**", settings=SETTINGS, now=first
    )
    assert message.sender is Sender.agent
    assert message.author_id == agent.id
    assert message.internal is False
    assert message.html == "<p>Hello <strong>there</strong></p>\n"
    assert handoff.first_response_at == first
    assert handoff.agent_replies == 1
    assert (handoff.status, handoff.assignee_id) == (HandoffStatus.assigned, agent.id)  # the replier takes it
    handoffs.reply(
        session, handoff=handoff, agent=other, text="More", settings=SETTINGS, now=first + timedelta(minutes=5)
    )
    assert handoff.first_response_at == first
    assert handoff.agent_replies == 2
    assert handoff.assignee_id == agent.id  # stays with the first replier


@pytest.mark.parametrize("text", ["", "   ", "x" * 10_001])
def test_reply_and_note_validation(session: Session, text: str) -> None:
    conversation = make_conversation(session)
    agent = make_user(session)
    handoff = request_handoff(
        session, conversation=conversation, email=email(), name=None, message=None, settings=SETTINGS, now=MONDAY_NOON
    )
    with pytest.raises(ValidationError, match="reply"):
        handoffs.reply(session, handoff=handoff, agent=agent, text=text, settings=SETTINGS)
    with pytest.raises(ValidationError, match="note"):
        handoffs.note(session, handoff=handoff, agent=agent, text=text)
    assert handoff.first_response_at is None


def test_internal_notes_never_reach_the_visitor(session: Session) -> None:
    conversation = make_conversation(session, seen_ago=None)
    agent = make_user(session)
    handoff = request_handoff(
        session, conversation=conversation, email=email(), name=None, message=None, settings=SETTINGS, now=MONDAY_NOON
    )
    note = handoffs.note(session, handoff=handoff, agent=agent, text="SECRET: refund was refused before")
    assert note.internal is True and note.sender is Sender.agent
    handoffs.reply(session, handoff=handoff, agent=agent, text="We can help.", settings=SETTINGS, now=MONDAY_NOON)
    # The widget's list of messages.
    visible = conversations.messages_after(session, conversation=conversation, after=0)
    assert note.id not in [m.id for m in visible]
    assert "We can help." in [m.text for m in visible]
    # The service's visitor-visible transcript, the email and later webhooks.
    assert note.id not in [m.id for m in inbox.transcript(session, handoff=handoff, internal=False)]
    assert note.id in [m.id for m in inbox.transcript(session, handoff=handoff)]
    (mail,) = outbox_items(session, conversation=conversation, event="agent.reply")
    assert "SECRET" not in mail.payload["body"]
    handoffs.resolve(session, handoff=handoff, agent=agent, settings=SETTINGS)
    for item in outbox_items(session, conversation=conversation):
        assert "SECRET" not in str(item.payload)
    # A handoff reopened by the visitor sends its transcript again: still without the note.
    request_handoff(
        session, conversation=conversation, email=email(), name=None, message=None, settings=SETTINGS, now=MONDAY_NOON
    )
    reopened = outbox_items(session, conversation=conversation, event="handoff.reopened")
    assert reopened and all("SECRET" not in str(item.payload) for item in reopened)


def test_email_is_queued_only_when_the_visitor_has_left(session: Session) -> None:
    settings = support_settings(email_reply_after_minutes=2)
    present = make_conversation(session, seen_ago=timedelta(seconds=30))
    agent = make_user(session)
    handoff = request_handoff(
        session, conversation=present, email=email(), name=None, message=None, settings=settings, now=MONDAY_NOON
    )
    handoffs.reply(session, handoff=handoff, agent=agent, text="Still there?", settings=settings, now=MONDAY_NOON)
    assert outbox_items(session, conversation=present, event="agent.reply") == []

    # Three minutes later the widget has not polled for longer than the setting: email.
    later = MONDAY_NOON + timedelta(minutes=3)
    handoffs.reply(session, handoff=handoff, agent=agent, text="Here is the answer.", settings=settings, now=later)
    (mail,) = outbox_items(session, conversation=present, event="agent.reply")
    assert mail.kind is OutboxKind.email
    assert mail.target == handoff.email
    assert mail.payload["subject"] == "A reply to your question"
    body = mail.payload["body"]
    assert "Here is the answer." in body
    assert "How do I pause my subscription?" in body  # the transcript
    assert "http" not in body  # link-free: no way back into the chat, no page URL


def test_a_visitor_who_ended_the_chat_after_the_handoff_is_emailed_at_once(session: Session) -> None:
    settings = support_settings(email_reply_after_minutes=2)
    chat = make_conversation(session, seen_ago=timedelta(seconds=5))
    handoff = request_handoff(
        session, conversation=chat, email=email(), name=None, message=None, settings=settings, now=MONDAY_NOON
    )
    conversations.end_conversation(session, conversation=chat, now=MONDAY_NOON + timedelta(seconds=10))
    assert chat.close_reason is CloseReason.handoff  # still the agents' ticket
    assert handoffs.visitor_has_left(chat, settings=settings, now=MONDAY_NOON + timedelta(seconds=20))
    later = MONDAY_NOON + timedelta(seconds=20)
    handoffs.reply(session, handoff=handoff, agent=make_user(session), text="Found it.", settings=settings, now=later)
    (mail,) = outbox_items(session, conversation=chat, event="agent.reply")  # not two minutes later
    assert "Found it." in mail.payload["body"]


def test_email_never_seen_and_in_the_visitors_locale(session: Session) -> None:
    conversation = make_conversation(session, locale="de", seen_ago=None)
    agent = make_user(session)
    handoff = request_handoff(
        session, conversation=conversation, email=email(), name="Jörg", message=None, settings=SETTINGS, now=MONDAY_NOON
    )
    handoffs.reply(session, handoff=handoff, agent=agent, text="Gern geschehen.", settings=SETTINGS, now=MONDAY_NOON)
    (mail,) = outbox_items(session, conversation=conversation, event="agent.reply")
    assert mail.payload["subject"] == "Eine Antwort auf Ihre Frage"
    assert mail.payload["body"].startswith("Guten Tag Jörg,\n")
    assert "Ihr bisheriges Gespräch:" in mail.payload["body"]
    assert "Sie:" in mail.payload["body"]


def test_tags(session: Session) -> None:
    conversation = make_conversation(session)
    handoff = request_handoff(
        session, conversation=conversation, email=email(), name=None, message=None, settings=SETTINGS, now=MONDAY_NOON
    )
    handoffs.set_tags(session, handoff=handoff, tags=[" Billing ", "billing", "", "vip  customer", "<b>x</b>"])
    assert handoff.tags == ["billing", "vip customer", "<b>x</b>"]
    with pytest.raises(ValidationError, match="longer than 50"):
        handoffs.set_tags(session, handoff=handoff, tags=["x" * 51])
    with pytest.raises(ValidationError, match="at most 20 tags"):
        handoffs.set_tags(session, handoff=handoff, tags=[f"t{i}" for i in range(21)])


def test_queue_filters_newest_first(session: Session) -> None:
    me, other = make_user(session), make_user(session)
    made = []
    for i, (locale, tags) in enumerate(
        [("en", ["billing"]), ("de", ['quote " tag', "billing"]), ("nl", []), ("en", ["billing_x"])]
    ):
        conversation = make_conversation(session, locale=locale)
        handoff = request_handoff(
            session,
            conversation=conversation,
            email=email(),
            name=None,
            message=None,
            settings=SETTINGS,
            now=MONDAY_NOON + timedelta(minutes=i),
        )
        handoffs.set_tags(session, handoff=handoff, tags=tags)
        made.append(handoff)
    a, b, c, d = made
    assignment.assign(session, handoff=b, agent=me)
    assignment.assign(session, handoff=c, agent=other)
    handoffs.resolve(session, handoff=d, agent=me, settings=SETTINGS)
    ours = {h.id for h in made}

    def ids(**filters: object) -> list[int | None]:
        rows, total = inbox.queue(session, limit=500, **filters)  # type: ignore[arg-type]
        assert total >= len([r for r in rows if r.id in ours])
        return [r.id for r in rows if r.id in ours]

    assert ids() == [d.id, c.id, b.id, a.id]  # newest first
    assert ids(status=HandoffStatus.open) == [a.id]
    assert ids(status=HandoffStatus.assigned) == [c.id, b.id]
    assert ids(status=[HandoffStatus.open, HandoffStatus.assigned]) == [c.id, b.id, a.id]
    assert ids(status=HandoffStatus.resolved) == [d.id]
    assert ids(mine=me) == [b.id]
    assert ids(locale="en") == [d.id, a.id]
    assert ids(tag="billing") == [b.id, a.id]  # whole tags only: not billing_x
    assert ids(tag='Quote " Tag') == [b.id]
    assert ids(tag="nothing") == []
    assert ids(after=b.id) == [d.id, c.id]
    rows, total = inbox.queue(session, locale="nl", limit=1)
    assert total >= 1 and len(rows) == 1
    assert "billing" in inbox.tags_in_use(session)


def test_roles_do_not_matter_for_the_services(session: Session) -> None:
    # Any back-office user may work the inbox; the services take whoever acts.
    conversation = make_conversation(session)
    editor = make_user(session, role=Role.editor)
    handoff = request_handoff(
        session, conversation=conversation, email=email(), name=None, message=None, settings=SETTINGS, now=MONDAY_NOON
    )
    handoffs.reply(session, handoff=handoff, agent=editor, text="Hi", settings=SETTINGS, now=MONDAY_NOON)
    assert handoff.assignee_id == editor.id


def test_get_handoff_unknown(session: Session) -> None:
    with pytest.raises(NotFoundError):
        handoffs.get_handoff(session, handoff_id=987654)
