"""Integrity work across the registry and the blob store: verify, fsck, gc, export.

fsck's strict invariant is "no row points to a missing blob, and every version id matches
its body".  Unreferenced blobs and temp files are what an interrupted ingest may leave
behind by design (blobs are written before rows); fsck reports them as *cleanable*, and
``gc`` removes them.  gc must not run while an ingest is writing blobs.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import select
from sqlalchemy.orm import Session

from drawings import registry
from drawings.models import Project, SetVersion
from storage.errors import InvalidInput, NotFound, ObjectCorrupt, YitaotuError

EXTENSIONS = {"dxf": ".dxf", "dxf-binary": ".dxf", "dwg": ".dwg", "pdf": ".pdf"}


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
    """Re-hash every blob the versions (of ``project``) reference and recompute their ids."""
    rep = Report()
    versions = _versions(s, project)
    oids: dict[str, str] = {}
    for v in versions:
        rep.problems += registry.verify_version(v)
        for e in v.entries:
            oids.setdefault(e.blob_id, f"{v.project_code} {e.sheet_no}")
            if e.index_blob_id:
                oids.setdefault(e.index_blob_id, f"{v.project_code} {e.sheet_no} (index)")
    for oid, where in sorted(oids.items()):
        try:
            blobs.verify(oid)
        except ObjectCorrupt as e:
            rep.problems.append(f"blob {oid[:12]} ({where}): corrupt: {e.message}")
        except YitaotuError as e:
            rep.problems.append(f"blob {oid[:12]} ({where}): {e.message}")
    rep.checked = {"versions": len(versions), "blobs": len(oids)}
    return rep


def fsck(s: Session, blobs: Any) -> Report:
    """Dangling rows and bad version ids are problems; orphans and temp files are cleanable."""
    rep = Report()
    stored = set(blobs.iter_ids())
    referenced = registry.referenced_blob_ids(s)
    for oid in sorted(referenced - stored):
        rep.problems.append(f"dangling row: blob {oid} is referenced but missing from the store")
    versions = list(s.scalars(select(SetVersion)))
    for v in versions:
        rep.problems += registry.verify_version(v)
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
    referenced = registry.referenced_blob_ids(s)
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


def export_version(
    s: Session, blobs: Any, version: SetVersion, directory: str | Path
) -> list[dict]:
    """Write the version's files into ``directory`` (new or empty), checking every hash.

    A blob holding several sheets (PDF pages) is written once, named after its first sheet.
    A ``manifest.json`` beside the files maps sheet numbers to file names.
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
        written.append({"file": name, "blob": oid, "sheets": [n for n, _ in sheets]})
    (out / "manifest.json").write_bytes(
        orjson.dumps(
            {"version": version.id, "project": version.project_code, "files": written},
            option=orjson.OPT_INDENT_2,
        )
    )
    return written
