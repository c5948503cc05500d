"""Builders for handoff tests: settings, back-office users and a conversation with bot turns, written directly."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlmodel import Session, col, select

from core.accounts import Role, User
from core.settings import Settings
from support.conversations import message_html
from support.models import Conversation, Message, OutboxItem, Sender

# Monday 3 June 2024, 12:00 in Amsterdam: inside the default business hours (mon-fri 09:00-17:00).
MONDAY_NOON = datetime(2024, 6, 3, 10, 0, tzinfo=UTC)
# Saturday 8 June 2024, 22:00 in Amsterdam: closed until Monday 09:00.
SATURDAY_NIGHT = datetime(2024, 6, 8, 20, 0, tzinfo=UTC)
HOOKS = ["https://hooks.example.com/a", "https://hooks.example.com/b"]


def support_settings(**overrides: Any) -> Settings:
    """Settings for service tests (no database URL needed: tests pass their own session)."""
    values: dict[str, Any] = {"webhook_urls": HOOKS, "webhook_secret": "s3cret", "email_reply_after_minutes": 2}
    values |= overrides
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


def make_user(session: Session, *, role: Role = Role.agent, name: str = "") -> User:
    """A back-office user (the password hash is a placeholder: these users never sign in)."""
    user = User(email=f"{role.value}-{uuid.uuid4().hex[:8]}@example.com", name=name, role=role, password_hash="-")
    session.add(user)
    session.flush()
    return user


def make_conversation(
    session: Session, *, locale: str = "en", now: datetime = MONDAY_NOON, seen_ago: timedelta | None = timedelta(0)
) -> Conversation:
    """A conversation with two visitor messages and two bot turns (an answer, then a failed suggest)."""
    start = now - timedelta(minutes=5)
    conversation = Conversation(
        id=uuid.uuid4().hex,
        token_hash="0" * 64,
        locale=locale,
        page_url="https://shop.example.com/account",
        created_at=start,
        started_at=start,
        last_visitor_at=now - timedelta(minutes=1),
        visitor_seen_at=None if seen_ago is None else now - seen_ago,
        last_activity_at=now - timedelta(minutes=1),
        has_question=True,
    )
    session.add(conversation)
    session.flush()
    turns: list[dict[str, Any]] = [
        {"sender": Sender.visitor, "text": "How do I pause my subscription?"},
        {
            "sender": Sender.bot,
            "text": "Go to **Account > Subscription** and choose *Pause*.",
            "decision": "answer",
            "intent": "pause_subscription",
            "confidence": 0.91,
            "candidates": [
                {"intent": "pause_subscription", "probability": 0.91},
                {"intent": "cancel_subscription", "probability": 0.06},
            ],
            "model_version": "v-test",
            "helpful": False,
        },
        {"sender": Sender.visitor, "text": "That button is not there <script>alert('x')</script>"},
        {
            "sender": Sender.bot,
            "text": "I'm not sure I understood.",
            "decision": "suggest",
            "intent": None,
            "confidence": 0.31,
            "candidates": [
                {"intent": "billing_address", "probability": 0.4},
                {"intent": "pause_subscription", "probability": 0.35},
            ],
            "model_version": "v-test",
        },
    ]
    for i, turn in enumerate(turns):
        html = message_html(turn["sender"], turn["text"])  # as the chat stores it
        session.add(
            Message(conversation_id=conversation.id, created_at=start + timedelta(minutes=i), html=html, **turn)
        )
    session.flush()
    return conversation


def outbox_items(session: Session, *, conversation: Conversation, event: str | None = None) -> list[OutboxItem]:
    """Outbox items about this conversation (webhooks carry its id, emails go to its visitor), oldest first."""
    query = select(OutboxItem).order_by(col(OutboxItem.id))
    if event is not None:
        query = query.where(OutboxItem.event == event)
    return [
        item
        for item in session.exec(query).all()
        if item.payload.get("conversation_id") == conversation.id
        or (item.kind == "email" and item.target == conversation.visitor_email)
    ]
