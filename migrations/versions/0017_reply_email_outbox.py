"""an agent reply remembers the outbox email that carries it, so the ticket says whether it was sent

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07 22:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # No foreign key: the outbox is pruned on its own schedule, and a reply outlives its email's row.
    with op.batch_alter_table("message") as batch:
        batch.add_column(sa.Column("email_outbox_id", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("message") as batch:
        batch.drop_column("email_outbox_id")
