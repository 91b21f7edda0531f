"""Readers on hostile DXF: a pathological line is refused from the raw bytes (never decoded,
recovered or printed whole), escapes that are no character are replaced."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import ezdxf
import pytest

import drawings
from diffing import diff_files
from drawings.readers.dxf_lines import MAX_LINE, MAX_TEXT_LINE
from storage.errors import FileFormatError
from tests.fuzz import hostile


def text_dxf(path: Path, code: int, value: str) -> Path:
    """A TEXT whose group ``code`` (1: the text, 8: the layer) holds ``value``."""
    body = "0\nTEXT\n8\n{}\n10\n0\n20\n0\n40\n1\n1\n{}\n".format(
        value if code == 8 else "0", value if code == 1 else "x"
    )
    return hostile.dxf_with_entities(path, body)


def test_long_lines(tmp_path: Path) -> None:
    ok = drawings.read(text_dxf(tmp_path / "a.dxf", 1, "字" * (MAX_LINE + 10)))
    assert ok.sheets[0].entities[0].text == "字" * (MAX_LINE + 10)  # long text: allowed
    for code, size in ((8, MAX_LINE + 1), (1, MAX_TEXT_LINE + 1)):
        f = text_dxf(tmp_path / f"g{code}.dxf", code, "A" * size)
        with pytest.raises(FileFormatError, match=r"g\d+\.dxf: malformed DXF: line \d+ has") as e:
            drawings.read(f)
        assert len(str(e.value)) < 300 and f"({size} chars)" in str(e.value)


def test_long_line_refused_by_diff_too(tmp_path: Path) -> None:
    """diff reads two ASCII DXF through the pair reader, which decodes on its own."""
    bad = hostile.long_line_dxf(tmp_path / "bad.dxf", 1 << 20)
    good = text_dxf(tmp_path / "good.dxf", 1, "x")
    for old, new in ((good, bad), (bad, good)):
        with pytest.raises(FileFormatError, match="bad.dxf: malformed DXF: line 15"):
            diff_files(old, new)


def test_long_value_in_binary_dxf(tmp_path: Path) -> None:
    doc = ezdxf.new("R2013")
    doc.modelspace().add_text("B" * (MAX_TEXT_LINE + 1))
    doc.saveas(tmp_path / "b.dxf", fmt="bin")
    with pytest.raises(FileFormatError, match="b.dxf: malformed DXF: the value of group 1"):
        drawings.read(tmp_path / "b.dxf")


def test_unicode_escapes_that_are_no_character(tmp_path: Path) -> None:
    f = text_dxf(tmp_path / "s.dxf", 1, "a\\U+D800b \\U+D83D\\U+DE00 \\U+DFFF")
    assert drawings.read(f).sheets[0].entities[0].text == "a\ufffdb 😀 \ufffd"
    corpus = Path(__file__).parents[1] / "data/corpus/pairs/acadsharp-sample-ac1018-dxf"
    altered = hostile.surrogate_escape_dxf(corpus / "r1_7bc26dd.dxf", tmp_path / "c.dxf")
    d = drawings.read(altered)  # two bytes changed: \U+xxxx -> \U+D8xx
    drawings.index.dumps(d)  # storable: no lone surrogate left anywhere


CHILD = """
import resource, sys
resource.setrlimit(resource.RLIMIT_AS, (int(sys.argv[2]), int(sys.argv[2])))
import drawings
from storage.errors import FileFormatError
try:
    drawings.read(sys.argv[1])
except FileFormatError as e:
    print(e)
"""


def test_long_line_read_in_bounded_memory(tmp_path: Path) -> None:
    """A 64 MB one-line 'DXF' is refused within a 600 MB address space (the old reader
    decoded, split and recovered it: 870 MB resident)."""
    f = hostile.long_line_dxf(tmp_path / "long.dxf", 64 << 20)
    limit = 600 << 20
    r = subprocess.run([sys.executable, "-c", CHILD, str(f), str(limit)],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    assert "long.dxf: malformed DXF: line 15 has 67108864 bytes" in r.stdout
