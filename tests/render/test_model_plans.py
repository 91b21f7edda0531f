"""Plan views of IFC models (#18): one sheet per storey through the neutral model, rendered,
diffed and overlaid like drawings."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from diffing import diff_drawings
from drawings import read_model
from drawings.render import model_plans, overlay, render_source
from tests.e2e.cli import CODE, yt
from tests.gen.ifcmodel import edit_house, make_house, write


@pytest.fixture(scope="module")
def house(tmp_path_factory) -> tuple[Path, Path]:
    d = tmp_path_factory.mktemp("plans")
    f = make_house()
    edit_house(f)
    return write(make_house(), d / "M-01 模型.ifc"), write(f, d / "edited" / "M-01 模型.ifc")


def test_one_sheet_per_storey_with_elements_by_globalid(house) -> None:
    data = house[0].read_bytes()
    d = model_plans(data, "M-01")
    m = read_model(data, "M-01")
    assert [s.name for s in d.sheets] == ["1F", "2F"] and d.units == "mm"
    s1 = d.sheet("1F")
    walls = {e.guid for e in m.elements if e.cls == "IfcWall"
             and (e.container or {}).get("name") == "1F"}
    drawn = {e.handle for e in s1.entities if e.layer == "A-WALL"}
    assert drawn == walls and len(walls) == 5
    door = next(e for e in m.elements if e.name == "1F-D1")
    assert any(e.handle == door.guid and e.layer == "A-DOOR" for e in s1.entities)
    label = next(e for e in s1.entities if e.kind == "TEXT")
    assert label.text == "客厅" and label.layer == "A-AREA"
    # W1 of 1F runs along y = 0 from x = 0 to 8 m, 0.2 m thick
    w1 = next(e for e in s1.entities if e.handle == next(x.guid for x in m.elements
                                                          if x.name == "1F-W1"))
    x0, y0, x1, y1 = w1.bbox
    assert (round(x0), round(x1)) == (0, 8000) and round(y1 - y0) == 200


def test_plans_render_and_a_revision_overlays(house, tmp_path: Path) -> None:
    a, b = house
    done = render_source(a, "png", layout="2F", width=600)
    assert done.sheet == "2F" and done.data[:8] == b"\x89PNG\r\n\x1a\n"
    od, nd = model_plans(a.read_bytes(), "old"), model_plans(b.read_bytes(), "new")
    rep = diff_drawings(od, nd, sheet="1F")
    m = read_model(b.read_bytes(), "new")
    moved = next(e.guid for e in m.elements if e.name == "1F-W5")
    column = next(e.guid for e in m.elements if e.name == "1F-C1")
    handles = {(c.kind, c.new_handle) for c in rep.changes}
    assert ("modified", moved) in handles and ("added", column) in handles
    out = overlay(rep, od, nd, tmp_path / "ov.png", sheet="1F", width=600)
    assert out.read_bytes()[:4] == b"\x89PNG"


def test_cli_renders_a_storey_of_a_stored_model(home, house, tmp_path: Path) -> None:
    yt("init")
    yt("project", "create", CODE, "示例项目")
    yt("ingest", CODE, str(house[0]), "-m", "r1")
    yt("ingest", CODE, str(house[1]), "-m", "r2")
    info = json.loads(yt("render", f"{CODE}:head:M-01", "-o", str(tmp_path / "p.png"),
                         "--layout", "1F", "--width", "500", "--json"))
    assert info["sheet"] == "1F" and info["entities"] > 5
    yt("diff", f"{CODE}:head~1:M-01", f"{CODE}:head:M-01", "--overlay",
       str(tmp_path / "ov.png"), "--storey", "1F", "--format", "quiet", code=1)
    assert (tmp_path / "ov.png").stat().st_size > 0


@pytest.fixture
def home(tmp_path: Path, monkeypatch) -> Path:
    h = tmp_path / "home"
    monkeypatch.setenv("YITAOTU_HOME", str(h))
    monkeypatch.setenv("YITAOTU_USER", "张工")
    for k in ("YITAOTU_DATABASE_URL", "YITAOTU_BLOBS"):
        monkeypatch.delenv(k, raising=False)
    return h
