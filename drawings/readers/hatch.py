"""HATCH boundary paths from raw tags, flattened to ``[(x, y, bulge), ...]`` loops.

Polyline paths are taken as they are; edge paths become polylines: lines exactly, circular
arcs exactly as bulges, elliptical arcs and splines as short straight segments (deterministic
segment counts, so equal input gives equal output).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

Vert = tuple[float, float, float]
ELLIPSE_SEGMENTS = 32


class _Cursor:
    __slots__ = ("c", "v", "i", "e")

    def __init__(self, c: list[int], v: list[str], i: int, e: int) -> None:
        self.c, self.v, self.i, self.e = c, v, i, e

    def peek(self) -> int:
        return self.c[self.i] if self.i < self.e else -1

    def take(self, code: int, default: str | None = None) -> str | None:
        if self.i < self.e and self.c[self.i] == code:
            self.i += 1
            return self.v[self.i - 1]
        return default

    def f(self, code: int, default: float = 0.0) -> float:
        val = self.take(code)
        return float(val) if val is not None else default

    def n(self, code: int, default: int = 0) -> int:
        val = self.take(code)
        return int(float(val)) if val is not None else default


def _arc_vertices(cx: float, cy: float, r: float, a0: float, sweep: float) -> list[Vert]:
    """Start vertex (and a middle one for full circles) carrying the arc's bulge."""
    if abs(sweep) >= 360.0 - 1e-9:
        half = math.copysign(180.0, sweep)
        b = math.copysign(1.0, sweep)
        a1 = a0 + half
        return [
            (cx + r * math.cos(math.radians(a0)), cy + r * math.sin(math.radians(a0)), b),
            (cx + r * math.cos(math.radians(a1)), cy + r * math.sin(math.radians(a1)), b),
        ]
    b = math.tan(math.radians(sweep) / 4.0)
    return [(cx + r * math.cos(math.radians(a0)), cy + r * math.sin(math.radians(a0)), b)]


def _sweep(a0: float, a1: float, ccw: bool) -> tuple[float, float]:
    """(real start angle, signed sweep) of a HATCH arc/ellipse edge (cw angles are 360-a)."""
    if ccw:
        span = (a1 - a0) % 360.0 or 360.0
        return a0, span
    span = (a1 - a0) % 360.0 or 360.0
    return -a0, -span


def _edges(cur: _Cursor, n_edges: int) -> list[Vert]:
    out: list[Vert] = []
    for _ in range(n_edges):
        typ = cur.n(72)
        if typ == 1:
            x0, y0 = cur.f(10), cur.f(20)
            cur.f(11), cur.f(21)
            out.append((x0, y0, 0.0))
        elif typ == 2:
            cx, cy, r = cur.f(10), cur.f(20), cur.f(40)
            a0, a1, ccw = cur.f(50), cur.f(51, 360.0), cur.n(73, 1)
            start, sweep = _sweep(a0, a1, bool(ccw))
            out += _arc_vertices(cx, cy, r, start, sweep)
        elif typ == 3:
            cx, cy, mx, my = cur.f(10), cur.f(20), cur.f(11), cur.f(21)
            ratio, a0, a1, ccw = cur.f(40, 1.0), cur.f(50), cur.f(51, 360.0), cur.n(73, 1)
            start, sweep = _sweep(a0, a1, bool(ccw))
            major = math.hypot(mx, my)
            rot = math.degrees(math.atan2(my, mx))
            if abs(ratio - 1.0) < 1e-12:
                out += _arc_vertices(cx, cy, major, start + rot, sweep)
            else:
                nx, ny = -my * ratio, mx * ratio
                for k in range(ELLIPSE_SEGMENTS):
                    t = math.radians(start + sweep * k / ELLIPSE_SEGMENTS)
                    out.append(
                        (
                            cx + mx * math.cos(t) + nx * math.sin(t),
                            cy + my * math.cos(t) + ny * math.sin(t),
                            0.0,
                        )
                    )
        elif typ == 4:
            out += _spline_edge(cur)
        else:
            raise ValueError(f"unknown hatch edge type {typ}")
    return out


def _spline_edge(cur: _Cursor) -> list[Vert]:
    degree = cur.n(94, 3)
    rational = cur.n(73)
    cur.n(74)
    nk, nc = cur.n(95), cur.n(96)
    knots = [cur.f(40) for _ in range(nk)]
    cps, weights = [], []
    for _ in range(nc):
        cps.append((cur.f(10), cur.f(20)))
        w = cur.take(42)
        if w is not None:
            weights.append(float(w))
    del rational
    if cur.peek() == 97:
        # R2010+: fit points and tangents follow; 97 is also the source-object count of the
        # path, so only consume it when fit data follows (11/12/13 codes).
        save = cur.i
        nfit = cur.n(97)
        if cur.peek() in (11, 12, 13):
            for _ in range(nfit):
                cur.f(11), cur.f(21)
            if cur.peek() == 12:
                cur.f(12), cur.f(22)
            if cur.peek() == 13:
                cur.f(13), cur.f(23)
        elif nfit:
            cur.i = save
    if len(cps) < degree + 1:
        return [(x, y, 0.0) for x, y in cps[:-1] or cps]
    from ezdxf.math import BSpline

    spline = BSpline(
        cps,
        order=degree + 1,
        knots=knots or None,
        weights=weights if len(weights) == len(cps) else None,
    )
    pts = list(spline.approximate(segments=max(8, 4 * len(cps))))
    return [(p.x, p.y, 0.0) for p in pts[:-1]]


def parse_hatch(
    c: list[int], v: list[str], s: int, e: int, d: dict, verts: Callable, ocs: Any
) -> dict[str, Any]:
    i = s + 1
    while i < e and c[i] != 91:
        i += 1
    cur = _Cursor(c, v, i, e)
    n_paths = cur.n(91)
    paths: list[list[Vert]] = []
    for _ in range(n_paths):
        while cur.i < e and cur.peek() != 92:
            cur.i += 1
        flags = cur.n(92)
        if flags & 2:
            has_bulge, _closed = cur.n(72), cur.n(73)
            nv = cur.n(93)
            path = []
            for _k in range(nv):
                x, y = cur.f(10), cur.f(20)
                b = cur.f(42) if has_bulge else 0.0
                path.append((x, y, b))
        else:
            path = _edges(cur, cur.n(93))
        if len(path) > 1 and path[-1][:2] == path[0][:2]:
            path.pop()  # an explicit closing vertex: same loop as without it
        nsrc = cur.n(97)
        for _k in range(nsrc):
            cur.take(330)
        paths.append(verts(ocs, path))
    solid = d.get(70, "0").strip() == "1"
    return {
        "pattern": (d.get(2) or "").strip(),
        "solid": solid,
        "paths": paths,
        "pattern_scale": 1.0 if solid else float(d.get(41) or 1.0),
        "pattern_angle": 0.0 if solid else float(d.get(52) or 0.0) % 360.0,
    }
