"""A sentence-transformers model run by ONNX Runtime: exported once from the local model, optionally int8.

Why: on two shared CPU cores a chat turn was dominated by PyTorch's per-operator overhead (~11 ms for a
30-token message with all-MiniLM-L6-v2). The same graph in ONNX Runtime takes ~5.5 ms, and with int8
weights (dynamic quantisation, one scale per output channel) ~2 ms (``bench/encoder.py``). The whole
module stack after the tokenizer (transformer, pooling, any dense layers) is exported, so pooling is
exactly what the model card says.

Once exported, the model is served without importing PyTorch at all (the Rust ``tokenizers`` library
reads the model's ``tokenizer.json``): PyTorch alone costs a process ~380 MB.

The export is a build artefact under the cache folder, keyed by the model's fingerprint: the graph and a
small JSON of what serving it needs, each written by rename, so concurrent processes never read half a
file. Nothing is downloaded.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import onnxruntime
    from sentence_transformers import SentenceTransformer

BACKENDS = ("torch", "onnx", "onnx-int8")
# Bumped when the same backend would export different weights: the export file and the encoder's
# fingerprint carry it, so a model trained on an older export's vectors is retrained, never mixed.
# 2: int8 weights quantised per output channel (cosine to float32 mean 0.991, min 0.96 over 300 visitor
# messages, against 0.94 / 0.79 with one scale per tensor), at the same speed.
INT8_EXPORT = 2
log = logging.getLogger(__name__)


class OnnxEncoder:
    """Embeds texts with an exported model; vectors are L2-normalised float32."""

    def __init__(self, file: Path, model_path: Path, *, threads: int, memory_arena: bool = True) -> None:
        meta = json.loads(_meta_file(file).read_text(encoding="utf-8"))
        self.file = file
        self.dim = int(meta["dim"])
        self.input_names: list[str] = list(meta["input_names"])
        # int8 activations are quantised with one scale per run, so a text's vector would depend on the
        # other texts in its batch (cosine ~0.99 against the same text alone): with int8 every text
        # is run alone, which keeps training and chat vectors identical (and is faster than torch batches).
        self.alone = bool(meta["quantized"])
        self._tokenize = _tokenizer(model_path / meta["tokenizer"], meta)
        self._sessions: dict[int, onnxruntime.InferenceSession] = {}
        # ONNX Runtime's arena keeps the largest batch's working memory for reuse: fast for training,
        # but a serving process that once encoded 64 articles kept ~1 GB of it (measured); without it
        # that memory is freed after each run.
        self._memory_arena = memory_arena
        self._session(threads)  # a broken file fails here, at start-up, not on a visitor's message

    @classmethod
    def load(
        cls,
        file: Path,
        model_path: Path,
        *,
        quantize: bool,
        threads: int,
        model: Callable[[], SentenceTransformer],
        memory_arena: bool = True,
    ) -> OnnxEncoder:
        """The export at ``file``, made first (from ``model()``) if it is missing or unreadable."""
        if file.is_file() and _meta_file(file).is_file():
            try:
                return cls(file, model_path, threads=threads, memory_arena=memory_arena)
            except Exception:  # noqa: BLE001 - a damaged or foreign file is replaced by a fresh export
                log.warning("cannot load %s; exporting the model again", file)
        export(model(), model_path, file, quantize=quantize)
        return cls(file, model_path, threads=threads, memory_arena=memory_arena)

    def embed(self, texts: Sequence[str], *, batch_size: int, threads: int) -> np.ndarray:
        """Vectors in the order of ``texts`` (at least one); batches of similar length keep padding small."""
        session = self._session(threads)
        batch_size = 1 if self.alone else batch_size
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        chunks = []
        for start in range(0, len(order), batch_size):
            features = self._tokenize([texts[i] for i in order[start : start + batch_size]])
            chunks.append(session.run(None, {name: features[name] for name in self.input_names})[0])
        vectors = np.vstack(chunks).astype(np.float32)
        vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
        out = np.empty_like(vectors)
        out[order] = vectors
        return out

    def _session(self, threads: int) -> onnxruntime.InferenceSession:
        if threads not in self._sessions:
            import onnxruntime as ort

            options = ort.SessionOptions()
            options.intra_op_num_threads = threads
            options.inter_op_num_threads = 1
            options.enable_cpu_mem_arena = self._memory_arena
            # Spinning worker threads steal the second core from the web server between requests.
            options.add_session_config_entry("session.intra_op.allow_spinning", "0")
            options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
            self._sessions[threads] = ort.InferenceSession(str(self.file), options, providers=["CPUExecutionProvider"])
        return self._sessions[threads]


def export(model: SentenceTransformer, model_path: Path, file: Path, *, quantize: bool) -> None:
    """Write ``model`` (everything after the tokenizer) as ONNX to ``file``, int8 weights if ``quantize``,
    and next to it the JSON that serving it without PyTorch needs."""
    import torch

    tokenizer = model.tokenizer
    input_names = [n for n in ("input_ids", "attention_mask", "token_type_ids") if n in tokenizer(["x"])]
    tokenizer_file = _tokenizer_file(model_path)
    if tokenizer_file is None:
        raise ValueError("the model has no tokenizer.json (a fast tokenizer), which serving without torch needs")

    class _Embedding(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self, *tensors: torch.Tensor) -> torch.Tensor:
            features: dict[str, Any] = dict(zip(input_names, tensors, strict=True))
            return self.model(features)["sentence_embedding"]

    sample = tokenizer(["a short example sentence"], return_tensors="pt")
    axes = {name: {0: "batch", 1: "tokens"} for name in input_names} | {"embedding": {0: "batch"}}
    meta = {
        "dim": int(model.get_embedding_dimension() or 0),
        "input_names": input_names,
        "quantized": quantize,
        "tokenizer": str(tokenizer_file.relative_to(model_path)),
        "max_length": int(model.max_seq_length or tokenizer.model_max_length),
        "pad_id": int(tokenizer.pad_token_id or 0),
        "pad_token": str(tokenizer.pad_token or "[PAD]"),
        "pad_type_id": int(getattr(tokenizer, "pad_token_type_id", 0) or 0),
        "lowercase": bool(getattr(model[0], "do_lower_case", False)),
    }
    file.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=file.parent) as tmp:
        plain = Path(tmp) / "model.onnx"
        with warnings.catch_warnings(), torch.no_grad():
            warnings.simplefilter("ignore")  # tracer notes about Python control flow fixed at export
            torch.onnx.export(
                _Embedding().eval(),
                tuple(sample[name] for name in input_names),
                str(plain),
                input_names=input_names,
                output_names=["embedding"],
                dynamic_axes=axes,
                opset_version=17,
                dynamo=False,
            )
        final = plain
        if quantize:
            from onnxruntime.quantization import QuantType, quantize_dynamic

            final = Path(tmp) / "model-int8.onnx"
            logging.disable(logging.WARNING)  # its advice to pre-process is for static, calibrated quantisation
            try:
                quantize_dynamic(str(plain), str(final), weight_type=QuantType.QInt8, per_channel=True)
            finally:
                logging.disable(logging.NOTSET)
        meta_tmp = Path(tmp) / "meta.json"
        meta_tmp.write_text(json.dumps(meta, indent=2), encoding="utf-8")
        os.replace(final, file)
        os.replace(meta_tmp, _meta_file(file))


def _meta_file(file: Path) -> Path:
    return file.with_suffix(".json")


def _tokenizer_file(model_path: Path) -> Path | None:
    """The transformer module's tokenizer.json (sentence-transformers may keep that module in a subfolder)."""
    modules = model_path / "modules.json"
    folder = model_path
    if modules.is_file():
        first = json.loads(modules.read_text(encoding="utf-8"))[0]
        folder = model_path / first.get("path", "")
    file = folder / "tokenizer.json"
    return file if file.is_file() else None


def _tokenizer(file: Path, meta: dict[str, Any]) -> Callable[[list[str]], dict[str, np.ndarray]]:
    """Texts to padded int64 arrays, as the model's own (fast) tokenizer makes them."""
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(file))
    tokenizer.enable_truncation(max_length=int(meta["max_length"]))
    tokenizer.enable_padding(
        pad_id=int(meta["pad_id"]), pad_token=str(meta["pad_token"]), pad_type_id=int(meta["pad_type_id"])
    )

    lowercase = bool(meta.get("lowercase"))

    def tokenize(texts: list[str]) -> dict[str, np.ndarray]:
        # As sentence-transformers prepares text for its tokenizer: stripped, lowercased if configured.
        encodings = tokenizer.encode_batch([t.strip().lower() if lowercase else t.strip() for t in texts])
        return {
            "input_ids": np.array([e.ids for e in encodings], dtype=np.int64),
            "attention_mask": np.array([e.attention_mask for e in encodings], dtype=np.int64),
            "token_type_ids": np.array([e.type_ids for e in encodings], dtype=np.int64),
        }

    return tokenize
