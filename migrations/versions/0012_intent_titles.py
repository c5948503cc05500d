"""intents carry a title per locale: the question a "Did you mean …?" button shows

Until now the button showed the intent's first training example ("passwort vergessen"), which reads
like a search keyword, not a question. Existing intents start without titles and keep that fallback.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-05 23:55:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("faq_intent") as batch:
        batch.add_column(sa.Column("titles", sa.JSON(), nullable=False, server_default="{}"))


def downgrade() -> None:
    with op.batch_alter_table("faq_intent") as batch:
        batch.drop_column("titles")
