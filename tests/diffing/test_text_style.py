"""A text style that keeps its name but changes its font: its texts are ``modified`` (style).

Fingerprints count a text style by its definition (font, big font, width, oblique, height), so
such texts no longer match exactly; the engine must then say why (``what`` has ``style``, the
details the fonts before/after) on every path: the paired DXF read, each file read alone, and
the stored indexes.  ``--ignore-style`` drops these changes like any other style change.
"""

from __future__ import annotations

from pathlib import Path

import ezdxf
import pytest

from diffing import diff_drawings, diff_files
from diffing.compare import PAIR_ENV
from diffing.writers import text_lines
from drawings import index, read
from tests.diffing.test_pair import assert_same


def _make(path: Path, font: str, *, width: float = 1.0) -> Path:
    doc = ezdxf.new("R2018")
    doc.styles.add("HZ", font=font).dxf.width = width
    blk = doc.blocks.new("图签")
    blk.add_text("图号", dxfattribs={"style": "HZ", "insert": (1, 1), "height": 2.5})
    blk.add_line((0, 0), (40, 0))
    msp = doc.modelspace()
    msp.add_line((0, 0), (100, 0))
    msp.add_text("一层平面图", dxfattribs={"style": "hz", "insert": (10, 10), "height": 3.5})
    msp.add_mtext("说明 notes", dxfattribs={"style": "HZ", "insert": (10, 30)})
    msp.add_text("other", dxfattribs={"insert": (60, 10)})  # Standard: unchanged
    msp.add_blockref("图签", (200, 0))
    doc.saveas(path)
    return path


@pytest.fixture()
def pair(tmp_path: Path) -> tuple[Path, Path]:
    return _make(tmp_path / "old.dxf", "txt.shx"), _make(tmp_path / "new.dxf", "simhei.ttf")


def _changes(report) -> list[tuple]:
    return sorted((c["kind"], c["type"], tuple(c["what"]),
                   c["details"].get("style", {}).get("font"))
                  for c in report.to_json()["changes"])


EXPECTED = [
    ("modified", "BLOCK", ("block",), None),
    ("modified", "MTEXT", ("style",), ["txt.shx", "simhei.ttf"]),
    ("modified", "STYLE", ("font",), None),  # the definition itself, once (issue #16 §1)
    ("modified", "TEXT", ("style",), ["txt.shx", "simhei.ttf"]),
]


def test_font_change_reported_on_the_paired_and_separate_paths(pair, monkeypatch) -> None:
    old, new = pair
    assert _changes(diff_files(old, new)) == EXPECTED
    monkeypatch.setenv(PAIR_ENV, "0")
    assert _changes(diff_files(old, new)) == EXPECTED
    monkeypatch.delenv(PAIR_ENV)
    assert_same(old, new, monkeypatch)
    assert_same(old, new, monkeypatch, ignore_style=True)


def test_font_change_reported_from_stored_indexes(pair) -> None:
    a, b = (index.loads(index.dumps(read(p)), str(p)) for p in pair)
    assert _changes(diff_drawings(a, b)) == EXPECTED
    assert not diff_drawings(a, b, ignore_style=True)


def test_ignore_style_drops_font_changes(pair, monkeypatch) -> None:
    report = diff_files(*pair, ignore_style=True)
    assert not report and report.to_json()["summary"]["unchanged"] == 5
    monkeypatch.setenv(PAIR_ENV, "0")
    assert not diff_files(*pair, ignore_style=True)


def test_other_definition_changes_are_named(tmp_path: Path) -> None:
    old = _make(tmp_path / "old.dxf", "txt.shx")
    new = _make(tmp_path / "new.dxf", "TXT.SHX", width=0.8)  # same font, narrower
    texts = [c for c in diff_files(old, new).to_json()["changes"]
             if c["type"] not in ("BLOCK", "STYLE")]
    assert len(texts) == 2
    for c in texts:
        assert c["what"] == ["style"]
        assert c["details"]["style"] == {"text_style_definition": {"width": [1.0, 0.8]}}
    text = "\n".join(text_lines(diff_files(old, new)))  # found by the fuzz: it raised
    assert "text_style_definition (width 1.0 → 0.8)" in text


def test_definition_change_with_a_layer_change(tmp_path: Path) -> None:
    """A text moved to another layer whose style's definition changed too (found by the
    fuzz: the layer check took the definition for a pair of values and raised)."""
    old = _make(tmp_path / "old.dxf", "txt.shx")
    doc = ezdxf.readfile(_make(tmp_path / "new.dxf", "txt.shx", width=0.8))
    doc.layers.add("文字")
    for e in doc.modelspace().query("TEXT"):
        e.dxf.layer = "文字"
    doc.saveas(tmp_path / "new.dxf")
    moved = [c for c in diff_files(old, tmp_path / "new.dxf").to_json()["changes"]
             if c["type"] == "TEXT" and c["what"] == ["layer", "style"]]
    assert [c["details"]["style"] for c in moved] == [
        {"text_style_definition": {"width": [1.0, 0.8]}}
    ]


def test_same_font_spelled_differently_is_no_change(tmp_path: Path) -> None:
    old = _make(tmp_path / "old.dxf", "txt.shx")
    new = _make(tmp_path / "new.dxf", "C:\\Fonts\\TXT")
    assert not diff_files(old, new)
