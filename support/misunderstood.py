"""The misunderstood-question queue: visitor questions the bot did not get right, as training material.

A visitor message is in the queue while nobody has reviewed it (``Message.review`` is empty) and its
bot turn shows the bot failed it, by the first reason that applies:

- ``unhelpful``: the bot answered and the visitor said the answer did not help;
- ``handoff``: the bot gave up after repeated failures (a handoff decision without an intent);
- ``suggest``: the bot did not understand and offered articles and a person;
- ``handed_off``: a question the bot did not answer, asked before the conversation was handed to a
  person (greetings, answered questions and the request for a person itself are left out).

A turn a reviewer labelled in the answer review (``support.review``) with an intent or "out of scope" has
taught the bot already and stays out; one labelled only "wrong" stays in.

Texts leave the queue masked (``support.privacy.mask_personal``): the page, and every example an editor
adds to the training data from it, only ever see ``[email]`` and ``[phone]``.

Grouping (``support/grouping.py``: no scikit-learn in a serving process): per locale, the masked texts
are embedded with the model's encoder (without one, TF-IDF of character n-grams stands in) and
clustered by average-linkage agglomerative clustering on cosine distance, cut at a distance
threshold. The clustering has no randomness, and items are ordered before it, so the same queue
always gives the same groups.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

import numpy as np
from sqlalchemy import and_, or_
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select, update

from bot.resources import generic_out_of_scope
from core.errors import ConflictError, NotFoundError, ValidationError
from core.i18n import N_
from support import grouping, intents, training
from support.models import Conversation, FaqIntent, Handoff, Message, Sender, TrainingJob
from support.privacy import mask_personal

log = logging.getLogger(__name__)

# Cosine distance at which two groups stop merging. Paraphrases under the sentence encoder sit well
# below it; character n-grams share less between paraphrases, so the lexical fallback cuts higher.
SEMANTIC_THRESHOLD = 0.5  # the loosest cut; a locale whose unrelated questions look alike gets a tighter one
LEXICAL_THRESHOLD = 0.75
UNRELATED_MARGIN = 0.15
_cuts: dict[tuple[int, str], float] = {}  # (encoder, locale) -> cut
DEFAULT_LIMIT = 500
MAX_LIMIT = 2000  # the distance matrix is n x n per locale
MAX_SELECTED = 500
GUESSES = 3
REASONS = ("unhelpful", "handoff", "suggest", "handed_off")
ADDED = "added"
DISMISSED = "dismissed"


class TextEncoder(Protocol):
    """What grouping needs from ``bot.encoder.Encoder``."""

    def encode(self, texts: list[str]) -> np.ndarray:
        """L2-normalised vectors, one row per text."""
        ...


@dataclass(frozen=True)
class Item:
    """One misunderstood visitor question, masked."""

    message_id: int
    text: str
    locale: str
    reason: str
    guesses: tuple[str, ...]  # the bot's top intents for it, best first
    at: datetime
    conversation_id: str


@dataclass(frozen=True)
class Group:
    """Similar questions of one locale; ``representative`` is the one closest to all the others."""

    locale: str
    representative: str
    items: tuple[Item, ...]
    suggested_intent: str | None

    @property
    def size(self) -> int:
        """How many questions the group holds."""
        return len(self.items)

    @property
    def key(self) -> str:
        """A stable name for the group (its newest message), for forms and anchors."""
        return f"g{max(i.message_id for i in self.items)}"

    @property
    def reasons(self) -> dict[str, int]:
        """How many questions failed for each reason, in ``REASONS`` order."""
        counts = Counter(i.reason for i in self.items)
        return {r: counts[r] for r in REASONS if counts[r]}

    @property
    def guesses(self) -> list[tuple[str, int]]:
        """The bot's guesses over the group: intent and how many questions had it among the top ones."""
        counts = Counter(g for i in self.items for g in set(i.guesses))
        return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))


def _reason(visitor: Message, bot: Message, handoff_at: datetime | None) -> str | None:
    if bot.label is not None and bot.label != "wrong":
        return None  # a reviewer said what it was: it is an example or an out-of-scope example already
    if bot.decision == "answer" and bot.helpful is False:
        return "unhelpful"
    if bot.decision == "handoff" and bot.intent is None:
        return "handoff"
    if bot.decision == "suggest":
        return "suggest"
    if handoff_at is None or visitor.created_at > handoff_at or not bot.counts_as_question:
        return None
    if bot.decision == "handoff":
        return None  # the visitor asked for a person, and the bot understood that
    if bot.decision == "answer":
        # Answered and not voted down: most likely right (a clicked "Did you mean?" option among them),
        # and a queue full of right answers invites editors to teach the bot wrong examples.
        return None
    return "handed_off"


def items(
    session: Session, *, since: datetime | None = None, locale: str | None = None, limit: int = DEFAULT_LIMIT
) -> list[Item]:
    """Unreviewed misunderstood visitor questions, newest first, their text masked."""
    if not 1 <= limit <= MAX_LIMIT:
        raise ValidationError(f"the limit must be between 1 and {MAX_LIMIT}")
    bot = aliased(Message)
    failed = or_(
        and_(col(bot.decision) == "answer", col(bot.helpful) == False),  # noqa: E712
        and_(col(bot.decision) == "handoff", col(bot.intent).is_(None)),
        col(bot.decision) == "suggest",
        and_(  # refined in _reason
            col(Handoff.id).is_not(None),
            col(Message.created_at) <= col(Handoff.created_at),
            col(bot.counts_as_question) == True,  # noqa: E712
        ),
    )
    query = (
        select(Message, bot, Conversation.locale, Handoff.created_at)
        .join(bot, and_(col(bot.reply_to) == col(Message.id), col(bot.sender) == Sender.bot))
        .join(Conversation, col(Conversation.id) == col(Message.conversation_id))
        .outerjoin(Handoff, col(Handoff.conversation_id) == col(Message.conversation_id))
        .where(col(Message.sender) == Sender.visitor, col(Message.review).is_(None), failed)
        .order_by(col(Message.id).desc())
    )
    if since is not None:
        query = query.where(col(Message.created_at) >= since)
    if locale:
        query = query.where(col(Conversation.locale) == locale)
    found: list[Item] = []
    # Rows the SQL condition lets through but _reason refuses (clicked options, asking for a person)
    # are few; reading in pages keeps the limit exact without loading the whole table.
    offset = 0
    while len(found) < limit:
        rows = session.exec(query.offset(offset).limit(limit)).all()
        for visitor, turn, loc, handoff_at in rows:
            reason = _reason(visitor, turn, handoff_at)
            if reason is None or visitor.id is None:
                continue
            guesses = tuple(str(c["intent"]) for c in turn.candidates[:GUESSES] if c.get("intent"))
            text = mask_personal(visitor.text)
            found.append(Item(visitor.id, text, loc, reason, guesses, visitor.created_at, visitor.conversation_id))
            if len(found) == limit:
                break
        if len(rows) < limit:
            break
        offset += limit
    return found


def _semantic_similarity(texts: list[str], encoder: TextEncoder) -> np.ndarray:
    vectors = np.asarray(encoder.encode(texts), dtype=np.float64)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    vectors = vectors / np.where(norms > 0, norms, 1.0)
    return vectors @ vectors.T


def _semantic_cut(locale: str, encoder: TextEncoder) -> float:
    """The distance at which groups stop merging in a locale: closer than unrelated questions come.

    An English-only encoder finds any two Dutch sentences fairly alike (unrelated questions about
    discount codes, returns and payments fell into one group), so the cut is read off questions that
    have nothing to do with each other (the generic out-of-scope corpus of ``bot/resources``): two
    questions join only when they are closer than 95% of such pairs, by a margin.
    """
    corpus = generic_out_of_scope(locale)
    if len(corpus) < 10:
        return SEMANTIC_THRESHOLD
    key = (id(encoder), locale)
    if key not in _cuts:
        similarity = _semantic_similarity(corpus, encoder)
        unrelated = similarity[np.triu_indices(len(corpus), k=1)]
        required = max(1.0 - SEMANTIC_THRESHOLD, float(np.percentile(unrelated, 95)) + UNRELATED_MARGIN)
        _cuts[key] = max(0.0, min(1.0 - required, SEMANTIC_THRESHOLD))
    return _cuts[key]


def _normalised(text: str) -> str:
    return " ".join(text.casefold().split())


def _locale_groups(locale_items: list[Item], *, encoder: TextEncoder | None, threshold: float | None) -> list[Group]:
    # The same question asked twice is one point: it cannot be split, and it is encoded once.
    texts = sorted({_normalised(i.text) for i in locale_items})
    if encoder is not None:
        similarity = _semantic_similarity(texts, encoder)
        cut = _semantic_cut(locale_items[0].locale, encoder) if threshold is None else threshold
    else:
        similarity = grouping.lexical_similarity(texts, locale=locale_items[0].locale)
        cut = LEXICAL_THRESHOLD if threshold is None else threshold
    similarity = np.clip(similarity, -1.0, 1.0)
    distances = np.clip(1.0 - similarity, 0.0, 2.0)
    np.fill_diagonal(distances, 0.0)
    labels = grouping.average_linkage_labels(distances, cut)
    index = {t: n for n, t in enumerate(texts)}
    groups: list[Group] = []
    for label in sorted(set(labels.tolist())):
        members = [n for n in range(len(texts)) if labels[n] == label]
        # The medoid: the text most similar on average to the group's others (ties: the first in order).
        centre = members[int(np.argmax(similarity[np.ix_(members, members)].mean(axis=1)))]
        chosen = sorted(
            (i for i in locale_items if labels[index[_normalised(i.text)]] == label),
            key=lambda i: (-i.at.timestamp(), -i.message_id),
        )
        representative = next(i.text for i in chosen if _normalised(i.text) == texts[centre])
        groups.append(Group(chosen[0].locale, representative, tuple(chosen), _suggested(chosen)))
    return groups


def _suggested(group_items: Sequence[Item]) -> str | None:
    tops = Counter(i.guesses[0] for i in group_items if i.guesses)
    if not tops:
        return None
    return min(tops.items(), key=lambda kv: (-kv[1], kv[0]))[0]


def groups(items: Sequence[Item], *, encoder: TextEncoder | None, threshold: float | None = None) -> list[Group]:
    """Similar questions grouped per locale, the largest groups first."""
    by_locale: dict[str, list[Item]] = {}
    for item in items:
        by_locale.setdefault(item.locale, []).append(item)
    result: list[Group] = []
    for loc in sorted(by_locale):
        result.extend(_locale_groups(by_locale[loc], encoder=encoder, threshold=threshold))
    return sorted(result, key=lambda g: (-g.size, g.locale, -max(i.message_id for i in g.items)))


# --- actions ---------------------------------------------------------------------------------------


def _unreviewed(session: Session, message_ids: Sequence[int]) -> list[tuple[Message, str]]:
    """The chosen visitor messages with their conversation's locale; refuses reviewed or unknown ones."""
    ids = sorted(set(message_ids))
    if not ids:
        raise ValidationError(N_("choose at least one question"))
    if len(ids) > MAX_SELECTED:
        raise ValidationError(f"choose at most {MAX_SELECTED} questions at once")
    rows = session.exec(
        select(Message, Conversation.locale)
        .join(Conversation, col(Conversation.id) == col(Message.conversation_id))
        .where(col(Message.id).in_(ids), col(Message.sender) == Sender.visitor)
        .order_by(col(Message.id))
    ).all()
    missing = set(ids) - {m.id for m, _ in rows}
    if missing:
        raise NotFoundError(f"no visitor question with id {', '.join(str(i) for i in sorted(missing))}")
    reviewed = [m.id for m, _ in rows if m.review is not None]
    if reviewed:
        raise ConflictError(
            f"question {', '.join(str(i) for i in reviewed)} was already reviewed; reload the page to see the queue"
        )
    return [(m, loc) for m, loc in rows]


def _examples(rows: Sequence[tuple[Message, str]]) -> dict[str, list[str]]:
    """Masked, de-duplicated texts per locale: nothing unmasked ever reaches the training data."""
    examples: dict[str, list[str]] = {}
    seen: set[tuple[str, str]] = set()
    for message, loc in rows:
        text = " ".join(mask_personal(message.text).split())
        if text and (loc, text.casefold()) not in seen:
            seen.add((loc, text.casefold()))
            examples.setdefault(loc, []).append(text)
    return examples


def _mark(session: Session, *, message_ids: Sequence[int], review: str) -> int:
    # Conditional, so two editors acting on one question at once cannot both count it.
    result = session.exec(
        update(Message)
        .where(col(Message.id).in_(list(message_ids)), col(Message.review).is_(None))
        .values(review=review)
        .execution_options(synchronize_session="fetch")
    )
    if result.rowcount != len(set(message_ids)):
        raise ConflictError(N_("another editor reviewed some of these questions just now; reload the page"))
    return int(result.rowcount)


def add_to_intent(
    session: Session, *, message_ids: Sequence[int], intent_id: str, user: str, locales: Sequence[str]
) -> TrainingJob:
    """Add the questions (masked) as examples of an intent, each in its conversation's locale; queue a retrain."""
    rows = _unreviewed(session, message_ids)
    for loc, texts in _examples(rows).items():
        for text in texts:
            intents.add_example(session, intent_id=intent_id, locale=loc, text=text, user=user, locales=locales)
    _mark(session, message_ids=[m.id for m, _ in rows if m.id is not None], review=ADDED)
    return training.queue_training(
        session, requested_by=user, reason=f"{len(rows)} misunderstood question(s) added to {intent_id}"
    )


def new_intent(
    session: Session,
    *,
    message_ids: Sequence[int],
    intent_id: str,
    answers: dict[str, str],
    article: str | None,
    user: str,
    locales: Sequence[str],
) -> tuple[FaqIntent, TrainingJob]:
    """Create an intent whose examples are the questions (masked), per locale; queue a retrain."""
    rows = _unreviewed(session, message_ids)
    answers = {loc: text.strip() for loc, text in answers.items() if text.strip()}
    if not answers:
        raise ValidationError(N_("give the new intent an answer in at least one locale"))
    intent = intents.create_intent(
        session,
        intent_id=intent_id,
        examples=_examples(rows),
        answers=answers,
        article=article or None,
        user=user,
        locales=locales,
    )
    _mark(session, message_ids=[m.id for m, _ in rows if m.id is not None], review=ADDED)
    job = training.queue_training(
        session, requested_by=user, reason=f"new intent {intent_id} from {len(rows)} misunderstood question(s)"
    )
    return intent, job


def dismiss(session: Session, *, message_ids: Sequence[int], user: str) -> int:
    """Take the questions out of the queue without learning from them; returns how many."""
    rows = _unreviewed(session, message_ids)
    count = _mark(session, message_ids=[m.id for m, _ in rows if m.id is not None], review=DISMISSED)
    log.info("dismissed %d misunderstood question(s)", count)  # who did is an email: not for the logs
    return count
