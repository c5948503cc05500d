"""SIGTERM stops the server gracefully: a request in flight gets its whole response, an open event stream
ends at once instead of holding the shutdown for its timeout, and the process exits with status 0. Every
line the server wrote meanwhile is JSON (uvicorn's own included).

The server runs in a subprocess (tests/shutdown_server.py) exactly as ``faqdesk serve`` runs one process.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.admin.conftest import make_settings
from tests.live import free_port
from tests.shutdown_server import PADDING

ROOT = Path(__file__).resolve().parents[2]
GRACE_SECONDS = 20


def wait_until_up(base: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        assert process.poll() is None, "the server exited while starting"
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise AssertionError("the server did not start")


def test_sigterm_finishes_requests_in_flight_ends_streams_and_exits_0(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "FAQDESK_DATA_DIR": str(settings.data_dir),
        "FAQDESK_DATABASE_URL": settings.database_url,
        "FAQDESK_GRACEFUL_SHUTDOWN_SECONDS": str(GRACE_SECONDS),
        "FAQDESK_LOG_FORMAT": "json",
        "FAQDESK_LOG_LEVEL": "INFO",
        "HF_HUB_OFFLINE": "1",
    }
    log_file = tmp_path / "server.log"
    with log_file.open("wb") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-m", "tests.shutdown_server", str(port)], cwd=ROOT, env=env, stderr=stderr
        )
    try:
        wait_until_up(base, process)
        started = httpx.post(f"{base}/api/v1/conversations", json={"locale": "en"}).json()
        auth = {"Authorization": f"Bearer {started['token']}"}
        results: dict[str, Any] = {}
        stream_open = threading.Event()

        def listen() -> None:
            try:
                with httpx.stream(
                    "GET", f"{base}/api/v1/conversations/{started['id']}/events", headers=auth, timeout=60
                ) as response:
                    for _line in response.iter_lines():
                        stream_open.set()
            except httpx.HTTPError as exc:  # a stream cut short is also an end
                results["stream_error"] = repr(exc)
            results["stream_ended"] = time.monotonic()

        def slow() -> None:
            results["slow"] = httpx.get(
                f"{base}/test/slow", params={"seconds": 3}, headers={"X-Request-ID": "slow-1"}, timeout=60
            )

        threads = [threading.Thread(target=listen), threading.Thread(target=slow)]
        for thread in threads:
            thread.start()
        assert stream_open.wait(10), "the event stream did not open"
        time.sleep(0.5)  # the slow request is in flight
        signalled = time.monotonic()
        process.send_signal(signal.SIGTERM)
        code = process.wait(timeout=GRACE_SECONDS + 10)
        stopped = time.monotonic() - signalled
        for thread in threads:
            thread.join(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert code == 0
    response = results["slow"]
    assert response.status_code == 200 and response.headers["X-Request-ID"] == "slow-1"
    assert response.json() == {"slept": 3, "padding": "x" * PADDING}  # the whole body arrived
    assert results["stream_ended"] - signalled < 3  # the stream ended at once, not after the grace period
    assert stopped < 8  # the slow request's remaining ~2.5 s, then out: nothing held the shutdown open

    written = [line for line in log_file.read_text().splitlines() if line.strip()]
    records = [json.loads(line) for line in written]  # every line is JSON
    events = {(r.get("logger"), r["event"]) for r in records}
    assert ("uvicorn.error", "Shutting down") in events
    assert ("uvicorn.error", f"Finished server process [{process.pid}]") in events
    slow_line = next(r for r in records if r["event"] == "request" and r.get("route") == "/test/slow")
    assert slow_line["status"] == 200 and slow_line["request_id"] == "slow-1"


@pytest.mark.parametrize("grace", ["20", "0.5"])
def test_serve_passes_the_graceful_timeout_and_its_own_logging_to_uvicorn(tmp_path: Path, grace: str) -> None:
    from core.settings import Settings
    from faqdesk.serving import server_options

    settings = Settings(data_dir=tmp_path, graceful_shutdown_seconds=grace, _env_file=None)
    assert server_options(settings) == {
        "log_config": None,  # uvicorn installs no handlers: every line goes through structlog
        "access_log": False,  # replaced by api/observability.py's line per request
        "timeout_graceful_shutdown": float(grace),
    }
