"""Alembic migrations; ``upgrade`` brings any database to the latest schema."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine

HERE = Path(__file__).resolve().parent


def alembic_config(database_url: str) -> Config:
    """An Alembic configuration for this project and a database URL (no alembic.ini needed)."""
    config = Config()
    config.set_main_option("script_location", str(HERE))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    """Apply every migration up to ``revision``."""
    command.upgrade(alembic_config(database_url), revision)


def revisions(engine: Engine) -> tuple[set[str], set[str]]:
    """The revisions the database is at (none for an empty one) and the latest ones; reads, writes nothing."""
    with engine.connect() as connection:
        current = set(MigrationContext.configure(connection).get_current_heads())
    latest = set(ScriptDirectory.from_config(alembic_config(str(engine.url))).get_heads())
    return current, latest
