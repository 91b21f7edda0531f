"""The loop as real projects run it: submissions by stage, discipline sign-offs, many changes
(设计变更 / 工程洽商 / 技术核定单) at once, 图纸会审 meetings and their questions.

Existing projects move over: every review of the old one-block loop becomes a submission of the
whole set (its rounds keep their numbers), a major change's review becomes that change's
submission, the project state becomes design or construction (as-built states unchanged), and
changes take their new states (applied -> effective).

Revision ID: 0005_many_records
Revises: 0004_reflog_seq
Create Date: 2026-12-06
"""

from __future__ import annotations

import json
from datetime import datetime

import sqlalchemy as sa
from alembic import op

revision = "0005_many_records"
down_revision = "0004_reflog_seq"
branch_labels = None
depends_on = None

#: old project state -> new, when nothing was approved yet / when something was.
_FLOW = {
    "draft": ("design", "design"),
    "submitted": ("design", "construction"),
    "in_review": ("design", "construction"),
    "returned": ("design", "construction"),
    "resubmitted": ("design", "construction"),
    "approved": ("construction", "construction"),
    "change_proposed": ("construction", "construction"),
    "change_confirmed": ("construction", "construction"),
    "current": ("construction", "construction"),
}
_CHANGE = {"proposed": "proposed", "confirmed": "confirmed", "applied": "effective",
           "in_review": "in_review", "rejected": "rejected"}


def _ts(name: str, **kw: object) -> sa.Column:
    return sa.Column(name, sa.DateTime(), **kw)  # naive UTC (drawings.models.UTCDateTime)


def _project(index: bool = True) -> sa.Column:
    return sa.Column("project_code", sa.String(24), sa.ForeignKey("projects.code"),
                     nullable=False, index=index)


def upgrade() -> None:
    op.create_table(
        "wf_submissions",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        _project(),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("stage", sa.String(100), nullable=False),
        sa.Column("scope", sa.Text(), nullable=False),
        sa.Column("version_id", sa.String(64), sa.ForeignKey("set_versions.id"), nullable=False),
        sa.Column("change_id", sa.Integer(), sa.ForeignKey("wf_changes.id")),
        sa.Column("state", sa.String(20), nullable=False),
        _ts("created", nullable=False),
        _ts("updated", nullable=False),
        sa.Column("lock", sa.Integer(), nullable=False),
        sa.UniqueConstraint("project_code", "number"),
    )
    op.create_table(
        "wf_signoffs",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("submission_id", sa.Integer(), sa.ForeignKey("wf_submissions.id"),
                  nullable=False, index=True),
        sa.Column("round_id", sa.Integer(), sa.ForeignKey("wf_rounds.id"), nullable=False),
        sa.Column("discipline", sa.String(60), nullable=False),
        sa.Column("user_name", sa.String(100), nullable=False),
        _ts("signed_at", nullable=False),
        sa.UniqueConstraint("round_id", "discipline"),
    )
    op.create_table(
        "wf_sheet_disciplines",
        sa.Column("project_code", sa.String(24), sa.ForeignKey("projects.code"),
                  primary_key=True),
        sa.Column("sheet_no", sa.String(100), primary_key=True),
        sa.Column("discipline", sa.String(60), nullable=False),
        sa.Column("set_by", sa.String(100), nullable=False),
        _ts("set_at", nullable=False),
    )
    op.create_table(
        "wf_meetings",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        _project(),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("held_on", sa.String(10), nullable=False),
        sa.Column("location", sa.String(200)),
        sa.Column("version_id", sa.String(64), sa.ForeignKey("set_versions.id"), nullable=False),
        sa.Column("participants", sa.Text(), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("minutes_blob", sa.String(64)),
        sa.Column("signed", sa.Text(), nullable=False),
        _ts("created", nullable=False),
        sa.Column("lock", sa.Integer(), nullable=False),
        sa.UniqueConstraint("project_code", "number"),
    )
    op.create_table(
        "wf_questions",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        _project(),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), sa.ForeignKey("wf_meetings.id"), nullable=False,
                  index=True),
        sa.Column("sheet_no", sa.String(100), nullable=False),
        sa.Column("blob_id", sa.String(64), nullable=False),
        sa.Column("page", sa.Integer()),
        sa.Column("anchor", sa.Text(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("raised_by", sa.String(100), nullable=False),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("answer", sa.Text()),
        sa.Column("answered_by", sa.String(100)),
        sa.Column("state", sa.String(20), nullable=False),
        _ts("created", nullable=False),
        sa.Column("lock", sa.Integer(), nullable=False),
        sa.UniqueConstraint("project_code", "number"),
    )
    with op.batch_alter_table("wf_rounds") as b:
        b.add_column(sa.Column("submission_id", sa.Integer(), nullable=True))
    with op.batch_alter_table("wf_opinions") as b:
        b.add_column(sa.Column("discipline", sa.String(60)))
    with op.batch_alter_table("wf_certificates") as b:
        b.add_column(sa.Column("submission_id", sa.Integer(), nullable=True))
        b.add_column(sa.Column("stage", sa.String(100)))
    with op.batch_alter_table("wf_changes") as b:
        b.add_column(sa.Column("kind", sa.String(20), nullable=False, server_default="design"))
        b.add_column(sa.Column("raised_by", sa.String(20), nullable=False,
                               server_default="design"))
        b.add_column(sa.Column("answer", sa.Text()))
        b.add_column(sa.Column("question_id", sa.Integer(), nullable=True))
        b.add_column(sa.Column("author", sa.String(100), nullable=False, server_default=""))
        b.add_column(sa.Column("signed_by", sa.String(100)))
        b.add_column(_ts("signed_at"))
        b.add_column(_ts("effective_at"))
        b.add_column(_ts("updated", nullable=True))
        b.add_column(sa.Column("lock", sa.Integer(), nullable=False, server_default="1"))
        b.alter_column("base_version_id", existing_type=sa.String(64), nullable=True)
        b.alter_column("version_id", existing_type=sa.String(64), nullable=True)
    _move_rows(op.get_bind())
    with op.batch_alter_table("wf_rounds") as b:
        b.alter_column("submission_id", existing_type=sa.Integer(), nullable=False)
        b.create_foreign_key("fk_wf_rounds_submission", "wf_submissions", ["submission_id"],
                             ["id"])
        b.create_index("ix_wf_rounds_submission_id", ["submission_id"])
        b.drop_column("review_no")
    with op.batch_alter_table("wf_flows") as b:
        b.drop_column("review_no")
    with op.batch_alter_table("wf_changes") as b:
        b.alter_column("updated", existing_type=sa.DateTime(), nullable=False)
        b.create_foreign_key("fk_wf_changes_question", "wf_questions", ["question_id"], ["id"])
    with op.batch_alter_table("wf_certificates") as b:
        b.create_foreign_key("fk_wf_certificates_submission", "wf_submissions",
                             ["submission_id"], ["id"])


def _manifest(conn: sa.Connection, version_id: str) -> dict[str, object]:
    body = conn.execute(sa.text("SELECT body FROM set_versions WHERE id = :v"),
                        {"v": version_id}).scalar_one()
    return json.loads(body)["manifest"]


def _move_rows(conn: sa.Connection) -> None:
    """Existing projects into the new shape (see the module docstring)."""
    now = datetime.utcnow().replace(microsecond=0)  # noqa: DTZ003 - stored naive UTC
    changes = conn.execute(sa.text(
        "SELECT id, project_code, number, klass, state, version_id, base_version_id, created "
        "FROM wf_changes")).mappings().all()
    # who proposed and signed each change, and when it took effect, as its chain says
    proposers, signed, effective = {}, {}, {}
    for row in conn.execute(sa.text(
            "SELECT project_code, event, actor, at, body FROM wf_audit WHERE event IN "
            "('propose_change', 'sign_change', 'approve') ORDER BY project_code, seq")):
        payload = json.loads(row.body).get("payload") or {}
        key = (row.project_code, payload.get("change"))
        if key[1] is None:
            continue
        if row.event == "propose_change":
            proposers[key] = row.actor
        elif row.event == "sign_change":
            signed[key] = (row.actor, row.at)
            if payload.get("to") == "current":
                effective[key] = row.at
        else:  # a major change's review approved
            effective[key] = row.at
    for ch in changes:
        key = (ch["project_code"], ch["number"])
        by, at = signed.get(key, (None, None))
        conn.execute(sa.text(
            "UPDATE wf_changes SET state = :st, author = :au, updated = :up, signed_by = :sb, "
            "signed_at = :sa, effective_at = :ef WHERE id = :id"),
            {"st": _CHANGE.get(ch["state"], ch["state"]), "au": proposers.get(key, ""),
             "up": ch["created"], "sb": by, "sa": at, "ef": effective.get(key),
             "id": ch["id"]})
    flows = conn.execute(sa.text("SELECT project_code, state, review_no FROM wf_flows")).all()
    for code, state, review_no in flows:
        approved = conn.execute(sa.text(
            "SELECT 1 FROM refs WHERE project_code = :p AND name = 'approved'"),
            {"p": code}).first() is not None
        new_state = _FLOW[state][approved] if state in _FLOW else state
        conn.execute(sa.text("UPDATE wf_flows SET state = :s WHERE project_code = :p"),
                     {"s": new_state, "p": code})
        rounds = conn.execute(sa.text(
            "SELECT id, review_no, version_id, outcome FROM wf_rounds WHERE project_code = :p "
            "ORDER BY number"), {"p": code}).mappings().all()
        reviews: dict[int, list] = {}
        for r in rounds:
            reviews.setdefault(r["review_no"], []).append(r)
        majors = {c["version_id"]: c for c in changes
                  if c["project_code"] == code and c["klass"] == "major"}
        for number, group in sorted(reviews.items()):
            last = group[-1]
            ch = next((majors[g["version_id"]] for g in group if g["version_id"] in majors), None)
            if number == review_no and state in ("submitted", "in_review", "returned",
                                                 "resubmitted"):
                sub_state = state
            elif any(g["outcome"] == "approved" for g in group):
                sub_state = "approved"
            else:
                sub_state = "withdrawn"
            if ch is not None:
                scope = sorted(_manifest(conn, ch["version_id"]))
            else:
                scope = sorted(_manifest(conn, last["version_id"]))
            sid = conn.execute(sa.text(
                "INSERT INTO wf_submissions (project_code, number, kind, stage, scope, "
                "version_id, change_id, state, created, updated, lock) VALUES (:p, :n, :k, :st, "
                ":sc, :v, :c, :s, :t, :t, 1) RETURNING id"),
                {"p": code, "n": number, "k": "change" if ch else "stage",
                 "st": f"变更 C-{ch['number']}" if ch else "全套", "sc": json.dumps(scope),
                 "v": last["version_id"], "c": ch["id"] if ch else None, "s": sub_state,
                 "t": now}).scalar_one()
            conn.execute(sa.text(
                "UPDATE wf_rounds SET submission_id = :s WHERE project_code = :p AND "
                "review_no = :n"), {"s": sid, "p": code, "n": number})
            conn.execute(sa.text(
                "UPDATE wf_certificates SET submission_id = :s, stage = :st WHERE "
                "project_code = :p AND version_id = :v AND submission_id IS NULL"),
                {"s": sid, "st": "全套", "p": code, "v": last["version_id"]})


def downgrade() -> None:
    raise NotImplementedError("0005 moves rows into a new shape; restore a backup to go back")
