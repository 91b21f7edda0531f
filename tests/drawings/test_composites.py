"""Entities made of other drawing parts: ACAD_TABLE (its ``*T`` block), MULTILEADER (its
saved proxy picture), MLINE (element lines along the miters); MTEXT embedded objects.

Corpus files are edited on their bytes as a CAD program would save them.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import drawings
from diffing import diff_files
from tests.conftest import needs_corpus


@pytest.fixture
def table_file(corpus) -> Path:
    return corpus / "single/ezdxf/acad_table_with_blk_ref.dxf"


def _table(path_or_bytes):
    d = drawings.read(path_or_bytes, name="t.dxf")
    (table,) = [e for e in d.sheets[0].entities if e.kind == "ACAD_TABLE"]
    return d, table


def test_table_is_read_as_its_block_at_its_insertion_point(table_file):
    d, t = _table(table_file)
    assert t.geometry["block"] == "*T2"
    assert t.geometry["insert"] == pytest.approx((746.478536, 139.550762))
    assert len(t.geometry["cells"]) == 32
    assert not any("opaque" in w for w in d.warnings)
    # the box is the block's content moved to the insertion point: 200 x 92 below it
    x0, y0, x1, y1 = t.bbox
    assert (x1 - x0, y1 - y0) == pytest.approx((200.0, 92.0))
    assert (x0, y1) == pytest.approx(t.geometry["insert"])
    assert d.sheets[0].extents == t.bbox


def test_table_is_drawn_from_its_block(table_file):
    from drawings.render import render_bytes

    d, _ = _table(table_file)
    import pymupdf

    page = pymupdf.open("pdf", render_bytes(d, "pdf"))[0]
    words = {w[4] for w in page.get_text("words")}
    assert {"Title", "merge", "line", "17"} <= words  # the cells' text, searchable


def test_cell_edit_move_and_resave(table_file, tmp_path):
    data = table_file.read_bytes()
    edited = tmp_path / "edited.dxf"
    edited.write_bytes(data.replace(b"Title", b"Table"))  # in the cell data and the block
    report = diff_files(table_file, edited)
    (change,) = report.changes
    assert change.type == "ACAD_TABLE" and "text" in change.what and "moved" not in change.what

    moved = tmp_path / "moved.dxf"
    moved.write_bytes(data.replace(b"746.478536000632", b"756.478536000632", 1))
    (change,) = diff_files(table_file, moved).changes
    assert change.what == ("moved",) and change.details["moved_by"] == pytest.approx([10, 0])

    import ezdxf

    doc = ezdxf.readfile(table_file)
    resaved = tmp_path / "resaved.dxf"
    doc.saveas(resaved)  # new handles, same drawing
    assert not diff_files(table_file, resaved).changes


def test_mtext_embedded_object_does_not_turn_the_text(corpus):
    """R2018 MTEXT carries an "Embedded Object" whose codes 10/11 mean something else; read
    from it, the text was turned by ~37 degrees and moved."""
    d = drawings.read(corpus / "single/ezdxf/wipeout_door.dxf")
    texts = [e for e in d.sheets[0].entities if e.kind == "MTEXT"]
    assert texts and all(e.geometry["rotation"] == 0.0 for e in texts)
    first = next(e for e in texts if e.text == "Block with Wipeout")
    assert first.geometry["insert"] == pytest.approx((9544.211435, 7248.307089))
    assert first.geometry["width"] == pytest.approx(920.785994)


@pytest.fixture
def leaders_file(corpus) -> Path:
    return corpus / "single/dxf-parser/api-cw750-details.dxf"


@needs_corpus
def test_multileaders_are_drawn_from_their_saved_picture(leaders_file):
    from drawings.render import render_bytes

    d = drawings.read(leaders_file)
    leaders = [e for e in d.sheets[0].entities if e.kind == "MULTILEADER"]
    assert len(leaders) == 58  # 3 more on a layout, 1 in a block
    assert not any("MULTILEADER" in w for w in d.warnings)
    with_text = 0
    for e in leaders:
        kinds = {x.kind for x in d.blocks[e.geometry["block"]].entities}
        assert "POLYLINE" in kinds  # the leader line
        with_text += "TEXT" in kinds
        assert e.bbox[0] < e.bbox[2]
    assert with_text >= 50  # the others point without a label
    import pymupdf

    page = pymupdf.open("pdf", render_bytes(d, "pdf"))[0]
    assert "MULLION" not in page.get_text()  # their layer is off in this file
    d.layers["FG-Dtl-Dim"].on = True
    page = pymupdf.open("pdf", render_bytes(d, "pdf"))[0]
    assert "HEAVY MULLION" in page.get_text()  # leader text, searchable


@needs_corpus
def test_multileader_edit_and_resave(leaders_file, tmp_path):
    data = leaders_file.read_bytes()
    assert data.count(b"HEAVY MULLION") >= 1
    edited = tmp_path / "edited.dxf"
    edited.write_bytes(data.replace(b"P.813-925-0144", b"P.813-925-0145", 1))
    changes = diff_files(leaders_file, edited).changes
    assert [c.type for c in changes] == ["MULTILEADER"]

    import ezdxf

    resaved = tmp_path / "resaved.dxf"
    ezdxf.readfile(leaders_file).saveas(resaved)  # new handles, same drawing
    assert not [c for c in diff_files(leaders_file, resaved).changes if c.type == "MULTILEADER"]


def _mline_doc(offset=(0.0, 0.0)):
    import ezdxf

    doc = ezdxf.new("R2010")
    pts = [(0, 0), (4000, 0), (4000, 3000), (9000, 3000)]
    ml = doc.modelspace().add_mline([(x + offset[0], y + offset[1]) for x, y in pts])
    ml.dxf.scale_factor = 240.0  # a 240 mm wall
    ml.update_geometry()
    return doc


def test_mline_walls_read_drawn_and_compared(tmp_path):
    from drawings.readers.dxf_fast import mline_paths

    a, b = tmp_path / "a.dxf", tmp_path / "b.dxf"
    _mline_doc().saveas(a)
    _mline_doc(offset=(500.0, 0.0)).saveas(b)
    d = drawings.read(a)
    (wall,) = d.sheets[0].entities
    assert wall.kind == "MLINE" and len(wall.geometry["elements"]) == 2
    paths = mline_paths(wall.geometry)
    ys = sorted({round(p[1]) for p in paths})  # the two faces of the wall at the first vertex
    assert ys == [-120, 120] or ys == [-240, 0] or ys == [0, 240]
    x0, y0, x1, y1 = wall.bbox
    assert x1 - x0 == pytest.approx(9000, abs=250) and y1 - y0 == pytest.approx(3240, abs=1)
    (change,) = diff_files(a, b).changes
    assert change.type == "MLINE" and change.what == ("moved",)
    assert change.details["moved_by"] == pytest.approx([500.0, 0.0])
