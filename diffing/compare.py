"""Compare two drawings (or their stored indexes) sheet by sheet into a :class:`DiffReport`."""

from __future__ import annotations

import hashlib
import os
from collections import Counter
from pathlib import Path
from typing import Any

from diffing.appearance import Respellings
from diffing.cluster import cluster_regions, group_bbox
from diffing.crossformat import cross_format, one_sided_kinds
from diffing.crossformat import warnings as format_warnings
from diffing.describe import text_style_tables
from diffing.engine import SheetMatch, match_sheet
from diffing.geometry import bbox_union, finite_bbox, transform_bbox, values_equal
from diffing.notes import drawing_notes, sheet_move
from diffing.report import (
    ADDED,
    ENGINE_VERSION,
    MODIFIED,
    REMOVED,
    Change,
    Cluster,
    DiffReport,
    FileInfo,
    SheetDiff,
)
from diffing.tables import affected, table_changes, unit_factor
from diffing.views import SheetView, block_fingerprints, fp_array, sheet_views
from drawings import paused_gc
from storage.display import display_path

#: Default absolute tolerance by format: CAD files in drawing units, PDF in points.
DEFAULT_TOLERANCE = {"dxf": 1e-4, "dwg": 1e-4, "pdf": 0.15}
#: Revision clouds join changes closer than this share of the sheet's diagonal.
CLUSTER_SHARE = 0.02
#: ... and no cloud grows beyond this share of it (scattered edits get several clouds).
CLOUD_MAX_SHARE = 0.2
_KIND_ORDER = {MODIFIED: 0, REMOVED: 1, ADDED: 2}


def default_tolerance(*formats: str) -> float:
    return max(DEFAULT_TOLERANCE.get(f, 1e-4) for f in formats) if formats else 1e-4


def _pair_sheets(old: list[SheetView], new: list[SheetView], only: str | None):
    """(old view | None, new view | None) pairs: by name, then leftovers in order."""
    if only is not None:
        o = [s for s in old if s.name == only]
        n = [s for s in new if s.name == only]
        if not o and not n:
            from storage.errors import NotFound

            names = sorted({s.name for s in old} | {s.name for s in new})
            raise NotFound(f"no sheet named {only!r} (sheets: {', '.join(names)})")
        old, new = o, n
    by_name = {s.name: s for s in new}
    pairs: list[tuple[SheetView | None, SheetView | None]] = []
    rest_old = []
    used: set[str] = set()
    for s in old:
        if s.name in by_name and s.name not in used:
            pairs.append((s, by_name[s.name]))
            used.add(s.name)
        else:
            rest_old.append(s)
    rest_new = [s for s in new if s.name not in used]
    while rest_old and rest_new:
        pairs.append((rest_old.pop(0), rest_new.pop(0)))
    pairs += [(s, None) for s in rest_old]
    pairs += [(None, s) for s in rest_new]
    return pairs


def _empty_view(name: str) -> SheetView:
    return SheetView(name=name, fingerprints=fp_array([]), handles=[],
                     entity=lambda i: None)  # type: ignore[arg-type,return-value]


def _block_view(name: str, block: Any) -> SheetView:
    ents = list(block.entities)
    return SheetView(name=name, fingerprints=fp_array([e.fingerprint for e in ents]),
                     handles=[None] * len(ents), entity=ents.__getitem__)


def _changed_blocks(old: Any, new: Any, **opts: Any) -> frozenset[str]:
    """Named block definitions whose content differs beyond the options (tolerance, style).

    Digests differ for any change at all; the definitions are then compared with the engine
    itself, so e.g. renamed text styles inside a block do not count under ``ignore_style``.
    """
    ob, nb = block_fingerprints(old), block_fingerprints(new)
    suspects = {n for n in ob.keys() & nb.keys() if not n.startswith("*") and ob[n] != nb[n]}
    if not suspects:
        return frozenset()
    changed: set[str] = set()
    for name in sorted(suspects):
        a, b = old.blocks[name], new.blocks[name]
        if not values_equal(tuple(a.base_point), tuple(b.base_point), opts["tol"]):
            changed.add(name)
            continue
        m = match_sheet(_block_view(name, a), _block_view(name, b), use_handles=False,
                        changed_blocks=frozenset(suspects - {name}), **opts)
        if m.modified or m.added or m.removed:
            changed.add(name)
    return frozenset(changed)


def _sheet_changes(m: SheetMatch, ov: SheetView, nv: SheetView) -> list[dict[str, Any]]:
    """Change fields (no id, no cluster yet) for one sheet; block changes folded per block."""
    al = m.alignment
    out: list[dict[str, Any]] = []
    blocks: dict[str, dict[str, Any]] = {}
    for mod in m.modified:
        a, b = ov.entity(mod.old), nv.entity(mod.new)
        bb = bbox_union(transform_bbox(al, a.bbox), b.bbox)
        if mod.what == ("block",):
            name = mod.details["block"]
            g = blocks.get(name)
            if g is None:
                g = blocks[name] = {
                    "kind": MODIFIED, "type": "BLOCK", "layer": b.layer, "bbox": bb,
                    "old_handle": None, "new_handle": None, "old_index": None,
                    "new_index": None, "what": ("block",),
                    "details": {"block": name, "references": []},
                }
                out.append(g)
            g["bbox"] = bbox_union(g["bbox"], bb)
            g["details"]["references"].append(
                {"old_handle": a.handle, "new_handle": b.handle,
                 "old_index": mod.old, "new_index": mod.new}
            )
            continue
        out.append({
            "kind": MODIFIED, "type": b.kind, "layer": b.layer, "bbox": bb,
            "old_handle": a.handle, "new_handle": b.handle, "old_index": mod.old,
            "new_index": mod.new, "what": mod.what, "details": mod.details,
        })
    for i in m.removed:
        a = ov.entity(i)
        out.append({
            "kind": REMOVED, "type": a.kind, "layer": a.layer,
            "bbox": transform_bbox(al, a.bbox), "old_handle": a.handle, "new_handle": None,
            "old_index": i, "new_index": None,
        })
    for j in m.added:
        b = nv.entity(j)
        out.append({
            "kind": ADDED, "type": b.kind, "layer": b.layer, "bbox": b.bbox,
            "old_handle": None, "new_handle": b.handle, "old_index": None, "new_index": j,
        })
    return out


def _info(src: Any, path: str | None, blob: str | None) -> FileInfo:
    n = 0
    for s in src.sheets:
        n += len(s) if hasattr(s, "__len__") else len(s.fingerprints)
    return FileInfo(
        path=path or getattr(src, "path", "") or "",
        format=getattr(src, "format", "") or "",
        entities=n,
        blob=blob,
        version=getattr(src, "version", None),
    )


def diff_drawings(
    old: Any,
    new: Any,
    *,
    tolerance: float | None = None,
    ignore_style: bool = False,
    include_xdata: bool = False,
    sheet: str | None = None,
    old_blob: str | None = None,
    new_blob: str | None = None,
    old_path: str | None = None,
    new_path: str | None = None,
    new_handle_fix: dict[int, str] | None = None,
    strict_style: bool = False,
    strict_position: bool = False,
) -> DiffReport:
    """Diff two ``Drawing`` or ``DrawingIndex`` objects (any mix).

    ``new_handle_fix``: NEW's handles for entity objects it shares with OLD (``diff_files``).
    ``strict_style``: appearance-equal respellings (ACI vs the identical true colour...) make
    the report non-empty (they are always counted in ``respellings``).  ``strict_position``:
    a PDF page moved as a whole is a change too (CAD model space always is).
    """
    # The engine allocates little but runs beside two big object graphs: the cyclic GC would
    # rescan those again and again for nothing (it doubled the run time on 100k entities).
    with paused_gc():
        return _diff_drawings(old, new, tolerance=tolerance, ignore_style=ignore_style,
                              include_xdata=include_xdata, sheet=sheet, old_blob=old_blob,
                              new_blob=new_blob, old_path=_shown(old_path),
                              new_path=_shown(new_path), new_handle_fix=new_handle_fix,
                              strict_style=strict_style, strict_position=strict_position)


def _shown(path: str | None) -> str | None:
    """A path as the report shows it: printable and JSON-safe whatever bytes name it."""
    return None if path is None else display_path(path)


def _kinds(drawing: Any) -> Counter[str]:
    """Entity kinds over all sheets of a drawing (or a stored index)."""
    out: Counter[str] = Counter()
    for v in sheet_views(drawing):
        out.update(e.kind for e in _entities(v))
    return out


def _entities(view: SheetView | None) -> list[Any]:
    return [] if view is None else [view.entity(i) for i in range(len(view))]


def _place_tables(table: list[dict[str, Any]], sheet_pairs: list,
                  blocks: list[Any]) -> dict[int, list]:
    """Each table change on the sheet where most of its entities are (the first sheet when
    none), with the number of entities it affects over all sheets and their box there.
    A layer or style no entity uses (in the sheets or in ``blocks``) is left out."""
    placed: dict[int, list[dict[str, Any]]] = {}
    if not table:
        return placed
    sides = [_entities(nv if nv is not None else ov) for ov, nv in sheet_pairs]
    for ch in table:
        counts = [affected(ch, ents) for ents in sides]
        total = sum(n for n, _ in counts)
        if not total and ch["type"] != "HEADER" and not any(
                affected(ch, b.entities)[0] for b in blocks):
            continue  # a table entry nothing uses: invisible either way
        best = max(range(len(counts)), key=lambda k: counts[k][0]) if counts else 0
        ch["details"]["entities"] = total
        bb = counts[best][1] if counts else None
        ch["bbox"] = bb if bb is not None and finite_bbox(bb) else (0.0, 0.0, 0.0, 0.0)
        placed.setdefault(best, []).append(ch)
    return placed


def _diff_drawings(
    old: Any,
    new: Any,
    *,
    tolerance: float | None,
    ignore_style: bool,
    include_xdata: bool,
    sheet: str | None,
    old_blob: str | None,
    new_blob: str | None,
    old_path: str | None,
    new_path: str | None,
    new_handle_fix: dict[int, str] | None = None,
    strict_style: bool = False,
    strict_position: bool = False,
) -> DiffReport:
    fmts = tuple(f for f in (getattr(old, "format", ""), getattr(new, "format", "")) if f)
    tol = default_tolerance(*fmts) if tolerance is None else float(tolerance)
    use_handles = "pdf" not in fmts
    cad = bool(fmts) and set(fmts) <= {"dxf", "dwg"}
    layers = (getattr(old, "layers", None) or {}, getattr(new, "layers", None) or {})
    text_styles = text_style_tables(old, new)
    respelt = Respellings()
    changed_blocks = _changed_blocks(old, new, tol=tol, ignore_style=ignore_style,
                                     include_xdata=include_xdata, layers=layers,
                                     text_styles=text_styles)
    sheet_pairs = _pair_sheets(sheet_views(old), sheet_views(new, new_handle_fix), sheet)
    factor = unit_factor(getattr(old, "units", ""), getattr(new, "units", "")) if cad else None
    cross: Counter[str] | None = Counter() if cross_format(fmts) else None
    one_sided = one_sided_kinds(*(_kinds(v) for v in (old, new))) if cross is not None else {}

    pending: list[tuple[str, str | None, str | None, SheetMatch, list[dict[str, Any]], int, int]]
    pending = []
    for ov, nv in sheet_pairs:
        name = (nv or ov).name  # type: ignore[union-attr]
        ov_ = ov or _empty_view(name)
        nv_ = nv or _empty_view(name)
        m = match_sheet(ov_, nv_, tol=tol, ignore_style=ignore_style,
                        include_xdata=include_xdata, use_handles=use_handles,
                        changed_blocks=changed_blocks,
                        layers=layers, text_styles=text_styles, respellings=respelt,
                        scale_hint=factor, cross=cross)
        changes = _sheet_changes(m, ov_, nv_)
        if one_sided:  # said once in the warnings instead
            changes = [c for c in changes if c["type"] not in one_sided]
        move = sheet_move(m.alignment, ov_, nv_, cad=cad, strict_position=strict_position,
                          unit_factor=factor)
        if move is not None:
            changes.insert(0, move)
        pending.append((name, ov.name if ov is not None else None,
                        nv.name if nv is not None else None, m, changes, len(ov_), len(nv_)))
    # layers and style tables compare like with like: a PDF's layers are not a CAD file's
    same_model = cad or set(fmts) == {"pdf"}
    table = table_changes(old, new, respelt, ignore_style=ignore_style) if same_model else []
    placed = _place_tables(table, sheet_pairs,
                           list((getattr(new, "blocks", None) or {}).values()))
    warnings = [w for p in pending if (w := _match_warning(p[0], p[3], p[5], p[6], fmts))]
    if cross is not None:
        warnings += format_warnings(fmts, one_sided, cross)

    next_change, next_cluster = 1, 1
    sheets: list[SheetDiff] = []
    for k, (name, oname, nname, m, changes, n_old, n_new) in enumerate(pending):
        whole = [c for c in changes if c["type"] == "SHEET"]
        changes = [c for c in changes if c["type"] != "SHEET"]
        boxes = [c["bbox"] for c in changes]
        gap = max(CLUSTER_SHARE * (m.extent_diag or 0.0), tol * 10)
        groups = cluster_regions(boxes, gap, max(CLOUD_MAX_SHARE * (m.extent_diag or 0.0),
                                                 gap * 4))
        built: list[Change] = []
        clusters: list[Cluster] = []
        for c in whole:  # the sheet as a whole: no cloud (it would be the whole sheet)
            built.append(_built(c, f"c{next_change}", name, None))
            next_change += 1
        for members in groups:
            cid = next_cluster
            next_cluster += 1
            ids = []
            for i in sorted(members, key=lambda i: (_KIND_ORDER[changes[i]["kind"]],
                                                    changes[i]["new_index"] or -1,
                                                    changes[i]["old_index"] or -1)):
                built.append(_built(changes[i], f"c{next_change}", name, cid))
                ids.append(built[-1].id)
                next_change += 1
            clusters.append(Cluster(id=cid, sheet=name, bbox=group_bbox(boxes, members),
                                    changes=tuple(ids)))
        for c in placed.get(k, ()):  # drawing-level: no cloud either
            built.append(_built(c, f"c{next_change}", name, None))
            next_change += 1
        sheets.append(SheetDiff(
            name=name, alignment=m.alignment, changes=tuple(built), clusters=tuple(clusters),
            unchanged=m.unchanged, old_entities=n_old, new_entities=n_new,
            old_name=oname, new_name=nname,
        ))
    return DiffReport(
        old=_info(old, old_path, old_blob),
        new=_info(new, new_path, new_blob),
        sheets=tuple(sheets),
        options={"tolerance": tol, "ignore_style": ignore_style,
                 "include_xdata": include_xdata, "sheet": sheet,
                 "strict_style": strict_style, "strict_position": strict_position},
        engine=ENGINE_VERSION,
        respellings=dict(respelt),
        notes=tuple(drawing_notes(old, new)),
        warnings=tuple(warnings),
    )


#: Below this share of entities matched, a sheet pair is said to have no common ground.
MATCH_WARN_SHARE = 0.05


def _match_warning(name: str, m: SheetMatch, n_old: int, n_new: int,
                   fmts: tuple[str, ...]) -> str | None:
    """A warning when two non-empty sheets share almost nothing: all-added/all-removed then
    says more about the comparison than about the drawing (a DXF against the PDF plotted from
    it: no plot transform found; the wrong sheet or file)."""
    if not n_old or not n_new or m.unchanged + len(m.modified) > MATCH_WARN_SHARE * min(
            n_old, n_new):
        return None
    kinds = set(fmts)
    if "pdf" in kinds and kinds & {"dxf", "dwg"}:
        why = ("未找到出图变换 no plot transform found between the CAD drawing and the PDF: "
               "its entities and the PDF's paths are counted as removed and added")
    else:
        why = ("几乎没有共同内容 almost nothing in common: check that the two files are "
               "revisions of one drawing")
    return (f"[{name}] {why} ({m.unchanged + len(m.modified)} of {min(n_old, n_new)} "
            f"matched)")


def _built(c: dict[str, Any], chid: str, sheet: str, cluster: int | None) -> Change:
    bb = c["bbox"] if finite_bbox(c["bbox"]) else (0.0, 0.0, 0.0, 0.0)
    return Change(
        id=chid, kind=c["kind"], type=c["type"], layer=c["layer"], bbox=bb, sheet=sheet,
        old_handle=c["old_handle"], new_handle=c["new_handle"], old_index=c["old_index"],
        new_index=c["new_index"], what=tuple(c.get("what", ())),
        details=c.get("details") or {}, cluster=cluster,
    )


def sha256_file(path: str | os.PathLike[str]) -> str:
    from drawings import open_regular

    h = hashlib.sha256()
    with open_regular(path, display_path(path)) as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def check_complete(path: str | os.PathLike[str]) -> None:
    """Refuse a truncated file: the recovering DXF reader would read what is left, and the
    diff would then report everything after the cut as removed."""
    from drawings import (
        HEAD_SIZE,
        TAIL_SIZE,
        UploadLimits,
        check_complete,
        detect_format,
        file_error,
        open_regular,
    )

    label = display_path(path)
    try:
        with open_regular(path, label, UploadLimits.from_env().per_file) as f:
            head = f.read(HEAD_SIZE)
            f.seek(0, os.SEEK_END)
            size = f.tell()
            f.seek(max(0, size - TAIL_SIZE))
            tail = f.read()
    except OSError as e:
        raise file_error(label, e) from None
    check_complete(label, detect_format(head, label).format, tail)


def read_drawing(path: str | os.PathLike[str]) -> Any:
    """Read a whole, undamaged file through the drawings package (lazy: readers are heavy)."""
    from drawings import read  # type: ignore[attr-defined]

    check_complete(path)
    return read(str(path))


#: Set to "0" to read each file on its own (the reference path the tests compare against).
PAIR_ENV = "YITAOTU_DIFF_PAIR"


def read_dxf_pair(old_path: str | os.PathLike[str], new_path: str | os.PathLike[str],
                  *, strict: bool = False) -> tuple[Any, Any, dict[int, str]] | None:
    """Both drawings through ``drawings.readers.pair`` when both are whole ASCII DXF files;
    None where that does not apply (the caller reads each file alone).  The new drawing shares
    entity objects with the old one; the third item maps those with another handle in the
    new file to that handle (``diff_drawings(new_handle_fix=...)``).  ``strict`` raises
    instead of returning None on an unexpected failure (tests)."""
    if os.environ.get(PAIR_ENV, "1") == "0":
        return None
    from drawings import HEAD_SIZE, NotApplicable, detect_format, read_pair_shared

    try:
        check_complete(old_path)
        check_complete(new_path)
        for p in (old_path, new_path):
            with open(p, "rb") as f:
                if detect_format(f.read(HEAD_SIZE), str(p)).format != "dxf":
                    return None
        old, new, _, fix = read_pair_shared(Path(old_path), Path(new_path),
                                            display_path(old_path), display_path(new_path))
    except NotApplicable:
        return None
    except Exception:
        if strict:
            raise
        return None  # the files are read alone, where errors are reported properly
    return old, new, fix


def diff_files(
    old_path: str | os.PathLike[str],
    new_path: str | os.PathLike[str],
    *,
    tolerance: float | None = None,
    ignore_style: bool = False,
    include_xdata: bool = False,
    sheet: str | None = None,
    strict_style: bool = False,
    strict_position: bool = False,
) -> DiffReport:
    """Read both files (DXF, DWG, PDF in any mix) and diff them.

    Two ASCII DXF files are read together (:func:`read_dxf_pair`): the entities the new file
    shares with the old one are parsed once.  The drawings, and so the report, are the same.
    """
    # hundreds of thousands of objects and no cycles: the cyclic GC would only rescan them
    with paused_gc():
        pair = read_dxf_pair(old_path, new_path)
        fix = None
        if pair is None:
            old = read_drawing(old_path)
            new = read_drawing(new_path)
        else:
            old, new, fix = pair
        del pair
        return _diff_read(old, new, old_path, new_path, tolerance=tolerance,
                          ignore_style=ignore_style, include_xdata=include_xdata, sheet=sheet,
                          new_handle_fix=fix, strict_style=strict_style,
                          strict_position=strict_position)


def _diff_read(old: Any, new: Any, old_path: Any, new_path: Any, *, tolerance: float | None,
               ignore_style: bool, include_xdata: bool, sheet: str | None,
               new_handle_fix: dict[int, str] | None, strict_style: bool = False,
               strict_position: bool = False) -> DiffReport:
    return diff_drawings(
        old, new, tolerance=tolerance, ignore_style=ignore_style, include_xdata=include_xdata,
        sheet=sheet, old_blob=sha256_file(old_path), new_blob=sha256_file(new_path),
        old_path=str(old_path), new_path=str(new_path), new_handle_fix=new_handle_fix,
        strict_style=strict_style, strict_position=strict_position,
    )
