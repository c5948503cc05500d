"""What faqdesk logs during a test, captured as production writes it (core.logs)."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from contextlib import contextmanager

from core import logs


@contextmanager
def captured_logs(level: str) -> Iterator[io.StringIO]:
    """Every line logged in the block at ``level`` or above, in the JSON format, in a string buffer."""
    stream = io.StringIO()
    root = logging.getLogger()
    previous = root.level
    handler = logs.configure(level=level, fmt="json", handler=logging.StreamHandler(stream))
    try:
        yield stream
    finally:
        root.removeHandler(handler)
        root.setLevel(previous)
