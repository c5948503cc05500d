"""Bodies of the widget API (DESIGN.md section 2): what the embedded chat sends and receives."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from api.params import RowIdField
from core.accounts import EMAIL
from core.text import INVISIBLE
from support.conversations import MAX_TEXT
from support.message_view import MessageView
from support.models import Sender

# Decided by the server (support/message_view.py), so every widget version behaves alike.
ASK_FEEDBACK = 'ask "Did this help?": true for real answers, false for small talk, clarify, suggest and handoff'
OFFER_HANDOFF = 'offer "Talk to a person": suggestions, handoff turns, unhelpful answers; false once handed off'


class ConversationIn(BaseModel):
    """Start a conversation."""

    model_config = ConfigDict(extra="forbid")

    locale: str | None = Field(
        None,
        max_length=16,
        examples=["de"],
        description="the page's language; an unknown one falls back to its language without region, then to "
        "the default locale",
    )
    page_url: str | None = Field(None, max_length=2000, description="the page the widget is on")


class ConversationOut(BaseModel):
    """The new conversation; send the token as `Authorization: Bearer <token>` from now on."""

    id: str
    token: str
    locale: str = Field(description="the locale the conversation speaks (see `locale` of the request)")
    locales: list[str] = Field(
        description="the locales this installation speaks: the ones a message's `locale` may name", examples=[["en"]]
    )


def _no_default(schema: dict[str, Any]) -> None:
    """A field that may be left out but is never null: its schema is the value's, without ``"default": null``."""
    schema.pop("default", None)


class MessageIn(BaseModel):
    """A visitor message, or a click on one of the options of a "Did you mean?" question."""

    # Exactly one of the two: said in the schema too, so generated clients and fuzzers know it.
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "oneOf": [
                # A text shows something ("" or zero-width characters alone are refused as empty); the other
                # of the two is absent or null, as the server reads it.
                {
                    "required": ["text"],
                    "properties": {
                        "text": {"type": "string", "pattern": f"[^\\s{INVISIBLE}]"},
                        "option": {"type": "null"},
                    },
                },
                {"required": ["option"], "properties": {"option": {"type": "string"}, "text": {"type": "null"}}},
            ]
        },
    )

    text: str | None = Field(None, max_length=MAX_TEXT)
    option: str | None = Field(
        None, max_length=100, description="an intent id from the options of the last bot message"
    )
    # Absent or a configured locale, never null: the schema lists the configured ones (api/openapi.py).
    locale: str = Field(
        None,  # type: ignore[assignment]
        max_length=16,
        json_schema_extra=_no_default,
        description="the language the widget speaks now (a configured locale), sent when the page or the "
        "visitor switched it: the conversation and the bot's replies follow it from this message on",
    )


class Option(BaseModel):
    """A "Did you mean?" choice."""

    intent: str
    label: str


class ArticleLink(BaseModel):
    """A help-center article offered by the bot."""

    title: str
    url: str
    snippet: str | None = Field(None, description="HTML-escaped text with <mark> around matching words")


class BotReply(BaseModel):
    """The bot's reply to one visitor message; once the conversation is handed off, the system's
    acknowledgement that the team has the message (``handed_off``) instead."""

    id: int
    type: Literal["answer", "clarify", "suggest", "handoff"]
    sender: Literal["bot", "system"] = Field(
        "bot", description='"system" for the acknowledgement of a message sent to the team after a handoff'
    )
    handed_off: bool = Field(
        False,
        description="the conversation is with the team (handed off, perhaps from another tab): the message went "
        "to them, this reply acknowledges it, and their replies come as messages (poll or event stream); no "
        "handoff form to show",
    )
    text: str
    html: str = Field(description="sanitised HTML of text (Markdown rendered, then cleaned by nh3)")
    intent: str | None = None
    confidence: float | None = None
    options: list[Option] = []
    articles: list[ArticleLink] = []
    visitor_message_id: int
    ask_feedback: bool = Field(False, description=ASK_FEEDBACK)
    offer_handoff: bool = Field(False, description=OFFER_HANDOFF)

    @classmethod
    def of(cls, shown: MessageView, visitor_message_id: int) -> BotReply:
        """From the stored bot turn, or the system's acknowledgement after a handoff (a "handoff" reply, as
        widgets before ``handed_off`` expect)."""
        message = shown.message
        to_team = message.sender is Sender.system
        return cls(
            id=message.id or 0,
            sender="system" if to_team else "bot",
            handed_off=to_team,
            ask_feedback=shown.ask_feedback,
            offer_handoff=shown.offer_handoff,
            type=message.decision or "handoff",  # type: ignore[arg-type,unused-ignore]
            text=message.text,
            html=message.html,
            intent=message.intent,
            confidence=message.confidence,
            options=[Option(intent=o["intent"], label=o["label"]) for o in message.options],
            articles=[ArticleLink(**_link(a)) for a in message.articles],
            visitor_message_id=visitor_message_id,
        )


def _link(article: dict[str, Any]) -> dict[str, Any]:
    return {k: article.get(k) for k in ("title", "url", "snippet")}


class MessageOut(BaseModel):
    """A message as the visitor sees it (agent replies, system notices, and the chat so far)."""

    id: int
    sender: Literal["visitor", "bot", "agent", "system"]
    text: str
    html: str
    created_at: datetime
    type: str | None = Field(None, description="the bot's decision, for bot messages")
    options: list[Option] = []
    articles: list[ArticleLink] = []
    ask_feedback: bool = Field(False, description=ASK_FEEDBACK)
    offer_handoff: bool = Field(False, description=OFFER_HANDOFF)
    helpful: bool | None = Field(None, description="the visitor's vote on a bot answer, once given")
    rating: int | None = Field(
        None, description='on the "resolved" notice: the visitor\'s rating of the conversation (1–5), once given'
    )

    @classmethod
    def of(cls, shown: MessageView) -> MessageOut:
        """From the stored message and what the widget does with it."""
        message = shown.message
        return cls(
            id=message.id or 0,
            ask_feedback=shown.ask_feedback,
            offer_handoff=shown.offer_handoff,
            helpful=message.helpful if message.sender is Sender.bot else None,
            rating=shown.rating,
            sender=message.sender.value,  # type: ignore[arg-type,unused-ignore]
            text=message.text,
            html=message.html,
            created_at=message.created_at,
            type=message.decision,
            options=[Option(intent=o["intent"], label=o["label"]) for o in message.options],
            articles=[ArticleLink(**_link(a)) for a in message.articles],
        )


class FeedbackIn(BaseModel):
    """Whether a bot answer helped."""

    model_config = ConfigDict(extra="forbid")

    message_id: RowIdField
    helpful: bool


class SeenIn(BaseModel):
    """The widget has shown the visitor every message up to this id (agent replies then count as seen)."""

    model_config = ConfigDict(extra="forbid")

    message_id: RowIdField


class HandoffIn(BaseModel):
    """The visitor asks for a person; the email is needed to reply when they have left."""

    model_config = ConfigDict(extra="forbid")

    # The shape is checked by the service, which says what is wrong in the visitor's language next to the
    # field (``fields`` of the 422); the schema documents the same pattern for clients and fuzzers.
    email: str = Field(max_length=254, json_schema_extra={"pattern": r"^\s*(?:" + EMAIL.pattern[1:-1] + r")\s*$"})
    name: str | None = Field(None, max_length=200)
    message: str | None = Field(None, max_length=4000)


class HandoffOut(BaseModel):
    """The handoff ticket as the visitor may see it."""

    id: int
    status: str
    outside_hours: bool


class RatingIn(BaseModel):
    """The visitor's rating of the conversation."""

    model_config = ConfigDict(extra="forbid")

    score: int = Field(ge=1, le=5)
    comment: str | None = Field(None, max_length=2000)
