"""Every corpus drawing reads without error (DWG before R13: the clear unsupported error)."""

from __future__ import annotations

import csv
import re
from collections import Counter
from pathlib import Path

import pytest

import drawings
from storage.errors import FileFormatError
from tests.conftest import corpus_dir, needs_corpus


def _rows() -> list[dict[str, str]]:
    with open(corpus_dir() / "MANIFEST.tsv", encoding="utf-8") as f:
        return list(csv.DictReader(f, delimiter="\t"))


def _msp_count(notes: str) -> int | None:
    m = re.search(r"(?:entities )?msp=(\d+)", notes)
    return int(m.group(1)) if m else None


@pytest.mark.parametrize("row", _rows(), ids=[r["path"] for r in _rows()])
def test_reads(corpus: Path, row: dict[str, str]) -> None:
    path = corpus / row["path"]
    fmt = row["format+version"]
    version = re.search(r"AC\d{4}", fmt)
    if fmt.startswith("DWG") and version and version.group(0) < "AC1012":
        with pytest.raises(FileFormatError, match="unsupported DWG version"):
            drawings.read(path)
        return
    d = drawings.read(path)
    assert d.path == str(path)
    assert d.sheets and all(e.fingerprint and e.shape for s in d.sheets for e in s)
    kind = fmt.split()[0].lower()
    assert d.format == kind
    if kind == "dxf":
        # the MANIFEST counted model-space entities with ezdxf: we see the same ones
        msp = _msp_count(row["notes"])
        if msp is not None:
            assert len(d.sheet("Model")) == msp
    if kind == "pdf":
        assert d.units == "pt" and d.sheets[0].paper["units"] == "pt"


def test_dwg_and_dxf_of_the_same_drawing_agree(corpus: Path) -> None:
    """ACadSharp's sample saved as DXF and DWG: most fingerprints are equal (see the report)."""
    dxf = drawings.read(corpus / "pairs/acadsharp-sample-ac1018-dxf/r1_7bc26dd.dxf")
    dwg = drawings.read(corpus / "pairs/acadsharp-sample-ac1032-dwg/r1_7bc26dd.dwg")
    a = Counter(e.fingerprint for e in dxf.sheet("Model"))
    b = Counter(e.fingerprint for e in dwg.sheet("Model"))
    common = sum((a & b).values())
    assert common >= 0.6 * sum(a.values())
    kinds = Counter(e.kind for e in dwg.sheet("Model") if e.fingerprint in a)
    assert kinds["LINE"] >= 20 and kinds["LWPOLYLINE"] >= 5 and kinds["CIRCLE"] >= 3


def test_dwg_layouts_blocks_and_attributes(corpus: Path) -> None:
    d = drawings.read(corpus / "pairs/acadsharp-sample-ac1032-dwg/r1_7bc26dd.dwg")
    assert (d.format, d.version) == ("dwg", "AC1032")
    assert [s.name for s in d.sheets] == ["Model", "Layout1", "Layout2", "MyLayout"]
    assert all(e.kind == "VIEWPORT" for s in d.sheets[1:] for e in s)
    inserts = [e for e in d.sheet("Model") if e.kind == "INSERT" and e.attribs]
    assert inserts and all(e.geometry["block"] in d.blocks for e in inserts)
    assert {"PRESET_ATT": "hello"}.items() <= max(
        inserts, key=lambda e: len(e.attribs)
    ).attribs.items()
    texts = {e.text for e in d.sheet("Model") if e.kind == "TEXT"}
    assert "Hello this is a single line text" in texts


@needs_corpus
def test_dwg_chinese_text(corpus: Path) -> None:
    d = drawings.read(corpus / "single/wjane-graduation-project/SBR平面图.dwg")
    texts = [e.text for e in d.sheet("Model") if e.kind in ("TEXT", "MTEXT") and e.text]
    assert any("\u4e00" <= ch <= "\u9fff" for t in texts for ch in t)


@needs_corpus
def test_resave_by_another_cad_leaves_only_the_real_edit(corpus: Path) -> None:
    """EMF 2016 r2: "Move H3 left a bit", saved by another program as R2000 with new handles
    and renamed text styles: only the moved block and its two cables differ."""
    pair = corpus / "pairs/emfcamp-2016-siteplan-roundtrip"
    a = drawings.read(pair / "r1_ca307c3.dxf").sheet("Model")
    b = drawings.read(pair / "r2_5b16005.dxf").sheet("Model")
    fa, fb = Counter(e.fingerprint for e in a), Counter(e.fingerprint for e in b)
    assert {e.handle for e in a} != {e.handle for e in b}
    old = [e for e in a if fa[e.fingerprint] > fb[e.fingerprint]]
    new = [e for e in b if fb[e.fingerprint] > fa[e.fingerprint]]
    assert sorted(e.kind for e in old) == sorted(e.kind for e in new) == ["INSERT", "LINE", "LINE"]
    moved = {e.kind: e for e in new}["INSERT"]
    before = {e.kind: e for e in old}["INSERT"]
    assert before.shape == moved.shape  # the same block, just moved
    assert moved.anchor[0] - before.anchor[0] == pytest.approx(-5.0)
