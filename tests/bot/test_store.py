"""Model files: one folder per version, written completely or not at all, and the ACTIVE pointer."""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import pytest

from bot import store
from bot.data import TrainingData
from bot.encoder import Encoder
from bot.model import FaqModel


@pytest.fixture(scope="module")
def model(mini_data: TrainingData, encoder: Encoder) -> FaqModel:
    return FaqModel.train(mini_data, encoder=encoder)


def version(model: FaqModel, name: str) -> FaqModel:
    other = copy.copy(model)
    other.version = name
    return other


def test_nothing_is_active_before_the_first_activation(tmp_path: Path) -> None:
    assert store.active_version(tmp_path) is None
    with pytest.raises(FileNotFoundError, match="no active model"):
        store.load(tmp_path)


def test_save_activate_load_and_switch_versions(model: FaqModel, tmp_path: Path) -> None:
    first, second = version(model, "v-first"), version(model, "v-second")
    assert store.save(first, tmp_path) == tmp_path / "v-first"
    store.save(second, tmp_path)
    store.activate(tmp_path, "v-first")
    assert store.active_version(tmp_path) == "v-first" and store.load(tmp_path).version == "v-first"
    store.activate(tmp_path, "v-second")
    assert store.load(tmp_path).version == "v-second"
    assert store.load(tmp_path, "v-first").version == "v-first"  # older versions stay loadable
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ACTIVE", "v-first", "v-second"]  # no temp files


def test_activating_an_unsaved_version_leaves_the_pointer_alone(model: FaqModel, tmp_path: Path) -> None:
    store.save(version(model, "v-saved"), tmp_path)
    store.activate(tmp_path, "v-saved")
    with pytest.raises(FileNotFoundError):
        store.activate(tmp_path, "v-missing")
    assert store.active_version(tmp_path) == "v-saved"


def test_a_failed_save_leaves_no_folder(model: FaqModel, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken_dump(*args: object, **kwargs: object) -> bytes:
        raise OSError("disk full")

    monkeypatch.setattr(store.modelfile, "dumps", broken_dump)
    with pytest.raises(OSError, match="disk full"):
        store.save(version(model, "v-broken"), tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_saving_a_saved_version_again_keeps_the_files(model: FaqModel, tmp_path: Path) -> None:
    folder = store.save(version(model, "v-once"), tmp_path)
    written = (folder / "model.npz").stat().st_mtime_ns
    assert store.save(version(model, "v-once"), tmp_path) == folder
    assert (folder / "model.npz").stat().st_mtime_ns == written


def test_a_model_of_another_format_or_kind_is_refused(model: FaqModel, tmp_path: Path) -> None:
    folder = store.save(version(model, "v-old"), tmp_path)
    meta = (folder / "meta.json").read_text()
    (folder / "meta.json").write_text('{"format": 0}')
    with pytest.raises(FileNotFoundError, match="old format"):
        store.load(tmp_path, "v-old")
    (folder / "meta.json").write_text(meta)
    (folder / "model.npz").write_bytes(b"not an archive")
    with pytest.raises(FileNotFoundError, match="not a faqdesk model"):
        store.load(tmp_path, "v-old")
    np.savez(folder / "model.npz", other=np.arange(3))  # an archive, not ours
    with pytest.raises(FileNotFoundError, match="not a faqdesk model"):
        store.load(tmp_path, "v-old")


def test_a_model_file_is_never_unpickled(model: FaqModel, tmp_path: Path) -> None:
    """Model files come from other machines through the database: loading one runs nothing it holds."""
    folder = store.save(version(model, "v-pickled"), tmp_path)
    np.savez(folder / "model.npz", **{"model.json": np.array([{"code": "would run"}], dtype=object)})
    with pytest.raises(FileNotFoundError, match="not a faqdesk model"):
        store.load(tmp_path, "v-pickled")


def test_a_version_saved_before_the_array_format_is_trained_again(model: FaqModel, tmp_path: Path) -> None:
    folder = tmp_path / "v-joblib"
    folder.mkdir()
    (folder / "model.joblib").write_bytes(b"a pickled model of format 3")
    (folder / "meta.json").write_text('{"format": 3}')
    assert not store.has(tmp_path, "v-joblib")  # absent in this format: the worker trains it again
    with pytest.raises(FileNotFoundError):
        store.load(tmp_path, "v-joblib")
