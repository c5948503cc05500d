"""the widget's appearance, set in the back office: accent colour, corner, title per locale, avatar, and
whether the help center's pages carry the chat (support/appearance.py)

One row, written here with the look the widget had before (so nothing changes until an admin saves),
with a version for optimistic locking like the other rows editors change.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-05 23:59:00
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    table = op.create_table(
        "widget_appearance",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("accent", sqlmodel.sql.sqltypes.AutoString(length=7), nullable=False),
        sa.Column("position", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("titles", sa.JSON(), nullable=False),
        sa.Column("avatar", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=True),
        sa.Column("on_help_center", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("updated_by", sqlmodel.sql.sqltypes.AutoString(length=254), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.bulk_insert(
        table,
        [
            {
                "id": 1,
                "accent": "#1f4e79",
                "position": "right",
                "titles": {},
                "avatar": None,
                "on_help_center": True,
                "updated_at": datetime.now(UTC),
                "updated_by": "",
                "version": 1,
            }
        ],
    )


def downgrade() -> None:
    op.drop_table("widget_appearance")
