"""Tables of the exchange (#14 §6): records issued, their delivery, trusted issuers, imports."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from drawings.models import UTCDateTime
from storage.db import Base


class IssuedRecord(Base):
    """A signed record this system issued; ``seq`` numbers a project's records from 1."""

    __tablename__ = "ex_records"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    project_code: Mapped[str] = mapped_column(ForeignKey("projects.code"))
    seq: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(20))
    subject: Mapped[str] = mapped_column(String(100))
    key: Mapped[str] = mapped_column(String(64), unique=True)
    #: The record as sent (canonical JSON, signed).
    body: Mapped[str] = mapped_column(Text)
    created: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (UniqueConstraint("project_code", "seq"),
                      Index("ix_ex_records_subject", "project_code", "kind", "subject"))


class Delivery(Base):
    """One record's delivery to one endpoint: retried with back-off until delivered."""

    __tablename__ = "ex_outbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("ex_records.id"))
    endpoint: Mapped[str] = mapped_column(String(500))
    state: Mapped[str] = mapped_column(String(20))  # pending | delivered
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (UniqueConstraint("record_id", "endpoint"),
                      Index("ix_ex_outbox_state", "endpoint", "state"))


class TrustedIssuer(Base):
    """A key whose records this system accepts on import (层级校验)."""

    __tablename__ = "ex_trusted_issuers"

    fingerprint: Mapped[str] = mapped_column(String(16), primary_key=True)
    owner: Mapped[str] = mapped_column(String(220))
    alg: Mapped[str] = mapped_column(String(20))
    public: Mapped[str] = mapped_column(Text)
    added: Mapped[datetime] = mapped_column(UTCDateTime)


class ImportedRecord(Base):
    """A record accepted from another system (its project need not exist here)."""

    __tablename__ = "ex_inbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    issuer: Mapped[str] = mapped_column(String(220))
    project_code: Mapped[str] = mapped_column(String(24))
    seq: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(20))
    subject: Mapped[str] = mapped_column(String(100))
    key: Mapped[str] = mapped_column(String(64), unique=True)
    body: Mapped[str] = mapped_column(Text)
    imported: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (UniqueConstraint("issuer", "project_code", "seq"),)
