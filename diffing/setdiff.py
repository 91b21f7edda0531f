"""Set-level diff through the store: which sheets of a set version were added, removed, changed.

A sheet whose blob (and page) did not change is unchanged without being read at all.  Changed
sheets are diffed from their stored indexes (fingerprints computed once at ingest, records
decoded only for entities that do not match), and each report is cached.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

from sqlalchemy.orm import Session

from diffing import cache
from diffing.compare import diff_drawings
from diffing.modeldiff import ENGINE_VERSION as MODEL_ENGINE
from diffing.modeldiff import ModelDiff, diff_models
from diffing.report import ENGINE_VERSION, DiffReport, FileInfo
from storage.errors import IntegrityError, InvalidInput, NotFound

ADDED, REMOVED, CHANGED, UNCHANGED = "added", "removed", "changed", "unchanged"


@dataclass(frozen=True, slots=True)
class SheetEntry:
    number: str
    status: str
    old: dict[str, Any] | None = None
    new: dict[str, Any] | None = None
    summary: dict[str, int] | None = None

    @property
    def is_model(self) -> bool:
        """A BIM model (IFC) entry: its summary counts elements, not drawing entities."""
        return any((e or {}).get("format") == "ifc" for e in (self.old, self.new))

    def to_json(self) -> dict[str, Any]:
        def side(e: dict[str, Any] | None) -> dict[str, Any] | None:
            if e is None:
                return None
            return {k: e.get(k) for k in ("blob", "page", "format", "title", "index")}

        out = {"sheet": self.number, "status": self.status, "old": side(self.old),
               "new": side(self.new), "summary": self.summary}
        if self.is_model:
            out["kind"] = "model"
            out["engine"] = MODEL_ENGINE
        return out


@dataclass(frozen=True, slots=True)
class SetDiff:
    project: str
    old_version: str
    new_version: str
    sheets: tuple[SheetEntry, ...] = field(default_factory=tuple)

    def __bool__(self) -> bool:
        return any(s.status != UNCHANGED for s in self.sheets)

    @property
    def stats(self) -> dict[str, int]:
        out = {ADDED: 0, REMOVED: 0, CHANGED: 0, UNCHANGED: 0}
        for s in self.sheets:
            out[s.status] += 1
        return out

    def to_json(self) -> dict[str, Any]:
        return {
            "engine": ENGINE_VERSION,
            "project": self.project,
            "old": {"version": self.old_version},
            "new": {"version": self.new_version},
            "summary": self.stats,
            "sheets": [s.to_json() for s in self.sheets],
        }


def load_sheet_index(blobs: Any, entry: dict[str, Any], label: str) -> Any:
    """The stored index of one manifest entry, narrowed to its page for multi-page PDFs."""
    from drawings import index as drawing_index

    index_id = entry.get("index")
    if not index_id:
        raise NotFound(f"{label}: no stored index for blob {entry.get('blob', '?')[:12]}")
    try:
        data = blobs.read_bytes(index_id)
    except KeyError as e:
        raise NotFound(f"{label}: index blob {index_id[:12]} missing from the store") from e
    idx = drawing_index.loads(data, label)
    page = entry.get("page")
    if page is None:
        return idx
    if not 1 <= int(page) <= len(idx.sheets):
        raise IntegrityError(f"{label}: page {page} not in its index ({len(idx.sheets)} pages)")
    return SimpleNamespace(path=label, format=idx.format, version=idx.version,
                           blocks=idx.blocks, layers=idx.layers, text_styles=idx.text_styles,
                           sheets=[idx.sheets[int(page) - 1]])


def load_model_index(blobs: Any, entry: dict[str, Any], label: str) -> Any:
    """The stored element index of a model entry (rebuilt from the model if it is missing)."""
    from drawings import modelindex, read_model

    index_id = entry.get("index")
    if index_id:
        try:
            return modelindex.loads(blobs.read_bytes(index_id), label)
        except KeyError:
            pass  # gone from the store: rebuild below (verify/fsck report the missing blob)
    try:
        data = blobs.read_bytes(entry["blob"])
    except KeyError as e:
        raise NotFound(f"{label}: model blob {entry['blob'][:12]} missing from the store") from e
    return read_model(data, label)


def diff_model_entries(blobs: Any, old: dict[str, Any], new: dict[str, Any], *,
                       label: str = "") -> ModelDiff:
    """Diff two model entries from their stored element indexes."""
    oi = load_model_index(blobs, old, f"{label} (old {old['blob'][:12]})")
    ni = load_model_index(blobs, new, f"{label} (new {new['blob'][:12]})")
    oi.path, ni.path = f"{label}@{old['blob'][:12]}", f"{label}@{new['blob'][:12]}"
    return diff_models(oi, ni, old_blob=old["blob"], new_blob=new["blob"])


def _options(tolerance, ignore_style, include_xdata, old, new, strict_style=False,
             strict_position=False) -> dict[str, Any]:
    out = {"tolerance": tolerance, "ignore_style": ignore_style,
           "include_xdata": include_xdata, "old_page": old.get("page"),
           "new_page": new.get("page")}
    if strict_style or strict_position:  # keys of reports cached before these options kept
        out |= {"strict_style": strict_style, "strict_position": strict_position}
    return out


def diff_entries(
    session: Session | None,
    blobs: Any,
    old: dict[str, Any],
    new: dict[str, Any],
    *,
    label: str = "",
    tolerance: float | None = None,
    ignore_style: bool = False,
    include_xdata: bool = False,
    use_cache: bool = True,
    strict_style: bool = False,
    strict_position: bool = False,
) -> DiffReport | ModelDiff:
    """Diff two manifest entries (one sheet each) from their stored indexes, through the cache;
    two BIM model entries give a :class:`ModelDiff`."""
    from drawings import is_model_entry

    if is_model_entry(old) or is_model_entry(new):
        if not (is_model_entry(old) and is_model_entry(new)):
            raise InvalidInput(f"{label}: a model and a drawing sheet cannot be compared")
        return diff_model_entries(blobs, old, new, label=label)
    opts = _options(tolerance, ignore_style, include_xdata, old, new, strict_style,
                    strict_position)
    if session is not None and use_cache:
        hit = cache.get(session, old["blob"], new["blob"], opts)
        if hit is not None:
            return hit
    oi = load_sheet_index(blobs, old, f"{label} (old {old['blob'][:12]})")
    ni = load_sheet_index(blobs, new, f"{label} (new {new['blob'][:12]})")
    report = diff_drawings(oi, ni, tolerance=tolerance, ignore_style=ignore_style,
                           include_xdata=include_xdata, old_blob=old["blob"],
                           new_blob=new["blob"], old_path=f"{label}@{old['blob'][:12]}",
                           new_path=f"{label}@{new['blob'][:12]}", strict_style=strict_style,
                           strict_position=strict_position)
    report = report.with_files(
        FileInfo(report.old.path, old.get("format") or report.old.format, report.old.entities,
                 old["blob"], old.get("version")),
        FileInfo(report.new.path, new.get("format") or report.new.format, report.new.entities,
                 new["blob"], new.get("version")),
    )
    if session is not None and use_cache:
        cache.put(session, old["blob"], new["blob"], opts, report)
    return report


def resolve(session: Session, project: str | None, rev: str) -> Any:
    from drawings import registry

    return registry.resolve_version(session, project, rev)


def diff_versions(
    session: Session,
    blobs: Any,
    project: str | None,
    old_rev: str,
    new_rev: str,
    *,
    tolerance: float | None = None,
    ignore_style: bool = False,
    include_xdata: bool = False,
    use_cache: bool = True,
    strict_style: bool = False,
    strict_position: bool = False,
) -> SetDiff:
    """Sheets added, removed, changed (with change counts) and unchanged between two versions."""
    vo = resolve(session, project, old_rev)
    vn = resolve(session, project, new_rev)
    mo, mn = vo.manifest or {}, vn.manifest or {}
    entries: list[SheetEntry] = []
    for number in sorted(mo.keys() | mn.keys()):
        a, b = mo.get(number), mn.get(number)
        if a is None:
            entries.append(SheetEntry(number, ADDED, None, b))
        elif b is None:
            entries.append(SheetEntry(number, REMOVED, a, None))
        elif a.get("blob") == b.get("blob") and a.get("page") == b.get("page"):
            entries.append(SheetEntry(number, UNCHANGED, a, b))
        elif (a.get("format") == "ifc") != (b.get("format") == "ifc"):
            entries.append(SheetEntry(number, CHANGED, a, b))  # a sheet became a model
        else:
            rep = diff_entries(session, blobs, a, b, label=number, tolerance=tolerance,
                               ignore_style=ignore_style, include_xdata=include_xdata,
                               use_cache=use_cache, strict_style=strict_style,
                               strict_position=strict_position)
            status = CHANGED if rep else UNCHANGED
            entries.append(SheetEntry(number, status, a, b, rep.stats))
    return SetDiff(project=vn.project_code, old_version=vo.id, new_version=vn.id,
                   sheets=tuple(entries))


def sheet_entry(session: Session, project: str | None, rev: str, number: str) -> dict[str, Any]:
    """One sheet's manifest entry in a version (NotFound names the version and the sheets)."""
    v = resolve(session, project, rev)
    m = v.manifest or {}
    if number not in m:
        known = ", ".join(sorted(m)) or "-"
        raise NotFound(f"图号 sheet {number!r} not in version {v.id[:12]} (sheets: {known})")
    return dict(m[number])
