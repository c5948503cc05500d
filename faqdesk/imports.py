"""``faqdesk import [FORMAT] PATH``: one command for every door into faqdesk.

- ``faqdesk``: the JSON lines of ``faqdesk export`` (``support.transfer``);
- ``rasa``: a Rasa project folder or NLU files (``bot.rasa``); ``csv``, ``xlsx``: an FAQ spreadsheet
  (``bot.spreadsheet``); ``yaml``: faqdesk's own intents YAML (what ``--out`` and the editor export);
  all write intents as the intents editor does (``support.intent_import``);
- ``markdown``: a folder of Markdown articles with front matter; ``zendesk``: a Zendesk Guide (Help
  Center API) export; both write categories and articles (``helpcenter.imports``).

The format is detected when not given. Every import prints what it decided (conflicts resolved, parts
skipped) on stderr and writes in one transaction: all of it or, on a problem, nothing.
"""

from __future__ import annotations

import re
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from bot.imported import ImportedData
from bot.loaders import load_training_text
from bot.rasa import looks_like_rasa, read_rasa
from bot.spreadsheet import read_spreadsheet

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

INTENT_FORMATS = ("rasa", "csv", "xlsx", "yaml")
HELPCENTER_FORMATS = ("markdown", "zendesk")
FORMATS = ("faqdesk", *INTENT_FORMATS, *HELPCENTER_FORMATS)


class ImportRefused(Exception):
    """The import cannot start (unknown format, unreadable path); the message says why."""


@dataclass(frozen=True)
class IntentOptions:
    """How intents are written: merge into, or replace, the intents already there."""

    merge: bool = False
    replace: bool = False
    strict: bool = False
    locale: str | None = None
    locales: tuple[str, ...] | None = None  # the configured ones


def detect(path: Path, first_line: str | None) -> str | None:
    """The format of ``path`` from its content (or, for spreadsheets, its name), or None."""
    from helpcenter.imports import looks_like_markdown, looks_like_zendesk
    from support import transfer

    if first_line is not None and transfer.detect_format(first_line):
        return "faqdesk"
    if path.suffix.lower() in {".csv", ".xlsx"}:
        return path.suffix.lower()[1:]
    if path.is_file() and path.suffix.lower() in {".yaml", ".yml"} and first_line is not None:
        text = "\n".join(_lines(str(path))[:200])
        if re.search(r"^intents\s*:", text, re.M):
            return "yaml"
    if looks_like_zendesk(path):
        return "zendesk"
    if looks_like_rasa(path):
        return "rasa"
    if looks_like_markdown(path):
        return "markdown"
    return None


def read_intents(format_: str, path: Path, *, options: IntentOptions) -> ImportedData:
    """Read a Rasa project or a spreadsheet (``TrainingDataError`` lists located problems)."""
    if format_ == "rasa":
        return read_rasa(path, locale=options.locale, strict=options.strict)
    if format_ == "yaml":
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ImportRefused(f"cannot read {path}: {exc}") from None
        return ImportedData(load_training_text(text, source=str(path)))
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ImportRefused(f"cannot read {path}: {exc}") from None
    return read_spreadsheet(
        data, name=str(path), locale=options.locale or "en", strict=options.strict, locales=options.locales
    )


def run(
    format_: str | None,
    path_text: str,
    *,
    options: IntentOptions,
    out: Path | None,
    dry_run: bool,
    echo: Callable[[str], None],
) -> None:
    """Import ``path_text`` (``-``: stdin, faqdesk format only) in ``format_`` or the detected one.

    Raises ``ImportRefused``, ``TrainingDataError`` (located problems) or ``FaqdeskError`` (the database
    refused: nothing was written); ``echo`` gets the report's lines.
    """
    if format_ is not None and format_ not in FORMATS:
        raise ImportRefused(f"unknown format {format_!r} (known: {', '.join(FORMATS)})")
    path = Path(path_text)
    lines: list[str] | None = None
    if path_text == "-" or format_ == "faqdesk":
        lines = _lines(path_text)
    elif format_ is None and path.is_file() and path.suffix.lower() not in {".csv", ".xlsx", ".md", ".json"}:
        lines = _lines(path_text)  # maybe an export: its first line says so
    elif not path.exists():
        raise ImportRefused(f"{path_text}: no such file or folder")
    format_ = format_ or detect(path, lines[0] if lines else None)
    if format_ is None:
        raise ImportRefused(
            f"{path_text}: not a format faqdesk recognises; name one: faqdesk import FORMAT PATH ({', '.join(FORMATS)})"
        )
    if format_ == "faqdesk":
        if lines is None:
            raise ImportRefused(f"{path_text}: a faqdesk export is one file of JSON lines")
        _import_export(path_text, lines, merge=options.merge, dry_run=dry_run, echo=echo)
    elif format_ in INTENT_FORMATS:
        _import_intents(format_, path, options=options, out=out, dry_run=dry_run, echo=echo)
    else:
        _import_helpcenter(format_, path, options=options, dry_run=dry_run, echo=echo)


def _lines(path_text: str) -> list[str]:
    from support import transfer

    try:
        data = sys.stdin.buffer.read() if path_text == "-" else Path(path_text).read_bytes()
        return transfer.lines_of(data.decode("utf-8-sig"))  # a BOM from an editor that saved the file
    except (OSError, UnicodeDecodeError) as exc:
        raise ImportRefused(f"cannot read {path_text}: {exc}") from None


@contextmanager
def _database(*, dry_run: bool = False) -> Iterator[Engine]:
    """The configured database at the latest schema.

    A dry run writes nothing, not even a schema: a database that does not exist yet (or is empty) is stood
    in for by an empty one in a temporary folder, what the import would meet; one at an older schema is
    refused, since migrating it is a write."""
    from core.db import make_engine
    from core.settings import Settings
    from migrations import upgrade

    url = Settings().database_url
    with ExitStack() as stack:
        if not dry_run:
            upgrade(url)
        elif not _has_schema(url):
            scratch = stack.enter_context(tempfile.TemporaryDirectory(prefix="faqdesk-dry-run-"))
            url = f"sqlite:///{Path(scratch) / 'empty.db'}"
            upgrade(url)
        engine = make_engine(url)
        try:
            yield engine
        finally:
            engine.dispose()


def _has_schema(url: str) -> bool:
    """Whether the database exists and holds faqdesk's tables; ``ImportRefused`` if at an older schema."""
    from sqlalchemy import make_url

    from core.db import make_engine
    from migrations import revisions

    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and not (parsed.database and Path(parsed.database).is_file()):
        return False  # connecting would create the file
    engine = make_engine(url)
    try:
        current, latest = revisions(engine)
    finally:
        engine.dispose()
    if current and current != latest:
        raise ImportRefused(
            "the database's schema is older than this version of faqdesk: run `faqdesk serve` or an import "
            "without --dry-run to migrate it first (a dry run writes nothing, a migration included)"
        )
    return bool(current)


def _import_export(
    path_text: str, lines: list[str], *, merge: bool, dry_run: bool, echo: Callable[[str], None]
) -> None:
    from core.settings import Settings
    from support import transfer

    with _database(dry_run=dry_run) as engine:
        report = transfer.import_lines(engine, lines, merge=merge, locales=Settings().locales, dry_run=dry_run)
    for skipped in report.skipped:
        echo(f"skipped {skipped}")
    if report.created_users:
        created = "would create" if dry_run else "created"
        echo(f"{created} deactivated accounts without a password for: " + ", ".join(report.created_users))
    done = "would import " if dry_run else "imported "
    echo(done + (", ".join(f"{n} {kind}" for kind, n in report.imported.items()) or "nothing"))


def _import_intents(
    format_: str, path: Path, *, options: IntentOptions, out: Path | None, dry_run: bool, echo: Callable[[str], None]
) -> None:
    from core.db import session_scope
    from core.settings import Settings
    from support import intent_import
    from support.intent_rows import intents_yaml
    from support.intents import list_intents

    imported = read_intents(format_, path, options=options)
    locales = Settings().locales
    with _database(dry_run=dry_run) as engine, session_scope(engine) as session:
        present = len(list_intents(session))
        if present and not (options.merge or options.replace) and not dry_run:
            raise ImportRefused(
                f"the database already has {present} intents: pass --merge to add and update by id, "
                "or --replace to keep only the imported ones"
            )
        if dry_run:
            plan = intent_import.plan(session, imported=imported, locales=locales, replace=options.replace)
            session.rollback()
        else:
            plan = intent_import.import_intents(
                session, imported=imported, locales=locales, user="faqdesk import", replace=options.replace
            )
    for line in plan.notes:
        echo(f"note: {line}")
    for line in plan.decisions:
        echo(f"resolved: {line}")
    if out is not None:
        out.write_text(intents_yaml(imported.data.intents.values(), heading=f"imported from {path},"), "utf-8")
        echo(f"wrote faqdesk YAML to {out}")
    counts = ", ".join(f"{n} {what}" for what, n in plan.counts.items())
    echo(f"{'would import' if dry_run else 'imported'} intents: {counts}; {len(plan.unanswered)} without an answer")


def _import_helpcenter(
    format_: str, path: Path, *, options: IntentOptions, dry_run: bool, echo: Callable[[str], None]
) -> None:
    from core.db import session_scope
    from core.settings import Settings
    from helpcenter import imports

    if format_ == "zendesk":
        content = imports.read_zendesk(path)
    else:
        content = imports.read_markdown(path, default_locale=options.locale or Settings().default_locale)
    if options.replace:  # articles are never deleted by an import: --replace is about intents
        echo("note: --replace keeps the help center's other articles: an article whose slug exists is left alone")
    with _database(dry_run=dry_run) as engine, session_scope(engine) as session:
        report = imports.import_content(
            session, content=content, merge=options.merge or options.replace, locales=Settings().locales
        )
        if dry_run:
            session.rollback()
    for line in report.notes:
        echo(f"note: {line}")
    counts = ", ".join(f"{n} {what}" for what, n in report.counts.items())
    echo(f"{'would import' if dry_run else 'imported'} {counts}")
