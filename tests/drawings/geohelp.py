"""Footprints laid out in metres (CGCS2000 / GK CM 114E) and given back in lon/lat."""

from __future__ import annotations

from shapely.geometry import box

from drawings.geo import to_lonlat, to_projected

GK = 4547  # CGCS2000 / 3-degree Gauss-Kruger CM 114E
ORIGIN_LONLAT = (114.05, 22.55)  # Shenzhen


def origin() -> tuple[float, float]:
    from shapely.geometry import Point

    p = to_projected(Point(*ORIGIN_LONLAT), GK)
    return p.x, p.y


def rect(x: float, y: float, w: float, h: float):
    """A w x h metre rectangle whose lower-left corner is (x, y) metres from the origin."""
    e0, n0 = origin()
    return to_lonlat(box(e0 + x, n0 + y, e0 + x + w, n0 + y + h), GK)
