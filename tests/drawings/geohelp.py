"""Footprints laid out in metres (CGCS2000 / GK CM 114E) and given back in lon/lat."""

from __future__ import annotations

import math

from shapely.geometry import Point, box

from drawings.geo import to_lonlat, to_projected

GK = 4547  # CGCS2000 / 3-degree Gauss-Kruger CM 114E
ORIGIN_LONLAT = (114.05, 22.55)  # Shenzhen


def origin() -> tuple[float, float]:
    p = to_projected(Point(*ORIGIN_LONLAT), GK)
    return p.x, p.y


def rect(x: float, y: float, w: float, h: float):
    """A w x h metre rectangle whose lower-left corner is (x, y) metres from the origin."""
    e0, n0 = origin()
    return to_lonlat(box(e0 + x, n0 + y, e0 + x + w, n0 + y + h), GK)


#: The generated site plan's drawing x axis is turned this many degrees from east.
ROT = 15.0


def ground_of(x_mm: float, y_mm: float) -> tuple[float, float]:
    """The true lon/lat of a site-plan drawing point: mm -> m, turned ROT, at the origin."""
    t = math.radians(ROT)
    x, y = x_mm / 1000, y_mm / 1000
    e0, n0 = origin()
    p = to_lonlat(Point(e0 + x * math.cos(t) - y * math.sin(t),
                        n0 + x * math.sin(t) + y * math.cos(t)), GK)
    return p.x, p.y
