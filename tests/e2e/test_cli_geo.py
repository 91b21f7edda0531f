"""`yitaotu geo`: site, footprints, check, GeoJSON out and back in, refusals naming checks."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.drawings.geohelp import rect
from tests.e2e.cli import CODE, yt


def js(*args: str, code: int = 0):
    return json.loads(yt(*args, "--json", code=code))


def test_geo_cli(home: Path, tmp_path: Path) -> None:
    yt("init")
    yt("project", "create", CODE, "示例住宅")
    a = js("unit", "add", CODE, "--division", "110101", "--year", "2025")["code"]
    b = js("unit", "add", CODE, "--division", "110101", "--year", "2025")["code"]
    yt("geo", "site", CODE, rect(0, 0, 200, 100).wkt)
    yt("geo", "footprint", a, rect(10, 10, 40, 30).wkt)
    out = yt("geo", "footprint", b, rect(30, 10, 40, 30).wkt, code=20)
    assert "check overlap failed" in out and f"overlaps unit {a}" in out
    assert [f["check"] for f in js("geo", "check", CODE, code=20)] == ["footprint-present"]
    yt("geo", "footprint", b, rect(60, 10, 40, 30).wkt)
    assert "全部通过 all checks passed" in yt("geo", "check", CODE)

    out_file = tmp_path / "map.geojson"
    yt("geo", "export", CODE, "-o", str(out_file))
    doc = json.loads(out_file.read_text())
    assert [f["properties"].get("code") for f in doc["features"]] == [None, a, b]
    assert json.loads(yt("geo", "export", CODE)) == doc
    metres = json.loads(yt("geo", "export", CODE, "--crs", "EPSG:4547"))
    assert metres["features"][0]["geometry"]["coordinates"][0][0][0] > 400000

    # move b in the file and import: applied; a file that overlaps: refused, nothing changed
    doc["features"][2]["geometry"] = rect(120, 10, 40, 30).__geo_interface__
    out_file.write_text(json.dumps(doc))
    assert js("geo", "import", CODE, str(out_file))["units"] == [a, b]
    doc["features"][2]["geometry"] = rect(20, 20, 40, 30).__geo_interface__
    out_file.write_text(json.dumps(doc))
    assert "check overlap failed" in yt("geo", "import", CODE, str(out_file), code=20)
    shown = js("unit", "show", b)["footprint"]["coordinates"][0]
    assert shown == [list(p) for p in rect(120, 10, 40, 30).exterior.coords]
    out_file.write_text("{not json")
    assert f"{out_file}" in yt("geo", "import", CODE, str(out_file), code=20)


def test_place_and_moved_cli(home: Path, tmp_path: Path) -> None:
    from tests.drawings.geohelp import ground_of
    from tests.gen.siteplan import BUILDINGS, SHEET_NO, write_siteplan

    yt("init")
    yt("project", "create", CODE, "示例小区")
    codes = {label: js("unit", "add", CODE, "--division", "110101", "--name", label)["code"]
             for label, *_ in BUILDINGS}
    handles = write_siteplan(tmp_path / "set" / "site.dxf")
    yt("ingest", CODE, str(tmp_path / "set"), "-m", "总平面图")
    points = []
    for x, y in [(0, 0), (150_000, 0), (150_000, 100_000)]:
        lon, lat = ground_of(x, y)
        points += ["--point", f"{x},{y}={lon!r},{lat!r}"]
    out = yt("geo", "place", CODE, SHEET_NO, *points, "--layer", "建筑")
    assert "已落图 placed 3 units" in out and "residual 0.000 m" in out
    lon, lat = ground_of(0, 100_000)
    far = ["--point", f"0,100000={lon + 0.0001!r},{lat!r}"]  # ~10 m off
    out = yt("geo", "place", CODE, SHEET_NO, *points, *far, "--unit",
             f"{codes['1#楼']}={handles['1#楼']}", code=20)
    assert "fit refused: control point 4" in out and "tolerance 0.5 m" in out
    fits = js("geo", "fits", CODE)
    assert len(fits) == 1 and sorted(fits[0]["units"]) == sorted(codes.values())
    assert "same" in yt("geo", "moved", CODE, SHEET_NO)
    write_siteplan(tmp_path / "set" / "site.dxf", move={"1#楼": (0.0, 2.0)})
    yt("ingest", CODE, str(tmp_path / "set"), "-m", "1#楼北移")
    moved = js("geo", "moved", CODE, SHEET_NO, code=21)
    assert moved["moved"] == [codes["1#楼"]]
    assert "全部通过 all checks passed" in yt("geo", "check", CODE)


def test_query_cli(home: Path) -> None:
    yt("init")
    yt("project", "create", CODE, "示例住宅")
    yt("geo", "site", CODE, rect(0, 0, 200, 100).wkt)
    a = js("unit", "add", CODE, "--division", "110101", "--footprint",
           rect(10, 10, 40, 30).wkt)["code"]
    c = rect(10, 10, 40, 30).centroid
    hits = js("geo", "query", "--point", f"{c.x!r},{c.y!r}")
    assert [(h["kind"], h["code"]) for h in hits] == [("project", CODE), ("unit", a)]
    assert js("geo", "query", "--point", f"{c.x!r},{c.y!r}", "--kind", "unit")[0]["code"] == a
    near = js("geo", "query", "--polygon", rect(60, 10, 5, 5).wkt, "--within", "20")
    assert [h["code"] for h in near] == [CODE, a]
    assert near[1]["distance_m"] == pytest.approx(10.0, abs=0.01)
    assert "LON,LAT" in yt("geo", "query", "--point", "x", code=20)
