"""Overlays that show every change (issue #16 §5): every changed sheet, changes on frozen
layers, layers that appear or vanish, clouds on the page and never too small to see."""

from __future__ import annotations

from pathlib import Path

import ezdxf
import pymupdf

from diffing import diff_files
from drawings import read, render
from drawings.render import colors
from drawings.render.overlays import cloud_box, overlay_spec


def _sheets_doc(path: Path, *, edit: bool) -> Path:
    doc = ezdxf.new("R2018")
    doc.layers.add("HIDDEN").freeze()
    msp = doc.modelspace()
    for k in range(30):
        msp.add_line((k * 100, 0), (k * 100, 1000))
    msp.add_circle((500, 500), 40 if not edit else 60)
    if not edit:
        msp.add_line((0, 2000), (3000, 2000), dxfattribs={"layer": "HIDDEN"})
    for name, dx in (("A1", 0), ("A2", 50)):
        lay = doc.layouts.new(name)
        for k in range(10):
            lay.add_line((10 + k * 20, 10), (10 + k * 20, 100))
        if edit and name == "A2":
            lay.add_circle((100 + dx, 150), 5)
    doc.saveas(path)
    return path


def _pair(tmp: Path) -> tuple[Path, Path]:
    return _sheets_doc(tmp / "old.dxf", edit=False), _sheets_doc(tmp / "new.dxf", edit=True)


def _strokes(dl, rgb) -> int:
    return sum(len(g.coords) for (c, *_), g in dl.strokes.items() if c == rgb)


def test_every_changed_sheet_is_drawn(tmp_path: Path) -> None:
    old, new = _pair(tmp_path)
    report = diff_files(old, new)
    assert [sd.name for sd in report.sheets if sd.changes] == ["Model", "A2"]
    od, nd = read(old), read(new)
    render.overlay(report, od, nd, tmp_path / "o.pdf")
    with pymupdf.open(tmp_path / "o.pdf") as pdf:
        assert pdf.page_count == 2
    render.overlay(report, od, nd, tmp_path / "o.png")
    assert sorted(p.name for p in tmp_path.glob("o-*.png")) == ["o-A2.png", "o-Model.png"]
    assert [p.name for _, p in render.overlay_paths(report, tmp_path / "o.svg")] == [
        "o-Model.svg", "o-A2.svg"]


def test_change_on_a_frozen_layer_is_drawn(tmp_path: Path) -> None:
    old, new = _pair(tmp_path)
    report = diff_files(old, new)
    assert ("removed", "HIDDEN") in {(c.kind, c.layer) for c in report.changes}
    spec = overlay_spec(report, read(old), read(new), sheet="Model")
    removed = sum(_strokes(dl, colors.REMOVED) for dl, _ in spec.extra)
    assert removed >= 4  # the line on the frozen layer, in red


def test_layer_thawed_draws_its_entities_as_appearing(tmp_path: Path) -> None:
    old = _sheets_doc(tmp_path / "old.dxf", edit=False)
    doc = ezdxf.readfile(old)
    doc.layers.get("HIDDEN").thaw()
    doc.saveas(tmp_path / "new.dxf")
    report = diff_files(old, tmp_path / "new.dxf")
    assert [(c.type, c.what) for c in report.changes] == [("LAYER", ("frozen",))]
    spec = overlay_spec(report, read(old), read(tmp_path / "new.dxf"), sheet="Model")
    assert sum(_strokes(dl, colors.ADDED) for dl, _ in spec.extra) >= 4


def test_clouds_are_never_tiny_nor_beyond_the_page() -> None:
    page = (0.0, 0.0, 1000.0, 500.0)
    box, pad = cloud_box((10.0, 10.0, 10.001, 10.001), page, unit=1.0)
    assert box[2] - box[0] + 2 * pad >= 28.0 and box[3] - box[1] + 2 * pad >= 28.0
    box, pad = cloud_box((-500.0, -500.0, 5000.0, 5000.0), page, unit=1.0)
    assert page[0] <= box[0] - pad and box[2] + pad <= page[2]
    assert page[1] <= box[1] - pad and box[3] + pad <= page[3]


def test_atlas_overview_then_one_zoomed_page_per_cluster(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from drawings.render.overlays import zoom_box
    from yitaotu.cli import cli

    old, new = _pair(tmp_path)
    res = CliRunner().invoke(cli, ["diff", str(old), str(new), "--format", "quiet",
                                   "--atlas", str(tmp_path / "atlas.pdf")])
    assert res.exit_code == 1, res.output
    report = diff_files(old, new)
    clusters = report.clusters
    with pymupdf.open(tmp_path / "atlas.pdf") as pdf:
        # per changed sheet (Model, A2): an overview, then its clusters
        assert pdf.page_count == 2 + len(clusters)
        texts = [page.get_text() for page in pdf]
    model = [cl for cl in clusters if cl.sheet == "Model"]
    first = texts[1]  # the first cluster of Model, after its overview
    assert f"Cluster {model[0].id}" in first
    for cid in model[0].changes:
        assert cid in first
    od, nd = read(old), read(new)
    for cl in clusters:
        view = zoom_box(tuple(cl.bbox), None)
        spec = overlay_spec(report, od, nd, sheet=cl.sheet, view=view)
        w = (view[2] - view[0]) * spec.matrix[0]
        h = (view[3] - view[1]) * abs(spec.matrix[3])
        assert w >= spec.width / 3 or h >= spec.height / 3  # zoomed: a third of the page
