"""Two-process rendering of big DXF files: the same entities, the same picture, safe fallbacks.

The size threshold is lowered for these tests so the small generated sheet goes the split way.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pymupdf
import pytest

import drawings
from drawings.readers.dxf_fast import split_entities
from drawings.render import render_bytes, render_source, split
from drawings.render.raster import can_fork
from storage.errors import FileFormatError, InvalidInput
from tests.conftest import FULL_CORPUS
from tests.render.sheets import make_sheet


@pytest.fixture(scope="module")
def sheet_path(tmp_path_factory) -> Path:
    return make_sheet(tmp_path_factory.mktemp("split") / "sheet.dxf")


@pytest.fixture
def always_split(monkeypatch):
    assert can_fork() and (os.cpu_count() or 1) > 1  # else nothing here would be tested
    monkeypatch.setattr(split, "SPLIT_MIN_BYTES", 0)


@pytest.fixture
def children(monkeypatch) -> list[int]:
    """Pids of the children the split rendering forks."""
    pids: list[int] = []
    start = split._Child.start

    def recording(*args, **kwargs):
        child = start(*args, **kwargs)
        if child is not None:
            pids.append(child.pid)
        return child

    monkeypatch.setattr(split._Child, "start", staticmethod(recording))
    return pids


def _reaped(pids: list[int]) -> bool:
    for pid in pids:
        try:
            os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            continue
        return False  # still ours to reap: a zombie or still running
    return bool(pids)


def _pixels(png: bytes) -> np.ndarray:
    pix = pymupdf.Pixmap(png)
    return np.frombuffer(pix.samples, dtype=np.uint8).reshape(pix.height, pix.width, pix.n)


def _model(data: bytes):
    return drawings.read(data, name="x.dxf").sheets[0]


def _fingerprints(data: bytes) -> list[str]:
    return [e.fingerprint for e in _model(data).entities]


def test_halves_hold_every_model_entity_once_in_order(sheet_path):
    data = sheet_path.read_bytes()
    first, second = split_entities(data)
    whole = drawings.read(data, name="x.dxf")
    a, b = _fingerprints(first), _fingerprints(second)
    assert a and b
    assert a + b == _fingerprints(data)
    # everything else is kept whole by both halves: blocks, layers, layouts
    for half in (first, second):
        d = drawings.read(half, name="x.dxf")
        assert d.blocks.keys() == whole.blocks.keys()
        assert d.layers.keys() == whole.layers.keys()
        assert [s.name for s in d.sheets[1:]] == [s.name for s in whole.sheets[1:]]


def test_halves_of_a_crlf_file(sheet_path):
    data = sheet_path.read_bytes().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    first, second = split_entities(data)
    assert _fingerprints(first) + _fingerprints(second) == _fingerprints(data)


def test_cut_never_separates_vertices_or_attributes(tmp_path):
    import ezdxf

    doc = ezdxf.new("R2000")
    blk = doc.blocks.new("TAG")
    blk.add_attdef("NO", (0, 0), dxfattribs={"height": 1})
    msp = doc.modelspace()
    for i in range(40):  # old-style POLYLINEs with VERTEX/SEQEND, INSERTs with ATTRIBs
        msp.add_polyline2d([(i, 0), (i, 5), (i + 0.5, 7), (i + 1, 0)])
        msp.add_blockref("TAG", (i, 10)).add_auto_attribs({"NO": str(i)})
    path = tmp_path / "seq.dxf"
    doc.saveas(path)
    data = path.read_bytes()
    first, second = split_entities(data)
    assert _fingerprints(first) + _fingerprints(second) == _fingerprints(data)
    kinds = [e.kind for e in _model(second).entities]
    assert kinds[0] in ("POLYLINE", "INSERT")
    assert all(e.attribs for e in _model(first).entities if e.kind == "INSERT")


def test_files_that_cannot_be_cut(tmp_path, sheet_path):
    import ezdxf

    assert split_entities(b"  0\nSECTION\n  2\nHEADER\n  0\nENDSEC\n  0\nEOF\n") is None
    doc = ezdxf.new("R2000")
    doc.modelspace().add_line((0, 0), (1, 1))  # one entity: nothing to cut
    one = tmp_path / "one.dxf"
    doc.saveas(one)
    assert split_entities(one.read_bytes()) is None
    # entities inside the *Model_Space block would be repeated by both halves
    data = sheet_path.read_bytes()
    i = data.upper().index(b"*MODEL_SPACE\n", data.index(b"BLOCKS"))
    j = data.index(b"ENDBLK", i)
    j = data.rindex(b"\n", 0, data.rindex(b"\n", 0, j)) + 1  # the 0-tag line before ENDBLK
    line = b"  0\nLINE\n  8\n0\n 10\n0.0\n 20\n0.0\n 11\n1.0\n 21\n1.0\n"
    assert split_entities(data[:j] + line + data[j:]) is None


def test_corpus_halves_hold_the_same_entities(corpus):
    """Every corpus DXF that can be cut gives back its model space, in order."""
    cut = 0
    for path in sorted(corpus.rglob("*.dxf")):
        data = path.read_bytes()
        if data[:22].startswith(b"AutoCAD Binary DXF"):
            continue
        halves = split_entities(data)
        if halves is None:
            continue
        cut += 1
        a, b = (_fingerprints(h) for h in halves)
        assert a + b == _fingerprints(data), path.name
    assert cut >= (10 if FULL_CORPUS else 5)


def test_split_png_is_the_one_process_picture(sheet_path, always_split, monkeypatch):
    drawing = drawings.read(sheet_path)
    one = _pixels(render_bytes(drawing, "png", dpi=60))
    calls = []
    real = split._first_half
    monkeypatch.setattr(split, "_first_half", lambda *a, **k: calls.append(1) or real(*a, **k))
    done = render_source(sheet_path, "png", dpi=60)
    assert calls  # it did go the two-process way
    assert (done.sheet, done.entities) == ("Model", len(drawing.sheets[0]))
    two = _pixels(done.data)
    assert two.shape == one.shape
    # the same stream but for where stroke runs are cut: a crossing's anti-aliasing may differ
    differ = (np.abs(two.astype(np.int16) - one.astype(np.int16)) > 8).any(axis=2)
    assert differ.mean() < 0.001
    ink_one, ink_two = (one < 128).any(axis=2), (two < 128).any(axis=2)
    assert (ink_one != ink_two).sum() < 0.005 * ink_one.sum()


def test_corpus_split_pictures_match(corpus, always_split):
    """Every corpus DXF drawn by two processes shows the one-process picture: stroke runs are
    cut where the halves meet, so anti-aliasing where lines cross may move a few grey levels."""
    split_files = 0
    for path in sorted(corpus.rglob("*.dxf")):
        data = path.read_bytes()
        if data.startswith(b"AutoCAD Binary DXF") or split_entities(data) is None:
            continue
        drawing = drawings.read(path)
        if not len(drawing.sheets[0]):
            continue
        split_files += 1
        one = _pixels(render_bytes(drawing, "png", dpi=40))
        two = _pixels(render_source(path, "png", dpi=40).data)
        assert two.shape == one.shape, path.name
        diff = np.abs(two.astype(np.int16) - one.astype(np.int16))
        assert diff.max() <= 64, path.name
        assert (diff > 32).any(axis=2).mean() < 0.001, path.name
    assert split_files >= (10 if FULL_CORPUS else 5)


def test_split_pdf_keeps_text_and_page(sheet_path, always_split):
    drawing = drawings.read(sheet_path)
    ref = pymupdf.open("pdf", render_bytes(drawing, "pdf"))
    got = pymupdf.open("pdf", render_source(sheet_path, "pdf").data)
    assert got[0].rect == ref[0].rect
    words = sorted(w[4] for w in got[0].get_text("words"))
    assert words == sorted(w[4] for w in ref[0].get_text("words"))
    assert "建筑平面图" in got[0].get_text()  # Chinese stays searchable


def test_layout_and_other_formats_go_the_ordinary_way(sheet_path, always_split, monkeypatch):
    calls = []
    monkeypatch.setattr(split, "_first_half", lambda *a, **k: calls.append(1))
    drawing = drawings.read(sheet_path)
    layout = drawing.sheets[1].name
    done = render_source(sheet_path, "png", dpi=30, layout=layout)
    assert done.sheet == layout
    assert render_source(sheet_path, "svg").data.startswith(b"<svg")
    assert not calls


def test_child_failure_falls_back(sheet_path, always_split, monkeypatch, children):
    def broken(*args, **kwargs):
        raise RuntimeError("child broke")

    monkeypatch.setattr(split, "_second_half", broken)  # runs in the forked child
    drawing = drawings.read(sheet_path)
    done = render_source(sheet_path, "png", dpi=30)
    assert done.data == render_bytes(drawing, "png", dpi=30)
    assert _reaped(children)


def test_too_large_image_stops_the_child(sheet_path, always_split, children):
    with pytest.raises(InvalidInput, match="too large"):
        render_source(sheet_path, "png", width=10**6)
    assert _reaped(children)


@pytest.mark.parametrize("where", [0.25, 0.75])
def test_damaged_half_is_reported_for_the_file(tmp_path, sheet_path, always_split, where, children):
    """Damage in either half (read by this process or by the child): the error names the
    file and its line as the one-process read reports it."""
    data = sheet_path.read_bytes()
    start = data.index(b"ENTITIES")
    end = data.index(b"\nENDSEC", start)
    at = data.index(b"\n  0\n", int(start + (end - start) * where))
    bad = tmp_path / "bad.dxf"
    bad.write_bytes(data[:at] + b"\nxx\n1" + data[at:])
    with pytest.raises(FileFormatError, match=r"bad\.dxf.*line \d+"):
        render_source(bad, "png", dpi=30)
    assert _reaped(children)


def _with_references(path: Path) -> Path:
    """Two references of 3 entities each, lines, a MINSERT too big to draw, lines, two more
    references: each half of the cut holds two."""
    from tests.fuzz import hostile

    refs = "".join(hostile._insert("B", 60.0 + 10 * k, 0.0) for k in range(2))
    body = refs + "".join(hostile._line(0.0, k, 50.0, k) for k in range(40))
    body += hostile._insert("B", 0.0, 0.0, cols=100_000, rows=100_000, dx=1.0, dy=1.0)
    body += "".join(hostile._line(k, 0.0, k, 50.0) for k in range(40)) + refs
    block = hostile._block("B", "".join(hostile._line(0.0, 0.0, 1.0, k) for k in range(3)))
    return hostile._with_blocks(path, block, body)


@pytest.mark.parametrize("fmt", ["png", "pdf"])
def test_split_warns_like_one_process(tmp_path, always_split, children, monkeypatch, fmt):
    """Warnings drawn in the child reach the output; a sheet over its budget as a whole (each
    half within it) goes the one-process way, so both draw the same references."""
    path = _with_references(tmp_path / "refs.dxf")
    done = render_source(path, fmt, dpi=30)
    assert children  # two processes drew it
    (w,) = done.warnings
    assert "refs.dxf" in w and "MINSERT of 1e+10 cells" in w
    monkeypatch.setenv("YITAOTU_RENDER_MAX_ENTITIES", "9")
    children.clear()
    calls: list[int] = []
    real = split._first_half
    monkeypatch.setattr(split, "_first_half", lambda *a, **k: calls.append(1) or real(*a, **k))
    done = render_source(path, fmt, dpi=30)
    # tried, counted 12 > 9 for the sheet (6 per half), left it to one process
    assert calls and _reaped(children)
    assert len(done.warnings) == 2 and "would draw 3 entities" in done.warnings[1]
    if fmt == "png":
        one = render_bytes(drawings.read(path), fmt, dpi=30)
        assert np.array_equal(_pixels(done.data), _pixels(one))
