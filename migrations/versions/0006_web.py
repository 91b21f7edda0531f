"""Web accounts: password hashes (argon2), API bearer tokens (sha256 only) and the
administrative divisions inspecting organisations oversee.

Revision ID: 0006_web
Revises: 0005_many_records
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_web"
down_revision = "0005_many_records"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "web_accounts",
        sa.Column("user_id", sa.Integer, sa.ForeignKey("wf_users.id"), primary_key=True),
        sa.Column("password_hash", sa.String(200), nullable=False),
        sa.Column("admin", sa.Boolean, nullable=False),
        sa.Column("updated", sa.DateTime(), nullable=False),
    )
    op.create_table(
        "web_tokens",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("digest", sa.String(64), nullable=False, unique=True),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("wf_users.id"), nullable=False,
                  index=True),
        sa.Column("created", sa.DateTime(), nullable=False),
        sa.Column("expires", sa.DateTime(), nullable=False),
    )
    op.create_table(
        "web_jurisdictions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("org_id", sa.Integer, sa.ForeignKey("wf_organisations.id"), nullable=False,
                  index=True),
        sa.Column("division", sa.String(6), nullable=False),
        sa.UniqueConstraint("org_id", "division"),
    )


def downgrade() -> None:
    op.drop_table("web_jurisdictions")
    op.drop_table("web_tokens")
    op.drop_table("web_accounts")
