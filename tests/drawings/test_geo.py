"""Sites and footprints on SQLite and PostgreSQL: every check refuses with its name, GeoJSON
goes out and comes back, projections go there and back."""

from __future__ import annotations

import math

import pytest
from shapely.geometry import Point, Polygon

from drawings import geo, registry
from drawings.geo import Check, GeoCheckFailed, LocalGrid
from storage.db import transaction
from storage.errors import InvalidInput, NotFound
from tests.drawings.geohelp import GK, ORIGIN_LONLAT, origin, rect

CODE = "2023-440305-04-01-123450"
OTHER = "2024-440305-04-01-654320"


@pytest.fixture
def s(sf):
    with transaction(sf) as session:
        registry.create_project(session, CODE, "深圳示例")
        registry.create_project(session, OTHER, "另一个")
    with transaction(sf) as session:
        yield session


def units(s, n: int, project: str = CODE) -> list[str]:
    return [registry.add_unit(s, project, division="440305", year=2025).code for _ in range(n)]


@pytest.mark.parametrize(("value", "check", "fragment"), [
    ("POLYGON((114 22, 114.001 22.001, 114.001 22, 114 22.001, 114 22))", Check.GEOMETRY,
     "Self-intersection"),
    ("POLYGON((114 22, 114.001 22", Check.GEOMETRY, "invalid footprint"),
    ("LINESTRING(114 22, 115 23)", Check.GEOMETRY, "Polygon"),
    ("POLYGON EMPTY", Check.GEOMETRY, "empty"),
    ({"type": "Polygon", "coordinates": [[[114, 22], [114, "x"], [115, 22], [114, 22]]]},
     Check.GEOMETRY, "invalid footprint"),
    ("POLYGON((2.35 48.85, 2.36 48.85, 2.36 48.86, 2.35 48.85))", Check.CHINA, "outside China"),
    ("POLYGON((500000 2500000, 500100 2500000, 500100 2500100, 500000 2500000))", Check.CHINA,
     "lon/lat"),
])
def test_bad_footprints_are_refused_naming_the_check(value, check, fragment) -> None:
    with pytest.raises(GeoCheckFailed, match=fragment) as e:
        geo.parse_polygon(value, "unit X")
    assert e.value.check is check and f"check {check.value} failed for unit X" in str(e.value)


def test_units_inside_the_site_and_apart(s) -> None:
    a, b, c = units(s, 3)
    geo.set_site(s, CODE, rect(0, 0, 200, 100))
    geo.set_footprint(s, a, rect(10, 10, 40, 30))
    # inside within tolerance: 0.3 m over the site's edge is digitising noise
    geo.set_footprint(s, b, rect(160, 10, 40.3, 30))
    with pytest.raises(GeoCheckFailed, match=r"reaches 5\.\d\d m outside") as e:
        geo.set_footprint(s, c, rect(180, 50, 25, 20))
    assert e.value.check is Check.SITE
    # overlapping a by 2 m: refused with the width; touching or 0.2 m: accepted
    with pytest.raises(GeoCheckFailed, match=rf"overlaps unit {a} by 2\.\d\d m") as e:
        geo.set_footprint(s, c, rect(48, 10, 20, 20))
    assert e.value.check is Check.OVERLAP
    geo.set_footprint(s, c, rect(50, 10, 20, 20))
    geo.set_footprint(s, c, rect(49.8, 10, 20, 20))
    assert registry.get_unit(s, c).footprint.equals_exact(rect(49.8, 10, 20, 20), 1e-12)
    # the site cannot shrink away from its units; the refusal changes nothing
    with pytest.raises(GeoCheckFailed, match="outside the project's site"):
        geo.set_site(s, CODE, rect(0, 0, 100, 100))
    assert geo.site_of(registry.get_project(s, CODE)).equals(rect(0, 0, 200, 100))
    assert geo.check_project(s, CODE) == []


def test_add_unit_checks_its_footprint_against_the_project(s) -> None:
    (a,) = units(s, 1)
    geo.set_site(s, CODE, rect(0, 0, 200, 100))
    geo.set_footprint(s, a, rect(10, 10, 40, 30))
    with pytest.raises(GeoCheckFailed, match="overlaps unit"):
        registry.add_unit(s, CODE, division="440305", footprint=rect(20, 20, 10, 10).wkt)
    with pytest.raises(GeoCheckFailed, match="outside the project's site"):
        registry.add_unit(s, CODE, division="440305", footprint=rect(300, 20, 10, 10).wkt)
    with pytest.raises(GeoCheckFailed, match="outside China"):
        registry.add_unit(s, CODE, division="440305",
                          footprint="POLYGON((2.35 48.85, 2.36 48.85, 2.36 48.86, 2.35 48.85))")
    u = registry.add_unit(s, CODE, division="440305", footprint=rect(60, 20, 10, 10).wkt)
    assert u.footprint.within(geo.site_of(registry.get_project(s, CODE)))


def test_check_project_lists_every_finding(s) -> None:
    a, b, c = units(s, 3)
    geo.set_footprint(s, a, rect(0, 0, 40, 30))
    geo.set_footprint(s, b, rect(50, 0, 40, 30))
    # stored before the site was drawn: rows written behind the service's back
    registry.get_unit(s, b).footprint_wkt = rect(30, 0, 40, 30).wkt
    registry.get_project(s, CODE).site_footprint_wkt = rect(0, 0, 60, 40).wkt
    s.flush()
    found = {(f.check, f.subject) for f in geo.check_project(s, CODE)}
    assert found == {(Check.OVERLAP, f"unit {a}"), (Check.SITE, f"unit {b}"),
                     (Check.FOOTPRINT, f"unit {c}")}


def test_geojson_round_trip(s) -> None:
    a, b = units(s, 2)
    geo.set_site(s, CODE, rect(0, 0, 200, 100))
    geo.set_footprint(s, a, rect(10, 10, 40, 30))
    geo.set_footprint(s, b, rect(60, 10, 40, 30))
    doc = geo.geojson(s, CODE)
    kinds = [(f["properties"]["kind"], f["properties"].get("code")) for f in doc["features"]]
    assert kinds == [("site", None), ("unit", a), ("unit", b)]
    # into the other project's units: same geometry back, exactly
    c, d = units(s, 2, OTHER)
    for f, code in zip(doc["features"][1:], (c, d), strict=True):
        f["properties"].update(code=code, project=OTHER)
    doc["features"][0]["properties"]["project"] = OTHER
    assert geo.import_geojson(s, OTHER, doc) == {"project": OTHER, "site": True,
                                                "units": sorted([c, d])}
    again = geo.geojson(s, OTHER)
    assert [f["geometry"] for f in again["features"]] == [f["geometry"] for f in doc["features"]]
    # projected output is in metres of the CRS asked for
    metres = geo.geojson(s, CODE, crs=GK)
    site = Polygon(metres["features"][0]["geometry"]["coordinates"][0])
    assert site.area == pytest.approx(200 * 100, rel=1e-6)
    assert metres["crs_spec"] == "EPSG:4547"


def test_geojson_import_is_all_or_nothing(s) -> None:
    a, b = units(s, 2)
    geo.set_site(s, CODE, rect(0, 0, 200, 100))
    before = geo.geojson(s, CODE)
    doc = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"code": a}, "geometry": rect(10, 10, 40, 30)
         .__geo_interface__},
        {"type": "Feature", "properties": {"code": b}, "geometry": rect(30, 10, 40, 30)
         .__geo_interface__},
    ]}
    with pytest.raises(GeoCheckFailed, match="overlaps"):
        geo.import_geojson(s, CODE, doc)
    assert geo.geojson(s, CODE) == before
    doc["features"][1]["properties"]["code"] = "110101202500000019"
    with pytest.raises(GeoCheckFailed, match="not a unit of project") as e:
        geo.import_geojson(s, CODE, doc)
    assert e.value.check is Check.UNIT_PROJECT
    with pytest.raises(InvalidInput, match="FeatureCollection"):
        geo.import_geojson(s, CODE, {"type": "Feature"})
    with pytest.raises(NotFound):
        geo.import_geojson(s, "2020-110101-04-01-000000", doc)


def test_projections_there_and_back() -> None:
    assert geo.gk_epsg(114.05) == 4547 and geo.gk_epsg(75.2) == 4534
    assert geo.gk_epsg(60) == 4534 and geo.gk_epsg(135.0) == 4554
    e0, n0 = origin()
    assert e0 == pytest.approx(500000 + 5130, abs=30)  # 0.05° east of 114°E at 22.55°N
    p = Point(*ORIGIN_LONLAT)
    back = geo.to_lonlat(geo.to_projected(p, GK), GK)
    assert back.distance(p) < 1e-9
    # a local grid at the origin, turned 30°, scale 1: distances kept, axes turned
    grid = geo.parse_crs(f"local:{ORIGIN_LONLAT[0]},{ORIGIN_LONLAT[1]},1000,2000,30,1")
    assert isinstance(grid, LocalGrid) and grid.rotation == 30
    o = geo.to_projected(p, grid)
    assert (o.x, o.y) == (pytest.approx(1000, abs=1e-6), pytest.approx(2000, abs=1e-6))
    north = geo.to_lonlat(Point(e0, n0 + 100), GK)
    q = geo.to_projected(north, grid)
    assert math.hypot(q.x - 1000, q.y - 2000) == pytest.approx(100, abs=0.05)
    assert math.degrees(math.atan2(q.y - 2000, q.x - 1000)) == pytest.approx(90 + 30, abs=0.1)
    assert geo.to_lonlat(q, grid).distance(north) < 1e-9
    assert geo.crs_spec(geo.parse_crs("epsg:4547")) == "EPSG:4547"
    for bad in ("EPSG:4326", "EPSG:99999999", "local:2.35,48.85", "local:114,22,0,0,0,-1",
                "mercator"):
        with pytest.raises(InvalidInput):
            geo.parse_crs(bad)


def test_an_old_overlap_does_not_block_unrelated_writes(s) -> None:
    a, b, c = units(s, 3)
    geo.set_footprint(s, a, rect(0, 0, 40, 30))
    registry.get_unit(s, b).footprint_wkt = rect(20, 0, 40, 30).wkt  # stored before #14
    s.flush()
    geo.set_site(s, CODE, rect(-10, -10, 200, 100))  # the site only checks containment
    geo.set_footprint(s, c, rect(100, 0, 20, 20))
    with pytest.raises(GeoCheckFailed, match=f"overlaps unit {a}"):
        geo.set_footprint(s, b, rect(30, 0, 20, 20))  # b itself must be fixed, though
    assert [f.check for f in geo.check_project(s, CODE)] == [Check.OVERLAP]
