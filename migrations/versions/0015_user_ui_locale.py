"""back-office users choose the language of the back office (en, de, nl); none chosen follows the browser

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-05 23:59:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("account") as batch:
        batch.add_column(sa.Column("ui_locale", sa.String(length=16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("account") as batch:
        batch.drop_column("ui_locale")
