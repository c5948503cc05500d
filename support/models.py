"""Support tables: conversations and their messages (bot turns included), handoffs, ratings, outbox.

Times are timezone-aware UTC. Message ids only grow, so ``?after=<id>`` pages through new messages.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, Integer, LargeBinary, Text
from sqlmodel import Field, SQLModel

from core.clock import utcnow


class Sender(StrEnum):
    """Who wrote a message."""

    visitor = "visitor"
    bot = "bot"
    agent = "agent"
    system = "system"


class Outcome(StrEnum):
    """A closed conversation's final outcome (DESIGN.md section 3)."""

    resolved_confirmed = "resolved_confirmed"
    resolved_assumed = "resolved_assumed"
    handed_off = "handed_off"
    unresolved = "unresolved"
    no_question = "no_question"


class CloseReason(StrEnum):
    """Why a conversation closed."""

    handoff = "handoff"
    ended = "ended"  # the visitor ended it explicitly
    inactive = "inactive"  # no visitor message for FAQDESK_RESOLUTION_WINDOW


class HandoffStatus(StrEnum):
    """Where a handoff ticket is in the agents' work."""

    open = "open"
    assigned = "assigned"
    resolved = "resolved"


class Conversation(SQLModel, table=True):
    """One chat in the widget. The visitor proves ownership with a bearer token (stored hashed)."""

    id: str = Field(primary_key=True, max_length=36)  # uuid4 hex: not guessable, safe in URLs
    token_hash: str = Field(max_length=64)
    locale: str = Field(max_length=16, index=True)
    page_url: str = Field(default="", max_length=2000)
    created_at: datetime = Field(default_factory=utcnow)
    # The conversation "starts" with the visitor's first message (DESIGN.md section 3).
    started_at: datetime | None = Field(default=None, index=True)
    last_visitor_at: datetime | None = None  # the visitor's last message (inactivity closes on this)
    visitor_seen_at: datetime | None = None  # the widget's last contact, polling included (is the visitor still there?)
    last_activity_at: datetime = Field(default_factory=utcnow, index=True)
    failures: int = 0  # consecutive turns the bot did not understand (the policy's state)
    has_question: bool = False  # a visitor message that was not small talk
    visitor_email: str | None = Field(default=None, max_length=254)
    visitor_name: str | None = Field(default=None, max_length=200)
    # Closing sets these once; the worker's job is idempotent because it only touches open ones.
    closed_at: datetime | None = Field(default=None, index=True)
    close_reason: CloseReason | None = None
    outcome: Outcome | None = Field(default=None, index=True)
    outcome_reason: str = Field(default="", max_length=300)  # why this outcome: shown in the dashboard


class Message(SQLModel, table=True):
    """One message. A bot message is a bot turn and records what the bot decided and why."""

    id: int | None = Field(default=None, primary_key=True)
    conversation_id: str = Field(foreign_key="conversation.id", index=True, ondelete="CASCADE")
    sender: Sender
    text: str = Field(default="", sa_column=Column(Text, nullable=False))
    html: str = Field(default="", sa_column=Column(Text, nullable=False))  # sanitised rendering of text
    created_at: datetime = Field(default_factory=utcnow, index=True)
    author_id: int | None = Field(default=None, foreign_key="account.id")  # the agent, for agent messages
    internal: bool = False  # an agent's note: never shown to the visitor
    # Bot turns (sender == bot):
    reply_to: int | None = None  # the visitor message this turn answers
    decision: str | None = Field(default=None, max_length=16, index=True)  # answer|clarify|suggest|handoff
    intent: str | None = Field(default=None, max_length=100, index=True)
    confidence: float | None = None
    locale: str | None = Field(default=None, max_length=16)  # the locale the message was classified in
    candidates: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    options: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    articles: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    model_version: str | None = Field(default=None, max_length=80)
    latency_ms: float | None = None
    counts_as_question: bool = True
    # Visitor feedback on a bot answer ("Did this help?").
    helpful: bool | None = None
    feedback_at: datetime | None = None
    # The learning loop: what an editor did with a misunderstood question (visitor messages).
    review: str | None = Field(default=None, max_length=16)  # added | dismissed
    # The answer-review sample (bot turns, support.review): drawn with probability sample_p when the turn
    # was made, reviewed in sample_key order; label is what the visitor asked (an intent id, "oos", or
    # "wrong" when the editor only knows the bot's reading was wrong).
    sample_p: float | None = None
    sample_key: float | None = Field(default=None, index=True)
    label: str | None = Field(default=None, max_length=100)
    labelled_at: datetime | None = None
    labelled_by: str | None = Field(default=None, max_length=254)
    # Agent replies (support.reply_delivery): when the visitor's widget showed the reply, when it is to be
    # emailed if still unseen (cleared once seen or emailed, so the worker's index holds only pending
    # replies), when it was queued as an email and which outbox item carries that email (whether it was
    # sent, is being retried or failed; no foreign key: the outbox is pruned on its own schedule). Never set
    # on other messages.
    seen_at: datetime | None = None
    email_due_at: datetime | None = Field(default=None, index=True)
    emailed_at: datetime | None = None
    email_outbox_id: int | None = None


class Handoff(SQLModel, table=True):
    """A conversation handed to a person: the agents' ticket."""

    # A ticket's number is in the agent's open page and its reply form: SQLite would hand a deleted
    # newest ticket's number to the next one, and a reply to the old one would reach another visitor.
    __table_args__ = {"sqlite_autoincrement": True}

    id: int | None = Field(default=None, primary_key=True)
    conversation_id: str = Field(foreign_key="conversation.id", unique=True, ondelete="CASCADE")
    status: HandoffStatus = Field(default=HandoffStatus.open, index=True)
    email: str = Field(max_length=254)
    name: str | None = Field(default=None, max_length=200)
    message: str | None = Field(default=None, max_length=4000)
    locale: str = Field(max_length=16, index=True)
    tags: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    top_intent: str | None = Field(default=None, max_length=100)  # the bot's best guess
    assignee_id: int | None = Field(default=None, foreign_key="account.id", index=True)
    outside_hours: bool = False  # created outside business hours: the visitor was told to expect email
    created_at: datetime = Field(default_factory=utcnow, index=True)
    first_response_at: datetime | None = None
    resolved_at: datetime | None = Field(default=None, index=True)
    resolved_by: int | None = Field(default=None, foreign_key="account.id")
    reopened: int = 0
    agent_replies: int = 0


class Rating(SQLModel, table=True):
    """The visitor's rating of the conversation (CSAT)."""

    id: int | None = Field(default=None, primary_key=True)
    conversation_id: str = Field(foreign_key="conversation.id", unique=True, ondelete="CASCADE")
    score: int = Field(ge=1, le=5)
    comment: str | None = Field(default=None, max_length=2000)
    created_at: datetime = Field(default_factory=utcnow)


class OutboxKind(StrEnum):
    """What an outbox item delivers."""

    email = "email"
    webhook = "webhook"


class OutboxItem(SQLModel, table=True):
    """An email or webhook to deliver; the worker sends it, retrying with backoff."""

    __tablename__ = "outbox"

    id: int | None = Field(default=None, primary_key=True)
    kind: OutboxKind = Field(index=True)
    target: str = Field(max_length=2000)  # email address or URL
    event: str = Field(default="", max_length=60)  # e.g. handoff.created, agent.reply
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(default_factory=utcnow)
    next_attempt_at: datetime = Field(default_factory=utcnow, index=True)
    attempts: int = 0
    delivered_at: datetime | None = Field(default=None, index=True)
    failed_at: datetime | None = None  # gave up after the last retry
    last_error: str = Field(default="", max_length=1000)


class JobStatus(StrEnum):
    """A queued job's state."""

    queued = "queued"
    running = "running"
    done = "done"
    failed = "failed"


class TrainingJob(SQLModel, table=True):
    """A queued retrain; the worker runs it, never a request."""

    __tablename__ = "training_job"

    id: int | None = Field(default=None, primary_key=True)
    status: JobStatus = Field(default=JobStatus.queued, index=True)
    requested_by: str = Field(default="", max_length=254)
    reason: str = Field(default="", max_length=300)
    created_at: datetime = Field(default_factory=utcnow)
    started_at: datetime | None = None
    heartbeat_at: datetime | None = None  # a running job whose heartbeat stops was killed
    attempts: int = 0  # claims so far: a job whose worker died is claimed again (support.training)
    finished_at: datetime | None = None
    model_version: str | None = Field(default=None, max_length=80)
    error: str = Field(default="", max_length=2000)


class ActiveModel(SQLModel, table=True):
    """The model version every app process should serve (one row); processes poll it."""

    __tablename__ = "active_model"

    id: int = Field(default=1, primary_key=True)
    version: str = Field(max_length=80)
    activated_at: datetime = Field(default_factory=utcnow)


class ModelFile(SQLModel, table=True):
    """A trained model version as stored files (``bot.store``): written once by whoever trained it, fetched
    by every app process that does not have it on its own disk (support.model_files)."""

    __tablename__ = "model_file"

    version: str = Field(primary_key=True, max_length=80)
    meta: str = Field(sa_column=Column(Text, nullable=False))  # meta.json: format, intents, locales, figures
    content: bytes = Field(sa_column=Column(LargeBinary, nullable=False))  # model.npz as saved
    size: int
    sha256: str = Field(max_length=64)  # of content: a fetched copy is checked before it is used
    created_at: datetime = Field(default_factory=utcnow)


# Optimistic locking (core.versions): every UPDATE of an intent is an edit and raises its version.
_INTENT_VERSION = Column("version", Integer, nullable=False)


class FaqIntent(SQLModel, table=True):
    """An FAQ intent as editors maintain it in the back office; training reads these rows.

    Mirrors the faqdesk YAML shape (bot.data.Intent): examples and answers per locale.
    """

    __tablename__ = "faq_intent"
    __mapper_args__ = {"version_id_col": _INTENT_VERSION}

    id: str = Field(primary_key=True, max_length=100)  # [a-z0-9_]+, stable
    kind: str = Field(default="faq", max_length=16)  # faq | smalltalk | handoff
    article: str | None = Field(default=None, max_length=200)
    examples: dict[str, list[str]] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    answers: dict[str, str] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    # The question a "Did you mean …?" button shows, per locale (migration 0012).
    titles: dict[str, str] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False, server_default="{}"))
    position: int = 0  # file order, kept so an export reads like the import
    updated_at: datetime = Field(default_factory=utcnow)
    updated_by: str = Field(default="", max_length=254)
    version: int = Field(default=1, sa_column=_INTENT_VERSION)


# Optimistic locking (core.versions): every UPDATE of a canned reply is an edit and raises its version.
_CANNED_VERSION = Column("version", Integer, nullable=False)


class CannedReply(SQLModel, table=True):
    """A reply agents insert into a ticket's reply box and edit before sending, in one locale; its body may
    name placeholders (``{visitor_name}``…, support.canned) filled in from the ticket."""

    __tablename__ = "canned_reply"
    __mapper_args__ = {"version_id_col": _CANNED_VERSION}

    id: int | None = Field(default=None, primary_key=True)
    title: str = Field(max_length=200)
    shortcut: str = Field(default="", max_length=50)  # typed in the picker's search box, e.g. "refund"
    locale: str = Field(max_length=16, index=True)
    body: str = Field(sa_column=Column(Text, nullable=False))
    updated_at: datetime = Field(default_factory=utcnow)
    updated_by: str = Field(default="", max_length=254)
    version: int = Field(default=1, sa_column=_CANNED_VERSION)
