"""Integrity work across the registry and the blob store: verify, fsck, gc, export.

fsck's strict invariant is "every row names a stored, intact blob that has its ``blobs`` row,
every version id matches its body, every ref is where its reflog says".  Unreferenced blobs
and temp files are what an interrupted ingest may leave behind by design (blobs are written
before rows); fsck reports them as *cleanable*, and ``gc`` removes them.

Rows of upper layers name blobs too (the workflow's certificate PDFs, the blobs its events
cite).  This package cannot import them, so they register a *blob reference provider*
(:func:`register_blob_references`); verify, fsck and gc ask every provider, so such blobs are
re-hashed, must have their ``blobs`` row, and are never collected.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import select
from sqlalchemy.orm import Session

from drawings import registry
from drawings.models import (
    BlobRecord,
    ManifestEntry,
    ModelRevision,
    Project,
    Ref,
    RefLogEntry,
    SetVersion,
    SheetRevision,
)
from storage.errors import InvalidInput, NotFound, ObjectCorrupt, YitaotuError

EXTENSIONS = {"dxf": ".dxf", "dxf-binary": ".dxf", "dwg": ".dwg", "pdf": ".pdf", "ifc": ".ifc"}

#: A provider yields ``(blob id, the row naming it)``, e.g. ``("9f…", "wf_certificates #1")``,
#: for one project (its code) or, given None, for every project.
BlobReferences = Callable[[Session, "str | None"], Iterable[tuple[str, str]]]
_PROVIDERS: dict[str, BlobReferences] = {}


def register_blob_references(name: str, provider: BlobReferences) -> None:
    """Let an upper layer name the blobs its rows point at (registering again replaces)."""
    _PROVIDERS[name] = provider


def _registry_references(s: Session, project: str | None) -> Iterator[tuple[str, str]]:
    q = select(ManifestEntry.version_id, ManifestEntry.sheet_no, ManifestEntry.blob_id,
               ManifestEntry.index_blob_id)
    if project is not None:
        q = q.join(SetVersion).where(SetVersion.project_code == project)
    sheet_blobs: set[str] = set()
    for vid, sheet_no, blob, index in s.execute(q):
        sheet_blobs.add(blob)
        yield blob, f"manifest_entries {vid[:12]} {sheet_no}"
        if index:
            yield index, f"manifest_entries {vid[:12]} {sheet_no} (index)"
    for sr in s.scalars(select(SheetRevision)):
        if project is None or sr.blob_id in sheet_blobs:
            yield sr.blob_id, f"sheet_revisions #{sr.id}"
            if sr.index_blob_id:
                yield sr.index_blob_id, f"sheet_revisions #{sr.id} (index)"
    for mr in s.scalars(select(ModelRevision)):
        if project is None or mr.blob_id in sheet_blobs:
            yield mr.blob_id, f"model_revisions #{mr.id}"
            if mr.index_blob_id:
                yield mr.index_blob_id, f"model_revisions #{mr.id} (index)"


def blob_references(s: Session, project: str | None = None) -> dict[str, str]:
    """Every blob id a row names (of ``project``, or all) -> the first row naming it."""
    out: dict[str, str] = {}
    for provider in (_registry_references, *_PROVIDERS.values()):
        for oid, where in provider(s, project):
            out.setdefault(oid, where)
    return out


@dataclass
class Report:
    """Findings as data: ``problems`` make a check fail, ``cleanable`` are for ``gc``."""

    problems: list[str] = field(default_factory=list)
    cleanable: list[str] = field(default_factory=list)
    checked: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "problems": self.problems,
            "cleanable": self.cleanable,
            "checked": self.checked,
        }


def _versions(s: Session, project: str | Project | None) -> list[SetVersion]:
    if project is None:
        return list(s.scalars(select(SetVersion)))
    return registry.list_versions(s, project)


def verify(s: Session, blobs: Any, project: str | Project | None = None) -> Report:
    """Re-hash every blob the rows (of ``project``) name, recompute every version id and
    check every ref against its reflog."""
    rep = Report()
    code = registry.get_project(s, project).code if project is not None else None
    versions = _versions(s, project)
    for v in versions:
        rep.problems += registry.verify_version(v)
    rep.problems += check_refs(s, code)
    named = blob_references(s, code)
    _check_blobs(s, blobs, named, rep, stored=None)
    rep.checked = {"versions": len(versions), "blobs": len(named)}
    return rep


def fsck(s: Session, blobs: Any) -> Report:
    """Every row's blob stored, intact and recorded; version ids; refs against their reflog.
    Orphans and temp files are cleanable."""
    rep = Report()
    stored = set(blobs.iter_ids())
    named = blob_references(s)
    recorded = set(s.scalars(select(BlobRecord.id)))
    for oid in sorted(recorded - stored - set(named)):
        rep.problems.append(f"dangling row: blob {oid} is referenced but missing from the store "
                            f"(blobs row {oid[:12]})")
    _check_blobs(s, blobs, named, rep, stored=stored)
    versions = list(s.scalars(select(SetVersion)))
    for v in versions:
        rep.problems += registry.verify_version(v)
    rep.problems += check_refs(s, None)
    referenced = recorded | set(named)
    orphans = sorted(stored - referenced)
    rep.cleanable += [f"unreferenced blob {oid}" for oid in orphans]
    temps = blobs.temp_entries()
    rep.cleanable += [f"temp file {t}" for t in temps]
    rep.checked = {
        "versions": len(versions),
        "rows_blobs": len(referenced),
        "store_blobs": len(stored),
        "orphans": len(orphans),
        "temp": len(temps),
    }
    return rep


def _check_blobs(s: Session, blobs: Any, named: dict[str, str], rep: Report,
                 stored: set[str] | None) -> None:
    """Each named blob has its ``blobs`` row, is stored and hashes to its id."""
    recorded = set(s.scalars(select(BlobRecord.id).where(BlobRecord.id.in_(named))))
    for oid, where in sorted(named.items()):
        if oid not in recorded:
            rep.problems.append(f"{where}: blob {oid} has no `blobs` row")
        if stored is not None and oid not in stored:
            rep.problems.append(f"dangling row: blob {oid} is referenced but missing from the "
                                f"store ({where})")
            continue
        try:
            blobs.verify(oid)
        except ObjectCorrupt as e:
            rep.problems.append(f"blob {oid[:12]} ({where}): corrupt: {e.message}")
        except YitaotuError as e:
            rep.problems.append(f"blob {oid[:12]} ({where}): {e.message}")


def check_refs(s: Session, project: str | None) -> list[str]:
    """Each ref points where its reflog's last move took it, and the reflog is unbroken:
    moves numbered 1, 2, … with each move's ``old`` the ``new`` of the one before."""
    q = select(RefLogEntry).order_by(RefLogEntry.project_code, RefLogEntry.ref, RefLogEntry.seq)
    refs = select(Ref)
    if project is not None:
        q, refs = q.where(RefLogEntry.project_code == project), refs.where(
            Ref.project_code == project)
    last: dict[tuple[str, str], RefLogEntry] = {}
    problems = []
    for e in s.scalars(q):
        key = (e.project_code, e.ref)
        before = last.get(key)
        want_seq, want_old = (before.seq + 1, before.new) if before else (1, None)
        if e.seq != want_seq:
            problems.append(f"reflog {e.project_code} {e.ref} #{e.seq}: moves missing before it "
                            f"(expected #{want_seq})")
        elif e.old != want_old:
            problems.append(f"reflog {e.project_code} {e.ref} #{e.seq}: old {_short(e.old)} is "
                            f"not where the move before left it ({_short(want_old)})")
        last[key] = e
    for r in s.scalars(refs):
        e = last.pop((r.project_code, r.name), None)
        if e is None or e.new != r.version_id:
            problems.append(f"refs {r.project_code} {r.name}: points at {r.version_id[:12]}, its "
                            f"reflog's last move went to {_short(e.new if e else None)}")
    for (code, name), e in sorted(last.items()):
        problems.append(f"refs {code} {name}: missing, its reflog's last move went to "
                        f"{_short(e.new)}")
    return problems


def _short(oid: str | None) -> str:
    return oid[:12] if oid else "nothing"


#: Unreferenced blobs and temp files younger than this are kept: an ingest stores its blobs
#: before it commits the rows naming them, and a put of bytes already stored refreshes them.
DEFAULT_GRACE_S = 24 * 3600.0


def gc(
    s: Session, blobs: Any, *, dry_run: bool = False, grace_s: float = DEFAULT_GRACE_S
) -> dict[str, Any]:
    """Delete blobs no row references and interrupted-put leftovers, older than ``grace_s``.

    The grace period makes gc safe beside a running ingest (or any writer that stores blobs
    before its rows): their blobs are young, or refreshed by the put that found them stored.
    """
    if grace_s < 0:
        raise InvalidInput(f"grace period must not be negative: {grace_s}")
    referenced = set(s.scalars(select(BlobRecord.id))) | set(blob_references(s))
    orphans = sorted(set(blobs.iter_ids()) - referenced)
    temps = blobs.temp_entries()
    deleted: list[str] = []
    kept: list[str] = []
    freed = 0
    for oid in orphans:
        try:
            size, age = blobs.size(oid), blobs.age(oid)
        except NotFound:
            continue  # gone meanwhile (another gc)
        if age < grace_s:
            kept.append(oid)
        elif dry_run or blobs.collect(oid, grace_s):
            deleted.append(oid)
            freed += size
        else:
            kept.append(oid)  # put again while we looked
    if not dry_run:
        blobs.clean_temp(grace_s)
    return {
        "deleted": deleted,
        "kept_young": kept,
        "temp": len(temps),
        "bytes": freed,
        "grace_s": grace_s,
        "dry_run": dry_run,
    }


def _safe_name(sheet_no: str) -> str:
    name = re.sub(r'[\\/:*?"<>|\x00-\x1f]', "_", sheet_no).strip(" .")
    return name or "sheet"


def _stamp(s: Session, target: Path, unit_code: str) -> dict[str, str] | None:
    """Write the unit's code into the exported model (atomically); None if it had it."""
    from drawings.ifcunit import stamp_unit_code

    data = target.read_bytes()
    unit = registry.get_unit(s, unit_code)
    new = stamp_unit_code(data, target.name, unit.code, unit.name)
    if new == data:
        return None
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".export-")
    try:
        with os.fdopen(fd, "wb") as dst:
            dst.write(new)
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return {"unit": unit.code, "sha256": hashlib.sha256(new).hexdigest()}


def export_version(
    s: Session, blobs: Any, version: SetVersion, directory: str | Path,
    *, stamp_unit_codes: bool = False,
) -> list[dict]:
    """Write the version's files into ``directory`` (new or empty), checking every hash.

    A blob holding several sheets (PDF pages) is written once, named after its first sheet.
    A ``manifest.json`` beside the files maps sheet numbers to file names.  With
    ``stamp_unit_codes`` a model of a building unit gets the unit's code in its IfcBuilding
    when missing (#18): that file is then not the stored blob, and its entry says so
    (``"stamped": {"unit", "sha256"}``).
    """
    out = Path(directory)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise InvalidInput(f"{out}: 目标目录非空 target directory exists and is not empty")
    by_blob: dict[str, list[tuple[str, dict]]] = {}
    for sheet_no, e in sorted(version.manifest.items()):
        by_blob.setdefault(e["blob"], []).append((sheet_no, e))
    out.mkdir(parents=True, exist_ok=True)
    written: list[dict] = []
    used: set[str] = set()
    for oid, sheets in by_blob.items():
        first_no, first = sheets[0]
        stem = _safe_name(first_no)
        ext = EXTENSIONS.get(first.get("format") or "", "")
        name = stem + ext
        i = 2
        while name.lower() in used:
            name = f"{stem}~{i}{ext}"
            i += 1
        used.add(name.lower())
        target = out / name
        h = hashlib.sha256()
        fd, tmp = tempfile.mkstemp(dir=out, prefix=".export-")
        try:
            with os.fdopen(fd, "wb") as dst, blobs.open(oid) as src:
                while chunk := src.read(1 << 20):
                    h.update(chunk)
                    dst.write(chunk)
            if h.hexdigest() != oid:
                raise ObjectCorrupt(f"blob {oid} ({first_no}): bytes do not match their id")
            os.chmod(tmp, 0o644)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        row: dict[str, Any] = {"file": name, "blob": oid, "sheets": [n for n, _ in sheets]}
        if stamp_unit_codes and first.get("format") == "ifc" and first.get("unit"):
            row["stamped"] = _stamp(s, target, first["unit"])
        written.append(row)
    (out / "manifest.json").write_bytes(
        orjson.dumps(
            {"version": version.id, "project": version.project_code, "files": written},
            option=orjson.OPT_INDENT_2,
        )
    )
    return written
