"""The migrations build exactly the tables the models declare (no create_all anywhere)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text
from sqlmodel import SQLModel

import core.accounts  # noqa: F401  (the models register their tables)
import helpcenter.models  # noqa: F401
import support.appearance  # noqa: F401
import support.models  # noqa: F401
from core.db import make_engine
from migrations import alembic_config, upgrade


def test_migrations_match_the_models(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'm.db'}"
    upgrade(url)
    engine = make_engine(url)
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), SQLModel.metadata)
    engine.dispose()
    # The FTS5 tables are created with raw SQL and have no model.
    assert [d for d in differences if "article_fts" not in str(d)] == []


def test_0010_starts_existing_rows_at_version_1(database_url: str) -> None:
    """Rows written before versions existed start at 1, and each article's latest revision is that version."""
    command.downgrade(alembic_config(database_url), "0009")
    engine = make_engine(database_url)
    now = "2026-01-01 00:00:00"
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO article (id, slug, locale, translation_group, title, body, status, author, tags, "
                "intents, position, views, created_at, updated_at) VALUES "
                "(1, 'a', 'en', 'g', 'A', 'b', 'draft', '', '[]', '[]', 0, 0, :now, :now)"
            ),
            {"now": now},
        )
        for number in (1, 2):
            connection.execute(
                text(
                    "INSERT INTO articlerevision (article_id, number, title, body, tags, author, created_at) "
                    "VALUES (1, :number, 'A', 'b', '[]', '', :now)"
                ),
                {"number": number, "now": now},
            )
        connection.execute(
            text("INSERT INTO category (slug, position, names, descriptions) VALUES ('c', 0, '{}', '{}')")
        )
    upgrade(database_url)
    with engine.connect() as connection:
        assert connection.execute(text("SELECT version FROM article")).scalar_one() == 1
        assert connection.execute(text("SELECT version FROM category")).scalar_one() == 1
        revisions = connection.execute(text("SELECT number, article_version FROM articlerevision ORDER BY number"))
        assert revisions.all() == [(1, None), (2, 1)]
    engine.dispose()
