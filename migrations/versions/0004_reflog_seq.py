"""Reflog order by sequence: ``reflog.seq`` numbers the moves of each ref (unique per ref).

Revision ID: 0004_reflog_seq
Revises: 0003_diffcache
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_reflog_seq"
down_revision = "0003_diffcache"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("reflog") as b:
        b.add_column(sa.Column("seq", sa.Integer(), nullable=True))
    # existing moves keep their order of insertion (the id order)
    op.execute(
        "UPDATE reflog SET seq = (SELECT COUNT(*) FROM reflog r2 WHERE r2.project_code = "
        "reflog.project_code AND r2.ref = reflog.ref AND r2.id <= reflog.id)"
    )
    with op.batch_alter_table("reflog") as b:
        b.alter_column("seq", existing_type=sa.Integer(), nullable=False)
        b.create_unique_constraint("uq_reflog_project_code_ref_seq", ["project_code", "ref", "seq"])


def downgrade() -> None:
    with op.batch_alter_table("reflog") as b:
        b.drop_constraint("uq_reflog_project_code_ref_seq", type_="unique")
        b.drop_column("seq")
