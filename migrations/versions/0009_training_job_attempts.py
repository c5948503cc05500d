"""training jobs count their claims: a job whose worker died is claimed again, and only the latest claim
may write its heartbeat and result

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06 13:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("training_job") as batch:
        # Jobs running at upgrade time count as claimed once.
        batch.add_column(sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"))
    op.execute("UPDATE training_job SET attempts = 1 WHERE status IN ('running', 'done', 'failed')")


def downgrade() -> None:
    with op.batch_alter_table("training_job") as batch:
        batch.drop_column("attempts")
