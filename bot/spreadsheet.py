"""Read an FAQ kept in a spreadsheet (CSV or XLSX) as training data, with a report of every decision.

One row per question; columns by their header, in any order and case: ``question`` (required; several
questions in one cell, one per line, are all examples), ``intent`` (which questions belong together:
names differing only in case, spacing or punctuation are one; in a sheet that names each intent on
its first row only, filled down or with merged cells, a row that leaves it empty continues the one
above unless it gives an answer of its own) or, without it, ``answer`` (rows with the same answer
are one intent, named after its first question), ``answer``, ``locale`` (else the default),
``article`` (a help-center slug), ``kind`` (``faq``, the default, ``smalltalk`` or ``handoff``),
``title`` (what a "Did you mean …?" button shows). Other columns are ignored, with a note. An intent
whose rows give two answers in one locale keeps the one given most often (the first on a tie), and
says so; an intent without any answer is imported without one.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from bot.data import INTENT_KINDS, MAX_ID_CHARS, Intent, Location, TrainingData
from bot.imported import ImportedData, intent_id, resolve_conflicts
from bot.problems import Problem, TrainingDataError
from bot.xlsx import xlsx_rows

COLUMNS = ("intent", "kind", "locale", "question", "answer", "title", "article")  # the order an export writes
MAX_ROWS = 50_000  # an FAQ has hundreds; a sheet of millions is a mistake (or a zip bomb) to stop early
# An id made from a question is cut here; one written in the intent column is kept whole up to the id's limit.
MADE_ID_CHARS = 60
_ALIASES = {"questions": "question", "example": "question", "examples": "question", "answers": "answer"}


@dataclass
class _Row:
    number: int
    questions: list[str]
    answer: str
    locale: str
    article: str
    group: str  # the intent column, else the answer, else the first question
    name: str  # what the intent's id is made of: the intent column, else the first question
    kind: str
    title: str
    after_gap: bool  # an empty row above it ends the group above


def read_spreadsheet(
    data: bytes, *, name: str, locale: str = "en", strict: bool = False, locales: Sequence[str] | None = None
) -> ImportedData:
    """Read a CSV or XLSX file's bytes (XLSX when they are a zip archive, whatever the name says).

    A locale written otherwise than faqdesk writes it (``DE``, ``en-US``) is read as the one it means:
    of ``locales`` (the configured ones) when given, else as a lowercase language code.
    """
    imported = ImportedData(TrainingData())
    if data[:4] == b"PK\x03\x04":
        rows: Iterator[tuple[int, list[str]]] = iter(xlsx_rows(data, name, max_rows=MAX_ROWS, notes=imported.notes))
    else:
        rows = _csv_rows(data, name, imported)
    header_line, header = next(rows, (1, []))
    columns: dict[str, int] = {}
    for index, raw in enumerate(header):
        title = " ".join(raw.casefold().split())
        column = _ALIASES.get(title, title)
        if column in COLUMNS and column not in columns:
            columns[column] = index
        elif title:
            imported.notes.append(f"column '{raw.strip()}' is not one faqdesk reads: ignored")
    if "question" not in columns or not {"intent", "answer"} & set(columns):
        found = ", ".join(t.strip() for t in header if t.strip()) or "none"
        message = f"the first row must name a 'question' column and an 'intent' or 'answer' column (found: {found})"
        raise TrainingDataError([Problem(Location(name, header_line), message)])
    parsed = list(_records(rows, columns, default_locale=locale, imported=imported))
    if not parsed:
        raise TrainingDataError([Problem(Location(name), "no rows with a question")])
    _fill_down(parsed, imported)
    _read_locales(parsed, locales, imported)
    occurrences = _intents(parsed, imported, name=name, named="intent" in columns)
    resolve_conflicts(imported, occurrences=occurrences, strict=strict)
    unanswered = imported.unanswered()
    if unanswered:
        imported.notes.append(f"{len(unanswered)} intents have no answer in some locale: {', '.join(unanswered)}")
    return imported


def _records(
    rows: Iterable[tuple[int, list[str]]], columns: dict[str, int], *, default_locale: str, imported: ImportedData
) -> Iterator[_Row]:
    def cell(row: list[str], column: str) -> str:
        index = columns.get(column)
        return row[index].strip() if index is not None and index < len(row) else ""

    without_question = []
    gap = False
    for number, row in rows:
        if not any(value.strip() for value in row):
            gap = True
            continue
        questions = [" ".join(q.split()) for q in cell(row, "question").splitlines() if q.strip()]
        if not questions:
            without_question.append(str(number))
            continue
        answer = cell(row, "answer")
        named = cell(row, "intent")
        # Grouped by the id the name makes, so 'Returns' and 'returns ' are one intent.
        group = (
            f"intent:{intent_id(named)}"
            if named
            else f"answer:{' '.join(answer.split())}"
            if answer
            else f"q:{questions[0]}"
        )
        loc = cell(row, "locale") or default_locale
        kind = cell(row, "kind").casefold()
        article, title = cell(row, "article"), " ".join(cell(row, "title").split())
        yield _Row(number, questions, answer, loc, article, group, named or questions[0], kind, title, gap)
        gap = False
    if without_question:
        imported.notes.append(f"rows without a question skipped: {', '.join(without_question)}")


def _fill_down(rows: list[_Row], imported: ImportedData) -> None:
    """Rows that leave the intent empty continue the intent above them, in a sheet that names each intent
    on its group's first row only (filled down, or merged cells saved as CSV). A sheet that writes a
    group's intent on each of its rows means a row without one as a question of its own."""
    pairs = zip(rows, rows[1:], strict=False)
    if any(a.group == b.group and b.group.startswith("intent:") and not b.after_gap for a, b in pairs):
        return
    continued = []
    above: _Row | None = None  # the last row naming an intent, until an empty row or a row of another answer
    for row in rows:
        if row.after_gap or row.group.startswith("intent:"):
            above = row if row.group.startswith("intent:") else None
        elif above is not None and row.answer in ("", above.answer):
            row.group, row.name = above.group, above.name
            continued.append(str(row.number))
        else:
            above = None
    if continued:
        imported.notes.append(
            f"rows without an intent read as the intent above them (the sheet names each on its first row only): "
            f"{', '.join(continued)}"
        )


def _read_locales(rows: list[_Row], locales: Sequence[str] | None, imported: ImportedData) -> None:
    """Read ``DE`` as ``de`` and ``en-US`` as ``en`` (module docstring), when only one locale fits."""
    written = dict.fromkeys(row.locale for row in rows)
    regions: Counter[str] = Counter(_language(code) for code in written if _language(code) != code.casefold())
    read: dict[str, str] = {}
    for code in written:
        folded = code.casefold().replace("_", "-")
        if locales is not None:
            fits = [loc for loc in locales if loc.casefold() == folded] or [
                loc for loc in locales if _language(loc) == _language(code)
            ]
            read[code] = fits[0] if len(fits) == 1 else code
        elif folded != _language(code):  # a region: its language, unless two regions of it are written
            read[code] = _language(code) if regions[_language(code)] == 1 else code
        else:
            read[code] = folded
    for row in rows:
        row.locale = read[row.locale]
    changed = [f"{code} → {loc}" for code, loc in read.items() if code != loc]
    if changed:
        imported.notes.append(f"locales read as faqdesk's: {', '.join(changed)}")


def _language(code: str) -> str:
    return code.casefold().replace("_", "-").split("-")[0]


def _intents(rows: list[_Row], imported: ImportedData, *, name: str, named: bool) -> Counter[tuple[str, str, str]]:
    """Group rows into intents; returns how often each question was written under each intent."""
    ids: dict[str, str] = {}
    answers: dict[tuple[str, str], Counter[str]] = {}
    titles: dict[tuple[str, str], Counter[str]] = {}
    articles: dict[str, Counter[str]] = {}
    occurrences: Counter[tuple[str, str, str]] = Counter()
    intents = imported.data.intents
    spellings: dict[str, dict[str, None]] = {}
    for row in rows:
        if row.group.startswith("intent:"):
            spellings.setdefault(row.group, {})[row.name] = None
        if row.group not in ids:
            # An exported id comes back as it was (a cut one would import as a new intent beside it).
            limit = MAX_ID_CHARS if row.group.startswith("intent:") else MADE_ID_CHARS
            base = intent_id(row.name)[:limit].strip("_") or "intent"
            candidate, number = base, 2
            while candidate in intents:
                candidate, number = f"{base}_{number}", number + 1
            ids[row.group] = candidate
            intents[candidate] = Intent(id=candidate, source=Location(name, row.number))
            imported.names[candidate] = row.name
        intent = intents[ids[row.group]]
        if row.kind in INTENT_KINDS:
            intent.kind = row.kind  # type: ignore[assignment]  # checked just above
        elif row.kind:
            imported.notes.append(f"{name}:{row.number}: kind '{row.kind}' is not one of {', '.join(INTENT_KINDS)}")
        intent.examples.setdefault(row.locale, []).extend(row.questions)
        for question in row.questions:
            occurrences[(row.locale, " ".join(question.casefold().split()), intent.id)] += 1
        if row.answer:
            answers.setdefault((intent.id, row.locale), Counter())[row.answer] += 1
        if row.title:
            titles.setdefault((intent.id, row.locale), Counter())[row.title] += 1
        if row.article:
            articles.setdefault(intent.id, Counter())[row.article] += 1
    for (intent_key, loc), given in answers.items():
        intents[intent_key].answers[loc] = _most_common(given, f"'{intent_key}' ({loc}): answers", imported)
    for (intent_key, loc), given in titles.items():
        intents[intent_key].titles[loc] = _most_common(given, f"'{intent_key}' ({loc}): titles", imported)
    for intent_key, given in articles.items():
        intents[intent_key].article = _most_common(given, f"'{intent_key}': articles", imported)
    for group, written in spellings.items():
        if len(written) > 1:
            shown = ", ".join(repr(n) for n in written)
            imported.notes.append(f"intent '{ids[group]}' written as {shown}: read as one intent")
    renamed = sum(1 for i, source in imported.names.items() if i != source)
    if renamed and named:
        imported.notes.append(f"{renamed} intent names made into faqdesk ids ([a-z0-9_]+)")
    elif not named:
        imported.notes.append(
            f"no intent column: rows grouped by answer (a row without one is an intent of its own) into {len(intents)} "
            "intents, each named after its first question"
        )
    return occurrences


def _most_common(given: Counter[str], what: str, imported: ImportedData) -> str:
    """The value given most often (the first given on a tie); a choice among several is a decision."""
    best = max(given.values())
    winner = next(value for value, n in given.items() if n == best)
    if len(given) > 1:
        shown = winner if len(winner) <= 60 else winner[:57] + "..."
        imported.decisions.append(f"{what} differ in {sum(given.values())} rows: kept {shown!r} ({best}x)")
    return winner


def _csv_rows(data: bytes, name: str, imported: ImportedData) -> Iterator[tuple[int, list[str]]]:
    try:
        if data[:2] in (b"\xff\xfe", b"\xfe\xff"):  # Excel's "Unicode text": UTF-16, tab-separated
            text = data.decode("utf-16", errors="replace")
        else:
            text = data.decode("utf-8-sig")
    except UnicodeDecodeError:  # Excel's "CSV" on Windows
        text = data.decode("cp1252", errors="replace")
        imported.notes.append(f"{name} is not UTF-8: read as Windows-1252")
    # The header row names the columns, so its commonest separator is the file's (Excel writes ';' in
    # much of Europe); the sniffer guesses from answers too, which are full of commas and semicolons.
    first = text.split("\n", 1)[0]
    delimiter = max(",;\t", key=first.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        for number, row in enumerate(reader, start=1):
            if number > MAX_ROWS:
                raise TrainingDataError([Problem(Location(name, number), f"more than {MAX_ROWS:,} rows")])
            yield reader.line_num, row
    except csv.Error as exc:
        raise TrainingDataError([Problem(Location(name, reader.line_num), f"malformed CSV: {exc}")]) from None


def intents_csv(intents: Iterable[Intent]) -> str:
    """Intents as the spreadsheet this module reads: one row per question, the answer and title on each
    row of its locale (an answer in a locale without questions has no row to go on)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for intent in intents:
        for loc, questions in intent.examples.items():
            for question in questions:
                answer = intent.answers.get(loc, "")
                title = intent.titles.get(loc, "")
                writer.writerow([intent.id, intent.kind, loc, question, answer, title, intent.article or ""])
    return out.getvalue()
