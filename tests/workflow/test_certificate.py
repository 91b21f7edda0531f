"""The 审查合格书 PDF: CJK text, one pyHanko signature per signer, verified with pyHanko."""

from __future__ import annotations

from datetime import UTC, datetime

import pymupdf
import pytest

from storage.errors import IntegrityError
from workflow import certificate
from workflow.signing import KeyRing


@pytest.fixture(scope="module")
def signed(tmp_path_factory: pytest.TempPathFactory) -> tuple[bytes, list[bytes]]:
    keys = KeyRing(tmp_path_factory.mktemp("keys"), passphrase="")
    agency = certificate.identity(keys, "org:乙审查中心", "乙审查中心", "乙审查中心")
    li = certificate.identity(keys, "user:li", "李工", "乙审查中心")
    assert certificate.identity(keys, "user:li", "李工", "乙审查中心").cert_pem == li.cert_pem
    pdf = certificate.render(project_code="2023-110105-04-01-123450", project_name="测试住宅楼",
                             version_id="ab" * 32, agency="乙审查中心",
                             reviewers=[("李工", "建筑")],
                             sheets=[(f"A-{i:03d}", "平面图") for i in range(60)],
                             issued=datetime(2026, 3, 2, tzinfo=UTC))
    return certificate.sign(pdf, [(li, "Reviewer-1"), (agency, "Agency")]), [li.cert_pem,
                                                                             agency.cert_pem]


def test_text_and_signatures(signed: tuple[bytes, list[bytes]]) -> None:
    pdf, trust = signed
    doc = pymupdf.open(stream=pdf)
    text = "".join(page.get_text() for page in doc)
    assert doc.page_count >= 2  # 60 sheets do not fit one page
    for needle in ("施工图设计文件审查合格书", "2023-110105-04-01-123450", "ab" * 32, "A-059",
                   "李工"):
        assert needle in text
    results = certificate.verify(pdf, trust)
    assert [r["field"] for r in results] == ["Reviewer-1", "Agency"]
    assert all(r["intact"] and r["valid"] and r["trusted"] for r in results)
    assert "李工" in results[0]["signer"]


def test_untrusted_and_altered(signed: tuple[bytes, list[bytes]]) -> None:
    pdf, trust = signed
    assert not any(r["trusted"] for r in certificate.verify(pdf, []))
    at = pdf.index(b"stream", 0) + 40  # one byte of the first content stream (signed by both)
    altered = pdf[:at] + bytes([pdf[at] ^ 1]) + pdf[at + 1:]
    results = certificate.verify(altered, trust)
    assert not all(r["intact"] for r in results)
    with pytest.raises(IntegrityError):
        certificate.verify(b"%PDF-1.7 not really", trust)


def test_failures_are_named_not_printed(signed: tuple[bytes, list[bytes]], capfd) -> None:
    """pyHanko logs a failed validation with its traceback; none of it reaches the terminal,
    the reason is in the result, and a broken certificate on record names the PDF."""
    pdf, trust = signed
    untrusted = certificate.verify(pdf, [])
    assert all(not r["bottom_line"] and "self-signed" in r["error"] for r in untrusted)
    garbled = trust[0].replace(b"MII", b"MIJ", 1)
    with pytest.raises(IntegrityError, match="审查合格书 9f86: .*certificate 1 on record"):
        certificate.verify(pdf, [garbled], name="审查合格书 9f86")
    with pytest.raises(IntegrityError, match="^PDF: 无法读取 unreadable: [^\n]*$"):
        certificate.verify(pdf[: len(pdf) // 2], trust, name="PDF")
    out, err = capfd.readouterr()
    assert out == "" and err == ""


def test_only_the_glyphs_used_are_embedded(signed: tuple[bytes, list[bytes]]) -> None:
    """The CJK font is subset (the whole font made every certificate 1.7 MB); the text stays
    searchable and the signatures valid (test_text_and_signatures)."""
    pdf, _ = signed
    fonts = {f[3] for page in pymupdf.open(stream=pdf) for f in page.get_fonts()}
    assert fonts and all("+" in name for name in fonts)  # subset names: ABCDEF+Font
    assert len(pdf) < 150_000
