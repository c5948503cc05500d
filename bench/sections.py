"""What the benchmark scripts share: each owns one marked section of docs/benchmarks.md and rewrites only
that, and each records the machine it ran on."""

from __future__ import annotations

import os
import platform
import re
import subprocess
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def machine() -> dict[str, Any]:
    """CPU model, cores, Python version and the code's git version (``-dirty`` with local changes)."""
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    git = subprocess.run(["git", "describe", "--always", "--dirty"], cwd=ROOT, capture_output=True, text=True)
    return {"cpu": cpu, "cores": os.cpu_count(), "python": platform.python_version(), "git": git.stdout.strip()}


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
