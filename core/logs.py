"""Logging for every faqdesk process: one JSON object per line on stderr (``FAQDESK_LOG_FORMAT=json``, the
default) or aligned text for a person at a terminal (``console``).

structlog renders every line, including the standard ``logging`` calls of faqdesk's modules, uvicorn and
SQLAlchemy: they all reach the root logger's one handler, whose ``ProcessorFormatter`` runs the same
processors as structlog's own loggers. Every line has ``timestamp`` (UTC, ISO 8601), ``level``,
``logger`` and ``event``, plus whatever the context binds: ``request_id`` while a request is handled
(``api/observability.py``), ``task`` while the worker runs one of its tasks (``bound``).

Log calls name things by id, never by what people wrote: visitors' messages, names and email addresses
stay out of the logs. As a last guard, anything shaped like an email address in a line (an exception's
text included) is masked before it is written.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Iterator, MutableMapping
from contextlib import contextmanager
from typing import Any, Literal, TextIO

import structlog

Format = Literal["json", "console"]
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# Their INFO is every SQL statement or HTTP call, URLs (webhook addresses) included: too much and too personal;
# alembic's plugins announce themselves on every start (its migration lines stay).
QUIET = {name: logging.WARNING for name in ("sqlalchemy", "httpx", "httpx2", "httpcore", "alembic.runtime.plugins")}

_SHARED: list[Any] = [
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.add_log_level,
    structlog.stdlib.add_logger_name,
    structlog.processors.TimeStamper(fmt="iso", utc=True, key="timestamp"),
    # Only these ``extra`` fields of a standard logging call become keys (the access line's), nothing else.
    structlog.stdlib.ExtraAdder(allow=("method", "route", "status", "duration_ms")),
]


def mask_emails(_logger: object, _name: str, event_dict: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """Mask email addresses in every text value of the line (the guard behind "no personal data")."""
    for key, value in event_dict.items():
        if isinstance(value, str) and "@" in value:
            event_dict[key] = EMAIL.sub("[email]", value)
    return event_dict


class _Stderr(logging.StreamHandler):
    """Writes to whatever ``sys.stderr`` is at the time of the line (test runners swap it)."""

    def __init__(self) -> None:
        super().__init__()

    @property
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, _value: TextIO) -> None:
        pass


def formatter(fmt: Format = "json") -> structlog.stdlib.ProcessorFormatter:
    """The formatter every line goes through (also used by tests on a handler of their own)."""
    renderer: Any = (
        structlog.processors.JSONRenderer(ensure_ascii=False)
        if fmt == "json"
        else structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())
    )
    return structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=_SHARED,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info if fmt == "json" else _keep,
            mask_emails,
            renderer,
        ],
    )


def _keep(_logger: object, _name: str, event_dict: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    return event_dict  # the console renderer draws exceptions itself


def configure(*, level: str = "INFO", fmt: Format = "json", handler: logging.Handler | None = None) -> logging.Handler:
    """Route all logging of this process through structlog onto stderr (or ``handler``); idempotent.

    Replaces only the handler a previous call installed, so a test runner's own handlers stay.
    """
    structlog.configure(
        processors=[*_SHARED, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, "faqdesk", False)]:
        root.removeHandler(old)
    new = handler or _Stderr()
    new.setFormatter(formatter(fmt))
    new.faqdesk = True  # type: ignore[attr-defined]
    root.addHandler(new)
    root.setLevel(level.upper())
    for name, quiet in QUIET.items():
        logging.getLogger(name).setLevel(max(quiet, root.level))
    # uvicorn's loggers write through the root handler; its access log is replaced by faqdesk's own.
    for name in ("uvicorn", "uvicorn.error", "uvicorn.asgi"):
        logging.getLogger(name).handlers = []
        logging.getLogger(name).propagate = True
    logging.getLogger("uvicorn.access").disabled = True
    logging.captureWarnings(True)
    return new


def configure_from_environment() -> None:
    """``configure`` with ``FAQDESK_LOG_LEVEL`` and ``FAQDESK_LOG_FORMAT`` (a child process that has no
    settings of its own); defaults when they cannot be read."""
    from core.settings import Settings

    try:
        settings = Settings()
    except Exception:  # the process reports a bad setting itself where it matters
        settings = Settings.model_construct()
    configure(level=settings.log_level, fmt=settings.log_format)


def context() -> dict[str, Any]:
    """What is bound now (to hand to a child process)."""
    return dict(structlog.contextvars.get_contextvars())


@contextmanager
def bound(**values: Any) -> Iterator[None]:
    """Add ``values`` to every line logged inside the block (in this thread or task, and the threads it starts
    with the context copied, as anyio and asyncio do)."""
    with structlog.contextvars.bound_contextvars(**values):
        yield


def bind(**values: Any) -> dict[str, Any]:
    """Bind ``values`` until ``unbind`` is given what this returned (for code that cannot use a ``with``)."""
    return dict(structlog.contextvars.bind_contextvars(**values))


def unbind(tokens: dict[str, Any]) -> None:
    structlog.contextvars.reset_contextvars(**tokens)
