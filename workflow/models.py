"""ORM models of the closed loop (tables prefixed ``wf_``; schema in migrations 0002, 0004).

Organisations are the parties of the registry (``parties.organisation`` holds the same name);
this package adds their users, keys, the per-project flow state, review rounds, opinions,
submissions and their rounds, discipline sign-offs, changes, drawing-review meetings, as-built
submissions, certificates, the audit chain and the outbox.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from drawings.models import UTCDateTime, utcnow
from storage.db import Base


class JSONText:
    """Helpers for JSON kept in Text columns (portable across SQLite and PostgreSQL)."""

    @staticmethod
    def dump(value: Any) -> str:
        return orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()

    @staticmethod
    def load(text: str | None) -> Any:
        return None if text is None else orjson.loads(text)


class Organisation(Base):
    __tablename__ = "wf_organisations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    alg: Mapped[str] = mapped_column(String(20))
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    users: Mapped[list[User]] = relationship(back_populates="organisation", order_by="User.name")

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "alg": self.alg, "users": [u.name for u in self.users]}


class User(Base):
    __tablename__ = "wf_users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    display_name: Mapped[str | None] = mapped_column(String(200))
    org_id: Mapped[int] = mapped_column(ForeignKey("wf_organisations.id"), index=True)
    #: 专业 for reviewers (建筑, 结构, 给排水, 暖通, 电气 …); they sign the certificate.
    discipline: Mapped[str | None] = mapped_column(String(60))
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    organisation: Mapped[Organisation] = relationship(back_populates="users", lazy="joined")

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "display_name": self.display_name,
                "organisation": self.organisation.name, "discipline": self.discipline}


class SigningKey(Base):
    """A public key on record; ``owner`` is ``org:NAME`` or ``user:NAME``."""

    __tablename__ = "wf_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    owner: Mapped[str] = mapped_column(String(120), index=True)
    alg: Mapped[str] = mapped_column(String(20))
    public: Mapped[str] = mapped_column(Text)
    fingerprint: Mapped[str] = mapped_column(String(32), unique=True)
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Flow(Base):
    """Where a project stands (``workflow.machine.PROJECT``); ``lock`` is the optimistic-locking
    counter of every record: two people acting on one record at once, one of them wins."""

    __tablename__ = "wf_flows"

    project_code: Mapped[str] = mapped_column(ForeignKey("projects.code"), primary_key=True)
    state: Mapped[str] = mapped_column(String(30))
    #: 一级以上建筑 / 大型市政工程: 15 working days of review instead of 10.
    large_works: Mapped[bool] = mapped_column(Boolean, default=False)
    lock: Mapped[int] = mapped_column(Integer, nullable=False)
    updated: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __mapper_args__ = {"version_id_col": lock}

    number = 0  # the project is its own one record


class Submission(Base):
    """报审: a version of the set, or one stage of it, submitted for review (its own lifecycle,
    ``workflow.machine.SUBMISSION``); several may be open at once on disjoint sheets."""

    __tablename__ = "wf_submissions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    project_code: Mapped[str] = mapped_column(ForeignKey("projects.code"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    #: ``stage`` (a part or all of the set) or ``change`` (a major change's sheets).
    kind: Mapped[str] = mapped_column(String(20))
    #: 桩基, 基坑, 主体, 幕墙, 装修 … or 全套 (the whole set).
    stage: Mapped[str] = mapped_column(String(100))
    #: JSON list of the sheet numbers under review (a change's removals included).
    scope: Mapped[str] = mapped_column(Text)
    version_id: Mapped[str] = mapped_column(ForeignKey("set_versions.id"))
    change_id: Mapped[int | None] = mapped_column(ForeignKey("wf_changes.id"))
    state: Mapped[str] = mapped_column(String(20))
    created: Mapped[datetime] = mapped_column(UTCDateTime)
    updated: Mapped[datetime] = mapped_column(UTCDateTime)
    lock: Mapped[int] = mapped_column(Integer, nullable=False)

    __mapper_args__ = {"version_id_col": lock}
    __table_args__ = (UniqueConstraint("project_code", "number"),)

    @property
    def sheets(self) -> list[str]:
        return list(JSONText.load(self.scope))


class Round(Base):
    """One round of a submission: submitted (or resubmitted), reviewed, returned or approved."""

    __tablename__ = "wf_rounds"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    project_code: Mapped[str] = mapped_column(ForeignKey("projects.code"), index=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("wf_submissions.id"), index=True)
    #: Round number within the project (1, 2, …; opinions carry it).
    number: Mapped[int] = mapped_column(Integer)
    version_id: Mapped[str] = mapped_column(ForeignKey("set_versions.id"))
    prev_version_id: Mapped[str | None] = mapped_column(ForeignKey("set_versions.id"))
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    outcome: Mapped[str | None] = mapped_column(String(20))  # returned | approved
    #: Set-diff summary against ``prev_version_id`` (JSON), computed at submission.
    diff: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (UniqueConstraint("project_code", "number"),)


class Signoff(Base):
    """One discipline's reviewer signing their part of a submission in a round (专业签署)."""

    __tablename__ = "wf_signoffs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("wf_submissions.id"), index=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("wf_rounds.id"))
    discipline: Mapped[str] = mapped_column(String(60))
    user_name: Mapped[str] = mapped_column(String(100))
    signed_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (UniqueConstraint("round_id", "discipline"),)


class SheetDiscipline(Base):
    """A sheet number's discipline set by hand (else: title block 专业, then number prefix)."""

    __tablename__ = "wf_sheet_disciplines"

    project_code: Mapped[str] = mapped_column(ForeignKey("projects.code"), primary_key=True)
    sheet_no: Mapped[str] = mapped_column(String(100), primary_key=True)
    discipline: Mapped[str] = mapped_column(String(60))
    set_by: Mapped[str] = mapped_column(String(100))
    set_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Opinion(Base):
    """A review opinion (审查意见) anchored to a sheet revision and a region."""

    __tablename__ = "wf_opinions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    project_code: Mapped[str] = mapped_column(ForeignKey("projects.code"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    round_id: Mapped[int] = mapped_column(ForeignKey("wf_rounds.id"))
    sheet_no: Mapped[str] = mapped_column(String(100))
    blob_id: Mapped[str] = mapped_column(String(64))
    page: Mapped[int | None] = mapped_column(Integer)
    #: ``{"type": "point"|"rect"|"polygon", "coords": [...]}`` in sheet coordinates.
    anchor: Mapped[str] = mapped_column(Text)
    change_id: Mapped[str | None] = mapped_column(String(40))
    category: Mapped[str] = mapped_column(String(20))  # mandatory | general | advice
    #: 专业: the reviewer's, else the sheet's; only that discipline's reviewer closes it.
    discipline: Mapped[str | None] = mapped_column(String(60))
    text: Mapped[str] = mapped_column(Text)
    author: Mapped[str] = mapped_column(String(100))
    state: Mapped[str] = mapped_column(String(20))  # open | answered | closed | reopened
    #: The anchored region changed in a newer revision: the reviewer checks it first.
    affected: Mapped[bool] = mapped_column(Boolean, default=False)
    created: Mapped[datetime] = mapped_column(UTCDateTime)
    updated: Mapped[datetime] = mapped_column(UTCDateTime)
    lock: Mapped[int] = mapped_column(Integer, nullable=False)

    replies: Mapped[list[OpinionReply]] = relationship(order_by="OpinionReply.id")

    __mapper_args__ = {"version_id_col": lock}
    __table_args__ = (UniqueConstraint("project_code", "number"),)


class OpinionReply(Base):
    __tablename__ = "wf_opinion_replies"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    opinion_id: Mapped[int] = mapped_column(ForeignKey("wf_opinions.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # reply | close | reopen | carry
    author: Mapped[str] = mapped_column(String(100))
    text: Mapped[str] = mapped_column(Text)
    created: Mapped[datetime] = mapped_column(UTCDateTime)


class ChangeMark(Base):
    """A reviewer's verdict on one change of a round's diff (a query also makes an opinion)."""

    __tablename__ = "wf_change_marks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("wf_rounds.id"), index=True)
    sheet_no: Mapped[str] = mapped_column(String(100))
    change_id: Mapped[str] = mapped_column(String(40))
    mark: Mapped[str] = mapped_column(String(20))  # accepted | queried
    opinion_id: Mapped[int | None] = mapped_column(ForeignKey("wf_opinions.id"))
    author: Mapped[str] = mapped_column(String(100))
    created: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (UniqueConstraint("round_id", "sheet_no", "change_id"),)


class Change(Base):
    """设计变更 / 工程洽商 / 技术核定单: a change of the set in force, with its own lifecycle
    (``workflow.machine.CHANGE``); many may be open at once.

    ``base_version_id`` is `current` when the drawings were proposed and ``version_id`` the
    proposed set; ``sheets`` (``{"added", "changed", "removed"}``) is what the change does to
    the set, applied onto whatever `current` is when it becomes effective.
    """

    __tablename__ = "wf_changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    project_code: Mapped[str] = mapped_column(ForeignKey("projects.code"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(20))  # design | negotiation | verification
    klass: Mapped[str] = mapped_column(String(10))  # general | major
    #: The party that opened it (design, contractor): only it may withdraw it.
    raised_by: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str] = mapped_column(Text)
    answer: Mapped[str | None] = mapped_column(Text)
    base_version_id: Mapped[str | None] = mapped_column(ForeignKey("set_versions.id"))
    version_id: Mapped[str | None] = mapped_column(ForeignKey("set_versions.id"))
    sheets: Mapped[str] = mapped_column(Text)  # JSON {"added": [], "changed": [], "removed": []}
    question_id: Mapped[int | None] = mapped_column(ForeignKey("wf_questions.id"))
    state: Mapped[str] = mapped_column(String(20))
    author: Mapped[str] = mapped_column(String(100))
    owner_by: Mapped[str | None] = mapped_column(String(100))
    owner_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    supervisor_by: Mapped[str | None] = mapped_column(String(100))
    supervisor_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    signed_by: Mapped[str | None] = mapped_column(String(100))
    signed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    effective_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created: Mapped[datetime] = mapped_column(UTCDateTime)
    updated: Mapped[datetime] = mapped_column(UTCDateTime)
    lock: Mapped[int] = mapped_column(Integer, nullable=False)

    __mapper_args__ = {"version_id_col": lock}
    __table_args__ = (UniqueConstraint("project_code", "number"),)

    @property
    def touched(self) -> dict[str, list[str]]:
        return JSONText.load(self.sheets) or {"added": [], "changed": [], "removed": []}

    def to_dict(self) -> dict[str, Any]:
        return {"number": self.number, "name": f"C-{self.number}", "kind": self.kind,
                "class": self.klass, "state": self.state, "raised_by": self.raised_by,
                "reason": self.reason, "answer": self.answer, "base": self.base_version_id,
                "version": self.version_id, "sheets": self.touched,
                "owner": self.owner_by, "supervisor": self.supervisor_by,
                "signed_by": self.signed_by, "author": self.author,
                "effective_at": self.effective_at.isoformat() if self.effective_at else None,
                "created": self.created.isoformat(), "lock": self.lock}


class AsBuilt(Base):
    """竣工图 submission by the contractor."""

    __tablename__ = "wf_as_built"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    project_code: Mapped[str] = mapped_column(ForeignKey("projects.code"), index=True)
    version_id: Mapped[str] = mapped_column(ForeignKey("set_versions.id"))
    base_version_id: Mapped[str] = mapped_column(ForeignKey("set_versions.id"))
    state: Mapped[str] = mapped_column(String(20))  # submitted | confirmed | accepted | rejected
    #: JSON list of {"sheet", "fraction", "measured", "redrawn"[, "reason"]}: sheets changed
    #: > 1/3 since `approved`, and sheets the diff could not measure (fraction null).
    redraw: Mapped[str] = mapped_column(Text)
    owner_by: Mapped[str | None] = mapped_column(String(100))
    owner_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    supervisor_by: Mapped[str | None] = mapped_column(String(100))
    supervisor_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created: Mapped[datetime] = mapped_column(UTCDateTime)


class Certificate(Base):
    """审查合格书: the signed PDF is a blob."""

    __tablename__ = "wf_certificates"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    project_code: Mapped[str] = mapped_column(ForeignKey("projects.code"), index=True)
    version_id: Mapped[str] = mapped_column(ForeignKey("set_versions.id"))
    submission_id: Mapped[int | None] = mapped_column(ForeignKey("wf_submissions.id"))
    stage: Mapped[str | None] = mapped_column(String(100))
    blob_id: Mapped[str] = mapped_column(String(64))
    signers: Mapped[str] = mapped_column(Text)  # JSON list of owners (user:…/org:…)
    issued: Mapped[datetime] = mapped_column(UTCDateTime)


class Meeting(Base):
    """图纸会审: the parties meet on a set before (or during) construction; its signed minutes
    (纪要) are part of the set's record (``workflow.machine.MEETING``)."""

    __tablename__ = "wf_meetings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    project_code: Mapped[str] = mapped_column(ForeignKey("projects.code"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    held_on: Mapped[str] = mapped_column(String(10))  # YYYY-MM-DD (China date)
    location: Mapped[str | None] = mapped_column(String(200))
    version_id: Mapped[str] = mapped_column(ForeignKey("set_versions.id"))
    #: JSON {role: [user, …]} of who attended for each party.
    participants: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(20))
    #: The minutes PDF as last signed (each signature adds a revision), and who signed:
    #: JSON {role: {"user", "at"}}.
    minutes_blob: Mapped[str | None] = mapped_column(String(64))
    signed: Mapped[str] = mapped_column(Text, default="{}")
    created: Mapped[datetime] = mapped_column(UTCDateTime)
    lock: Mapped[int] = mapped_column(Integer, nullable=False)

    __mapper_args__ = {"version_id_col": lock}
    __table_args__ = (UniqueConstraint("project_code", "number"),)

    def to_dict(self) -> dict[str, Any]:
        return {"number": self.number, "name": f"M-{self.number}", "held_on": self.held_on,
                "location": self.location, "version": self.version_id,
                "participants": JSONText.load(self.participants), "state": self.state,
                "minutes": self.minutes_blob, "signed": JSONText.load(self.signed),
                "lock": self.lock}


class Question(Base):
    """A question raised at a 图纸会审 (contractor, supervisor), anchored to a sheet like an
    opinion, and the design firm's answer; an answer may open a 设计变更."""

    __tablename__ = "wf_questions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    project_code: Mapped[str] = mapped_column(ForeignKey("projects.code"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("wf_meetings.id"), index=True)
    sheet_no: Mapped[str] = mapped_column(String(100))
    blob_id: Mapped[str] = mapped_column(String(64))
    page: Mapped[int | None] = mapped_column(Integer)
    anchor: Mapped[str] = mapped_column(Text)
    text: Mapped[str] = mapped_column(Text)
    raised_by: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(20))
    answer: Mapped[str | None] = mapped_column(Text)
    answered_by: Mapped[str | None] = mapped_column(String(100))
    state: Mapped[str] = mapped_column(String(20))
    created: Mapped[datetime] = mapped_column(UTCDateTime)
    lock: Mapped[int] = mapped_column(Integer, nullable=False)

    __mapper_args__ = {"version_id_col": lock}
    __table_args__ = (UniqueConstraint("project_code", "number"),)


class AuditEvent(Base):
    """One link of a project's hash chain; ``body`` is the canonical JSON that was hashed."""

    __tablename__ = "wf_audit"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    project_code: Mapped[str] = mapped_column(ForeignKey("projects.code"))
    seq: Mapped[int] = mapped_column(Integer)
    event: Mapped[str] = mapped_column(String(40))
    actor: Mapped[str] = mapped_column(String(100))
    version_id: Mapped[str | None] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    body: Mapped[str] = mapped_column(Text)
    hash: Mapped[str] = mapped_column(String(64))
    signatures: Mapped[str] = mapped_column(Text)

    __table_args__ = (UniqueConstraint("project_code", "seq"),
                      Index("ix_wf_audit_project_at", "project_code", "at"))

    def to_dict(self) -> dict[str, Any]:
        body = JSONText.load(self.body)
        return {"seq": self.seq, "event": self.event, "actor": self.actor,
                "version": self.version_id, "at": self.at.isoformat(), "hash": self.hash,
                "prev": body.get("prev"), "payload": body.get("payload"),
                "signers": [r["signer"] for r in JSONText.load(self.signatures)]}


class OutboxMessage(Base):
    """A notification for a user who must act (web inbox and e-mail delivery come later)."""

    __tablename__ = "wf_outbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    project_code: Mapped[str] = mapped_column(ForeignKey("projects.code"), index=True)
    audit_id: Mapped[int] = mapped_column(ForeignKey("wf_audit.id"))
    user_name: Mapped[str] = mapped_column(String(100), index=True)
    message: Mapped[str] = mapped_column(Text)
    created: Mapped[datetime] = mapped_column(UTCDateTime)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


# -- web accounts (migration 0006_web): passwords, API tokens, inspectors' jurisdictions ---------


class Account(Base):
    """A user's login: an argon2 password hash (never the password) and the admin flag."""

    __tablename__ = "web_accounts"

    user_id: Mapped[int] = mapped_column(ForeignKey("wf_users.id"), primary_key=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    admin: Mapped[bool] = mapped_column(Boolean, default=False)
    updated: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ApiToken(Base):
    """A bearer token of the JSON API, kept as its sha256 only (a leaked table opens nothing)."""

    __tablename__ = "web_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("wf_users.id"), index=True)
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires: Mapped[datetime] = mapped_column(UTCDateTime)


class Jurisdiction(Base):
    """An inspecting organisation (监督机构) and the administrative division it oversees: a
    prefix of the division code in project codes (``11`` Beijing, ``1101`` its districts,
    ``110105`` one district)."""

    __tablename__ = "web_jurisdictions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("wf_organisations.id"), index=True)
    division: Mapped[str] = mapped_column(String(6))

    __table_args__ = (UniqueConstraint("org_id", "division"),)


class ArchivePackage(Base):
    """A package made by `archive create` (issue #13): where it was written, the digest its
    signature covers, and its catalogue (each item's retention period), so `archive list` can
    say what is due for appraisal.  Rows are never deleted, nor is anything they name."""

    __tablename__ = "wf_archive_packages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    project_code: Mapped[str] = mapped_column(ForeignKey("projects.code"), index=True)
    version_id: Mapped[str] = mapped_column(ForeignKey("set_versions.id"))
    packer: Mapped[str] = mapped_column(String(100))
    path: Mapped[str] = mapped_column(Text)
    payload_sha256: Mapped[str] = mapped_column(String(64))
    final_only: Mapped[bool] = mapped_column(Boolean, default=False)
    catalogue: Mapped[str] = mapped_column(Text)  # the package's catalogue.json
    created: Mapped[datetime] = mapped_column(UTCDateTime)


class CheckRun(Base):
    """智能辅助审查: one run of the model checks on a model of the set (#18)."""

    __tablename__ = "wf_check_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    project_code: Mapped[str] = mapped_column(ForeignKey("projects.code"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    sheet_no: Mapped[str] = mapped_column(String(100))
    blob_id: Mapped[str] = mapped_column(String(64))
    version_id: Mapped[str] = mapped_column(ForeignKey("set_versions.id"))
    #: the submission's round the run belongs to (its results are part of the round)
    round_id: Mapped[int | None] = mapped_column(ForeignKey("wf_rounds.id"))
    #: what was checked: IDS file names and digests, the unit's declared facts
    basis: Mapped[str] = mapped_column(Text)
    author: Mapped[str] = mapped_column(String(100))
    created: Mapped[datetime] = mapped_column(UTCDateTime)

    findings: Mapped[list[CheckFinding]] = relationship(order_by="CheckFinding.number")
    __table_args__ = (UniqueConstraint("project_code", "number"),)


class CheckFinding(Base):
    """A finding of a check run: a drafted opinion the reviewer confirms or discards."""

    __tablename__ = "wf_check_findings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("wf_check_runs.id"), index=True)
    project_code: Mapped[str] = mapped_column(ForeignKey("projects.code"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    rule: Mapped[str] = mapped_column(String(300))
    source: Mapped[str] = mapped_column(String(10))  # rule | ids
    clause: Mapped[str] = mapped_column(String(300))
    category: Mapped[str] = mapped_column(String(20))  # mandatory | general | advice
    message: Mapped[str] = mapped_column(Text)
    guid: Mapped[str | None] = mapped_column(String(64))
    ifc_class: Mapped[str | None] = mapped_column(String(64))
    element_name: Mapped[str | None] = mapped_column(String(300))
    storey: Mapped[str | None] = mapped_column(String(300))
    x: Mapped[float | None] = mapped_column(Float)
    y: Mapped[float | None] = mapped_column(Float)
    state: Mapped[str] = mapped_column(String(20))  # draft | confirmed | discarded
    opinion_id: Mapped[int | None] = mapped_column(ForeignKey("wf_opinions.id"))
    decided_by: Mapped[str | None] = mapped_column(String(100))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    note: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (UniqueConstraint("project_code", "number"),)
