"""Intents read from another tool's files (a Rasa project, a spreadsheet) written into the database.

The same rules as the editor (``support.intent_rows``, ``bot.loaders``); what differs is that conflicts
are resolved and reported rather than refused, since the source tool allowed them. Two modes:
``merge`` (default) creates and updates by id and keeps the other intents; ``replace`` leaves exactly
the imported ones. In a merge, a question the file gives to one intent that a kept intent already has
stays where it is (the database holds its editors' decisions) and the import says so. ``plan`` shows
all of it without writing, for the back office's preview and ``faqdesk import --dry-run``.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlmodel import Session, col, select

from bot.data import Intent, TrainingData
from bot.imported import ImportedData
from bot.loaders import load_training_text, validate_training_data
from bot.problems import TrainingDataError
from bot.rasa import read_rasa_files
from bot.spreadsheet import intents_csv, read_spreadsheet
from support import training
from support.intent_rows import IntentDataError, apply, check_sizes, intents_yaml, next_position, same, to_intent
from support.intents import list_intents
from support.models import FaqIntent


@dataclass
class IntentImportPlan:
    """What an import does (or did): intents by fate, and every note and decision, one line each."""

    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    unanswered: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    decisions: list[str] = field(default_factory=list)

    @property
    def counts(self) -> dict[str, int]:
        """How many intents each fate has."""
        return {
            "created": len(self.created),
            "updated": len(self.updated),
            "unchanged": len(self.unchanged),
            "deleted": len(self.deleted),
        }


def plan(session: Session, *, imported: ImportedData, locales: Sequence[str], replace: bool) -> IntentImportPlan:
    """What importing would do; ``IntentDataError`` lists what no resolution can fix (unknown locales,
    ids too long). Resolves the conflicts with kept intents in ``imported`` itself."""
    check_sizes(imported.data.intents.values(), source="")
    existing = {row.id: row for row in list_intents(session)}
    kept = {} if replace else {i: to_intent(row) for i, row in existing.items() if i not in imported.data.intents}
    result = IntentImportPlan(notes=list(imported.notes), decisions=list(imported.decisions))
    _keep_kept_examples(imported, kept, result)
    try:
        validate_training_data(TrainingData(intents=dict(imported.data.intents)), locales=locales)
        validate_training_data(TrainingData(intents=kept | imported.data.intents), locales=None)
    except TrainingDataError as exc:
        raise IntentDataError([str(p) for p in exc.problems]) from None
    for intent in imported.data.intents.values():
        row = existing.get(intent.id)
        fate = result.created if row is None else result.unchanged if same(row, intent) else result.updated
        fate.append(intent.id)
    result.deleted = [i for i in existing if replace and i not in imported.data.intents]
    result.unanswered = imported.unanswered()
    return result


def import_intents(
    session: Session, *, imported: ImportedData, locales: Sequence[str], user: str, replace: bool = False
) -> IntentImportPlan:
    """Write the import (nothing unless all of it passes); queues a retrain when something changed."""
    result = plan(session, imported=imported, locales=locales, replace=replace)
    existing = {row.id: row for row in list_intents(session)}
    for intent_id in result.deleted:
        session.delete(existing[intent_id])
    position = 0 if replace else next_position(session)
    for intent in imported.data.intents.values():
        row = existing.get(intent.id)
        if row is None:
            row = FaqIntent(id=intent.id, position=position)
            session.add(row)
        if intent.id not in result.unchanged:
            apply(row, intent, user=user)
        if replace:
            row.position = position  # replacing: the file's order becomes the order
        position += 1
    session.flush()
    if result.created or result.updated or result.deleted:
        summary = ", ".join(f"{n} {what}" for what, n in result.counts.items() if n and what != "unchanged")
        training.queue_training(session, requested_by=user, reason=f"intent import ({summary})")
    return result


def _keep_kept_examples(imported: ImportedData, kept: dict[str, Intent], result: IntentImportPlan) -> None:
    """A question a kept intent already has stays with it (the import's copy goes, with a decision)."""
    owners = {
        (loc, " ".join(text.casefold().split())): intent.id
        for intent in kept.values()
        for loc, texts in intent.examples.items()
        for text in texts
    }
    for intent in list(imported.data.intents.values()):
        for loc, texts in intent.examples.items():
            mine = []
            for text in texts:
                owner = owners.get((loc, " ".join(text.casefold().split())))
                if owner is None:
                    mine.append(text)
                else:
                    result.decisions.append(
                        f"example {text!r} ({loc}) of '{intent.id}' is already an example of '{owner}': kept there"
                    )
            intent.examples[loc] = mine
        intent.examples = {loc: texts for loc, texts in intent.examples.items() if texts}
        if not intent.examples:
            del imported.data.intents[intent.id]
            result.decisions.append(f"intent '{intent.id}' has no examples left: not imported")


@dataclass
class UploadPreview:
    """What the editor's upload would do, and the intents it read as faqdesk YAML (the confirm step
    imports exactly these); ``state`` names the intents the plan was made against (``intents_state``)."""

    plan: IntentImportPlan
    yaml: str
    state: str = ""


def intents_state(session: Session) -> str:
    """A name for the intents as saved now (ids and versions): any edit, addition or deletion changes it."""
    rows = session.exec(select(FaqIntent.id, FaqIntent.version).order_by(col(FaqIntent.id))).all()
    return hashlib.sha256(json.dumps([[i, v] for i, v in rows]).encode()).hexdigest()[:16]


SPREADSHEET_SUFFIXES = (".csv", ".xlsx")
RASA_SUFFIXES = (".yml", ".yaml", ".md", ".json")


def preview_upload(
    session: Session, *, files: list[tuple[str, bytes]], locale: str, locales: Sequence[str], replace: bool
) -> UploadPreview:
    """Read one spreadsheet or some files of a Rasa project and plan their import (nothing written).

    ``IntentDataError`` lists what cannot be imported (an unknown kind of file, located problems).
    """
    names = [name.lower() for name, _ in files]
    try:
        if len(files) == 1 and names[0].endswith(SPREADSHEET_SUFFIXES):
            name, data = files[0]
            imported = read_spreadsheet(data, name=name, locale=locale, locales=locales)
        elif files and all(name.endswith(RASA_SUFFIXES) for name in names):
            imported = read_rasa_files(files, locale=locale)
        else:
            raise IntentDataError(
                ["upload one spreadsheet (.csv, .xlsx) or the files of a Rasa project (.yml, .yaml, .md, .json)"]
            )
    except TrainingDataError as exc:
        raise IntentDataError([_without_folder(str(p)) for p in exc.problems]) from None
    try:
        result = plan(session, imported=imported, locales=locales, replace=replace)
    except IntentDataError as exc:
        raise IntentDataError([_without_folder(p) for p in exc.problems]) from None
    result.notes = [_without_folder(note) for note in result.notes]
    yaml = intents_yaml(imported.data.intents.values(), heading="uploaded")
    return UploadPreview(plan=result, yaml=yaml, state=intents_state(session))


def confirm_upload(
    session: Session, *, yaml_text: str, locales: Sequence[str], user: str, replace: bool, state: str | None = None
) -> IntentImportPlan:
    """Import the intents a preview showed (its faqdesk YAML), checked again against the database now.

    ``state`` is the preview's: when the intents changed since (another editor saved, added or deleted
    one), nothing is imported. Replacing would delete an intent the preview never listed.
    """
    if state is not None and state != intents_state(session):
        raise IntentDataError(
            [
                "the intents changed since this preview (another editor saved some): upload the file again to see "
                "what importing it does now"
            ]
        )
    try:
        data = load_training_text(yaml_text, source="preview", locales=locales)
    except TrainingDataError as exc:
        raise IntentDataError([str(p) for p in exc.problems]) from None
    return import_intents(session, imported=ImportedData(data), locales=locales, user=user, replace=replace)


def _without_folder(text: str) -> str:
    """Uploaded files are read from a temporary folder: problems name the file as uploaded."""
    return re.sub(r"/\S*/faqdesk-rasa-[^/\s]+/\d{3}-", "", text)


def export_csv(session: Session) -> str:
    """Every intent as the spreadsheet an import reads (one row per question), for teams that keep
    their FAQ in one: exported, edited and imported again, it gives the same intents."""
    return intents_csv(to_intent(row) for row in list_intents(session))
