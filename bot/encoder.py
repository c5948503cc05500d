"""Sentence embeddings from a local sentence-transformers model, cached on disk by text.

The cache makes retraining after an edit cheap: only new or changed examples are encoded. The model runs
in PyTorch or, faster on a CPU, as an ONNX export (``bot/onnx_encoder.py``); vectors differ slightly
between backends, so the backend is part of the encoder's fingerprint and a model trained with one is
never served with another.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
from pathlib import Path
from threading import Lock
from typing import TYPE_CHECKING

import numpy as np

from bot.onnx_encoder import BACKENDS, INT8_EXPORT, OnnxEncoder

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

log = logging.getLogger(__name__)

_FINGERPRINT_FILES = ("config.json", "modules.json", "config_sentence_transformers.json", "tokenizer.json")


class Encoder:
    """Encodes texts to L2-normalised float32 vectors; ``dim`` is the vector size."""

    def __init__(
        self,
        model_path: str,
        *,
        cache_dir: Path | None = None,
        batch_size: int = 64,
        batch_threads: int = 0,
        inference_threads: int = 1,
        backend: str = "torch",
        memory_arena: bool = True,
    ) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        path = Path(model_path)
        if not path.is_dir():
            raise FileNotFoundError(f"encoder model folder not found: {model_path}")
        if backend not in BACKENDS:
            raise ValueError(f"unknown encoder backend {backend!r}; choose one of {', '.join(BACKENDS)}")
        self.model_path = str(path)
        self.batch_size = batch_size
        # One message is encoded on one thread by default: on two shared cores, intra-op threads spin
        # against each other and the web server (measured under load: 13 ms with one thread, 530 ms with
        # two; on an idle machine two threads are faster, 11 ms against 14 ms). Batches may use more.
        self._batch_threads = batch_threads or os.cpu_count() or 1
        self._inference_threads = max(1, inference_threads)
        self._inference_lock = Lock()
        self._model: SentenceTransformer | None = None
        self._onnx: OnnxEncoder | None = None
        weights = _fingerprint(path)
        variant = f"{backend}-v{INT8_EXPORT}" if backend == "onnx-int8" else backend
        if backend != "torch":
            export_to = (cache_dir or Path(tempfile.gettempdir()) / "faqdesk") / "onnx" / f"{weights}-{variant}.onnx"
            try:
                self._onnx = OnnxEncoder.load(
                    export_to,
                    path,
                    quantize=backend == "onnx-int8",
                    threads=self._inference_threads,
                    model=lambda: self.model,
                    memory_arena=memory_arena,
                )
            except Exception as exc:  # noqa: BLE001 - any model the exporter cannot handle still works in torch
                log.warning("encoder backend %s unavailable for %s (%s); using torch", backend, path, exc)
                backend = "torch"
        self.backend = backend
        self.dim = self._onnx.dim if self._onnx is not None else int(self.model.get_embedding_dimension() or 0)
        self.fingerprint = weights if backend == "torch" else f"{weights}-{variant}"
        self._cache = EmbeddingCache(cache_dir / "embeddings" / self.fingerprint) if cache_dir else None
        self._lock = Lock()

    @property
    def model(self) -> SentenceTransformer:
        """The sentence-transformers model in PyTorch, loaded on first use (an ONNX backend never needs it
        once its export exists, and a process that does not import PyTorch is ~380 MB smaller)."""
        if self._model is None:
            import torch
            from sentence_transformers import SentenceTransformer
            from transformers.utils import logging as hf_logging

            hf_logging.disable_progress_bar()  # a progress bar per model load is noise in a CLI and a server
            torch.set_num_threads(self._inference_threads)
            self._model = SentenceTransformer(self.model_path, device="cpu", local_files_only=True)
        return self._model

    def encode(self, texts: list[str]) -> np.ndarray:
        """Vectors for texts, taking cached ones from disk and storing the new ones."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        if self._cache is None:
            return self._encode_batch(texts)
        with self._lock:
            found = self._cache.get_many(texts)
            missing = sorted({t for t, v in zip(texts, found, strict=True) if v is None})
            if missing:
                self._cache.put_many(missing, self._encode_batch(missing))
                found = self._cache.get_many(texts)
        return np.vstack(found).astype(np.float32)  # type: ignore[arg-type]

    def encode_one(self, text: str) -> np.ndarray:
        """One vector, never touching the disk cache (the chat path)."""
        # One message at a time: on a few cores, parallel forward passes only slow each other down (20
        # concurrent chats took ~470 ms per turn inside the server; queued one by one each takes ~15 ms).
        with self._inference_lock:
            return self._encode([text])[0]

    def _encode_batch(self, texts: list[str]) -> np.ndarray:
        return self._encode(texts, threads=self._batch_threads)

    def _encode(self, texts: list[str], *, threads: int | None = None) -> np.ndarray:
        threads = threads or self._inference_threads
        if self._onnx is not None:
            return self._onnx.embed(texts, batch_size=self.batch_size, threads=threads)
        import torch

        torch.set_num_threads(threads)
        try:
            vectors = self.model.encode(
                texts,
                batch_size=self.batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
        finally:
            torch.set_num_threads(self._inference_threads)
        return np.asarray(vectors, dtype=np.float32)


class EmbeddingCache:
    """Append-only chunks of (text hash, vector) under one folder per encoder."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._vectors: dict[str, np.ndarray] | None = None

    def _load(self) -> dict[str, np.ndarray]:
        if self._vectors is None:
            self._vectors = {}
            for chunk in sorted(self.folder.glob("chunk-*.npz")):
                try:
                    with np.load(chunk) as data:
                        self._vectors.update(zip(data["keys"].tolist(), data["vectors"], strict=True))
                except (OSError, ValueError, KeyError):
                    continue  # a damaged chunk only costs re-encoding
        return self._vectors

    def get_many(self, texts: list[str]) -> list[np.ndarray | None]:
        """Cached vectors, ``None`` where a text is not cached."""
        vectors = self._load()
        return [vectors.get(_key(t)) for t in texts]

    def put_many(self, texts: list[str], vectors: np.ndarray) -> None:
        """Store vectors; the chunk is written to a temp file and renamed, so a crash leaves no half file."""
        keys = [_key(t) for t in texts]
        self._load().update(zip(keys, vectors, strict=True))
        self.folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.folder, suffix=".tmp")
        with os.fdopen(fd, "wb") as fh:
            np.savez(fh, keys=np.array(keys), vectors=vectors.astype(np.float32))
        name = f"chunk-{len(list(self.folder.glob('chunk-*.npz'))):06d}-{keys[0][:8]}.npz"
        os.replace(tmp, self.folder / name)


def _key(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


def _fingerprint(path: Path) -> str:
    """Identity of a model folder: its config files and the sizes of its weight files."""
    digest = hashlib.sha256()
    for name in _FINGERPRINT_FILES:
        file = path / name
        if file.is_file():
            digest.update(name.encode() + file.read_bytes())
    for weights in sorted(path.rglob("*.safetensors")) + sorted(path.rglob("*.bin")):
        digest.update(f"{weights.relative_to(path)}:{weights.stat().st_size}".encode())
    return digest.hexdigest()[:16]
