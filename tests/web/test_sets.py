"""Set log, sheet register with thumbnails, the set in force on a date: pages and API."""

from __future__ import annotations

import re
from typing import Any

import pymupdf

from tests.web.api_client import token
from tests.web.helpers import wait_job
from yitaotu.context import App

P = "2023-110105-04-01-123450"


def refs(home: Any) -> dict[str, str]:
    from drawings import registry

    app = App(home.settings)
    try:
        with app.session(write=False) as s:
            return registry.refs(s, P)
    finally:
        app.close()


def test_log_shows_versions_refs_and_reflog(as_role: Any, home: Any) -> None:
    html = as_role("owner").get(f"/projects/{P}/log").get_data(as_text=True)
    r = refs(home)
    assert r["head"][:12] in html and r["current"][:12] in html
    assert '<span class="ref">current</span>' in html
    assert "首次报审" in html  # a version's message
    reflog = html.split('id="reflog"')[1]
    assert reflog.count("<tr>") >= 5 and "des" in reflog
    older = as_role("owner").get(f"/projects/{P}/log?ref=head~1").get_data(as_text=True)
    assert versions(older) < versions(html)
    assert "current" in html.split('id="versions"')[1].split('id="reflog"')[0]


def versions(html: str) -> int:
    return html.split('id="versions"')[1].split('id="reflog"')[0].count("<tr>")


def test_register_lists_the_sheets_and_renders_thumbnails_in_a_job(as_role: Any) -> None:
    c = as_role("review")
    thumb = f"/projects/{P}/versions/head/thumbs/A-101.png"
    first = c.get(thumb)  # never drawn, no job yet: the request only reads the cache
    assert first.headers.get("X-Thumbnail") == "pending" and first.mimetype == "image/svg+xml"
    resp = c.get(f"/projects/{P}/versions/head")
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    for text in ("A-101", "一层平面图", "A-102", "S-201", "基础平面图"):
        assert text in html, text
    job = re.search(r'data-job="([^"]+)"', html)
    assert job, "no thumbnail job for sheets never drawn"
    assert re.search(r'src="/projects/[^"]+/thumbs/A-101\.png"', html)
    done = wait_job(c, job.group(1))
    assert done["state"] == "finished" and done["result"]["failed"] == []
    png = c.get(thumb)
    assert png.status_code == 200 and png.mimetype == "image/png"
    pix = pymupdf.Pixmap(png.data)
    assert max(pix.width, pix.height) == 256
    dark = sum(1 for i in range(0, len(pix.samples), pix.n) if pix.samples[i] < 128)
    assert dark > 100  # the walls are drawn, not a blank picture
    again = c.get(f"/projects/{P}/versions/head").get_data(as_text=True)
    assert "data-job" not in again  # all cached now


def test_register_of_any_version(as_role: Any, home: Any) -> None:
    c = as_role("design")
    head = refs(home)["head"]
    parent = c.get(f"/projects/{P}/versions/head~1")
    assert parent.status_code == 200 and head[:12] not in parent.get_data(as_text=True)
    assert c.get(f"/projects/{P}/versions/{head[:8]}").status_code == 200
    assert c.get(f"/projects/{P}/versions/{'f' * 64}").status_code == 404
    assert c.get(f"/projects/{P}/versions/nonsense").status_code == 404
    assert c.get(f"/projects/{P}/versions/head/thumbs/Z-999.png").status_code == 404


def test_in_force_with_its_proof(as_role: Any, home: Any) -> None:
    c = as_role("inspector")
    html = c.get(f"/projects/{P}/in-force").get_data(as_text=True)
    assert refs(home)["current"][:12] in html
    assert 'id="proof"' in html and "S-1" in html
    early = c.get(f"/projects/{P}/in-force?at=2020-01-01")
    assert early.status_code == 404 and "尚无施工现行版" in early.get_data(as_text=True)
    assert c.get(f"/projects/{P}/in-force?at=not-a-date").status_code == 422


def test_api_of_the_set_pages(client: Any, home: Any) -> None:
    auth = token(client, home.logins["inspector"])
    log = client.get(f"/api/v1/projects/{P}/log", headers=auth)
    assert log.status_code == 200
    ids = [v["id"] for v in log.json["versions"]]
    assert refs(home)["head"] in ids and refs(home)["current"] in ids
    head_only = client.get(f"/api/v1/projects/{P}/log?ref=head", headers=auth).json
    assert head_only["versions"][0]["id"] == refs(home)["head"]
    assert len(head_only["versions"]) < len(ids)
    reg = client.get(f"/api/v1/projects/{P}/versions/current", headers=auth)
    assert reg.status_code == 200
    assert {x["number"] for x in reg.json["sheets"]} >= {"A-101", "A-102", "S-201"}
    now = client.get(f"/api/v1/projects/{P}/in-force", headers=auth)
    assert now.status_code == 200 and now.json["version"]["id"] == refs(home)["current"]
    assert now.json["proof"]["hash"]
    assert client.get(f"/api/v1/projects/{P}/in-force?at=bad",
                      headers=auth).status_code == 422
    outsider = token(client, home.logins["outsider"])
    for path in ("log", "versions/head", "in-force"):
        assert client.get(f"/api/v1/projects/{P}/{path}", headers=outsider).status_code == 404
        assert client.get(f"/api/v1/projects/{P}/{path}").status_code == 401


def test_api_answers_match_the_openapi_document(client: Any, home: Any) -> None:
    from tests.web.api_client import SpecChecker
    from tests.web.test_certificate_check import issued

    spec = SpecChecker(client.get("/api/v1/openapi.json").json)
    auth = token(client, home.logins["inspector"])
    for path, query, status in (
            (f"/api/v1/projects/{P}/log", {}, 200),
            (f"/api/v1/projects/{P}/log", {"ref": "nonsense"}, 404),
            (f"/api/v1/projects/{P}/versions/head", {}, 200),
            (f"/api/v1/projects/{P}/versions/{'0' * 8}", {}, 404),
            (f"/api/v1/projects/{P}/in-force", {}, 200),
            (f"/api/v1/projects/{P}/in-force", {"at": "2020-01-01"}, 404),
            (f"/api/v1/projects/{P}/in-force", {"at": "x"}, 422),
            ("/api/v1/search", {"q": "示例"}, 200),
            ("/api/v1/search", {"q": "x" * 201}, 422),
            ("/api/v1/certificates", {"sha256": issued(home)["blob"]}, 200),
            ("/api/v1/certificates", {"sha256": "z"}, 422),
            (f"/api/v1/certificates/{P}/AAAAAAAAAAAAAAAA", {}, 404)):
        resp = client.get(path, query_string=query, headers=auth)
        assert resp.status_code == status, (path, query, resp.json)
        spec.check("GET", path, resp)
