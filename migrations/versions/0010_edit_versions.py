"""articles, categories and intents carry a version, so a save made from an older one is refused
instead of overwriting what someone else saved meanwhile (optimistic locking)

Existing rows start at version 1. A revision records the article version it saved, so a conflict can
show what changed since the version an editor started from; each article's latest revision is version 1.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

TABLES = ("article", "category", "faq_intent")


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("version", sa.Integer(), nullable=False, server_default="1"))
    with op.batch_alter_table("articlerevision") as batch:
        batch.add_column(sa.Column("article_version", sa.Integer(), nullable=True))
    op.execute(
        "UPDATE articlerevision SET article_version = 1 WHERE number = "
        "(SELECT MAX(r.number) FROM articlerevision r WHERE r.article_id = articlerevision.article_id)"
    )


def downgrade() -> None:
    with op.batch_alter_table("articlerevision") as batch:
        batch.drop_column("article_version")
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.drop_column("version")
