"""FAQ intents kept in the database: editing, YAML import and export, and the data training reads.

The rules are the training-data loader's (``bot.loaders``): an intent saved here is one that a faqdesk
YAML file could hold, so an export always imports again and training never meets data the editor let
through. Every change queues a retrain (``support.training``); the worker trains, never a request.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlmodel import Session, col, select

from bot.data import Intent, Location, TrainingData
from bot.loaders import load_training_data, load_training_text, validate_training_data
from bot.problems import Problem, TrainingDataError
from core.errors import ConflictError, NotFoundError
from core.versions import FieldChange, check_version, field_changes, flush_edit
from helpcenter import articles, public
from support import training
from support.intent_rows import (
    IntentDataError,
    check_sizes,
    clean,
    intents_yaml,
    next_position,
    same,
    to_intent,
)
from support.intent_rows import apply as apply_intent
from support.models import FaqIntent


@dataclass(frozen=True)
class IntentRow:
    """One line of the back office's intent list."""

    intent: FaqIntent
    examples: dict[str, int]  # number of examples per configured locale
    answered: dict[str, bool]  # an answer exists per configured locale
    # Where the intent's article is published, configured locales first: none when its slug matches no
    # published article (deleted, unpublished, mistyped), so the list flags it instead of linking a 404.
    article_locales: list[str]

    @property
    def missing_answer(self) -> bool:
        """Questions in a locale without its answer: the bot offers articles or a person there instead."""
        return any(n and not self.answered[loc] for loc, n in self.examples.items())


def list_intents(session: Session) -> Sequence[FaqIntent]:
    """Every intent in file order (position, then id)."""
    return session.exec(select(FaqIntent).order_by(col(FaqIntent.position), col(FaqIntent.id))).all()


def get_intent(session: Session, *, intent_id: str) -> FaqIntent:
    """One intent by id, else ``NotFoundError``."""
    intent = session.get(FaqIntent, intent_id)
    if intent is None:
        raise NotFoundError(f"no intent {intent_id!r}")
    return intent


def intent_rows(session: Session, *, query: str, locales: Sequence[str], unanswered: bool = False) -> list[IntentRow]:
    """The list page: intents whose id, article, examples or answers contain ``query`` (any case);
    ``unanswered``: only those without an answer in a locale they have questions in (imported from
    Rasa or a spreadsheet, or not translated yet), which the bot recognises but never answers."""
    needle = " ".join(query.casefold().split())
    shown = [intent for intent in list_intents(session) if not needle or needle in _haystack(intent)]
    published = public.published_locales(session, slugs={i.article for i in shown if i.article})
    order = {loc: n for n, loc in enumerate(locales)}
    rows = []
    for intent in shown:
        row = IntentRow(
            intent=intent,
            examples={loc: len(intent.examples.get(loc, [])) for loc in locales},
            answered={loc: bool(intent.answers.get(loc)) for loc in locales},
            article_locales=sorted(published.get(intent.article or "", []), key=lambda loc: order.get(loc, len(order))),
        )
        if unanswered and not row.missing_answer:
            continue
        rows.append(row)
    return rows


def _haystack(intent: FaqIntent) -> str:
    texts = [intent.id, intent.article or ""]
    texts += [t for ex in intent.examples.values() for t in ex] + list(intent.answers.values())
    return " ".join(" ".join(texts).casefold().split())


def save_intent(
    session: Session,
    *,
    intent_id: str,
    kind: str,
    article: str | None,
    examples: dict[str, list[str]],
    answers: dict[str, str],
    user: str,
    locales: Sequence[str],
    expected_version: int | None = None,
    titles: dict[str, str] | None = None,
) -> FaqIntent:
    """Create or update an intent after checking it with the training-data rules; queues a retrain.

    ``expected_version`` is the version the editor started from: another one saved meanwhile is an
    ``EditConflict`` and nothing is written (unless the save changes nothing, which loses nothing).
    """
    intent = session.get(FaqIntent, intent_id)
    candidate = clean(
        intent_id=intent_id, kind=kind, article=article, examples=examples, answers=answers, titles=titles
    )
    _check(session, candidate, locales=locales)
    if candidate.article and candidate.article != (intent.article if intent else None):
        _check_article(session, candidate.article)
    if intent is None:
        intent = FaqIntent(id=intent_id, position=next_position(session))
        session.add(intent)
    elif same(intent, candidate):
        return intent  # nothing changed: no write, no retrain
    else:
        check_version(intent, expected_version, what=f"The intent {intent_id!r}")
    apply_intent(intent, candidate, user=user)
    flush_edit(session, intent, what=f"The intent {intent_id!r}")
    training.queue_training(session, requested_by=user, reason=f"intent {intent_id} saved")
    return intent


def create_intent(
    session: Session,
    *,
    intent_id: str,
    examples: dict[str, list[str]],
    answers: dict[str, str],
    article: str | None,
    user: str,
    locales: Sequence[str],
    kind: str = "faq",
    titles: dict[str, str] | None = None,
) -> FaqIntent:
    """A new intent (``ConflictError`` if the id is taken); queues a retrain."""
    if session.get(FaqIntent, intent_id) is not None:
        raise ConflictError(f"an intent with the id {intent_id!r} already exists")
    return save_intent(
        session,
        intent_id=intent_id,
        kind=kind,
        article=article,
        examples=examples,
        answers=answers,
        user=user,
        locales=locales,
        titles=titles,
    )


def add_example(
    session: Session, *, intent_id: str, locale: str, text: str, user: str, locales: Sequence[str]
) -> FaqIntent:
    """Add one question to an intent (no-op if it is already there); refused if another intent has it."""
    intent = get_intent(session, intent_id=intent_id)
    examples = {loc: list(texts) for loc, texts in intent.examples.items()}
    examples.setdefault(locale, []).append(text)
    return save_intent(
        session,
        intent_id=intent.id,
        kind=intent.kind,
        article=intent.article,
        examples=examples,
        answers=dict(intent.answers),
        user=user,
        locales=locales,
        titles=dict(intent.titles),
    )


def intent_changes(
    intent: FaqIntent,
    *,
    kind: str,
    article: str | None,
    examples: dict[str, list[str]],
    answers: dict[str, str],
    titles: dict[str, str] | None = None,
) -> list[FieldChange]:
    """The fields where the saved intent differs from an editor's refused save, for the conflict page."""

    def fields(intent: Intent) -> dict[str, str]:
        texts = {f"questions ({loc})": "\n".join(lines) for loc, lines in intent.examples.items()}
        texts |= {f"answer ({loc})": text for loc, text in intent.answers.items()}
        texts |= {f"title ({loc})": text for loc, text in intent.titles.items()}
        return {"kind": intent.kind, "article": intent.article or "", **texts}

    yours = clean(intent_id=intent.id, kind=kind, article=article, examples=examples, answers=answers, titles=titles)
    return field_changes(fields(to_intent(intent)), fields(yours))


def delete_intent(session: Session, *, intent_id: str, user: str, expected_version: int | None = None) -> None:
    """Delete an intent; queues a retrain. A delete from a page of an older version is an ``EditConflict``:
    it would drop another editor's questions and answers unseen."""
    intent = get_intent(session, intent_id=intent_id)
    check_version(intent, expected_version, what=f"The intent {intent_id!r}")
    session.delete(intent)
    session.flush()
    training.queue_training(session, requested_by=user, reason=f"intent {intent_id} deleted")


def training_data(session: Session, *, locales: Collection[str] | None = None) -> TrainingData:
    """The database's intents as training data, validated like a YAML file (``TrainingDataError``)."""
    data = TrainingData(intents={row.id: to_intent(row) for row in list_intents(session)})
    if not data.intents:
        raise TrainingDataError([Problem(Location("faq_intent"), "no intents yet: add one or import YAML")])
    validate_training_data(data, locales=locales)
    return data


def import_yaml(
    session: Session,
    *,
    text: str,
    locales: Sequence[str],
    user: str,
    replace: bool = False,
    source: str = "upload.yaml",
) -> dict[str, int]:
    """Import faqdesk YAML: merge by id (``replace``: also delete intents the file lacks); queues a retrain.

    Nothing is written unless the whole file, merged with the intents it keeps, passes validation;
    ``IntentDataError`` lists every problem with its line.
    """
    try:
        data = load_training_text(text, source=source, locales=locales)
    except TrainingDataError as exc:
        raise IntentDataError([str(p) for p in exc.problems]) from None
    check_sizes(data.intents.values(), source=source)
    existing = {row.id: row for row in list_intents(session)}
    kept = {} if replace else {i: row for i, row in existing.items() if i not in data.intents}
    # Kept intents go first, so an example the file shares with one of them is reported at the file's line.
    merged = TrainingData(intents={i: to_intent(row) for i, row in kept.items()} | data.intents)
    try:
        validate_training_data(merged, locales=None)  # locales were checked for the file; kept rows may be older
    except TrainingDataError as exc:
        raise IntentDataError([str(p) for p in exc.problems]) from None
    counts = {"created": 0, "updated": 0, "unchanged": 0, "deleted": 0}
    for stale in (row for i, row in existing.items() if replace and i not in data.intents):
        session.delete(stale)
        counts["deleted"] += 1
    position = 0 if replace else next_position(session)
    for intent in data.intents.values():
        row = existing.get(intent.id)
        if row is None:
            row = FaqIntent(id=intent.id, position=position)
            apply_intent(row, intent, user=user)
            session.add(row)
            counts["created"] += 1
        elif same(row, intent):
            counts["unchanged"] += 1
        else:
            apply_intent(row, intent, user=user)
            counts["updated"] += 1
        if replace:
            row.position = position  # replacing: the file's order becomes the order
        position += 1
    session.flush()
    if counts["created"] or counts["updated"] or counts["deleted"]:
        training.queue_training(session, requested_by=user, reason=f"YAML import ({_summary(counts)})")
    return counts


def export_yaml(session: Session) -> str:
    """Every intent as faqdesk YAML (importing it gives the same intents back)."""
    return intents_yaml((to_intent(row) for row in list_intents(session)), heading="exported")


def seed_from_files(session: Session, *, path: Path, locales: Sequence[str]) -> int:
    """Fill an empty intent table from training files (``faqdesk serve``); returns how many were added."""
    if session.exec(select(FaqIntent.id).limit(1)).first() is not None:
        return 0
    data = load_training_data(path, locales=locales)
    check_sizes(data.intents.values(), source=str(path))
    for position, intent in enumerate(data.intents.values()):
        row = FaqIntent(id=intent.id, position=position)
        apply_intent(row, intent, user="seed")
        session.add(row)
    session.flush()
    return len(data.intents)


# ----- helpers ------------------------------------------------------------------------------------


def _check(session: Session, candidate: Intent, *, locales: Sequence[str]) -> None:
    """Validate one intent against the others with the loader's rules; only its own problems count."""
    check_sizes([candidate], source="")
    others = {row.id: to_intent(row) for row in list_intents(session) if row.id != candidate.id}
    # The candidate goes last: the loader reports a shared example against the later of the two intents.
    data = TrainingData(intents=others | {candidate.id: candidate})
    try:
        validate_training_data(data, locales=locales)
    except TrainingDataError as exc:
        mine = [p for p in exc.problems if p.intent == candidate.id]
        if mine:
            raise IntentDataError([p.message for p in mine]) from None


def _check_article(session: Session, slug: str) -> None:
    """A newly linked article must exist (as a draft at least): a mistyped slug linked nothing, unseen.
    A link saved before its article was deleted stays (the list flags it) so other edits are not blocked."""
    if not articles.slug_known(session, slug=slug):
        raise IntentDataError([f"article: no help-center article has the slug {slug!r}"])


def _summary(counts: dict[str, int]) -> str:
    return ", ".join(f"{n} {what}" for what, n in counts.items() if n and what != "unchanged")
