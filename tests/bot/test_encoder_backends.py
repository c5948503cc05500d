"""The encoder's backends: ONNX exports give the model's own vectors, and int8 ones do not depend on batching."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from bot.encoder import Encoder
from core.settings import Settings

TEXTS = [
    "where is my parcel",
    "Ich möchte meine Bestellung zurücksenden, sie ist zu groß.",
    "hoe lang duurt de levering naar België?",
    "hi",
    "  a message with spaces around it  ",
    # Longer than the model's 256 tokens: truncated the same way by both tokenizers.
    " ".join(["Ich möchte meine Bestellung zurücksenden, aber das Paket ist sehr groß."] * 40)[:2000],
]


@pytest.fixture(scope="module")
def torch_encoder(settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Encoder:
    return Encoder(settings.encoder_path(), cache_dir=tmp_path_factory.mktemp("torch"), backend="torch")


def test_onnx_export_gives_the_models_own_vectors(settings: Settings, torch_encoder: Encoder, tmp_path: Path) -> None:
    onnx = Encoder(settings.encoder_path(), cache_dir=tmp_path, backend="onnx")
    assert onnx.backend == "onnx"
    reference = torch_encoder._encode(TEXTS)
    batch = onnx._encode(TEXTS)  # padded together, in another order than given
    alone = np.vstack([onnx.encode_one(t) for t in TEXTS])
    assert batch.shape == reference.shape == (len(TEXTS), torch_encoder.dim)
    assert np.allclose(np.linalg.norm(batch, axis=1), 1.0, atol=1e-5)
    assert np.min(np.sum(batch * reference, axis=1)) > 0.9999
    assert np.allclose(batch, alone, atol=1e-4)


def test_int8_vectors_are_close_and_the_same_alone_or_in_a_batch(
    settings: Settings, torch_encoder: Encoder, tmp_path: Path
) -> None:
    int8 = Encoder(settings.encoder_path(), cache_dir=tmp_path, backend="onnx-int8")
    batch = int8._encode_batch(TEXTS)
    alone = np.vstack([int8.encode_one(t) for t in TEXTS])
    # Training encodes batches and the chat encodes one message: both must see the same vector.
    assert np.array_equal(batch, alone)
    cosine = np.sum(batch * torch_encoder._encode(TEXTS), axis=1)
    # Close, and really quantised (bench/encoder.py: mean 0.991, min 0.964 over 480 messages with one
    # scale per output channel; one scale per tensor gave mean 0.94, min 0.79).
    assert cosine.mean() > 0.98 and cosine.min() > 0.95 and np.all(cosine < 0.99999)


def test_each_backend_is_its_own_encoder_and_the_export_is_reused(settings: Settings, tmp_path: Path) -> None:
    first = Encoder(settings.encoder_path(), cache_dir=tmp_path, backend="onnx-int8")
    exported = sorted((tmp_path / "onnx").glob("*.onnx"))
    assert len(exported) == 1
    stamp = exported[0].stat().st_mtime_ns
    again = Encoder(settings.encoder_path(), cache_dir=tmp_path, backend="onnx-int8")
    assert exported[0].stat().st_mtime_ns == stamp  # loaded, not exported again
    assert again.fingerprint == first.fingerprint
    fingerprints = {first.fingerprint}
    for backend in ("torch", "onnx"):
        fingerprints.add(Encoder(settings.encoder_path(), cache_dir=tmp_path, backend=backend).fingerprint)
    # Models and cached embeddings are keyed by fingerprint: vectors of one backend never serve another.
    assert len(fingerprints) == 3


def test_a_damaged_export_is_exported_again(settings: Settings, tmp_path: Path) -> None:
    first = Encoder(settings.encoder_path(), cache_dir=tmp_path, backend="onnx")
    (exported,) = (tmp_path / "onnx").glob("*.onnx")
    exported.write_bytes(b"not a model")
    encoder = Encoder(settings.encoder_path(), cache_dir=tmp_path, backend="onnx")
    assert encoder.backend == "onnx"
    assert np.allclose(encoder.encode_one("where is my parcel"), first.encode_one("where is my parcel"), atol=1e-6)


def test_a_model_the_exporter_cannot_handle_runs_in_torch(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise RuntimeError("unsupported operator")

    monkeypatch.setattr("bot.onnx_encoder.export", refuse)
    encoder = Encoder(settings.encoder_path(), cache_dir=tmp_path, backend="onnx-int8")
    assert encoder.backend == "torch"
    assert "unsupported operator" in caplog.text
    assert encoder.encode_one("where is my parcel").shape == (encoder.dim,)


def test_an_unknown_backend_is_refused(settings: Settings) -> None:
    with pytest.raises(ValueError, match="unknown encoder backend 'tensorrt'"):
        Encoder(settings.encoder_path(), backend="tensorrt")


def test_serving_an_existing_export_never_imports_torch(settings: Settings, tmp_path: Path) -> None:
    Encoder(settings.encoder_path(), cache_dir=tmp_path, backend="onnx")  # exports (this process has torch)
    probe = (
        "import sys\n"
        "from pathlib import Path\n"
        "from bot.encoder import Encoder\n"
        f"e = Encoder({settings.encoder_path()!r}, cache_dir=Path({str(tmp_path)!r}), backend='onnx')\n"
        "assert e.backend == 'onnx', e.backend\n"
        "print(e.encode_one('where is my parcel').shape == (e.dim,), 'torch' in sys.modules)\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    # PyTorch alone would add ~380 MB to every server process.
    assert result.stdout.split() == ["True", "False"]
