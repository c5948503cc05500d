"""How ``faqdesk serve`` runs uvicorn: logging, metrics across processes, and stopping gracefully.

- Logging: uvicorn gets ``log_config=None`` so it installs no handlers of its own, and its access log is
  off (``api/observability.py`` writes one line per request instead). The server processes of
  ``--workers N`` are started fresh (spawned) and configure nothing themselves, so their app factory,
  ``app_factory`` here, configures logging before it builds the app: every process logs JSON.
- Metrics: a fresh ``PROMETHEUS_MULTIPROC_DIR`` under the data dir before any process starts; the
  children inherit it, and a scrape of any of them reports all (``core/telemetry.py``).
- Stopping: on SIGTERM uvicorn stops accepting, lets requests in flight finish for up to
  ``FAQDESK_GRACEFUL_SHUTDOWN_SECONDS`` (event streams end at once: sse-starlette watches uvicorn's exit
  flag), runs the app's shutdown, then re-raises the signal; the handler set here turns that into a
  clean exit with status 0 instead of death by signal.
"""

from __future__ import annotations

import signal
from types import FrameType
from typing import TYPE_CHECKING, Any

from core import logs, telemetry
from core.settings import Settings

if TYPE_CHECKING:
    from fastapi import FastAPI


def configure_logging(settings: Settings) -> None:
    logs.configure(level=settings.log_level, fmt=settings.log_format)


def server_options(settings: Settings) -> dict[str, Any]:
    """uvicorn options for logging and shutdown (the proxy options are ``cli.uvicorn_options``)."""
    return {
        "log_config": None,
        "access_log": False,
        "timeout_graceful_shutdown": settings.graceful_shutdown_seconds,
    }


def prepare(settings: Settings) -> None:
    """Just before uvicorn starts: the metrics folder, and a clean exit after a graceful stop."""
    telemetry.prepare_multiprocess(settings.data_dir / "metrics")
    signal.signal(signal.SIGTERM, _exit_cleanly)


def _exit_cleanly(_signum: int, _frame: FrameType | None) -> None:
    raise SystemExit(0)


def app_factory() -> FastAPI:
    """The app of one server process of ``--workers N`` (uvicorn imports this in each child)."""
    from api.app import create_app
    from core.settings import get_settings

    settings = get_settings()
    configure_logging(settings)
    return create_app(settings)
