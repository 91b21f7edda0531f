"""The 审查合格书's QR code and short URL, and the public page they open."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pymupdf
import pytest

import workflow
from workflow import certificate
from yitaotu.context import App

P = "2023-110105-04-01-123450"


def issued(home: Any) -> dict[str, Any]:
    app = App(home.settings)
    try:
        with app.session(write=False) as s:
            cert = workflow.status(s, P)["certificates"][0]
        cert["pdf"] = app.blobs.read_bytes(cert["blob"])
    finally:
        app.close()
    return cert


def printed_url(pdf: bytes) -> str:
    text = pymupdf.open(stream=pdf, filetype="pdf")[0].get_text()
    m = re.search(r"Verify online: (\S+)", text)
    assert m, text
    return m.group(1)


def test_the_certificate_carries_the_qr_code_of_its_url(home: Any) -> None:
    cert = issued(home)
    url = printed_url(cert["pdf"])
    assert url.startswith(certificate.DEFAULT_PUBLIC_URL + f"/c/{P}/")
    doc = pymupdf.open(stream=cert["pdf"], filetype="pdf")
    images = doc[0].get_images()
    assert len(images) == 1
    shown = pymupdf.Pixmap(doc, images[0][0])
    made = pymupdf.Pixmap(certificate.qr_png(url))
    assert (shown.width, shown.height) == (made.width, made.height)
    assert shown.samples == made.samples  # the QR code of exactly this URL


def test_public_page_says_genuine_with_nothing_else(home: Any, client: Any) -> None:
    cert = issued(home)
    path = printed_url(cert["pdf"]).removeprefix(certificate.DEFAULT_PUBLIC_URL)
    resp = client.get(path)  # anonymous
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    assert 'data-genuine="1"' in html and "真实" in html
    assert P in html and cert["version"] in html and cert["blob"] in html
    assert "rev_a" in html or "丙审查中心" in html  # who signed
    for private in ("示例住宅小区", "A-101", "甲建筑设计院", "1#住宅楼"):
        assert private not in html, private  # nothing else without a login
    api = client.get(f"/api/v1/certificates/{path.removeprefix('/c/')}")
    assert api.status_code == 200 and api.json["genuine"] is True
    assert api.json["sha256"] == cert["blob"] and len(api.json["signatures"]) >= 2


def test_lookup_by_the_pdf_hash(home: Any, client: Any) -> None:
    cert = issued(home)
    resp = client.get(f"/c?sha256={cert['blob']}")
    assert resp.status_code == 302 and resp.headers["Location"].startswith(f"/c/{P}/")
    api = client.get(f"/api/v1/certificates?sha256={cert['blob']}")
    assert api.status_code == 200 and api.json["genuine"] is True
    assert client.get(f"/c?sha256={'0' * 64}").status_code == 404
    assert client.get("/api/v1/certificates?sha256=" + "1" * 64).status_code == 404
    assert client.get("/c").status_code == 200  # the form


@pytest.mark.parametrize("path", [f"/c/{P}/AAAAAAAAAAAAAAAA", "/c/2023-110105-04-01-999999/"
                                  "AAAAAAAAAAAAAAAA", f"/c/{P}/x", "/c/%00/%E4%B8%AD"])
def test_unknown_codes_look_alike(client: Any, path: str) -> None:
    resp = client.get(path)
    assert resp.status_code == 404
    assert "查无此合格书" in resp.get_data(as_text=True)


def test_a_tampered_certificate_is_not_genuine(home: Any, client: Any) -> None:
    cert = issued(home)
    path = printed_url(cert["pdf"]).removeprefix(certificate.DEFAULT_PUBLIC_URL)
    blob = Path(home.settings.home) / "objects" / cert["blob"][:2] / cert["blob"][2:]
    os.chmod(blob, 0o644)
    data = bytearray(blob.read_bytes())
    data[len(data) // 2] ^= 0x01
    blob.write_bytes(bytes(data))
    resp = client.get(path)
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    assert 'data-genuine="0"' in html and "不真实" in html


def test_public_url_is_a_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("YITAOTU_PUBLIC_URL", "https://yitaotu.example.cn/")
    assert certificate.public_url() == "https://yitaotu.example.cn"
    for bad in ("ftp://x", "https://user:pw@host", "no-scheme", "https://h/?q=1"):
        monkeypatch.setenv("YITAOTU_PUBLIC_URL", bad)
        with pytest.raises(workflow_invalid()):
            certificate.public_url()


def workflow_invalid() -> type[Exception]:
    from storage.errors import InvalidInput

    return InvalidInput


def test_the_code_is_reproducible_from_the_record() -> None:
    from datetime import UTC, datetime, timedelta, timezone

    t = datetime(2026, 5, 1, 4, 0, 0, 123456, tzinfo=UTC)
    a = certificate.verify_code(P, "ab" * 32, "主体", t)
    assert a == certificate.verify_code(P, "ab" * 32, "主体",
                                        t.astimezone(timezone(timedelta(hours=8))))
    assert re.fullmatch(r"[A-Z2-7]{16}", a)
    assert a != certificate.verify_code(P, "ab" * 32, "桩基", t)
    assert a != certificate.verify_code(P, "ab" * 32, "主体", t + timedelta(microseconds=1))
