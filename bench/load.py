"""Load and capacity: simulated widget visitors (locust, headless) against `faqdesk serve` (see bench/README.md).

The script starts the product as a user runs it: `faqdesk serve` on a temporary data folder (it migrates,
loads the demo content and trains the demo FAQ at its first start). ``--backend sqlite`` runs one app
process on SQLite; ``--backend postgresql`` runs ``faqdesk serve --workers 2`` (two app processes behind
one port, the background worker once in the supervising process) on a PostgreSQL database created for the
run and dropped after. The widget rate limits are lifted: every simulated visitor comes from 127.0.0.1.

Phases (``--only``):
- visitors: ``--users`` visitors hold whole conversations for ``--seconds``: start, a greeting, 1-3
  questions from training_data/eval/heldout.jsonl in the conversation's locale, a click on an offered
  option, a thumbs up or down on an answer, sometimes (10%) a handoff with name and email, and a reading
  pause (``--pause``, uniform) before every message. Bar: no errors, chat turn p99 <= 150 ms.
- capacity: ``--capacity-users`` clients send chat turns back to back for ``--seconds``. Bar: >= 150 turns/s.
- soak: the visitors workload for ``--soak-minutes`` with the RSS of the server processes sampled every
  10 s. Bar: growth <= 5% from the end of the warm-up (first 60 s) to the end.
- memory: a fresh `faqdesk serve` (SQLite, embedded worker); an editor adds an intent in the back office,
  the embedded worker retrains; once the new model is served, the serving process's RSS. Bar: <= 400 MB.

    .venv/bin/python bench/load.py                                        # both backends, every phase
    .venv/bin/python bench/load.py --backend sqlite --only visitors capacity
    .venv/bin/python bench/load.py --seconds 10 --soak-minutes 1 --no-docs   # smoke run
"""

from __future__ import annotations

import sys
from pathlib import Path

# Run as a script, this file's folder comes first on sys.path, where bench/helpcenter.py would shadow the
# helpcenter package: it goes last (bench/sections.py is still found there).
if sys.path and Path(sys.path[0] or ".").resolve() == Path(__file__).resolve().parent:
    sys.path.append(sys.path.pop(0))

# locust runs on gevent and patches the standard library when imported; do it first, before anything
# imports ssl or socket, so that every later import sees the patched modules.
from gevent import monkey  # noqa: E402

monkey.patch_all()

import argparse  # noqa: E402
import itertools  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import random  # noqa: E402
import re  # noqa: E402
import shlex  # noqa: E402
import signal  # noqa: E402
import socket  # noqa: E402
import sqlite3  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402
from collections import Counter  # noqa: E402
from collections.abc import Callable, Iterator  # noqa: E402
from contextlib import contextmanager  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from datetime import UTC, datetime  # noqa: E402
from typing import Any  # noqa: E402

import gevent  # noqa: E402
import httpx  # noqa: E402
import numpy as np  # noqa: E402
import psutil  # noqa: E402  (a dependency of locust)
from locust import FastHttpUser, constant, task  # noqa: E402
from locust.env import Environment  # noqa: E402
from sections import machine, put_section, read_section  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
HELDOUT = ROOT / "training_data" / "eval" / "heldout.jsonl"
FAQDESK = ROOT / ".venv" / "bin" / "faqdesk"
LOCALES = ("en", "de", "nl")
GREETINGS = {
    "en": ["hi", "hello", "hey there"],
    "de": ["hallo", "guten Tag", "hi"],
    "nl": ["hoi", "hallo", "goedemiddag"],
}
API = "/api/v1/conversations"
EDITOR, PASSWORD = "editor@example.com", "quiet harbour lantern 42"
NEW_INTENT = "load_llama_socks"
NEW_QUESTION = "does the llama shop sell woolly socks"
NEW_EXAMPLES = ["do you sell socks", "llama wool socks", "woolly socks from llamas", "socks made of llama wool"]
NEW_ANSWER = "Yes: our llama wool socks are in the winter collection."
CSRF_INPUT = re.compile(r'name="csrf_token" value="([^"]+)"')
# Everything comes from one address: the abuse limits would throttle the simulated visitors.
UNLIMITED = {
    "FAQDESK_WIDGET_RATE_LIMIT_IP": "1000000/minute",
    "FAQDESK_WIDGET_RATE_LIMIT_CONVERSATION": "1000000/minute",
    "FAQDESK_WIDGET_RATE_LIMIT_HANDOFF": "1000000/minute",
    "FAQDESK_VOTE_RATE_LIMIT": "1000000/minute",
}
CHOSEN: dict[str, str] = {}  # settings the command line chose for the servers (e.g. the encoder backend)
BARS = {"turn_p99_ms": 150.0, "turns_per_s": 150.0, "soak_growth_pct": 5.0, "trained_rss_mb": 400.0}
SECTION_START, SECTION_END = "<!-- bench/load.py -->", "<!-- /bench/load.py -->"
KINDS = {  # request name -> what it is, in table order
    "start": "start a conversation (`POST …/conversations`)",
    "turn:greeting": "chat turn: greeting",
    "turn:question": "chat turn: question",
    "turn:option": 'chat turn: option click (`{"option": intent}`)',
    "feedback": "thumbs up/down (`POST …/feedback`)",
    "handoff": "handoff with name and email (`POST …/handoff`)",
    "poll": "waiting for an agent (`GET …/messages?after=`)",
}


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def percentiles(values: list[float]) -> dict[str, float]:
    if not values:
        return {"p50": float("nan"), "p95": float("nan"), "p99": float("nan")}
    arr = np.array(values)
    return {f"p{q}": float(np.percentile(arr, q)) for q in (50, 95, 99)}


def verdict(ok: bool) -> str:
    return "met" if ok else "**missed**"


# ---------------------------------------------------------------------------------------------- the server


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def server_env(folder: Path, database_url: str, **extra: str) -> dict[str, str]:
    """The environment of a user's server: its own data folder and database, no inherited FAQDESK_ settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("FAQDESK_")}
    env.update(HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", **UNLIMITED, **CHOSEN, **extra)
    env.update(
        FAQDESK_DATA_DIR=str(folder / "var"),
        FAQDESK_DATABASE_URL=database_url,
        FAQDESK_TRAINING_DATA=str(ROOT / "training_data"),
    )
    return env


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    base: str
    log_path: Path
    database_url: str
    workers: int
    app_pids: set[int] = field(default_factory=set)  # uvicorn's app processes of --workers N, once ready

    def processes(self) -> list[psutil.Process]:
        """The serve process and every process under it (uvicorn's server processes, a training child)."""
        try:
            top = psutil.Process(self.process.pid)
            return [top, *top.children(recursive=True)]
        except psutil.NoSuchProcess:
            return []

    def role(self, proc: psutil.Process) -> str:
        if proc.pid == self.process.pid:
            return (
                "faqdesk serve (app + background worker)"
                if self.workers == 1
                else "faqdesk serve (supervisor + background worker)"
            )
        try:
            cmdline = " ".join(proc.cmdline())
        except psutil.Error:
            cmdline = ""
        if "resource_tracker" in cmdline:
            return "multiprocessing resource tracker"
        if proc.pid in self.app_pids:
            return "uvicorn app process"
        if "spawn_main" in cmdline:
            return "training child"
        return f"child ({proc.name()})"


@contextmanager
def serve(folder: Path, database_url: str, *, workers: int = 1, ready_within: float = 900) -> Iterator[Server]:
    """``faqdesk serve`` until the block ends (SIGTERM), yielded once ``/readyz`` says ready."""
    port = free_port()
    command = [str(FAQDESK), "serve", "--port", str(port)] + (["--workers", str(workers)] if workers > 1 else [])
    log_path = folder / "server.log"
    with log_path.open("ab") as out:
        process = subprocess.Popen(
            command, cwd=ROOT, env=server_env(folder, database_url), stdout=out, stderr=subprocess.STDOUT
        )
    server = Server(process, f"http://127.0.0.1:{port}", log_path, database_url, workers)
    began = time.monotonic()
    try:
        while not ready(server.base):
            if process.poll() is not None or time.monotonic() - began > ready_within:
                raise RuntimeError(f"faqdesk serve did not become ready:\n{log_path.read_text()[-3000:]}")
            time.sleep(1)
        if workers > 1:  # training at start ran before uvicorn started: the children now are its app processes
            server.app_pids = {p.pid for p in server.processes()[1:] if "spawn_main" in " ".join(p.cmdline())}
        log(f"faqdesk serve ready in {time.monotonic() - began:.0f} s ({shlex.join(command[1:])})")
        began = time.monotonic()
        wait_for_article_vectors(server.base, within=ready_within)
        log(f"article vectors built in {time.monotonic() - began:.0f} s more")
        yield server
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def wait_for_article_vectors(base: str, *, within: float) -> None:
    """Wait until the server has built its suggestions' article vectors: a cold first build keeps a core
    busy for a while after ``/readyz`` says ready, and would be counted against the chat's figures.
    Every app process builds its own, so several replies in a row must say so."""
    deadline, in_a_row = time.monotonic() + within, 0
    while in_a_row < 8 and time.monotonic() < deadline:
        status = httpx.get(f"{base}/readyz", timeout=10).json().get("article_vectors")
        in_a_row = in_a_row + 1 if status != "building" else 0
        time.sleep(0.25 if in_a_row else 1)


def ready(base: str) -> bool:
    try:
        return httpx.get(f"{base}/readyz", timeout=5).status_code == 200
    except httpx.HTTPError:
        return False


def server_log_errors(path: Path) -> list[str]:
    """The server's error lines (JSON logs or tracebacks), most frequent first."""
    lines = path.read_text(errors="replace").splitlines()
    error = re.compile(r'"level": ?"(error|critical)"')
    found = [line[:300] for line in lines if error.search(line) or line.startswith(("Traceback", "ERROR"))]
    return [f"{n} × {line}" for line, n in Counter(found).most_common(5)]


@contextmanager
def postgres_database(admin_url: str) -> Iterator[str]:
    """A database of the run's own on the PostgreSQL server (trust auth), dropped after."""
    host = re.match(r"postgresql(?:\+\w+)?://(?:(?P<user>[^@:/]+)@)?(?P<host>[^:/]+)(?::(?P<port>\d+))?", admin_url)
    if host is None:
        raise SystemExit(f"cannot read --postgres-url {admin_url}")
    user, hostname, port = host["user"] or "postgres", host["host"], host["port"] or "5432"
    name = f"faqdesk_load_{uuid.uuid4().hex[:8]}"
    psql = ["psql", "-h", hostname, "-p", port, "-U", user, "-d", "postgres", "-v", "ON_ERROR_STOP=1", "-qc"]
    subprocess.run([*psql, f'CREATE DATABASE "{name}"'], check=True)
    try:
        yield f"postgresql://{user}@{hostname}:{port}/{name}"
    finally:
        subprocess.run([*psql, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'], check=False)


def sql(database_url: str, query: str) -> list[tuple[Any, ...]]:
    """Rows of a read-only query on the server's database (sqlite3, or psql: no driver under gevent)."""
    if database_url.startswith("sqlite"):
        with sqlite3.connect(database_url.split("///", 1)[1]) as conn:
            return list(conn.execute(query).fetchall())
    url = re.sub(r"^postgresql\+\w+", "postgresql", database_url)
    out = subprocess.run(["psql", url, "-At", "-F", ",", "-c", query], capture_output=True, text=True, check=True)
    return [tuple(line.split(",")) for line in out.stdout.splitlines() if line]


def message_mark(database_url: str) -> int:
    return int(sql(database_url, "SELECT coalesce(max(id), 0) FROM message")[0][0])


def bot_latencies(database_url: str, after_id: int) -> list[float]:
    """The bot's own time (``Message.latency_ms``) of its turns after message ``after_id``."""
    query = f"SELECT latency_ms FROM message WHERE sender = 'bot' AND latency_ms IS NOT NULL AND id > {int(after_id)}"
    return [float(row[0]) for row in sql(database_url, query) if row[0] not in (None, "")]


# ------------------------------------------------------------------------------------ simulated visitors


@dataclass
class Record:
    at: float
    name: str
    ms: float
    error: str | None


def is_reply(body: Any) -> bool:
    return isinstance(body, dict) and body.get("type") in ("answer", "clarify", "suggest", "handoff")


class Widget(FastHttpUser):
    """What the widget sends; the requests are named by kind (``KINDS``)."""

    abstract = True
    wait_time = constant(0)  # the pauses are part of the conversations
    questions: dict[str, list[str]] = {}
    pause: tuple[float, float] = (2.0, 8.0)
    seeds = itertools.count()

    def on_start(self) -> None:
        self.rng = random.Random(next(Widget.seeds))

    def read_and_type(self) -> None:
        gevent.sleep(self.rng.uniform(*self.pause))

    def call(
        self, method: str, path: str, name: str, expect: int, valid: Callable[[Any], bool] | None = None, **kwargs: Any
    ) -> Any:
        """One request; a status other than ``expect``, or a body ``valid`` rejects, is a failure. Returns the
        JSON body or None."""
        with self.client.request(method, path, name=name, catch_response=True, **kwargs) as response:
            if response.status_code != expect:
                response.failure(f"HTTP {response.status_code}: {(response.text or '')[:120]}")
                return None
            try:
                body = response.json()
            except ValueError:
                response.failure("not JSON")
                return None
            if valid is not None and not valid(body):
                response.failure(f"unexpected body: {str(body)[:120]}")
                return None
            response.success()
            return body

    def open_conversation(self, locale: str) -> tuple[str, dict[str, str]] | None:
        body = self.call("POST", API, "start", 201, json={"locale": locale, "page_url": "https://shop.example/help"})
        if body is None:
            return None
        return body["id"], {"Authorization": f"Bearer {body['token']}"}

    def turn(self, conv: tuple[str, dict[str, str]], name: str, payload: dict[str, str]) -> dict[str, Any] | None:
        path = f"{API}/{conv[0]}/messages"
        reply: dict[str, Any] | None = self.call("POST", path, name, 200, valid=is_reply, json=payload, headers=conv[1])
        return reply


class Visitor(Widget):
    """A visitor holding a whole conversation, reading and typing between messages."""

    handoff_share = 0.10
    feedback_share = 0.5

    @task
    def conversation(self) -> None:
        rng = self.rng
        self.read_and_type()  # visitors arrive spread out, and a new one comes after the last one left
        locale = rng.choice(LOCALES)
        conv = self.open_conversation(locale)
        if conv is None:
            return
        self.read_and_type()
        self.turn(conv, "turn:greeting", {"text": rng.choice(GREETINGS[locale])})
        for _ in range(rng.randint(1, 3)):
            self.read_and_type()
            reply = self.turn(conv, "turn:question", {"text": rng.choice(self.questions[locale])})
            if reply and reply.get("options"):  # "Did you mean?": the visitor clicks one
                self.read_and_type()
                option = rng.choice(reply["options"])["intent"]
                reply = self.turn(conv, "turn:option", {"option": option})
            if reply and reply.get("type") == "answer" and rng.random() < self.feedback_share:
                self.read_and_type()
                body = {"message_id": reply["id"], "helpful": rng.random() < 0.75}
                self.call("POST", f"{API}/{conv[0]}/feedback", "feedback", 200, json=body, headers=conv[1])
        if rng.random() < self.handoff_share:
            self.read_and_type()
            n = rng.randrange(10**6)
            body = {"name": f"Visitor {n}", "email": f"visitor{n}@example.com", "message": "Please call me back."}
            if self.call("POST", f"{API}/{conv[0]}/handoff", "handoff", 201, json=body, headers=conv[1]) is not None:
                for _ in range(2):  # the widget's polling while the visitor waits for an agent
                    self.read_and_type()
                    self.call("GET", f"{API}/{conv[0]}/messages?after=0", "poll", 200, headers=conv[1])


class Turner(Widget):
    """Back to back: conversations of 1-4 questions, each sent the moment the reply arrives."""

    @task
    def conversation(self) -> None:
        locale = self.rng.choice(LOCALES)
        conv = self.open_conversation(locale)
        if conv is None:
            return
        for _ in range(self.rng.randint(1, 4)):
            self.turn(conv, "turn:question", {"text": self.rng.choice(self.questions[locale])})


def run_users(
    base: str,
    user: type[Widget],
    users: int,
    seconds: float,
    spawn_rate: float,
    during: Callable[[], None] | None = None,
) -> tuple[list[Record], list[str], float]:
    """Run ``users`` of ``user`` for ``seconds``; every request's record, task exceptions, and the elapsed time."""
    env = Environment(user_classes=[user], host=base)
    records: list[Record] = []

    def on_request(name: str, response_time: float, exception: BaseException | None, **_: Any) -> None:
        records.append(
            Record(time.monotonic(), name, float(response_time), str(exception)[:160] if exception else None)
        )

    env.events.request.add_listener(on_request)
    runner = env.create_local_runner()
    began = time.monotonic()
    runner.start(users, spawn_rate=spawn_rate)
    sampler = gevent.spawn(during) if during else None
    gevent.sleep(seconds)
    elapsed = time.monotonic() - began
    if sampler is not None:
        sampler.kill()
    runner.quit()
    exceptions = [f"{e['count']} × {e['msg']}" for e in runner.exceptions.values()]
    return records, exceptions, elapsed


def by_kind(records: list[Record]) -> dict[str, dict[str, Any]]:
    """Count, failures and percentiles per request kind, and for every chat turn together."""
    groups: dict[str, list[Record]] = {}
    for r in records:
        groups.setdefault(r.name, []).append(r)
        if r.name.startswith("turn:"):
            groups.setdefault("turn", []).append(r)
    out = {}
    for name, rows in groups.items():
        ok = [r.ms for r in rows if r.error is None]
        errors = Counter(r.error for r in rows if r.error is not None)
        out[name] = {"count": len(rows), "failures": sum(errors.values()), **percentiles(ok), "errors": dict(errors)}
    return out


def visitors_phase(
    server: Server, args: argparse.Namespace, seconds: float, during: Callable[[], None] | None = None
) -> dict[str, Any]:
    mark = message_mark(server.database_url)
    records, exceptions, elapsed = run_users(
        server.base, Visitor, args.users, seconds, spawn_rate=args.users, during=during
    )
    bot = bot_latencies(server.database_url, mark)
    kinds = by_kind(records)
    turn = kinds.get("turn", {"count": 0, "failures": 0, "p99": float("nan")})
    failures = sum(k["failures"] for name, k in kinds.items() if name != "turn") + len(exceptions)
    return {
        "users": args.users,
        "seconds": round(elapsed, 1),
        "kinds": kinds,
        "task_exceptions": exceptions,
        "bot_turn_ms": {"count": len(bot), **percentiles(bot)},
        "turns_per_s": turn["count"] / elapsed,
        "errors": failures,
        "met": {"errors": failures == 0, "turn_p99": turn["p99"] <= BARS["turn_p99_ms"]},
    }


def cpu_seconds(procs: list[psutil.Process]) -> float:
    """User + system CPU time of the processes (children that ended are not counted)."""
    total = 0.0
    for proc in procs:
        try:
            times = proc.cpu_times()
        except psutil.Error:
            continue
        total += times.user + times.system
    return total


def capacity_phase(server: Server, args: argparse.Namespace) -> dict[str, Any]:
    mark = message_mark(server.database_url)
    warmup = min(5.0, args.seconds / 4)
    # CPU per turn says where the ceiling is: two cores give at most 2000 ms of CPU a second, shared by the
    # server and the load generator.
    procs, client = server.processes(), psutil.Process()
    server_cpu, client_cpu = cpu_seconds(procs), cpu_seconds([client])
    records, exceptions, _ = run_users(server.base, Turner, args.capacity_users, warmup + args.seconds, spawn_rate=100)
    server_cpu, client_cpu = cpu_seconds(procs) - server_cpu, cpu_seconds([client]) - client_cpu
    bot = bot_latencies(server.database_url, mark)
    all_turns = sum(1 for r in records if r.name.startswith("turn:") and r.error is None)
    begin = min(r.at for r in records) + warmup if records else 0.0
    counted = [r for r in records if r.at >= begin]
    window = (max(r.at for r in counted) - begin) if counted else 0.0
    turns = [r for r in counted if r.name.startswith("turn:")]
    ok = [r.ms for r in turns if r.error is None]
    errors = sum(1 for r in counted if r.error is not None) + len(exceptions)
    rate = len(ok) / window if window else 0.0
    return {
        "users": args.capacity_users,
        "warmup_s": warmup,
        "seconds": round(window, 1),
        "turns": len(ok),
        "turns_per_s": rate,
        "turn_ms": percentiles(ok),
        "bot_turn_ms": {"count": len(bot), **percentiles(bot)},
        # Warm-up included: the CPU times cover the whole run, so every turn of it counts.
        "server_cpu_ms_per_turn": 1000 * server_cpu / all_turns if all_turns else None,
        "client_cpu_ms_per_turn": 1000 * client_cpu / all_turns if all_turns else None,
        "errors": errors,
        "error_kinds": dict(Counter(r.error for r in counted if r.error is not None)),
        "task_exceptions": exceptions,
        "met": {"turns_per_s": rate >= BARS["turns_per_s"], "errors": errors == 0},
    }


def rss_mb(proc: psutil.Process) -> float:
    return float(proc.memory_info().rss) / 2**20


def soak_phase(server: Server, args: argparse.Namespace) -> dict[str, Any]:
    seconds = args.soak_minutes * 60
    warmup = min(args.soak_warmup, seconds / 2)
    samples: list[dict[str, Any]] = []
    began = time.monotonic()

    def sample_once() -> None:
        procs: dict[str, dict[str, Any]] = {}
        for proc in server.processes():
            try:
                procs[str(proc.pid)] = {"role": server.role(proc), "rss_mb": rss_mb(proc)}
            except psutil.Error:
                continue
        total = sum(p["rss_mb"] for p in procs.values())
        samples.append({"t": round(time.monotonic() - began, 1), "total_mb": total, "processes": procs})
        log(f"soak t={samples[-1]['t']:.0f} s: RSS {total:.0f} MB over {len(procs)} processes")

    def sampler() -> None:
        while True:
            sample_once()
            gevent.sleep(args.sample_every)

    result = visitors_phase(server, args, seconds, during=sampler)
    sample_once()  # the end
    after_warmup = next((s for s in samples if s["t"] >= warmup), samples[-1])
    end = samples[-1]
    growth = (end["total_mb"] / after_warmup["total_mb"] - 1) * 100
    per_process = {
        pid: {
            "role": p["role"],
            "after_warmup_mb": p["rss_mb"],
            "end_mb": end["processes"].get(pid, {}).get("rss_mb", float("nan")),
        }
        for pid, p in after_warmup["processes"].items()
    }
    result.update(
        minutes=args.soak_minutes,
        warmup_s=warmup,
        sample_every_s=args.sample_every,
        rss_after_warmup_mb=after_warmup["total_mb"],
        rss_end_mb=end["total_mb"],
        rss_max_mb=max(s["total_mb"] for s in samples),
        rss_min_mb=min(s["total_mb"] for s in samples),
        rss_growth_pct=growth,
        per_process=per_process,
        samples=samples,
    )
    result["met"]["rss_growth"] = growth <= BARS["soak_growth_pct"]
    return result


def warm_up(server: Server, seconds: float = 5.0) -> None:
    """A few seconds of back-to-back turns first, as a server that has been up a while has had."""
    run_users(server.base, Turner, 4, seconds, spawn_rate=4)


# ------------------------------------------------------------------------- memory after a retrain


def memory_phase(folder: Path) -> dict[str, Any]:
    """A fresh server (SQLite, embedded worker) retrains after an editor's edit; its RSS once it serves the result."""
    url = f"sqlite:///{folder / 'faqdesk.db'}"
    created = subprocess.run(
        [str(FAQDESK), "create-user", "--email", EDITOR, "--role", "editor", "--password-stdin"],
        input=PASSWORD + "\n",
        text=True,
        cwd=ROOT,
        env=server_env(folder, url),
        capture_output=True,
    )
    if created.returncode != 0:
        raise RuntimeError(f"faqdesk create-user failed: {created.stderr[-2000:]}")
    with serve(folder, url) as server:
        before = httpx.get(f"{server.base}/readyz").json()["model_version"]
        started_rss = rss_mb(psutil.Process(server.process.pid))
        with httpx.Client(base_url=server.base, timeout=60) as client:
            token = CSRF_INPUT.search(client.get("/admin/login").text)
            assert token, "no sign-in form"
            signed_in = client.post(
                "/admin/login", data={"email": EDITOR, "password": PASSWORD, "csrf_token": token[1]}
            )
            assert signed_in.status_code == 303, signed_in.text[:300]
            form = CSRF_INPUT.search(client.get("/admin/intents/new-intent").text)
            assert form, "no intent form"
            saved = client.post(
                "/admin/intents",
                data={
                    "csrf_token": form[1],
                    "intent_id": NEW_INTENT,
                    "kind": "faq",
                    "examples_en": "\n".join(NEW_EXAMPLES),
                    "answer_en": NEW_ANSWER,
                },
            )
            assert saved.status_code == 303, saved.text[:300]
        edited = time.monotonic()
        child_peak: dict[str, float] = {}
        while True:  # the embedded worker retrains (in a child process); the app loads the new version
            for proc in server.processes()[1:]:
                try:
                    key = f"{server.role(proc)} (pid {proc.pid})"
                    child_peak[key] = max(child_peak.get(key, 0.0), rss_mb(proc))
                except psutil.Error:
                    pass
            status = httpx.get(f"{server.base}/readyz", timeout=10).json()
            if status.get("model_version") not in (None, before) and status["model_version"] == status.get(
                "active_version"
            ):
                break
            if time.monotonic() - edited > 600:
                raise RuntimeError("the retrained model was not served within 10 minutes")
            time.sleep(0.5)
        retrained_in = time.monotonic() - edited
        with httpx.Client(base_url=server.base, timeout=30) as client:  # the new answer, and a few turns with it
            started = client.post(API, json={"locale": "en"}).json()
            headers = {"Authorization": f"Bearer {started['token']}"}
            answered = False
            for text in [NEW_QUESTION, "where is my parcel", "how do I return a jacket"]:
                reply = client.post(f"{API}/{started['id']}/messages", json={"text": text}, headers=headers).json()
                answered = answered or NEW_ANSWER in str(reply)
        time.sleep(5)  # let the training child's exit and the model swap settle
        top = psutil.Process(server.process.pid)
        status_lines = Path(f"/proc/{top.pid}/status").read_text().splitlines()
        hwm = next((int(line.split()[1]) / 1024 for line in status_lines if line.startswith("VmHWM:")), float("nan"))
        children = {}
        for proc in server.processes()[1:]:
            try:
                children[f"{proc.pid}"] = {"role": server.role(proc), "rss_mb": rss_mb(proc)}
            except psutil.Error:
                pass
        rss = rss_mb(top)
        errors = server_log_errors(server.log_path)
    return {
        "rss_at_start_mb": started_rss,
        "rss_mb": rss,
        "peak_rss_mb": hwm,
        "children": children,
        "training_child_peak_mb": child_peak,
        "retrained_and_served_in_s": retrained_in,
        "new_answer_given": answered,
        "server_log_errors": errors,
        "met": {"rss": rss <= BARS["trained_rss_mb"]},
    }


# --------------------------------------------------------------------------------------------- report


@dataclass
class Run:
    command: str
    info: dict[str, Any]
    load_before: tuple[float, float, float]
    backends: dict[str, dict[str, Any]] = field(default_factory=dict)
    memory: dict[str, Any] | None = None


def ms(value: float) -> str:
    return "–" if value != value else f"{value:.1f} ms"  # NaN: nothing measured


def backend_block(key: str, result: dict[str, Any], run: Run, args: argparse.Namespace) -> str:
    title = (
        "SQLite, 1 app process (`faqdesk serve`)"
        if key == "sqlite"
        else "PostgreSQL, 2 app processes (`faqdesk serve --workers 2`)"
    )
    lines = [
        f"<!-- load:{key} -->",
        f"## {title}",
        "",
        f"`{run.command}` on {result['date']} UTC; {run.info['cpu']}, {run.info['cores']} cores, Python "
        f"{run.info['python']}, git `{run.info['git']}`. Load average (1/5/15 min) before: "
        f"{'/'.join(f'{x:.2f}' for x in result['load_before'])}, after: "
        f"{'/'.join(f'{x:.2f}' for x in result['load_after'])}. The server and locust share the machine; the widget "
        "rate limits (`FAQDESK_WIDGET_RATE_LIMIT_IP`, `_CONVERSATION`, `_HANDOFF`, `FAQDESK_VOTE_RATE_LIMIT`) were "
        "lifted to 1000000/minute, since every simulated visitor comes from 127.0.0.1.",
    ]
    if "visitors" in result:
        lines += ["", *visitors_table(result["visitors"], f"### Visitors: {result['visitors']['users']} at once", args)]
    if "capacity" in result:
        c = result["capacity"]
        lines += [
            "",
            f"### Capacity: {c['users']} clients back to back",
            "",
            f"Conversations of 1–4 questions, each sent the moment the reply arrives, for {c['seconds']:.0f} s after "
            f"{c['warmup_s']:g} s not counted.",
            "",
            "| figure | value | bar | |",
            "|---|---:|---|---|",
            f"| chat turns per second | {c['turns_per_s']:.1f} | ≥ {BARS['turns_per_s']:.0f} on 2 cores | "
            f"{verdict(c['met']['turns_per_s'])} |",
            f"| errors | {c['errors']} | 0 | {verdict(c['met']['errors'])} |",
            f"| chat turn p50 / p95 / p99 (queueing included) | {ms(c['turn_ms']['p50'])} / "
            f"{ms(c['turn_ms']['p95'])} / {ms(c['turn_ms']['p99'])} | | |",
            f"| bot's own time per turn p50 / p95 / p99 (`Message.latency_ms`, warm-up included) "
            f"| {ms(c['bot_turn_ms']['p50'])} / "
            f"{ms(c['bot_turn_ms']['p95'])} / {ms(c['bot_turn_ms']['p99'])} | | |",
        ]
        if c.get("server_cpu_ms_per_turn"):
            lines.append(
                f"| CPU time per turn: server processes / load generator (warm-up included) "
                f"| {ms(c['server_cpu_ms_per_turn'])} / {ms(c['client_cpu_ms_per_turn'])} | | |"
            )
    if "soak" in result:
        s = result["soak"]
        lines += [
            "",
            *visitors_table(s, f"### Soak: {s['users']} visitors for {s['minutes']:g} min", args),
            "",
            f"RSS of the server processes, sampled every {s['sample_every_s']:g} s; growth from the end of the warm-up "
            f"(first {s['warmup_s']:.0f} s) to the end:",
            "",
            "| process | after warm-up | end | growth | bar | |",
            "|---|---:|---:|---:|---|---|",
        ]
        for pid, p in s["per_process"].items():
            growth = (p["end_mb"] / p["after_warmup_mb"] - 1) * 100
            lines.append(
                f"| {p['role']} (pid {pid}) | {p['after_warmup_mb']:.0f} MB | {p['end_mb']:.0f} MB "
                f"| {growth:+.1f}% | | |"
            )
        lines.append(
            f"| **all** | {s['rss_after_warmup_mb']:.0f} MB | {s['rss_end_mb']:.0f} MB | {s['rss_growth_pct']:+.1f}% "
            f"| ≤ {BARS['soak_growth_pct']:.0f}% | {verdict(s['met']['rss_growth'])} |"
        )
        lines.append(
            f"\nHighest sample: {s['rss_max_mb']:.0f} MB, lowest: {s['rss_min_mb']:.0f} MB "
            "(every sample is in the JSON)."
        )
    if result.get("server_log_errors"):
        lines += ["", "Server log errors: " + "; ".join(f"`{e}`" for e in result["server_log_errors"]) + "."]
    lines.append(f"<!-- /load:{key} -->")
    return "\n".join(lines)


def visitors_table(v: dict[str, Any], heading: str, args: argparse.Namespace) -> list[str]:
    lines = [
        heading,
        "",
        f"{v['seconds']:.0f} s. Each visitor: start a conversation, a greeting, 1–3 questions from "
        "`eval/heldout.jsonl` in its locale (en/de/nl), a click on one of the options when the bot offers some, "
        f"a thumbs up or down on half the answers, a handoff in 10% of conversations, and {args.pause[0]:g}–"
        f"{args.pause[1]:g} s (uniform) of reading and typing before every message; then the next visitor. "
        f"{v['turns_per_s']:.1f} chat turns/s on average.",
        "",
        "| request | count | failures | p50 | p95 | p99 | bar | |",
        "|---|---:|---:|---:|---:|---:|---|---|",
    ]
    for name, what in KINDS.items():
        k = v["kinds"].get(name)
        if k:
            lines.append(
                f"| {what} | {k['count']} | {k['failures']} | {ms(k['p50'])} | {ms(k['p95'])} | {ms(k['p99'])} | | |"
            )
    turn = v["kinds"].get(
        "turn", {"count": 0, "failures": 0, "p50": float("nan"), "p95": float("nan"), "p99": float("nan")}
    )
    lines += [
        f"| **chat turn** (every `POST …/messages`) | {turn['count']} | {turn['failures']} | {ms(turn['p50'])} | "
        f"{ms(turn['p95'])} | {ms(turn['p99'])} | p99 ≤ {BARS['turn_p99_ms']:.0f} ms "
        f"| {verdict(v['met']['turn_p99'])} |",
        f"| **errors**, every request | | {v['errors']} | | | | 0 | {verdict(v['met']['errors'])} |",
        f"| bot's own time per turn (`Message.latency_ms`) | {v['bot_turn_ms']['count']} | | "
        f"{ms(v['bot_turn_ms']['p50'])} | {ms(v['bot_turn_ms']['p95'])} | {ms(v['bot_turn_ms']['p99'])} | | |",
    ]
    problems = [
        f"{n} × {name}: {e}" for name, k in v["kinds"].items() if name != "turn" for e, n in k["errors"].items()
    ]
    problems += v["task_exceptions"]
    if problems:
        lines += ["", "Errors: " + "; ".join(problems[:6]) + "."]
    return lines


def memory_block(m: dict[str, Any], run: Run) -> str:
    children = ", ".join(f"{c['role']} (pid {pid}) {c['rss_mb']:.0f} MB" for pid, c in m["children"].items()) or "none"
    peaks = ", ".join(f"{k}: {v:.0f} MB" for k, v in m["training_child_peak_mb"].items() if "training" in k)
    return "\n".join(
        [
            "<!-- load:memory -->",
            "## Memory of a serving process that trained a model itself",
            "",
            f"`{run.command}` on {m['date']} UTC; {run.info['cpu']}, {run.info['cores']} cores, "
            f"git `{run.info['git']}`. "
            "A fresh `faqdesk serve` (SQLite, embedded worker) trains the demo FAQ at its first start; then an editor "
            "adds an intent in `/admin/intents`, the embedded worker retrains, and once `/readyz` shows the new "
            f"version served (after {m['retrained_and_served_in_s']:.0f} s; new answer given: "
            f"{'yes' if m['new_answer_given'] else '**no**'}) and a few chat turns, the serve process's RSS is read.",
            "",
            "| figure | value | bar | |",
            "|---|---:|---|---|",
            f"| RSS of the serve process after the retrain | {m['rss_mb']:.0f} MB "
            f"| ≤ {BARS['trained_rss_mb']:.0f} MB | {verdict(m['met']['rss'])} |",
            f"| its RSS when it became ready | {m['rss_at_start_mb']:.0f} MB | | |",
            f"| its peak RSS (VmHWM) | {m['peak_rss_mb']:.0f} MB | | |",
            f"| its children after the retrain | {children} | | |",
            f"| highest RSS seen of the training child (sampled every 0.5 s) | {peaks or 'not seen'} | | |",
            "<!-- /load:memory -->",
        ]
    )


INTRO = """\
Produced by `bench/load.py` (see `bench/README.md`): locust (headless, as a library) simulates widget visitors
against `faqdesk serve` started on a temporary data folder, as a user runs it. Each block is replaced when the
script runs it. Bars (issue 12): zero errors and chat turn p99 ≤ 150 ms with 50 visitors; soak RSS growth ≤ 5%
after warm-up; back-to-back capacity ≥ 150 turns/s on 2 cores; a serving process ≤ 400 MB RSS after it trained a
model itself."""


def write_docs(out: Path, blocks: dict[str, str]) -> None:
    found = read_section(out, SECTION_START, SECTION_END)
    old = {m[1]: m[0] for m in re.finditer(r"(?s)<!-- load:(\w+) -->.*?<!-- /load:\1 -->", found)}
    old.update(blocks)
    order = ["sqlite", "postgresql", "memory"]
    ordered = [old[k] for k in sorted(old, key=lambda k: order.index(k) if k in order else 9)]
    section = "\n\n".join(
        [SECTION_START, "# Load and capacity: simulated widget visitors", INTRO, *ordered, SECTION_END]
    )
    put_section(out, SECTION_START, SECTION_END, section)


def summary(run: Run) -> list[str]:
    lines = []
    for key, r in run.backends.items():
        if "visitors" in r:
            v = r["visitors"]
            t = v["kinds"].get("turn", {"p50": float("nan"), "p99": float("nan"), "count": 0})
            lines.append(
                f"{key} visitors: {v['users']} users, {t['count']} turns, p50 {ms(t['p50'])}, p99 {ms(t['p99'])} "
                f"({verdict(v['met']['turn_p99'])}), errors {v['errors']} ({verdict(v['met']['errors'])})"
            )
        if "capacity" in r:
            c = r["capacity"]
            lines.append(
                f"{key} capacity: {c['turns_per_s']:.1f} turns/s with {c['users']} clients "
                f"({verdict(c['met']['turns_per_s'])}), p99 {ms(c['turn_ms']['p99'])}, errors {c['errors']}"
                + (
                    f", CPU per turn: server {ms(c['server_cpu_ms_per_turn'])}, "
                    f"locust {ms(c['client_cpu_ms_per_turn'])}"
                    if c.get("server_cpu_ms_per_turn")
                    else ""
                )
            )
        if "soak" in r:
            s = r["soak"]
            lines.append(
                f"{key} soak: RSS {s['rss_after_warmup_mb']:.0f} → {s['rss_end_mb']:.0f} MB "
                f"({s['rss_growth_pct']:+.1f}%, {verdict(s['met']['rss_growth'])}), errors {s['errors']}"
            )
    if run.memory:
        m = run.memory
        lines.append(f"memory: serve process {m['rss_mb']:.0f} MB after its own retrain ({verdict(m['met']['rss'])})")
    return [line.replace("**", "") for line in lines]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backend", nargs="+", choices=["sqlite", "postgresql"], default=["sqlite", "postgresql"])
    parser.add_argument(
        "--only",
        nargs="+",
        choices=["visitors", "capacity", "soak", "memory"],
        default=["visitors", "capacity", "soak", "memory"],
    )
    parser.add_argument("--users", type=int, default=50, help="simulated visitors (visitors and soak)")
    parser.add_argument("--seconds", type=float, default=60.0, help="length of the visitors and capacity phases")
    parser.add_argument("--capacity-users", type=int, default=16, help="back-to-back clients (capacity)")
    parser.add_argument("--soak-minutes", type=float, default=10.0)
    parser.add_argument(
        "--soak-warmup", type=float, default=60.0, help="seconds before the RSS baseline (at most half the soak)"
    )
    parser.add_argument("--sample-every", type=float, default=10.0, help="seconds between RSS samples")
    parser.add_argument(
        "--pause", type=float, nargs=2, default=[2.0, 8.0], metavar=("MIN", "MAX"), help="reading pause (s)"
    )
    parser.add_argument(
        "--postgres-url",
        default="postgresql://postgres@127.0.0.1:5432/postgres",
        help="server to create the run's database on",
    )
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "benchmarks.md")
    parser.add_argument("--no-docs", action="store_true", help="leave docs/benchmarks.md alone (smoke runs)")
    parser.add_argument("--json", type=Path, default=ROOT / "bench" / "out" / "load.json")
    parser.add_argument(
        "--encoder-backend", choices=["torch", "onnx", "onnx-int8"], help="the servers' FAQDESK_ENCODER_BACKEND"
    )
    parser.add_argument("--chat-threads", type=int, help="the servers' FAQDESK_CHAT_THREADS (default: theirs)")
    args = parser.parse_args(argv)
    if args.encoder_backend:
        CHOSEN["FAQDESK_ENCODER_BACKEND"] = args.encoder_backend
    if args.chat_threads:
        CHOSEN["FAQDESK_CHAT_THREADS"] = str(args.chat_threads)
    # SIGTERM (e.g. from `timeout`) unwinds like Ctrl-C: the servers stop and the PostgreSQL database is dropped.
    main_greenlet = gevent.getcurrent()
    gevent.signal_handler(signal.SIGTERM, lambda: main_greenlet.throw(KeyboardInterrupt("SIGTERM")))
    Widget.pause = (args.pause[0], args.pause[1])
    Widget.questions = {loc: [] for loc in LOCALES}
    for line in HELDOUT.read_text().splitlines():
        row = json.loads(line)
        Widget.questions.setdefault(row.get("locale", "en"), []).append(row["text"])

    command = shlex.join([".venv/bin/python", "bench/load.py", *(argv if argv is not None else sys.argv[1:])])
    run = Run(command, machine(), os.getloadavg())
    phases = [p for p in ("visitors", "capacity", "soak") if p in args.only]
    blocks: dict[str, str] = {}

    def save() -> None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        data = {
            "command": run.command,
            "machine": run.info,
            "bars": BARS,
            "backends": run.backends,
            "memory": run.memory,
        }
        args.json.write_text(json.dumps(data, indent=2, default=str))
        if not args.no_docs and blocks:
            write_docs(args.out, blocks)

    for backend in args.backend if phases else []:
        result: dict[str, Any] = {"date": f"{datetime.now(UTC):%Y-%m-%d %H:%M}", "load_before": os.getloadavg()}
        with tempfile.TemporaryDirectory(prefix="faqdesk-load-") as tmp:
            folder = Path(tmp)
            with (
                postgres_database(args.postgres_url) if backend == "postgresql" else _sqlite(folder) as url,
                serve(folder, url, workers=2 if backend == "postgresql" else 1) as server,
            ):
                warm_up(server)
                for phase in phases:
                    log(f"{backend}: phase {phase} ...")
                    if phase == "visitors":
                        result["visitors"] = visitors_phase(server, args, args.seconds)
                    elif phase == "capacity":
                        result["capacity"] = capacity_phase(server, args)
                    else:
                        result["soak"] = soak_phase(server, args)
                result["load_after"] = os.getloadavg()
                result["server_log_errors"] = server_log_errors(server.log_path)
        run.backends[backend] = result
        blocks[backend] = backend_block(backend, result, run, args)
        save()
    if "memory" in args.only:
        log("memory: a fresh server, an edit, its retrain ...")
        with tempfile.TemporaryDirectory(prefix="faqdesk-load-") as tmp:
            run.memory = {"date": f"{datetime.now(UTC):%Y-%m-%d %H:%M}", **memory_phase(Path(tmp))}
        blocks["memory"] = memory_block(run.memory, run)
        save()
    for line in summary(run):
        print(line)
    print(f"raw figures: {args.json}" + ("" if args.no_docs else f"; section of {args.out} updated"))
    return 0


@contextmanager
def _sqlite(folder: Path) -> Iterator[str]:
    yield f"sqlite:///{folder / 'faqdesk.db'}"


if __name__ == "__main__":
    raise SystemExit(main())
