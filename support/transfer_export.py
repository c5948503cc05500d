"""Writing a faqdesk export: every record of the content and the conversation history, in id order.

The order is the database's insertion order, and an import inserts in file order, so exporting an
imported database gives the same lines again (only the header's ``exported_at`` differs).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import CompoundSelect, func, union
from sqlmodel import Session, SQLModel, col, select

from core.accounts import User
from core.clock import as_utc
from helpcenter.models import Article, ArticleRevision, ArticleVote, Category, MediaFile, SlugRedirect
from support.appearance import WidgetAppearance
from support.models import CannedReply, Conversation, FaqIntent, Handoff, Message, Rating, utcnow
from support.transfer_records import (
    FORMAT,
    AppearanceRecord,
    ArticleRecord,
    CannedRecord,
    CategoryRecord,
    ConversationRecord,
    HandoffRecord,
    Header,
    IntentRecord,
    MediaRecord,
    MessageRecord,
    RatingRecord,
    RedirectRecord,
    RevisionRecord,
    UserRecord,
    VoteRecord,
    dump,
)

BATCH = 200  # conversations read (with their messages) per round trip


def export_lines(session: Session, *, now: datetime | None = None) -> Iterator[str]:
    """The export, line by line (without newlines): the header, then the records."""
    users = _referenced_users(session)
    counts = {
        "user": len(users),
        "media": _count(session, MediaFile),
        "category": _count(session, Category),
        "article": _count(session, Article),
        "intent": _count(session, FaqIntent),
        "canned": _count(session, CannedReply),
        "appearance": _count(session, WidgetAppearance),
        "conversation": _count(session, Conversation),
    }
    yield dump(Header(kind="faqdesk-export", format=FORMAT, exported_at=as_utc(now or utcnow()), counts=counts))
    emails = {user.id: user.email for user in users}
    for user in users:
        yield dump(UserRecord(email=user.email, name=user.name, role=user.role))
    for media in session.exec(select(MediaFile).order_by(col(MediaFile.id))):
        yield dump(MediaRecord(**_columns(media, skip={"id"})))
    slugs: dict[int | None, str | None] = {None: None}
    for category in session.exec(select(Category).order_by(col(Category.id))):
        slugs[category.id] = category.slug
        yield dump(CategoryRecord(**_columns(category, skip={"id"})))
    for article in session.exec(select(Article).order_by(col(Article.id))).all():
        yield dump(_article(session, article, category=slugs[article.category_id]))
    for intent in session.exec(select(FaqIntent).order_by(col(FaqIntent.position), col(FaqIntent.id))):
        values = _columns(intent, skip={"kind"})
        yield dump(IntentRecord(intent_kind=intent.kind, **values))
    for canned in session.exec(select(CannedReply).order_by(col(CannedReply.id))):
        yield dump(CannedRecord(**_columns(canned, skip={"id"})))
    for look in session.exec(select(WidgetAppearance)):
        yield dump(AppearanceRecord(**_columns(look, skip={"id"})))
    ids = session.exec(select(Conversation.id).order_by(col(Conversation.created_at), col(Conversation.id))).all()
    for start in range(0, len(ids), BATCH):
        yield from (dump(record) for record in _conversations(session, ids[start : start + BATCH], emails))


def _count(session: Session, table: type[SQLModel]) -> int:
    return session.exec(select(func.count()).select_from(table)).one()


def _referenced_users(session: Session) -> Sequence[User]:
    """The users that messages and handoffs name (agents who replied, were assigned or resolved)."""
    ids: CompoundSelect = union(
        select(Message.author_id).where(col(Message.author_id).is_not(None)),
        select(Handoff.assignee_id).where(col(Handoff.assignee_id).is_not(None)),
        select(Handoff.resolved_by).where(col(Handoff.resolved_by).is_not(None)),
    )
    return session.exec(select(User).where(col(User.id).in_(ids)).order_by(col(User.email))).all()


def _columns(row: SQLModel, *, skip: set[str]) -> dict[str, Any]:
    """The row's column values by name, times in UTC (SQLite returns them without a zone)."""
    values = {}
    for name in type(row).__table__.columns.keys():  # type: ignore[attr-defined]
        if name in skip:
            continue
        value = getattr(row, name)
        values[name] = as_utc(value) if isinstance(value, datetime) else value
    return values


def _article(session: Session, article: Article, *, category: str | None) -> ArticleRecord:
    revisions = session.exec(
        select(ArticleRevision).where(ArticleRevision.article_id == article.id).order_by(col(ArticleRevision.number))
    ).all()
    redirects = session.exec(
        select(SlugRedirect).where(SlugRedirect.article_id == article.id).order_by(col(SlugRedirect.id))
    ).all()
    votes = session.exec(
        select(ArticleVote).where(ArticleVote.article_id == article.id).order_by(col(ArticleVote.id))
    ).all()
    return ArticleRecord(
        **_columns(article, skip={"id", "category_id"}),
        category=category,
        revisions=[RevisionRecord(**_columns(r, skip={"id", "article_id"})) for r in revisions],
        redirects=[RedirectRecord(locale=r.locale, old_slug=r.old_slug) for r in redirects],
        votes=[VoteRecord(**_columns(v, skip={"id", "article_id"})) for v in votes],
    )


def _conversations(session: Session, ids: Sequence[str], emails: dict[int | None, str]) -> Iterator[ConversationRecord]:
    conversations = {c.id: c for c in session.exec(select(Conversation).where(col(Conversation.id).in_(ids)))}
    messages: dict[str, list[Message]] = defaultdict(list)
    for message in session.exec(select(Message).where(col(Message.conversation_id).in_(ids)).order_by(col(Message.id))):
        messages[message.conversation_id].append(message)
    handoffs = {
        h.conversation_id: h for h in session.exec(select(Handoff).where(col(Handoff.conversation_id).in_(ids)))
    }
    ratings = {r.conversation_id: r for r in session.exec(select(Rating).where(col(Rating.conversation_id).in_(ids)))}
    for cid in ids:
        handoff, rating = handoffs.get(cid), ratings.get(cid)
        yield ConversationRecord(
            **_columns(conversations[cid], skip=set()),
            messages=_messages(messages[cid], emails),
            handoff=None if handoff is None else _handoff(handoff, emails),
            rating=None if rating is None else RatingRecord(**_columns(rating, skip={"id", "conversation_id"})),
        )


def _messages(messages: list[Message], emails: dict[int | None, str]) -> list[MessageRecord]:
    index = {message.id: i for i, message in enumerate(messages)}
    # The outbox is not exported: the id of a reply's email would name nothing (or another row) elsewhere.
    skip = {"id", "conversation_id", "author_id", "reply_to", "email_outbox_id"}
    return [
        MessageRecord(
            **_columns(m, skip=skip),
            author=emails.get(m.author_id),
            # A turn answers a message of its own conversation; one that points elsewhere loses the link.
            reply_to=index.get(m.reply_to),
        )
        for m in messages
    ]


def _handoff(handoff: Handoff, emails: dict[int | None, str]) -> HandoffRecord:
    return HandoffRecord(
        **_columns(handoff, skip={"conversation_id", "assignee_id", "resolved_by"}),
        assignee=emails.get(handoff.assignee_id),
        resolved_by=emails.get(handoff.resolved_by),
    )
