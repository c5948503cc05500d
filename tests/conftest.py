"""Shared fixtures: the real encoder and trained models are built once per session."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

from bot import runtime
from bot.data import TrainingData
from bot.encoder import Encoder
from bot.loaders import load_training_data
from bot.model import FaqModel
from core.settings import Settings
from tests.app import (  # noqa: F401  (the HTTP tests' app)
    _postgresql_site,
    _site,
    _sqlite_site,
    signed_in,
    site_app,
    site_client,
    site_db,
)
from tests.db import (  # noqa: F401  (database fixtures for every folder)
    _postgresql_engine,
    _sqlite_engine,
    database_url,
    engine,
    session,
)
from tests.servers import copy_cache
from tests.shared_cache import shared_cache

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
DEMO_FAQ = ROOT / "training_data" / "faq"


# The order files are handed to the workers in (scripts/test runs one per core): the longest first, so none
# of them is left for the end while the other workers idle; and early on, files that need no encoder
# cache, so a worker has work while the first one builds the run's cache (tests/shared_cache.py). Only the
# order of the run depends on this list.
LONGEST_FIRST = (
    "tests/api/test_schema_conformance.py",
    # no encoder cache needed
    "tests/browser/test_agent_day_browser.py",
    "tests/browser/test_appearance_browser.py",
    "tests/api/test_editing_load.py",
    "tests/support/test_test_day.py",
    "tests/browser/test_csp.py",
    # the cache needed
    "tests/test_serve.py",
    "tests/test_two_machines.py",
    "tests/test_serve_operations.py",
    "tests/support/test_suggest.py",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    rank = {module: n for n, module in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.nodeid.split("::")[0], len(rank)))  # stable: the rest keep order


@pytest.fixture(scope="session")
def session_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("faqdesk")


@pytest.fixture(scope="session")
def settings(session_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Settings pointing at a session-private data folder (models, embedding cache), its cache copied
    from the run's warm one (tests/shared_cache.py)."""
    settings = Settings(data_dir=session_dir / "var", _env_file=None)  # type: ignore[call-arg]
    copy_cache(shared_cache(tmp_path_factory), settings.cache_dir)
    return settings


@pytest.fixture(scope="session")
def encoder(settings: Settings) -> Encoder:
    enc = runtime.load_encoder(settings)
    assert enc is not None
    return enc


@pytest.fixture(scope="session")
def demo_data() -> TrainingData:
    return load_training_data(DEMO_FAQ, locales=["en", "de", "nl"])


@pytest.fixture(scope="session")
def _demo_model(demo_data: TrainingData, settings: Settings) -> FaqModel:
    return runtime.fit(demo_data, settings)


@pytest.fixture()
def demo_model(_demo_model: FaqModel) -> FaqModel:
    """The demo FAQ model; a shallow copy so a test may reconfigure thresholds freely."""
    model = copy.copy(_demo_model)
    model.attach(_demo_model.encoder, _demo_model.glossers)  # copying drops the encoder, like saving does
    model.locales = {loc: copy.copy(lm) for loc, lm in _demo_model.locales.items()}
    return model


@pytest.fixture(scope="session")
def mini_data() -> TrainingData:
    return load_training_data(FIXTURES / "mini_faq.yaml", locales=["en", "de", "nl"])


# ----- real `faqdesk serve` processes (tests/servers.py) -------------------------------------------


@pytest.fixture(scope="session")
def warm_cache(settings: Settings) -> Path:
    """The session's encoder cache (ONNX export, embeddings, glossaries: tests/shared_cache.py): each server
    copies it, as a machine that ran before would have it, so these tests time the product, not the first
    export."""
    return settings.cache_dir


@pytest.fixture()
def site(tmp_path: Path, database_url: str) -> Settings:  # noqa: F811  (the fixture of tests/db.py)
    """A database with the demo articles and one account per role, as after `faqdesk create-user`."""
    from tests.admin.conftest import make_settings

    return make_settings(tmp_path, database_url=database_url)
