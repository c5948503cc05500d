"""Alembic environment: the models' metadata, batch mode for SQLite's limited ALTER TABLE."""

from __future__ import annotations

from alembic import context
from sqlalchemy import text
from sqlmodel import SQLModel

import core.accounts  # noqa: F401  (registers the tables on SQLModel.metadata)
import helpcenter.models  # noqa: F401
import support.appearance  # noqa: F401  (the widget_appearance table)
import support.models  # noqa: F401
from core.db import make_engine

config = context.config
target_metadata = SQLModel.metadata
# Several app servers starting at once each migrate: on PostgreSQL the first takes this lock, the
# others wait for it and then find the schema current. (SQLite serialises writers by itself.)
MIGRATION_LOCK = 7_317_001


def include_object(obj: object, name: str | None, type_: str, reflected: bool, compare_to: object) -> bool:
    """Autogenerate ignores the FTS5 shadow tables, which 0001 creates with raw SQL."""
    return not (type_ == "table" and name is not None and name.startswith("article_fts"))


def run_migrations_offline() -> None:
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    engine = make_engine(config.get_main_option("sqlalchemy.url") or "")
    with engine.connect() as connection:
        context.configure(
            connection=connection, target_metadata=target_metadata, render_as_batch=True, include_object=include_object
        )
        with context.begin_transaction():
            if connection.dialect.name == "postgresql":
                connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
