"""Training data read from another tool's files, with the report of what the import decided.

Other tools tolerate what faqdesk refuses (Rasa only warns when one example sits under two intents), so
an import resolves such conflicts instead of failing, and says so: every decision is a line of the
report. ``strict`` turns the decisions back into problems, for teams that want to fix their files.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from bot.data import Intent, Location, TrainingData
from bot.problems import Problem, TrainingDataError

_NOT_ID = re.compile(r"[^a-z0-9]+")


@dataclass
class ImportedData:
    """Intents read from foreign files, the notes (what was skipped or read partly) and the decisions
    (conflicts resolved), each a line an editor reads."""

    data: TrainingData
    notes: list[str] = field(default_factory=list)
    decisions: list[str] = field(default_factory=list)
    names: dict[str, str] = field(default_factory=dict)  # intent id -> the name it had in the source

    def unanswered(self) -> list[str]:
        """Intents imported without an answer in some locale they have examples in."""
        return [
            intent.id
            for intent in self.data.intents.values()
            if any(texts and loc not in intent.answers for loc, texts in intent.examples.items())
        ]


def intent_id(name: str) -> str:
    """A faqdesk id (``[a-z0-9_]+``) for another tool's intent name: ``faq/ask_price`` → ``faq_ask_price``."""
    return _NOT_ID.sub("_", name.casefold()).strip("_") or "intent"


def _key(text: str) -> str:
    return " ".join(text.casefold().split())


def resolve_conflicts(imported: ImportedData, *, occurrences: Counter[tuple[str, str, str]], strict: bool) -> None:
    """Make every example belong to one intent per locale, reporting each decision.

    ``occurrences`` counts how often each (locale, folded text, intent id) was written in the source.
    An example under several intents stays with the one it was written under most often; on a tie it
    is dropped from all of them (the classifier cannot learn a question that means two things).
    Repeats within one intent are merged silently. ``strict`` raises ``TrainingDataError`` instead.
    """
    owners: dict[tuple[str, str], list[str]] = {}
    for intent in imported.data.intents.values():
        for loc, texts in intent.examples.items():
            for key in dict.fromkeys(_key(text) for text in texts):
                owners.setdefault((loc, key), []).append(intent.id)
    problems: list[Problem] = []
    keep: dict[tuple[str, str], str | None] = {}
    for (loc, key), ids in owners.items():
        if len(ids) < 2:
            continue
        counts = {i: occurrences.get((loc, key, i), 1) for i in ids}
        best = max(counts.values())
        winners = [i for i, n in counts.items() if n == best]
        written = ", ".join(f"'{i}' ({n}x)" for i, n in counts.items())
        if strict:
            first = imported.data.intents[ids[0]].source
            problems.append(Problem(first, f"example {key!r} ({loc}) is an example of several intents: {written}"))
            continue
        keep[(loc, key)] = winners[0] if len(winners) == 1 else None
        if len(winners) == 1:
            imported.decisions.append(f"example {key!r} ({loc}) under {written}: kept in '{winners[0]}'")
        else:
            imported.decisions.append(f"example {key!r} ({loc}) under {written}: dropped (as often in each)")
    if problems:
        raise TrainingDataError(problems)
    for intent in imported.data.intents.values():
        for loc, texts in intent.examples.items():
            seen: set[str] = set()
            kept = []
            for text in texts:
                key = _key(text)
                if key in seen or ((loc, key) in keep and keep[(loc, key)] != intent.id):
                    continue
                seen.add(key)
                kept.append(text)
            intent.examples[loc] = kept
    _drop_empty(imported)


def _drop_empty(imported: ImportedData) -> None:
    """An intent left without examples (all of them conflicts) cannot be trained: it goes, with a note."""
    for intent in list(imported.data.intents.values()):
        intent.examples = {loc: texts for loc, texts in intent.examples.items() if texts}
        if not intent.examples:
            del imported.data.intents[intent.id]
            imported.decisions.append(f"intent '{intent.id}' has no examples left: not imported")


def add_intent(imported: ImportedData, name: str, where: Location) -> Intent:
    """The intent for another tool's ``name`` (created on first sight); ids two names share get a suffix."""
    data = imported.data
    base = intent_id(name)
    candidate = base
    number = 2
    while candidate in data.intents and imported.names.get(candidate) != name:
        candidate = f"{base}_{number}"
        number += 1
    intent = data.intents.get(candidate)
    if intent is None:
        intent = data.intents[candidate] = Intent(id=candidate, source=where)
        imported.names[candidate] = name
        if candidate != base:
            imported.notes.append(f"intent '{name}' is imported as '{candidate}' ('{base}' was taken)")
    return intent
