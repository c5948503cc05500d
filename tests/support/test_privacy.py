"""Masking personal data: emails and phone numbers go, order numbers, dates, prices and postcodes stay."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlmodel import Session, select

from support import metrics, outbox, outcomes
from support.models import Conversation, Handoff, HandoffStatus, Message, OutboxItem, OutboxKind, Sender, utcnow
from support.privacy import mask_personal

PHONES = [
    "+31 6 12345678",
    "+31612345678",
    "+31 (0)6 1234-5678",
    "0031 6 12345678",
    "0049 170 1234567",
    "+49 30 1234567",
    "+4917012345678",
    "+1 (555) 123-4567",
    "+44 20 7946 0958",
    "030-1234567",
    "030/1234567",
    "089 123456",
    "030 123 45 67",
    "020 7946 0958",
    "0612345678",
    "06-12345678",
    "06 12 34 56 78",
    "06.12.34.56.78",
    "(555) 123-4567",
    "(030) 1234567",
    "555-123-4567",
    "555.123.4567",
    "555 123 4567",
    "1-800-555-1234",
]

NOT_PHONES = [
    "order 12345",
    "my order number is 123456789",
    "order #12345678",
    "#0612345678",
    "Bestellnummer 0123456789",
    "bestelling nr. 0612345678",
    "invoice no. 0012345678",
    "tracking: 00340434161234567890",
    "ORD-0612345678",
    "my order 2024-00123",
    "2024-01-15",
    "2024/01/15",
    "15.01.2024",
    "01-02-2024",
    "15/01/2024 10:30",
    "31-12-24",
    "12:30",
    "€ 1.234,56",
    "€1234567890",
    "$1,299.99",
    "1 299,00 EUR",
    "it costs 1234567890 EUR",
    "1.234.567,89",
    "12.99",
    "3 items for 19.95",
    "1234 AB",
    "1234AB",
    "10115 Berlin",
    "SW1A 1AA",
    "Artikel 4006381333931",
    "size 42, 3 pairs",
    "version 2.10.3",
]


@pytest.mark.parametrize("phone", PHONES)
def test_phone_numbers_are_masked(phone: str) -> None:
    assert mask_personal(f"call me on {phone} please") == "call me on [phone] please"
    assert mask_personal(phone) == "[phone]"


@pytest.mark.parametrize("text", NOT_PHONES)
def test_other_numbers_stay(text: str) -> None:
    assert mask_personal(text) == text
    assert mask_personal(f"about {text}, thanks") == f"about {text}, thanks"


@pytest.mark.parametrize(
    "email",
    ["jan@example.nl", "jan.de.vries+shop@example.co.uk", "J_Smith-1@mail.example.com", "müller@beispiel.de"],
)
def test_email_addresses_are_masked(email: str) -> None:
    assert mask_personal(f"write to {email}.") == "write to [email]."


def test_a_mixed_message_keeps_what_is_not_personal() -> None:
    text = (
        "Hi, I'm jan.de.vries@example.nl (tel. +31 (0)6 1234-5678 or 030-1234567). Order 12345678 from "
        "15.01.2024 cost € 49,95 and should go to 1234 AB Utrecht."
    )
    assert mask_personal(text) == (
        "Hi, I'm [email] (tel. [phone] or [phone]). Order 12345678 from "
        "15.01.2024 cost € 49,95 and should go to 1234 AB Utrecht."
    )


def test_two_numbers_side_by_side_are_both_masked() -> None:
    assert mask_personal("0612345678 0687654321") == "[phone] [phone]"
    assert mask_personal("on 15.01.2024 0612345678") == "on 15.01.2024 [phone]"


def test_a_named_order_number_does_not_protect_a_later_phone_number() -> None:
    assert mask_personal("order 0612345678, call 0698765432") == "order 0612345678, call [phone]"


def test_text_without_personal_data_is_unchanged() -> None:
    for text in ["", "How do I pause my subscription?", "Wo ist mein Paket?", "[email] [phone]"]:
        assert mask_personal(text) == text


def test_metrics_uses_the_same_helper() -> None:
    assert metrics.mask_personal is mask_personal


# --- deleting a conversation on request ----------------------------------------------------------


def _conversation_with_outbox(session: Session) -> str:
    cid = uuid.uuid4().hex
    session.add(Conversation(id=cid, token_hash="0" * 64, locale="en"))
    session.flush()
    session.add(Message(conversation_id=cid, sender=Sender.visitor, text="jan@example.nl"))
    session.add(Handoff(conversation_id=cid, email="jan@example.nl", locale="en"))
    for event in ("handoff.created", "handoff.resolved"):
        session.add(
            OutboxItem(
                kind=OutboxKind.webhook,
                target="https://hooks.example.com",
                event=event,
                payload={"conversation_id": cid, "transcript": [{"text": "jan@example.nl"}]},
                delivered_at=utcnow() if event == "handoff.resolved" else None,
            )
        )
    session.flush()
    return cid


def test_deleting_a_conversation_forgets_its_outbox_items(session: Session) -> None:
    mine, other = _conversation_with_outbox(session), _conversation_with_outbox(session)
    email = OutboxItem(kind=OutboxKind.email, target="x@example.com", event="agent.reply", payload={"subject": "s"})
    session.add(email)
    session.flush()
    outcomes.delete_conversation(session, conversation_id=mine)
    left = [item.payload.get("conversation_id") for item in session.exec(select(OutboxItem)).all()]
    assert mine not in left and left.count(other) == 2 and None in left
    assert session.get(Conversation, mine) is None and session.get(Conversation, other) is not None
    assert outbox.forget_conversation(session, conversation_id=mine) == 0
    assert outbox.forget_conversation(session, conversation_id=other) == 2


def test_agent_reply_emails_and_purged_conversations_are_forgotten_too(session: Session) -> None:
    cid = _conversation_with_outbox(session)
    outbox.queue_email(
        session,
        to="jan@example.nl",
        subject="A reply",
        body="transcript: jan@example.nl",
        event="agent.reply",
        conversation_id=cid,
    )
    conversation = session.get(Conversation, cid)
    assert conversation is not None
    conversation.last_activity_at = utcnow() - timedelta(days=40)
    session.add(conversation)
    ticket = session.exec(select(Handoff).where(Handoff.conversation_id == cid)).one()
    ticket.status = HandoffStatus.resolved  # open tickets are kept whatever their age
    session.add(ticket)
    session.flush()
    assert outcomes.purge_expired(session, now=utcnow(), retention_days=30) >= 1
    left = [item.payload.get("conversation_id") for item in session.exec(select(OutboxItem)).all()]
    assert cid not in left
