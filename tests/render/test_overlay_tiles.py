"""Diff overlays from a real diff report, and the tile cache."""

from __future__ import annotations

import numpy as np
import pymupdf
import pytest

import drawings
from diffing import diff_files
from drawings.render import overlay
from drawings.render.overlays import overlay_spec
from drawings.render.tiles import MAX_ZOOM, TILE, TileCache
from storage.errors import InvalidInput, NotFound
from tests.gen.floorplan import edit_plan, make_plan, write_dxf


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    d = tmp_path_factory.mktemp("overlay")
    plan = make_plan(rooms=(3, 3), seed=4)
    new, _truth = edit_plan(plan, seed=5, modify=4, add=3, remove=3)
    write_dxf(plan, d / "old.dxf")
    write_dxf(new, d / "new.dxf", shift=(1000.0, 500.0))
    report = diff_files(d / "old.dxf", d / "new.dxf")
    return report, drawings.read(d / "old.dxf"), drawings.read(d / "new.dxf"), d


def _colour_pixels(png: bytes, rgb: tuple[int, int, int], tol: int = 40) -> int:
    pix = pymupdf.Pixmap(png)
    a = np.frombuffer(pix.samples, dtype=np.uint8).reshape(-1, pix.n)[:, :3].astype(int)
    return int((np.abs(a - np.asarray(rgb)).max(axis=1) < tol).sum())


def test_overlay_colours_each_kind(pair, tmp_path):
    report, old, new, _ = pair
    assert report.added and report.removed and report.modified
    out = overlay(report, old, new, tmp_path / "o.png", width=1600)
    png = out.read_bytes()
    assert _colour_pixels(png, (219, 20, 20)) > 30  # removed, red
    assert _colour_pixels(png, (13, 158, 31)) > 30  # added, green
    assert _colour_pixels(png, (255, 140, 0)) > 30  # modified, orange
    assert _colour_pixels(png, (184, 184, 184)) > 500  # unchanged, grey
    assert _colour_pixels(png, (217, 0, 140)) > 30  # clouds


def test_removed_entities_follow_the_alignment(pair):
    report, old, new, _ = pair
    sd = report.sheets[0]
    assert sd.alignment.dx == pytest.approx(1000.0) and sd.alignment.dy == pytest.approx(500.0)
    spec = overlay_spec(report, old, new)
    old_dl, m_old = spec.extra[0]
    # every removed entity lands inside the page, near its change bbox in new coordinates
    red = [g for k, g in old_dl.strokes.items() if k[0] == (0.86, 0.08, 0.08)]
    assert red
    xy = np.asarray(red[0].coords).reshape(-1, 2)
    a, b, c, d, e, f = m_old
    px, py = xy[:, 0] * a + xy[:, 1] * c + e, xy[:, 0] * b + xy[:, 1] * d + f
    assert (px >= 0).all() and (px <= spec.width).all()
    assert (py >= 0).all() and (py <= spec.height).all()


def test_overlay_pdf_and_svg(pair, tmp_path):
    report, old, new, _ = pair
    pdf = overlay(report, old, new, tmp_path / "o.pdf")
    text = pymupdf.open(pdf)[0].get_text()
    assert "新增 Added" in text and "删除 Removed" in text
    svg = overlay(report, old, new, tmp_path / "o.svg").read_text(encoding="utf-8")
    assert svg.startswith("<svg") or "<svg" in svg[:200]
    with pytest.raises(NotFound):
        overlay(report, old, new, tmp_path / "x.png", sheet="no such sheet")
    with pytest.raises(InvalidInput):
        overlay(report, old, new, tmp_path / "x.bmp")


def test_tiles_cached_and_bounded(pair, tmp_path):
    _, _, new, d = pair
    loads = []

    def load(blob):
        loads.append(blob)
        return new

    blob = "0f" * 32
    cache = TileCache(tmp_path / "tiles", load)
    info = cache.levels(blob, "Model")
    assert info["tile"] == TILE and info["levels"][0] == {"z": 0, "cols": 1, "rows": 1}
    t = cache.tile(blob, "Model", 2, 1, 1)
    pix = pymupdf.Pixmap(t)
    assert (pix.width, pix.height) == (TILE, TILE)
    stored = list((tmp_path / "tiles").rglob("2/1/1.png"))
    assert len(stored) == 1 and stored[0].read_bytes() == t
    # a second cache on the same directory reads tiles and the page from disk: no parsing
    again = TileCache(tmp_path / "tiles", load)
    assert again.tile(blob, "Model", 2, 1, 1) == t
    again.tile(blob, "Model", 3, 0, 0)
    assert loads == [blob]
    thumb = pymupdf.Pixmap(cache.thumbnail(blob, "Model", 128))
    assert max(thumb.width, thumb.height) == 128
    with pytest.raises(NotFound):
        cache.tile(blob, "Model", 0, 1, 0)
    with pytest.raises(NotFound):
        cache.tile(blob, "Model", MAX_ZOOM + 1, 0, 0)
    with pytest.raises(InvalidInput):
        cache.tile("../../etc", "Model", 0, 0, 0)


def test_edge_tiles_are_padded_with_paper(pair, tmp_path):
    _, _, new, _ = pair
    cache = TileCache(tmp_path, lambda blob: new)
    blob = "aa" * 32
    lv = cache.levels(blob, "Model")["levels"][1]
    png = cache.tile(blob, "Model", 1, lv["cols"] - 1, lv["rows"] - 1)
    assert pymupdf.Pixmap(png).width == TILE


def test_overlay_entry_point_survives_submodule_import():
    """`yitaotu diff --overlay` looks up drawings.render.overlay: it must stay the function."""
    import drawings.render
    import drawings.render.overlays  # noqa: F401

    assert callable(drawings.render.overlay)
    assert drawings.render.overlay.__module__ == "drawings.render"


def test_low_levels_are_cut_from_one_drawing(pair, tmp_path):
    from drawings.render.tiles import BASE_ZOOM

    _, _, new, _ = pair
    cache = TileCache(tmp_path, lambda blob: new)
    blob = "bb" * 32
    first = cache.tile(blob, "Model", 1, 0, 0)  # prepares levels 0..BASE_ZOOM at once
    sheet_dir = cache.sheet_dir(blob, "Model")
    for z in range(BASE_ZOOM + 1):
        lv = cache.levels(blob, "Model")["levels"][z]
        assert (sheet_dir / str(z) / "0" / "0.png").is_file()
        assert len(list((sheet_dir / str(z)).rglob("*.png"))) >= lv["cols"] * lv["rows"] - 1
    assert not (sheet_dir / str(BASE_ZOOM + 1)).exists()
    # the cut tile shows the same picture as one drawn directly
    from tests.render.reference import agreement, ink

    direct = cache.render_tile(blob, "Model", 1, 0, 0)
    assert agreement(ink(first), ink(direct), 2) > 0.9


def test_geometry_kept_beside_the_page(pair, tmp_path):
    """The page's transform is cached with it (a viewer shows sheet coordinates without a
    parse); a damaged geometry file is named, and a page cached without one is made again."""
    from storage.errors import IntegrityError

    _, _, new, _ = pair
    loads = []
    cache = TileCache(tmp_path, lambda blob: loads.append(blob) or new)
    blob = "cc" * 32
    assert not cache.ready(blob, "Model")
    g = cache.geometry(blob, "Model")
    a, b, c, d, e, f = g["matrix"]
    x0, y0, x1, y1 = new.sheets[0].extents
    for x, y in ((x0, y0), (x1, y1)):  # the sheet's extents land on the page
        assert -1 <= a * x + c * y + e <= g["width"] + 1
        assert -1 <= b * x + d * y + f <= g["height"] + 1
    assert g["sheet"] == "Model" and g["entities"] == len(new.sheets[0])
    cache.prepare(blob, "Model")
    assert cache.ready(blob, "Model") and loads == [blob]
    cache.geometry_path(blob, "Model").write_text("{not json")
    with pytest.raises(IntegrityError, match="sheet.json"):
        cache.geometry(blob, "Model")
    cache.geometry_path(blob, "Model").unlink()
    assert not cache.ready(blob, "Model")
    assert cache.geometry(blob, "Model") == g and loads == [blob, blob]
