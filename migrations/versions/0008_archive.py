"""Archive packages (issue #13): one row per package made, with its catalogue (retention).

Revision ID: 0008_archive
Revises: 0005_many_records
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_archive"
down_revision = "0007_geo"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "wf_archive_packages",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("project_code", sa.String(24), sa.ForeignKey("projects.code"),
                  nullable=False, index=True),
        sa.Column("version_id", sa.String(64), sa.ForeignKey("set_versions.id"),
                  nullable=False),
        sa.Column("packer", sa.String(100), nullable=False),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("payload_sha256", sa.String(64), nullable=False),
        sa.Column("final_only", sa.Boolean(), nullable=False),
        sa.Column("catalogue", sa.Text(), nullable=False),
        sa.Column("created", sa.DateTime(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("wf_archive_packages")
