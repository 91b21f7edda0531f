"""BIM models in the set (#18): a blob read as an IFC model, with its header facts.

Revision ID: 0009_ifc
Revises: 0005_many_records
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009_ifc"
down_revision = "0005_many_records"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "model_revisions",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("blob_id", sa.String(64), sa.ForeignKey("blobs.id"), nullable=False,
                  unique=True),
        sa.Column("format", sa.String(20), nullable=False),
        sa.Column("schema", sa.String(20)),
        sa.Column("application", sa.String(300)),
        sa.Column("project_name", sa.String(300)),
        sa.Column("latitude", sa.Float()),
        sa.Column("longitude", sa.Float()),
        sa.Column("elevation", sa.Float()),
        sa.Column("elements", sa.Integer(), nullable=False),
        sa.Column("header", sa.Text(), nullable=False),
        sa.Column("index_blob_id", sa.String(64), sa.ForeignKey("blobs.id")),
        sa.Column("reader_version", sa.String(40)),
        sa.Column("created", sa.DateTime(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("model_revisions")
