"""bot turns: their locale (per-locale traffic estimates), the answer-review sample and its labels

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04 23:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("message") as batch:
        batch.add_column(sa.Column("locale", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True))
        batch.add_column(sa.Column("sample_p", sa.Float(), nullable=True))
        batch.add_column(sa.Column("sample_key", sa.Float(), nullable=True))
        batch.add_column(sa.Column("label", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True))
        batch.add_column(sa.Column("labelled_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("labelled_by", sqlmodel.sql.sqltypes.AutoString(length=254), nullable=True))
    op.create_index("ix_message_sample_key", "message", ["sample_key"])


def downgrade() -> None:
    op.drop_index("ix_message_sample_key", table_name="message")
    with op.batch_alter_table("message") as batch:
        for column in ("labelled_by", "labelled_at", "label", "sample_key", "sample_p", "locale"):
            batch.drop_column(column)
