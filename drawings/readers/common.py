"""What every reader shares once it has built entities: bbox, anchor, fingerprints, extents.

Readers only fill ``kind``, ``layer``, ``handle``, ``geometry``, ``text``, ``style``,
``attribs`` (and ``xdata``); :func:`finish` then derives the rest the same way for DXF, DWG and
PDF, so two files of the same drawing fingerprint equal whatever format they came in.
"""

from __future__ import annotations

import hashlib
import math
from itertools import chain
from operator import attrgetter
from typing import Any

import orjson

from drawings.model import (
    EMPTY_BBOX,
    FINGERPRINT_DECIMALS,
    BBox,
    BlockDef,
    Drawing,
    Entity,
    Point,
    union_of,
)

_ND = FINGERPRINT_DECIMALS
_blake = hashlib.blake2b
_dumps = orjson.dumps

#: geometry keys holding one point / a list of points / a list of (x, y, bulge) / hatch paths.
_PT, _PTS, _VERTS, _PATHS, _ITEMS = 1, 2, 3, 4, 5
POINT_KEYS: dict[str, tuple[tuple[str, int], ...]] = {
    "LINE": (("points", _PTS),),
    "LWPOLYLINE": (("points", _VERTS),),
    "POLYLINE": (("points", _VERTS),),
    "CIRCLE": (("center", _PT),),
    "ARC": (("center", _PT),),
    "ELLIPSE": (("center", _PT),),
    "SPLINE": (("control_points", _PTS), ("fit_points", _PTS)),
    "POINT": (("location", _PT),),
    "TEXT": (("insert", _PT),),
    "ATTRIB": (("insert", _PT),),
    "ATTDEF": (("insert", _PT),),
    "MTEXT": (("insert", _PT),),
    "INSERT": (("insert", _PT),),
    "ACAD_TABLE": (("insert", _PT),),
    "DIMENSION": (("defpoints", _PTS),),
    "HATCH": (("paths", _PATHS),),
    "SOLID": (("points", _PTS),),
    "TRACE": (("points", _PTS),),
    "3DFACE": (("points", _PTS),),
    "LEADER": (("points", _PTS),),
    "MLINE": (("vertices", _PTS),),
    "VIEWPORT": (("center", _PT),),
    "IMAGE": (("insert", _PT),),
    "WIPEOUT": (("insert", _PT),),
    "PATH": (("items", _ITEMS),),
    "RAY": (("start", _PT),),
    "XLINE": (("start", _PT),),
}


# --------------------------------------------------------------------------- canonical form


_SCALE = 10.0**_ND
#: Beyond this a quantised coordinate no longer fits orjson's 64-bit integers.
_MAXQ = 9.0e18


def _r(v: float) -> int | str:
    """A float rounded to ``FINGERPRINT_DECIMALS`` places, as an integer count of those units.

    ``round(x * 1e6)`` is several times faster than ``round(x, 6)`` and has no ``-0.0``.
    """
    q = v * _SCALE
    if -_MAXQ < q < _MAXQ:
        return round(q)
    return repr(v)  # inf, nan, astronomically large


def canon(value: Any) -> Any:
    """Quantise floats, normalise containers: equal content gives equal JSON (model.digest)."""
    t = type(value)
    if t is float:
        q = value * _SCALE
        return round(q) if -_MAXQ < q < _MAXQ else repr(value)
    if t is tuple or t is list:
        return [canon(v) for v in value]
    if t is dict:
        return {k: canon(value[k]) for k in sorted(value)}
    if value is None or t is str or t is int or t is bool:
        return value
    if isinstance(value, float):
        return canon(float(value))
    if isinstance(value, int):
        return int(value)
    return str(value)


def hexdigest(payload: Any) -> str:
    """blake2b-128 hex of the canonical JSON of an already canonical ``payload``."""
    return _blake(_dumps(payload), digest_size=16).hexdigest()


def _shift_pt(p: Any, dx: float, dy: float) -> tuple:
    return (p[0] - dx, p[1] - dy, *p[2:])


def relative_geometry(kind: str, geometry: dict[str, Any], anchor: Point) -> dict[str, Any]:
    """``geometry`` with every position taken relative to ``anchor`` (vectors unchanged)."""
    keys = POINT_KEYS.get(kind)
    if not keys:
        return geometry
    dx, dy = anchor
    g = dict(geometry)
    for key, typ in keys:
        v = g.get(key)
        if v is None:
            continue
        if typ == _PT:
            g[key] = (v[0] - dx, v[1] - dy)
        elif typ in (_PTS, _VERTS):
            g[key] = [_shift_pt(p, dx, dy) for p in v]
        elif typ == _PATHS:
            g[key] = [[_shift_pt(p, dx, dy) for p in path] for path in v]
        elif typ == _ITEMS:
            g[key] = [_shift_item(it, dx, dy) for it in v]
    return g


def _shift_item(item: Any, dx: float, dy: float) -> tuple:
    op = item[0]
    if op == "re":
        x0, y0, x1, y1 = item[1:5]
        return ("re", x0 - dx, y0 - dy, x1 - dx, y1 - dy)
    return (op, *((p[0] - dx, p[1] - dy) for p in item[1:]))


# --------------------------------------------------------------------------- bbox and anchor


def _pts_bbox(pts: Any) -> BBox:
    if not pts:
        return EMPTY_BBOX
    xs = [p[0] for p in pts]
    ys = [p[1] for p in pts]
    return (min(xs), min(ys), max(xs), max(ys))


def _union(a: BBox, b: BBox) -> BBox:
    return (min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3]))


_QUADRANTS = ((0.0, 1.0, 0.0), (90.0, 0.0, 1.0), (180.0, -1.0, 0.0), (270.0, 0.0, -1.0))


def _arc_bbox(cx: float, cy: float, r: float, a0: float, a1: float) -> BBox:
    a0 %= 360.0
    span = (a1 - a0) % 360.0 or 360.0
    t0, t1 = math.radians(a0), math.radians(a0 + span)
    x0, y0 = cx + r * math.cos(t0), cy + r * math.sin(t0)
    x1, y1 = cx + r * math.cos(t1), cy + r * math.sin(t1)
    return _arc_extent(cx, cy, r, a0, span, x0, y0, x1, y1)


def _arc_extent(cx: float, cy: float, r: float, a0: float, span: float,
                x0: float, y0: float, x1: float, y1: float) -> BBox:
    """Bbox of an arc from its end points and the axis extremes (quadrant points) it spans."""
    xmin, xmax = (x0, x1) if x0 < x1 else (x1, x0)
    ymin, ymax = (y0, y1) if y0 < y1 else (y1, y0)
    for q, qx, qy in _QUADRANTS:
        if (q - a0) % 360.0 <= span:
            px, py = cx + r * qx, cy + r * qy
            xmin, xmax = min(xmin, px), max(xmax, px)
            ymin, ymax = min(ymin, py), max(ymax, py)
    return (xmin, ymin, xmax, ymax)


def _verts_bbox(verts: Any, closed: bool) -> BBox:
    if not verts:
        return EMPTY_BBOX
    xs = [v[0] for v in verts]
    ys = [v[1] for v in verts]
    xmin, ymin, xmax, ymax = min(xs), min(ys), max(xs), max(ys)
    n = len(verts)
    for i, v in enumerate(verts):
        if len(v) > 2 and v[2] and (i + 1 < n or closed):
            w = verts[(i + 1) % n]
            bx0, by0, bx1, by1 = _bulge_bbox(v[0], v[1], w[0], w[1], v[2])
            xmin, ymin = min(xmin, bx0), min(ymin, by0)
            xmax, ymax = max(xmax, bx1), max(ymax, by1)
    return (xmin, ymin, xmax, ymax)


def _bulge_bbox(x0: float, y0: float, x1: float, y1: float, b: float) -> BBox:
    """Exact bbox of the arc segment from (x0, y0) to (x1, y1) with bulge ``b``."""
    dx, dy = x1 - x0, y1 - y0
    chord2 = dx * dx + dy * dy
    if chord2 == 0.0:
        return (x0, y0, x0, y0)
    k = (1.0 - b * b) / (4.0 * b)  # centre offset from the chord middle, per chord length
    cx, cy = (x0 + x1) / 2 - dy * k, (y0 + y1) / 2 + dx * k
    r = math.sqrt(chord2) * (1.0 + b * b) / (4.0 * abs(b))
    a0 = math.degrees(math.atan2(y0 - cy, x0 - cx))
    a1 = math.degrees(math.atan2(y1 - cy, x1 - cx))
    if b < 0:
        a0, a1 = a1, a0
    span = (a1 - a0) % 360.0
    return _arc_extent(cx, cy, r, a0, span, x0, y0, x1, y1)


def _text_bbox(x: float, y: float, h: float, rot: float, wf: float, text: str | None) -> BBox:
    s = text or ""
    w = sum(1.0 if ord(c) > 0x2E7F else 0.6 for c in s) * h * (wf or 1.0)
    c, sn = math.cos(math.radians(rot)), math.sin(math.radians(rot))
    pts = [
        (x, y),
        (x + w * c, y + w * sn),
        (x - h * sn, y + h * c),
        (x + w * c - h * sn, y + w * sn + h * c),
    ]
    return _pts_bbox(pts)


def _mtext_bbox(g: dict[str, Any], text: str | None) -> BBox:
    x, y = g["insert"]
    h = g.get("height") or 1.0
    lines = (text or "").split("\n")
    w = g.get("width") or max(sum(1.0 if ord(c) > 0x2E7F else 0.6 for c in ln) for ln in lines) * h
    total_h = h * (1 + 1.667 * (len(lines) - 1))
    att = int(g.get("attachment") or 1)
    col, row = (att - 1) % 3, (att - 1) // 3
    x0 = -w * col / 2
    y1 = total_h * row / 2
    rot = g.get("rotation") or 0.0
    c, sn = math.cos(math.radians(rot)), math.sin(math.radians(rot))
    corners = [(x0, y1), (x0 + w, y1), (x0, y1 - total_h), (x0 + w, y1 - total_h)]
    return _pts_bbox([(x + px * c - py * sn, y + px * sn + py * c) for px, py in corners])


def _ellipse_bbox(g: dict[str, Any]) -> BBox:
    cx, cy = g["center"]
    mx, my = g["major_axis"]
    ratio = g.get("ratio") or 1.0
    nx, ny = -my * ratio, mx * ratio
    t0, t1 = g.get("start_param", 0.0), g.get("end_param", math.tau)
    span = (t1 - t0) % math.tau or math.tau
    steps = max(8, int(span / (math.tau / 64)))
    pts = []
    for i in range(steps + 1):
        t = t0 + span * i / steps
        pts.append(
            (cx + mx * math.cos(t) + nx * math.sin(t), cy + my * math.cos(t) + ny * math.sin(t))
        )
    return _pts_bbox(pts)


def transform_bbox(box: BBox, g: dict[str, Any], base: Point) -> BBox:
    """Block-space ``box`` placed by an INSERT's insert/scale/rotation (corners transformed)."""
    if box[0] > box[2]:
        return EMPTY_BBOX
    ix, iy = g["insert"]
    sx, sy = g.get("scale", (1.0, 1.0))
    rot = math.radians(g.get("rotation", 0.0))
    c, s = math.cos(rot), math.sin(rot)
    bx, by = base
    out = []
    for px, py in ((box[0], box[1]), (box[2], box[1]), (box[0], box[3]), (box[2], box[3])):
        px, py = (px - bx) * sx, (py - by) * sy
        out.append((ix + px * c - py * s, iy + px * s + py * c))
    cols, rows = g.get("columns", 1), g.get("rows", 1)
    if cols > 1 or rows > 1:
        dx, dy = g.get("column_spacing", 0.0), g.get("row_spacing", 0.0)
        ex, ey = (cols - 1) * dx, (rows - 1) * dy
        out += [(x + ex * c - ey * s, y + ex * s + ey * c) for x, y in out]
    return _pts_bbox(out)


def entity_bbox(e: Entity, blocks: dict[str, BlockDef], block_boxes: dict[str, BBox]) -> BBox:
    g = e.geometry
    k = e.kind
    try:
        if k == "LINE":
            (x0, y0), (x1, y1) = g["points"]
            return (min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1))
        if k == "MLINE":
            from drawings.readers.dxf_fast import mline_paths

            pts = [(p[i], p[i + 1]) for p in mline_paths(g) for i in range(0, len(p), 2)]
            return _pts_bbox(pts or g["vertices"])
        if k in ("SOLID", "TRACE", "3DFACE", "LEADER"):
            return _pts_bbox(g["points"])
        if k in ("LWPOLYLINE", "POLYLINE"):
            return _verts_bbox(g["points"], g.get("closed", False))
        if k == "CIRCLE":
            (cx, cy), r = g["center"], g["radius"]
            return (cx - r, cy - r, cx + r, cy + r)
        if k == "ARC":
            (cx, cy) = g["center"]
            return _arc_bbox(cx, cy, g["radius"], g["start_angle"], g["end_angle"])
        if k == "ELLIPSE":
            return _ellipse_bbox(g)
        if k == "SPLINE":
            return _pts_bbox(g.get("control_points") or g.get("fit_points"))
        if k == "POINT":
            x, y = g["location"]
            return (x, y, x, y)
        if k in ("TEXT", "ATTRIB", "ATTDEF") or (k == "TEXT" and "font" in g):
            x, y = g["insert"]
            return _text_bbox(
                x,
                y,
                g.get("height", 1.0),
                g.get("rotation", 0.0),
                g.get("width_factor", 1.0),
                e.text,
            )
        if k == "MTEXT":
            return _mtext_bbox(g, e.text)
        if k == "INSERT":
            name = g["block"]
            bd = blocks.get(name)
            box = transform_bbox(
                block_boxes.get(name, EMPTY_BBOX), g, bd.base_point if bd else (0.0, 0.0)
            )
            if box[0] > box[2]:
                x, y = g["insert"]
                box = (x, y, x, y)
            return box
        if "proxy" in g:  # the saved picture, as a block in world coordinates
            return block_boxes.get(g.get("block", ""), EMPTY_BBOX)
        if k == "ACAD_TABLE":  # its block is in table coordinates, moved by the insert only
            x, y = g["insert"]
            bb = block_boxes.get(g.get("block", ""), EMPTY_BBOX)
            if bb[0] > bb[2]:
                return (x, y, x, y)
            return (bb[0] + x, bb[1] + y, bb[2] + x, bb[3] + y)
        if k == "DIMENSION":
            box = _pts_bbox(g.get("defpoints"))
            name = g.get("block")
            if name and name in block_boxes:
                bb = block_boxes[name]
                if bb[0] <= bb[2]:
                    box = _union(box, bb) if box[0] <= box[2] else bb
            return box
        if k == "HATCH":
            box = EMPTY_BBOX
            for path in g.get("paths", ()):
                box = _union(box, _verts_bbox(path, True))
            return box
        if k == "VIEWPORT":
            (x, y), w, h = g["center"], g.get("width", 0.0), g.get("height", 0.0)
            return (x - w / 2, y - h / 2, x + w / 2, y + h / 2)
        if k in ("IMAGE", "WIPEOUT"):
            x, y = g["insert"]
            ux, uy = g.get("u", (1.0, 0.0))
            vx, vy = g.get("v", (0.0, 1.0))
            w, h = g.get("size", (1.0, 1.0))
            pts = [
                (x, y),
                (x + ux * w, y + uy * w),
                (x + vx * h, y + vy * h),
                (x + ux * w + vx * h, y + uy * w + vy * h),
            ]
            return _pts_bbox(pts)
        if k == "PATH":
            pts = []
            for it in g.get("items", ()):
                if it[0] == "re":
                    pts += [(it[1], it[2]), (it[3], it[4])]
                else:
                    pts += list(it[1:])
            return _pts_bbox(pts)
    except (KeyError, TypeError, ValueError, ZeroDivisionError, IndexError):
        return EMPTY_BBOX
    return EMPTY_BBOX


_FIRST_POINT = {"LINE": "points", "LWPOLYLINE": "points", "POLYLINE": "points"}
_ONE_POINT = {
    "CIRCLE": "center",
    "ARC": "center",
    "TEXT": "insert",
    "MTEXT": "insert",
    "INSERT": "insert",
    "POINT": "location",
    "ATTDEF": "insert",
    "ELLIPSE": "center",
}


def entity_anchor(e: Entity) -> Point:
    """A reference point that moves with the entity; used to make :attr:`Entity.shape`."""
    g = e.geometry
    k = e.kind
    key = _ONE_POINT.get(k)
    if key is not None and key in g:
        p = g[key]
        return (p[0], p[1])
    key = _FIRST_POINT.get(k)
    if key is not None and g.get(key):
        p = g[key][0]
        return (p[0], p[1])
    keys = POINT_KEYS.get(k)
    if keys:
        for key, typ in keys:
            v = g.get(key)
            if not v:
                continue
            if typ == _PT:
                return (v[0], v[1])
            if typ in (_PTS, _VERTS):
                return (v[0][0], v[0][1])
            if typ == _PATHS and v[0]:
                return (v[0][0][0], v[0][0][1])
            if typ == _ITEMS:
                it = v[0]
                return (it[1], it[2]) if it[0] == "re" else (it[1][0], it[1][1])
    if e.bbox[0] <= e.bbox[2]:
        return (e.bbox[0], e.bbox[1])
    return (0.0, 0.0)


# --------------------------------------------------------------------------- fingerprints
# The fingerprinted content is [kind, layer, geometry relative to the anchor, text, style,
# attribs, referenced block digest] as canonical JSON: ``shape`` hashes exactly that,
# ``fingerprint`` hashes it followed by the rounded anchor.  So both come from one
# serialisation, and equal content at an equal place gives an equal fingerprint.


def _rel_line(g: dict, ax: float, ay: float) -> dict:
    (x0, y0), (x1, y1) = g["points"]
    return {"points": [[_r(x0 - ax), _r(y0 - ay)], [_r(x1 - ax), _r(y1 - ay)]]}


def _rel_center(g: dict, ax: float, ay: float) -> dict:
    out = {k: canon(v) for k, v in sorted(g.items())}
    cx, cy = g["center"]
    out["center"] = [_r(cx - ax), _r(cy - ay)]
    return out


def _rel_insert(g: dict, ax: float, ay: float) -> dict:
    out = {k: canon(v) for k, v in sorted(g.items())}
    x, y = g["insert"]
    out["insert"] = [_r(x - ax), _r(y - ay)]
    return out


def _rel_verts(g: dict, ax: float, ay: float) -> dict:
    pts = g["points"]
    if all(len(p) == 3 for p in pts):
        # unchecked round(): inf/nan raise (caller falls back), huge values fail in orjson
        rel = [
            [round((x - ax) * _SCALE), round((y - ay) * _SCALE), round(b * _SCALE)]
            for x, y, b in pts
        ]
    else:
        rel = [[_r(p[0] - ax), _r(p[1] - ay), *(_r(x) for x in p[2:])] for p in pts]
    return {k: rel if k == "points" else canon(v) for k, v in sorted(g.items())}


def _rel_point(g: dict, ax: float, ay: float) -> dict:
    x, y = g["location"]
    return {"location": [_r(x - ax), _r(y - ay)]}


_REL = {
    "LINE": _rel_line,
    "CIRCLE": _rel_center,
    "ARC": _rel_center,
    "TEXT": _rel_insert,
    "MTEXT": _rel_insert,
    "INSERT": _rel_insert,
    "LWPOLYLINE": _rel_verts,
    "POLYLINE": _rel_verts,
    "POINT": _rel_point,
}


def canonical_relative(kind: str, geometry: dict[str, Any], anchor: Point) -> Any:
    """Canonical (rounded, key-sorted) geometry relative to ``anchor``."""
    fast = _REL.get(kind)
    if fast is not None:
        try:
            return fast(geometry, anchor[0], anchor[1])
        except (KeyError, TypeError, ValueError, OverflowError):
            pass
    return canon(relative_geometry(kind, geometry, anchor))


_TEXT_KINDS = frozenset(("TEXT", "MTEXT", "ATTRIB", "ATTDEF"))
#: Kinds drawn from a block definition: their fingerprint includes the block's (so do
#: entities drawn from their saved proxy picture, see ``dxf_fast._proxy_graphic``).
_BLOCK_REFS = frozenset(("INSERT", "DIMENSION", "ACAD_TABLE", "MULTILEADER", "MLEADER",
                         "ACAD_PROXY_ENTITY"))


#: Font names that all mean "the CAD program's default font".
_DEFAULT_FONTS = frozenset(("", "txt", "standard"))


def _font(name: str) -> str:
    name = name.replace("\\", "/").rsplit("/", 1)[-1].strip().lower()
    # "arial.ttf" in the style table and "Arial" in its XDATA are one font
    name = name[:-4] if name.endswith((".shx", ".ttf", ".ttc", ".otf")) else name
    return "txt" if name in _DEFAULT_FONTS else name


def font_name(name: str) -> str:
    """A font file name as the fingerprints compare it (no folder, case, ``.shx``/``.ttf``; the
    default font's spellings are one)."""
    return _font(name)


def style_signatures(drawing: Drawing) -> dict[str, str]:
    """Upper-case text style name -> its definition, as the fingerprint sees a style."""
    out = {}
    for name, st in drawing.text_styles.items():
        parts = [_font(st.get("font") or ""), _font(st.get("bigfont") or ""),
                 _r(st.get("width") or 1.0), _r(st.get("oblique") or 0.0),
                 _r(st.get("height") or 0.0)]  # fmt: skip
        out[name.upper()] = "|".join(map(str, parts))
    return out


def fingerprint_entity(
    e: Entity, block_fps: dict[str, str], styles: dict[str, str] | None = None
) -> None:
    """Set ``e.shape`` and ``e.fingerprint`` (see the comment above)."""
    kind = e.kind
    g = e.geometry
    if styles and kind in _TEXT_KINDS and type(g.get("style")) is str:
        g = {**g, "style": styles.get(g["style"].upper(), g["style"])}
    ref = None
    if kind in _BLOCK_REFS:
        name = g.get("block", "")
        ref = block_fps.get(name)
        if name.startswith("*"):
            g = dict(g)
            g["block"] = "*"  # anonymous block names are renumbered freely by CAD programs
    st = e.style
    attribs = e.attribs
    head = [kind, e.layer]
    tail = [
        e.text,
        [st.get("color"), st.get("linetype"), st.get("lineweight")],
        {k: attribs[k] for k in sorted(attribs)} if attribs else None,
        ref,
    ]
    try:
        data = _dumps([*head, canonical_relative(kind, g, e.anchor), *tail])
    except orjson.JSONEncodeError:  # astronomically large coordinates: the checked path
        data = _dumps([*head, canon(relative_geometry(kind, g, e.anchor)), *tail])
    e.shape = _blake(data, digest_size=16).hexdigest()
    ax, ay = e.anchor
    e.fingerprint = _blake(data + _dumps([_r(ax), _r(ay)]), digest_size=16).hexdigest()


class FinishContext:
    """What finishing an entity depends on besides the entity: the block definitions (their
    digests and boxes, for INSERT and DIMENSION) and the text style signatures."""

    __slots__ = ("blocks", "block_boxes", "block_fps", "styles")

    def __init__(self, drawing: Drawing) -> None:
        self.blocks = drawing.blocks
        self.block_fps: dict[str, str] = {}
        self.block_boxes: dict[str, BBox] = {}
        self.styles = style_signatures(drawing)

    def entity(self, e: Entity) -> None:
        _finish_entity(e, self.blocks, self.block_boxes, self.block_fps, self.styles)

    def entities(self, entities: list[Entity]) -> None:
        blocks, boxes, fps, styles = self.blocks, self.block_boxes, self.block_fps, self.styles
        for e in entities:
            _finish_entity(e, blocks, boxes, fps, styles)


def finish_blocks(drawing: Drawing, known: dict[str, tuple[str, BBox]] | None = None
                  ) -> FinishContext:
    """Finish every block definition (entities, digest, box); the context for the sheets.
    ``known`` gives (digest, box) of definitions already finished in the same context."""
    ctx = FinishContext(drawing)
    blocks, block_fps, block_boxes = ctx.blocks, ctx.block_fps, ctx.block_boxes
    for name, (fp, box) in (known or {}).items():
        block_fps[name], block_boxes[name] = fp, box
    visiting: set[str] = set()

    def do_block(name: str) -> None:
        if name in block_fps or name in visiting:
            return
        bd = blocks.get(name)
        if bd is None:
            return
        visiting.add(name)
        for e in bd.entities:
            ref = e.geometry.get("block") if e.kind in _BLOCK_REFS else None
            if ref:
                do_block(ref)
        box = EMPTY_BBOX
        for e in bd.entities:
            ctx.entity(e)
            if e.kind not in ("ATTDEF",):
                box = _union(box, e.bbox)
        visiting.discard(name)
        block_boxes[name] = box
        bd.fingerprint = hexdigest(
            [canon(bd.base_point), sorted(e.fingerprint for e in bd.entities)]
        )
        block_fps[name] = bd.fingerprint

    for name in blocks:
        do_block(name)
    return ctx


def sheet_extents(entities: list[Entity]) -> BBox:
    """Union of the finite boxes of a sheet's entities (viewports left out)."""
    if len(entities) < 256:
        boxes = [e.bbox for e in entities if e.kind != "VIEWPORT" and e.bbox[0] <= e.bbox[2]]
        boxes = [b for b in boxes if math.isfinite(b[0]) and math.isfinite(b[3])]
        return union_of(boxes) or EMPTY_BBOX
    import numpy as np

    try:
        a = np.fromiter(chain.from_iterable(map(attrgetter("bbox"), entities)), dtype=float,
                        count=4 * len(entities)).reshape(-1, 4)
    except ValueError:  # a box that is not four numbers
        a = np.array([e.bbox for e in entities], dtype=float).reshape(-1, 4)
    keep = (a[:, 0] <= a[:, 2]) & np.isfinite(a[:, 0]) & np.isfinite(a[:, 3])
    vp = [i for i, e in enumerate(entities) if e.kind == "VIEWPORT"]
    if vp:
        keep[vp] = False
    a = a[keep]
    if not len(a):
        return EMPTY_BBOX
    lo, hi = a[:, :2].min(axis=0), a[:, 2:].max(axis=0)
    return (float(lo[0]), float(lo[1]), float(hi[0]), float(hi[1]))


def finish(drawing: Drawing) -> Drawing:
    """Fill bbox, anchor, fingerprint and shape of every entity, block digests, sheet extents."""
    ctx = finish_blocks(drawing)
    for sheet in drawing.sheets:
        for e in sheet.entities:
            ctx.entity(e)
        sheet.extents = sheet_extents(sheet.entities)
    return drawing


def _finish_entity(
    e: Entity, blocks: dict, block_boxes: dict, block_fps: dict, styles: dict[str, str]
) -> None:
    if e.kind == "INSERT":
        try:
            _fast_insert(e, blocks, block_boxes, block_fps)
            return
        except (KeyError, TypeError, ValueError, IndexError, OverflowError):
            pass  # arrays, unusual geometry: the general path below copes
    fast = _FAST.get(e.kind)
    if fast is not None:
        try:
            fast(e, styles)
            return
        except (KeyError, TypeError, ValueError, IndexError, OverflowError):
            pass  # unusual geometry: the general path below copes
    e.bbox = entity_bbox(e, blocks, block_boxes)
    e.anchor = entity_anchor(e)
    fingerprint_entity(e, block_fps, styles)


# Fast paths for the most common kinds: the same bbox, anchor and serialisation as the general
# functions above, in one step (tests/drawings/test_readers.py checks they agree).


_AFFIXES: dict[tuple, tuple[bytes, bytes]] = {}


def _q(*values: float) -> tuple[int, ...]:
    """Quantised values for the byte templates; raises where :func:`_r` would spell a string."""
    out = []
    for v in values:
        f = v * _SCALE
        if not -_MAXQ < f < _MAXQ:
            raise OverflowError(v)
        out.append(round(f))
    return tuple(out)


def _q2(a: float, b: float) -> tuple[int, int]:
    fa, fb = a * _SCALE, b * _SCALE
    if -_MAXQ < fa < _MAXQ and -_MAXQ < fb < _MAXQ:
        return (round(fa), round(fb))
    raise OverflowError((a, b))


def _seal(e: Entity, rel: bytes, ax: float, ay: float) -> None:
    """Fingerprint and shape from ``rel``, the canonical JSON of the relative geometry.

    The JSON around it depends only on kind, layer, text and style: it is made by orjson once
    per combination, so the bytes are exactly those of :func:`fingerprint_entity`.
    """
    st = e.style
    key = (e.kind, e.layer, e.text, st.get("color"), st.get("linetype"), st.get("lineweight"))
    affixes = _AFFIXES.get(key)
    if affixes is None:
        head = _dumps([e.kind, e.layer])[:-1] + b","
        tail = b"," + _dumps([e.text, [key[3], key[4], key[5]], None, None])[1:]
        affixes = _AFFIXES[key] = (head, tail)
        if len(_AFFIXES) > 100_000:
            _AFFIXES.clear()
    h = _blake(affixes[0] + rel + affixes[1], digest_size=16)
    e.shape = h.hexdigest()
    h.update(b"[%d,%d]" % _q2(ax, ay))
    e.fingerprint = h.hexdigest()


def _fast_line(e: Entity, styles: dict[str, str]) -> None:
    (x0, y0), (x1, y1) = e.geometry["points"]
    if len(e.geometry) != 1:
        raise KeyError("points")
    e.bbox = (x0 if x0 < x1 else x1, y0 if y0 < y1 else y1, x1 if x0 < x1 else x0,
              y1 if y0 < y1 else y0)  # fmt: skip
    e.anchor = (x0, y0)
    _seal(e, b'{"points":[[0,0],[%d,%d]]}' % _q2(x1 - x0, y1 - y0), x0, y0)


def _fast_circle(e: Entity, styles: dict[str, str]) -> None:
    g = e.geometry
    (cx, cy), r = g["center"], g["radius"]
    if len(g) != 2:
        raise KeyError("center")
    e.bbox = (cx - r, cy - r, cx + r, cy + r)
    e.anchor = (cx, cy)
    _seal(e, b'{"center":[0,0],"radius":%d}' % _q(r), cx, cy)


def _fast_arc(e: Entity, styles: dict[str, str]) -> None:
    g = e.geometry
    (cx, cy), r, a0, a1 = g["center"], g["radius"], g["start_angle"], g["end_angle"]
    if len(g) != 4:
        raise KeyError("center")
    e.bbox = _arc_bbox(cx, cy, r, a0, a1)
    e.anchor = (cx, cy)
    rel = b'{"center":[0,0],"end_angle":%d,"radius":%d,"start_angle":%d}' % _q(a1, r, a0)
    _seal(e, rel, cx, cy)


def _fast_point(e: Entity, styles: dict[str, str]) -> None:
    g = e.geometry
    x, y = g["location"]
    if len(g) != 1:
        raise KeyError("location")
    e.bbox = (x, y, x, y)
    e.anchor = (x, y)
    _seal(e, b'{"location":[0,0]}', x, y)


_LWPOLYLINE_KEYS = frozenset(("points", "closed", "width"))


def _fast_lwpolyline(e: Entity, styles: dict[str, str]) -> None:
    g = e.geometry
    pts = g["points"]
    if g.keys() != _LWPOLYLINE_KEYS or not pts:
        raise KeyError("points")
    closed = g["closed"]
    e.bbox = _verts_bbox(pts, closed)
    ax, ay = pts[0][0], pts[0][1]
    e.anchor = (ax, ay)
    big = _MAXQ / _SCALE
    for x, y, b in pts:  # unpacking also insists on (x, y, bulge) vertices
        if not (-big < x - ax < big and -big < y - ay < big and -big < b < big):
            raise OverflowError(x)
    rel = {
        "closed": closed,
        "points": [[round((x - ax) * _SCALE), round((y - ay) * _SCALE), round(b * _SCALE)]
                   for x, y, b in pts],
        "width": _r(g["width"]),
    }  # fmt: skip
    if type(closed) is not bool:
        raise TypeError("closed")
    _seal(e, _dumps(rel), ax, ay)


_TEXT_KEYS = frozenset(
    ("insert", "height", "rotation", "width_factor", "halign", "valign", "style")
)


def _fast_text(e: Entity, styles: dict[str, str]) -> None:
    g = e.geometry
    if g.keys() != _TEXT_KEYS or "font" in g:
        raise KeyError("insert")
    x, y = g["insert"]
    h, rot, wf = g["height"], g["rotation"], g["width_factor"]
    ha, va, style = g["halign"], g["valign"], g["style"]
    if type(ha) is not int or type(va) is not int or type(style) is not str:
        raise TypeError("text geometry")
    e.bbox = _text_bbox(x, y, h, rot, wf, e.text)
    e.anchor = (x, y)
    style = styles.get(style.upper(), style) if styles else style
    rel = {"halign": ha, "height": _r(h), "insert": [0, 0], "rotation": _r(rot), "style": style,
           "valign": va, "width_factor": _r(wf)}  # fmt: skip
    _seal_text(e, rel, x, y)


def _seal_text(e: Entity, rel: dict, x: float, y: float) -> None:
    """Like :func:`_seal` for entities with text: one orjson call, nothing worth caching."""
    st = e.style
    style = [st.get("color"), st.get("linetype"), st.get("lineweight")]
    h = _blake(_dumps([e.kind, e.layer, rel, e.text, style, None, None]), digest_size=16)
    e.shape = h.hexdigest()
    h.update(b"[%d,%d]" % _q2(x, y))
    e.fingerprint = h.hexdigest()


_MTEXT_KEYS = frozenset(("insert", "height", "rotation", "width", "attachment", "style"))


def _fast_mtext(e: Entity, styles: dict[str, str]) -> None:
    g = e.geometry
    if g.keys() != _MTEXT_KEYS:
        raise KeyError("insert")
    x, y = g["insert"]
    att, style = g["attachment"], g["style"]
    if type(att) is not int or type(style) is not str:
        raise TypeError("mtext geometry")
    e.bbox = _mtext_bbox(g, e.text)
    e.anchor = (x, y)
    style = styles.get(style.upper(), style) if styles else style
    rel = {"attachment": att, "height": _r(g["height"]), "insert": [0, 0],
           "rotation": _r(g["rotation"]), "style": style, "width": _r(g["width"])}  # fmt: skip
    _seal_text(e, rel, x, y)


_INSERT_KEYS = frozenset(("insert", "scale", "rotation", "block"))


def _fast_insert(e: Entity, blocks: dict, block_boxes: dict, block_fps: dict) -> None:
    """INSERT without array: :func:`transform_bbox` and :func:`fingerprint_entity` inlined."""
    g = e.geometry
    if g.keys() != _INSERT_KEYS:
        raise KeyError("insert")
    name = g["block"]
    (ix, iy), (sx, sy), rot = g["insert"], g["scale"], g["rotation"]
    if type(name) is not str or type(rot) is not float or type(sx) is not float \
            or type(sy) is not float:
        raise TypeError("insert geometry")  # canon() keeps ints as they are
    box = block_boxes.get(name, EMPTY_BBOX)
    if box[0] > box[2]:
        e.bbox = (ix, iy, ix, iy)
    else:
        bd = blocks.get(name)
        bx, by = bd.base_point if bd else (0.0, 0.0)
        r = math.radians(rot)
        c, s = math.cos(r), math.sin(r)
        xs, ys = [], []
        for px, py in ((box[0], box[1]), (box[2], box[1]), (box[0], box[3]), (box[2], box[3])):
            px, py = (px - bx) * sx, (py - by) * sy
            xs.append(ix + px * c - py * s)
            ys.append(iy + px * s + py * c)
        e.bbox = (min(xs), min(ys), max(xs), max(ys))
    e.anchor = (ix, iy)
    st = e.style
    attribs = e.attribs
    rel = {"block": "*" if name.startswith("*") else name, "insert": [0, 0],
           "rotation": _q(rot)[0], "scale": list(_q(sx, sy))}  # fmt: skip
    data = _dumps([
        "INSERT", e.layer, rel, e.text,
        [st.get("color"), st.get("linetype"), st.get("lineweight")],
        {k: attribs[k] for k in sorted(attribs)} if attribs else None,
        block_fps.get(name),
    ])  # fmt: skip
    h = _blake(data, digest_size=16)
    e.shape = h.hexdigest()
    h.update(b"[%d,%d]" % _q2(ix, iy))
    e.fingerprint = h.hexdigest()


_FAST = {
    "LINE": _fast_line,
    "CIRCLE": _fast_circle,
    "ARC": _fast_arc,
    "POINT": _fast_point,
    "LWPOLYLINE": _fast_lwpolyline,
    "TEXT": _fast_text,
    "MTEXT": _fast_mtext,
}
