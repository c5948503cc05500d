"""`faqdesk serve --workers 2` as operators run it: every line of every process is JSON, and one scrape of
/metrics reports both server processes (tests/servers.py starts the real command)."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import httpx

from core.settings import Settings
from tests.servers import MINI, ask, machine, serve, serve_env

SERVING = re.compile(r'^faqdesk_model_serving\{pid="(\d+)",version="[^"]+"\} 1\.0$', re.M)


def test_every_process_logs_json_and_one_scrape_reports_them_all(
    site: Settings, tmp_path: Path, warm_cache: Path
) -> None:
    env = serve_env(machine(tmp_path / "m", warm_cache), site.database_url, training_data=str(MINI))
    log = tmp_path / "serve.log"
    with serve(env, "--workers", "2", "--no-worker", log=log) as base:
        turns = 6
        for _ in range(turns):
            ask(base, "How can I pause my subscription?")
        # A process reports the model it serves from its first request on, and the kernel hands each
        # new connection to either process: ask on new connections until both have answered once.
        deadline = time.monotonic() + 60
        while True:
            scraped = httpx.get(f"{base}/metrics").text  # from this machine, directly: allowed without a token
            if len(set(SERVING.findall(scraped))) == 2 or time.monotonic() > deadline:
                break
            httpx.get(f"{base}/readyz")
    lines = [line for line in log.read_text().splitlines() if line.strip()]
    records = [json.loads(line) for line in lines]  # the supervisor's, both servers' and the notes: all JSON
    servers = {r["event"] for r in records if r["event"].startswith("Started server process")}
    assert len(servers) == 2
    assert any(r["event"].startswith("help center: ") for r in records)  # serve's notes too
    assert len(set(SERVING.findall(scraped))) == 2  # one scrape, both processes
    decisions = re.findall(r"^faqdesk_bot_decisions_total\{[^}]*\} (\S+)$", scraped, re.M)
    assert sum(float(v) for v in decisions) == turns  # counted in whichever process answered, reported together
