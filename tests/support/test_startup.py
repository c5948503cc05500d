"""The first start seeds an empty database from the configured training data, wherever the server runs."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from core.db import make_engine
from core.settings import Settings
from migrations import upgrade
from support import startup

REPO = Path(__file__).resolve().parent.parent.parent


def prepared(tmp_path: Path, training_data: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    url = f"sqlite:///{tmp_path / 'faqdesk.db'}"
    upgrade(url)
    settings = Settings(
        database_url=url, data_dir=tmp_path / "var", training_data=training_data, train_in_subprocess=False,
        _env_file=None,  # type: ignore[call-arg]
    )  # fmt: skip
    monkeypatch.setattr(startup, "ensure_active_model", lambda settings, note: "v-test")  # no training here
    monkeypatch.chdir(tmp_path)  # not the repository: a path relative to it finds nothing here
    notes: list[str] = []
    engine = make_engine(url)
    try:
        assert startup.prepare(engine, settings, note=notes.append) == "v-test"
    finally:
        engine.dispose()
    return notes


def test_demo_articles_come_from_the_configured_training_data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    elsewhere = tmp_path / "content"
    shutil.copytree(REPO / "training_data", elsewhere)
    notes = prepared(tmp_path, elsewhere, monkeypatch)
    loaded = next(n for n in notes if n.startswith("loaded demo content"))
    assert " 0 articles" not in loaded and " 0 categories" not in loaded, loaded
    assert any(n.startswith("loaded ") and "FAQ intents" in n for n in notes)


def test_a_missing_demo_folder_is_said_not_silently_empty(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    only_intents = tmp_path / "content"
    shutil.copytree(REPO / "training_data" / "faq", only_intents / "faq")
    notes = prepared(tmp_path, only_intents, monkeypatch)
    assert any("no demo content" in n and "articles" in n for n in notes), notes
