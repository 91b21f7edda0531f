"""What changed between two set versions, for reviewers and the one-third rule.

Set level (sheets added/removed/changed) comes from the manifests alone.  Per-sheet changes
(change ids, bboxes, clusters) come from the diff engine (``diffing``) through the single
function :func:`measure_sheet`; when it cannot produce a report (no blob store, unreadable
sheet, a failing diff) it raises :class:`NotMeasured` with the reason.  :func:`sheet_report`
turns that into None for callers that fall back to "the sheet changed, region unknown"; the
one-third rule must not, and flags the sheet "not measured" instead.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

BBox = tuple[float, float, float, float]


@dataclass
class SheetChanges:
    """Changes of one sheet between two revisions, as the workflow needs them."""

    changes: list[dict[str, Any]] = field(default_factory=list)  # {"id", "kind", "bbox"}
    clusters: list[BBox] = field(default_factory=list)
    extents: BBox | None = None

    def changed_fraction(self) -> float | None:
        """Area of the union of the change clusters ÷ the sheet's extents (None if unknown)."""
        if not self.extents:
            return None
        x0, y0, x1, y1 = self.extents
        total = (x1 - x0) * (y1 - y0)
        if total <= 0:
            return None
        from shapely.geometry import box
        from shapely.ops import unary_union

        boxes = [box(*b) for b in self.clusters if b[2] >= b[0] and b[3] >= b[1]]
        if not boxes:
            return 0.0
        clip = box(*self.extents)
        return min(unary_union(boxes).intersection(clip).area / total, 1.0)

    def touches(self, region: Any) -> bool:
        """Does any change bbox meet the shapely ``region``?"""
        from shapely.geometry import box

        return any(box(*c["bbox"]).buffer(1e-9).intersects(region) for c in self.changes
                   if c.get("bbox"))


def set_diff(old_manifest: dict[str, dict[str, Any]] | None,
             new_manifest: dict[str, dict[str, Any]]) -> dict[str, list[str]]:
    old_manifest = old_manifest or {}
    return {
        "added": sorted(set(new_manifest) - set(old_manifest)),
        "removed": sorted(set(old_manifest) - set(new_manifest)),
        "changed": sorted(k for k in set(old_manifest) & set(new_manifest)
                          if (old_manifest[k]["blob"], old_manifest[k].get("page"))
                          != (new_manifest[k]["blob"], new_manifest[k].get("page"))),
    }


class NotMeasured(Exception):
    """The diff engine could not compare a sheet's two revisions; ``reason`` says why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def merged(base: dict[str, dict[str, Any]], src: dict[str, dict[str, Any]],
           sheets: list[str]) -> dict[str, dict[str, Any]]:
    """Manifest ``base`` with ``sheets`` taken from ``src`` (a sheet ``src`` lacks is removed):
    what an approval or a change does to `approved` and `current`."""
    out = dict(base)
    for no in sheets:
        if no in src:
            out[no] = src[no]
        else:
            out.pop(no, None)
    return out


def sheet_report(blobs: Any, old: dict[str, Any], new: dict[str, Any]) -> SheetChanges | None:
    """:func:`measure_sheet`, or None when it cannot tell."""
    try:
        return measure_sheet(blobs, old, new)
    except NotMeasured:
        return None


def measure_sheet(blobs: Any, old: dict[str, Any], new: dict[str, Any]) -> SheetChanges:
    """Per-sheet changes from the diff engine; :class:`NotMeasured` when it cannot tell.
    This is the one place the workflow calls ``diffing``.

    When both manifest entries name their stored index (``"index"``, written at ingest), the
    diff runs on the indexes (no file is parsed; only unmatched entities are decoded);
    otherwise (e.g. an opinion carried from an older revision passes only blob and page), or
    if the indexes cannot be used, both blobs are read and parsed."""
    if blobs is None:
        raise NotMeasured("没有文件存储 no blob store to read the sheets from")
    if old.get("format") == "ifc" or new.get("format") == "ifc":
        return _model_changes(blobs, old, new)
    if old.get("index") and new.get("index"):
        out = _from_indexes(blobs, old, new)
        if out is not None:
            return out
    try:
        import diffing
        import drawings

        a = drawings.read(blobs.read_bytes(old["blob"]), name=f"{old['blob'][:12]}")
        b = drawings.read(blobs.read_bytes(new["blob"]), name=f"{new['blob'][:12]}")
        data = diffing.diff_drawings(a, b, old_blob=old["blob"], new_blob=new["blob"]).to_json()
    except Exception as e:  # noqa: BLE001 - any failure of reading or diffing: not measured
        lines = str(e).strip().splitlines()
        raise NotMeasured(f"比对失败 diff failed: {type(e).__name__}: "
                          f"{lines[0] if lines else ''}".rstrip(": ")) from e
    out = _from_report(data)
    page = new.get("page") or 1
    sheet = b.sheets[page - 1] if len(b.sheets) >= page else (b.sheets[0] if b.sheets else None)
    if sheet is not None:
        _set_extents(out, sheet.extents)
    return out


#: Half the side of the plan box a changed model element stands for (m): an opinion anchored
#: at an element's plan position is affected when that element changed.
ELEMENT_BOX = 0.5


def _model_changes(blobs: Any, old: dict[str, Any], new: dict[str, Any]) -> SheetChanges:
    """A model's changes as the workflow needs them: one plan box per changed element, with
    its GlobalIds (an opinion anchored to an element is affected when that element changed).
    The old entry may be only ``{"blob", "page"}`` (a carried opinion's)."""
    try:
        import diffing

        report = diffing.diff_model_entries(blobs, old, new, label=new["blob"][:12])
    except Exception as e:  # noqa: BLE001 - any failure of reading or diffing: not measured
        lines = str(e).strip().splitlines()
        raise NotMeasured(f"比对失败 diff failed: {type(e).__name__}: "
                          f"{lines[0] if lines else ''}".rstrip(": ")) from e
    d = ELEMENT_BOX
    changes = []
    for c in report.changes:
        p = c.position
        box = [p[0] - d, p[1] - d, p[0] + d, p[1] + d] if p else None
        changes.append({"id": c.id, "kind": c.kind, "bbox": box, "guid": c.new_guid,
                        "old_guid": c.old_guid})
    return SheetChanges(changes, [tuple(c["bbox"]) for c in changes if c["bbox"]], None)


def _from_indexes(blobs: Any, old: dict[str, Any], new: dict[str, Any]) -> SheetChanges | None:
    """:func:`sheet_report` from the stored indexes; None when they cannot be used."""
    try:
        import diffing
        from diffing import load_sheet_index

        data = diffing.diff_entries(None, blobs, old, new).to_json()
        # the index of the new entry, narrowed to its page: the sheet the changes are on
        sheets = load_sheet_index(blobs, new, f"new {new['blob'][:12]}").sheets
        extents = sheets[0].extents if sheets else None
    except Exception:  # noqa: BLE001 - a missing or damaged index: read the blobs instead
        return None
    out = _from_report(data)
    if extents is not None:
        _set_extents(out, extents)
    return out


def _set_extents(out: SheetChanges, extents: Any) -> None:
    ext = tuple(float(v) for v in extents)
    if all(abs(v) != float("inf") for v in ext) and ext[2] > ext[0] and ext[3] > ext[1]:
        out.extents = ext  # type: ignore[assignment]


def _from_report(data: dict[str, Any]) -> SheetChanges:
    changes = [{"id": c.get("id"), "kind": c.get("kind"), "bbox": c.get("bbox")}
               for c in data.get("changes", [])]
    clusters = [tuple(c["bbox"]) for c in data.get("clusters", []) if c.get("bbox")]
    return SheetChanges(changes, clusters, None)


def fingerprints(blobs: Any, entry: dict[str, Any] | None) -> Counter[bytes]:
    """The multiset of entity fingerprints of a manifest entry (every sheet of the file, or its
    page), from the index stored at ingest, else by reading the blob.  Empty for no entry."""
    if entry is None:
        return Counter()
    from drawings import index as drawing_index

    label = f"{entry['blob'][:12]}"
    if entry.get("format") == "ifc":  # a model: its elements' content fingerprints
        from diffing import load_model_index

        model = load_model_index(blobs, entry, label)
        return Counter(bytes.fromhex(e.fingerprint) for e in model.elements)
    if entry.get("index"):
        idx = drawing_index.loads(blobs.read_bytes(entry["index"]), label)
    else:
        import drawings

        idx = drawing_index.build(drawings.read(blobs.read_bytes(entry["blob"]), name=label))
    sheets = idx.sheets
    page = entry.get("page")
    if page:
        sheets = [sheets[int(page) - 1]] if 1 <= int(page) <= len(sheets) else []
    return Counter(fp.tobytes() for sh in sheets for fp in sh.fingerprints)


def lost_edits(blobs: Any, base: dict[str, Any] | None, current: dict[str, Any] | None,
               new: dict[str, Any] | None) -> dict[str, int]:
    """Three-way check of one sheet: ``base`` -> ``current`` are edits that became effective
    meanwhile; does ``new`` (a rebased revision) still carry them?  Counts the entities those
    edits added that ``new`` lacks and the ones they removed that ``new`` still has."""
    b, c, n = (fingerprints(blobs, e) for e in (base, current, new))
    added, removed = c - b, b - c
    missing = added - n
    kept_removed = removed - (b - n)
    return {"missing": sum(missing.values()), "revived": sum(kept_removed.values()),
            "added_meanwhile": sum(added.values()), "removed_meanwhile": sum(removed.values())}


def same_entry(a: dict[str, Any] | None, b: dict[str, Any] | None) -> bool:
    """The same sheet revision (blob and page), or both absent."""
    if a is None or b is None:
        return a is b
    return (a["blob"], a.get("page")) == (b["blob"], b.get("page"))
