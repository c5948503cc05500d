"""The migrations build exactly the tables the models declare (no create_all anywhere)."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import SQLModel

import core.accounts  # noqa: F401  (the models register their tables)
import helpcenter.models  # noqa: F401
import support.models  # noqa: F401
from core.db import make_engine
from migrations import upgrade


def test_migrations_match_the_models(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'm.db'}"
    upgrade(url)
    engine = make_engine(url)
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), SQLModel.metadata)
    engine.dispose()
    # The FTS5 tables are created with raw SQL and have no model.
    assert [d for d in differences if "article_fts" not in str(d)] == []
