"""Title-block fields from generated sheets: attributes, labelled text, PDF page text."""

from __future__ import annotations

from pathlib import Path

import ezdxf
import pymupdf
import pytest

import drawings
from drawings.titleblock import find_title


def _frame(msp, x0: float = 0.0, y0: float = 0.0) -> None:
    """A title block table: 4 rows of label | value cells at the bottom right of an A3 frame."""
    msp.add_lwpolyline([(x0, y0), (x0 + 420, y0), (x0 + 420, y0 + 297), (x0, y0 + 297)], close=True)
    for k in range(5):
        msp.add_line((x0 + 240, y0 + 10 * k), (x0 + 420, y0 + 10 * k))


def _read(doc, tmp_path: Path, name: str = "t.dxf"):
    path = tmp_path / name
    doc.saveas(path)
    return drawings.read(path)


def test_attributes_of_a_title_block_insert(tmp_path: Path) -> None:
    doc = ezdxf.new("R2018")
    blk = doc.blocks.new("TK-A3")
    for k, tag in enumerate(("图号", "TM", "ZY", "REV", "SCALE")):
        blk.add_attdef(tag, (0, -5 * k))
    msp = doc.modelspace()
    _frame(msp)
    msp.add_blockref("TK-A3", (300, 40)).add_auto_attribs(
        {"图号": "建施-03", "TM": "二层平面图", "ZY": "建筑", "REV": "B", "SCALE": "1:100"}
    )
    d = _read(doc, tmp_path)
    assert d.title == {"number": "建施-03", "title": "二层平面图", "discipline": "建筑",
                       "revision": "B", "scale": "1:100"}  # fmt: skip


def test_labels_with_values_to_the_right_and_below(tmp_path: Path) -> None:
    doc = ezdxf.new("R2018")
    msp = doc.modelspace()
    _frame(msp)
    rows = [("图  号", "结施-12", 35), ("图  名", "基础平面布置图", 25), ("比  例", "1:100", 15)]
    for label, value, y in rows:
        msp.add_text(label, height=3.5).set_placement((245, y))
        msp.add_text(value, height=3.5).set_placement((275, y + 0.3))
        msp.add_text("其他 OTHER", height=3.5).set_placement((340, y))  # farther right: ignored
    # label above its value (a two-line cell)
    msp.add_text("专业 Discipline", height=2.5).set_placement((380, 28))
    msp.add_text("结构", height=3.5).set_placement((381, 24))
    msp.add_mtext("版次：C\\P日期：2024-05").set_location((380, 12))
    d = _read(doc, tmp_path)
    assert d.title == {"number": "结施-12", "title": "基础平面布置图", "discipline": "结构",
                       "revision": "C", "scale": "1:100"}  # fmt: skip


def test_english_labels_and_inline_values(tmp_path: Path) -> None:
    doc = ezdxf.new("R2018")
    msp = doc.modelspace()
    msp.add_text("Drawing No.: A-101", height=3).set_placement((0, 0))
    msp.add_text("Title: Ground floor plan", height=3).set_placement((0, 10))
    msp.add_text("Sheet 3 of 5", height=3).set_placement((0, 20))  # not a label
    d = _read(doc, tmp_path)
    assert d.title == {"number": "A-101", "title": "Ground floor plan"}


def test_paper_layout_title_block_wins(tmp_path: Path) -> None:
    doc = ezdxf.new("R2018")
    doc.modelspace().add_text("图号：草稿-1").set_placement((0, 0))
    lay = doc.layouts.new("A3")
    lay.add_text("图号：A-201").set_placement((380, 20))
    d = _read(doc, tmp_path)
    assert d.title["number"] == "A-201"


def test_nothing_found_leaves_keys_out(tmp_path: Path) -> None:
    doc = ezdxf.new("R2018")
    doc.modelspace().add_text("卧室 Bedroom").set_placement((0, 0))
    doc.modelspace().add_line((0, 0), (1, 1))
    assert _read(doc, tmp_path).title == {}


def test_pdf_page_text(tmp_path: Path) -> None:
    doc = pymupdf.open()
    page = doc.new_page(width=1191, height=842)  # A3 landscape in points
    page.draw_rect(pymupdf.Rect(20, 20, 1171, 822))
    for label, value, y in (("图号", "水施-05", 760), ("图名", "给水系统图", 780)):
        page.insert_text((900, y), label, fontname="china-s", fontsize=10)
        page.insert_text((960, y), value, fontname="china-s", fontsize=10)
    page.insert_text((900, 800), "比例：1:50", fontname="china-s", fontsize=10)
    path = tmp_path / "plot.pdf"
    doc.save(path)
    d = drawings.read(path)
    assert d.title == {"number": "水施-05", "title": "给水系统图", "scale": "1:50"}
    assert find_title(d) == d.title


@pytest.mark.parametrize(
    ("text", "number"),
    [("图号：A-101", "A-101"), ("图号:A-101", "A-101"), ("图 号 A-101", "A-101"),
     ("DWG NO. JS-01", "JS-01"), ("Sheet No: 7", "7")],
)  # fmt: skip
def test_inline_spellings(tmp_path: Path, text: str, number: str) -> None:
    doc = ezdxf.new("R2018")
    doc.modelspace().add_text(text).set_placement((0, 0))
    assert _read(doc, tmp_path).title == {"number": number}
