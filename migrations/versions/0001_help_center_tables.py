"""help center tables

Revision ID: 0001
Revises:
Create Date: 2026-11-23 01:05:34.644105
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "category",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("names", sa.JSON(), nullable=False),
        sa.Column("descriptions", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("category", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_category_slug"), ["slug"], unique=True)

    op.create_table(
        "searchmiss",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("locale", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("query", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("searchmiss", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_searchmiss_created_at"), ["created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_searchmiss_locale"), ["locale"], unique=False)

    op.create_table(
        "article",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("locale", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("translation_group", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("status", sa.Enum("draft", "published", "archived", name="articlestatus"), nullable=False),
        sa.Column("category_id", sa.Integer(), nullable=True),
        sa.Column("author", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("intents", sa.JSON(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("views", sa.Integer(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("published_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("publish_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["category_id"],
            ["category.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("locale", "slug", name="uq_article_locale_slug"),
    )
    with op.batch_alter_table("article", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_article_category_id"), ["category_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_article_locale"), ["locale"], unique=False)
        batch_op.create_index(batch_op.f("ix_article_slug"), ["slug"], unique=False)
        batch_op.create_index(batch_op.f("ix_article_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_article_translation_group"), ["translation_group"], unique=False)

    op.create_table(
        "articlerevision",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("author", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["article_id"], ["article.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("article_id", "number", name="uq_revision_number"),
    )
    with op.batch_alter_table("articlerevision", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_articlerevision_article_id"), ["article_id"], unique=False)

    op.create_table(
        "articlesearchdoc",
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("locale", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("terms", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["article_id"], ["article.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("article_id"),
    )
    with op.batch_alter_table("articlesearchdoc", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_articlesearchdoc_locale"), ["locale"], unique=False)

    op.create_table(
        "articlevote",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("helpful", sa.Boolean(), nullable=False),
        sa.Column("comment", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["article_id"], ["article.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("articlevote", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_articlevote_article_id"), ["article_id"], unique=False)

    op.create_table(
        "slugredirect",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("locale", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("old_slug", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["article_id"], ["article.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("locale", "old_slug", name="uq_redirect_locale_slug"),
    )
    with op.batch_alter_table("slugredirect", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_slugredirect_article_id"), ["article_id"], unique=False)
    # Search index over the article stems: FTS5 on SQLite, a GIN index on tsvector on PostgreSQL.
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        op.execute("CREATE VIRTUAL TABLE article_fts USING fts5(terms, tokenize='unicode61 remove_diacritics 2')")
    elif bind.dialect.name == "postgresql":
        op.execute("CREATE INDEX ix_articlesearchdoc_tsv ON articlesearchdoc USING gin (to_tsvector('simple', terms))")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TABLE IF EXISTS article_fts")
    with op.batch_alter_table("slugredirect", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_slugredirect_article_id"))

    op.drop_table("slugredirect")
    with op.batch_alter_table("articlevote", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_articlevote_article_id"))

    op.drop_table("articlevote")
    with op.batch_alter_table("articlesearchdoc", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_articlesearchdoc_locale"))

    op.drop_table("articlesearchdoc")
    with op.batch_alter_table("articlerevision", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_articlerevision_article_id"))

    op.drop_table("articlerevision")
    with op.batch_alter_table("article", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_article_translation_group"))
        batch_op.drop_index(batch_op.f("ix_article_status"))
        batch_op.drop_index(batch_op.f("ix_article_slug"))
        batch_op.drop_index(batch_op.f("ix_article_locale"))
        batch_op.drop_index(batch_op.f("ix_article_category_id"))

    op.drop_table("article")
    with op.batch_alter_table("searchmiss", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_searchmiss_locale"))
        batch_op.drop_index(batch_op.f("ix_searchmiss_created_at"))

    op.drop_table("searchmiss")
    with op.batch_alter_table("category", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_category_slug"))

    op.drop_table("category")
