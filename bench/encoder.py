"""Encoder backends side by side: time to embed one chat message, and how far the vectors move.

Embeds every message of training_data/eval/heldout.jsonl alone (as a chat turn does), once per backend,
on one thread, and prints a Markdown table: p50/p90/p99 per message and the cosine similarity of each
backend's vectors to PyTorch's. Then the mean time per message when consecutive messages are embedded
together in batches of 2, 4 and 8 (one thread, no embedding cache), as a server batching concurrent chat
turns through the encoder would. Exports go to a temporary folder, so nothing is reused between runs (the
batch timings' encoder, which must not read the embedding cache, keeps its export in the system's temporary
folder; its load is not timed).

    .venv/bin/python bench/encoder.py [--backends torch onnx onnx-int8] [--repeat 2] [--out docs/benchmarks.md]
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from sections import put_section

from bot.encoder import Encoder
from bot.onnx_encoder import BACKENDS
from core.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
HELDOUT = ROOT / "training_data" / "eval" / "heldout.jsonl"
SECTION_START, SECTION_END = "<!-- bench/encoder.py -->", "<!-- /bench/encoder.py -->"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backends", nargs="+", choices=BACKENDS, default=list(BACKENDS))
    parser.add_argument("--repeat", type=int, default=2, help="passes over the messages per backend")
    parser.add_argument("--batches", nargs="*", type=int, default=[2, 4, 8], help="batch sizes to time")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "benchmarks.md")
    args = parser.parse_args()
    texts = [json.loads(line)["text"] for line in HELDOUT.read_text().splitlines()]
    settings = Settings()
    rows, reference = [], None
    with tempfile.TemporaryDirectory() as tmp:
        for backend in args.backends:
            started = time.perf_counter()
            encoder = Encoder(settings.encoder_path(), cache_dir=Path(tmp), inference_threads=1, backend=backend)
            load_s = time.perf_counter() - started
            for text in texts[:20]:  # warm-up: allocators, kernels picked at first run
                encoder.encode_one(text)
            times, vectors = [], []
            for _ in range(args.repeat):
                for text in texts:
                    t0 = time.perf_counter()
                    vectors.append(encoder.encode_one(text))
                    times.append((time.perf_counter() - t0) * 1000)
            matrix = np.vstack(vectors[: len(texts)])
            reference = matrix if reference is None else reference
            cosine = np.sum(matrix * reference, axis=1)
            p50, p90, p99 = np.percentile(times, [50, 90, 99])
            # No embedding cache here: every batch is really encoded, on one thread.
            uncached = Encoder(settings.encoder_path(), inference_threads=1, batch_threads=1, backend=backend)
            batched = [f"{batch_ms(uncached, texts, size):.2f} ms" for size in args.batches]
            rows.append(
                f"| {encoder.backend} | {load_s:.1f} s | {p50:.2f} ms | {p90:.2f} ms | {p99:.2f} ms | "
                f"{np.mean(times):.2f} ms | {' | '.join(batched)}{' | ' if batched else ''}"
                f"{cosine.mean():.4f} (min {cosine.min():.4f}) |"
            )
    lines = [
        SECTION_START,
        "## Encoder backends: one chat message",
        "",
        f"`.venv/bin/python bench/encoder.py --repeat {args.repeat}` on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC: "
        f"{len(texts)} messages of training_data/eval/heldout.jsonl (mean ~29 tokens) × {args.repeat}, each "
        f"embedded alone on one thread; {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}. Load: "
        "building the encoder in a fresh cache folder, export included. Cosine: each message's vector against "
        "the first backend's. Batches of n: the mean time per message when n consecutive messages are embedded "
        "in one call (an int8 export runs each text alone whatever the batch: see bot/onnx_encoder.py).",
        "",
        "| backend | load | p50 | p90 | p99 | mean | "
        + "".join(f"mean in batches of {size} | " for size in args.batches)
        + "cosine to first: mean (min) |",
        "|---|---:|---:|---:|---:|---:|" + "---:|" * len(args.batches) + "---|",
        *rows,
        SECTION_END,
    ]
    block = "\n".join(lines)
    print(block)
    if args.out:
        put_section(args.out, SECTION_START, SECTION_END, block)


def batch_ms(encoder: Encoder, texts: list[str], size: int) -> float:
    """Mean milliseconds per message when ``size`` consecutive messages go through the encoder at once."""
    started = time.perf_counter()
    for start in range(0, len(texts), size):
        encoder.encode(texts[start : start + size])
    return (time.perf_counter() - started) * 1000 / len(texts)


if __name__ == "__main__":
    main()
