"""Model files on disk: one folder per version and an ``ACTIVE`` pointer switched atomically.

A training that fails or is killed never touches ``ACTIVE``, so the previous model stays in force.
A version's folder holds two files (``model.npz``: arrays and JSON, see bot/modelfile.py; and
``meta.json``); ``read_files`` and ``write_files`` move them as bytes, so a version trained on one
machine can be copied to another (support.model_files keeps them in the database).
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import zipfile
from pathlib import Path

from bot import modelfile
from bot.model import FORMAT_VERSION, FaqModel

ACTIVE = "ACTIVE"
# Folders of formats before 4 hold model.joblib (pickled scikit-learn objects) instead: never
# complete in this format's eyes, so they are trained again.
_MODEL_FILE = "model.npz"


def save(model: FaqModel, model_dir: Path) -> Path:
    """Write a model under ``model_dir/<version>/`` (complete or not at all) and return the folder."""
    model_dir.mkdir(parents=True, exist_ok=True)
    target = model_dir / model.version
    if has(model_dir, model.version):
        return target
    staging = Path(tempfile.mkdtemp(prefix=f".{model.version}-", dir=model_dir))
    try:
        (staging / _MODEL_FILE).write_bytes(modelfile.dumps(model))
        meta = {"format": FORMAT_VERSION, **model.summary()}
        (staging / "meta.json").write_text(json.dumps(meta, indent=2))
        _move_into_place(staging, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


def _move_into_place(staging: Path, target: Path) -> None:
    try:
        os.replace(staging, target)
    except OSError:  # another process saved the same version first: identical, keep theirs
        if not (target / _MODEL_FILE).is_file():
            raise


def has(model_dir: Path, version: str) -> bool:
    """Whether this version is saved here (complete: folders appear by rename)."""
    return (model_dir / version / _MODEL_FILE).is_file()


def read_files(model_dir: Path, version: str) -> tuple[bytes, str]:
    """A saved version's model file and meta.json, as stored."""
    folder = model_dir / version
    return (folder / _MODEL_FILE).read_bytes(), (folder / "meta.json").read_text()


def write_files(model_dir: Path, version: str, content: bytes, meta: str) -> Path:
    """Save a version from its files' contents (complete or not at all), unless it is saved already."""
    model_dir.mkdir(parents=True, exist_ok=True)
    target = model_dir / version
    if has(model_dir, version):
        return target
    staging = Path(tempfile.mkdtemp(prefix=f".{version}-", dir=model_dir))
    try:
        (staging / _MODEL_FILE).write_bytes(content)
        (staging / "meta.json").write_text(meta)
        _move_into_place(staging, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


def activate(model_dir: Path, version: str) -> None:
    """Make a saved version the active one (atomic rename of the pointer file)."""
    if not has(model_dir, version):
        raise FileNotFoundError(f"no saved model {version} in {model_dir}")
    fd, tmp = tempfile.mkstemp(dir=model_dir, prefix=".active-")
    with os.fdopen(fd, "w") as fh:
        fh.write(version + "\n")
    os.replace(tmp, model_dir / ACTIVE)


def active_version(model_dir: Path) -> str | None:
    """The active version, or ``None`` before the first training."""
    pointer = model_dir / ACTIVE
    return pointer.read_text().strip() or None if pointer.is_file() else None


def load(model_dir: Path, version: str | None = None) -> FaqModel:
    """Load a version (default: the active one) without its encoder; call ``attach`` next."""
    version = version or active_version(model_dir)
    if version is None:
        raise FileNotFoundError(f"no active model in {model_dir}; run `faqdesk train`")
    folder = model_dir / version
    meta = json.loads((folder / "meta.json").read_text())
    if meta.get("format") != FORMAT_VERSION:
        raise FileNotFoundError(f"model {version} has an old format; run `faqdesk train`")
    try:
        return modelfile.loads((folder / _MODEL_FILE).read_bytes())
    except (ValueError, KeyError, TypeError, zipfile.BadZipFile) as exc:  # not an archive, or not one of ours
        raise FileNotFoundError(f"{folder / _MODEL_FILE} is not a faqdesk model: {exc}") from None
