"""Diff fidelity on generated pairs with known truth (issue #16): layer states and style tables
as one change each, appearance-equal respellings as no change, unit changes aligned by their
factor, whole-drawing moves as one sheet change, PDF page offsets as alignment only.
"""

from __future__ import annotations

from pathlib import Path

import ezdxf
import pymupdf
import pytest
from click.testing import CliRunner
from ezdxf.colors import DXF_DEFAULT_COLORS

from diffing import diff_drawings, diff_files
from diffing.writers import text_lines
from drawings import index, read
from tests.gen.floorplan import make_plan, write_dxf, write_pdf


@pytest.fixture(scope="module")
def plan():
    return make_plan((5, 4), seed=7)


@pytest.fixture()
def base(tmp_path: Path, plan) -> Path:
    write_dxf(plan, tmp_path / "old.dxf")
    return tmp_path / "old.dxf"


def _edited(base: Path, name: str, edit) -> Path:
    doc = ezdxf.readfile(base)
    edit(doc)
    out = base.with_name(name)
    doc.saveas(out)
    return out


def _on_layer(path: Path, layer: str) -> int:
    return sum(1 for e in read(path).sheets[0].entities if e.layer == layer)


def _warm(old: Path, new: Path, **opts):
    """The same diff from the stored indexes (what the store and the web use)."""
    return diff_drawings(*(index.loads(index.dumps(read(p)), str(p)) for p in (old, new)), **opts)


@pytest.mark.parametrize(("field", "edit", "before", "after"), [
    ("frozen", lambda lay: lay.freeze(), False, True),
    ("on", lambda lay: lay.off(), True, False),
    ("plot", lambda lay: setattr(lay.dxf, "plot", 0), True, False),
    ("lineweight", lambda lay: setattr(lay.dxf, "lineweight", 50), -3, 50),
    ("linetype", lambda lay: setattr(lay.dxf, "linetype", "DASHED"), "Continuous", "DASHED"),
    ("transparency", lambda lay: setattr(lay, "transparency", 0.5), None, 0.5),
])
def test_layer_state_is_one_change(base: Path, field, edit, before, after) -> None:
    new = _edited(base, "new.dxf", lambda doc: edit(doc.layers.get("A-FURN")))
    report = diff_files(base, new)
    got = [(c.kind, c.type, c.layer, c.what) for c in report.changes]
    assert got == [("modified", "LAYER", "A-FURN", (field,))]
    c = report.changes[0]
    want_before = 0.0 if before is None else before  # unset transparency is opaque
    assert (c.details["before"], c.details["after"]) == ({field: want_before}, {field: after})
    assert c.details["entities"] == _on_layer(base, "A-FURN") > 0
    assert report.stats == {"added": 0, "removed": 0, "modified": 0,
                            "unchanged": report.old.entities, "tables": 1}
    assert _warm(base, new).to_json()["changes"] == report.to_json()["changes"]
    text = "\n".join(text_lines(report))
    assert "图层与样式表 Layers and tables:" in text and "A-FURN" in text
    assert f"{c.details['entities']} 个实体 entities" in text


def test_thawed_layer_and_edits_together(base: Path) -> None:
    old = _edited(base, "frozen.dxf", lambda doc: doc.layers.get("S-COLS").freeze())

    def thaw_and_add(doc):
        doc.layers.get("S-COLS").thaw()
        doc.modelspace().add_circle((-5000, -5000), 300, dxfattribs={"layer": "S-COLS"})

    new = _edited(base, "thawed.dxf", thaw_and_add)
    report = diff_files(old, new)
    assert [(c.type, c.what) for c in report.tables] == [("LAYER", ("frozen",))]
    assert report.tables[0].details["entities"] == _on_layer(new, "S-COLS")
    assert [(c.kind, c.type) for c in report.changes if c.type != "LAYER"] == [
        ("added", "CIRCLE")]


def test_layer_colour_style_dropped_by_ignore_style_but_not_freeze(base: Path) -> None:
    def edit(doc):
        doc.layers.get("A-ANNO").color = 3
        doc.layers.get("A-DOOR").freeze()

    new = _edited(base, "new.dxf", edit)
    assert [c.layer for c in diff_files(base, new).tables] == ["A-ANNO", "A-DOOR"]
    assert [c.layer for c in diff_files(base, new, ignore_style=True).tables] == ["A-DOOR"]


def _aci_hex(aci: int) -> int:
    return DXF_DEFAULT_COLORS[aci] & 0xFFFFFF


def test_aci_written_as_identical_true_colour_is_no_change(base: Path) -> None:
    """Every layer's ACI and every explicit entity ACI re-written as the same true colour."""
    old = _edited(base, "aci.dxf", lambda doc: _recolour(doc, explicit=True, true=False))
    new = _edited(base, "true.dxf", lambda doc: _recolour(doc, explicit=True, true=True))
    report = diff_files(old, new)
    assert not report, [(c.type, c.what, c.details) for c in report.changes[:5]]
    assert report.stats["unchanged"] == report.old.entities
    kinds = dict(report.respellings)
    assert kinds["layer_color"] >= 8 and kinds["color"] >= 0.5 * report.old.entities
    strict = diff_files(old, new, strict_style=True)
    assert strict and not strict.changes  # exit 1, and still no per-entity change
    text = "\n".join(text_lines(strict))
    assert "Respellings" in text
    assert f"×{kinds['color']}" in text
    assert strict.to_json()["respellings"] == [
        {"kind": k, "count": n} for k, n in sorted(kinds.items())]


def _recolour(doc, *, explicit: bool, true: bool) -> None:
    for lay in doc.layers:
        aci = abs(lay.dxf.color)
        if true and 0 < aci < 256:
            lay.rgb = ezdxf.colors.int2rgb(_aci_hex(aci))
    palette = (1, 2, 9, 30, 140)
    for k, e in enumerate(doc.modelspace()):
        if not explicit:
            continue
        aci = palette[k % len(palette)]
        e.dxf.color = aci
        if true:
            e.rgb = ezdxf.colors.int2rgb(_aci_hex(aci))


def test_aci_to_a_different_true_colour_is_a_change(base: Path) -> None:
    old = _edited(base, "aci.dxf", lambda doc: _recolour(doc, explicit=True, true=False))

    def off_by_one(doc):
        _recolour(doc, explicit=True, true=True)
        line = doc.modelspace().query("LINE")[0]
        line.rgb = (254, 0, 0) if line.dxf.color != 1 else (255, 1, 0)

    report = diff_files(old, _edited(base, "true.dxf", off_by_one))
    assert [(c.type, c.what) for c in report.changes] == [("LINE", ("style",))]


def _font_doc(path: Path, *, in_xdata: bool) -> Path:
    doc = ezdxf.new("R2018")
    st = doc.styles.add("说明", font="" if in_xdata else "arial.ttf")
    if in_xdata:
        st.set_xdata("ACAD", [(1000, "Arial"), (1071, 34)])
    msp = doc.modelspace()
    msp.add_text("图纸说明", dxfattribs={"style": "说明", "insert": (0, 0), "height": 5})
    msp.add_line((0, 0), (100, 0))
    doc.saveas(path)
    return path


def test_truetype_font_in_xdata_or_style_table_is_no_change(tmp_path: Path) -> None:
    a = _font_doc(tmp_path / "table.dxf", in_xdata=False)
    b = _font_doc(tmp_path / "xdata.dxf", in_xdata=True)
    assert read(b).text_styles["说明"]["font"] == "Arial"
    assert not diff_files(a, b), diff_files(a, b).changes


def _scaled_copy(base: Path, name: str, factor: float, insunits: int) -> Path:
    """The plan in other units: every entity scaled about the origin by ``factor``."""
    doc = ezdxf.readfile(base)
    doc.header["$INSUNITS"] = insunits
    m = ezdxf.math.Matrix44.scale(factor, factor, factor)
    for e in doc.modelspace():
        e.transform(m)
    out = base.with_name(name)
    doc.saveas(out)
    return out


def test_unit_change_with_scaled_geometry_is_reported_once(base: Path) -> None:
    old = _edited(base, "mm.dxf", lambda doc: doc.header.__setitem__("$INSUNITS", 4))
    new = _scaled_copy(old, "m.dxf", 0.001, 6)
    report = diff_files(old, new)
    assert report.alignment.scale == pytest.approx(0.001)
    assert (report.alignment.dx, report.alignment.dy) == (0.0, 0.0)
    units = [c for c in report.changes if c.type == "HEADER"]
    assert [(c.what, c.details["before"], c.details["after"]) for c in units] == [
        (("units",), {"units": "mm"}, {"units": "m"})]
    assert not [c for c in report.changes if c.type not in ("HEADER",)], [
        (c.type, c.what, c.details) for c in report.changes if c.type != "HEADER"][:5]
    assert {"kind": "units", "before": "mm", "after": "m"} in report.to_json()["notes"]
    assert "注 Note: 单位 units mm → m" in "\n".join(text_lines(report))


def test_whole_drawing_move_is_one_sheet_change_with_exit_1(tmp_path: Path, plan) -> None:
    write_dxf(plan, tmp_path / "old.dxf")
    write_dxf(plan, tmp_path / "new.dxf", shift=(0.0, -7100.0), shuffle=2)
    from yitaotu.cli import cli

    res = CliRunner().invoke(cli, ["diff", str(tmp_path / "old.dxf"),
                                    str(tmp_path / "new.dxf"), "--json"])
    assert res.exit_code == 1, res.output
    import json

    data = json.loads(res.output)
    assert [(c["type"], c["what"], c["details"]) for c in data["changes"]] == [
        ("SHEET", ["moved"], {"moved_by": [0.0, -7100.0]})]
    assert data["summary"]["modified"] == 1
    assert data["alignment"]["dy"] == -7100.0


def test_pdf_page_offset_is_alignment_unless_strict_position(tmp_path: Path, plan) -> None:
    write_pdf(plan, tmp_path / "old.pdf")
    write_pdf(plan, tmp_path / "new.pdf", offset_mm=(2.0, 0.0))
    assert not diff_files(tmp_path / "old.pdf", tmp_path / "new.pdf")
    strict = diff_files(tmp_path / "old.pdf", tmp_path / "new.pdf", strict_position=True)
    assert [(c.type, c.what) for c in strict.changes] == [("SHEET", ("moved",))]
    assert strict.changes[0].details["moved_by"][0] == pytest.approx(2.0 * 72 / 25.4, abs=0.05)


def test_text_report_shows_xdata_values(tmp_path: Path) -> None:
    def make(path: Path, value: str) -> Path:
        doc = ezdxf.new("R2018")
        doc.appids.new("EMFNET")
        line = doc.modelspace().add_line((0, 0), (10, 0))
        line.set_xdata("EMFNET", [(1000, value)])
        doc.saveas(path)
        return path

    report = diff_files(make(tmp_path / "a.dxf", "DK-1"), make(tmp_path / "b.dxf", "DK-2"),
                        include_xdata=True)
    text = "\n".join(text_lines(report))
    assert "EMFNET: [1000 'DK-1'] → [1000 'DK-2']" in text


def test_cad_against_its_plot_without_transform_warns(tmp_path: Path, plan) -> None:
    """A DXF against the PDF plotted from it at 1:100 with text as strokes: the engine finds
    no common ground (no plot transform yet): it says so, in the JSON and the text."""
    write_dxf(plan, tmp_path / "plan.dxf")
    write_pdf(plan, tmp_path / "plot.pdf", text=False)
    report = diff_files(tmp_path / "plan.dxf", tmp_path / "plot.pdf")
    assert report.stats["unchanged"] == 0
    assert len(report.warnings) == 1 and "no plot transform found" in report.warnings[0]
    assert report.to_json()["warnings"] == list(report.warnings)
    assert "警告 Warning:" in "\n".join(text_lines(report))
    assert not diff_files(tmp_path / "plan.dxf", tmp_path / "plan.dxf").warnings


def _hatch_doc(path: Path, jitter: float, *, move: float = 0.0) -> Path:
    doc = ezdxf.new("R2018")
    msp = doc.modelspace()
    for k in range(40):
        msp.add_line((k * 250.0, 0), (k * 250.0, 8000))
    h = msp.add_hatch()
    h.set_pattern_fill("ANSI31", scale=20)
    h.paths.add_polyline_path([(1000 + jitter, 1000), (3000, 1000 - jitter),
                               (3000 + move, 3000 + jitter), (1000, 3000)], is_closed=True)
    doc.saveas(path)
    return path


def test_hatch_boundary_jitter_is_relative_to_the_extent(tmp_path: Path) -> None:
    old = _hatch_doc(tmp_path / "a.dxf", 0.0)
    assert not diff_files(old, _hatch_doc(tmp_path / "b.dxf", 4e-4))
    moved = diff_files(old, _hatch_doc(tmp_path / "c.dxf", 4e-4, move=50.0))
    assert [(c.type, c.what) for c in moved.changes] == [("HATCH", ("vertices",))]


def _span_pdf(path: Path, dx: float) -> Path:
    doc = pymupdf.open()
    page = doc.new_page(width=595, height=842)
    for k in range(30):
        page.draw_line((20 + k * 15, 100), (20 + k * 15, 700))
    page.insert_text((100 + dx, 400), "一层平面图 PLAN", fontsize=10, fontname="china-s")
    doc.save(str(path))
    doc.close()
    return path


def test_pdf_glyph_jitter_is_no_move(tmp_path: Path) -> None:
    old = _span_pdf(tmp_path / "a.pdf", 0.0)
    assert not diff_files(old, _span_pdf(tmp_path / "b.pdf", 0.6))
    moved = diff_files(old, _span_pdf(tmp_path / "c.pdf", 3.0))
    assert [c.what for c in moved.changes] == [("moved",)]


def test_pdf_page_size_and_rotation_are_noted(tmp_path: Path) -> None:
    def make(path: Path, size: tuple[float, float], rotate: int) -> Path:
        doc = pymupdf.open()
        page = doc.new_page(width=size[0], height=size[1])
        page.draw_line((20, 20), (200, 200))
        page.set_rotation(rotate)
        doc.save(str(path))
        doc.close()
        return path

    report = diff_files(make(tmp_path / "a.pdf", (595, 842), 0),
                        make(tmp_path / "b.pdf", (842, 1191), 90))
    pages = [n for n in report.to_json()["notes"] if n["kind"] == "page"]
    assert len(pages) == 1
    assert pages[0]["before"]["page_rotation"] is None
    assert pages[0]["after"]["page_rotation"] == 90
    assert pages[0]["after"]["width"] != pages[0]["before"]["width"]
    assert "注 Note [Page 1]: 页面 page" in "\n".join(text_lines(report))
