"""Sheet register and viewer: who sees them, the pyramid as a job, tiles with their cache
headers, the sheet coordinates the viewer shows, and the same through the API."""

from __future__ import annotations

import io
import re
import time
from typing import Any

import pytest

from tests.web.conftest import ROLES, csrf_token

P = "2023-110105-04-01-123450"
REGISTER = f"/projects/{P}/sheets"


def version_of(c: Any, rev: str = "head") -> str:
    html = c.get(f"{REGISTER}?version={rev}").get_data(as_text=True)
    m = re.search(r"/versions/([0-9a-f]{64})/sheets/", html)
    assert m, html[:2000]
    return m.group(1)


def sheet_url(vid: str, number: str = "A-101") -> str:
    return f"/projects/{P}/versions/{vid}/sheets/{number}"


def wait_job(app: Any, job: str, owner: str) -> dict[str, Any]:
    """The job's final state (the in-process worker runs it; bounded wait, no timing check)."""
    jobs = app.extensions["yitaotu.jobs"]
    for _ in range(600):
        state = jobs.get(job, owner=owner)
        if state["state"] in ("finished", "failed"):
            return state
        time.sleep(0.1)
    raise AssertionError(f"job {job} did not end: {state}")


def prepared(app: Any, c: Any, vid: str, user: str, number: str = "A-101") -> dict[str, Any]:
    url = f"{sheet_url(vid, number)}/pyramid"
    resp = c.post(url, headers={"X-CSRFToken": csrf_token(c, sheet_url(vid, number))})
    assert resp.status_code == 202, resp.get_data(as_text=True)
    state = wait_job(app, resp.json["job"], user)
    assert state["state"] == "finished", state
    return c.get(url).json


@pytest.mark.parametrize("role", ROLES)
def test_every_role_of_the_project_sees_register_and_viewer(as_role: Any, role: str) -> None:
    c = as_role(role)
    html = c.get(REGISTER).get_data(as_text=True)
    assert "A-101" in html and "一层平面图" in html
    vid = version_of(c)
    assert c.get(sheet_url(vid)).status_code == 200


def test_outsider_and_anonymous_see_nothing(as_role: Any, client: Any) -> None:
    vid = version_of(as_role("design"))
    out = as_role("outsider")
    missing = out.get(f"/projects/2023-110105-04-01-999990/versions/{vid}/sheets/A-101")
    assert missing.status_code == 404  # the same answer as for a project that exists
    for url in (REGISTER, sheet_url(vid), f"{sheet_url(vid)}/pyramid",
                f"{sheet_url(vid)}/tiles/0/0/0.png"):
        r = out.get(url)
        assert r.status_code == 404, url
        assert "项目不存在" in r.get_data(as_text=True)
        anon = client.get(url)
        assert anon.status_code == 302 and "/login" in anon.headers["Location"], url


def test_unknown_sheet_version_layout_and_tile_are_not_found(as_role: Any) -> None:
    c = as_role("review")
    vid = version_of(c)
    assert c.get(sheet_url(vid, "X-999")).status_code == 404
    assert c.get(sheet_url("f" * 64)).status_code == 404
    assert c.get(f"{sheet_url(vid)}?layout=NoSuchLayout").status_code == 404
    # a tile URL must name a full version id (its bytes never change under it)
    assert c.get(f"/projects/{P}/versions/head/sheets/A-101/tiles/0/0/0.png").status_code == 404


def test_tiles_wait_for_the_pyramid_job_which_needs_csrf(app: Any, as_role: Any,
                                                         home: Any) -> None:
    c = as_role("owner")
    vid = version_of(c)
    html = c.get(sheet_url(vid)).get_data(as_text=True)
    assert 'data-ready="false"' in html and "data-pending" in html
    tile = f"{sheet_url(vid)}/tiles/0/0/0.png"
    assert c.get(tile).status_code == 404  # never rendered inside the request
    cache = home.settings.home / "cache" / "tiles"
    assert not list(cache.rglob("*.png"))
    assert c.post(f"{sheet_url(vid)}/pyramid").status_code == 400  # no CSRF token
    assert not cache.exists() or not list(cache.rglob("*.pdf"))

    pyr = prepared(app, c, vid, home.logins["owner"].user)
    assert pyr["ready"] and pyr["max_zoom"] == 8 and max(pyr["pixels"]) == 256 * 2**8
    html = c.get(sheet_url(vid)).get_data(as_text=True)
    assert 'data-ready="true"' in html and "data-matrix=" in html and "openseadragon" in html

    resp = c.get(tile)
    assert resp.status_code == 200 and resp.mimetype == "image/png"
    assert resp.data.startswith(b"\x89PNG")
    assert "immutable" in resp.headers["Cache-Control"] and resp.headers["ETag"]
    again = c.get(tile, headers={"If-None-Match": resp.headers["ETag"]})
    assert again.status_code == 304 and not again.data
    deep = c.get(f"{sheet_url(vid)}/tiles/8/100/50.png")  # cut from the page on demand
    assert deep.status_code == 200 and deep.data.startswith(b"\x89PNG")
    assert c.get(f"{sheet_url(vid)}/tiles/9/0/0.png").status_code == 404
    assert c.get(f"{sheet_url(vid)}/tiles/2/99/0.png").status_code == 404
    # a second POST finds it ready: no job
    again = c.post(f"{sheet_url(vid)}/pyramid",
                   headers={"X-CSRFToken": csrf_token(c, sheet_url(vid))})
    assert again.status_code == 200 and again.json["job"] is None


def _pixel(png: bytes, x: int, y: int) -> tuple[int, ...]:
    import pymupdf

    pix = pymupdf.Pixmap(io.BytesIO(png).getvalue())
    return tuple(pix.pixel(x, y))


def _tile_at(c: Any, vid: str, pyr: dict[str, Any], sx: float, sy: float,
             z: int = 6) -> tuple[int, ...]:
    """The colour under sheet point (sx, sy), found as the viewer finds it: sheet -> page pt
    (the matrix, PDF y up) -> image pixels at level z -> tile and pixel in it."""
    a, b, cc, d, e, f = pyr["matrix"]
    X, Y = a * sx + cc * sy + e, b * sx + d * sy + f
    scale = 256 * 2**z / max(pyr["width"], pyr["height"])
    px, py = X * scale, (pyr["height"] - Y) * scale
    tx, ty = int(px // 256), int(py // 256)
    resp = c.get(f"{sheet_url(vid)}/tiles/{z}/{tx}/{ty}.png")
    assert resp.status_code == 200
    return _pixel(resp.data, int(px) % 256, int(py) % 256)


def test_sheet_coordinates_map_onto_the_tiles(app: Any, as_role: Any, home: Any) -> None:
    """The demo's A-101 has walls at x = 0, 1000, … 5000 (r2: shifted by 80), from y = 0 to
    8000, and a column circle of radius 300 at (2500, 4000)."""
    c = as_role("design")
    vid = version_of(c)
    pyr = prepared(app, c, vid, home.logins["design"].user)
    ink = [_tile_at(c, vid, pyr, x, y) for x, y in ((1080, 6000), (2800, 4000), (3080, 500))]
    paper = [_tile_at(c, vid, pyr, x, y) for x, y in ((1580, 6000), (2500, 4000),
                                                        (3580, 500))]
    assert all(sum(p) < 3 * 200 for p in ink), ink
    assert all(p == (255, 255, 255) for p in paper), paper


def bearer(client: Any, who: Any) -> dict[str, str]:
    r = client.post("/api/v1/auth/token", json={"user": who.user, "password": who.password})
    assert r.status_code == 200, r.json
    return {"Authorization": f"Bearer {r.json['token']}"}


def test_api_register_sheet_pyramid_and_tiles(app: Any, client: Any, logins: Any) -> None:
    h = bearer(client, logins["supervisor"])
    reg = client.get(f"/api/v1/projects/{P}/versions/head/sheets", headers=h)
    assert reg.status_code == 200
    assert {x["number"] for x in reg.json["sheets"]} >= {"A-101", "A-102", "S-201"}
    vid = reg.json["version"]
    base = f"/api/v1/projects/{P}/versions/{vid}/sheets/A-101"
    info = client.get(base, headers=h)
    assert info.status_code == 200 and info.json["pyramid"] == {"ready": False}
    assert info.json["layouts"]
    assert client.get(f"{base}/tiles/0/0/0.png", headers=h).status_code == 404
    started = client.post(f"{base}/pyramid", headers=h)
    assert started.status_code == 202
    job = started.json["job"]
    wait_job(app, job, logins["supervisor"].user)
    state = client.get(f"/api/v1/jobs/{job}", headers=h).json
    assert state["state"] == "finished", state
    assert client.get(base, headers=h).json["pyramid"]["ready"] is True
    t = client.get(f"{base}/tiles/1/0/0.png", headers=h)
    assert t.status_code == 200 and t.data.startswith(b"\x89PNG")
    assert "immutable" in t.headers["Cache-Control"]
    by_ref = client.get(f"/api/v1/projects/{P}/versions/head/sheets/A-101/tiles/1/0/0.png",
                        headers=h)
    assert by_ref.status_code == 200 and "no-cache" in by_ref.headers["Cache-Control"]
    # anonymous 401, outsider 404 (as for a project that does not exist)
    assert client.get(base).status_code == 401
    out = bearer(client, logins["outsider"])
    for url in (f"/api/v1/projects/{P}/versions/head/sheets", base, f"{base}/tiles/1/0/0.png"):
        r = client.get(url, headers=out)
        assert r.status_code == 404 and r.json["error"]["code"] == "not_found", url
    assert client.post(f"{base}/pyramid", headers=out).status_code == 404
