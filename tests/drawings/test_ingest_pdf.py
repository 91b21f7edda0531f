"""Multi-page PDFs become one sheet per page; numbers come from the page text."""

from __future__ import annotations

from pathlib import Path

import pytest

from drawings import registry
from drawings.ingest import ingest
from storage.blobs import open_blob_store
from storage.db import transaction
from tests.drawings.sheets import make_pdf

CODE = "2023-110105-04-01-123450"


@pytest.fixture
def store(tmp_path: Path):
    return open_blob_store((tmp_path / "objects").as_uri())


def test_multipage_pdf(sf, store, tmp_path: Path) -> None:
    book = make_pdf(tmp_path / "in" / "结构施工图.pdf", ["S-101", None, "S-103"])
    with transaction(sf) as s:
        registry.create_project(s, CODE, "p")
    with transaction(sf) as s:
        r = ingest(s, store, CODE, [book], message="pdf", author="a")
        assert r.added == ["S-101", "S-103", "结构施工图-p2"]
        assert any("page 2" in w for w in r.warnings)
        m = r.version.manifest
        assert {m[k]["page"] for k in m} == {1, 2, 3}
        assert len({m[k]["blob"] for k in m}) == 1
        assert m["S-101"]["format"] == "pdf" and m["S-101"]["version"].startswith("PDF-")
        assert registry.get_sheet(s, m["S-103"]["blob"], 3).number == "S-103"
    with transaction(sf) as s:
        again = ingest(s, store, CODE, [book], message="pdf", author="a")
        assert not again.changed


def test_cjk_label_and_single_page(sf, store, tmp_path: Path) -> None:
    import pymupdf

    doc = pymupdf.open()
    for number in ("A-201", "A-202"):
        page = doc.new_page(width=842, height=595)
        page.draw_line((10, 10), (300, 200))
        page.insert_text((600, 560), f"图号: {number}", fontname="china-s", fontsize=9)
    pdf = tmp_path / "in" / "scan.pdf"
    pdf.parent.mkdir()
    doc.save(pdf)
    doc.close()
    single = make_pdf(tmp_path / "in" / "A-301 总图.pdf", [None])
    with transaction(sf) as s:
        registry.create_project(s, CODE, "p")
    with transaction(sf) as s:
        r = ingest(s, store, CODE, [pdf, single], message="pdf", author="a")
    assert r.added == ["A-201", "A-202", "A-301"]
    assert r.version.manifest["A-301"]["page"] is None
    assert r.version.manifest["A-301"]["title"] == "总图"
