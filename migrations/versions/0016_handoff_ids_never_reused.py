"""SQLite never reuses a ticket's number (AUTOINCREMENT): a reply from an open page of a deleted ticket
must not reach the visitor whose ticket got its number next. PostgreSQL's sequences never reuse one.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07 10:40:00
"""

from __future__ import annotations

from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        # Rebuilt with its rows; SQLite starts the table's sequence at their highest id.
        with op.batch_alter_table("handoff", recreate="always", table_kwargs={"sqlite_autoincrement": True}):
            pass


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        with op.batch_alter_table("handoff", recreate="always", table_kwargs={"sqlite_autoincrement": False}):
            pass
