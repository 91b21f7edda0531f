"""A DXF of the new drawing with the changes marked, for reviewers working in CAD.

Layers: ``YTT-ADDED`` (copies of added entities), ``YTT-REMOVED`` (ghost copies of removed
entities, mapped through the alignment), ``YTT-MODIFIED`` (copies of the new state of modified
entities) and ``YTT-CLOUD`` (a revision cloud, an LWPOLYLINE with bulges, around each cluster).
When the new drawing is a DXF it is copied as is; otherwise its entities are redrawn from the
neutral model.
"""

from __future__ import annotations

import math
import os
import tempfile
from pathlib import Path
from typing import Any

from diffing.geometry import bbox_diag, finite_bbox, transform_bbox, transform_geometry
from diffing.report import ADDED, IDENTITY, MODIFIED, REMOVED, Alignment, DiffReport

LAYERS = {
    "YTT-ADDED": 3,  # green
    "YTT-REMOVED": 1,  # red
    "YTT-MODIFIED": 30,  # orange
    "YTT-CLOUD": 6,  # magenta
}
LAYER_OF = {ADDED: "YTT-ADDED", REMOVED: "YTT-REMOVED", MODIFIED: "YTT-MODIFIED"}


def cloud_vertices(bbox, arc: float) -> list[tuple[float, float, float]]:
    """Vertices (x, y, bulge) of a closed revision cloud around ``bbox``, scallops outward."""
    x0, y0, x1, y1 = bbox
    corners = [(x0, y0), (x1, y0), (x1, y1), (x0, y1)]  # counter-clockwise
    out: list[tuple[float, float, float]] = []
    bulge = 0.6  # positive: arc to the right of travel, i.e. outside a CCW loop
    for k in range(4):
        (ax, ay), (bx, by) = corners[k], corners[(k + 1) % 4]
        length = math.hypot(bx - ax, by - ay)
        n = max(1, round(length / arc))
        for s in range(n):
            t = s / n
            out.append((ax + (bx - ax) * t, ay + (by - ay) * t, bulge))
    return out


def _rect(x0, y0, x1, y1):
    return [(x0, y0), (x1, y0), (x1, y1), (x0, y1)]


def emit(space: Any, e: Any, layer: str, al: Alignment = IDENTITY) -> None:
    """Draw a neutral-model entity into an ezdxf layout (simplified where needed)."""
    g = transform_geometry(e.geometry, al) if not al.is_identity else e.geometry
    attribs = {"layer": layer}
    k = e.kind
    try:
        if k == "LINE":
            p, q = g["points"][:2]
            space.add_line(p[:2], q[:2], dxfattribs=attribs)
        elif k in ("LWPOLYLINE", "POLYLINE"):
            pts = [(p[0], p[1], 0, 0, p[2] if len(p) > 2 else 0) for p in g["points"]]
            space.add_lwpolyline(pts, format="xyseb", close=bool(g.get("closed")),
                                 dxfattribs=attribs)
        elif k == "CIRCLE":
            space.add_circle(g["center"][:2], g["radius"], dxfattribs=attribs)
        elif k == "ARC":
            space.add_arc(g["center"][:2], g["radius"], g["start_angle"], g["end_angle"],
                          dxfattribs=attribs)
        elif k == "ELLIPSE":
            space.add_ellipse(g["center"][:2], major_axis=g["major_axis"][:2],
                              ratio=min(1.0, g.get("ratio", 1.0)),
                              start_param=g.get("start_param", 0.0),
                              end_param=g.get("end_param", math.tau), dxfattribs=attribs)
        elif k == "POINT":
            space.add_point(g["location"][:2], dxfattribs=attribs)
        elif k in ("TEXT", "ATTRIB", "ATTDEF"):
            space.add_text(e.text or "", height=g.get("height") or 1.0,
                           rotation=g.get("rotation") or 0.0,
                           dxfattribs=attribs | {"insert": g["insert"][:2]})
        elif k == "MTEXT":
            space.add_mtext(e.text or "", dxfattribs=attribs | {
                "insert": g["insert"][:2], "char_height": g.get("height") or 1.0,
                "rotation": g.get("rotation") or 0.0,
                "attachment_point": int(g.get("attachment") or 1)})
        elif k == "INSERT" and g.get("block") in space.doc.blocks:
            sx, sy = (g.get("scale") or (1.0, 1.0))[:2]
            space.add_blockref(g["block"], g["insert"][:2], dxfattribs=attribs | {
                "xscale": sx, "yscale": sy, "rotation": g.get("rotation") or 0.0})
        elif k == "HATCH":
            for path in g.get("paths", ()):
                pts = [(p[0], p[1], 0, 0, p[2] if len(p) > 2 else 0) for p in path]
                if len(pts) >= 2:
                    space.add_lwpolyline(pts, format="xyseb", close=True, dxfattribs=attribs)
        elif k in ("SOLID", "TRACE", "3DFACE", "LEADER", "SPLINE"):
            pts = g.get("points") or g.get("fit_points") or g.get("control_points") or []
            if len(pts) >= 2:
                space.add_lwpolyline([p[:2] for p in pts], close=k != "LEADER" and k != "SPLINE",
                                     dxfattribs=attribs)
        elif k == "PATH":
            for it in g.get("items", ()):
                if it[0] == "re":
                    space.add_lwpolyline(_rect(*it[1:5]), close=True, dxfattribs=attribs)
                elif len(it) >= 3:
                    space.add_lwpolyline([p[:2] for p in it[1:]], dxfattribs=attribs)
        else:
            _box(space, transform_bbox(al, e.bbox), attribs)
    except Exception:  # noqa: BLE001 - a marker must never fail the report: draw its box
        _box(space, transform_bbox(al, e.bbox), attribs)


def _box(space: Any, bb, attribs) -> None:
    if finite_bbox(bb):
        space.add_lwpolyline(_rect(*bb), close=True, dxfattribs=attribs)


def _open_target(new_drawing: Any, new_path: str):
    import ezdxf

    if new_drawing is not None and (
        getattr(new_drawing, "format", "") != "dxf" or _is_r12(new_drawing)
    ):
        # DWG, PDF and R12 DXF (no LWPOLYLINE/MTEXT): redraw into a fresh R2013 DXF
        doc = ezdxf.new("R2013", setup=False)
        for sheet in new_drawing.sheets:
            space = _space(doc, sheet.name)
            for e in sheet.entities:
                if e.kind in ("VIEWPORT", "ATTDEF"):
                    continue
                layer = e.layer or "0"
                if layer not in doc.layers:
                    doc.layers.add(layer)
                emit(space, e, layer)
        return doc
    try:
        return ezdxf.readfile(new_path)
    except ezdxf.DXFStructureError:
        from ezdxf import recover

        doc, _ = recover.readfile(new_path)
        return doc


def _is_r12(drawing: Any) -> bool:
    v = str(getattr(drawing, "version", "") or "")
    return v.startswith("AC") and v[2:].isdigit() and v <= "AC1009"


def _space(doc: Any, sheet_name: str):
    names = {n.lower(): n for n in doc.layout_names()}
    n = names.get(sheet_name.lower())
    if n is not None and n.lower() != "model":
        return doc.layouts.get(n)
    return doc.modelspace()


def write_markup_dxf(
    report: DiffReport,
    new_drawing_path: str | os.PathLike[str],
    out_path: str | os.PathLike[str],
    *,
    old_drawing: Any = None,
    new_drawing: Any = None,
) -> Path:
    """Write the marked-up DXF atomically; the drawings are read again when not passed."""
    from diffing.compare import read_drawing

    new_path = str(new_drawing_path)
    if new_drawing is None:
        new_drawing = read_drawing(new_path)
    if old_drawing is None and any(c.kind == REMOVED for c in report.changes):
        old_drawing = read_drawing(report.old.path)
    doc = _open_target(new_drawing, new_path)
    for name, color in LAYERS.items():
        if name not in doc.layers:
            doc.layers.add(name, color=color)
    for sd in report.sheets:
        space = _space(doc, sd.name)
        old_sheet = _sheet(old_drawing, sd.old_name) if old_drawing is not None else None
        new_sheet = _sheet(new_drawing, sd.new_name)
        for c in sd.changes:
            layer = LAYER_OF[c.kind]
            if c.kind == REMOVED and old_sheet is not None and c.old_index is not None:
                emit(space, old_sheet.entities[c.old_index], layer, sd.alignment)
            elif c.new_index is not None and new_sheet is not None:
                emit(space, new_sheet.entities[c.new_index], layer)
            else:
                _box(space, c.bbox, {"layer": layer})
        diag = max((bbox_diag(cl.bbox) for cl in sd.clusters), default=0.0)
        for cl in sd.clusters:
            bb = cl.bbox
            size = max(bb[2] - bb[0], bb[3] - bb[1])
            margin = max(size * 0.1, diag * 0.02, 1e-3)
            grown = (bb[0] - margin, bb[1] - margin, bb[2] + margin, bb[3] + margin)
            arc = max(grown[2] - grown[0], grown[3] - grown[1]) / 8
            space.add_lwpolyline(cloud_vertices(grown, arc), format="xyb", close=True,
                                 dxfattribs={"layer": "YTT-CLOUD"})
    out = Path(out_path)
    fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent or ".")
    os.close(fd)
    try:
        doc.saveas(tmp)
        os.replace(tmp, out)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return out


def _sheet(drawing: Any, name: str | None):
    if drawing is None or name is None:
        return None
    for s in drawing.sheets:
        if s.name == name:
            return s
    return None
