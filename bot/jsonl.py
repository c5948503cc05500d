"""Training data and test sets as JSON lines: ``{"text", "intent", "locale"?}`` per line."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

from bot.data import OOS, Intent, Location, TrainingData
from bot.problems import Problem, TrainingDataError


def load_jsonl(file: Path, data: TrainingData, problems: list[Problem], *, default_locale: str | None) -> None:
    """Add a JSON-lines file's examples to ``data`` (one intent per label, in order of appearance)."""
    for line_no, row in _rows(file, problems):
        text, intent_id = row.get("text"), row.get("intent")
        loc = row.get("locale") or default_locale or "en"
        if not isinstance(text, str) or not text.strip() or not isinstance(intent_id, str) or not intent_id:
            problems.append(
                Problem(Location(str(file), line_no), "each line needs non-empty 'text' and 'intent' strings")
            )
            continue
        if not isinstance(loc, str):
            problems.append(Problem(Location(str(file), line_no), "'locale' must be a string", intent_id))
            continue
        if intent_id == OOS:
            data.out_of_scope.setdefault(loc, []).append(text.strip())
            continue
        intent = data.intents.get(intent_id)
        if intent is None:
            intent = data.intents[intent_id] = Intent(id=intent_id, source=Location(str(file), line_no))
        intent.examples.setdefault(loc, []).append(text.strip())


def _rows(file: Path, problems: list[Problem]) -> Iterator[tuple[int, dict[str, object]]]:
    try:
        lines = file.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        problems.append(Problem(Location(str(file), None), f"cannot read file: {exc}"))
        return
    for line_no, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            problems.append(Problem(Location(str(file), line_no), f"malformed JSON: {exc.msg}"))
            continue
        if not isinstance(row, dict):
            problems.append(Problem(Location(str(file), line_no), "each line must be a JSON object"))
            continue
        yield line_no, row


def load_test_set(path: str | Path, *, locale: str | None = None) -> list[dict[str, str]]:
    """Read an evaluation file: JSON lines of ``{"text", "intent", "locale"?}``."""
    file = Path(path)
    problems: list[Problem] = []
    if not file.is_file():
        raise TrainingDataError([Problem(Location(str(file), None), "no such file")])
    rows = []
    for line_no, row in _rows(file, problems):
        text, intent_id, loc = row.get("text"), row.get("intent"), row.get("locale") or locale
        if not isinstance(text, str) or not isinstance(intent_id, str) or not isinstance(loc, str | None):
            problems.append(Problem(Location(str(file), line_no), "each line needs 'text' and 'intent' strings"))
            continue
        rows.append({"text": text, "intent": intent_id, **({"locale": loc} if loc else {})})
    if problems:
        raise TrainingDataError(problems)
    return rows
