"""the widget's appearance (PLACEHOLDER written by the lead so the revision chain resolves while W2
builds it: W2 replaces this whole file with the real migration)

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-05 23:59:00
"""

from __future__ import annotations

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
