"""No agent reply is lost: one the visitor has not seen in the widget is emailed by a later worker pass,
exactly once, even with two workers; one they saw is not. Emails go to a real local SMTP server."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from email.message import Message as EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import delete
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from core.accounts import User
from core.db import make_engine
from core.settings import Settings
from support import handoffs, outbox, reply_delivery, worker
from support.models import Conversation, Handoff, Message, OutboxItem, Sender, utcnow
from tests.support.handoff_fixtures import make_conversation, make_user, support_settings
from tests.support.test_outbox import Mailbox, free_port

AFTER = 2  # minutes: email_reply_after_minutes in these tests


@dataclass
class World:
    engine: Engine
    mailbox: Mailbox
    settings: Settings
    conversations: list[str]
    users: list[int]
    mailbox_port: int = 0


@pytest.fixture()
def world(engine: Engine) -> Iterator[World]:
    """A real SMTP server, settings that send through it, and a clean outbox; created rows go afterwards."""
    mailbox = Mailbox()
    port = free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    settings = support_settings(
        webhook_urls=[],
        email_reply_after_minutes=AFTER,
        smtp_host="127.0.0.1",
        smtp_port=port,
        smtp_starttls=False,
        smtp_from="help@shop.test",
    )
    made = World(engine, mailbox, settings, [], [], port)
    _clean_outbox(engine)
    try:
        yield made
    finally:
        controller.stop()
        with Session(engine) as s:  # deleting a conversation takes its messages and handoff along
            s.exec(delete(Conversation).where(col(Conversation.id).in_(made.conversations)))
            s.exec(delete(User).where(col(User.id).in_(made.users)))
            s.commit()
        _clean_outbox(engine)


def _clean_outbox(engine: Engine) -> None:
    with Session(engine) as s:
        s.exec(delete(OutboxItem))
        s.commit()


def agent_replied(world: World, *, seen_ago: timedelta | None, text: str = "Your parcel is in Venlo.") -> int:
    """A handoff whose agent has just replied (committed); ``seen_ago``: the widget's last contact before that."""
    now = utcnow()
    with Session(world.engine) as s:
        conversation = make_conversation(s, now=now, seen_ago=seen_ago)
        agent = make_user(s)
        handoff = handoffs.request_handoff(
            s,
            conversation=conversation,
            email=f"visitor.{uuid.uuid4().hex[:8]}@example.com",
            name="Ann",
            message=None,
            settings=world.settings,
            now=now,
        )
        reply = handoffs.reply(s, handoff=handoff, agent=agent, text=text, settings=world.settings, now=now)
        s.commit()
        world.conversations.append(conversation.id)
        world.users.append(agent.id or 0)
        assert reply.id is not None
        return reply.id


def load(engine: Engine, message_id: int) -> Message:
    with Session(engine) as s:
        message = s.get(Message, message_id)
        assert message is not None
        s.expunge(message)
        return message


def body(email: EmailMessage) -> str:
    payload = email.get_payload(decode=True)
    assert isinstance(payload, bytes)
    return payload.decode(email.get_content_charset() or "utf-8")


def run_worker(world: World, *, minutes: float, engine: Engine | None = None) -> dict[str, int]:
    return worker.run_once(engine or world.engine, world.settings, now=utcnow() + timedelta(minutes=minutes))


def test_a_reply_to_a_visitor_who_left_without_seeing_it_is_emailed_by_a_later_worker_pass(world: World) -> None:
    # The widget had polled ten seconds before the reply, so at reply time the visitor looked present
    # and no email went out; then they closed the tab and never fetched it.
    reply_id = agent_replied(world, seen_ago=timedelta(seconds=10))
    assert load(world.engine, reply_id).emailed_at is None

    assert run_worker(world, minutes=1)["emailed"] == 0  # not yet due: they may still see it
    assert world.mailbox.messages == []

    results = run_worker(world, minutes=AFTER + 0.1)
    assert (results["emailed"], results["delivered"]) == (1, 1)
    (email,) = world.mailbox.messages
    assert email["Subject"] == "A reply to your question"
    assert "Your parcel is in Venlo." in body(email)
    reply = load(world.engine, reply_id)
    assert reply.emailed_at is not None and reply.email_due_at is None and reply.seen_at is None

    assert run_worker(world, minutes=60)["emailed"] == 0  # once per reply
    assert len(world.mailbox.messages) == 1


def test_a_reply_the_visitor_saw_is_not_emailed(world: World) -> None:
    reply_id = agent_replied(world, seen_ago=timedelta(seconds=10))
    with Session(world.engine) as s:  # the widget showed it and said so
        conversation = s.get(Conversation, load(world.engine, reply_id).conversation_id)
        assert conversation is not None
        assert reply_delivery.mark_seen(s, conversation=conversation, up_to=reply_id) == 1
        s.commit()
    assert run_worker(world, minutes=AFTER * 10)["emailed"] == 0
    assert world.mailbox.messages == []
    reply = load(world.engine, reply_id)
    assert reply.seen_at is not None and reply.emailed_at is None and reply.email_due_at is None
    assert reply_delivery.reply_state(reply, email_usable=True) == "seen"


def test_a_visitor_gone_at_reply_time_is_emailed_at_once_and_only_once(world: World) -> None:
    reply_id = agent_replied(world, seen_ago=None)  # the widget never came back
    assert load(world.engine, reply_id).emailed_at is not None
    assert run_worker(world, minutes=0)["delivered"] == 1
    assert run_worker(world, minutes=AFTER * 10)["emailed"] == 0
    assert len(world.mailbox.messages) == 1


def test_two_concurrent_worker_passes_email_each_reply_once(world: World) -> None:
    replies = [agent_replied(world, seen_ago=timedelta(seconds=5), text=f"Reply number {i}.") for i in range(6)]
    # Two workers are two processes: two engines, each with its own connections and writer queue.
    other = make_engine(world.engine.url.render_as_string(hide_password=False))
    start = threading.Barrier(2)
    results: list[dict[str, int]] = []
    errors: list[BaseException] = []

    def one_worker(engine: Engine) -> None:
        try:
            start.wait()
            now = utcnow() + timedelta(minutes=AFTER + 1)
            with Session(engine) as s:
                queued = reply_delivery.email_unseen(s, settings=world.settings, now=now)
                delivered = outbox.deliver_due(s, settings=world.settings, now=now)
            results.append({"emailed": queued, "delivered": delivered})
        except BaseException as exc:  # surfaced below: a thread's exception is otherwise lost
            errors.append(exc)

    threads = [threading.Thread(target=one_worker, args=(e,)) for e in (world.engine, other)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    other.dispose()
    assert errors == []
    assert sum(r["emailed"] for r in results) == len(replies)
    assert sum(r["delivered"] for r in results) == len(replies)
    with Session(world.engine) as s:  # each visitor got their own reply, once
        found = s.exec(select(Handoff).where(col(Handoff.conversation_id).in_(world.conversations))).all()
        sent_to = {h.email: h.conversation_id for h in found}
    received = sorted(email["To"] for email in world.mailbox.messages)
    assert received == sorted(sent_to)
    for email in world.mailbox.messages:
        reply = next(
            load(world.engine, r) for r in replies if load(world.engine, r).conversation_id == sent_to[email["To"]]
        )
        assert reply.text in body(email) and reply.emailed_at is not None


def test_no_usable_email_is_not_retried_forever_and_the_ticket_says_so(world: World) -> None:
    reply_id = agent_replied(world, seen_ago=timedelta(seconds=10))
    with Session(world.engine) as s:  # an old row or an import without a contact address
        handoff = s.exec(select(Handoff).where(Handoff.conversation_id == world.conversations[-1])).one()
        handoff.email = ""
        s.add(handoff)
        s.commit()
    assert reply_delivery.reply_state(load(world.engine, reply_id), email_usable=False) == "unreachable"
    assert run_worker(world, minutes=AFTER + 1)["emailed"] == 0
    reply = load(world.engine, reply_id)
    assert reply.email_due_at is None and reply.emailed_at is None  # claimed: not looked at every round
    assert world.mailbox.messages == []


def test_mark_seen_covers_only_this_chats_replies_up_to_the_id_shown(session: Session) -> None:
    settings = support_settings(email_reply_after_minutes=AFTER)
    agent = make_user(session)
    conversation = make_conversation(session, now=utcnow(), seen_ago=timedelta(0))  # present: replies wait
    other = make_conversation(session, now=utcnow(), seen_ago=timedelta(0))
    ticket, other_ticket = (
        handoffs.request_handoff(
            session, conversation=c, email="ann@example.com", name=None, message=None, settings=settings
        )
        for c in (conversation, other)
    )
    first = handoffs.reply(session, handoff=ticket, agent=agent, text="One", settings=settings)
    note = handoffs.note(session, handoff=ticket, agent=agent, text="internal")
    elsewhere = handoffs.reply(session, handoff=other_ticket, agent=agent, text="Other chat", settings=settings)
    second = handoffs.reply(session, handoff=ticket, agent=agent, text="Two", settings=settings)
    assert first.email_due_at is not None and note.email_due_at is None  # notes are never emailed
    assert first.id is not None
    assert reply_delivery.mark_seen(session, conversation=conversation, up_to=first.id) == 1
    for m in (first, note, elsewhere, second):
        session.refresh(m)
    assert first.seen_at is not None and first.email_due_at is None
    assert note.seen_at is None and elsewhere.seen_at is None and second.seen_at is None
    assert second.email_due_at is not None
    states: dict[Any, Any] = {
        m.text: reply_delivery.reply_state(m, email_usable=True) for m in (first, note, elsewhere, second)
    }
    assert states == {"One": "seen", "internal": None, "Other chat": "waiting", "Two": "waiting"}
    assert [m.sender for m in (first, second)] == [Sender.agent, Sender.agent]


def test_the_ticket_says_whether_a_replys_email_went_out_is_retried_or_failed(world: World) -> None:
    """An email queued is not an email sent: no mail server, or one that refuses, must not read as delivered."""
    reply_id = agent_replied(world, seen_ago=timedelta(hours=2))  # gone: queued as an email at once

    def state() -> str | None:
        with Session(world.engine) as s:
            reply = s.get(Message, reply_id)
            assert reply is not None
            emails = reply_delivery.reply_emails(s, [reply])
            return reply_delivery.reply_state(reply, email_usable=True, email=emails.get(reply.email_outbox_id or 0))

    assert state() == "sending"
    world.settings = world.settings.model_copy(update={"smtp_port": free_port()})  # nothing listens there
    later = utcnow()
    for attempt in range(1, outbox.MAX_ATTEMPTS + 1):
        later += timedelta(hours=2)  # past every backoff
        with Session(world.engine) as s:
            assert outbox.deliver_due(s, settings=world.settings, now=later) == 0
        assert state() == ("email_failed" if attempt == outbox.MAX_ATTEMPTS else "sending")
    assert world.mailbox.messages == []

    delivered = agent_replied(world, seen_ago=timedelta(hours=2), text="Second reply.")
    world.settings = world.settings.model_copy(update={"smtp_port": world.mailbox_port})
    with Session(world.engine) as s:
        assert outbox.deliver_due(s, settings=world.settings, now=utcnow()) == 1
    with Session(world.engine) as s:
        reply = s.get(Message, delivered)
        assert reply is not None
        email = reply_delivery.reply_emails(s, [reply])[reply.email_outbox_id or 0]
        assert email.delivered_at is not None
        assert reply_delivery.reply_state(reply, email_usable=True, email=email) == "emailed"
