"""search speed: an index on article (locale, status); a stored tsvector column on PostgreSQL

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 03:20:00
"""

from __future__ import annotations

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("article", schema=None) as batch_op:
        batch_op.create_index("ix_article_locale_status", ["locale", "status"], unique=False)
    if op.get_bind().dialect.name == "postgresql":
        # Ranking used to rebuild to_tsvector for every matching row, and the planner skipped the GIN index.
        op.execute(
            "ALTER TABLE articlesearchdoc ADD COLUMN tsv tsvector "
            "GENERATED ALWAYS AS (to_tsvector('simple', terms)) STORED"
        )
        op.execute("DROP INDEX IF EXISTS ix_articlesearchdoc_tsv")
        op.execute("CREATE INDEX ix_articlesearchdoc_tsv ON articlesearchdoc USING gin (tsv)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_articlesearchdoc_tsv")
        op.execute("ALTER TABLE articlesearchdoc DROP COLUMN tsv")
        op.execute("CREATE INDEX ix_articlesearchdoc_tsv ON articlesearchdoc USING gin (to_tsvector('simple', terms))")
    with op.batch_alter_table("article", schema=None) as batch_op:
        batch_op.drop_index("ix_article_locale_status")
