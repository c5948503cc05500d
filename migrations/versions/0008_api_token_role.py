"""API tokens carry a role: at most their owner's when created, and never more than the owner's now

Existing tokens get their owner's current role, so admins' and editors' tokens keep working as before;
agents' tokens get "agent", which no token may act with any more (agents cannot hold API tokens).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06 12:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

# The "role" enum type of account.role (0002) exists already on PostgreSQL; adding a column does not
# create it again.
ROLE = sa.Enum("admin", "editor", "agent", name="role")


def upgrade() -> None:
    with op.batch_alter_table("api_token") as batch:
        batch.add_column(sa.Column("role", ROLE, nullable=True))
    op.execute("UPDATE api_token SET role = (SELECT account.role FROM account WHERE account.id = api_token.user_id)")
    with op.batch_alter_table("api_token") as batch:
        batch.alter_column("role", existing_type=ROLE, nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("api_token") as batch:
        batch.drop_column("role")
