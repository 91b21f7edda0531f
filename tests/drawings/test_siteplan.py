"""落图 on SQLite and PostgreSQL: control-point fits (exact, residuals, a bad point refused),
outlines by layer and by handle onto unit footprints, the fit stored with the sheet revision,
a later revision checked for moved units — on a generated plan and a corpus site plan."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from shapely.geometry import Point

from drawings import geo, registry
from drawings.geo.fit import fit_similarity
from drawings.geo.siteplan import ControlPoint, check_moved, list_fits, parse_control_point
from drawings.ingest import ingest
from storage.blobs import open_blob_store
from storage.db import transaction
from storage.errors import InvalidInput, NotFound
from tests.conftest import corpus_dir, needs_corpus
from tests.drawings.geohelp import GK, ROT, ground_of, rect
from tests.gen.siteplan import BUILDINGS, SHEET_NO, write_siteplan

CODE = "2023-440305-04-01-123450"


def cp(x_mm: float, y_mm: float, off_m: float = 0.0) -> ControlPoint:
    lon, lat = ground_of(x_mm, y_mm)
    return ControlPoint((x_mm, y_mm), (lon + off_m / 102_000, lat))  # ~1 m per 1/102000°


CONTROL = [cp(0, 0), cp(150_000, 0), cp(150_000, 100_000), cp(0, 100_000)]


def test_fit_is_exact_for_a_synthetic_transform_and_reports_residuals() -> None:
    rng = np.random.default_rng(7)
    d = rng.uniform(-1000, 1000, (6, 2))
    a, b = 0.5 * math.cos(0.3), 0.5 * math.sin(0.3)
    g = np.column_stack([a * d[:, 0] - b * d[:, 1] + 500_000, b * d[:, 0] + a * d[:, 1] + 2.5e6])
    fit = fit_similarity(d.tolist(), g.tolist())
    assert fit.transform.scale == pytest.approx(0.5, rel=1e-12)
    assert fit.transform.rotation == pytest.approx(math.degrees(0.3), abs=1e-9)
    assert fit.max_residual < 1e-6
    g[2] += (3.0, 4.0)  # one point 5 m off: it carries the largest residual
    fit = fit_similarity(d.tolist(), g.tolist())
    assert fit.worst == 2 and 3.0 < fit.max_residual < 5.0 and fit.rms > 0
    exact = fit_similarity(d[:2].tolist(), g[:2].tolist())  # two points: exact by definition
    assert exact.max_residual < 1e-6
    with pytest.raises(InvalidInput, match="at least two"):
        fit_similarity(d[:1].tolist(), g[:1].tolist())
    with pytest.raises(InvalidInput, match="coincide"):
        fit_similarity([(1, 1), (1, 1)], [(0, 0), (5, 5)])
    assert parse_control_point("1.5, 2=114.1,22.5") == ControlPoint((1.5, 2.0), (114.1, 22.5))
    for bad in ("1,2", "1,2=3", "a,b=c,d", "1,2=nan,3"):
        with pytest.raises(InvalidInput, match="control point"):
            parse_control_point(bad)


@pytest.fixture
def plan(sf, tmp_path: Path):
    """A project with three units named like the plan's labels and the plan ingested."""
    store = open_blob_store((tmp_path / "objects").as_uri())
    handles = write_siteplan(tmp_path / "set" / "site.dxf")
    with transaction(sf) as s:
        registry.create_project(s, CODE, "示例小区")
        codes = {label: registry.add_unit(s, CODE, division="440305", year=2025,
                                          name=label).code for label, *_ in BUILDINGS}
        geo.set_site(s, CODE, rect(-10, -10, 170, 200))
        ingest(s, store, CODE, [str(tmp_path / "set" / "site.dxf")], message="总平面",
               author="设计院")
    return sf, store, codes, handles, tmp_path


def test_place_by_layer_then_check_a_moved_revision(plan) -> None:
    sf, store, codes, handles, tmp_path = plan
    with transaction(sf) as s:
        out = geo.siteplan.place_units(s, store, CODE, SHEET_NO, CONTROL, layer="建筑",
                                       actor="张工")
    assert out["units"] == sorted(codes.values())
    assert out["max_residual"] < 0.001 and out["crs"] == "EPSG:4547"
    assert out["transform"]["scale"] == pytest.approx(0.001, rel=1e-6)
    assert out["transform"]["rotation"] == pytest.approx(ROT, abs=1e-6)
    with transaction(sf) as s:
        for label, x, y, w, h in BUILDINGS:
            fp = registry.get_unit(s, codes[label]).footprint
            corner = ground_of(x * 1000, y * 1000)
            assert min(Point(corner).distance(Point(c)) for c in fp.exterior.coords) < 1e-8
            # 1 mm on the drawing is 1 mm on the ground: the area is kept
            assert geo.to_projected(fp, GK).area == pytest.approx(w * h, rel=1e-4)
        (fit,) = list_fits(s, CODE)
        blob = registry.resolve_version(s, CODE, "head").manifest[SHEET_NO]["blob"]
        assert fit.sheet_revision_id == registry.get_sheet(s, blob).id
        assert [p.unit_code for p in fit.placements] == sorted(codes.values())
        assert geo.check_project(s, CODE) == []
    # the same revision: nothing moved; a revision moving 2#楼 3 m east: reported with 3 m
    with transaction(sf) as s:
        same = check_moved(s, store, CODE, SHEET_NO)
    assert same["moved"] == [] and {u["matched_by"] for u in same["units"]} == {"handle"}
    write_siteplan(tmp_path / "set" / "site.dxf", move={"2#楼": (3.0, 0.0)}, handle_seed=5)
    with transaction(sf) as s:
        ingest(s, store, CODE, [str(tmp_path / "set" / "site.dxf")], message="改", author="设计院")
    with transaction(sf) as s:
        later = check_moved(s, store, CODE, SHEET_NO, rev="head")
    assert later["moved"] == [codes["2#楼"]]
    moved = next(u for u in later["units"] if u["unit"] == codes["2#楼"])
    assert moved["shift_m"] == pytest.approx(3.0, abs=0.01) and moved["matched_by"] == "nearest"


def test_place_by_handle_and_refusals(plan) -> None:
    sf, store, codes, handles, _ = plan
    bad = [*CONTROL[:3], cp(0, 100_000, off_m=2.0)]
    with transaction(sf) as s, pytest.raises(InvalidInput,
                                             match=r"control point 4 .* off by 1\.\d+ m"):
        geo.siteplan.place_units(s, store, CODE, SHEET_NO, bad, layer="建筑", actor="张工")
    with transaction(sf) as s:
        # a loose tolerance lets the same points through, with the residuals stored
        out = geo.siteplan.place_units(s, store, CODE, SHEET_NO, bad, actor="张工",
                                       handles={codes["1#楼"]: handles["1#楼"]},
                                       fit_tolerance_m=3.0)
        assert out["units"] == [codes["1#楼"]] and out["max_residual"] > 0.5
        assert len(out["points"]) == 4 and all("residual" in p for p in out["points"])
    with transaction(sf) as s, pytest.raises(InvalidInput, match="not a closed outline"):
        geo.siteplan.place_units(s, store, CODE, SHEET_NO, CONTROL, actor="张工",
                                 handles={codes["2#楼"]: "FFFF"})
    with transaction(sf) as s, pytest.raises(InvalidInput, match="no closed outline"):
        geo.siteplan.place_units(s, store, CODE, SHEET_NO, CONTROL, layer="nope", actor="张工")
    with transaction(sf) as s:  # the site from the plan's red line (a closed polyline)
        out = geo.siteplan.place_units(s, store, CODE, SHEET_NO, CONTROL, site_layer="红线",
                                       actor="张工")
        assert out["site"] and out["units"] == []
        site = geo.to_projected(geo.site_of(registry.get_project(s, CODE)), GK)
        assert site.area == pytest.approx(150 * 100, rel=1e-4)
    with transaction(sf) as s, pytest.raises(InvalidInput, match="no closed outline or"):
        geo.siteplan.place_units(s, store, CODE, SHEET_NO, CONTROL, site_layer="文字",
                                 actor="张工")
    with transaction(sf) as s, pytest.raises(NotFound, match="no sheet"):
        geo.siteplan.place_units(s, store, CODE, "X-99", CONTROL, layer="建筑", actor="张工")
    # a site too small for the placed outlines: refused by the site check, nothing stored
    with transaction(sf) as s:
        geo.set_site(s, CODE, rect(-10, -10, 170, 200))
        registry.get_project(s, CODE).site_footprint_wkt = rect(-10, -10, 50, 50).wkt
    with transaction(sf) as s, pytest.raises(geo.GeoCheckFailed, match="inside-site"):
        geo.siteplan.place_units(s, store, CODE, SHEET_NO, CONTROL, layer="建筑", actor="张工")
    with transaction(sf) as s:
        assert len(list_fits(s, CODE)) == 2


@needs_corpus
def test_corpus_site_plan(sf, tmp_path: Path) -> None:
    """EMF 2016's site plan (OSGB metres): camping areas placed by their labels; the next
    revision was re-saved by another CAD program with every handle renumbered and nothing
    moved: every unit is found again (by position) and reported in place."""
    pair = corpus_dir() / "pairs" / "emfcamp-2016-siteplan-roundtrip"
    store = open_blob_store((tmp_path / "objects").as_uri())
    names = ["Camping A", "Camping B", "Family Camping", "Quiet Camping"]
    # the plan's own frame put down near Shenzhen: OSGB (497000, 146500) -> the origin
    control = [ControlPoint((x, y), ground_of((x - 497000) * 1000, (y - 146500) * 1000))
               for x, y in [(497200, 146600), (497500, 146650), (497450, 147100),
                            (497250, 147050)]]
    mapping = {"r1_ca307c3.dxf": {"number": "EMF-SITE"}, "r2_5b16005.dxf": {"number": "EMF-SITE"}}
    with transaction(sf) as s:
        registry.create_project(s, CODE, "EMF")
        codes = {n: registry.add_unit(s, CODE, division="440305", name=n).code for n in names}
        ingest(s, store, CODE, [str(pair / "r1_ca307c3.dxf")], message="r1", author="a",
               mapping=mapping)
    with transaction(sf) as s:
        out = geo.siteplan.place_units(s, store, CODE, "EMF-SITE", control,
                                       layer="Areas - Camping",
                                       site_layer="License Perimeter", actor="a")
    assert out["units"] == sorted(codes.values()) and out["max_residual"] < 0.01
    assert out["site"]
    with transaction(sf) as s:  # the site: the perimeter's loose LINEs closed into a polygon
        site = geo.site_of(registry.get_project(s, CODE))
        feet = [u.footprint for u in registry.list_units(s, CODE)]
    corner = Point(ground_of((497282.5920117234 - 497000) * 1000,  # one LINE's end point
                             (146778.5859541101 - 146500) * 1000))
    assert min(corner.distance(Point(c)) for c in site.exterior.coords) < 1e-8
    assert all(site.covers(f) for f in feet)
    assert out["transform"]["rotation"] == pytest.approx(ROT, abs=1e-6)
    with transaction(sf) as s:
        area = geo.to_projected(registry.get_unit(s, codes["Camping B"]).footprint, GK).area
    assert area == pytest.approx(7610, rel=0.01)  # the hatch's own area, in m²
    with transaction(sf) as s:
        ingest(s, store, CODE, [str(pair / "r2_5b16005.dxf")], message="r2", author="a",
               mapping=mapping)
    with transaction(sf) as s:
        later = check_moved(s, store, CODE, "EMF-SITE")
    assert later["moved"] == []
    assert {u["matched_by"] for u in later["units"]} == {"nearest"}
