"""Where a chat turn's time goes: the encoder, the model, the whole service turn, one turn at a time.

The script prepares a data folder as a user's first ``faqdesk serve`` does (migrations, demo content, the
demo FAQ trained), stops that server, then builds the app in this process on the same folder and times,
for messages of training_data/eval/heldout.jsonl in their locales (a conversation per locale):

- encode: the encoder on the message as the chat path runs it (German and Dutch: their gloss);
- predict: ``FaqModel.predict`` (spelling, encoder, both heads, calibration);
- turn: the chat turn's service as the route runs it (authenticate, predict, the reply, both writes, the
  commit, the reply's view), without HTTP.

With ``--profile FILE`` the turns run again under cProfile and the stats are written to FILE.

    .venv/bin/python bench/turn.py
    .venv/bin/python bench/turn.py --turns 500 --profile /tmp/turn.prof
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import httpx

# Run as a script, this file's folder comes first on sys.path, where bench/helpcenter.py would shadow the
# helpcenter package: it goes last.
if sys.path and Path(sys.path[0] or ".").resolve() == Path(__file__).resolve().parent:
    sys.path.append(sys.path.pop(0))

ROOT = Path(__file__).resolve().parents[1]
LOCALES = ("en", "de", "nl")


def prepare(folder: Path) -> dict[str, str]:
    """The settings' environment of a data folder that a first ``faqdesk serve`` has set up."""
    env = {
        "FAQDESK_DATA_DIR": str(folder / "var"),
        "FAQDESK_DATABASE_URL": f"sqlite:///{folder / 'faqdesk.db'}",
        "FAQDESK_TRAINING_DATA": str(ROOT / "training_data"),
        "FAQDESK_WIDGET_RATE_LIMIT_IP": "1000000/minute",
        "FAQDESK_WIDGET_RATE_LIMIT_CONVERSATION": "1000000/minute",
        "HF_HUB_OFFLINE": "1",
    }
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    clean = {k: v for k, v in os.environ.items() if not k.startswith("FAQDESK_")}
    server = subprocess.Popen(
        [str(ROOT / ".venv" / "bin" / "faqdesk"), "serve", "--port", str(port), "--no-worker"],
        cwd=ROOT,
        env=clean | env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 900
        while time.monotonic() < deadline:
            if server.poll() is not None:
                raise RuntimeError("faqdesk serve stopped before it was ready")
            try:
                if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=5).status_code == 200:
                    return env
            except httpx.HTTPError:
                pass
            time.sleep(1)
        raise RuntimeError("faqdesk serve was not ready within 15 min")
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=60)


def percentiles(ms: list[float]) -> str:
    ms = sorted(ms)
    return f"p50 {ms[len(ms) // 2]:.2f} ms, p90 {ms[int(len(ms) * 0.9)]:.2f} ms, mean {sum(ms) / len(ms):.2f} ms"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=300, help="timed calls of each kind (after 30 not timed)")
    parser.add_argument("--profile", type=Path, help="also profile the service turns into this file")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="faqdesk-turn-") as tmp:
        print("preparing a data folder with faqdesk serve ...", flush=True)
        os.environ.update(prepare(Path(tmp)))
        measure(args)
    return 0


def measure(args: argparse.Namespace) -> None:
    from fastapi.testclient import TestClient

    from api.app import create_app
    from api.widget_schemas import BotReply
    from bot import runtime
    from core.db import session_scope
    from support import conversations, message_view

    rows = [json.loads(line) for line in (ROOT / "training_data" / "eval" / "heldout.jsonl").open()]
    texts = {loc: [r["text"] for r in rows if r.get("locale", "en") == loc] for loc in LOCALES}
    rng = random.Random(0)
    app = create_app()
    with TestClient(app) as client:
        while client.get("/readyz").json().get("article_vectors") == "building":
            time.sleep(1)
        settings, engine, model = app.state.settings, app.state.engine, app.state.model
        started = {loc: client.post("/api/v1/conversations", json={"locale": loc}).json() for loc in LOCALES}

        def turn(loc: str, text: str) -> None:
            with session_scope(engine) as session:
                conversation = conversations.authenticate(
                    session, conversation_id=started[loc]["id"], token=started[loc]["token"]
                )
                done = conversations.visitor_turn(
                    session,
                    conversation=conversation,
                    model=model,
                    config=runtime.policy_config(settings),
                    text=text,
                    review_rate=settings.review_sample_rate,
                )
                BotReply.of(message_view.view(done.bot, conversation=conversation), visitor_message_id=1)

        kinds: dict[str, Callable[[str, str], object]] = {
            "encode": lambda loc, text: model.encoder_for(loc).encode_one(text),
            "predict": lambda loc, text: model.predict(text, fallback_locale=loc),
            "turn": turn,
        }

        def run(kind: str, n: int) -> list[float]:
            out = []
            for i in range(n):
                loc = LOCALES[i % len(LOCALES)]
                text = rng.choice(texts[loc])
                began = time.perf_counter()
                kinds[kind](loc, text)
                out.append((time.perf_counter() - began) * 1000)
            return out

        print(f"{sys.platform}, {os.cpu_count()} cores, encoder backend {settings.encoder_backend}; {args.turns} each:")
        for kind in kinds:
            run(kind, 30)
            print(f"  {kind:8s} {percentiles(run(kind, args.turns))}", flush=True)
        if args.profile:
            profiler = cProfile.Profile()
            profiler.enable()
            run("turn", args.turns)
            profiler.disable()
            profiler.dump_stats(str(args.profile))
            print(f"  profile of {args.turns} turns: {args.profile}")


if __name__ == "__main__":
    raise SystemExit(main())
