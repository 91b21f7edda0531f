"""Closed loop: organisations, users, keys, flows, rounds, opinions, changes, as-built,
certificates, audit chain, outbox.

Revision ID: 0002_workflow
Revises: 0001_registry
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_workflow"
down_revision = "0001_registry"
branch_labels = None
depends_on = None


def _ts(name: str, **kw: object) -> sa.Column:
    return sa.Column(name, sa.DateTime(), **kw)  # naive UTC (drawings.models.UTCDateTime)


def _project(index: bool = True) -> sa.Column:
    return sa.Column("project_code", sa.String(24), sa.ForeignKey("projects.code"),
                     nullable=False, index=index)


def _version(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.String(64), sa.ForeignKey("set_versions.id"), nullable=nullable)


def _confirmations() -> list[sa.Column]:
    return [sa.Column("owner_by", sa.String(100)), _ts("owner_at"),
            sa.Column("supervisor_by", sa.String(100)), _ts("supervisor_at")]


def upgrade() -> None:
    op.create_table(
        "wf_organisations",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(200), nullable=False, unique=True),
        sa.Column("alg", sa.String(20), nullable=False),
        _ts("created", nullable=False),
    )
    op.create_table(
        "wf_users",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(100), nullable=False, unique=True),
        sa.Column("display_name", sa.String(200)),
        sa.Column("org_id", sa.Integer(), sa.ForeignKey("wf_organisations.id"), nullable=False,
                  index=True),
        sa.Column("discipline", sa.String(60)),
        _ts("created", nullable=False),
    )
    op.create_table(
        "wf_keys",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("owner", sa.String(120), nullable=False, index=True),
        sa.Column("alg", sa.String(20), nullable=False),
        sa.Column("public", sa.Text(), nullable=False),
        sa.Column("fingerprint", sa.String(32), nullable=False, unique=True),
        _ts("created", nullable=False),
    )
    op.create_table(
        "wf_flows",
        sa.Column("project_code", sa.String(24), sa.ForeignKey("projects.code"),
                  primary_key=True),
        sa.Column("state", sa.String(30), nullable=False),
        sa.Column("large_works", sa.Boolean(), nullable=False),
        sa.Column("review_no", sa.Integer(), nullable=False),
        sa.Column("lock", sa.Integer(), nullable=False),
        _ts("updated", nullable=False),
    )
    op.create_table(
        "wf_rounds",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        _project(),
        sa.Column("review_no", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        _version("version_id"),
        _version("prev_version_id", nullable=True),
        _ts("submitted_at", nullable=False),
        _ts("accepted_at"),
        _ts("ended_at"),
        sa.Column("outcome", sa.String(20)),
        sa.Column("diff", sa.Text()),
        sa.UniqueConstraint("project_code", "number"),
    )
    op.create_table(
        "wf_opinions",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        _project(),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), sa.ForeignKey("wf_rounds.id"), nullable=False),
        sa.Column("sheet_no", sa.String(100), nullable=False),
        sa.Column("blob_id", sa.String(64), nullable=False),
        sa.Column("page", sa.Integer()),
        sa.Column("anchor", sa.Text(), nullable=False),
        sa.Column("change_id", sa.String(40)),
        sa.Column("category", sa.String(20), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("author", sa.String(100), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("affected", sa.Boolean(), nullable=False),
        _ts("created", nullable=False),
        _ts("updated", nullable=False),
        sa.Column("lock", sa.Integer(), nullable=False),
        sa.UniqueConstraint("project_code", "number"),
    )
    op.create_table(
        "wf_opinion_replies",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("opinion_id", sa.Integer(), sa.ForeignKey("wf_opinions.id"), nullable=False,
                  index=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("author", sa.String(100), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        _ts("created", nullable=False),
    )
    op.create_table(
        "wf_change_marks",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("round_id", sa.Integer(), sa.ForeignKey("wf_rounds.id"), nullable=False,
                  index=True),
        sa.Column("sheet_no", sa.String(100), nullable=False),
        sa.Column("change_id", sa.String(40), nullable=False),
        sa.Column("mark", sa.String(20), nullable=False),
        sa.Column("opinion_id", sa.Integer(), sa.ForeignKey("wf_opinions.id")),
        sa.Column("author", sa.String(100), nullable=False),
        _ts("created", nullable=False),
        sa.UniqueConstraint("round_id", "sheet_no", "change_id"),
    )
    op.create_table(
        "wf_changes",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        _project(),
        sa.Column("number", sa.Integer(), nullable=False),
        _version("base_version_id"),
        _version("version_id"),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("klass", sa.String(10), nullable=False),
        sa.Column("sheets", sa.Text(), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        *_confirmations(),
        _ts("created", nullable=False),
        sa.UniqueConstraint("project_code", "number"),
    )
    op.create_table(
        "wf_as_built",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        _project(),
        _version("version_id"),
        _version("base_version_id"),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("redraw", sa.Text(), nullable=False),
        *_confirmations(),
        _ts("created", nullable=False),
    )
    op.create_table(
        "wf_certificates",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        _project(),
        _version("version_id"),
        sa.Column("blob_id", sa.String(64), nullable=False),
        sa.Column("signers", sa.Text(), nullable=False),
        _ts("issued", nullable=False),
    )
    op.create_table(
        "wf_audit",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        _project(index=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("event", sa.String(40), nullable=False),
        sa.Column("actor", sa.String(100), nullable=False),
        sa.Column("version_id", sa.String(64)),
        _ts("at", nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.Column("signatures", sa.Text(), nullable=False),
        sa.UniqueConstraint("project_code", "seq"),
    )
    op.create_index("ix_wf_audit_project_at", "wf_audit", ["project_code", "at"])
    op.create_table(
        "wf_outbox",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        _project(),
        sa.Column("audit_id", sa.Integer(), sa.ForeignKey("wf_audit.id"), nullable=False),
        sa.Column("user_name", sa.String(100), nullable=False, index=True),
        sa.Column("message", sa.Text(), nullable=False),
        _ts("created", nullable=False),
        _ts("read_at"),
        _ts("delivered_at"),
    )


def downgrade() -> None:
    for table in ("wf_outbox", "wf_audit", "wf_certificates", "wf_as_built", "wf_changes",
                  "wf_change_marks", "wf_opinion_replies", "wf_opinions", "wf_rounds",
                  "wf_flows", "wf_keys", "wf_users", "wf_organisations"):
        op.drop_table(table)
