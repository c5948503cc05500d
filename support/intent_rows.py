"""An intent's row and its training-data form: cleaning what an editor or a file gives, the column sizes,
and writing, comparing and ordering rows. Shared by the editor (``support.intents``) and the imports
(``support.intent_import``), so an intent is saved the same way whichever door it came through.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from datetime import UTC, datetime

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.scalarstring import LiteralScalarString
from sqlmodel import Session, col, select

from bot.data import MAX_ID_CHARS, Intent
from core.errors import ValidationError
from support.models import FaqIntent, utcnow

# Column sizes of faq_intent: PostgreSQL enforces them, so they are checked before writing.
MAX_ID = MAX_ID_CHARS
MAX_ARTICLE = 200
MAX_USER = 254


class IntentDataError(ValidationError):
    """Intents that break the training-data rules; ``problems`` lists each one (with its line, if any)."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("; ".join(problems))


def clean(
    *,
    intent_id: str,
    kind: str,
    article: str | None,
    examples: dict[str, list[str]],
    answers: dict[str, str],
    titles: dict[str, str] | None = None,
) -> Intent:
    """Trim texts, drop empty lines and repeats within a locale (any case or spacing), drop empty locales."""
    cleaned: dict[str, list[str]] = {}
    for loc, texts in examples.items():
        seen: set[str] = set()
        for text in texts:
            text = text.strip()
            key = " ".join(text.casefold().split())
            if text and key not in seen:
                seen.add(key)
                cleaned.setdefault(loc, []).append(text)
    kept_answers = {loc: text.strip() for loc, text in answers.items() if text.strip()}
    return Intent(
        id=intent_id,
        kind=kind,  # type: ignore[arg-type]  # checked by validate_training_data
        article=(article or "").strip() or None,
        examples=cleaned,
        answers=kept_answers,
        titles={loc: " ".join(text.split()) for loc, text in (titles or {}).items() if text.strip()},
    )


def check_sizes(intents: Iterable[Intent], *, source: str) -> None:
    """Refuse ids and article slugs longer than their columns (PostgreSQL enforces them; SQLite would not)."""
    problems = []
    for intent in intents:
        located = intent.source if intent.source and intent.source.line else None
        where = f"{located}: " if located else (f"{source}: " if source else "")
        if len(intent.id) > MAX_ID:
            problems.append(f"{where}intent '{intent.id[:40]}…': the id is longer than {MAX_ID} characters")
        if intent.article and len(intent.article) > MAX_ARTICLE:
            problems.append(f"{where}intent '{intent.id}': the article slug is longer than {MAX_ARTICLE} characters")
    if problems:
        raise IntentDataError(problems)


def to_intent(row: FaqIntent) -> Intent:
    """A saved intent as training data."""
    return Intent(
        id=row.id,
        examples={loc: list(texts) for loc, texts in row.examples.items()},
        answers=dict(row.answers),
        titles=dict(row.titles),
        article=row.article,
        kind=row.kind,  # type: ignore[arg-type]  # only validated kinds are stored
        source=None,  # no file and line: problems name the intent instead
    )


def _fields(intent: Intent) -> dict[str, object]:
    # Fresh containers: SQLAlchemy notices a JSON column changed only when it is assigned a new value.
    return {
        "kind": intent.kind,
        "article": intent.article,
        "examples": {loc: list(texts) for loc, texts in intent.examples.items() if texts},
        "answers": dict(intent.answers),
        "titles": dict(intent.titles),
    }


def apply(row: FaqIntent, intent: Intent, *, user: str) -> None:
    """Write an intent's fields into its row, stamped with who and when."""
    for name, value in _fields(intent).items():
        setattr(row, name, value)
    row.updated_at = utcnow()
    row.updated_by = user[:MAX_USER]


def same(row: FaqIntent, intent: Intent) -> bool:
    """Whether saving ``intent`` would change nothing in ``row``."""
    return _fields(intent) == {
        "kind": row.kind,
        "article": row.article,
        "examples": row.examples,
        "answers": row.answers,
        "titles": row.titles,
    }


def next_position(session: Session) -> int:
    """The position after the last intent (a new one goes at the end)."""
    positions = session.exec(select(FaqIntent.position).order_by(col(FaqIntent.position).desc()).limit(1)).first()
    return 0 if positions is None else positions + 1


def intents_yaml(intents: Iterable[Intent], *, heading: str) -> str:
    """Intents as a faqdesk YAML file (what the editor exports and ``faqdesk import --out`` writes)."""
    yaml = YAML()  # round-trip dumper: keeps key order, quotes whatever would not read back as a string
    yaml.width = 4096  # long questions stay on one line
    yaml.indent(mapping=2, sequence=4, offset=2)
    items = CommentedSeq()
    for intent in intents:
        item = CommentedMap()
        item["id"] = intent.id
        if intent.kind != "faq":
            item["kind"] = intent.kind
        if intent.titles:
            item["title"] = CommentedMap(intent.titles.items())
        if intent.article:
            item["article"] = intent.article
        item["examples"] = CommentedMap((loc, CommentedSeq(texts)) for loc, texts in intent.examples.items())
        item["answer"] = CommentedMap((loc, _block(text)) for loc, text in intent.answers.items())
        items.append(item)
    out = io.StringIO()
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    out.write(f"# faqdesk intents, {heading} {stamp}\n")
    yaml.dump(CommentedMap(intents=items), out)
    return out.getvalue()


def _block(text: str) -> str:
    # Multi-line Markdown reads best as a literal block; the dumper falls back to quotes if it cannot be one.
    return LiteralScalarString(text) if "\n" in text else text
