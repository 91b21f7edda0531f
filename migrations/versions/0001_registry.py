"""Set registry: projects, parties, building units, blobs, sheets, set versions, refs, reflog.

Revision ID: 0001_registry
Revises:
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001_registry"
down_revision = None
branch_labels = None
depends_on = None


def _ts(name: str, **kw: object) -> sa.Column:
    return sa.Column(name, sa.DateTime(), **kw)  # naive UTC (drawings.models.UTCDateTime)


def upgrade() -> None:
    op.create_table(
        "projects",
        sa.Column("code", sa.String(24), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("location", sa.String(200)),
        sa.Column("site", sa.Text()),
        _ts("created", nullable=False),
    )
    op.create_table(
        "parties",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("project_code", sa.String(24), sa.ForeignKey("projects.code"), nullable=False),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("organisation", sa.String(200), nullable=False),
        sa.UniqueConstraint("project_code", "role", "organisation"),
    )
    op.create_index("ix_parties_project_code", "parties", ["project_code"])
    op.create_table(
        "allocated_codes",
        sa.Column("code", sa.String(64), primary_key=True),
        sa.Column("scheme", sa.String(40), nullable=False),
        sa.Column("scheme_version", sa.String(20), nullable=False),
        sa.Column("division", sa.String(12)),
        sa.Column("year", sa.Integer()),
        sa.Column("sequence", sa.Integer()),
        _ts("allocated", nullable=False),
    )
    op.create_index("ix_allocated_codes_seq", "allocated_codes", ["scheme", "division", "year"])
    op.create_table(
        "building_units",
        sa.Column("code", sa.String(64), sa.ForeignKey("allocated_codes.code"), primary_key=True),
        sa.Column("scheme", sa.String(40), nullable=False),
        sa.Column("scheme_version", sa.String(20), nullable=False),
        sa.Column("project_code", sa.String(24), sa.ForeignKey("projects.code"), nullable=False),
        sa.Column("name", sa.String(200)),
        sa.Column("address", sa.String(300)),
        sa.Column("floors_above", sa.Integer()),
        sa.Column("floors_below", sa.Integer()),
        sa.Column("floor_area", sa.Float()),
        sa.Column("height", sa.Float()),
        sa.Column("structure_type", sa.String(60)),
        sa.Column("use", sa.String(60)),
        sa.Column("completion_year", sa.Integer()),
        sa.Column("footprint_wkt", sa.Text()),
        _ts("created", nullable=False),
    )
    op.create_index("ix_building_units_project_code", "building_units", ["project_code"])
    op.create_table(
        "blobs",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("format", sa.String(20)),
        sa.Column("version", sa.String(20)),
        _ts("first_seen", nullable=False),
    )
    op.create_table(
        "sheet_revisions",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("blob_id", sa.String(64), sa.ForeignKey("blobs.id"), nullable=False),
        sa.Column("page", sa.Integer(), nullable=False),
        sa.Column("format", sa.String(20), nullable=False),
        sa.Column("version", sa.String(20)),
        sa.Column("units", sa.String(20)),
        sa.Column("number", sa.String(100)),
        sa.Column("title", sa.String(300)),
        sa.Column("discipline", sa.String(60)),
        sa.Column("revision", sa.String(40)),
        sa.Column("scale", sa.String(40)),
        sa.Column("index_blob_id", sa.String(64), sa.ForeignKey("blobs.id")),
        sa.Column("reader_version", sa.String(40)),
        _ts("created", nullable=False),
        sa.UniqueConstraint("blob_id", "page"),
    )
    op.create_index("ix_sheet_revisions_blob_id", "sheet_revisions", ["blob_id"])
    op.create_table(
        "set_versions",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("project_code", sa.String(24), sa.ForeignKey("projects.code"), nullable=False),
        sa.Column("author", sa.String(200), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        _ts("created_at", nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
    )
    op.create_index("ix_set_versions_project_code", "set_versions", ["project_code"])
    op.create_index("ix_set_versions_created_at", "set_versions", ["created_at"])
    op.create_table(
        "set_version_parents",
        sa.Column("version_id", sa.String(64), sa.ForeignKey("set_versions.id"), primary_key=True),
        sa.Column("position", sa.Integer(), primary_key=True),
        sa.Column("parent_id", sa.String(64), sa.ForeignKey("set_versions.id"), nullable=False),
    )
    op.create_index("ix_set_version_parents_parent_id", "set_version_parents", ["parent_id"])
    op.create_table(
        "manifest_entries",
        sa.Column("version_id", sa.String(64), sa.ForeignKey("set_versions.id"), primary_key=True),
        sa.Column("sheet_no", sa.String(100), primary_key=True),
        sa.Column("blob_id", sa.String(64), sa.ForeignKey("blobs.id"), nullable=False),
        sa.Column("page", sa.Integer(), nullable=False),
        sa.Column("index_blob_id", sa.String(64), sa.ForeignKey("blobs.id")),
    )
    op.create_index("ix_manifest_entries_blob_id", "manifest_entries", ["blob_id"])
    op.create_table(
        "refs",
        sa.Column("project_code", sa.String(24), sa.ForeignKey("projects.code"), primary_key=True),
        sa.Column("name", sa.String(40), primary_key=True),
        sa.Column("version_id", sa.String(64), sa.ForeignKey("set_versions.id"), nullable=False),
    )
    op.create_table(
        "reflog",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("project_code", sa.String(24), sa.ForeignKey("projects.code"), nullable=False),
        sa.Column("ref", sa.String(40), nullable=False),
        sa.Column("old", sa.String(64)),
        sa.Column("new", sa.String(64), sa.ForeignKey("set_versions.id"), nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        _ts("at", nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("signature", sa.Text()),
    )
    op.create_index("ix_reflog_project_ref_at", "reflog", ["project_code", "ref", "at"])


def downgrade() -> None:
    for table in (
        "reflog",
        "refs",
        "manifest_entries",
        "set_version_parents",
        "set_versions",
        "sheet_revisions",
        "blobs",
        "building_units",
        "allocated_codes",
        "parties",
        "projects",
    ):
        op.drop_table(table)
