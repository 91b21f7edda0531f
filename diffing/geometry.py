"""Walk, transform and compare the canonical geometry dicts of ``drawings.model.Entity``.

Points live under a known set of keys (see the model's schema); everything else is a scalar,
a vector or a flag.  A similarity transform maps points, scales lengths and rotates angles, so
an old entity can be compared with its new counterpart in the new drawing's coordinates.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from diffing.report import Alignment

#: Geometry keys whose values are points or (nested) lists of points.
POINT_KEYS = frozenset(
    {"points", "center", "insert", "location", "defpoints", "control_points", "fit_points",
     "paths", "items", "vertices", "start", "end", "text_midpoint"}
)
#: Lengths: multiplied by the transform's scale.
LENGTH_KEYS = frozenset({"radius", "height", "width", "pattern_scale", "measurement"})
#: Angles in degrees: the transform's rotation is added.
ANGLE_KEYS = frozenset({"rotation", "start_angle", "end_angle", "pattern_angle"})
#: Keys never compared: anonymous block names are renumbered by every CAD program.
IGNORED_KEYS = frozenset({"block_handle", "owner"})

Point = tuple[float, float]
PointFn = Callable[[float, float], tuple[float, float]]


def _is_num(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def is_point(v: Any) -> bool:
    return isinstance(v, list | tuple) and 2 <= len(v) <= 3 and all(_is_num(x) for x in v)


def map_points(value: Any, f: PointFn) -> Any:
    """Apply ``f`` to every point in ``value`` (a point, a list of points, nested lists, or
    PDF path items like ``("l", p1, p2)``/``("re", x0, y0, x1, y1)``)."""
    if is_point(value):
        x, y = f(float(value[0]), float(value[1]))
        return (x, y, *value[2:])
    if isinstance(value, list | tuple):
        if value and isinstance(value[0], str):
            if value[0] == "re" and len(value) == 5 and all(_is_num(v) for v in value[1:]):
                x0, y0 = f(float(value[1]), float(value[2]))
                x1, y1 = f(float(value[3]), float(value[4]))
                return ("re", min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1))
            return (value[0], *(map_points(v, f) for v in value[1:]))
        return [map_points(v, f) for v in value]
    return value


def iter_points(value: Any):
    """Yield every point found in ``value`` (same structure rules as :func:`map_points`)."""
    if is_point(value):
        yield (float(value[0]), float(value[1]))
    elif isinstance(value, list | tuple):
        if value and isinstance(value[0], str):
            if value[0] == "re" and len(value) == 5:
                yield (float(value[1]), float(value[2]))
                yield (float(value[3]), float(value[4]))
                return
            value = value[1:]
        for v in value:
            yield from iter_points(v)


def point_fn(al: Alignment) -> PointFn:
    if al.scale == 1 and al.rotation == 0:
        dx, dy = al.dx, al.dy
        return lambda x, y: (x + dx, y + dy)
    c = math.cos(math.radians(al.rotation)) * al.scale
    s = math.sin(math.radians(al.rotation)) * al.scale
    dx, dy = al.dx, al.dy
    return lambda x, y: (c * x - s * y + dx, s * x + c * y + dy)


def transform_point(al: Alignment, p: Point) -> Point:
    return point_fn(al)(p[0], p[1])


def transform_bbox(al: Alignment, bb: tuple[float, float, float, float]):
    if al.is_identity or not all(math.isfinite(v) for v in bb):
        return bb
    f = point_fn(al)
    pts = [f(bb[0], bb[1]), f(bb[2], bb[1]), f(bb[2], bb[3]), f(bb[0], bb[3])]
    xs = [p[0] for p in pts]
    ys = [p[1] for p in pts]
    return (min(xs), min(ys), max(xs), max(ys))


def transform_geometry(geom: dict[str, Any], al: Alignment) -> dict[str, Any]:
    """``geom`` mapped into the new drawing's coordinates."""
    if al.is_identity:
        return geom
    f = point_fn(al)
    similar = not (al.scale == 1 and al.rotation == 0)
    out: dict[str, Any] = {}
    for k, v in geom.items():
        if k in POINT_KEYS:
            out[k] = map_points(v, f)
        elif similar and k in LENGTH_KEYS and _is_num(v):
            # a solid fill has no pattern: its nominal scale does not follow the drawing
            out[k] = v if k == "pattern_scale" and geom.get("solid") else v * al.scale
        elif (similar and k == "scale" and isinstance(v, list | tuple)
              and all(_is_num(x) for x in v)):
            out[k] = tuple(x * al.scale for x in v)  # a block reference's (sx, sy)
        elif similar and k in ANGLE_KEYS and _is_num(v):
            out[k] = (v + al.rotation) % 360.0
        elif similar and k in ("major_axis", "u", "v") and is_point(v):
            c = math.cos(math.radians(al.rotation)) * al.scale
            s = math.sin(math.radians(al.rotation)) * al.scale
            out[k] = (c * v[0] - s * v[1], s * v[0] + c * v[1], *v[2:])
        else:
            out[k] = v
    return out


def translate_geometry(geom: dict[str, Any], dx: float, dy: float) -> dict[str, Any]:
    if dx == 0 and dy == 0:
        return geom
    return {
        k: map_points(v, lambda x, y: (x + dx, y + dy)) if k in POINT_KEYS else v
        for k, v in geom.items()
    }


def values_equal(a: Any, b: Any, tol: float, *, angle: bool = False) -> bool:
    """Structural equality with an absolute tolerance on numbers (angles modulo 360)."""
    if _is_num(a) and _is_num(b):
        if angle:
            d = abs((float(a) - float(b) + 180.0) % 360.0 - 180.0)
            return d <= max(tol, 1e-4)
        return abs(float(a) - float(b)) <= tol
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        return len(a) == len(b) and all(
            values_equal(x, y, tol, angle=angle) for x, y in zip(a, b, strict=True)
        )
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(values_equal(a[k], b[k], tol) for k in a)
    return a == b


def differing_keys(a: dict[str, Any], b: dict[str, Any], tol: float) -> list[str]:
    """Top-level geometry keys whose values differ beyond ``tol``."""
    keys = sorted((a.keys() | b.keys()) - IGNORED_KEYS)
    out = []
    for k in keys:
        if k not in a or k not in b or not values_equal(a[k], b[k], tol, angle=k in ANGLE_KEYS):
            out.append(k)
    return out


def bbox_of_points(pts) -> tuple[float, float, float, float] | None:
    xs: list[float] = []
    ys: list[float] = []
    for x, y in pts:
        xs.append(x)
        ys.append(y)
    if not xs:
        return None
    return (min(xs), min(ys), max(xs), max(ys))


def finite_bbox(bb) -> bool:
    # one isfinite on the sum: any inf or nan makes it non-finite (and it is hot)
    return (bb is not None and len(bb) == 4 and bb[0] <= bb[2]
            and math.isfinite(bb[0] + bb[1] + bb[2] + bb[3]))


def bbox_union(a, b):
    if not finite_bbox(a):
        return b
    if not finite_bbox(b):
        return a
    return (min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3]))


def bbox_iou(a, b) -> float:
    if not (finite_bbox(a) and finite_bbox(b)):
        return 0.0
    ix = min(a[2], b[2]) - max(a[0], b[0])
    iy = min(a[3], b[3]) - max(a[1], b[1])
    if ix < 0 or iy < 0:
        return 0.0
    # degenerate (zero-width) boxes: compare by extents along the other axis
    aw, ah = a[2] - a[0], a[3] - a[1]
    bw, bh = b[2] - b[0], b[3] - b[1]
    eps = 1e-12
    inter = max(ix, eps) * max(iy, eps)
    union = max(aw, eps) * max(ah, eps) + max(bw, eps) * max(bh, eps) - inter
    return inter / union if union > 0 else 0.0


def bbox_diag(bb) -> float:
    if not finite_bbox(bb):
        return 0.0
    return math.hypot(bb[2] - bb[0], bb[3] - bb[1])
