"""Spatial queries over sites and footprints: which units and projects contain a point,
intersect a polygon, or lie within a distance (metres) — what the inspector search calls.

An in-memory shapely STRtree over every stored site and footprint, built per call (a region's
projects and units are thousands of polygons: milliseconds).  The same code answers on SQLite
and PostgreSQL; PostGIS is not installed on the servers this runs on (``pg_available_extensions``
has no ``postgis``), so it is not used.  Distances are measured in the Gauss–Krüger zone of
the query geometry, never in degrees.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import shapely
from shapely import wkt
from sqlalchemy import select
from sqlalchemy.orm import Session

from drawings.geo.spatial import check_china, gk_epsg, parse_polygon, to_projected
from drawings.models import BuildingUnit, Project
from storage.errors import InvalidInput

KINDS = ("project", "unit")
#: Largest distance a query may ask for (metres): a city, not a province.
MAX_DISTANCE_M = 100_000.0


@dataclass(frozen=True)
class Hit:
    kind: str  # "project" (its site) or "unit" (its footprint)
    code: str
    project: str
    name: str | None
    distance_m: float | None = None

    def to_dict(self) -> dict[str, Any]:
        d = {"kind": self.kind, "code": self.code, "project": self.project, "name": self.name}
        if self.distance_m is not None:
            d["distance_m"] = round(self.distance_m, 3)
        return d


class SpatialIndex:
    """Sites and footprints of the chosen projects (all by default) in one STRtree."""

    def __init__(self, s: Session, *, projects: list[str] | None = None,
                 kinds: tuple[str, ...] = KINDS) -> None:
        unknown = set(kinds) - set(KINDS)
        if unknown:
            raise InvalidInput(f"unknown kind(s) {sorted(unknown)}: one of {', '.join(KINDS)}")
        self.items: list[tuple[Hit, Any]] = []
        if "project" in kinds:
            q = select(Project).where(Project.site_footprint_wkt.is_not(None))
            if projects:
                q = q.where(Project.code.in_(projects))
            for p in s.scalars(q.order_by(Project.code)):
                self.items.append((Hit("project", p.code, p.code, p.name),
                                   wkt.loads(p.site_footprint_wkt)))
        if "unit" in kinds:
            q = select(BuildingUnit).where(BuildingUnit.footprint_wkt.is_not(None))
            if projects:
                q = q.where(BuildingUnit.project_code.in_(projects))
            for u in s.scalars(q.order_by(BuildingUnit.code)):
                self.items.append((Hit("unit", u.code, u.project_code, u.name),
                                   wkt.loads(u.footprint_wkt)))
        self.tree = shapely.STRtree([g for _, g in self.items])

    def _hits(self, indices: Any) -> list[Hit]:
        return sorted((self.items[int(i)][0] for i in indices),
                      key=lambda h: (KINDS.index(h.kind), h.project, h.code))

    def containing(self, lon: float, lat: float) -> list[Hit]:
        point = query_point(lon, lat)
        return self._hits(self.tree.query(point, predicate="intersects"))

    def intersecting(self, polygon: Any) -> list[Hit]:
        geom = parse_polygon(polygon, "query polygon")
        return self._hits(self.tree.query(geom, predicate="intersects"))

    def within(self, geom: Any, distance_m: float) -> list[Hit]:
        """Everything no farther than ``distance_m`` metres from ``geom`` (a point or a
        polygon in lon/lat), nearest first."""
        if not (isinstance(distance_m, int | float) and math.isfinite(distance_m)
                and 0 <= distance_m <= MAX_DISTANCE_M):
            raise InvalidInput(f"distance must be 0–{MAX_DISTANCE_M:g} m, got {distance_m!r}")
        lat = max(abs(geom.bounds[1]), abs(geom.bounds[3]))
        # a box in degrees surely larger than the distance (1° of latitude > 110.5 km)
        pad = distance_m / 110_000 / max(0.05, math.cos(math.radians(min(lat + 1, 89))))
        candidates = self.tree.query(geom.buffer(pad * 1.01 + 1e-9, quad_segs=2))
        crs = gk_epsg((geom.bounds[0] + geom.bounds[2]) / 2)
        here = to_projected(geom, crs)
        out = []
        for i in candidates:
            hit, g = self.items[int(i)]
            d = float(here.distance(to_projected(g, crs)))
            if d <= distance_m:
                out.append(Hit(hit.kind, hit.code, hit.project, hit.name, d))
        return sorted(out, key=lambda h: (h.distance_m, KINDS.index(h.kind), h.code))


def query_point(lon: float, lat: float) -> Any:
    try:
        point = shapely.Point(float(lon), float(lat))
    except (TypeError, ValueError):
        raise InvalidInput(f"invalid point {lon!r},{lat!r}: lon,lat in degrees") from None
    if not all(math.isfinite(v) for v in (point.x, point.y)):
        raise InvalidInput("invalid point: lon,lat must be finite")
    check_china(point, "query point")
    return point


def search(s: Session, *, point: tuple[float, float] | None = None, polygon: Any = None,
           distance_m: float | None = None, projects: list[str] | None = None,
           kinds: tuple[str, ...] = KINDS) -> list[dict[str, Any]]:
    """The inspector search's one call: with ``point`` alone, what contains it; with
    ``polygon`` alone, what intersects it; with ``distance_m``, what lies within that many
    metres of the point or polygon.  Hits are dicts (kind, code, project, name[, distance_m])."""
    if (point is None) == (polygon is None):
        raise InvalidInput("give a point or a polygon to search by")
    index = SpatialIndex(s, projects=projects, kinds=kinds)
    if distance_m is not None:
        geom = query_point(*point) if point is not None else parse_polygon(polygon, "query")
        hits = index.within(geom, distance_m)
    elif point is not None:
        hits = index.containing(*point)
    else:
        hits = index.intersecting(polygon)
    return [h.to_dict() for h in hits]
