"""A sentence-transformers model run by ONNX Runtime: exported once from the local model, optionally int8.

Why: on two shared CPU cores a chat turn was dominated by PyTorch's per-operator overhead (~11 ms for a
30-token message with all-MiniLM-L6-v2). The same graph in ONNX Runtime takes ~5.5 ms, and with int8
weights (dynamic quantisation) ~2 ms (``bench/encoder.py``). The whole module stack after the tokenizer
(transformer, pooling, any dense layers) is exported, so pooling is exactly what the model card says.

The exported file is a build artefact under the cache folder, keyed by the model's fingerprint and
written by rename, so concurrent processes never read half a file. Nothing is downloaded.
"""

from __future__ import annotations

import logging
import os
import tempfile
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import onnxruntime
    from sentence_transformers import SentenceTransformer

BACKENDS = ("torch", "onnx", "onnx-int8")
log = logging.getLogger(__name__)


class OnnxEncoder:
    """Embeds texts with an exported copy of ``model``; vectors are L2-normalised float32."""

    def __init__(self, model: SentenceTransformer, file: Path, *, quantize: bool, threads: int) -> None:
        self.tokenizer = model.tokenizer
        # int8 activations are quantised with one scale per run, so a text's vector would depend on the
        # other texts in its batch (cosine ~0.99 against the same text alone): with int8 every text
        # is run alone, which keeps training and chat vectors identical (and is faster than torch batches).
        self.alone = quantize
        self.max_length = int(model.max_seq_length or 512)
        self.input_names = _input_names(model)
        self.file = file
        self._sessions: dict[int, onnxruntime.InferenceSession] = {}
        if file.is_file():
            try:
                self._session(threads)
                return
            except Exception:  # noqa: BLE001 - a damaged or foreign file is replaced by a fresh export
                log.warning("cannot load %s; exporting the model again", file)
        export(model, file, input_names=self.input_names, quantize=quantize)
        self._session(threads)  # a failing export fails here, at start-up, not on a visitor's message

    def embed(self, texts: Sequence[str], *, batch_size: int, threads: int) -> np.ndarray:
        """Vectors in the order of ``texts`` (at least one); batches of similar length keep padding small."""
        session = self._session(threads)
        batch_size = 1 if self.alone else batch_size
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        chunks = []
        for start in range(0, len(order), batch_size):
            batch = [texts[i] for i in order[start : start + batch_size]]
            features = self.tokenizer(
                batch, padding=True, truncation=True, max_length=self.max_length, return_tensors="np"
            )
            feed = {name: np.asarray(features[name], dtype=np.int64) for name in self.input_names}
            chunks.append(session.run(None, feed)[0])
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
            # Spinning worker threads steal the second core from the web server between requests.
            options.add_session_config_entry("session.intra_op.allow_spinning", "0")
            options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
            self._sessions[threads] = ort.InferenceSession(str(self.file), options, providers=["CPUExecutionProvider"])
        return self._sessions[threads]


def export(model: SentenceTransformer, file: Path, *, input_names: list[str], quantize: bool) -> None:
    """Write ``model`` (everything after the tokenizer) as ONNX to ``file``, int8 weights if ``quantize``."""
    import torch

    class _Embedding(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self, *tensors: torch.Tensor) -> torch.Tensor:
            features: dict[str, Any] = dict(zip(input_names, tensors, strict=True))
            return self.model(features)["sentence_embedding"]

    sample = model.tokenizer(["a short example sentence"], return_tensors="pt")
    axes = {name: {0: "batch", 1: "tokens"} for name in input_names} | {"embedding": {0: "batch"}}
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
                quantize_dynamic(str(plain), str(final), weight_type=QuantType.QInt8)
            finally:
                logging.disable(logging.NOTSET)
        os.replace(final, file)


def _input_names(model: SentenceTransformer) -> list[str]:
    """The tokenizer outputs the model takes, in a fixed order (XLM-R models have no token_type_ids)."""
    produced = set(model.tokenizer(["x"]).keys())
    return [name for name in ("input_ids", "attention_mask", "token_type_ids") if name in produced]
