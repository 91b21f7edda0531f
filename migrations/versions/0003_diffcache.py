"""Diff report cache (diffing.models.DiffCacheEntry).

Revision ID: 0003_diffcache
Revises: 0002_workflow
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_diffcache"
down_revision = "0002_workflow"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "diff_cache",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("engine", sa.String(40), nullable=False),
        sa.Column("old_blob", sa.String(64), nullable=False),
        sa.Column("new_blob", sa.String(64), nullable=False),
        sa.Column("options", sa.String(400), nullable=False),
        sa.Column("changes", sa.Integer(), nullable=False),
        sa.Column("report", sa.LargeBinary(), nullable=False),
        sa.Column("created", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_diff_cache_old_blob", "diff_cache", ["old_blob"])
    op.create_index("ix_diff_cache_new_blob", "diff_cache", ["new_blob"])


def downgrade() -> None:
    op.drop_index("ix_diff_cache_new_blob", table_name="diff_cache")
    op.drop_index("ix_diff_cache_old_blob", table_name="diff_cache")
    op.drop_table("diff_cache")
