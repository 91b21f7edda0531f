"""DXF readers on generated drawings: entity kinds, versions, encodings, OCS, styles, faults."""

from __future__ import annotations

import math
import random
from collections import Counter
from pathlib import Path

import ezdxf
import pytest

import drawings
from drawings.model import Drawing, Entity
from storage.errors import FileFormatError


def _save(doc, path: Path, **kw) -> Path:
    doc.saveas(path, **kw)
    return path


def _one(d: Drawing, kind: str, sheet: str = "Model") -> Entity:
    ents = [e for e in d.sheet(sheet) if e.kind == kind]
    assert len(ents) == 1, (kind, ents)
    return ents[0]


def _fps(d: Drawing, sheet: str = "Model") -> Counter:
    return Counter(e.fingerprint for e in d.sheet(sheet))


def _approx(a, b, tol=1e-9) -> bool:
    if isinstance(a, tuple | list):
        return len(a) == len(b) and all(_approx(x, y, tol) for x, y in zip(a, b, strict=True))
    return math.isclose(a, b, abs_tol=tol)


def build_sample(doc, *, order_seed: int | None = None, burn_handles: int = 0) -> None:
    """The same content in any document; ``burn_handles`` shifts every handle it gets."""
    for name, color in (("A-WALL", 1), ("A-TEXT", 3), ("A-DIMS", 4), ("A-HATCH", 8)):
        if name not in doc.layers:
            doc.layers.add(name, color=color)
    door = doc.blocks.new("DOOR")
    door.add_line((0, 0), (900, 0))
    door.add_arc((0, 0), 900, 0, 90)
    door.add_attdef("编号", (0, -200), dxfattribs={"height": 100})
    msp = doc.modelspace()
    for _ in range(burn_handles):
        msp.delete_entity(msp.add_point((0, 0)))
    adds = [
        lambda: msp.add_line((0, 0), (1000, 500), dxfattribs={"layer": "A-WALL"}),
        lambda: msp.add_lwpolyline([(0, 0, 0, 0, 0.5), (1000, 0, 0, 0, 0), (1000, 800)],
                                   format="xyseb", close=True, dxfattribs={"layer": "A-WALL"}),
        lambda: msp.add_circle((500, 500), 250),
        lambda: msp.add_arc((200, 300), 150, 30, 120),
        lambda: msp.add_text("一层平面图", height=350, dxfattribs={"layer": "A-TEXT"})
        .set_placement((100, 2000)),
        lambda: msp.add_mtext("{\\fSimSun|b1;说明}\\P材料 C30", dxfattribs={"layer": "A-TEXT"})
        .set_location((100, 3000)),
        lambda: msp.add_blockref("DOOR", (3000, 0), dxfattribs={"rotation": 90})
        .add_auto_attribs({"编号": "M1021"}),
        lambda: msp.add_ellipse((4000, 4000), major_axis=(500, 0), ratio=0.5, start_param=0,
                                end_param=math.pi),
        lambda: msp.add_spline([(0, 0), (100, 200), (300, 100), (500, 400)]),
        lambda: msp.add_point((7, 8)),
        lambda: msp.add_solid([(0, 0), (10, 0), (0, 10), (10, 10)]),
    ]  # fmt: skip
    rnd = random.Random(order_seed)
    if order_seed is not None:
        rnd.shuffle(adds)
    for add in adds:
        add()
    h = msp.add_hatch(color=2, dxfattribs={"layer": "A-HATCH"})
    h.paths.add_polyline_path([(0, 0), (900, 0), (900, 600), (0, 600)])
    edge = h.paths.add_edge_path()
    edge.add_line((2000, 0), (2800, 0))
    edge.add_arc((2800, 400), 400, -90, 90)
    edge.add_line((2800, 800), (2000, 800))
    edge.add_line((2000, 800), (2000, 0))
    dim = msp.add_linear_dim(base=(0, -500), p1=(0, 0), p2=(1000, 0),
                             dxfattribs={"layer": "A-DIMS"})  # fmt: skip
    dim.render()


@pytest.fixture
def sample(tmp_path: Path) -> Drawing:
    doc = ezdxf.new("R2018", setup=True)
    build_sample(doc)
    layout = doc.layouts.new("A1 出图")
    layout.page_setup(size=(841, 594), margins=(10, 10, 10, 10), units="mm")
    layout.add_viewport(center=(400, 300), size=(700, 500), view_center_point=(2000, 2000),
                        view_height=6000)  # fmt: skip
    layout.add_text("图号：A-101", height=5).set_placement((700, 40))
    return drawings.read(_save(doc, tmp_path / "sample.dxf"))


def test_sheets_and_paper(sample: Drawing) -> None:
    assert sample.format == "dxf" and sample.version == "AC1032"
    assert [s.name for s in sample.sheets][0] == "Model"
    paper = sample.sheet("A1 出图")
    assert paper.paper["width"] == pytest.approx(841) and paper.paper["units"] == "mm"
    assert {e.kind for e in paper} >= {"VIEWPORT", "TEXT"}
    vp = next(e for e in paper if e.kind == "VIEWPORT" and e.geometry["width"] == 700)
    assert _approx(vp.geometry["view_center"], (2000, 2000)) and vp.geometry["view_height"] == 6000
    assert sample.title["number"] == "A-101"


def test_every_entity_kind(sample: Drawing) -> None:
    line = _one(sample, "LINE")
    assert line.geometry == {"points": [(0.0, 0.0), (1000.0, 500.0)]} and line.layer == "A-WALL"
    assert line.bbox == (0.0, 0.0, 1000.0, 500.0) and line.anchor == (0.0, 0.0)
    assert line.handle and len(line.fingerprint) == 32 and len(line.shape) == 32

    pl = _one(sample, "LWPOLYLINE")
    assert pl.geometry["points"] == [(0.0, 0.0, 0.5), (1000.0, 0.0, 0.0), (1000.0, 800.0, 0.0)]
    assert pl.geometry["closed"] is True
    assert pl.bbox[1] < -100  # the bulge bows below the chord

    arc = _one(sample, "ARC")
    assert _approx((arc.geometry["start_angle"], arc.geometry["end_angle"]), (30, 120))
    assert _one(sample, "CIRCLE").geometry == {"center": (500.0, 500.0), "radius": 250.0}

    text = _one(sample, "TEXT")
    assert text.text == "一层平面图" and _approx(text.geometry["insert"], (100, 2000))
    assert text.geometry["height"] == 350
    mtext = _one(sample, "MTEXT")
    assert mtext.text == "说明\n材料 C30"

    ins = _one(sample, "INSERT")
    assert ins.geometry["block"] == "DOOR" and ins.attribs == {"编号": "M1021"}
    assert ins.geometry["rotation"] == pytest.approx(90)
    assert ins.bbox[0] < 3000 - 800  # the door block turned by 90 degrees reaches to -x

    ell = _one(sample, "ELLIPSE")
    assert _approx(ell.geometry["major_axis"], (500, 0)) and ell.geometry["ratio"] == 0.5
    spl = _one(sample, "SPLINE")
    assert spl.geometry["degree"] == 3
    assert spl.geometry["fit_points"] == [
        (0.0, 0.0),
        (100.0, 200.0),
        (300.0, 100.0),
        (500.0, 400.0),
    ]
    assert _one(sample, "POINT").geometry == {"location": (7.0, 8.0)}
    assert len(_one(sample, "SOLID").geometry["points"]) == 4

    hatch = _one(sample, "HATCH")
    assert hatch.geometry["solid"] is True and len(hatch.geometry["paths"]) == 2
    assert len(hatch.geometry["paths"][0]) == 4
    bulges = [v[2] for v in hatch.geometry["paths"][1]]
    assert any(b == pytest.approx(1.0) for b in bulges)  # the half circle edge: one exact bulge

    dim = _one(sample, "DIMENSION")
    assert dim.geometry["block"].startswith("*D")
    assert dim.geometry["measurement"] in (None, 1000)  # ezdxf does not write group 42
    assert (0.0, 0.0) in dim.geometry["defpoints"] and (1000.0, 0.0) in dim.geometry["defpoints"]
    assert dim.geometry["block"] in sample.blocks


def test_blocks_and_insert_fingerprints(tmp_path: Path) -> None:
    def make(door_width: float, attrib: str) -> Drawing:
        doc = ezdxf.new("R2018")
        blk = doc.blocks.new("DOOR")
        blk.add_line((0, 0), (door_width, 0))
        blk.add_attdef("NO", (0, -200))
        doc.modelspace().add_blockref("DOOR", (10, 10)).add_auto_attribs({"NO": attrib})
        return drawings.read(_save(doc, tmp_path / f"d{door_width}{attrib}.dxf"))

    a, b, c = make(900, "M1"), make(1000, "M1"), make(900, "M2")
    fa, fb, fc = (_one(d, "INSERT").fingerprint for d in (a, b, c))
    assert fa != fb  # editing the block definition changes every INSERT of it
    assert fa != fc  # so does an attribute value
    assert a.blocks["DOOR"].fingerprint != b.blocks["DOOR"].fingerprint
    assert a.blocks["DOOR"].base_point == (0.0, 0.0)
    assert [e.kind for e in a.blocks["DOOR"].entities] == ["LINE", "ATTDEF"]


def test_resave_renumbered_and_shuffled_gives_equal_multisets(tmp_path: Path) -> None:
    doc1 = ezdxf.new("R2018", setup=True)
    build_sample(doc1)
    doc2 = ezdxf.new("R2018", setup=True)
    build_sample(doc2, order_seed=7, burn_handles=57)
    d1 = drawings.read(_save(doc1, tmp_path / "a.dxf"))
    d2 = drawings.read(_save(doc2, tmp_path / "b.dxf"))
    h1 = {e.handle for e in d1.sheet("Model")}
    h2 = {e.handle for e in d2.sheet("Model")}
    assert h1 != h2  # handles really were renumbered ...
    assert [e.kind for e in d1.sheet("Model")] != [e.kind for e in d2.sheet("Model")]  # shuffled
    assert _fps(d1) == _fps(d2)  # ... and the content is still equal


def test_same_content_across_versions(tmp_path: Path) -> None:
    """R2000, R2018 and binary R2018 of the same content fingerprint equal."""
    got = []
    for version, binary in (("R2000", False), ("R2018", False), ("R2018", True)):
        doc = ezdxf.new(version, setup=True)
        build_sample(doc)
        path = tmp_path / f"{version}{binary}.dxf"
        doc.saveas(path, fmt="bin" if binary else "asc")
        got.append(drawings.read(path))
    assert drawings.detect_format(path.read_bytes()[:100]).format == "dxf-binary"
    assert _fps(got[0]) == _fps(got[1]) == _fps(got[2])


def test_r12_polylines_and_inserts(tmp_path: Path) -> None:
    doc = ezdxf.new("R12")
    doc.modelspace().add_polyline2d([(0, 0), (10, 0), (10, 10)], close=True)
    doc.modelspace().add_polyline3d([(0, 0, 0), (10, 0, 5), (10, 10, 0)])
    blk = doc.blocks.new("B")
    blk.add_circle((0, 0), 5)
    doc.modelspace().add_blockref("B", (50, 50))
    doc.modelspace().add_text("R12 text").set_placement((1, 2))
    d = drawings.read(_save(doc, tmp_path / "r12.dxf"))
    assert d.version == "AC1009"
    polys = [e for e in d.sheet("Model") if e.kind == "POLYLINE"]
    assert polys[0].geometry["points"] == [(0.0, 0.0, 0.0), (10.0, 0.0, 0.0), (10.0, 10.0, 0.0)]
    assert polys[0].geometry["closed"] is True and polys[1].geometry["mode"] == "3d"
    assert _one(d, "INSERT").bbox == pytest.approx((45, 45, 55, 55))
    assert _one(d, "TEXT").text == "R12 text"


def test_explicit_style_equals_bylayer(tmp_path: Path) -> None:
    doc = ezdxf.new("R2018", setup=True)
    doc.layers.add("WALL", color=1, linetype="DASHED", lineweight=50)
    msp = doc.modelspace()
    msp.add_line((0, 0), (1, 1), dxfattribs={"layer": "WALL"})
    msp.add_line((0, 0), (1, 1), dxfattribs={"layer": "WALL", "color": 1, "linetype": "DASHED",
                                             "lineweight": 50})  # fmt: skip
    msp.add_line((0, 0), (1, 1), dxfattribs={"layer": "WALL", "color": 2})
    d = drawings.read(_save(doc, tmp_path / "style.dxf"))
    a, b, c = d.sheet("Model").entities
    assert a.style == b.style == {"color": 1, "linetype": "DASHED", "lineweight": 50}
    assert a.fingerprint == b.fingerprint
    assert c.fingerprint != a.fingerprint and c.shape != a.shape


def test_true_colour(tmp_path: Path) -> None:
    doc = ezdxf.new("R2018")
    doc.modelspace().add_line((0, 0), (1, 1), dxfattribs={"true_color": 0x12AB34})
    d = drawings.read(_save(doc, tmp_path / "tc.dxf"))
    assert d.sheet("Model").entities[0].style["color"] == "#12ab34"


def test_xdata_kept_but_not_fingerprinted(tmp_path: Path) -> None:
    doc = ezdxf.new("R2018")
    doc.appids.add("EMFNET")
    msp = doc.modelspace()
    msp.add_line((0, 0), (1, 1))
    msp.add_line((0, 0), (1, 1)).set_xdata("EMFNET", [(1000, "switch-7")])
    d = drawings.read(_save(doc, tmp_path / "x.dxf"))
    a, b = d.sheet("Model").entities
    assert a.fingerprint == b.fingerprint and a.xdata is None
    assert b.xdata == {"EMFNET": [[1000, "switch-7"]]}


def test_moved_entity_keeps_its_shape(tmp_path: Path) -> None:
    doc = ezdxf.new("R2018")
    msp = doc.modelspace()
    msp.add_lwpolyline([(0, 0, 0, 0, 0.3), (10, 0), (10, 5)], format="xyseb")
    msp.add_lwpolyline([(100, 50, 0, 0, 0.3), (110, 50), (110, 55)], format="xyseb")
    d = drawings.read(_save(doc, tmp_path / "m.dxf"))
    a, b = d.sheet("Model").entities
    assert a.fingerprint != b.fingerprint and a.shape == b.shape
    assert b.anchor == (100.0, 50.0)


def test_mirrored_ocs_entities(tmp_path: Path) -> None:
    doc = ezdxf.new("R2018")
    msp = doc.modelspace()
    arc = msp.add_arc((10, 0), 5, 0, 90, dxfattribs={"extrusion": (0, 0, -1)})
    msp.add_circle((3, 4), 1, dxfattribs={"extrusion": (0, 0, -1)})
    msp.add_lwpolyline([(0, 0, 0, 0, 0.5), (10, 0)], format="xyseb",
                       dxfattribs={"extrusion": (0, 0, -1)})  # fmt: skip
    want_start, want_end = arc.start_point, arc.end_point  # ezdxf gives them in WCS
    d = drawings.read(_save(doc, tmp_path / "ocs.dxf"))
    a = _one(d, "ARC").geometry
    assert _approx(a["center"], (-10.0, 0.0))
    # our arc runs CCW (seen from +Z) from start to end: the mirrored arc's ends, swapped
    cx, cy, r = *a["center"], a["radius"]
    s = (
        cx + r * math.cos(math.radians(a["start_angle"])),
        cy + r * math.sin(math.radians(a["start_angle"])),
    )
    e = (
        cx + r * math.cos(math.radians(a["end_angle"])),
        cy + r * math.sin(math.radians(a["end_angle"])),
    )
    assert _approx(s, (want_end.x, want_end.y)) and _approx(e, (want_start.x, want_start.y))
    assert _approx(_one(d, "CIRCLE").geometry["center"], (-3.0, 4.0))
    pts = _one(d, "LWPOLYLINE").geometry["points"]
    assert _approx(pts, [(0.0, 0.0, -0.5), (-10.0, 0.0, 0.0)])


def test_mirrored_insert_spellings_are_equal(tmp_path: Path) -> None:
    doc = ezdxf.new("R2018")
    doc.blocks.new("B").add_line((0, 0), (1, 2))
    msp = doc.modelspace()
    msp.add_blockref("B", (5, 5), dxfattribs={"xscale": 1, "yscale": -1, "rotation": 0})
    msp.add_blockref("B", (5, 5), dxfattribs={"xscale": -1, "yscale": 1, "rotation": 180})
    d = drawings.read(_save(doc, tmp_path / "mir.dxf"))
    a, b = d.sheet("Model").entities
    assert a.fingerprint == b.fingerprint


GBK_DXF = """  0
SECTION
  2
HEADER
  9
$ACADVER
  1
AC1015
  9
$DWGCODEPAGE
  3
ANSI_936
  0
ENDSEC
  0
SECTION
  2
ENTITIES
  0
TEXT
  5
2F
  8
建筑
 10
1.0
 20
2.0
 40
3.5
  1
一层平面图
  0
TEXT
  5
30
  8
0
 10
1.0
 20
9.0
 40
3.5
  1
\\U+4E8C\\U+5C42 %%c100
  0
ENDSEC
  0
EOF
"""


def test_gbk_codepage_and_unicode_escapes(tmp_path: Path) -> None:
    path = tmp_path / "gbk.dxf"
    path.write_bytes(GBK_DXF.replace("\n", "\r\n").encode("gbk"))
    d = drawings.read(path)
    a, b = d.sheet("Model").entities
    assert (a.text, a.layer, a.handle) == ("一层平面图", "建筑", "2F")
    assert b.text == "二层 \u00d8100"
    assert "建筑" not in d.layers  # no LAYER table in this minimal file: nothing invented


def test_bytes_source_and_name(corpus: Path) -> None:
    path = corpus / "single/woodshed/plan_floor.dxf"
    d = drawings.read(path.read_bytes(), name="卫生间.dxf")
    assert d.path == "卫生间.dxf"
    assert len(d.sheet("Model")) == len(drawings.read(path).sheet("Model")) > 300


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"", "empty"),
        (b"garbage " * 50, "not a DXF, DWG or PDF"),
        (b"AC1032" + b"\x00" * 10, "truncated DWG"),
        (b"AC1027" + b"\x5a" * 4000, "unreadable DWG"),
        (b"%PDF-1.7\n%broken", "PDF"),
    ],
)
def test_bad_files_name_the_file(tmp_path: Path, content: bytes, reason: str) -> None:
    path = tmp_path / "坏文件.bin"
    path.write_bytes(content)
    with pytest.raises(FileFormatError, match=reason) as exc:
        drawings.read(path)
    assert str(path) in str(exc.value)


def test_missing_file_and_directory(tmp_path: Path) -> None:
    with pytest.raises(FileFormatError, match="no such file"):
        drawings.read(tmp_path / "nope.dxf")
    with pytest.raises(FileFormatError, match="directory"):
        drawings.read(tmp_path)


def test_truncated_dxf_is_recovered_or_refused(tmp_path: Path, sample: Drawing) -> None:
    doc = ezdxf.new("R2018")
    build_sample(doc)
    full = _save(doc, tmp_path / "full.dxf").read_bytes()
    cut = tmp_path / "cut.dxf"
    cut.write_bytes(full[: len(full) * 2 // 3])
    try:
        d = drawings.read(cut)
    except FileFormatError as e:
        assert str(cut) in str(e)
    else:
        assert any("recovered" in w or "truncated" in w for w in d.warnings)


def test_damaged_dxf_goes_through_recover(tmp_path: Path) -> None:
    doc = ezdxf.new("R2018")
    doc.modelspace().add_line((0, 0), (1, 1))
    text = _save(doc, tmp_path / "ok.dxf").read_text(encoding="utf-8")
    start = text.index("ENTITIES")
    end = text.index("ENDSEC", start)
    damaged = tmp_path / "damaged.dxf"
    damaged.write_text(text[:end] + "ENDSEC_LOST" + text[end + 6 :], encoding="utf-8")
    d = drawings.read(damaged)
    assert "recovered" in d.warnings[0] and "ENTITIES" in d.warnings[0]
    assert [e.kind for e in d.sheet("Model")] == ["LINE"]


def test_unrecoverable_dxf_names_the_file(tmp_path: Path) -> None:
    doc = ezdxf.new("R2018")
    doc.modelspace().add_line((0, 0), (1, 1))
    text = _save(doc, tmp_path / "ok.dxf").read_text(encoding="utf-8")
    broken = text.replace("AcDbLine\n 10\n", "AcDbLine\nten\n", 1)  # a non-integer group code
    assert broken != text
    path = tmp_path / "broken.dxf"
    path.write_text(broken, encoding="utf-8")
    with pytest.raises(FileFormatError, match="damaged DXF") as exc:
        drawings.read(path)
    assert str(path) in str(exc.value)


@pytest.mark.parametrize("kind", ["LINE", "CIRCLE", "ARC", "POINT", "LWPOLYLINE", "TEXT", "MTEXT"])
def test_fast_paths_agree_with_the_general_ones(kind: str) -> None:
    from drawings.readers import common

    rnd = random.Random(kind)
    for _ in range(300):
        x, y = rnd.uniform(-1e6, 1e6), rnd.uniform(-1e6, 1e6)
        g = {
            "LINE": {"points": [(x, y), (x + rnd.uniform(-9, 9), y + rnd.uniform(-9, 9))]},
            "CIRCLE": {"center": (x, y), "radius": rnd.uniform(0, 50)},
            "ARC": {"center": (x, y), "radius": rnd.uniform(0, 50),
                    "start_angle": rnd.uniform(0, 360), "end_angle": rnd.uniform(0, 360)},
            "POINT": {"location": (x, y)},
            "LWPOLYLINE": {
                "points": [
                    (x + rnd.uniform(-5, 5), y + rnd.uniform(-5, 5), rnd.choice([0.0, 0.5, -1.0]))
                    for _ in range(rnd.randint(1, 6))
                ],
                "closed": rnd.random() < 0.5, "width": rnd.choice([0.0, 0.25]),
            },
            "MTEXT": {"insert": (x, y), "height": 2.5, "rotation": rnd.uniform(0, 360),
                      "width": rnd.choice([0.0, 40.0]), "attachment": rnd.randint(1, 9),
                      "style": "Standard"},
            "TEXT": {"insert": (x, y), "height": 2.5, "rotation": rnd.uniform(0, 360),
                     "width_factor": 1.0, "halign": rnd.choice([0, 1]), "valign": 0,
                     "style": "Standard"},
        }[kind]  # fmt: skip
        style = {"color": rnd.choice([1, 7, "#ff0000"]), "linetype": "Continuous", "lineweight": 25}
        text = "二层平面 Plan\n第二行" if kind in ("TEXT", "MTEXT") else None
        fast = Entity(kind, "墙", "1F", g, text, style)
        slow = Entity(kind, "墙", "1F", dict(g), text, style)
        common._FAST[kind](fast, {})
        slow.bbox = common.entity_bbox(slow, {}, {})
        slow.anchor = common.entity_anchor(slow)
        common.fingerprint_entity(slow, {})
        assert (fast.bbox, fast.anchor, fast.fingerprint, fast.shape) == (
            slow.bbox, slow.anchor, slow.fingerprint, slow.shape,
        )  # fmt: skip


def test_insert_fast_path_agrees_with_the_general_one() -> None:
    from drawings.model import BlockDef
    from drawings.readers import common

    rnd = random.Random("INSERT")
    blocks = {"门": BlockDef("门", (1.5, -2.0), []), "*U3": BlockDef("*U3", (0.0, 0.0), []),
              "空": BlockDef("空", (0.0, 0.0), [])}
    boxes = {"门": (0.0, -1.0, 9.0, 4.5), "*U3": (-3.0, -3.0, 3.0, 3.0),
             "空": common.EMPTY_BBOX}
    fps = {"门": "a" * 32, "*U3": "b" * 32}
    for _ in range(300):
        name = rnd.choice(["门", "*U3", "空", "missing"])
        g = {"insert": (rnd.uniform(-1e6, 1e6), rnd.uniform(-1e6, 1e6)),
             "scale": (rnd.choice([1.0, -1.0, 2.5]), rnd.choice([1.0, 0.5])),
             "rotation": rnd.choice([0.0, 90.0, rnd.uniform(0, 360)]), "block": name}
        attribs = rnd.choice([{}, {"图号": "A-101", "B": "门 M1"}])
        style = {"color": rnd.choice([1, 7, "#ff0000"]), "linetype": "Continuous", "lineweight": 25}
        fast = Entity("INSERT", "门", "1F", g, None, style, attribs)
        slow = Entity("INSERT", "门", "1F", dict(g), None, style, attribs)
        common._finish_entity(fast, blocks, boxes, fps, {})
        slow.bbox = common.entity_bbox(slow, blocks, boxes)
        slow.anchor = common.entity_anchor(slow)
        common.fingerprint_entity(slow, fps)
        assert (fast.bbox, fast.anchor, fast.fingerprint, fast.shape) == (
            slow.bbox, slow.anchor, slow.fingerprint, slow.shape,
        )  # fmt: skip


def test_model_digest_matches_the_readers_canonical_form() -> None:
    from drawings.model import digest
    from drawings.readers.common import canon, hexdigest

    for payload in ([1.5, -0.0, {"b": (1, 2.0000004), "a": None}], "墙", [math.inf, 1e300, True]):
        assert digest(payload) == hexdigest(canon(payload))
    assert digest([0.1 + 0.2]) == digest([0.3])  # rounded to FINGERPRINT_DECIMALS
    assert digest([-0.0]) == digest([0.0])


@pytest.mark.parametrize("tail", ["", "\n", "\n\n\n", "  \r\n\r\n"])
@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_line_endings_and_trailing_blank_lines(tmp_path: Path, tail: str, newline: str) -> None:
    doc = ezdxf.new("R2018")
    doc.modelspace().add_line((0, 0), (1, 1))
    text = _save(doc, tmp_path / "a.dxf").read_text(encoding="utf-8")
    d = drawings.read((text.replace("\n", newline) + tail).encode(), name="a.dxf")
    assert d.warnings == [] and len(d.sheet("Model")) == 1


def test_shape_is_the_documented_digest(sample: Drawing) -> None:
    """``Entity.shape`` = model.digest of the payload described in drawings/model.py."""
    import hashlib

    import orjson

    from drawings.model import canonical, digest
    from drawings.readers.common import relative_geometry, style_signatures

    styles = style_signatures(sample)
    for e in sample.sheet("Model"):
        g = relative_geometry(e.kind, e.geometry, e.anchor)
        if "style" in g and e.kind in ("TEXT", "MTEXT"):
            g = {**g, "style": styles[g["style"].upper()]}
        ref = None
        if e.kind in ("INSERT", "DIMENSION"):
            ref = sample.blocks[g["block"]].fingerprint
            g = {**g, "block": "*" if g["block"].startswith("*") else g["block"]}
        st = e.style
        payload = [e.kind, e.layer, g, e.text, [st["color"], st["linetype"], st["lineweight"]],
                   e.attribs or None, ref]  # fmt: skip
        assert e.shape == digest(payload), e.kind
        data = orjson.dumps(canonical(payload)) + orjson.dumps(canonical(list(e.anchor)))
        assert e.fingerprint == hashlib.blake2b(data, digest_size=16).hexdigest(), e.kind


def test_text_control_codes(tmp_path: Path) -> None:
    doc = ezdxf.new("R2018")
    doc.modelspace().add_text("%%u一层%%u平面 %%c100 %%d %%p0.5 %%065").set_placement((0, 0))
    d = drawings.read(_save(doc, tmp_path / "codes.dxf"))
    assert _one(d, "TEXT").text == "一层平面 Ø100 ° ±0.5 A"


def test_undeclared_utf8_in_an_old_version_file(tmp_path: Path) -> None:
    path = tmp_path / "utf8-r2000.dxf"
    path.write_bytes(GBK_DXF.replace("ANSI_936", "ANSI_1252").encode("utf-8"))
    assert drawings.read(path).sheet("Model").entities[0].text == "一层平面图"
    latin = tmp_path / "cp1252.dxf"
    latin.write_bytes(
        GBK_DXF.replace("ANSI_936", "ANSI_1252")
        .replace("一层平面图", "Küche")
        .encode("cp1252", "replace")
    )
    assert drawings.read(latin).sheet("Model").entities[0].text == "Küche"


@pytest.mark.parametrize("binary", [False, True])
def test_mtext_rotation_is_read_in_degrees_like_ezdxf(tmp_path: Path, binary: bool) -> None:
    doc = ezdxf.new("R2018")
    msp = doc.modelspace()
    msp.add_mtext("旋转 30°", dxfattribs={"insert": (1, 2), "rotation": 30, "char_height": 2.5})
    msp.add_mtext("mirrored", dxfattribs={"insert": (5, 5), "rotation": 30,
                                          "extrusion": (0, 0, -1)})
    path = tmp_path / "mtext.dxf"
    doc.saveas(path, fmt="bin" if binary else "asc")
    expected = [e.dxf.rotation for e in ezdxf.readfile(path).modelspace()]
    assert expected == [30.0, 30.0]  # ezdxf: MTEXT group 50 in degrees
    ents = drawings.read(path).sheets[0].entities
    assert [e.geometry["rotation"] for e in ents] == pytest.approx([30.0, 150.0])
