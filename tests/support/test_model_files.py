"""Models in the database: stored once on PostgreSQL, fetched into another machine's folder, checked, pruned."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import Session

from bot import store
from core.db import is_postgres
from support import model_files
from support.models import ModelFile


def saved(model_dir: Path, version: str, content: bytes = b"model bytes") -> None:
    store.write_files(model_dir, version, content, '{"format": 0}')


def test_a_version_is_stored_once_and_fetched_elsewhere(session: Session, tmp_path: Path) -> None:
    if not is_postgres(session.get_bind()):
        pytest.skip("models are stored in PostgreSQL only (see the SQLite test)")
    here, there = tmp_path / "here", tmp_path / "there"
    saved(here, "v1", b"\x00\x01" * 1000)
    assert model_files.publish(session, model_dir=here, version="v1") is True
    assert model_files.publish(session, model_dir=here, version="v1") is False  # written once
    assert model_files.fetch(session, model_dir=there, version="v1") is True
    assert store.read_files(there, "v1") == store.read_files(here, "v1")
    assert model_files.fetch(session, model_dir=there, version="v2") is False  # nobody stored it


def test_a_damaged_copy_is_never_written_to_the_model_folder(session: Session, tmp_path: Path) -> None:
    if not is_postgres(session.get_bind()):
        pytest.skip("models are stored in PostgreSQL only")
    saved(tmp_path / "here", "v1")
    model_files.publish(session, model_dir=tmp_path / "here", version="v1")
    row = session.get(ModelFile, "v1")
    assert row is not None
    row.content = b"something else"
    session.flush()
    with pytest.raises(model_files.CorruptModelFile):
        model_files.fetch(session, model_dir=tmp_path / "there", version="v1")
    assert not store.has(tmp_path / "there", "v1")


def test_pruning_keeps_the_newest_and_the_active_version(session: Session, tmp_path: Path) -> None:
    if not is_postgres(session.get_bind()):
        pytest.skip("models are stored in PostgreSQL only")
    for number in range(5):
        saved(tmp_path, f"v{number}")
        model_files.publish(session, model_dir=tmp_path, version=f"v{number}")
    assert model_files.prune(session, active="v0", keep=2) == 2
    assert set(model_files.stored_versions(session)) == {"v0", "v3", "v4"}


def test_sqlite_keeps_models_in_the_folder_beside_it(session: Session, tmp_path: Path) -> None:
    if is_postgres(session.get_bind()):
        pytest.skip("the PostgreSQL tests above store them")
    saved(tmp_path, "v1")
    assert model_files.publish(session, model_dir=tmp_path, version="v1") is False
    assert model_files.stored_versions(session) == []
    assert model_files.fetch(session, model_dir=tmp_path, version="v1") is True  # already here
