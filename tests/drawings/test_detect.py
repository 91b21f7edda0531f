"""Format detection from bytes: every corpus file per its MANIFEST, and bad heads."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest

from drawings import FormatInfo, detect_format
from drawings.detect import HEAD_SIZE
from storage.errors import FileFormatError
from tests.conftest import corpus_dir


def _manifest() -> list[tuple[str, str]]:
    with open(corpus_dir() / "MANIFEST.tsv", encoding="utf-8") as f:
        return [(r["path"], r["format+version"]) for r in csv.DictReader(f, delimiter="\t")]


def _expected(fmt: str) -> tuple[str, str | None]:
    """MANIFEST ``format+version`` ("DXF R2004 (AC1018)", "DWG AC1032 (R2018)", "PDF 1.4")."""
    kind = fmt.split()[0].lower()
    if kind == "pdf":
        return "pdf", "PDF-" + fmt.split()[1]
    m = re.search(r"AC\d{4}", fmt)
    if kind == "dxf" and "binary" in fmt:
        kind = "dxf-binary"
    return kind, m.group(0) if m else None


@pytest.mark.parametrize(("path", "fmt"), _manifest(), ids=[p for p, _ in _manifest()])
def test_every_corpus_file(corpus: Path, path: str, fmt: str) -> None:
    head = (corpus / path).read_bytes()[:HEAD_SIZE]
    kind, version = _expected(fmt)
    if kind == "dwg" and version is not None and version < "AC1012":
        with pytest.raises(FileFormatError, match=f"unsupported DWG version {version}"):
            detect_format(head, path)
        return
    info = detect_format(head, path)
    assert info == FormatInfo(kind, version or info.version)


def test_extension_is_ignored(corpus: Path) -> None:
    dxf = (corpus / "single/woodshed/plan_floor.dxf").read_bytes()[:HEAD_SIZE]
    assert detect_format(dxf, "A-101.DWG").format == "dxf"
    pdf = (corpus / "single/barcelona-pavillion/exported plan view.pdf").read_bytes()[:HEAD_SIZE]
    assert detect_format(pdf, "plan.dxf") == FormatInfo("pdf", "PDF-1.5")


@pytest.mark.parametrize(
    ("head", "reason"),
    [
        (b"", "empty"),
        (b"AC1027\x00\x00", "truncated DWG"),
        (b"AC1009" + b"\x00" * 200, "unsupported DWG version AC1009"),
        (b"AC1003" + b"\x00" * 200, "unsupported DWG version AC1003"),
        (b"%PDF", "truncated PDF"),
        (b"  0\nSECTION\n  2\nHEADER\n  9\n$ACADVER\n", "truncated DXF"),
        (b"AutoCAD Binary DXF\r\n\x1a\x00", "truncated binary DXF"),
        (b"hello world, not a drawing", "not a DXF, DWG or PDF"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 100, "not a DXF, DWG or PDF"),
        (b"PK\x03\x04zipfile", "not a DXF, DWG or PDF"),
    ],
)
def test_bad_heads_name_the_file(head: bytes, reason: str) -> None:
    with pytest.raises(FileFormatError, match=reason) as exc:
        detect_format(head, "upload/A-101.dwg")
    assert exc.value.path == "upload/A-101.dwg"
    assert str(exc.value).startswith("upload/A-101.dwg: ")


def test_dxf_variants() -> None:
    r12 = b"0\r\nSECTION\r\n2\r\nENTITIES\r\n0\r\nLINE\r\n"  # R12 without a HEADER
    assert detect_format(r12) == FormatInfo("dxf", "AC1009")
    commented = b"999\ndxflib\n  0\nSECTION\n  2\nHEADER\n  9\n$ACADVER\n  1\nAC1015\n"
    assert detect_format(commented) == FormatInfo("dxf", "AC1015")
    bom = b"\xef\xbb\xbf  0\nSECTION\n  2\nHEADER\n  9\n$ACADVER\n  1\nAC1032\n"
    assert detect_format(bom) == FormatInfo("dxf", "AC1032")
