"""agent replies: seen by the visitor, due to be emailed, emailed (no agent reply is lost)

Replies written before this revision keep all three empty: whether their visitor saw them is unknown,
and emailing them now would send stale answers, so they are left as they were.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("message") as batch:
        batch.add_column(sa.Column("seen_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("email_due_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("emailed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
    op.create_index("ix_message_email_due_at", "message", ["email_due_at"])


def downgrade() -> None:
    op.drop_index("ix_message_email_due_at", table_name="message")
    with op.batch_alter_table("message") as batch:
        for column in ("emailed_at", "email_due_at", "seen_at"):
            batch.drop_column(column)
