"""The dashboard's figures (DESIGN.md section 3), each with the definition shown under it.

Every figure is computed over the conversations that *started* (the visitor's first message) on a day
in [start, end], days taken in the configured timezone; the backlog is the only "right now" figure.
Days are bucketed in Python rather than SQL so SQLite and PostgreSQL agree to the second, daylight
saving included. A rate whose base is empty is ``None`` (shown as "—"), never a division by zero.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import case, distinct, func
from sqlalchemy import select as sa_select
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, col, select

from core.accounts import User
from core.errors import ValidationError
from helpcenter.models import Article, ArticleVote, HelpcenterSession, SearchMiss
from support.figure_math import business_minutes, minutes, percentile, rate
from support.hours import BusinessHours
from support.metric_definitions import DAILY_DEFINITIONS, FIGURES, TABLES, TOP, Cell, Figure, Table
from support.models import Conversation, Handoff, HandoffStatus, Message, Outcome, Rating, Sender, utcnow
from support.privacy import mask_personal

__all__ = ["DAILY_DEFINITIONS", "Day", "Figure", "Metrics", "Table", "compute", "percentile"]

MAX_DAYS = 366
RESOLVED = (Outcome.resolved_confirmed, Outcome.resolved_assumed)
WITH_QUESTION = (*RESOLVED, Outcome.handed_off, Outcome.unresolved)


@dataclass(frozen=True)
class Day:
    """One local day of the daily series."""

    day: date
    conversations: int
    with_question: int
    resolved: int
    handed_off: int
    ratings: int
    satisfied: int

    @property
    def automated_resolution_rate(self) -> float | None:
        """Resolved by the bot / conversations with a question that day."""
        return rate(self.resolved, self.with_question)

    @property
    def handoff_rate(self) -> float | None:
        """Handed off / conversations with a question that day."""
        return rate(self.handed_off, self.with_question)

    @property
    def csat(self) -> float | None:
        """Ratings of 4 or 5 / all ratings that day."""
        return rate(self.satisfied, self.ratings)


@dataclass(frozen=True)
class Metrics:
    """Every figure for one date range and locale filter."""

    start: date
    end: date
    locale: str | None
    timezone: str
    generated_at: datetime
    figures: dict[str, Figure]
    tables: dict[str, Table]
    daily: list[Day] = field(default_factory=list)

    def __getitem__(self, key: str) -> Figure:
        return self.figures[key]

    def value(self, key: str) -> int | float | None:
        """A figure's value."""
        return self.figures[key].value

    def sections(self) -> list[tuple[str, list[Figure]]]:
        """Figures grouped by section, in order."""
        grouped: dict[str, list[Figure]] = {}
        for figure in self.figures.values():
            grouped.setdefault(figure.section, []).append(figure)
        return list(grouped.items())


def zone(tz: str) -> ZoneInfo:
    """The timezone by IANA name, or a ValidationError."""
    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValidationError(f"unknown timezone {tz!r}") from exc


def check_range(start: date, end: date) -> None:
    """Refuse reversed or overlong ranges with a message."""
    if start > end:
        raise ValidationError(f"the start date {start.isoformat()} is after the end date {end.isoformat()}")
    if (end - start).days + 1 > MAX_DAYS:
        raise ValidationError(f"a range may span at most {MAX_DAYS} days")


def utc_bounds(start: date, end: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """[from, to) in UTC for local days start..end inclusive."""
    low = datetime.combine(start, time.min, tzinfo=tz).astimezone(UTC)
    high = datetime.combine(end + timedelta(days=1), time.min, tzinfo=tz).astimezone(UTC)
    return low, high


def compute(
    session: Session,
    *,
    start: date,
    end: date,
    locale: str | None,
    tz: str,
    now: datetime | None = None,
    hours: BusinessHours | None = None,
) -> Metrics:
    """Every DESIGN.md section 3 figure for conversations started on local days start..end; ``hours``, the
    configured business hours, gives the response times counted in them too."""
    check_range(start, end)
    zi = zone(tz)
    now = now or utcnow()
    low, high = utc_bounds(start, end, zi)

    def local_day(moment: datetime) -> date:
        return moment.astimezone(zi).date()

    in_range: list[ColumnElement[bool]] = [
        col(Conversation.started_at).is_not(None),
        col(Conversation.started_at) >= low,
        col(Conversation.started_at) < high,
    ]
    if locale:
        in_range.append(col(Conversation.locale) == locale)

    conversations = session.exec(select(Conversation.started_at, Conversation.outcome).where(*in_range)).all()
    outcomes: Counter[str | None] = Counter(outcome for _started, outcome in conversations)
    days = {start + timedelta(days=i): _DayCount() for i in range((end - start).days + 1)}
    for started, outcome in conversations:
        assert started is not None
        days[local_day(started)].add_conversation(outcome)

    ratings = session.exec(
        select(Conversation.started_at, Conversation.outcome, Rating.score)
        .join(Conversation, col(Conversation.id) == col(Rating.conversation_id))
        .where(*in_range)
    ).all()
    for started, _outcome, score in ratings:
        assert started is not None
        days[local_day(started)].add_rating(score)

    handoffs = session.exec(
        select(Handoff).join(Conversation, col(Conversation.id) == col(Handoff.conversation_id)).where(*in_range)
    ).all()

    values = _conversation_values(outcomes)
    values |= _handoff_values(handoffs, hc_sessions=_helpcenter_sessions(session, low, high, locale), hours=hours)
    values["backlog"] = _backlog(session, locale)
    values |= _csat_values(ratings)
    values["search_misses"] = _search_miss_total(session, low, high, locale)
    figures = {d.key: Figure(d.key, d.section, d.label, values[d.key], d.unit, d.definition) for d in FIGURES}
    rows = _table_rows(session, in_range=in_range, handoffs=handoffs, low=low, high=high, locale=locale)
    tables = {d.key: Table(d.key, d.label, d.definition, d.columns, rows[d.key]) for d in TABLES}
    daily = [day.freeze(d) for d, day in days.items()]
    return Metrics(start, end, locale, tz, now, figures, tables, daily)


@dataclass
class _DayCount:
    conversations: int = 0
    with_question: int = 0
    resolved: int = 0
    handed_off: int = 0
    ratings: int = 0
    satisfied: int = 0

    def add_conversation(self, outcome: str | None) -> None:
        self.conversations += 1
        self.with_question += outcome in WITH_QUESTION
        self.resolved += outcome in RESOLVED
        self.handed_off += outcome == Outcome.handed_off

    def add_rating(self, score: int) -> None:
        self.ratings += 1
        self.satisfied += score >= 4

    def freeze(self, day: date) -> Day:
        return Day(
            day, self.conversations, self.with_question, self.resolved, self.handed_off, self.ratings, self.satisfied
        )


Value = int | float | None


def _conversation_values(outcomes: Counter[str | None]) -> dict[str, Value]:
    with_question = sum(outcomes[o] for o in WITH_QUESTION)
    confirmed, assumed = outcomes[Outcome.resolved_confirmed], outcomes[Outcome.resolved_assumed]
    resolved = confirmed + assumed
    handed_off, unresolved = outcomes[Outcome.handed_off], outcomes[Outcome.unresolved]
    return {
        "conversations": sum(outcomes.values()),
        "open_conversations": outcomes[None],
        "with_question": with_question,
        "no_question": outcomes[Outcome.no_question],
        "automated_resolution_rate": rate(resolved, with_question),
        "confirmed_share": rate(confirmed, resolved),
        "resolved_confirmed": confirmed,
        "resolved_assumed": assumed,
        "handoff_rate": rate(handed_off, with_question),
        "handed_off": handed_off,
        "unresolved": unresolved,
        "unresolved_rate": rate(unresolved, with_question),
    }


def _handoff_values(handoffs: Sequence[Handoff], *, hc_sessions: int, hours: BusinessHours | None) -> dict[str, Value]:
    replied = [h for h in handoffs if h.first_response_at is not None]
    resolved = [h for h in handoffs if h.resolved_at is not None]
    first = [minutes(h.first_response_at, h.created_at) for h in replied if h.first_response_at]
    resolution = [minutes(h.resolved_at, h.created_at) for h in resolved if h.resolved_at]
    one_touch = sum(1 for h in resolved if h.agent_replies == 1)
    values: dict[str, Value] = {
        "helpcenter_sessions": hc_sessions,
        "handoffs": len(handoffs),
        "self_service_score": rate(hc_sessions, len(handoffs)),
        "first_response_median": percentile(first, 0.5),
        "first_response_p90": percentile(first, 0.9),
        "resolution_median": percentile(resolution, 0.5),
        "resolution_p90": percentile(resolution, 0.9),
        "handoffs_resolved": len(resolved),
        "one_touch_resolutions": one_touch,
        "one_touch_rate": rate(one_touch, len(resolved)),
    }
    # The same clocks stopped outside business hours (none configured: nothing to stop at, no figure).
    hours = hours if hours is not None and hours.ever_open else None
    first_open = [business_minutes(hours, h.created_at, h.first_response_at) for h in replied] if hours else []
    resolution_open = [business_minutes(hours, h.created_at, h.resolved_at) for h in resolved] if hours else []
    values |= {
        "first_response_business_median": percentile(first_open, 0.5),
        "first_response_business_p90": percentile(first_open, 0.9),
        "resolution_business_median": percentile(resolution_open, 0.5),
        "resolution_business_p90": percentile(resolution_open, 0.9),
    }
    return values


def _csat_values(ratings: Iterable[tuple[datetime | None, str | None, int]]) -> dict[str, Value]:
    groups: dict[str, list[int]] = defaultdict(list)
    for _started, outcome, score in ratings:
        groups["all"].append(score)
        if outcome in RESOLVED:
            groups["bot"].append(score)
        elif outcome == Outcome.handed_off:
            groups["agent"].append(score)

    def share(scores: list[int]) -> float | None:
        return rate(sum(1 for score in scores if score >= 4), len(scores))

    return {
        "csat_bot": share(groups["bot"]),
        "ratings_bot": len(groups["bot"]),
        "csat_agent": share(groups["agent"]),
        "ratings_agent": len(groups["agent"]),
        "csat_all": share(groups["all"]),
    }


def _helpcenter_sessions(session: Session, low: datetime, high: datetime, locale: str | None) -> int:
    query = select(func.count()).where(
        col(HelpcenterSession.started_at) >= low, col(HelpcenterSession.started_at) < high
    )
    if locale:
        query = query.where(col(HelpcenterSession.locale) == locale)
    return int(session.exec(query).one())


def _backlog(session: Session, locale: str | None) -> int:
    query = select(func.count()).select_from(Handoff).where(col(Handoff.status) != HandoffStatus.resolved)
    if locale:
        query = query.join(Conversation, col(Conversation.id) == col(Handoff.conversation_id)).where(
            col(Conversation.locale) == locale
        )
    return int(session.exec(query).one())


def _search_miss_total(session: Session, low: datetime, high: datetime, locale: str | None) -> int:
    query = select(func.count()).where(col(SearchMiss.created_at) >= low, col(SearchMiss.created_at) < high)
    if locale:
        query = query.where(col(SearchMiss.locale) == locale)
    return int(session.exec(query).one())


def _table_rows(
    session: Session,
    *,
    in_range: list[ColumnElement[bool]],
    handoffs: Sequence[Handoff],
    low: datetime,
    high: datetime,
    locale: str | None,
) -> dict[str, list[tuple[Cell, ...]]]:
    return {
        "resolved_per_agent": _resolved_per_agent(session, handoffs),
        "top_intents": _top_intents(session, in_range),
        "unhelpful_answers": _unhelpful_answers(session, in_range),
        "search_misses": _search_misses(session, low, high, locale),
        "article_votes": _article_votes(session, low, high, locale),
    }


def _resolved_per_agent(session: Session, handoffs: Sequence[Handoff]) -> list[tuple[Cell, ...]]:
    counts = Counter(h.resolved_by for h in handoffs if h.resolved_at is not None)
    ids = [agent_id for agent_id in counts if agent_id is not None]
    names = {u.id: u.email for u in session.exec(select(User).where(col(User.id).in_(ids))).all()} if ids else {}
    rows: list[tuple[Cell, ...]] = [
        (names.get(agent_id, "(deleted account)") if agent_id is not None else "(unknown)", n)
        for agent_id, n in counts.items()
    ]
    rows.sort(key=lambda row: (-int(row[1] or 0), str(row[0])))
    return rows


def _ranked(rows: Iterable[tuple[str | None, int]], *, empty: str = "(none)") -> list[tuple[Cell, ...]]:
    ranked = sorted(((label or empty, int(n)) for label, n in rows), key=lambda row: (-row[1], row[0]))
    return [tuple(row) for row in ranked[:TOP]]


def _top_intents(session: Session, in_range: list[ColumnElement[bool]]) -> list[tuple[Cell, ...]]:
    # Conversations beside turns: the intent's link lists conversations, so its row says how many there are.
    turns, conversations = func.count(col(Message.id)), func.count(distinct(col(Message.conversation_id)))
    rows = session.exec(
        select(Message.intent, turns, conversations)
        .join(Conversation, col(Conversation.id) == col(Message.conversation_id))
        .where(
            *in_range,
            Message.sender == Sender.bot,
            col(Message.intent).is_not(None),
            Message.counts_as_question == True,  # noqa: E712
        )
        .group_by(col(Message.intent))
    ).all()
    ranked = sorted(((str(intent), int(n), int(c)) for intent, n, c in rows), key=lambda row: (-row[1], row[0]))
    return [tuple(row) for row in ranked[:TOP]]


def _unhelpful_answers(session: Session, in_range: list[ColumnElement[bool]]) -> list[tuple[Cell, ...]]:
    rows = session.exec(
        select(Message.intent, func.count(col(Message.id)))
        .join(Conversation, col(Conversation.id) == col(Message.conversation_id))
        .where(
            *in_range,
            Message.sender == Sender.bot,
            Message.decision == "answer",
            Message.helpful == False,  # noqa: E712
        )
        .group_by(col(Message.intent))
    ).all()
    return _ranked(rows)


def _search_misses(session: Session, low: datetime, high: datetime, locale: str | None) -> list[tuple[Cell, ...]]:
    query = select(SearchMiss.query).where(col(SearchMiss.created_at) >= low, col(SearchMiss.created_at) < high)
    if locale:
        query = query.where(col(SearchMiss.locale) == locale)
    # Grouped after folding case and spaces, so "Refund " and "refund" are one gap in the content.
    counts = Counter(mask_personal(" ".join(q.lower().split())) for q in session.exec(query).all())
    return _ranked(counts.items())


def _article_votes(session: Session, low: datetime, high: datetime, locale: str | None) -> list[tuple[Cell, ...]]:
    helpful = func.sum(case((col(ArticleVote.helpful) == True, 1), else_=0))  # noqa: E712
    total = func.count(col(ArticleVote.id))
    query = (
        sa_select(col(Article.title), col(Article.locale), col(Article.slug), helpful, total)
        .join(Article, col(Article.id) == col(ArticleVote.article_id))
        .where(col(ArticleVote.created_at) >= low, col(ArticleVote.created_at) < high)
        .group_by(col(Article.id), col(Article.title), col(Article.locale), col(Article.slug))
    )
    if locale:
        query = query.where(col(Article.locale) == locale)
    rows: list[tuple[Cell, ...]] = []
    for title, article_locale, slug, yes, n in session.execute(query).all():
        yes, n = int(yes or 0), int(n)
        rows.append((title, article_locale, slug, yes, n - yes, rate(yes, n)))
    rows.sort(key=lambda row: (-(int(row[3] or 0) + int(row[4] or 0)), str(row[0])))
    return rows[:TOP]
