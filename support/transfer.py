"""``faqdesk export`` and ``faqdesk import``: the help center's content and the conversation history as
JSON lines that import again without loss, into an empty database on another server or another engine
(SQLite to PostgreSQL is the usual move).

Exported (``support.transfer_records`` has the exact records):

- categories; articles in every locale (translations share ``translation_group``) with status, schedule,
  view count, every revision, the old slugs that redirect to them and their helpful/not-helpful votes;
- uploaded images' rows (``media``): the files are not in the export, copy ``<data dir>/media/``;
- FAQ intents with examples and answers per locale, their order and edit version; canned replies; the
  widget's appearance (kept as the target has it on a merge);
- conversations with every message (bot turns with their decision, confidence, candidates and the
  visitor's feedback; agent replies and internal notes; what the review queues recorded), the handoff
  ticket under its own number (agents, emails and webhooks know it by that), the rating and the outcome;
  the visitor's token digest, so they can still open or delete it; messages' HTML is rendered again from
  their text on import, never taken from the file;
- the back-office users those messages and tickets name, by email, name and role only.

Not exported: passwords, login sessions and API tokens (credentials stay with their server; users are
matched by email, and one the target lacks is created deactivated and without a password); the outbox
(deliveries in flight: let the worker drain it before moving); training jobs, the active model and the
model files (the target retrains from the imported intents: an import that brings intents queues a
retrain); search-index rows (rebuilt on import); help-center visit counts and search misses (traffic
statistics, not content, rebuilt by new traffic). Articles and intents in a locale the target is not
configured for are refused.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Iterable
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session

from core.db import is_postgres, session_scope
from support.transfer_export import export_lines
from support.transfer_import import ImportReport, content_counts, import_parsed
from support.transfer_records import KINDS, TransferError, is_export, parse

__all__ = [
    "ImportReport",
    "TransferError",
    "content_counts",
    "detect_format",
    "export",
    "import_lines",
    "lines_of",
]


def detect_format(first_line: str) -> str | None:
    """'faqdesk' when a file's first line is an export's header, else None (``faqdesk.imports`` detects
    the other formats `faqdesk import` reads: Rasa, spreadsheets, other help centers)."""
    return "faqdesk" if is_export(first_line) else None


def lines_of(text: str) -> list[str]:
    """A file's lines: split at newlines only (``str.splitlines`` would also split text at U+2028)."""
    return [line.removesuffix("\r") for line in text.split("\n")]


def export(engine: Engine, write: Callable[[str], Any]) -> dict[str, int]:
    """Write the export line by line (each with its newline) from one consistent snapshot; the counts."""
    with engine.connect() as connection:
        if is_postgres(engine):
            connection = connection.execution_options(isolation_level="REPEATABLE READ")
        else:  # SQLite reads outside a transaction statement by statement; one read transaction is a snapshot
            connection.exec_driver_sql("BEGIN")
        with Session(bind=connection) as session:
            counts: dict[str, int] = {}
            for number, line in enumerate(export_lines(session)):
                if number == 0:
                    counts = json.loads(line)["counts"]
                write(line + "\n")
        connection.rollback()
    return {kind: counts.get(kind, 0) for kind in KINDS}


def import_lines(
    engine: Engine,
    lines: Iterable[str],
    *,
    merge: bool = False,
    locales: Collection[str] | None = None,
    dry_run: bool = False,
) -> ImportReport:
    """Read a whole export, then write it in one transaction (``TransferError``: nothing written);
    ``locales``: the server's configured ones (articles and intents in others are refused); ``dry_run``:
    every check and write made, then rolled back, so the report says what an import would do."""
    parsed = parse(lines)  # every line checked before anything is written
    with session_scope(engine) as session:
        report = import_parsed(session, parsed, merge=merge, locales=locales)
        if dry_run:
            session.rollback()
        return report
