"""Closed outlines on a site plan: the shapes 落图 can turn into unit footprints.

An outline is a closed LWPOLYLINE/POLYLINE (closed flag, or last vertex on the first) or a
HATCH's outer boundary, in drawing units.  Arcs (bulges) are taken as their chords: a site
plan's building outlines are straight-sided, and the chord error of a rounded corner is
centimetres at most.  Its *labels* are the texts standing inside it (a unit's name or code).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import shapely
from shapely.geometry import Point, Polygon

from drawings.model import Entity
from storage.display import quote
from storage.errors import InvalidInput

POLYLINES = ("LWPOLYLINE", "POLYLINE")
TEXTS = ("TEXT", "MTEXT")


@dataclass
class Outline:
    handle: str | None
    layer: str
    kind: str
    polygon: Any  # shapely Polygon in drawing units
    labels: list[str] = field(default_factory=list)


def _ring(points: Iterable[Any]) -> list[tuple[float, float]]:
    ring = [(float(p[0]), float(p[1])) for p in points]
    if len(ring) > 1 and ring[0] == ring[-1]:
        ring.pop()
    return ring


def outline_of(e: Entity) -> Any | None:
    """The polygon an entity encloses, or None when it is not a closed outline."""
    if e.kind in POLYLINES:
        pts = e.geometry.get("points") or []
        closed = bool(e.geometry.get("closed")) or (
            len(pts) > 3 and tuple(pts[0][:2]) == tuple(pts[-1][:2]))
        ring = _ring(pts)
        if not closed or len(ring) < 3:
            return None
        return Polygon(ring)
    if e.kind == "HATCH":
        paths = [_ring(p) for p in e.geometry.get("paths") or []]
        paths = [p for p in paths if len(p) >= 3]
        if not paths:
            return None
        return max((Polygon(p) for p in paths), key=lambda g: abs(g.area))
    return None


def label_text(text: str | None) -> str:
    return " ".join((text or "").split())


def outlines(entities: Iterable[Entity]) -> list[Outline]:
    """Every closed outline of a sheet, with the texts inside each."""
    found: list[Outline] = []
    texts: list[tuple[Any, str]] = []
    for e in entities:
        if e.kind in TEXTS and label_text(e.text):
            at = e.geometry.get("insert") or e.anchor
            texts.append((Point(float(at[0]), float(at[1])), label_text(e.text)))
            continue
        poly = outline_of(e)
        if poly is not None and poly.area > 0:
            found.append(Outline(e.handle, e.layer, e.kind, poly))
    if texts and found:
        tree = shapely.STRtree([t[0] for t in texts])
        for o in found:
            for i in tree.query(o.polygon, predicate="covers"):
                o.labels.append(texts[int(i)][1])
    return found


def by_handle(found: list[Outline], handle: str) -> Outline:
    key = handle.strip().upper()
    for o in found:
        if (o.handle or "").upper() == key:
            return o
    raise InvalidInput(f"句柄 handle {quote(handle)} is not a closed outline (closed polyline "
                       "or hatch) on this sheet")


def on_layer(found: list[Outline], layer: str) -> list[Outline]:
    chosen = [o for o in found if o.layer == layer]
    if not chosen:
        raise InvalidInput(f"图层 layer {quote(layer)} has no closed outline on this sheet")
    return chosen


def site_outline(entities: Iterable[Entity], layer: str) -> Any:
    """The site (用地红线) drawn on ``layer``: the largest of its closed outlines and of the
    polygons its lines and open polylines close (a red line is often drawn as loose LINEs)."""
    from shapely.geometry import LineString

    polys, lines = [], []
    for e in entities:
        if e.layer != layer:
            continue
        poly = outline_of(e)
        if poly is not None and poly.area > 0:
            polys.append(poly)
        elif e.kind == "LINE" or e.kind in POLYLINES:
            pts = [(float(p[0]), float(p[1])) for p in e.geometry.get("points") or []]
            if e.kind in POLYLINES and e.geometry.get("closed") and pts:
                pts.append(pts[0])
            if len(set(pts)) > 1:
                lines.append(LineString(pts))
    if lines:
        merged = shapely.unary_union(lines)
        polys += [g for g in shapely.polygonize([merged]).geoms if g.area > 0]
    if not polys:
        raise InvalidInput(f"图层 layer {quote(layer)} has no closed outline or closed line "
                           "loop for the site on this sheet")
    return max(polys, key=lambda g: g.area)
