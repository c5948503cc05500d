"""Reading a faqdesk export into a database, as one transaction: the whole file or nothing.

The main case is an empty database (a move to another server, or from SQLite to PostgreSQL): every
record comes back as it was, with new row ids and every reference between records intact. A database
that already has content is refused unless ``merge`` is asked for; then records whose natural key
exists (a category's slug, an article's locale and slug, an intent's id, a conversation's id, an
image's stored name) are left alone and reported as skipped. Users are matched by email; one the
database lacks is created deactivated and without a usable password, so the history keeps its author.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Integer, func, text, update
from sqlalchemy.exc import DataError, IntegrityError
from sqlmodel import Session, SQLModel, select

from bot.problems import TrainingDataError
from core.accounts import User
from core.db import input_problem
from helpcenter import related, search
from helpcenter.models import Article, ArticleRevision, ArticleVote, Category, MediaFile, SlugRedirect
from support import intents as intent_service
from support import training
from support.appearance import WidgetAppearance
from support.conversations import message_html
from support.models import CannedReply, Conversation, FaqIntent, Handoff, Message, Rating
from support.transfer_records import (
    AppearanceRecord,
    ArticleRecord,
    CannedRecord,
    CategoryRecord,
    ConversationRecord,
    IntentRecord,
    MediaRecord,
    Parsed,
    TransferError,
    UserRecord,
)

IMPORTED_BY = "faqdesk import"
UNUSABLE_PASSWORD = "!imported"  # never parses as a hash, so it never matches a password
_INT_MAX = 2**31 - 1  # a PostgreSQL integer


@dataclass
class ImportReport:
    """What an import wrote, what it skipped (merge) and which users it had to create."""

    imported: dict[str, int] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)
    created_users: list[str] = field(default_factory=list)


def content_counts(session: Session) -> dict[str, int]:
    """How many records of each exported kind the database holds (users aside: they are not content)."""
    tables: dict[str, type[SQLModel]] = {
        "media": MediaFile,
        "category": Category,
        "article": Article,
        "intent": FaqIntent,
        "canned": CannedReply,
        "conversation": Conversation,
    }
    return {kind: session.exec(select(func.count()).select_from(table)).one() for kind, table in tables.items()}


def import_parsed(
    session: Session, parsed: Parsed, *, merge: bool = False, locales: Collection[str] | None = None
) -> ImportReport:
    """Write the records; the caller commits (and rolls back on any error, so nothing is half-written).
    ``locales``: the configured ones; articles and intents in others are refused (never shown, never trained)."""
    present = {kind: n for kind, n in content_counts(session).items() if n}
    if present and not merge:
        what = ", ".join(f"{n} {kind}" for kind, n in present.items())
        raise TransferError(
            f"the database already has content ({what}): import into an empty database "
            "(before the first `faqdesk serve`, which loads the demo content), or pass --merge "
            "to add only the records whose key is new"
        )
    writer = _Writer(session, merge=merge, locales=locales)
    for number, record in parsed.records:
        writer.write(number, record)
    session.flush()
    writer.finish()
    return writer.report


class _Writer:
    def __init__(self, session: Session, *, merge: bool, locales: Collection[str] | None) -> None:
        self.session, self.merge, self.locales = session, merge, locales
        self.report = ImportReport(imported={})
        self.users: dict[str, int] = {}
        self.categories: dict[str, int] = {c.slug: c.id for c in session.exec(select(Category)) if c.id is not None}
        self.intents_written = False
        self.ticket_numbers_kept = False

    def write(self, number: int, record: Any) -> None:
        kind = record.kind
        try:
            written = getattr(self, f"_{kind}")(number, record)
        except (IntegrityError, DataError) as exc:  # a key the file holds twice, say
            raise TransferError(f"line {number}: {input_problem(exc).detail}") from None
        if written:
            self.report.imported[kind] = self.report.imported.get(kind, 0) + 1

    def _skip(self, what: str) -> bool:
        self.report.skipped.append(what)
        return False

    def _add(self, number: int, row: SQLModel) -> None:
        _check_fits(row, number)
        self.session.add(row)

    def _user(self, number: int, record: UserRecord) -> bool:
        """Counted as imported only when created: a user the database has is matched by email."""
        user = self.session.exec(select(User).where(func.lower(User.email) == record.email.lower())).first()
        created = user is None
        if user is None:
            user = User(
                email=record.email, name=record.name, role=record.role, password_hash=UNUSABLE_PASSWORD, active=False
            )
            self._add(number, user)
            self.session.flush()
            self.report.created_users.append(record.email)
        assert user.id is not None
        self.users[record.email] = user.id
        return created

    def _user_id(self, email: str | None, number: int) -> int | None:
        if email is None:
            return None
        if email not in self.users:
            raise TransferError(f"line {number}: the user {email!r} has no user record before this line")
        return self.users[email]

    def _media(self, number: int, record: MediaRecord) -> bool:
        if self.merge and self._exists(MediaFile, MediaFile.stored_name == record.stored_name):
            return self._skip(f"media {record.stored_name} (exists)")
        self._add(number, MediaFile(**_fields(record)))
        return True

    def _category(self, number: int, record: CategoryRecord) -> bool:
        if record.slug in self.categories:
            if not self.merge:
                raise TransferError(f"line {number}: the category {record.slug!r} appears twice")
            return self._skip(f"category {record.slug} (exists)")
        category = Category(**_fields(record, skip={"version"}))
        self._add(number, category)
        self.session.flush()
        assert category.id is not None
        self.categories[record.slug] = category.id
        self._set_version(Category, category, record.version)
        return True

    def _article(self, number: int, record: ArticleRecord) -> bool:
        key = f"{record.locale}/{record.slug}"
        if self.locales is not None and record.locale not in self.locales:
            raise TransferError(
                f"line {number}: article {key} is in a locale this server is not configured for: add "
                f"{record.locale!r} to FAQDESK_LOCALES (now {','.join(self.locales)}) or leave it out of the file"
            )
        if self.merge and self._exists(Article, Article.locale == record.locale, Article.slug == record.slug):
            return self._skip(f"article {key} (exists)")
        if record.category is not None and record.category not in self.categories:
            raise TransferError(f"line {number}: article {key}: no category {record.category!r} before this line")
        values = _fields(record, skip={"category", "revisions", "redirects", "votes"})
        article = Article(**values, category_id=self.categories.get(record.category or ""))
        self._add(number, article)
        self.session.flush()
        assert article.id is not None
        for revision in record.revisions:
            self._add(number, ArticleRevision(article_id=article.id, **_fields(revision)))
        for redirect in record.redirects:
            taken = SlugRedirect.locale == redirect.locale, SlugRedirect.old_slug == redirect.old_slug
            if self.merge and self._exists(SlugRedirect, *taken):
                self.report.skipped.append(f"redirect {redirect.locale}/{redirect.old_slug} of {key} (exists)")
                continue
            self._add(number, SlugRedirect(article_id=article.id, **_fields(redirect)))
        for vote in record.votes:
            self._add(number, ArticleVote(article_id=article.id, **_fields(vote)))
        search.index(self.session, article=article)  # flushes
        return True

    def _intent(self, number: int, record: IntentRecord) -> bool:
        if self.merge and self.session.get(FaqIntent, record.id) is not None:
            return self._skip(f"intent {record.id} (exists)")
        intent = FaqIntent(kind=record.intent_kind, **_fields(record, skip={"intent_kind", "version"}))
        self._add(number, intent)
        self.session.flush()
        self._set_version(FaqIntent, intent, record.version)
        self.intents_written = True
        return True

    def _canned(self, number: int, record: CannedRecord) -> bool:
        taken = CannedReply.locale == record.locale, CannedReply.title == record.title
        if self.merge and self._exists(CannedReply, *taken):
            return self._skip(f"canned reply {record.locale}/{record.title} (exists)")
        reply = CannedReply(**_fields(record, skip={"version"}))
        self._add(number, reply)
        self.session.flush()
        self._set_version(CannedReply, reply, record.version)
        return True

    def _appearance(self, number: int, record: AppearanceRecord) -> bool:
        """The one row: the target's own (the defaults, or one set before a merge) is kept on a merge."""
        current = self.session.get(WidgetAppearance, 1)
        if current is not None and self.merge:
            return self._skip("the widget's appearance (set here already)")
        if current is not None:  # an empty database may still hold the defaults' row
            self.session.delete(current)
            self.session.flush()
        look = WidgetAppearance(id=1, **_fields(record, skip={"version"}))
        self._add(number, look)
        self.session.flush()
        self._set_version(WidgetAppearance, look, record.version)
        return True

    def _conversation(self, number: int, record: ConversationRecord) -> bool:
        if self.merge and self.session.get(Conversation, record.id) is not None:
            return self._skip(f"conversation {record.id} (exists)")
        self._add(number, Conversation(**_fields(record, skip={"messages", "handoff", "rating"})))
        self.session.flush()
        messages = []
        for message in record.messages:
            row = Message(
                conversation_id=record.id,
                author_id=self._user_id(message.author, number),
                # Rendered again, not taken from the file: it is served as HTML (widget, inbox), and a
                # file's markup is only as trustworthy as whoever edited it.
                html=message_html(message.sender, message.text),
                **_fields(message, skip={"author", "reply_to", "html"}),
            )
            self._add(number, row)
            messages.append(row)
        self.session.flush()  # ids first: a turn points at the message it answers
        for row, message in zip(messages, record.messages, strict=True):
            if message.reply_to is not None:
                if not 0 <= message.reply_to < len(messages):
                    raise TransferError(
                        f"line {number}: reply_to {message.reply_to} is not a message of this conversation"
                    )
                row.reply_to = messages[message.reply_to].id
        if record.handoff is not None:
            handoff = record.handoff
            values = _fields(handoff, skip={"id", "assignee", "resolved_by"})
            if handoff.id is not None and self.session.get(Handoff, handoff.id) is None:
                values["id"] = handoff.id
                self.ticket_numbers_kept = True
            elif handoff.id is not None:  # merge: the number is another ticket's here
                self.report.skipped.append(
                    f"ticket number #{handoff.id} of conversation {record.id} (taken: renumbered)"
                )
            self._add(
                number,
                Handoff(
                    conversation_id=record.id,
                    assignee_id=self._user_id(handoff.assignee, number),
                    resolved_by=self._user_id(handoff.resolved_by, number),
                    **values,
                ),
            )
        if record.rating is not None:
            self._add(number, Rating(conversation_id=record.id, **_fields(record.rating)))
        return True

    def _exists(self, table: type[SQLModel], *where: Any) -> bool:
        return self.session.exec(select(func.count()).select_from(table).where(*where)).one() > 0

    def _set_version(self, table: type[SQLModel], row: Any, version: int) -> None:
        """Keep the edit counter (the ORM starts a new row at 1): written past the mapper's versioning."""
        if version != row.version:
            pk = table.__table__.c.id  # type: ignore[attr-defined]
            self.session.execute(update(table.__table__).where(pk == row.id).values(version=version))  # type: ignore[attr-defined]
            self.session.expire(row, ["version"])

    def finish(self) -> None:
        """After the last record: the (merged) intents must train here, and a retrain is queued."""
        related.content_changed()
        if self.ticket_numbers_kept:
            move_sequence_past(self.session, Handoff)
        if not self.intents_written:
            return
        try:  # an intent in a locale this server lacks imported fine and then failed every retrain
            intent_service.training_data(self.session, locales=self.locales)
        except TrainingDataError as exc:
            problems = "; ".join(str(p) for p in exc.problems[:5])
            raise TransferError(f"the imported intents would not train here: {problems}") from None
        training.queue_training(self.session, requested_by=IMPORTED_BY, reason="intents imported")


def move_sequence_past(session: Session, table: type[SQLModel]) -> None:
    """After rows were written with their own ids: PostgreSQL's sequence would hand those ids out again
    (SQLite's AUTOINCREMENT counter follows the largest id by itself)."""
    bind = session.get_bind()
    if bind.dialect.name != "postgresql":
        return
    name = table.__tablename__
    session.execute(text(f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), (SELECT max(id) FROM {name}))"))


def _fields(record: Any, *, skip: Collection[str] = ()) -> dict[str, Any]:
    """A record's values as the row takes them (nested records and references left out)."""
    return {name: getattr(record, name) for name in type(record).model_fields if name not in {"kind", *skip}}


def _check_fits(row: SQLModel, number: int) -> None:
    """Refuse, with the line, what PostgreSQL would refuse (SQLite would keep it): over-long text, huge ints."""
    table = type(row).__table__  # type: ignore[attr-defined]
    for column in table.columns:
        value = getattr(row, column.key, None)
        length = getattr(column.type, "length", None)  # String and SQLModel's AutoString
        if isinstance(value, str) and length and len(value) > length:
            raise TransferError(f"line {number}: {table.name}.{column.key} is longer than {length} characters")
        if isinstance(value, int) and isinstance(column.type, Integer) and not -_INT_MAX - 1 <= value <= _INT_MAX:
            raise TransferError(f"line {number}: {table.name}.{column.key} is out of range ({value})")
