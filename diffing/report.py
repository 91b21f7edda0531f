"""The diff report as immutable data (dvc-data ``DiffResult``, kart ``DeltaDiff``).

Everything a consumer needs is here: per change the sheet, the old/new entity index and handle,
the bbox in *new* drawing coordinates and the cluster id, so the renderer and the web viewer can
draw overlays without re-running the match.  Writers (text, JSON, DXF markup) render this data;
they never compute anything new.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

ENGINE_VERSION = "yitaotu-diff/1"

ADDED = "added"
REMOVED = "removed"
MODIFIED = "modified"
KINDS = (ADDED, REMOVED, MODIFIED)
#: ``type`` of drawing-level changes (layers, style tables, header): counted under ``tables``
#: in the summary, apart from the entity changes.
TABLE_TYPES = frozenset({"LAYER", "STYLE", "DIMSTYLE", "HEADER"})

BBox = tuple[float, float, float, float]


@dataclass(frozen=True, slots=True)
class Alignment:
    """Similarity transform mapping OLD drawing coordinates onto NEW ones.

    ``new = scale * R(rotation) @ old + (dx, dy)``; rotation in degrees, CCW.
    """

    dx: float = 0.0
    dy: float = 0.0
    scale: float = 1.0
    rotation: float = 0.0

    @property
    def is_identity(self) -> bool:
        return self.dx == 0 and self.dy == 0 and self.scale == 1 and self.rotation == 0

    def to_json(self) -> dict[str, float]:
        return {
            "dx": _r(self.dx),
            "dy": _r(self.dy),
            "scale": _r(self.scale, 9),
            "rotation": _r(self.rotation, 9),
        }


IDENTITY = Alignment()


@dataclass(frozen=True, slots=True)
class Change:
    """One added, removed or modified entity (or one changed block definition).

    ``old_index``/``new_index`` index ``Sheet.entities`` (or a ``SheetIndex``) of the old/new
    drawing's sheet ``sheet``; ``bbox`` is in new-drawing coordinates (removed entities are
    mapped through the alignment).
    """

    id: str
    kind: str
    type: str
    layer: str
    bbox: BBox
    sheet: str
    old_handle: str | None = None
    new_handle: str | None = None
    old_index: int | None = None
    new_index: int | None = None
    what: tuple[str, ...] = ()
    details: dict[str, Any] = field(default_factory=dict)
    cluster: int | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id,
            "kind": self.kind,
            "old_handle": self.old_handle,
            "new_handle": self.new_handle,
            "type": self.type,
            "layer": self.layer,
            "bbox": [_r(v) for v in self.bbox],
        }
        if self.kind == MODIFIED:
            out["what"] = list(self.what)
            out["details"] = _jsonable(self.details)
        elif self.details:
            out["details"] = _jsonable(self.details)
        out["cluster"] = self.cluster
        out["sheet"] = self.sheet
        out["old_index"] = self.old_index
        out["new_index"] = self.new_index
        return out


@dataclass(frozen=True, slots=True)
class Cluster:
    """Changes close to each other: one revision cloud."""

    id: int
    sheet: str
    bbox: BBox
    changes: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "bbox": [_r(v) for v in self.bbox],
            "changes": list(self.changes),
            "sheet": self.sheet,
        }


@dataclass(frozen=True, slots=True)
class SheetDiff:
    """The diff of one sheet (layout / page) pair; either side may be absent."""

    name: str
    alignment: Alignment
    changes: tuple[Change, ...]
    clusters: tuple[Cluster, ...]
    unchanged: int
    old_entities: int
    new_entities: int
    old_name: str | None = None
    new_name: str | None = None

    def __bool__(self) -> bool:
        return bool(self.changes)

    @property
    def stats(self) -> dict[str, int]:
        return _stats(self.changes, self.unchanged)

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "old_name": self.old_name,
            "new_name": self.new_name,
            "alignment": self.alignment.to_json(),
            "summary": self.stats,
            "entities": {"old": self.old_entities, "new": self.new_entities},
        }


@dataclass(frozen=True, slots=True)
class FileInfo:
    """One side of the comparison."""

    path: str
    format: str
    entities: int
    blob: str | None = None
    version: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "blob": self.blob,
            "format": self.format,
            "entities": self.entities,
            "path": self.path,
            "version": self.version,
        }


@dataclass(frozen=True, slots=True)
class DiffReport:
    """What changed from OLD to NEW: per-sheet results plus flat views over all of them."""

    old: FileInfo
    new: FileInfo
    sheets: tuple[SheetDiff, ...]
    options: dict[str, Any] = field(default_factory=dict)
    engine: str = ENGINE_VERSION
    #: Equivalent spellings seen (``{"color": 1151}``): listed by ``--strict-style``.
    respellings: dict[str, int] = field(default_factory=dict)
    #: Drawing-level notes (units, measurement, extents, page size) and warnings.
    notes: tuple[dict[str, Any], ...] = ()
    warnings: tuple[str, ...] = ()

    # -- views ------------------------------------------------------------------------------
    @property
    def changes(self) -> tuple[Change, ...]:
        return tuple(c for s in self.sheets for c in s.changes)

    @property
    def clusters(self) -> tuple[Cluster, ...]:
        return tuple(c for s in self.sheets for c in s.clusters)

    @property
    def added(self) -> list[Change]:
        return [c for c in self.changes if c.kind == ADDED]

    @property
    def removed(self) -> list[Change]:
        return [c for c in self.changes if c.kind == REMOVED]

    @property
    def modified(self) -> list[Change]:
        return [c for c in self.changes if c.kind == MODIFIED]

    @property
    def unchanged(self) -> int:
        return sum(s.unchanged for s in self.sheets)

    @property
    def alignment(self) -> Alignment:
        """The alignment of the main sheet (model space / first page)."""
        return self.sheets[0].alignment if self.sheets else IDENTITY

    @property
    def stats(self) -> dict[str, int]:
        return _stats(self.changes, self.unchanged)

    @property
    def tables(self) -> list[Change]:
        """Drawing-level changes (layers, text/dimension styles, units)."""
        return [c for c in self.changes if c.type in TABLE_TYPES]

    def __bool__(self) -> bool:
        return any(self.sheets) or bool(self.options.get("strict_style") and self.respellings)

    def __iter__(self) -> Iterator[Change]:
        return iter(self.changes)

    def change(self, change_id: str) -> Change:
        for c in self.changes:
            if c.id == change_id:
                return c
        raise KeyError(change_id)

    def counts_by(self, attr: str) -> Counter[tuple[str, str]]:
        """``{(value, kind): n}`` for ``attr`` in ``layer``/``type``: the text summary's table."""
        return Counter((getattr(c, attr), c.kind) for c in self.changes)

    # -- serialisation ----------------------------------------------------------------------
    def to_json(self) -> dict[str, Any]:
        """The design.md §4 contract (plus ``sheets`` and ``options``)."""
        return {
            "engine": self.engine,
            "old": self.old.to_json(),
            "new": self.new.to_json(),
            "alignment": self.alignment.to_json(),
            "summary": self.stats,
            "changes": [c.to_json() for c in self.changes],
            "clusters": [c.to_json() for c in self.clusters],
            "sheets": [s.to_json() for s in self.sheets],
            "options": dict(self.options),
            "respellings": [{"kind": k, "count": n} for k, n in sorted(self.respellings.items())],
            "notes": [_jsonable(n) for n in self.notes],
            "warnings": list(self.warnings),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> DiffReport:
        """Rebuild a report from :meth:`to_json` output (the report cache stores that)."""

        def bb(v: Any) -> BBox:
            return (float(v[0]), float(v[1]), float(v[2]), float(v[3]))

        changes: dict[str, list[Change]] = {}
        for c in data["changes"]:
            changes.setdefault(c.get("sheet", ""), []).append(Change(
                id=c["id"], kind=c["kind"], type=c["type"], layer=c["layer"], bbox=bb(c["bbox"]),
                sheet=c.get("sheet", ""), old_handle=c.get("old_handle"),
                new_handle=c.get("new_handle"), old_index=c.get("old_index"),
                new_index=c.get("new_index"), what=tuple(c.get("what") or ()),
                details=c.get("details") or {}, cluster=c.get("cluster"),
            ))
        clusters: dict[str, list[Cluster]] = {}
        for c in data["clusters"]:
            clusters.setdefault(c.get("sheet", ""), []).append(Cluster(
                id=c["id"], sheet=c.get("sheet", ""), bbox=bb(c["bbox"]),
                changes=tuple(c["changes"]),
            ))
        sheets = []
        for s in data.get("sheets", []):
            al = s["alignment"]
            sheets.append(SheetDiff(
                name=s["name"],
                alignment=Alignment(al["dx"], al["dy"], al["scale"], al["rotation"]),
                changes=tuple(changes.get(s["name"], ())),
                clusters=tuple(clusters.get(s["name"], ())),
                unchanged=s["summary"]["unchanged"], old_entities=s["entities"]["old"],
                new_entities=s["entities"]["new"], old_name=s.get("old_name"),
                new_name=s.get("new_name"),
            ))

        def info(d: dict[str, Any]) -> FileInfo:
            return FileInfo(path=d.get("path") or "", format=d.get("format") or "",
                            entities=d.get("entities") or 0, blob=d.get("blob"),
                            version=d.get("version"))

        return cls(old=info(data["old"]), new=info(data["new"]), sheets=tuple(sheets),
                   options=dict(data.get("options") or {}), engine=data["engine"],
                   respellings={r["kind"]: r["count"] for r in data.get("respellings") or ()},
                   notes=tuple(data.get("notes") or ()),
                   warnings=tuple(data.get("warnings") or ()))

    def with_files(self, old: FileInfo, new: FileInfo) -> DiffReport:
        """The same result described as coming from other files (e.g. cached by blob id)."""
        return DiffReport(old=old, new=new, sheets=self.sheets, options=self.options,
                          engine=self.engine, respellings=self.respellings, notes=self.notes,
                          warnings=self.warnings)


#: Kept for readers of style.md: the dvc-data name for the same thing.
DiffResult = DiffReport


def _stats(changes: tuple[Change, ...], unchanged: int) -> dict[str, int]:
    """Entity changes by kind; drawing-level changes under ``tables`` (only when any)."""
    c = Counter(ch.kind for ch in changes if ch.type not in TABLE_TYPES)
    out = {k: c.get(k, 0) for k in KINDS} | {"unchanged": unchanged}
    tables = sum(1 for ch in changes if ch.type in TABLE_TYPES)
    if tables:
        out["tables"] = tables
    return out


def _r(v: float, nd: int = 6) -> float:
    r = round(float(v), nd)
    return 0.0 if r == 0 else r


def _jsonable(value: Any) -> Any:
    if isinstance(value, float):
        return _r(value)
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value
