"""Spatial queries on SQLite and PostgreSQL: contains a point, intersects a polygon, within a
distance in metres; checked against the layout and against a brute-force scan."""

from __future__ import annotations

import random

import pytest
from shapely.geometry import Point

from drawings import geo, registry
from drawings.geo.query import search
from storage.db import transaction
from storage.errors import InvalidInput
from tests.drawings.geohelp import GK, origin, rect

P1 = "2023-440305-04-01-123450"
P2 = "2024-440305-04-01-654320"


def at(x: float, y: float) -> tuple[float, float]:
    e0, n0 = origin()
    p = geo.to_lonlat(Point(e0 + x, n0 + y), GK)
    return p.x, p.y


@pytest.fixture
def layout(sf):
    with transaction(sf) as s:
        registry.create_project(s, P1, "一号地块")
        registry.create_project(s, P2, "二号地块")
        geo.set_site(s, P1, rect(0, 0, 200, 100))
        geo.set_site(s, P2, rect(300, 0, 100, 100))
        u = {name: registry.add_unit(s, proj, division="440305", name=name,
                                     footprint=None if box is None else rect(*box).wkt).code
             for name, proj, box in [("a", P1, (10, 10, 40, 30)), ("b", P1, (60, 10, 40, 30)),
                                     ("c", P2, (310, 10, 20, 20)), ("d", P1, None)]}
    with transaction(sf) as s:
        yield s, u


def keys(hits):
    return [(h["kind"], h["code"]) for h in hits]


def test_contains_intersects_within(layout) -> None:
    s, u = layout
    assert keys(search(s, point=at(30, 25))) == [("project", P1), ("unit", u["a"])]
    assert keys(search(s, point=at(150, 80))) == [("project", P1)]
    assert keys(search(s, point=at(250, 50))) == []
    assert keys(search(s, polygon=rect(45, 15, 20, 5))) == [
        ("project", P1), ("unit", u["a"]), ("unit", u["b"])]
    assert keys(search(s, polygon=rect(45, 15, 20, 5), kinds=("unit",))) == [
        ("unit", u["a"]), ("unit", u["b"])]
    near = search(s, point=at(105, 25), distance_m=10)
    assert keys(near) == [("project", P1), ("unit", u["b"])]
    assert near[1]["distance_m"] == pytest.approx(5.0, abs=0.01)
    wide = search(s, point=at(105, 25), distance_m=200)
    assert keys(wide) == [("project", P1), ("unit", u["b"]), ("unit", u["a"]),
                          ("project", P2)]
    assert [h["distance_m"] for h in wide][2:] == [pytest.approx(55, abs=0.01),
                                                   pytest.approx(195, abs=0.01)]
    assert keys(search(s, point=at(105, 25), distance_m=200, projects=[P2])) == [
        ("project", P2)]
    for bad in ({}, {"point": at(1, 1), "polygon": rect(0, 0, 1, 1)},
                {"point": (2.35, 48.85)}, {"point": at(1, 1), "distance_m": -1},
                {"point": at(1, 1), "distance_m": float("nan")},
                {"point": at(1, 1), "kinds": ("parcel",)}):
        with pytest.raises(InvalidInput):
            search(s, **bad)


def test_answers_equal_a_brute_force_scan(layout) -> None:
    s, u = layout
    everything = [("project", p.code, geo.site_of(p)) for p in registry.list_projects(s)] + [
        ("unit", x.code, x.footprint) for x in registry.list_units(s) if x.footprint]
    rng = random.Random(14)
    for _ in range(40):
        x, y, d = rng.uniform(-50, 450), rng.uniform(-50, 150), rng.uniform(0, 80)
        lonlat = at(x, y)
        here = geo.to_projected(Point(*lonlat), GK)
        inside = {(k, c) for k, c, g in everything if g.intersects(Point(*lonlat))}
        assert set(keys(search(s, point=lonlat))) == inside
        near = {(k, c) for k, c, g in everything if here.distance(geo.to_projected(g, GK)) <= d}
        assert set(keys(search(s, point=lonlat, distance_m=d))) == near
