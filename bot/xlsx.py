"""The first sheet of an XLSX workbook as rows of text, each cell as the sheet shows it.

openpyxl reads it in read-only mode, which streams rows (a sheet of millions stops at ``MAX_ROWS``
instead of filling the memory) but gives merged cells no value past their first: the merged ranges
are read from the sheet's XML and filled from their top-left cell, as a person sees them.
"""

from __future__ import annotations

import io
import re
import zipfile
from datetime import date, datetime, time, timedelta
from typing import Any
from xml.etree.ElementTree import ParseError

from bot.data import Location
from bot.problems import Problem, TrainingDataError

# Any of these from openpyxl or the zip and XML readers under it means the bytes are no workbook it reads.
_UNREADABLE: tuple[type[Exception], ...] = (
    zipfile.BadZipFile,
    ParseError,
    KeyError,
    ValueError,
    TypeError,
    IndexError,
    AttributeError,
    OSError,
    EOFError,
)
_MERGE = re.compile(rb"<(?:\w+:)?mergeCell\s[^>]*?\bref=\"([A-Z]+[0-9]+:[A-Z]+[0-9]+)\"")


def xlsx_rows(data: bytes, name: str, *, max_rows: int, notes: list[str]) -> list[tuple[int, list[str]]]:
    """The numbered rows of the first sheet; ``TrainingDataError`` when it cannot be read or is too long."""
    from openpyxl import load_workbook  # only spreadsheets need it
    from openpyxl.utils.exceptions import InvalidFileException

    rows: list[tuple[int, list[str]]] = []
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        try:
            sheet = book.worksheets[0]
            for number, cells in enumerate(sheet.iter_rows(), start=1):
                if number > max_rows:
                    raise TrainingDataError([Problem(Location(name, number), f"more than {max_rows:,} rows")])
                rows.append(
                    (number, [_text(getattr(c, "value", None), getattr(c, "number_format", "")) for c in cells])
                )
            # Where openpyxl found the sheet's XML; read-only mode keeps it only in this attribute.
            path = getattr(sheet, "_worksheet_path", None)
        finally:
            book.close()
        merged = _merged_ranges(data, path) if isinstance(path, str) else []
    except (*_UNREADABLE, InvalidFileException) as exc:
        raise TrainingDataError([Problem(Location(name), f"not a readable XLSX workbook: {exc}")]) from None
    if merged:
        _fill(rows, merged)
        shown = ", ".join(sorted(merged, key=_top_left))
        notes.append(f"merged cells read as their value on every row they span: {shown}")
    return rows


def _text(value: Any, number_format: str) -> str:
    """A cell's value as the sheet shows it: a date without a midnight time, 15% rather than 0.15."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"  # what Excel shows
    if isinstance(value, datetime):
        if value.time() == time(0):
            return value.date().isoformat()
        return value.strftime("%Y-%m-%d %H:%M" if value.second == 0 else "%Y-%m-%d %H:%M:%S")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):
        return value.strftime("%H:%M" if value.second == 0 else "%H:%M:%S")
    if isinstance(value, timedelta):
        return str(value)
    if isinstance(value, int | float):
        if "%" in number_format:
            decimals = len(number_format.split("%")[0].partition(".")[2].rstrip("%"))
            return f"{value * 100:.{decimals}f}%"
        if isinstance(value, float):
            return str(int(value)) if value.is_integer() else f"{value:.15g}"
    return str(value)


def _merged_ranges(data: bytes, path: str) -> list[str]:
    """The sheet's merged ranges (``A2:A4``), found in its XML by a scan in chunks: they come after
    every row, and parsing a whole sheet's XML again would hold it all in memory."""
    found: list[str] = []
    tail = b""
    with zipfile.ZipFile(io.BytesIO(data)) as archive, archive.open(path.lstrip("/")) as stream:
        while chunk := stream.read(1 << 20):
            window = tail + chunk
            cut = window.rfind(b"<")  # a tag cut by the chunk's end is searched again with the next
            if cut < 0:
                tail = b""
                continue
            found += [m.group(1).decode() for m in _MERGE.finditer(window, 0, cut)]
            tail = window[cut:]
        found += [m.group(1).decode() for m in _MERGE.finditer(tail)]
    return found


def _top_left(ref: str) -> tuple[int, int]:
    from openpyxl.utils.cell import range_boundaries

    first_col, first_row, _, _ = range_boundaries(ref)
    return first_row, first_col


def _fill(rows: list[tuple[int, list[str]]], merged: list[str]) -> None:
    from openpyxl.utils.cell import range_boundaries

    by_number = {number: cells for number, cells in rows}
    width = max((len(cells) for cells in by_number.values()), default=0)
    for ref in merged:
        first_col, first_row, last_col, last_row = range_boundaries(ref)
        # A range over a whole column or row (A:A merged) reaches no further than the rows and columns read.
        last_col, last_row = min(last_col, width), min(last_row, rows[-1][0] if rows else 0)
        top = by_number.get(first_row)
        value = top[first_col - 1] if top is not None and first_col <= len(top) else ""
        for number in range(first_row, last_row + 1):
            cells = by_number.get(number)
            if cells is None or not value:
                continue
            cells.extend([""] * (last_col - len(cells)))
            for column in range(first_col, last_col + 1):
                cells[column - 1] = cells[column - 1] or value
