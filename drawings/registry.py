"""The set registry service: projects, parties, building units, set versions and refs.

Every function takes a SQLAlchemy ``Session`` and leaves committing to the caller (one
transaction per user action).

Version ids (Merkle, like git commits): ``id = sha256(body)`` where ``body`` is the canonical
JSON (orjson, keys sorted, no whitespace, UTF-8) of::

    {"type": "yitaotu.set/1", "project": code, "parents": [ids...], "author": str,
     "message": str, "created_at": "YYYY-MM-DDTHH:MM:SS.ffffffZ", "manifest": {...}}

``manifest`` is ``{sheet_no: {"blob", "page", "format", "version", "title", "number",
"index", "unit"}}`` with exactly those keys (missing ones are null).  Because the manifest
names blobs by hash and the parents by id, a version id pins the whole history.
"""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from drawings import codes
from drawings.models import (
    PARTY_ROLES,
    AllocatedCode,
    BlobRecord,
    BuildingUnit,
    ManifestEntry,
    ModelRevision,
    Party,
    Project,
    Ref,
    RefLogEntry,
    SetVersion,
    SetVersionParent,
    SheetRevision,
    utcnow,
)
from storage import limits
from storage.db import database_now
from storage.display import quote
from storage.errors import AmbiguousId, Conflict, IntegrityError, InvalidInput, NotFound
from storage.numbers import db_int, finite

VERSION_TYPE = "yitaotu.set/1"
#: Refs a project may have; ingest moves ``head``, the workflow moves the others.
REFS = ("head", "submitted", "approved", "current", "as-built", "archived")
ENTRY_KEYS = ("blob", "page", "format", "version", "title", "number", "index", "unit")
_HEX64 = re.compile(r"^[0-9a-f]{64}$")
_HEXPREFIX = re.compile(r"^[0-9a-f]{4,64}$")
MIN_PREFIX = 4


# -- projects and parties -----------------------------------------------------------------------


def create_project(
    s: Session, code: str, name: str, *, location: str | None = None, site: str | None = None
) -> Project:
    code = codes.normalise_project_code(code)
    name = limits.PROJECT_NAME.check((name or "").strip(), required=True)
    limits.LOCATION.check(location)
    limits.SITE.check(site)
    if s.get(Project, code) is not None:
        raise Conflict(f"项目已存在 project {code} already exists")
    p = Project(code=code, name=name, location=location, site=site, created=utcnow())
    s.add(p)
    s.flush()
    return p


def get_project(s: Session, code: str | Project) -> Project:
    if isinstance(code, Project):
        return code
    p = s.get(Project, (code or "").strip().upper())
    if p is None:
        raise NotFound(f"项目不存在 no such project: {quote(code)}")
    return p


def list_projects(s: Session) -> list[Project]:
    return list(s.scalars(select(Project).order_by(Project.code)))


def add_party(s: Session, project: str | Project, role: str, organisation: str) -> Party:
    p = get_project(s, project)
    if role not in PARTY_ROLES:
        raise InvalidInput(
            f"无效的参与方角色 invalid party role {quote(role)}: one of {'/'.join(PARTY_ROLES)}"
        )
    organisation = limits.ORGANISATION.check((organisation or "").strip(), required=True)
    for existing in p.parties:
        if existing.role == role and existing.organisation == organisation:
            raise Conflict(f"{p.code}: party {role} {organisation} already exists")
    party = Party(project_code=p.code, role=role, organisation=organisation)
    s.add(party)
    s.flush()
    s.refresh(p, ["parties"])
    return party


# -- building units -----------------------------------------------------------------------------

_INT_ATTRS = ("floors_above", "floors_below", "completion_year")
_FLOAT_ATTRS = ("floor_area", "height")
_TEXT_ATTRS = {
    "name": limits.UNIT_NAME,
    "address": limits.ADDRESS,
    "structure_type": limits.STRUCTURE_TYPE,
    "use": limits.USE,
}


def _clean_attrs(attrs: dict[str, Any]) -> dict[str, Any]:
    unknown = set(attrs) - set(BuildingUnit.ATTRS) - {"footprint"}
    if unknown:
        raise InvalidInput(f"unknown building unit attributes: {', '.join(sorted(unknown))}")
    out: dict[str, Any] = {}
    for key in BuildingUnit.ATTRS:
        value = attrs.get(key)
        if value is None or value == "":
            continue
        try:
            if key in _INT_ATTRS:
                value = db_int(int(value), key)
            elif key in _FLOAT_ATTRS:
                value = finite(value, key)
        except InvalidInput:
            raise
        except (TypeError, ValueError):
            raise InvalidInput(f"invalid {key}: {quote(value)}") from None
        if key in _INT_ATTRS + _FLOAT_ATTRS and value < 0:
            raise InvalidInput(f"invalid {key}: {quote(value)} must not be negative")
        if key in _TEXT_ATTRS:
            value = _TEXT_ATTRS[key].check(str(value))
        out[key] = value
    if attrs.get("footprint") is not None:
        out["footprint_wkt"] = footprint_wkt(attrs["footprint"])
    return out


def footprint_wkt(value: Any) -> str:
    """Validate a footprint (WKT, GeoJSON dict/str or shapely geometry: a valid lon/lat
    polygon inside China, see :mod:`drawings.geo.spatial`) and return WKT."""
    from drawings.geo.spatial import parse_polygon

    return limits.FOOTPRINT.check(parse_polygon(value).wkt) or ""


def add_unit(
    s: Session,
    project: str | Project,
    *,
    scheme: str = codes.DEFAULT_SCHEME,
    code: str | None = None,
    division: str | None = None,
    year: int | None = None,
    **attrs: Any,
) -> BuildingUnit:
    """Register a building unit; allocate its code from ``scheme`` unless ``code`` is given.

    A code that was ever allocated (even for a since-deleted unit) is a :class:`Conflict`.
    """
    p = get_project(s, project)
    sch = codes.get_scheme(scheme)
    clean = _clean_attrs(attrs)
    if code is not None:
        code = sch.validate(code)
        if s.get(AllocatedCode, code) is not None:
            raise Conflict(f"建筑单体代码已被使用 building code {code} was already assigned")
        alloc = AllocatedCode(code=code, scheme=sch.name, scheme_version=sch.version)
        if sch.name == codes.DEFAULT_SCHEME:
            alloc.division, alloc.year, alloc.sequence = codes.split_yitaotu_code(code)
    else:
        if sch.allocate is None:
            raise InvalidInput(f"scheme {sch.name} does not allocate codes: give --code")
        if division is None:
            raise InvalidInput(
                "分配代码需要行政区划代码 allocating a code needs --division (6 digits)"
            )
        year = db_int(year, "year") if year is not None else utcnow().year
        last = s.scalar(
            select(func.max(AllocatedCode.sequence)).where(
                AllocatedCode.scheme == sch.name,
                AllocatedCode.division == division,
                AllocatedCode.year == year,
            )
        )
        seq = (last or 0) + 1
        code = sch.validate(sch.allocate(division, year, seq))
        if s.get(AllocatedCode, code) is not None:
            raise Conflict(f"building code {code} collides with an assigned code; retry")
        alloc = AllocatedCode(
            code=code,
            scheme=sch.name,
            scheme_version=sch.version,
            division=division,
            year=year,
            sequence=seq,
        )
    if clean.get("footprint_wkt"):
        from shapely import wkt

        from drawings.geo.footprints import site_of, validate_layout

        others = {u.code: u.footprint for u in p.units}
        validate_layout(site_of(p), {**others, code: wkt.loads(clean["footprint_wkt"])},
                        changed={code})
    alloc.allocated = utcnow()
    s.add(alloc)
    s.flush()
    unit = BuildingUnit(
        code=code,
        scheme=sch.name,
        scheme_version=sch.version,
        project_code=p.code,
        created=utcnow(),
        **clean,
    )
    s.add(unit)
    s.flush()
    return unit


def get_unit(s: Session, code: str) -> BuildingUnit:
    u = s.get(BuildingUnit, (code or "").strip().upper())
    if u is None:
        raise NotFound(f"建筑单体不存在 no such building unit: {quote(code)}")
    return u


def list_units(s: Session, project: str | Project | None = None) -> list[BuildingUnit]:
    q = select(BuildingUnit).order_by(BuildingUnit.code)
    if project is not None:
        q = q.where(BuildingUnit.project_code == get_project(s, project).code)
    return list(s.scalars(q))


def fill_unit_footprint(s: Session, code: str, footprint: Any, *, replace: bool = False
                        ) -> BuildingUnit:
    """Give a unit the footprint (lon/lat) read from its model (#18); a unit that has one
    keeps it unless ``replace``."""
    u = get_unit(s, code)
    if u.footprint_wkt and not replace:
        raise Conflict(f"单体 {u.code} 已有轮廓 already has a footprint (use --replace)")
    u.footprint_wkt = footprint_wkt(footprint)
    s.flush()
    return u


def delete_unit(s: Session, code: str) -> None:
    """Remove a unit; its code stays allocated forever and is never handed out again."""
    s.delete(get_unit(s, code))
    s.flush()


# -- blobs and sheet revisions ------------------------------------------------------------------


def record_blob(
    s: Session, oid: str, size: int, *, format: str | None = None, version: str | None = None
) -> BlobRecord:
    """Note a stored blob (idempotent: the first sighting is kept)."""
    rec = s.get(BlobRecord, oid)
    if rec is None:
        rec = BlobRecord(id=oid, size=size, format=format, version=version, first_seen=utcnow())
        s.add(rec)
        s.flush()
    return rec


def record_sheet(s: Session, blob_id: str, page: int | None, **fields: Any) -> SheetRevision:
    """Insert or return the SheetRevision of (blob, page); a newer reader refreshes the index."""
    page_no = page or 0
    sr = s.scalar(
        select(SheetRevision).where(SheetRevision.blob_id == blob_id, SheetRevision.page == page_no)
    )
    if sr is None:
        sr = SheetRevision(blob_id=blob_id, page=page_no, created=utcnow(), **fields)
        s.add(sr)
    elif fields.get("reader_version") and fields.get("reader_version") != sr.reader_version:
        for k, v in fields.items():
            setattr(sr, k, v)
    s.flush()
    return sr


def get_sheet(s: Session, blob_id: str, page: int | None = None) -> SheetRevision:
    sr = s.scalar(
        select(SheetRevision).where(
            SheetRevision.blob_id == blob_id, SheetRevision.page == (page or 0)
        )
    )
    if sr is None:
        raise NotFound(f"no sheet revision for blob {blob_id[:12]} page {page}")
    return sr


def record_model(s: Session, blob_id: str, **fields: Any) -> ModelRevision:
    """Insert or return the ModelRevision of a blob; a newer reader refreshes its facts."""
    mr = s.scalar(select(ModelRevision).where(ModelRevision.blob_id == blob_id))
    if mr is None:
        mr = ModelRevision(blob_id=blob_id, created=utcnow(), **fields)
        s.add(mr)
    elif fields.get("reader_version") and fields.get("reader_version") != mr.reader_version:
        for k, v in fields.items():
            setattr(mr, k, v)
    s.flush()
    return mr


def get_model(s: Session, blob_id: str) -> ModelRevision:
    mr = s.scalar(select(ModelRevision).where(ModelRevision.blob_id == blob_id))
    if mr is None:
        raise NotFound(f"no model revision for blob {blob_id[:12]}")
    return mr


def is_model_entry(entry: dict[str, Any] | None) -> bool:
    """A manifest entry that is a BIM model (IFC) rather than a drawing sheet."""
    return bool(entry) and entry.get("format") == "ifc"  # type: ignore[union-attr]


# -- set versions -------------------------------------------------------------------------------


def _iso(dt: datetime) -> str:
    if dt.tzinfo is None:
        raise InvalidInput("created_at must be timezone-aware")
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical_manifest(manifest: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Validate a manifest and give every entry exactly :data:`ENTRY_KEYS`."""
    if not isinstance(manifest, dict):
        raise InvalidInput("manifest must be a mapping of sheet number -> entry")
    out: dict[str, dict[str, Any]] = {}
    for sheet_no, entry in manifest.items():
        if not isinstance(sheet_no, str) or not sheet_no.strip():
            raise InvalidInput(f"无效的图号 invalid sheet number {quote(sheet_no)}")
        limits.SHEET_NUMBER.check(sheet_no)
        if not isinstance(entry, dict):
            raise InvalidInput(f"{sheet_no}: manifest entry must be a mapping")
        extra = set(entry) - set(ENTRY_KEYS)
        if extra:
            raise InvalidInput(f"{sheet_no}: unknown manifest keys {sorted(extra)}")
        blob = entry.get("blob")
        if not isinstance(blob, str) or not _HEX64.match(blob):
            raise InvalidInput(f"{sheet_no}: blob must be a sha256 hex id, got {quote(blob)}")
        index = entry.get("index")
        if index is not None and (not isinstance(index, str) or not _HEX64.match(index)):
            raise InvalidInput(f"{sheet_no}: index must be a sha256 hex id or null")
        page = entry.get("page")
        if page is not None and (not isinstance(page, int) or isinstance(page, bool) or page < 1):
            raise InvalidInput(f"{sheet_no}: page must be a positive int or null")
        if isinstance(entry.get("title"), str):
            limits.SHEET_TITLE.check(entry["title"])
        out[sheet_no] = {k: entry.get(k) for k in ENTRY_KEYS}
    return out


def version_body(
    project: str,
    manifest: dict[str, dict[str, Any]],
    parents: list[str],
    author: str,
    message: str,
    created_at: datetime,
) -> bytes:
    """The canonical bytes whose sha256 is the version id."""
    doc = {
        "type": VERSION_TYPE,
        "project": project,
        "parents": list(parents),
        "author": author,
        "message": message,
        "created_at": _iso(created_at),
        "manifest": canonical_manifest(manifest),
    }
    return orjson.dumps(doc, option=orjson.OPT_SORT_KEYS)


def commit_version(
    s: Session,
    project: str | Project,
    manifest: dict[str, dict[str, Any]],
    *,
    parents: list[str],
    author: str,
    message: str,
    created_at: datetime | None = None,
) -> SetVersion:
    """Create an immutable set version.  Every blob the manifest names must be recorded
    (:func:`record_blob`) and every parent must be a version of the same project."""
    p = get_project(s, project)
    limits.AUTHOR.check(author, required=True)
    limits.MESSAGE.check(message)
    manifest = canonical_manifest(manifest)
    for pid in parents:
        parent = s.get(SetVersion, pid)
        if parent is None or parent.project_code != p.code:
            raise NotFound(f"parent version {pid} not found in project {p.code}")
    if len(set(parents)) != len(parents):
        raise InvalidInput("duplicate parent ids")
    blob_ids = {e["blob"] for e in manifest.values()} | {
        e["index"] for e in manifest.values() if e["index"]
    }
    if blob_ids:
        known = set(s.scalars(select(BlobRecord.id).where(BlobRecord.id.in_(blob_ids))))
        missing = sorted(blob_ids - known)
        if missing:
            raise IntegrityError(
                f"manifest names blobs that are not stored: {', '.join(m[:12] for m in missing)}"
            )
    created_at = created_at or database_now(s)
    body = version_body(p.code, manifest, parents, author, message, created_at)
    vid = hashlib.sha256(body).hexdigest()
    existing = s.get(SetVersion, vid)
    if existing is not None:
        return existing
    v = SetVersion(
        id=vid,
        project_code=p.code,
        author=author,
        message=message,
        created_at=created_at,
        body=body.decode(),
    )
    s.add(v)
    s.flush()
    for i, pid in enumerate(parents):
        s.add(SetVersionParent(version_id=vid, position=i, parent_id=pid))
    for sheet_no, e in manifest.items():
        s.add(
            ManifestEntry(
                version_id=vid,
                sheet_no=sheet_no,
                blob_id=e["blob"],
                page=e["page"] or 0,
                index_blob_id=e["index"],
            )
        )
    s.flush()
    s.refresh(v)
    return v


def get_version(s: Session, version_id: str) -> SetVersion:
    v = s.get(SetVersion, version_id)
    if v is None:
        raise NotFound(f"版本不存在 no such version: {version_id}")
    return v


def resolve_version(s: Session, project: str | Project | None, rev: str) -> SetVersion:
    """A ref name, a full id or a unique id prefix (>= 4 hex digits), optionally ``~N``
    (N-th first parent)."""
    rev = (rev or "").strip()
    back = 0
    m = re.match(r"^(.*?)~(\d*)$", rev)
    if m:
        rev, back = m.group(1), int(m.group(2) or 1)
    code = get_project(s, project).code if project is not None else None
    v: SetVersion | None = None
    if code is not None and rev in REFS:
        v = get_ref(s, code, rev)
        if v is None:
            raise NotFound(f"{code}: 引用 ref {rev!r} is not set yet")
    elif _HEX64.match(rev.lower()):
        v = get_version(s, rev.lower())
        if code is not None and v.project_code != code:
            raise NotFound(f"version {rev[:12]} does not belong to project {code}")
    elif _HEXPREFIX.match(rev.lower()):
        q = select(SetVersion.id).where(SetVersion.id.like(rev.lower() + "%"))
        if code is not None:
            q = q.where(SetVersion.project_code == code)
        ids = list(s.scalars(q.limit(11)))
        if not ids:
            raise NotFound(f"版本不存在 no version matches {rev!r}")
        if len(ids) > 1:
            raise AmbiguousId(
                f"短 id 不唯一 ambiguous version prefix {rev!r}: "
                + ", ".join(i[:12] for i in ids[:10])
            )
        v = get_version(s, ids[0])
    else:
        known = ", ".join(REFS)
        raise NotFound(
            f"无法识别的版本 unknown revision {quote(rev)} (a ref: {known}; or a version id)"
        )
    for _ in range(back):
        if not v.parents:
            raise NotFound(f"{v.id[:12]} has no parent")
        v = get_version(s, v.parents[0])
    return v


def log(s: Session, project: str | Project, ref: str = "current") -> list[SetVersion]:
    """Versions reachable from ``ref`` (a ref name or any revision), newest first."""
    start = resolve_version(s, project, ref)
    seen: dict[str, SetVersion] = {start.id: start}
    todo = [start]
    while todo:
        v = todo.pop()
        for pid in v.parents:
            if pid not in seen:
                seen[pid] = get_version(s, pid)
                todo.append(seen[pid])
    return sorted(seen.values(), key=lambda v: (v.created_at, v.id), reverse=True)


def list_versions(s: Session, project: str | Project) -> list[SetVersion]:
    code = get_project(s, project).code
    q = select(SetVersion).where(SetVersion.project_code == code)
    return list(s.scalars(q.order_by(SetVersion.created_at.desc(), SetVersion.id)))


# -- refs and the reflog ------------------------------------------------------------------------


def get_ref(
    s: Session, project: str | Project, ref: str, *, lock: bool = False
) -> SetVersion | None:
    """Where ``ref`` points now; ``lock`` holds the ref row until the transaction ends
    (PostgreSQL ``FOR UPDATE``), so read-modify-move sequences serialise."""
    code = get_project(s, project).code
    r = s.get(Ref, (code, ref), with_for_update=lock or None, populate_existing=lock)
    return None if r is None else get_version(s, r.version_id)


def refs(s: Session, project: str | Project) -> dict[str, str]:
    code = get_project(s, project).code
    rows = s.scalars(select(Ref).where(Ref.project_code == code))
    return {r.name: r.version_id for r in rows}


def move_ref(
    s: Session,
    project: str | Project,
    ref: str,
    version_id: str,
    *,
    actor: str,
    reason: str,
    signature: str | None = None,
    at: datetime | None = None,
) -> RefLogEntry:
    """Point ``ref`` at ``version_id`` and append the move to the reflog.

    ``at`` defaults to the database's clock; a stamp earlier than the ref's previous move (a
    client clock running behind) is raised to it, so stamps never decrease along ``seq``."""
    p = get_project(s, project)
    if ref not in REFS:
        raise InvalidInput(f"无效的引用 invalid ref {ref!r}: one of {', '.join(REFS)}")
    limits.AUTHOR.check(actor, required=True)
    v = get_version(s, version_id)
    if v.project_code != p.code:
        raise InvalidInput(f"version {version_id[:12]} belongs to project {v.project_code}")
    last = last_move(s, p.code, ref)
    at = at or database_now(s)
    if last is not None and at < last.at:
        at = last.at  # never before the previous move: the order is `seq`, ties included
    row = s.get(Ref, (p.code, ref))
    old = row.version_id if row else None
    if row is None:
        s.add(Ref(project_code=p.code, name=ref, version_id=v.id))
    else:
        row.version_id = v.id
    entry = RefLogEntry(
        project_code=p.code,
        ref=ref,
        seq=last.seq + 1 if last is not None else 1,
        old=old,
        new=v.id,
        actor=actor,
        at=at,
        reason=reason or "",
        signature=signature,
    )
    s.add(entry)
    s.flush()
    return entry


def last_move(s: Session, project: str, ref: str) -> RefLogEntry | None:
    """The newest reflog entry of ``ref`` (by ``seq``)."""
    return s.scalar(
        select(RefLogEntry)
        .where(RefLogEntry.project_code == project, RefLogEntry.ref == ref)
        .order_by(RefLogEntry.seq.desc())
        .limit(1)
    )


def move_at(s: Session, project: str | Project, ref: str, when: datetime) -> RefLogEntry | None:
    """The reflog entry in force at ``when``: the last move (by ``seq``) stamped at or before
    it, so of two moves with the same stamp the later one is in force from that instant."""
    code = get_project(s, project).code
    if when.tzinfo is None:
        raise InvalidInput("when must be timezone-aware")
    return s.scalar(
        select(RefLogEntry)
        .where(RefLogEntry.project_code == code, RefLogEntry.ref == ref, RefLogEntry.at <= when)
        .order_by(RefLogEntry.seq.desc())
        .limit(1)
    )


def ref_at(s: Session, project: str | Project, ref: str, when: datetime) -> SetVersion | None:
    """Where ``ref`` pointed at ``when`` (the reflog read at T); None before its first move."""
    entry = move_at(s, project, ref, when)
    return None if entry is None else get_version(s, entry.new)


def reflog(s: Session, project: str | Project, ref: str | None = None) -> list[RefLogEntry]:
    """Reflog entries, newest first."""
    code = get_project(s, project).code
    q = select(RefLogEntry).where(RefLogEntry.project_code == code)
    if ref is not None:
        q = q.where(RefLogEntry.ref == ref)
    return list(s.scalars(q.order_by(RefLogEntry.id.desc())))


# -- verification -------------------------------------------------------------------------------


def verify_version(v: SetVersion) -> list[str]:
    """Problems with one version: its id, and the rows that must agree with its body."""
    problems: list[str] = []
    if hashlib.sha256(v.body.encode()).hexdigest() != v.id:
        problems.append(f"version {v.id[:12]}: id does not match the sha256 of its body")
        return problems
    doc = orjson.loads(v.body)
    if doc.get("project") != v.project_code:
        problems.append(f"version {v.id[:12]}: project differs from its body")
    if doc.get("parents") != v.parents:
        problems.append(f"version {v.id[:12]}: parent rows differ from its body")
    rows = {e.sheet_no: (e.blob_id, e.page or None, e.index_blob_id) for e in v.entries}
    body = {k: (e["blob"], e["page"], e["index"]) for k, e in doc["manifest"].items()}
    if rows != body:
        problems.append(f"version {v.id[:12]}: manifest rows differ from its body")
    if (doc.get("author"), doc.get("message")) != (v.author, v.message):
        problems.append(f"version {v.id[:12]}: author/message differ from its body")
    return problems
