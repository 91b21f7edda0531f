"""Building units on the map (#14): the project site polygon, 落图 fits and placements;
the exchange's issued records, outbox, trusted issuers and imported records.

Revision ID: 0007_geo
Revises: 0005_many_records
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_geo"
down_revision = "0006_web"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("projects") as batch:
        batch.add_column(sa.Column("site_footprint_wkt", sa.Text(), nullable=True))
    op.create_table(
        "geo_site_fits",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("project_code", sa.String(24), sa.ForeignKey("projects.code"), nullable=False),
        sa.Column("sheet_revision_id", sa.Integer(), sa.ForeignKey("sheet_revisions.id"),
                  nullable=False),
        sa.Column("version_id", sa.String(64), sa.ForeignKey("set_versions.id"), nullable=True),
        sa.Column("sheet_no", sa.String(100), nullable=False),
        sa.Column("crs", sa.String(200), nullable=False),
        sa.Column("params", sa.Text(), nullable=False),
        sa.Column("points", sa.Text(), nullable=False),
        sa.Column("rms", sa.Float(), nullable=False),
        sa.Column("max_residual", sa.Float(), nullable=False),
        sa.Column("tolerance", sa.Float(), nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("created", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_geo_site_fits_project_code", "geo_site_fits", ["project_code"])
    op.create_index("ix_geo_site_fits_sheet_revision_id", "geo_site_fits",
                    ["sheet_revision_id"])
    op.create_table(
        "geo_placements",
        sa.Column("fit_id", sa.Integer(), sa.ForeignKey("geo_site_fits.id"), primary_key=True),
        sa.Column("unit_code", sa.String(64), sa.ForeignKey("allocated_codes.code"),
                  primary_key=True),
        sa.Column("handle", sa.String(40), nullable=True),
        sa.Column("layer", sa.String(255), nullable=True),
        sa.Column("outline_wkt", sa.Text(), nullable=False),
    )
    op.create_table(
        "ex_records",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("project_code", sa.String(24), sa.ForeignKey("projects.code"), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("subject", sa.String(100), nullable=False),
        sa.Column("key", sa.String(64), nullable=False, unique=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("project_code", "seq"),
    )
    op.create_index("ix_ex_records_subject", "ex_records", ["project_code", "kind", "subject"])
    op.create_table(
        "ex_outbox",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("record_id", sa.Integer(), sa.ForeignKey("ex_records.id"), nullable=False),
        sa.Column("endpoint", sa.String(500), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_at", sa.DateTime(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("delivered_at", sa.DateTime(), nullable=True),
        sa.UniqueConstraint("record_id", "endpoint"),
    )
    op.create_index("ix_ex_outbox_state", "ex_outbox", ["endpoint", "state"])
    op.create_table(
        "ex_trusted_issuers",
        sa.Column("fingerprint", sa.String(16), primary_key=True),
        sa.Column("owner", sa.String(220), nullable=False),
        sa.Column("alg", sa.String(20), nullable=False),
        sa.Column("public", sa.Text(), nullable=False),
        sa.Column("added", sa.DateTime(), nullable=False),
    )
    op.create_table(
        "ex_inbox",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("issuer", sa.String(220), nullable=False),
        sa.Column("project_code", sa.String(24), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("subject", sa.String(100), nullable=False),
        sa.Column("key", sa.String(64), nullable=False, unique=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("imported", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("issuer", "project_code", "seq"),
    )


def downgrade() -> None:
    for table in ("ex_inbox", "ex_trusted_issuers", "ex_outbox", "ex_records"):
        op.drop_table(table)
    op.drop_table("geo_placements")
    op.drop_table("geo_site_fits")
    with op.batch_alter_table("projects") as batch:
        batch.drop_column("site_footprint_wkt")
