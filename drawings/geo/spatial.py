"""Geometry of the map: lon/lat polygons checked with shapely, projected through pyproj.

Footprints are stored in lon/lat degrees (CGCS2000, the same as WGS84 at this precision).
Every length or area the checks compare is measured in a metric projection: the CGCS2000
3-degree Gauss–Krüger zone (central meridian form, EPSG:4534–4554) nearest the geometry, or a
CRS the caller names (``EPSG:n`` or a local grid, see :func:`parse_crs`).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from typing import Any

import numpy as np
import orjson
import shapely
from shapely import wkt
from shapely.geometry import shape

from storage import limits
from storage.display import clip, quote
from storage.errors import InvalidInput

#: lon/lat of CGCS2000 (EPSG:4490); axis order lon, lat throughout (``always_xy``).
LONLAT = "EPSG:4490"
#: China's extent in lon/lat (mainland, Hainan, the South China Sea islands): a coarse box.
CHINA_BOUNDS = (73.0, 3.0, 136.0, 54.0)
#: Default tolerance in metres: a unit may stick out of its site, or overlap a neighbour, by
#: a sliver at most this wide (digitising noise) before it is refused.
TOLERANCE_M = 0.5


class Check(StrEnum):
    """The named checks a footprint or a code goes through; a refusal names one of them."""

    GEOMETRY = "geometry"  # parses as a Polygon/MultiPolygon, valid ring(s)
    CHINA = "china-bounds"  # inside China's extent
    SITE = "inside-site"  # a unit inside its project's site
    OVERLAP = "overlap"  # units of one project do not overlap beyond the tolerance
    FOOTPRINT = "footprint-present"  # a unit named by an action has a footprint
    PROJECT_CODE = "project-code"  # format of the project code
    UNIT_CODE = "unit-code"  # format and check character of the unit's scheme
    UNIT_PROJECT = "unit-project"  # the unit belongs to the project named


class GeoCheckFailed(InvalidInput):
    """A check refused its input; ``check`` says which (:class:`Check`), ``subject`` what."""

    def __init__(self, check: Check, subject: str, detail: str) -> None:
        super().__init__(f"检查未通过 check {check.value} failed for {subject}: {detail}")
        self.check = check
        self.subject = subject
        self.detail = detail


def parse_polygon(value: Any, subject: str = "footprint") -> Any:
    """A Polygon/MultiPolygon from WKT, GeoJSON (text or dict) or shapely, checked: valid,
    non-empty, lon/lat inside China.  Raises :class:`GeoCheckFailed` naming the check."""
    if isinstance(value, str):
        limits.FOOTPRINT.check(value)
    try:
        if isinstance(value, str):
            text = value.strip()
            geom = shape(orjson.loads(text)) if text.startswith("{") else wkt.loads(text)
        elif isinstance(value, dict):
            geom = shape(value.get("geometry", value) if value.get("type") == "Feature"
                         else value)
        else:
            geom = value
    except Exception as e:  # shapely and orjson raise several types for bad input
        raise GeoCheckFailed(Check.GEOMETRY, subject, f"无效的轮廓 invalid footprint: {clip(e)}"
                             ) from None
    if not isinstance(geom, shapely.Geometry) or geom.geom_type not in (
        "Polygon", "MultiPolygon"
    ):
        raise GeoCheckFailed(Check.GEOMETRY, subject,
                             "无效的轮廓 invalid footprint: expected a Polygon or MultiPolygon")
    if geom.is_empty:
        raise GeoCheckFailed(Check.GEOMETRY, subject, "无效的轮廓 invalid footprint: empty")
    coords = shapely.get_coordinates(geom)
    if not np.isfinite(coords).all():
        raise GeoCheckFailed(Check.GEOMETRY, subject,
                             "无效的轮廓 invalid footprint: coordinates must be finite")
    if not geom.is_valid:
        raise GeoCheckFailed(Check.GEOMETRY, subject,
                             f"无效的轮廓 invalid footprint: {shapely.is_valid_reason(geom)}")
    check_china(geom, subject)
    return geom


def check_china(geom: Any, subject: str) -> None:
    minx, miny, maxx, maxy = geom.bounds
    x0, y0, x1, y1 = CHINA_BOUNDS
    if not (minx >= -180 and maxx <= 180 and miny >= -90 and maxy <= 90):
        raise GeoCheckFailed(Check.CHINA, subject,
                             "坐标不是经纬度 expected lon/lat degrees (lon first)")
    if not (x0 <= minx and maxx <= x1 and y0 <= miny and maxy <= y1):
        raise GeoCheckFailed(
            Check.CHINA, subject,
            f"超出中国范围 outside China's bounds (lon {x0}–{x1}, lat {y0}–{y1}): "
            f"bounds {tuple(round(v, 6) for v in geom.bounds)}")


# -- projected coordinates ----------------------------------------------------------------------


def gk_epsg(lon: float) -> int:
    """The CGCS2000 3-degree Gauss–Krüger zone (central-meridian form) nearest ``lon``:
    EPSG:4534 (CM 75°E) … EPSG:4554 (CM 135°E)."""
    zone = min(45, max(25, round(lon / 3)))
    return 4534 + zone - 25


@dataclass(frozen=True)
class LocalGrid:
    """A local construction grid: a transverse Mercator plane on the CGCS2000 ellipsoid
    centred at (``lon0``, ``lat0``), turned by ``rotation`` degrees (grid north east of true
    north), scaled by ``scale`` and shifted so the origin reads (``x0``, ``y0``)."""

    lon0: float
    lat0: float
    x0: float = 0.0
    y0: float = 0.0
    rotation: float = 0.0
    scale: float = 1.0

    @property
    def spec(self) -> str:
        return "local:" + ",".join(repr(v) for v in (self.lon0, self.lat0, self.x0, self.y0,
                                                      self.rotation, self.scale))

    @property
    def proj(self) -> str:
        return (f"+proj=tmerc +lat_0={self.lat0!r} +lon_0={self.lon0!r} +k=1 +x_0=0 +y_0=0 "
                "+ellps=GRS80 +units=m +no_defs")


Crs = int | LocalGrid

_LOCAL = re.compile(r"^local:(.+)$", re.I)


def parse_crs(spec: str) -> Crs:
    """``EPSG:4547`` (or ``4547``) → an EPSG code; ``local:lon0,lat0[,x0,y0,rotation,scale]``
    → a :class:`LocalGrid`.  Only projected CRSs in metres are accepted."""
    text = (spec or "").strip()
    m = _LOCAL.match(text)
    if m:
        try:
            values = [float(v) for v in m.group(1).split(",")]
        except ValueError:
            raise InvalidInput(f"无效的坐标系 invalid local grid {quote(spec)}") from None
        if not 2 <= len(values) <= 6 or not all(math.isfinite(v) for v in values):
            raise InvalidInput(f"无效的坐标系 invalid local grid {quote(spec)}: "
                               "local:lon0,lat0[,x0,y0,rotation,scale]")
        grid = LocalGrid(*values)
        check_china(shapely.Point(grid.lon0, grid.lat0), f"local grid {quote(spec)}")
        if grid.scale <= 0:
            raise InvalidInput(f"无效的坐标系 invalid local grid {quote(spec)}: scale <= 0")
        return grid
    m = re.match(r"^(?:EPSG:)?(\d{4,6})$", text, re.I)
    if not m:
        raise InvalidInput(f"无效的坐标系 invalid CRS {quote(spec)}: EPSG:n or "
                           "local:lon0,lat0[,x0,y0,rotation,scale]")
    code = int(m.group(1))
    from pyproj import CRS
    from pyproj.exceptions import CRSError

    try:
        crs = CRS.from_epsg(code)
    except CRSError:
        raise InvalidInput(f"无效的坐标系 unknown CRS EPSG:{code}") from None
    if not crs.is_projected or crs.axis_info[0].unit_name not in ("metre", "meter"):
        raise InvalidInput(f"EPSG:{code} ({crs.name}) is not a projected CRS in metres")
    return code


def crs_spec(crs: Crs) -> str:
    return crs.spec if isinstance(crs, LocalGrid) else f"EPSG:{crs}"


@lru_cache(maxsize=64)
def _transformer(crs: Crs, inverse: bool) -> Any:
    from pyproj import Transformer

    target = crs.proj if isinstance(crs, LocalGrid) else f"EPSG:{crs}"
    a, b = (target, LONLAT) if inverse else (LONLAT, target)
    return Transformer.from_crs(a, b, always_xy=True)


def to_projected(geom: Any, crs: Crs) -> Any:
    """``geom`` (lon/lat) in ``crs`` (metres, easting first)."""
    return shapely.transform(geom, lambda xy: forward_points(xy, crs))


def to_lonlat(geom: Any, crs: Crs) -> Any:
    """``geom`` in ``crs`` back to lon/lat."""
    return shapely.transform(geom, lambda xy: inverse_points(xy, crs))


def forward_points(xy: np.ndarray, crs: Crs) -> np.ndarray:
    xy = np.asarray(xy, dtype=float).reshape(-1, 2)
    x, y = _transformer(crs, False).transform(xy[:, 0], xy[:, 1])
    out = np.column_stack([x, y])
    if isinstance(crs, LocalGrid):
        t = math.radians(crs.rotation)
        rot = np.array([[math.cos(t), -math.sin(t)], [math.sin(t), math.cos(t)]])
        out = out @ rot.T * crs.scale + (crs.x0, crs.y0)
    return out


def inverse_points(xy: np.ndarray, crs: Crs) -> np.ndarray:
    xy = np.asarray(xy, dtype=float).reshape(-1, 2)
    if isinstance(crs, LocalGrid):
        t = math.radians(crs.rotation)
        rot = np.array([[math.cos(t), -math.sin(t)], [math.sin(t), math.cos(t)]])
        xy = ((xy - (crs.x0, crs.y0)) / crs.scale) @ rot
    x, y = _transformer(crs, True).transform(xy[:, 0], xy[:, 1])
    return np.column_stack([x, y])


def metric_crs(*geoms: Any) -> int:
    """The Gauss–Krüger zone for measuring ``geoms`` (by the centre of their bounds)."""
    bounds = [g.bounds for g in geoms if g is not None and not g.is_empty]
    lon = (min(b[0] for b in bounds) + max(b[2] for b in bounds)) / 2 if bounds else 114.0
    return gk_epsg(lon)


# -- the checks between footprints ---------------------------------------------------------------


def sticks_out(unit: Any, site: Any, *, tolerance_m: float = TOLERANCE_M) -> float:
    """How far (metres) ``unit`` reaches outside ``site``: 0.0 when inside within tolerance,
    else the farthest vertex of the part outside from the site."""
    crs = metric_crs(unit, site)
    u, s = to_projected(unit, crs), to_projected(site, crs)
    if s.buffer(tolerance_m).covers(u):
        return 0.0
    points = shapely.points(shapely.get_coordinates(u.difference(s)))
    return float(max(shapely.distance(points, s), default=tolerance_m))


def overlap_width(a: Any, b: Any) -> float:
    """The width (metres) of the overlap of ``a`` and ``b``: twice the largest inscribed
    radius of their intersection (0.0 when they only touch)."""
    crs = metric_crs(a, b)
    inter = to_projected(a, crs).intersection(to_projected(b, crs))
    if inter.is_empty or inter.area == 0:
        return 0.0
    parts = getattr(inter, "geoms", [inter])
    widths = []
    for part in parts:
        if part.geom_type != "Polygon" or part.area == 0:
            continue
        circle = shapely.maximum_inscribed_circle(part, tolerance=0.01)
        widths.append(2 * shapely.length(circle))
    return max(widths, default=0.0)
