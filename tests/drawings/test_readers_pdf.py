"""PDF reader on pages drawn with PyMuPDF: points, y up, handles, layers, text spans."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pymupdf
import pytest

import drawings
from drawings.model import Drawing
from storage.errors import FileFormatError

MM = 72 / 25.4


def _plot(path: Path, dx: float = 0.0, pages: int = 1) -> Drawing:
    doc = pymupdf.open()
    walls = doc.add_ocg("墙体 A-WALL")
    for n in range(pages):
        page = doc.new_page(width=842, height=595)
        page.draw_line((100 + dx, 100), (300 + dx, 100), color=(1, 0, 0), width=0.5, oc=walls)
        page.draw_rect(pymupdf.Rect(400 + dx, 200, 500 + dx, 260), color=(0, 0, 1), fill=(1, 1, 0))
        page.draw_bezier((50 + dx, 500), (80 + dx, 450), (120 + dx, 550), (150 + dx, 500))
        page.insert_text((600 + dx, 500), f"一层平面图 {n + 1}", fontname="china-s", fontsize=12)
    doc.save(path)
    return drawings.read(path)


def test_paths_and_text(tmp_path: Path) -> None:
    d = _plot(tmp_path / "a.pdf")
    assert (d.format, d.units) == ("pdf", "pt") and d.version.startswith("PDF-")
    (page,) = d.sheets
    assert page.name == "Page 1" and page.paper == {"width": 842, "height": 595, "units": "pt"}
    kinds = Counter(e.kind for e in page)
    assert kinds == {"PATH": 3, "TEXT": 1}
    line = next(e for e in page if e.kind == "PATH" and e.geometry["items"][0][0] == "l")
    # y up: 100 pt from the top of a 595 pt page is 495 pt from the bottom
    assert line.geometry["items"] == [("l", (100.0, 495.0), (300.0, 495.0))]
    assert line.layer == "墙体 A-WALL" and line.handle == "p1:0"
    assert line.geometry["stroke"] == "#ff0000" and line.style["color"] == "#ff0000"
    rect = next(e for e in page if e.kind == "PATH" and e.geometry["items"][0][0] == "re")
    assert rect.geometry["items"][0] == ("re", 400.0, 335.0, 500.0, 395.0)
    assert rect.geometry["fill"] == "#ffff00" and rect.layer == "0"
    assert rect.bbox == (400.0, 335.0, 500.0, 395.0)
    curve = next(e for e in page if e.kind == "PATH" and e.geometry["items"][0][0] == "c")
    assert curve.geometry["items"][0][1] == pytest.approx((50.0, 95.0))
    text = next(e for e in page if e.kind == "TEXT")
    assert text.text == "一层平面图 1" and text.handle == "p1:t0"
    assert text.geometry["insert"] == pytest.approx((600.0, 95.0), abs=0.5)
    assert text.geometry["height"] == pytest.approx(12)


def test_one_sheet_per_page(tmp_path: Path) -> None:
    d = _plot(tmp_path / "multi.pdf", pages=3)
    assert [s.name for s in d.sheets] == ["Page 1", "Page 2", "Page 3"]
    assert next(e for e in d.sheets[2] if e.kind == "TEXT").handle == "p3:t0"


def test_plot_offset_keeps_shapes(tmp_path: Path) -> None:
    """The same page plotted 1 mm to the right: every shape equal, every fingerprint moved."""
    a = _plot(tmp_path / "a.pdf").sheets[0]
    b = _plot(tmp_path / "b.pdf", dx=MM).sheets[0]
    assert Counter(e.shape for e in a) == Counter(e.shape for e in b)
    assert not set(e.fingerprint for e in a) & set(e.fingerprint for e in b)


def test_broken_pdf(tmp_path: Path) -> None:
    path = tmp_path / "broken.pdf"
    path.write_bytes(b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\n%%EOF\n")
    with pytest.raises(FileFormatError) as exc:
        drawings.read(path)
    assert str(path) in str(exc.value)
