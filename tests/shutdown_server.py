"""A server for tests/api/test_graceful_shutdown.py: the real app, run the way ``faqdesk serve`` runs one
process (its logging, uvicorn options and signal handling), plus one slow route to be caught in flight.

Usage: python -m tests.shutdown_server PORT (settings from the FAQDESK_* environment).
"""

from __future__ import annotations

import asyncio
import sys

import uvicorn

from api.app import create_app
from core.settings import get_settings
from faqdesk import serving
from faqdesk.cli import uvicorn_options

PADDING = 200_000  # a body larger than one socket write, so "complete" means something


def main(port: int) -> None:
    settings = get_settings()
    serving.configure_logging(settings)
    app = create_app(settings)

    @app.get("/test/slow")
    async def slow(seconds: float = 2.0) -> dict[str, object]:
        await asyncio.sleep(seconds)
        return {"slept": seconds, "padding": "x" * PADDING}

    serving.prepare(settings)
    options = {**uvicorn_options(settings), **serving.server_options(settings)}
    uvicorn.run(app, host="127.0.0.1", port=port, **options)


if __name__ == "__main__":
    main(int(sys.argv[1]))
