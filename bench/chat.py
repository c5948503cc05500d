"""Chat benchmark: many concurrent widget clients against a real server process (see bench/README.md).

Starts ``faqdesk serve`` in a subprocess on a temporary data folder (it migrates, loads the demo content
and trains the demo FAQ), then runs N concurrent clients, each in a loop: start a conversation, send a few
messages taken from training_data/eval/heldout.jsonl, one after another. Every POST .../messages is a chat
turn; its time as the client sees it (queueing included) is recorded, and the bot's own time per turn is
read back from the stored bot turns (``Message.latency_ms``).

Each run has one phase per ``--think`` value: the mean pause (seconds, drawn uniformly from 0.5x to 1.5x)
a client takes after a reply before its next message. A pause models a visitor reading and typing (1 s is
a very fast one); 0 sends back to back, which measures the server's capacity, and then the latency is
mostly queueing: each turn waits for the turns of the other clients ahead of it.

    .venv/bin/python bench/chat.py                  # 20 clients, 60 s paced (1 s) and 60 s back to back
    .venv/bin/python bench/chat.py --clients 5 --seconds 20 --think 0
    .venv/bin/python bench/chat.py --database-url postgresql://postgres@127.0.0.1:5432/bench_chat
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx
import numpy as np
from sections import put_section
from sqlalchemy import text
from sqlalchemy.engine import make_url

from core.db import is_postgres, make_engine, normalize_url
from core.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
failures: list[str] = []
HELDOUT = ROOT / "training_data" / "eval" / "heldout.jsonl"
TARGETS = {"p50": 25.0, "p99": 100.0}  # ms per chat turn, from the quality bar
SECTION_END = "<!-- /bench/chat.py -->"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def section_start(backend: str) -> str:
    return f"<!-- bench/chat.py {backend} -->"


def database_url(url: str | None, folder: Path) -> str:
    """A temporary SQLite file, or the given database emptied first (never the test suite's)."""
    if url is None:
        return f"sqlite:///{folder / 'chat.db'}"
    if make_url(normalize_url(url)).database == "test":
        sys.exit("refusing the database named 'test': it belongs to the test suite")
    engine = make_engine(url)
    if is_postgres(engine):
        with engine.begin() as conn:  # the server seeds demo content only into an empty database
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    return url


def start_server(folder: Path, port: int, url: str, workers: int) -> subprocess.Popen[bytes]:
    env = dict(
        os.environ,
        HF_HUB_OFFLINE="1",
        FAQDESK_DATA_DIR=str(folder / "var"),
        FAQDESK_DATABASE_URL=url,
        # The benchmark is one address sending many messages: lift the abuse limits.
        FAQDESK_WIDGET_RATE_LIMIT_IP="1000000/minute",
        FAQDESK_WIDGET_RATE_LIMIT_CONVERSATION="1000000/minute",
    )
    cmd = [str(ROOT / ".venv" / "bin" / "faqdesk"), "serve", "--port", str(port), "--workers", str(workers)]
    log = open(folder / "server.log", "wb")  # noqa: SIM115 (lives as long as the server)
    return subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)


def wait_ready(port: int, server: subprocess.Popen[bytes], timeout: float = 600) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError("the server exited; see its log")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(1)
    raise RuntimeError("the server did not become ready")


async def client(
    base: str, messages: list[tuple[str, str]], stop_at: float, seed: int, out: list[float], think: float
) -> int:
    rng = random.Random(seed)
    errors = 0

    async def pause() -> None:
        if think > 0:
            await asyncio.sleep(rng.uniform(0.5 * think, 1.5 * think))

    async with httpx.AsyncClient(base_url=base, timeout=30) as http:
        await pause()  # clients start spread out, as visitors arrive
        while time.monotonic() < stop_at:
            locale = rng.choice(["en", "de", "nl"])
            try:
                started = await http.post("/api/v1/conversations", json={"locale": locale})
            except httpx.HTTPError as exc:
                failures.append(f"{type(exc).__name__}: {exc}")
                errors += 1
                continue
            if started.status_code != 201:
                failures.append(f"HTTP {started.status_code} starting a conversation")
                errors += 1
                continue
            body = started.json()
            headers = {"Authorization": f"Bearer {body['token']}"}
            pool = [t for t, loc in messages if loc == locale]
            for _ in range(rng.randint(1, 4)):
                if time.monotonic() >= stop_at:
                    break
                t0 = time.perf_counter()
                try:
                    reply = await http.post(
                        f"/api/v1/conversations/{body['id']}/messages", json={"text": rng.choice(pool)}, headers=headers
                    )
                except httpx.HTTPError as exc:  # counted, and the log says what the server did
                    failures.append(f"{type(exc).__name__}: {exc}")
                    errors += 1
                    continue
                elapsed = (time.perf_counter() - t0) * 1000
                if reply.status_code == 200:
                    out.append(elapsed)
                else:
                    failures.append(f"HTTP {reply.status_code} on a message")
                    errors += 1
                await pause()
    return errors


@dataclass
class Phase:
    think: float
    latencies: list[float]
    server_side: list[float]
    errors: int
    took: float
    failures: list[str]


def percentiles(values: list[float]) -> dict[str, float]:
    if not values:
        return {"p50": float("nan"), "p90": float("nan"), "p99": float("nan")}
    arr = np.array(values)
    return {f"p{q}": float(np.percentile(arr, q)) for q in (50, 90, 99)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--think", type=float, nargs="+", default=[1.0, 0.0], help="mean pause per phase (s)")
    parser.add_argument("--warmup", type=float, default=5.0)
    parser.add_argument("--workers", type=int, default=1, help="server processes (faqdesk serve --workers)")
    parser.add_argument("--database-url", help="default: a temporary SQLite file; a PostgreSQL one is emptied first")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "benchmarks.md")
    args = parser.parse_args()

    messages = []
    for line in HELDOUT.read_text().splitlines():
        row = json.loads(line)
        messages.append((row["text"], row.get("locale", "en")))

    phases: list[Phase] = []
    database = "SQLite"
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        port = free_port()
        t0 = time.monotonic()
        url = database_url(args.database_url, folder)
        server = start_server(folder, port, url, args.workers)
        try:
            wait_ready(port, server)
            print(f"server ready in {time.monotonic() - t0:.0f} s (migrate, demo content, training)", file=sys.stderr)
            base = f"http://127.0.0.1:{port}"

            async def run(seconds: float, clients: int, think: float) -> tuple[list[float], int, float]:
                latencies: list[float] = []
                stop_at = time.monotonic() + seconds
                began = time.monotonic()
                errors = await asyncio.gather(
                    *(client(base, messages, stop_at, i, latencies, think) for i in range(clients))
                )
                return latencies, sum(errors), time.monotonic() - began

            asyncio.run(run(args.warmup, args.clients, 0.0))
            engine = make_engine(url)
            database = "PostgreSQL" if is_postgres(engine) else "SQLite"
            for think in args.think:
                failures.clear()
                with engine.connect() as conn:
                    mark = conn.execute(text("SELECT coalesce(max(id), 0) FROM message")).scalar_one()
                latencies, errors, took = asyncio.run(run(args.seconds, args.clients, think))
                with engine.connect() as conn:
                    query = (
                        "SELECT latency_ms FROM message WHERE sender = 'bot' AND latency_ms IS NOT NULL AND id > :mark"
                    )
                    rows = conn.execute(text(query), {"mark": mark}).all()
                phases.append(Phase(think, latencies, [float(r[0]) for r in rows], errors, took, list(failures)))
                print(f"phase think={think:g}s: {len(latencies)} turns", file=sys.stderr)
            engine.dispose()
        finally:
            server.terminate()
            server.wait(timeout=30)
            log = (folder / "server.log").read_text(errors="replace").splitlines()
            problems = [line for line in log if "Error" in line or "error" in line.lower()[:40]]
            if problems:
                for line, n in Counter(problems).most_common(5):
                    print(f"server log, {n} ×: {line}", file=sys.stderr)

    load = os.getloadavg()[0]
    encoder = Settings().encoder_backend  # the server reads the same environment
    server = database if args.workers == 1 else f"{database}, {args.workers} server processes"
    lines = [
        section_start(server),
        f"## Chat API under concurrent load, {server}",
        "",
        f"`.venv/bin/python bench/chat.py --clients {args.clients} --seconds {args.seconds:g} "
        f"--workers {args.workers} --think "
        f"{' '.join(f'{t:g}' for t in args.think)}` on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, "
        f"{os.cpu_count()} cores, load average {load:.2f} at the end; encoder backend {encoder}. "
        f"Server (`faqdesk serve --workers {args.workers}`, {database}, demo FAQ) and clients share the machine.",
        "",
        "| clients' pause after a reply | measured | n | p50 | p90 | p99 | throughput | errors | target |",
        "|---|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for phase in phases:
        client_p, bot_p = percentiles(phase.latencies), percentiles(phase.server_side)
        verdict = ", ".join(f"{k} {'met' if client_p[k] <= v else '**missed**'}" for k, v in TARGETS.items())
        pause = f"{phase.think:g} s (0.5–1.5×)" if phase.think else "none (back to back)"
        lines += [
            f"| {pause} | chat turn as the client sees it | {len(phase.latencies)} | {client_p['p50']:.1f} ms | "
            f"{client_p['p90']:.1f} ms | {client_p['p99']:.1f} ms | {len(phase.latencies) / phase.took:.1f} turns/s | "
            f"{phase.errors} | p50 ≤ 25 ms, p99 ≤ 100 ms: {verdict} |",
            f"| | bot turn inside the server | {len(phase.server_side)} | {bot_p['p50']:.1f} ms | "
            f"{bot_p['p90']:.1f} ms | {bot_p['p99']:.1f} ms | | | |",
        ]
    problems = [f"{n} × {what}" for phase in phases for what, n in Counter(phase.failures).most_common(3)]
    if problems:
        lines += ["", "Errors: " + "; ".join(problems) + "."]
    lines.append(SECTION_END)
    block = "\n".join(lines)
    print(block)
    if args.out:
        put_section(args.out, section_start(server), SECTION_END, block)


if __name__ == "__main__":
    main()
