"""Each benchmark script owns one marked section of docs/benchmarks.md and rewrites only that."""

from __future__ import annotations

import re
from pathlib import Path


def read_section(path: Path, start: str, end: str) -> str:
    """The section from ``start`` to ``end`` (markers included), or "" when the file has none."""
    existing = path.read_text(encoding="utf-8") if path.exists() else ""
    found = re.search(re.escape(start) + r".*?" + re.escape(end), existing, re.S)
    return found.group(0) if found else ""


def put_section(path: Path, start: str, end: str, block: str) -> None:
    """Replace the marked section with ``block`` (which carries both markers), or append it."""
    existing = path.read_text(encoding="utf-8") if path.exists() else ""
    found = re.search(re.escape(start) + r".*?" + re.escape(end), existing, re.S)
    if found:
        updated = existing[: found.start()] + block + existing[found.end() :]
    else:
        updated = existing.rstrip("\n") + ("\n\n" if existing else "") + block + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(updated, encoding="utf-8")
