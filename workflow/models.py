"""ORM models of the closed loop (tables prefixed ``wf_``; schema in migration 0002_workflow).

Organisations are the parties of the registry (``parties.organisation`` holds the same name);
this package adds their users, keys, the per-project flow state, review rounds, opinions,
design changes, as-built submissions, certificates, the audit chain and the outbox.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
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
    """Where a project stands in the loop; ``lock`` is the optimistic-locking counter."""

    __tablename__ = "wf_flows"

    project_code: Mapped[str] = mapped_column(ForeignKey("projects.code"), primary_key=True)
    state: Mapped[str] = mapped_column(String(30))
    #: 一级以上建筑 / 大型市政工程: 15 working days of review instead of 10.
    large_works: Mapped[bool] = mapped_column(Boolean, default=False)
    review_no: Mapped[int] = mapped_column(Integer, default=0)
    lock: Mapped[int] = mapped_column(Integer, nullable=False)
    updated: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __mapper_args__ = {"version_id_col": lock}


class Round(Base):
    """One submission of a set to the agency and what became of it."""

    __tablename__ = "wf_rounds"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    project_code: Mapped[str] = mapped_column(ForeignKey("projects.code"), index=True)
    #: Review number (a first submission or a major change starts a new review).
    review_no: Mapped[int] = mapped_column(Integer)
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


class DesignChange(Base):
    """设计变更: a proposed new version based on ``current``."""

    __tablename__ = "wf_changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    project_code: Mapped[str] = mapped_column(ForeignKey("projects.code"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    base_version_id: Mapped[str] = mapped_column(ForeignKey("set_versions.id"))
    version_id: Mapped[str] = mapped_column(ForeignKey("set_versions.id"))
    reason: Mapped[str] = mapped_column(Text)
    klass: Mapped[str] = mapped_column(String(10))  # general | major
    sheets: Mapped[str] = mapped_column(Text)  # JSON {"added": [], "removed": [], "changed": []}
    state: Mapped[str] = mapped_column(String(20))  # proposed|confirmed|applied|in_review|rejected
    owner_by: Mapped[str | None] = mapped_column(String(100))
    owner_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    supervisor_by: Mapped[str | None] = mapped_column(String(100))
    supervisor_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (UniqueConstraint("project_code", "number"),)

    def to_dict(self) -> dict[str, Any]:
        return {"number": self.number, "class": self.klass, "state": self.state,
                "reason": self.reason, "base": self.base_version_id,
                "version": self.version_id, "sheets": JSONText.load(self.sheets),
                "owner": self.owner_by, "supervisor": self.supervisor_by,
                "created": self.created.isoformat()}


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
    blob_id: Mapped[str] = mapped_column(String(64))
    signers: Mapped[str] = mapped_column(Text)  # JSON list of owners (user:…/org:…)
    issued: Mapped[datetime] = mapped_column(UTCDateTime)


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
