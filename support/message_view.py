"""What the widget is told about each message besides its text, decided here rather than in the browser.

- ``ask_feedback``: a real answer (an FAQ intent) asks "Did this help?"; small talk (greetings, thanks),
  handoffs, "Did you mean?" questions and suggestions do not.
- ``offer_handoff``: a suggestion, a handoff turn and an answer voted unhelpful offer a person (offered,
  not forced), until the conversation is handed off.
- ``helpful``: the visitor's vote on an answer, and ``rating``, on the "resolved" notice, their rating of the
  conversation: a reload shows both as they were left.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlmodel import Session, select

from core.errors import UnauthorizedError
from support.conversations import messages_after
from support.models import CloseReason, Conversation, Message, Rating, Sender

RESOLVED = "resolved"  # the decision recorded on the system notice of a resolved handoff


@dataclass(frozen=True)
class MessageView:
    """A message and what the widget does with it."""

    message: Message
    ask_feedback: bool = False
    offer_handoff: bool = False
    rating: int | None = None


def view(message: Message, *, conversation: Conversation, rating: int | None = None) -> MessageView:
    """One message as the widget shows it (``rating`` only matters on a "resolved" notice)."""
    if message.sender is not Sender.bot:
        return MessageView(message, rating=rating if message.decision == RESOLVED else None)
    answer = message.decision == "answer"
    handed_off = conversation.close_reason is CloseReason.handoff
    offers = message.decision in ("suggest", "handoff") or (answer and message.helpful is False)
    return MessageView(
        message,
        ask_feedback=answer and message.counts_as_question,
        offer_handoff=offers and not handed_off,
    )


def views(session: Session, *, conversation: Conversation, messages: Sequence[Message]) -> list[MessageView]:
    """Messages as the widget shows them; the rating is read only when a "resolved" notice is among them."""
    rating = None
    if any(m.decision == RESOLVED for m in messages):
        rating = session.exec(select(Rating.score).where(Rating.conversation_id == conversation.id)).first()
    return [view(m, conversation=conversation, rating=rating) for m in messages]


def visible_views(session: Session, *, conversation_id: str, after: int = 0) -> list[MessageView]:
    """What an open event stream sends next (authenticated when it began); UnauthorizedError once the
    conversation is gone (deleted by the visitor or retention)."""
    conversation = session.get(Conversation, conversation_id)
    if conversation is None:
        raise UnauthorizedError("the conversation is gone")
    found = messages_after(session, conversation=conversation, after=after)
    return views(session, conversation=conversation, messages=found)
