"""The records of a faqdesk export (JSON lines, format 1) as pydantic models, and reading them back.

One JSON object per line: first the header, then ``user``, ``media``, ``category``, ``article``,
``intent``, ``canned``, ``appearance`` and ``conversation`` records, each with its ``kind``. Records
refer to each other by natural keys (a category's slug, an agent's email, a message's place in its
conversation), never by database id. Times are ISO 8601 in UTC with microseconds; enums are their
values. Reading is strict: a wrong type, an unknown field or a missing one is an error that names the
line.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Annotated, Any, Literal, TypeVar

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, PlainSerializer
from pydantic import ValidationError as PydanticError

from core.accounts import Role
from core.clock import as_utc
from core.errors import ValidationError
from helpcenter.models import ArticleStatus
from support.models import CloseReason, HandoffStatus, Outcome, Sender

FORMAT = 1
HEADER_KIND = "faqdesk-export"
KINDS = ("user", "media", "category", "article", "intent", "canned", "appearance", "conversation")


class TransferError(ValidationError):
    """An export file that cannot be imported (or a database it cannot go into); nothing was written."""


Timestamp = Annotated[
    AwareDatetime,
    AfterValidator(as_utc),
    PlainSerializer(lambda moment: moment.isoformat(timespec="microseconds"), return_type=str),
]


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class Header(_Record):
    kind: Literal["faqdesk-export"]
    format: int
    exported_at: Timestamp
    counts: dict[str, int]


class UserRecord(_Record):
    """A back-office user that messages or handoffs refer to (by email); no password, sessions or tokens."""

    kind: Literal["user"] = "user"
    email: str
    name: str
    role: Role


class MediaRecord(_Record):
    """An uploaded image's row; the file itself is ``<data dir>/media/<stored_name>`` (copy the folder)."""

    kind: Literal["media"] = "media"
    stored_name: str
    original_name: str
    content_type: str
    size: int
    width: int | None
    height: int | None
    uploaded_by: str
    created_at: Timestamp


class CategoryRecord(_Record):
    kind: Literal["category"] = "category"
    slug: str
    position: int
    names: dict[str, str]
    descriptions: dict[str, str]
    version: int


class RevisionRecord(_Record):
    number: int
    title: str
    body: str
    tags: list[str]
    author: str
    created_at: Timestamp
    article_version: int | None


class RedirectRecord(_Record):
    locale: str
    old_slug: str


class VoteRecord(_Record):
    helpful: bool
    comment: str | None
    created_at: Timestamp


class ArticleRecord(_Record):
    """One article in one locale, its translations linked by ``translation_group``."""

    kind: Literal["article"] = "article"
    locale: str
    slug: str
    translation_group: str
    title: str
    body: str
    status: ArticleStatus
    category: str | None  # the category's slug
    author: str
    tags: list[str]
    intents: list[str]
    position: int
    views: int
    created_at: Timestamp
    updated_at: Timestamp
    published_at: Timestamp | None
    publish_at: Timestamp | None
    version: int
    revisions: list[RevisionRecord]
    redirects: list[RedirectRecord]
    votes: list[VoteRecord]


class IntentRecord(_Record):
    kind: Literal["intent"] = "intent"
    id: str
    intent_kind: str  # faq | smalltalk | handoff (the row's ``kind``)
    article: str | None
    examples: dict[str, list[str]]
    answers: dict[str, str]
    titles: dict[str, str] = {}  # absent from exports made before intents had titles
    position: int
    updated_at: Timestamp
    updated_by: str
    version: int


class CannedRecord(_Record):
    """A canned reply agents insert into tickets (absent from exports made before they were exported)."""

    kind: Literal["canned"] = "canned"
    title: str
    shortcut: str
    locale: str
    body: str
    updated_at: Timestamp
    updated_by: str
    version: int


class AppearanceRecord(_Record):
    """How the widget looks (one at most): colour, corner, titles, avatar (a media record's stored name)."""

    kind: Literal["appearance"] = "appearance"
    accent: str
    position: str
    titles: dict[str, str]
    avatar: str | None
    on_help_center: bool
    updated_at: Timestamp
    updated_by: str
    version: int


class MessageRecord(_Record):
    sender: Sender
    text: str
    html: str
    created_at: Timestamp
    author: str | None  # the agent's email
    internal: bool
    reply_to: int | None  # the index of the message answered, in this conversation's list
    decision: str | None
    intent: str | None
    confidence: float | None
    locale: str | None
    candidates: list[dict[str, Any]]
    options: list[dict[str, Any]]
    articles: list[dict[str, Any]]
    model_version: str | None
    latency_ms: float | None
    counts_as_question: bool
    helpful: bool | None
    feedback_at: Timestamp | None
    review: str | None
    sample_p: float | None
    sample_key: float | None
    label: str | None
    labelled_at: Timestamp | None
    labelled_by: str | None
    seen_at: Timestamp | None
    email_due_at: Timestamp | None
    emailed_at: Timestamp | None


class HandoffRecord(_Record):
    # The ticket number agents, emails ("ticket #12") and webhooks know it by: kept on import where free.
    id: int | None = None  # absent from exports made before tickets kept their numbers
    status: HandoffStatus
    email: str
    name: str | None
    message: str | None
    locale: str
    tags: list[str]
    top_intent: str | None
    assignee: str | None  # the agent's email
    outside_hours: bool
    created_at: Timestamp
    first_response_at: Timestamp | None
    resolved_at: Timestamp | None
    resolved_by: str | None  # the agent's email
    reopened: int
    agent_replies: int


class RatingRecord(_Record):
    score: int = Field(ge=1, le=5)
    comment: str | None
    created_at: Timestamp


class ConversationRecord(_Record):
    """A chat with everything in it: messages (bot turns, agent replies and notes), handoff, rating."""

    kind: Literal["conversation"] = "conversation"
    id: str
    token_hash: str  # the visitor's token digest: they can still open and delete their conversation
    locale: str
    page_url: str
    created_at: Timestamp
    started_at: Timestamp | None
    last_visitor_at: Timestamp | None
    visitor_seen_at: Timestamp | None
    last_activity_at: Timestamp
    failures: int
    has_question: bool
    visitor_email: str | None
    visitor_name: str | None
    closed_at: Timestamp | None
    close_reason: CloseReason | None
    outcome: Outcome | None
    outcome_reason: str
    messages: list[MessageRecord]
    handoff: HandoffRecord | None
    rating: RatingRecord | None


_M = TypeVar("_M", bound=_Record)
Record = (
    UserRecord
    | MediaRecord
    | CategoryRecord
    | ArticleRecord
    | IntentRecord
    | CannedRecord
    | AppearanceRecord
    | ConversationRecord
)
_MODELS: dict[str, type[_Record]] = {
    "user": UserRecord,
    "media": MediaRecord,
    "category": CategoryRecord,
    "article": ArticleRecord,
    "intent": IntentRecord,
    "canned": CannedRecord,
    "appearance": AppearanceRecord,
    "conversation": ConversationRecord,
}


def dump(record: _Record) -> str:
    """One line of the export (without the newline); text stays unescaped UTF-8."""
    return record.model_dump_json()


@dataclass(frozen=True)
class Parsed:
    """An export read and validated: its header and every record with the line it came from."""

    header: Header
    records: list[tuple[int, Record]]


def is_export(first_line: str) -> bool:
    """Whether a file's first line is a faqdesk export header (any format): for choosing an importer."""
    try:
        value = _json(first_line, 1)
    except TransferError:
        return False
    return isinstance(value, dict) and value.get("kind") == HEADER_KIND


def parse(lines: Iterable[str]) -> Parsed:
    """Read an export, checking every line; ``TransferError`` names the first bad line."""
    numbered = iter(enumerate(lines, start=1))
    header = _header(next(numbered, (1, "")))
    records: list[tuple[int, Record]] = []
    seen = dict.fromkeys(KINDS, 0)
    for number, line in _skip_blank(numbered):
        value = _json(line, number)
        kind = value.get("kind") if isinstance(value, dict) else None
        model = _MODELS.get(kind) if isinstance(kind, str) else None
        if model is None:
            known = ", ".join(KINDS)
            raise TransferError(f"line {number}: unknown record kind {kind!r} (known: {known})")
        records.append((number, _validate(model, line, number)))  # type: ignore[arg-type]
        seen[kind] += 1  # type: ignore[index]
    for kind, expected in header.counts.items():
        if seen.get(kind, 0) != expected:
            raise TransferError(
                f"the file holds {seen.get(kind, 0)} {kind} records, its header says {expected}: "
                "it was cut short or edited"
            )
    return Parsed(header=header, records=records)


def _header(first: tuple[int, str]) -> Header:
    number, line = first
    value = _json(line, number) if line.strip() else None
    if not isinstance(value, dict) or value.get("kind") != HEADER_KIND:
        raise TransferError(f"line {number}: not a faqdesk export (the first line is not its header)")
    if value.get("format") != FORMAT:
        raise TransferError(
            f"line {number}: export format {value.get('format')!r} is not one this version reads ({FORMAT})"
        )
    header = _validate(Header, line, number)
    unknown = set(header.counts) - set(KINDS)
    if unknown:
        raise TransferError(f"line {number}: the header counts unknown kinds: {', '.join(sorted(unknown))}")
    return header


def _skip_blank(numbered: Iterator[tuple[int, str]]) -> Iterator[tuple[int, str]]:
    return ((number, line) for number, line in numbered if line.strip())


def _json(line: str, number: int) -> Any:
    try:
        value = json.loads(line)
    except ValueError as exc:
        raise TransferError(f"line {number}: not JSON ({exc})") from None
    if _has_nul(value):
        raise TransferError(f"line {number}: text must not contain NUL characters (\\u0000)")
    return value


def _has_nul(value: object) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False


def _validate(model: type[_M], line: str, number: int) -> _M:
    try:
        return model.model_validate_json(line)
    except PydanticError as exc:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in error['loc']) or 'record'}: {error['msg']}" for error in exc.errors()[:5]
        )
        raise TransferError(f"line {number}: {problems}") from None
