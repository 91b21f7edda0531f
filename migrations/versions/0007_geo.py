"""Building units on the map (#14): the project site polygon, 落图 fits and placements.

Revision ID: 0007_geo
Revises: 0005_many_records
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_geo"
down_revision = "0005_many_records"
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


def downgrade() -> None:
    op.drop_table("geo_placements")
    op.drop_table("geo_site_fits")
    with op.batch_alter_table("projects") as batch:
        batch.drop_column("site_footprint_wkt")
