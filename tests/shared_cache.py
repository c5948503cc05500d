"""One warm encoder cache per test run, however many pytest-xdist workers run it.

A cold cache costs ~35 s of CPU: the ONNX export, the German and Dutch glossary tables, the demo FAQ's
embeddings and the demo help center's article vectors. Each worker used to build all of it at once on
the same two cores. Now the first worker to take the lock builds it in the run's shared folder while the
others wait; then each copies it into its own session folder (``settings`` in tests/conftest.py), as a
machine that ran before would have it.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from filelock import FileLock

DEMO_FAQ = Path(__file__).resolve().parent.parent / "training_data" / "faq"


def shared_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The run's warm encoder cache, built on first use."""
    root = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        root = root.parent  # each worker's base folder is a child of the run's
    folder = root / "shared-cache"
    with FileLock(str(root / "shared-cache.lock")):
        if not (folder / "built").exists():
            _build(folder)
            (folder / "built").touch()
    return folder / "var" / "cache"


def _build(folder: Path) -> None:
    from api.app import warm_article_vectors
    from bot import runtime
    from bot.loaders import load_training_data
    from core.db import make_engine
    from tests.admin.conftest import make_settings

    settings = make_settings(folder)  # the demo help center, for its article vectors
    model = runtime.fit(load_training_data(DEMO_FAQ, locales=settings.locales), settings)
    engine = make_engine(settings.database_url)
    try:
        warm_article_vectors(engine, settings.locales, model)
    finally:
        engine.dispose()
