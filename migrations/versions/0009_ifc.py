"""BIM models in the set (#18): a blob read as an IFC model, with its header facts; model
check runs and their findings (drafted opinions the reviewer confirms or discards).

Revision ID: 0009_ifc
Revises: 0005_many_records
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009_ifc"
down_revision = "0008_archive"
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


    op.create_table(
        "wf_check_runs",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("project_code", sa.String(24), sa.ForeignKey("projects.code"),
                  nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("sheet_no", sa.String(100), nullable=False),
        sa.Column("blob_id", sa.String(64), nullable=False),
        sa.Column("version_id", sa.String(64), sa.ForeignKey("set_versions.id"),
                  nullable=False),
        sa.Column("round_id", sa.Integer(), sa.ForeignKey("wf_rounds.id")),
        sa.Column("basis", sa.Text(), nullable=False),
        sa.Column("author", sa.String(100), nullable=False),
        sa.Column("created", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("project_code", "number"),
    )
    op.create_index("ix_wf_check_runs_project_code", "wf_check_runs", ["project_code"])
    op.create_table(
        "wf_check_findings",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("run_id", sa.Integer(), sa.ForeignKey("wf_check_runs.id"), nullable=False),
        sa.Column("project_code", sa.String(24), sa.ForeignKey("projects.code"),
                  nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("rule", sa.String(300), nullable=False),
        sa.Column("source", sa.String(10), nullable=False),
        sa.Column("clause", sa.String(300), nullable=False),
        sa.Column("category", sa.String(20), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("guid", sa.String(64)),
        sa.Column("ifc_class", sa.String(64)),
        sa.Column("element_name", sa.String(300)),
        sa.Column("storey", sa.String(300)),
        sa.Column("x", sa.Float()),
        sa.Column("y", sa.Float()),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("opinion_id", sa.Integer(), sa.ForeignKey("wf_opinions.id")),
        sa.Column("decided_by", sa.String(100)),
        sa.Column("decided_at", sa.DateTime()),
        sa.Column("note", sa.Text()),
        sa.UniqueConstraint("project_code", "number"),
    )
    op.create_index("ix_wf_check_findings_run_id", "wf_check_findings", ["run_id"])
    op.create_index("ix_wf_check_findings_project_code", "wf_check_findings",
                    ["project_code"])


def downgrade() -> None:
    op.drop_table("wf_check_findings")
    op.drop_table("wf_check_runs")
    op.drop_table("model_revisions")
