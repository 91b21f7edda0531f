"""Render limits (issue #10 §3): expansion counted before drawing, outlines and warnings past
the limits, settings from the environment, and numbers at the end of the float range."""

from __future__ import annotations

import math

import numpy as np
import pymupdf
import pytest

import drawings
from drawings.model import BlockDef, Drawing, Entity, LayerInfo, Sheet
from drawings.render import render_bytes, render_source
from drawings.render.expansion import Expansion
from drawings.render.flatten import flatten, pattern_count, sheet_cost
from drawings.render.limits import RenderLimits
from drawings.render.page import plan
from drawings.render.pdf import content
from drawings.render.tiles import TileCache
from storage.errors import FileFormatError, InvalidInput
from tests.fuzz import hostile


def _drawing(entities, blocks=None) -> Drawing:
    return Drawing("hostile.dxf", "dxf", "AC1027", "mm", [Sheet("Model", entities)],
                   blocks=blocks or {}, layers={"0": LayerInfo("0")})


def _line(x0=0.0, y0=0.0, x1=1.0, y1=1.0) -> Entity:
    e = Entity("LINE", "0", None, {"points": [(x0, y0), (x1, y1)]})
    e.bbox = (min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1))
    return e


def _insert(block: str, x=0.0, y=0.0, *, cols=1, rows=1, step=2.0, box=(0, 0, 1, 1)) -> Entity:
    g = {"block": block, "insert": (x, y), "scale": (1.0, 1.0), "rotation": 0.0}
    if cols > 1 or rows > 1:
        g |= {"columns": cols, "rows": rows, "column_spacing": step, "row_spacing": step}
    e = Entity("INSERT", "0", None, g)
    e.bbox = box
    return e


def _fanout(width: int, depth: int) -> tuple[Drawing, Entity]:
    """``width ** depth`` leaves of one line each, under one INSERT."""
    blocks = {f"L{depth}": BlockDef(f"L{depth}", (0.0, 0.0), [_line()])}
    for level in range(depth - 1, -1, -1):
        refs = [_insert(f"L{level + 1}", 2.0 * k) for k in range(width)]
        blocks[f"L{level}"] = BlockDef(f"L{level}", (0.0, 0.0), refs)
    top = _insert("L0", box=(0.0, 0.0, 100.0, 1.0))
    return _drawing([top], blocks), top


def _polylines(dl) -> int:
    return sum(len(g.counts) for g in dl.strokes.values())


def test_fanout_is_counted_not_walked():
    d, top = _fanout(8, 14)
    exp = Expansion(d.blocks, RenderLimits(), lambda e: 0)
    assert exp.cost(top, 0) == 8**14  # fourteen sums, not 4.4e12 steps
    assert sheet_cost(d, d.sheets[0], RenderLimits()) == 8**14
    # the depth limit cuts the count as it cuts the drawing (a reference too deep counts 1)
    assert Expansion(d.blocks, RenderLimits(depth=3), lambda e: 0).cost(top, 0) == 8**3


def test_within_the_budget_everything_is_drawn():
    d, _ = _fanout(3, 4)
    dl = flatten(d, d.sheets[0], tol=0.01, limits=RenderLimits(entities=81))
    assert _polylines(dl) == 81 and dl.warnings == []


def test_over_the_budget_the_reference_is_outlined():
    d, _ = _fanout(3, 4)
    dl = flatten(d, d.sheets[0], tol=0.01, limits=RenderLimits(entities=80))
    ((group),) = dl.strokes.values()
    assert group.counts == [5]  # one closed rectangle: the reference's box
    np.testing.assert_allclose(group.coords, [0, 0, 100, 0, 100, 1, 0, 1, 0, 0])
    (w,) = dl.warnings
    assert w.startswith("hostile.dxf: ") and "'L0'" in w
    assert "81 entities" in w and "YITAOTU_RENDER_MAX_ENTITIES=80" in w


def test_budget_is_spent_in_drawing_order():
    blocks = {"B": BlockDef("B", (0.0, 0.0), [_line(), _line(1, 0, 0, 1)])}
    refs = [_insert("B", 5.0 * k) for k in range(4)]
    d = _drawing(refs, blocks)
    dl = flatten(d, d.sheets[0], tol=0.01, limits=RenderLimits(entities=5))
    # two references fit (4 entities), the third and fourth are outlined
    assert _polylines(dl) == 4 + 2
    (w,) = dl.warnings
    assert w.endswith("(2 处 places)")


def test_minsert_cells_over_the_limit_are_outlined():
    blocks = {"B": BlockDef("B", (0.0, 0.0), [_line()])}
    big = _insert("B", cols=100_000, rows=100_000, box=(0.0, 0.0, 200_000.0, 200_000.0))
    d = _drawing([big], blocks)
    dl = flatten(d, d.sheets[0], tol=1.0)
    assert _polylines(dl) == 1
    (w,) = dl.warnings
    assert "MINSERT of 1e+10 cells" in w and "YITAOTU_RENDER_MAX_CELLS=100000" in w
    small = _insert("B", cols=30, rows=20)
    d = _drawing([small], blocks)
    dl = flatten(d, d.sheets[0], tol=1.0, limits=RenderLimits(cells=600))
    assert _polylines(dl) == 600 and not dl.warnings


def test_nesting_deeper_than_the_limit_is_not_drawn_and_said():
    d, _ = _fanout(1, 5)  # the line is six references deep
    dl = flatten(d, d.sheets[0], tol=0.01, limits=RenderLimits(depth=6))
    assert _polylines(dl) == 1 and not dl.warnings
    dl = flatten(d, d.sheets[0], tol=0.01, limits=RenderLimits(depth=5))
    assert _polylines(dl) == 0
    (w,) = dl.warnings
    assert "'L5'" in w and "YITAOTU_RENDER_MAX_DEPTH=5" in w


def test_vertices_are_counted_while_drawing():
    circle = Entity("CIRCLE", "0", None, {"center": (0.0, 0.0), "radius": 100.0})
    blocks = {"C": BlockDef("C", (0.0, 0.0), [circle])}
    refs = [_insert("C", float(k), box=(-100.0, -100.0, 100.0, 100.0)) for k in range(50)]
    d = _drawing(refs, blocks)
    full = flatten(d, d.sheets[0], tol=0.001)
    per_circle = len(next(iter(full.strokes.values())).coords) // 2 // 50
    assert per_circle > 100 and not full.warnings
    dl = flatten(d, d.sheets[0], tol=0.001, limits=RenderLimits(points=per_circle * 10))
    drawn = [n for g in dl.strokes.values() for n in g.counts]
    assert drawn.count(per_circle) == 11 and drawn.count(5) == 39  # then outlines
    assert "YITAOTU_RENDER_MAX_POINTS" in dl.warnings[0]


def _hatch(x: float, scale: float, size: float = 100.0) -> Entity:
    ring = [(x, 0.0, 0.0), (x + size, 0.0, 0.0), (x + size, size, 0.0), (x, size, 0.0)]
    e = Entity("HATCH", "0", None, {"pattern": "ANSI31", "solid": False, "paths": [ring],
                                    "pattern_scale": scale, "pattern_angle": 0.0})
    e.bbox = (x, 0.0, x + size, size)
    return e


def test_pattern_lines_count_against_the_sheet():
    h = _hatch(0.0, 1.0)
    n = pattern_count(h, True, 3000)
    assert 40 < n < 60  # ANSI31 every 3.175 mm across the diagonal of 100 mm
    d = _drawing([_hatch(200.0 * k, 1.0) for k in range(3)])
    dl = flatten(d, d.sheets[0], tol=0.01, limits=RenderLimits(entities=2 * n + 1))
    assert len(dl.patterns) == 2 and sum(len(g.rings) for g in dl.fills.values()) == 1
    assert "YITAOTU_RENDER_MAX_ENTITIES" in dl.warnings[0] and "solid" in dl.warnings[0]


@pytest.mark.parametrize("scale", [1e-6, 1e-300, 1e300, math.inf, math.nan])
def test_tiny_huge_and_broken_pattern_scales(scale):
    h = _hatch(0.0, scale, size=1e6)
    assert pattern_count(h, True, 3000) <= 3000
    d = _drawing([h])
    dl = flatten(d, d.sheets[0], tol=1.0)
    assert sum(len(p.lines) for p in dl.patterns) <= 3000
    assert len(dl) == 1  # a pattern or (too fine to see) a solid fill


def test_settings_from_the_environment(monkeypatch):
    assert RenderLimits.from_env() == RenderLimits()
    monkeypatch.setenv("YITAOTU_RENDER_MAX_ENTITIES", "1000")
    monkeypatch.setenv("YITAOTU_RENDER_MAX_CELLS", " 50 ")
    assert RenderLimits.from_env() == RenderLimits(entities=1000, cells=50)
    for name, bad in [("YITAOTU_RENDER_MAX_POINTS", "lots"), ("YITAOTU_RENDER_MAX_DEPTH", "65"),
                      ("YITAOTU_RENDER_MAX_PATTERN_LINES", "0")]:
        monkeypatch.setenv(name, bad)
        with pytest.raises(InvalidInput, match=f"{name}='{bad}'"):
            RenderLimits.from_env()
        monkeypatch.delenv(name)
    monkeypatch.setenv("YITAOTU_RENDER_MAX_ENTITIES", "1")
    d, _ = _fanout(2, 2)
    warnings: list[str] = []
    render_bytes(d, "pdf", warnings=warnings)  # the renderer reads them
    assert "YITAOTU_RENDER_MAX_ENTITIES=1 " in warnings[0]


def test_numbers_past_the_float_range_render(tmp_path):
    src = hostile.huge_coords_dxf(tmp_path / "coords.dxf")
    for fmt in ("png", "pdf", "svg"):
        done = render_source(src, fmt)
        assert done.data and done.entities == 12
    d = drawings.read(src)
    spec = plan(d, d.sheets[0])
    stream, _ = content(spec.dl, spec.matrix)
    assert b"inf" not in stream and b"nan" not in stream


def test_content_stream_clamps_infinite_styles():
    """The fuzz's OverflowError: a mutated number made a width, dash or scale infinite."""
    blocks = {"B": BlockDef("B", (0.0, 0.0), [_line()])}
    wide = Entity("LWPOLYLINE", "0", None,
                  {"points": [(0.0, 0.0, 0.0), (1.0, 1.0, 0.0)], "width": 1e308})
    dashed = _line()
    dashed.style = {"linetype": "DASHED", "lineweight": 10**9}
    d = _drawing([wide, dashed, _insert("B"), _hatch(0.0, 1.0)], blocks)
    d.linetypes = {"DASHED": {"pattern": [1e308, 1e308, -1e308]}}
    dl = flatten(d, d.sheets[0], tol=0.01)
    for p in dl.patterns:
        p.lineweight = math.inf
    for m in ((1e300, 0.0, 0.0, 1e300, 0.0, 0.0), (math.inf, 0.0, 0.0, math.nan, 1.0, 1.0)):
        stream, _ = content(dl, m)
        assert b"inf" not in stream and b"nan" not in stream


def _nested_forms_pdf(path, depth: int = 100):
    """A page whose drawing nests ``depth`` form XObjects: MuPDF's exception stack
    overflows (the fuzz's FzErrorLimit out of render_png)."""
    doc = pymupdf.open()
    page = doc.new_page()
    page.insert_text((50, 50), "A-101")
    xrefs = [doc.get_new_xref() for _ in range(depth)]
    for i, x in enumerate(xrefs):
        inner = f"<</XObject<</F0 {xrefs[i + 1]} 0 R>>>>" if i + 1 < depth else "<<>>"
        doc.update_object(x, f"<</Type/XObject/Subtype/Form/BBox[0 0 500 500]/Resources {inner}>>")
        doc.update_stream(x, b"/F0 Do 0 0 m 10 10 l S" if i + 1 < depth else b"0 0 m 9 9 l S")
    page.clean_contents()
    c = doc.get_new_xref()
    doc.update_object(c, "<<>>")
    doc.update_stream(c, b"/F0 Do")
    first = doc.xref_get_key(page.xref, "Contents")[1]
    doc.xref_set_key(page.xref, "Contents", f"[{first} {c} 0 R]")
    doc.xref_set_key(page.xref, "Resources/XObject", f"<</F0 {xrefs[0]} 0 R>>")
    doc.save(path)
    return path


@pytest.mark.parametrize("fmt", ["png", "pdf", "svg"])
def test_a_page_mupdf_cannot_draw_is_one_error_naming_the_file(tmp_path, fmt):
    src = _nested_forms_pdf(tmp_path / "A-101 nested.pdf")
    with pytest.raises(FileFormatError, match=r"A-101 nested\.pdf: .*MuPDF cannot draw"):
        render_source(src, fmt)


def test_tiles_keep_the_warnings_with_the_page(tmp_path):
    src = hostile.minsert_dxf(tmp_path / "minsert.dxf", lines=5)
    blob = "ab" * 32
    cache = TileCache(tmp_path / "tiles", lambda b: drawings.read(src))
    levels = cache.levels(blob, "")
    (w,) = levels["warnings"]
    assert "minsert.dxf" in w and "MINSERT of 1e+10 cells" in w
    assert cache.tile(blob, "", 8, 0, 0)[:4] == b"\x89PNG"

    def never(b):
        raise AssertionError("the page is cached")

    again = TileCache(tmp_path / "tiles", never)  # a new process: warnings from the page
    assert again.levels(blob, "")["warnings"] == [w]
    plain = tmp_path / "plain.dxf"
    hostile.dxf_with_entities(plain, hostile._line(0.0, 0.0, 10.0, 10.0))
    quiet = TileCache(tmp_path / "tiles", lambda b: drawings.read(plain))
    assert quiet.levels("cd" * 32, "")["warnings"] == []


def test_the_corpus_is_within_the_default_limits():
    """The defaults change no real drawing: every sheet's expansion fits its budget (the
    shared corpus's largest takes 144,057 of 500,000 entities and 159,205 of 1,000,000
    vertices, measured when the defaults were chosen)."""
    from tests.conftest import corpus_dir

    files = [p for p in sorted(corpus_dir().rglob("*"))
             if p.suffix.lower() in (".dxf", ".dwg") and p.stat().st_size < 20_000_000]
    assert files
    limits = RenderLimits()
    for p in files:
        try:
            d = drawings.read(p)
        except InvalidInput:
            continue  # unreadable corpus files are the readers' tests' business
        for s in d.sheets:
            assert sheet_cost(d, s, limits) <= limits.entities, (p, s.name)
