"""Renderer units on hand-made sheets: text stays text, layers, colours, linetypes, formats."""

from __future__ import annotations

import numpy as np
import pymupdf
import pytest

from drawings.model import BlockDef, Drawing, Entity, LayerInfo, Sheet
from drawings.render import format_of, render, render_bytes
from drawings.render.colors import to_rgb
from drawings.render.linetypes import dash_for, to_dash
from drawings.render.page import pick_sheet, plan
from drawings.render.pdf import content
from storage.errors import InvalidInput, NotFound


def _drawing(entities, *, layers=None, blocks=None, sheets=None) -> Drawing:
    layers = layers or {"0": LayerInfo("0")}
    return Drawing(
        "hand.dxf",
        "dxf",
        "AC1032",
        "mm",
        sheets or [Sheet("Model", entities)],
        blocks=blocks or {},
        layers=layers,
    )


def _line(x0, y0, x1, y1, layer="0", **style) -> Entity:
    return Entity("LINE", layer, None, {"points": [(x0, y0), (x1, y1)]}, style=style)


def _text(s, x=0.0, y=0.0, h=5.0, rot=0.0, **g) -> Entity:
    geom = {
        "insert": (x, y),
        "height": h,
        "rotation": rot,
        "width_factor": 1.0,
        "halign": 0,
        "valign": 0,
    } | g
    return Entity("TEXT", "0", None, geom, text=s)


def _pixels(png: bytes) -> np.ndarray:
    pix = pymupdf.Pixmap(png)
    return np.frombuffer(pix.samples, dtype=np.uint8).reshape(pix.height, pix.width, pix.n)


def test_pdf_text_is_searchable_chinese():
    d = _drawing(
        [
            _line(0, 0, 100, 0),
            _text("图号 A-101 建筑平面图", 0, 10),
            Entity(
                "MTEXT",
                "0",
                None,
                {"insert": (0, 50), "height": 3, "rotation": 0, "width": 40, "attachment": 1},
                text="设计说明：本工程为框架结构\n第二行",
            ),
        ]
    )
    page = pymupdf.open("pdf", render_bytes(d, "pdf", paper="A3"))[0]
    text = page.get_text()
    assert "图号 A-101 建筑平面图" in text
    assert "设计说明" in text and "第二行" in text
    assert page.search_for("A-101")


def test_svg_keeps_text_as_text():
    svg = render_bytes(_drawing([_text("平面图 Plan")]), "svg", paper="A4").decode()
    assert "<text" in svg and "&#x5e73;" in svg.lower() or "平" in svg


def test_hidden_layers_draw_nothing():
    layers = {
        "0": LayerInfo("0"),
        "OFF": LayerInfo("OFF", on=False),
        "FROZEN": LayerInfo("FROZEN", frozen=True),
    }
    d = _drawing(
        [_line(0, 0, 100, 100, "OFF"), _line(0, 100, 100, 0, "FROZEN"), _line(0, 50, 1, 50)],
        layers=layers,
    )
    spec = plan(d, d.sheets[0])
    assert sum(len(g.counts) for g in spec.dl.strokes.values()) == 1


def test_white_plots_black_and_true_colours():
    assert to_rgb(7) == (0.0, 0.0, 0.0)
    assert to_rgb("#ffffff") == (0.0, 0.0, 0.0)
    assert to_rgb(1) == (1.0, 0.0, 0.0)
    assert to_rgb("#00ff00") == (0.0, 1.0, 0.0)
    d = _drawing(
        [
            _line(0, 0, 100, 0, color=1, lineweight=100),
            _line(0, 10, 100, 10, color="#0000ff", lineweight=100),
        ]
    )
    px = _pixels(render_bytes(d, "png", width=400, paper="A4")).reshape(-1, 3).astype(int)
    red = ((px[:, 0] > 150) & (px[:, 1] < 100) & (px[:, 2] < 100)).sum()
    blue = ((px[:, 2] > 150) & (px[:, 0] < 100) & (px[:, 1] < 100)).sum()
    assert red > 50 and blue > 50


def test_linetypes_from_table_then_standard():
    assert to_dash([5.0, -2.5]) == (5.0, 2.5)
    assert to_dash([-1.0, 4.0]) == (4.0, 1.0)  # must start with a dash
    assert to_dash([0.0]) is None
    table = {"MYDASH": {"pattern": [3.0, 2.0, -1.0]}}
    assert dash_for("mydash", table) == (2.0, 1.0)
    assert dash_for("DASHED", {}) is not None  # ezdxf's standard set, metric
    assert dash_for("Continuous", table) is None
    d = _drawing(
        [Entity("LINE", "0", None, {"points": [(0, 0), (1000, 0)]}, style={"linetype": "DASHED"})]
    )
    spec = plan(d, d.sheets[0], paper="A4")
    stream, _ = content(spec.dl, spec.matrix)
    assert b"] 0 d" in stream and b"[] 0 d" not in stream.split(b"RG")[1][:40]


def test_nested_blocks_transform_and_byblock_colour():
    inner = BlockDef(
        "IN", (0, 0), [Entity("LINE", "0", None, {"points": [(0, 0), (10, 0)]}, style={"color": 0})]
    )
    outer = BlockDef(
        "OUT",
        (0, 0),
        [
            Entity(
                "INSERT",
                "0",
                None,
                {"block": "IN", "insert": (0, 0), "scale": (1, 1), "rotation": 90},
                style={"color": 0},
            )
        ],
    )
    ins = Entity(
        "INSERT",
        "0",
        None,
        {"block": "OUT", "insert": (100, 0), "scale": (2, 2), "rotation": 0},
        style={"color": 3},
    )
    d = _drawing([ins], blocks={"IN": inner, "OUT": outer})
    spec = plan(d, d.sheets[0], paper="A4")
    ((key, group),) = spec.dl.strokes.items()
    assert key[0] == (0.0, 1.0, 0.0)  # BYBLOCK takes the reference's green
    xy = np.asarray(group.coords).reshape(-1, 2)
    np.testing.assert_allclose(xy, [[100, 0], [100, 20]], atol=1e-9)  # rotated 90, scaled 2


def test_minsert_array_and_recursion_guard():
    blk = BlockDef(
        "B",
        (0, 0),
        [_line(0, 0, 1, 0), Entity("INSERT", "0", None, {"block": "B", "insert": (0, 0)})],
    )
    ins = Entity(
        "INSERT",
        "0",
        None,
        {
            "block": "B",
            "insert": (0, 0),
            "scale": (1, 1),
            "rotation": 0,
            "columns": 3,
            "rows": 2,
            "column_spacing": 10,
            "row_spacing": 5,
        },
    )
    spec = plan(_drawing([ins], blocks={"B": blk}), Sheet("Model", [ins]), paper="A4")
    assert sum(len(g.counts) for g in spec.dl.strokes.values()) == 6


def test_solid_and_pattern_hatches():
    solid = Entity(
        "HATCH",
        "0",
        None,
        {"pattern": "SOLID", "solid": True, "paths": [[(0, 0, 0), (10, 0, 0), (10, 10, 0)]]},
    )
    pattern = Entity(
        "HATCH",
        "0",
        None,
        {
            "pattern": "ANSI31",
            "solid": False,
            "pattern_scale": 1.0,
            "pattern_angle": 0.0,
            "paths": [[(20, 0, 0), (60, 0, 0), (60, 40, 0), (20, 40, 0)]],
        },
    )
    spec = plan(_drawing([solid, pattern]), Sheet("Model", [solid, pattern]), paper="A4")
    assert sum(len(g.rings) for g in spec.dl.fills.values()) == 1
    (p,) = spec.dl.patterns
    assert len(p.lines) > 10  # ANSI31 every 3.175 mm across a 40 x 40 box
    stream, _ = content(spec.dl, spec.matrix)
    assert b"W* n" in stream and b"f*" in stream


def test_png_size_by_width_and_dpi():
    d = _drawing([_line(0, 0, 100, 50)])
    assert pymupdf.Pixmap(render_bytes(d, "png", width=640, paper="A4")).width == 640
    pix = pymupdf.Pixmap(render_bytes(d, "png", dpi=72, paper="A4"))
    assert abs(pix.width - 842) <= 1 and abs(pix.height - 595) <= 1  # A4 landscape, 72 dpi


def test_layout_uses_paper_size_and_viewports():
    model = Sheet("Model", [_line(0, 0, 1000, 0), _line(0, 0, 0, 1000)])
    vp = Entity(
        "VIEWPORT",
        "0",
        None,
        {
            "center": (100, 100),
            "width": 100,
            "height": 100,
            "view_center": (500, 500),
            "view_height": 1000,
            "status": 2,
        },
    )
    paper = Sheet(
        "A3", [vp, _line(10, 10, 410, 10)], paper={"width": 420, "height": 297, "units": "mm"}
    )
    d = _drawing([], sheets=[model, paper])
    spec = plan(d, pick_sheet(d, "A3"))
    assert (round(spec.width), round(spec.height)) == (1191, 842)
    assert spec.model is not None and len(spec.dl.viewports) == 1
    assert pick_sheet(d, None).name == "Model"
    with pytest.raises(NotFound, match="A3"):
        pick_sheet(d, "A4 missing")


def test_pdf_source_passes_through(tmp_path):
    import drawings

    src = pymupdf.open()
    page = src.new_page(width=400, height=300)
    page.draw_rect(pymupdf.Rect(50, 50, 350, 250), color=(1, 0, 0), width=3)
    page.insert_text((60, 100), "PDF pass-through", fontsize=14)
    path = tmp_path / "sheet.pdf"
    src.save(path)
    d = drawings.read(path)
    out = tmp_path / "out.pdf"
    render(d, out)
    again = pymupdf.open(out)[0]
    assert "PDF pass-through" in again.get_text()
    assert (again.rect.width, again.rect.height) == (400, 300)
    px = _pixels(render_bytes(d, "png", dpi=72))
    assert px.shape[:2] == (300, 400)


def test_bad_output_format_and_sizes():
    with pytest.raises(InvalidInput, match="gif"):
        format_of("x.gif")
    d = _drawing([_line(0, 0, 1, 1)])
    with pytest.raises(InvalidInput):
        render_bytes(d, "png", width=0)
    with pytest.raises(InvalidInput):
        render_bytes(d, "png", paper="B7")


def test_atomic_write(tmp_path):
    out = tmp_path / "deep" / "x.png"
    render(_drawing([_line(0, 0, 1, 1)]), out, width=100)
    assert out.read_bytes().startswith(b"\x89PNG")
    assert [p.name for p in out.parent.iterdir()] == ["x.png"]  # no temp file left


@pytest.mark.parametrize(
    "entities",
    [
        [],
        [Entity("POINT", "0", None, {"location": (5e5, 3e6)})],
        [_line(0, 0, 1000, 0)],
        [_line(7, 0, 7, 1e6)],
    ],
)
def test_degenerate_extents_render(entities):
    png = render_bytes(_drawing(entities), "png", width=200, paper="A4")
    assert pymupdf.Pixmap(png).width == 200
