"""ORM models of the set registry: projects, parties, building units, blobs, sheets, versions, refs.

Set versions, their parents and manifest entries and the reflog are append-only: a
``before_flush`` hook refuses any update or delete of them (see :func:`_guard_immutable`).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy import (
    BigInteger,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    event,
)
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

from storage.db import Base
from storage.errors import IntegrityError

PARTY_ROLES = ("设计", "审查", "建设", "施工", "监理", "档案馆", "监督")


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Stored as naive UTC (same on SQLite and PostgreSQL), read back as aware UTC."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: pass an aware datetime (UTC)")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


class Project(Base):
    __tablename__ = "projects"

    code: Mapped[str] = mapped_column(String(24), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    location: Mapped[str | None] = mapped_column(String(200))
    site: Mapped[str | None] = mapped_column(Text)
    #: The project's site (建设用地红线) as a lon/lat polygon, WKT (drawings.geo checks it).
    site_footprint_wkt: Mapped[str | None] = mapped_column(Text)
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    parties: Mapped[list[Party]] = relationship(back_populates="project", order_by="Party.id")
    units: Mapped[list[BuildingUnit]] = relationship(
        back_populates="project", order_by="BuildingUnit.code"
    )

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "name": self.name,
            "location": self.location,
            "site": self.site,
            "created": self.created.isoformat(),
            "parties": [p.to_dict() for p in self.parties],
        }


class Party(Base):
    __tablename__ = "parties"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    project_code: Mapped[str] = mapped_column(ForeignKey("projects.code"), index=True)
    role: Mapped[str] = mapped_column(String(20))
    organisation: Mapped[str] = mapped_column(String(200))

    project: Mapped[Project] = relationship(back_populates="parties")

    __table_args__ = (UniqueConstraint("project_code", "role", "organisation"),)

    def to_dict(self) -> dict[str, Any]:
        return {"role": self.role, "organisation": self.organisation}


class AllocatedCode(Base):
    """Every building code ever assigned; rows are never deleted, so codes are never reused."""

    __tablename__ = "allocated_codes"

    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    scheme: Mapped[str] = mapped_column(String(40))
    scheme_version: Mapped[str] = mapped_column(String(20))
    division: Mapped[str | None] = mapped_column(String(12))
    year: Mapped[int | None] = mapped_column(Integer)
    sequence: Mapped[int | None] = mapped_column(Integer)
    allocated: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (Index("ix_allocated_codes_seq", "scheme", "division", "year"),)


class BuildingUnit(Base):
    __tablename__ = "building_units"

    code: Mapped[str] = mapped_column(ForeignKey("allocated_codes.code"), primary_key=True)
    scheme: Mapped[str] = mapped_column(String(40))
    scheme_version: Mapped[str] = mapped_column(String(20))
    project_code: Mapped[str] = mapped_column(ForeignKey("projects.code"), index=True)
    name: Mapped[str | None] = mapped_column(String(200))
    address: Mapped[str | None] = mapped_column(String(300))
    floors_above: Mapped[int | None] = mapped_column(Integer)
    floors_below: Mapped[int | None] = mapped_column(Integer)
    floor_area: Mapped[float | None] = mapped_column(Float)
    height: Mapped[float | None] = mapped_column(Float)
    structure_type: Mapped[str | None] = mapped_column(String(60))
    use: Mapped[str | None] = mapped_column(String(60))
    completion_year: Mapped[int | None] = mapped_column(Integer)
    #: WGS84/CGCS2000 lon/lat polygon as WKT (validated with shapely).
    footprint_wkt: Mapped[str | None] = mapped_column(Text)
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    project: Mapped[Project] = relationship(back_populates="units")

    ATTRS = (
        "name",
        "address",
        "floors_above",
        "floors_below",
        "floor_area",
        "height",
        "structure_type",
        "use",
        "completion_year",
    )

    @property
    def footprint(self) -> Any:
        """The footprint as a shapely geometry, or None."""
        if not self.footprint_wkt:
            return None
        from shapely import wkt

        return wkt.loads(self.footprint_wkt)

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "code": self.code,
            "scheme": self.scheme,
            "scheme_version": self.scheme_version,
            "project": self.project_code,
        }
        d.update({a: getattr(self, a) for a in self.ATTRS})
        fp = self.footprint
        if fp is not None:
            from shapely.geometry import mapping

            d["footprint"] = mapping(fp)
        else:
            d["footprint"] = None
        return d


class BlobRecord(Base):
    """A blob the registry knows about (its bytes live in the blob store under ``id``)."""

    __tablename__ = "blobs"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    size: Mapped[int] = mapped_column(BigInteger)
    format: Mapped[str | None] = mapped_column(String(20))
    version: Mapped[str | None] = mapped_column(String(20))
    first_seen: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SheetRevision(Base):
    """A blob (page ``page``; 0 = whole file) read as a sheet, with its fingerprint index."""

    __tablename__ = "sheet_revisions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    blob_id: Mapped[str] = mapped_column(ForeignKey("blobs.id"), index=True)
    page: Mapped[int] = mapped_column(Integer, default=0)
    format: Mapped[str] = mapped_column(String(20))
    version: Mapped[str | None] = mapped_column(String(20))
    units: Mapped[str | None] = mapped_column(String(20))
    number: Mapped[str | None] = mapped_column(String(100))
    title: Mapped[str | None] = mapped_column(String(300))
    discipline: Mapped[str | None] = mapped_column(String(60))
    revision: Mapped[str | None] = mapped_column(String(40))
    scale: Mapped[str | None] = mapped_column(String(40))
    index_blob_id: Mapped[str | None] = mapped_column(ForeignKey("blobs.id"))
    reader_version: Mapped[str | None] = mapped_column(String(40))
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (UniqueConstraint("blob_id", "page"),)


class ModelRevision(Base):
    """A blob read as a BIM model (IFC): its header facts and its element index (#18)."""

    __tablename__ = "model_revisions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    blob_id: Mapped[str] = mapped_column(ForeignKey("blobs.id"), unique=True)
    format: Mapped[str] = mapped_column(String(20))
    schema: Mapped[str | None] = mapped_column(String(20))
    application: Mapped[str | None] = mapped_column(String(300))
    project_name: Mapped[str | None] = mapped_column(String(300))
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    elevation: Mapped[float | None] = mapped_column(Float)
    elements: Mapped[int] = mapped_column(Integer, default=0)
    #: header facts as read (JSON): sites, map conversion, buildings, storeys, class counts
    header: Mapped[str] = mapped_column(Text)
    index_blob_id: Mapped[str | None] = mapped_column(ForeignKey("blobs.id"))
    reader_version: Mapped[str | None] = mapped_column(String(40))
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def to_dict(self) -> dict[str, Any]:
        return {"blob": self.blob_id, "format": self.format, "schema": self.schema,
                "application": self.application, "project_name": self.project_name,
                "latitude": self.latitude, "longitude": self.longitude,
                "elevation": self.elevation, "elements": self.elements,
                "header": orjson.loads(self.header), "index": self.index_blob_id,
                "reader_version": self.reader_version}


class SetVersion(Base):
    """One immutable version of a project's set; ``id`` = sha256 of ``body`` (canonical JSON)."""

    __tablename__ = "set_versions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    project_code: Mapped[str] = mapped_column(ForeignKey("projects.code"), index=True)
    author: Mapped[str] = mapped_column(String(200))
    message: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    #: The exact bytes hashed into ``id`` (see ``drawings.registry.version_body``).
    body: Mapped[str] = mapped_column(Text)

    parent_rows: Mapped[list[SetVersionParent]] = relationship(
        order_by="SetVersionParent.position",
        foreign_keys="SetVersionParent.version_id",
        lazy="selectin",
    )
    entries: Mapped[list[ManifestEntry]] = relationship(
        order_by="ManifestEntry.sheet_no", lazy="selectin"
    )

    @property
    def parents(self) -> list[str]:
        return [p.parent_id for p in self.parent_rows]

    @property
    def manifest(self) -> dict[str, dict[str, Any]]:
        return orjson.loads(self.body)["manifest"]

    def to_dict(self, *, manifest: bool = False) -> dict[str, Any]:
        d: dict[str, Any] = {
            "id": self.id,
            "project": self.project_code,
            "parents": self.parents,
            "author": self.author,
            "message": self.message,
            "created_at": self.created_at.isoformat(),
            "sheets": len(self.entries),
        }
        if manifest:
            d["manifest"] = self.manifest
        return d


class SetVersionParent(Base):
    __tablename__ = "set_version_parents"

    version_id: Mapped[str] = mapped_column(ForeignKey("set_versions.id"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    parent_id: Mapped[str] = mapped_column(ForeignKey("set_versions.id"), index=True)


class ManifestEntry(Base):
    """One sheet of a version (queryable copy of the manifest in ``SetVersion.body``)."""

    __tablename__ = "manifest_entries"

    version_id: Mapped[str] = mapped_column(ForeignKey("set_versions.id"), primary_key=True)
    sheet_no: Mapped[str] = mapped_column(String(100), primary_key=True)
    blob_id: Mapped[str] = mapped_column(ForeignKey("blobs.id"), index=True)
    page: Mapped[int] = mapped_column(Integer, default=0)
    index_blob_id: Mapped[str | None] = mapped_column(ForeignKey("blobs.id"))


class Ref(Base):
    __tablename__ = "refs"

    project_code: Mapped[str] = mapped_column(ForeignKey("projects.code"), primary_key=True)
    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    version_id: Mapped[str] = mapped_column(ForeignKey("set_versions.id"))


class RefLogEntry(Base):
    """One move of a ref; append-only.

    ``seq`` numbers the moves of one ref from 1 and is their order; ``at`` never decreases
    along it (a move is stamped no earlier than the one before), so "where the ref pointed at
    T" is the last move by ``seq`` stamped at or before T.  A concurrent move of the same ref
    collides on (project, ref, seq).
    """

    __tablename__ = "reflog"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    project_code: Mapped[str] = mapped_column(ForeignKey("projects.code"))
    ref: Mapped[str] = mapped_column(String(40))
    seq: Mapped[int] = mapped_column(Integer)
    old: Mapped[str | None] = mapped_column(String(64))
    new: Mapped[str] = mapped_column(ForeignKey("set_versions.id"))
    actor: Mapped[str] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    reason: Mapped[str] = mapped_column(Text)
    signature: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        Index("ix_reflog_project_ref_at", "project_code", "ref", "at"),
        UniqueConstraint("project_code", "ref", "seq"),
    )

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "project": self.project_code,
            "ref": self.ref,
            "seq": self.seq,
            "old": self.old,
            "new": self.new,
            "actor": self.actor,
            "at": self.at.isoformat(),
            "reason": self.reason,
            "signature": self.signature,
        }


class SiteFit(Base):
    """落图: a site-plan sheet revision tied to the ground by control points (drawing x, y ->
    projected metres in ``crs``, a similarity transform ``x' = a·x − b·y + tx``,
    ``y' = b·x + a·y + ty``), with its residuals.  Append-only: a new fit is a new row."""

    __tablename__ = "geo_site_fits"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    project_code: Mapped[str] = mapped_column(ForeignKey("projects.code"), index=True)
    sheet_revision_id: Mapped[int] = mapped_column(ForeignKey("sheet_revisions.id"), index=True)
    version_id: Mapped[str | None] = mapped_column(ForeignKey("set_versions.id"))
    sheet_no: Mapped[str] = mapped_column(String(100))
    crs: Mapped[str] = mapped_column(String(200))
    #: JSON: ``{"a", "b", "tx", "ty"}``.
    params: Mapped[str] = mapped_column(Text)
    #: JSON: ``[{"drawing": [x, y], "ground": [x, y], "residual": m}, ...]``.
    points: Mapped[str] = mapped_column(Text)
    rms: Mapped[float] = mapped_column(Float)
    max_residual: Mapped[float] = mapped_column(Float)
    tolerance: Mapped[float] = mapped_column(Float)
    actor: Mapped[str] = mapped_column(String(200))
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    placements: Mapped[list[Placement]] = relationship(order_by="Placement.unit_code")


class Placement(Base):
    """Which outline of a fitted site plan became which unit's footprint (drawing coords)."""

    __tablename__ = "geo_placements"

    fit_id: Mapped[int] = mapped_column(ForeignKey("geo_site_fits.id"), primary_key=True)
    unit_code: Mapped[str] = mapped_column(ForeignKey("allocated_codes.code"), primary_key=True)
    handle: Mapped[str | None] = mapped_column(String(40))
    layer: Mapped[str | None] = mapped_column(String(255))
    outline_wkt: Mapped[str] = mapped_column(Text)


_IMMUTABLE = (SiteFit, Placement, SetVersion, SetVersionParent, ManifestEntry, RefLogEntry,
              AllocatedCode)


@event.listens_for(Session, "before_flush")
def _guard_immutable(session: Session, flush_context: Any, instances: Any) -> None:
    for obj in session.dirty:
        if isinstance(obj, _IMMUTABLE) and session.is_modified(obj, include_collections=False):
            raise IntegrityError(
                f"{type(obj).__name__} rows are immutable: a correction is a new version"
            )
    for obj in session.deleted:
        if isinstance(obj, _IMMUTABLE):
            raise IntegrityError(f"{type(obj).__name__} rows are never deleted")
