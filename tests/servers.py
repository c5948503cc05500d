"""`faqdesk serve` as a user runs it: a real process on a free port, stopped with SIGTERM."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from tests.admin.conftest import csrf_token, login
from tests.live import free_port

ROOT = Path(__file__).resolve().parent.parent
MINI = ROOT / "tests" / "fixtures" / "mini_faq.yaml"
NEW_QUESTION = "does the llama shop sell woolly socks"
EXAMPLES = ["do you sell socks", "llama wool socks", "woolly socks from llamas", "socks made of llama wool"]
NEW_ANSWER = "Yes: our llama wool socks are in the winter collection."


def serve_env(data_dir: Path, database_url: str, **settings: str) -> dict[str, str]:
    """The environment of a server with its own data folder (``FAQDESK_<NAME>`` for each setting)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("FAQDESK_")}
    env.update(HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1")
    env.update(FAQDESK_DATA_DIR=str(data_dir), FAQDESK_DATABASE_URL=database_url)
    env.update({f"FAQDESK_{name.upper()}": value for name, value in settings.items()})
    return env


@contextmanager
def serve(env: dict[str, str], *args: str, log: Path, ready_within: float = 240) -> Iterator[str]:
    """Run ``faqdesk serve`` until the block ends; yields its base URL once ``/readyz`` says ready."""
    port = free_port()
    command = [sys.executable, "-m", "faqdesk", "serve", "--port", str(port), *args]
    with log.open("ab") as out:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + ready_within
        while not _ready(base):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"faqdesk serve did not become ready:\n{log.read_text()[-4000:]}")
            time.sleep(0.5)
        yield base
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _ready(base: str) -> bool:
    try:
        return httpx.get(f"{base}/readyz", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def machine(folder: Path, warm_cache: Path) -> Path:
    """A data folder of its own, with a copy of a warm encoder cache and no models."""
    data_dir = folder / "var"
    copy_cache(warm_cache, data_dir / "cache")
    return data_dir


def copy_cache(warm_cache: Path, cache_dir: Path) -> None:
    """The session's encoder cache (ONNX export, embeddings, glossaries) copied in, as a machine that ran
    before has it; its lock files stay behind."""
    shutil.copytree(warm_cache, cache_dir, dirs_exist_ok=True, ignore=shutil.ignore_patterns("*.lock"))


def add_intent(base: str) -> None:
    """An editor adds an intent in /admin/intents, as in the browser (which queues a retrain)."""
    with httpx.Client(base_url=base, timeout=30) as client:
        login(client, "editor@example.com")  # type: ignore[arg-type]
        token = csrf_token(client, "/admin/intents/new-intent")  # type: ignore[arg-type]
        response = client.post(
            "/admin/intents",
            data={
                "csrf_token": token,
                "intent_id": "llama_socks",
                "kind": "faq",
                "examples_en": "\n".join(EXAMPLES),
                "answer_en": NEW_ANSWER,
            },
        )
        assert response.status_code == 303, response.text


def ask(base: str, text: str) -> dict[str, object]:
    """One visitor message in a new conversation; the bot's reply."""
    with httpx.Client(base_url=base, timeout=30) as client:
        started = client.post("/api/v1/conversations", json={"locale": "en"}).json()
        reply = client.post(
            f"/api/v1/conversations/{started['id']}/messages",
            json={"text": text},
            headers={"Authorization": f"Bearer {started['token']}"},
        )
        assert reply.status_code == 200, reply.text
        return {"conversation": started["id"], **reply.json()}


def answered_within(base: str, seconds: float) -> float:
    """How long until the bot answers the new intent's question with its answer (fails after ``seconds``)."""
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        reply = ask(base, NEW_QUESTION)
        if NEW_ANSWER in str(reply):
            return time.monotonic() - started
        time.sleep(1)
    pytest.fail(f"the new intent was not answered within {seconds:.0f} s; last reply: {reply}")
