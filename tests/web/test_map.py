"""The map page and its API (#14): what each caller may see, the GeoJSON (valid, in the OpenAPI
document, only visible projects, each feature with its project's workflow state), the base-map
setting and the CSP, both languages."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from openapi_spec_validator import validate
from shapely.geometry import shape

from tests.web.api_client import SpecChecker, token
from tests.web.conftest import ROLES, login, make_app
from web.geomap import tiles_from_env
from web.security import CSP
from yitaotu import demo
from yitaotu.context import App

P = demo.PROJECT
#: A project of the outsider's organisation, in a region no demo inspector covers (杭州).
OTHER = "2024-330106-47-03-512340"
OTHER_NAME = "西湖</script><script>alert(1)</script>项目"


def add_outsiders_project(home: Any) -> None:
    """The outsider's firm designs a project of its own, with a site and one unit."""
    import workflow
    from drawings import geo, registry

    app = App(home.settings)
    try:
        with app.session() as s:
            registry.create_project(s, OTHER, OTHER_NAME, location="杭州市西湖区")
            workflow.add_party(s, OTHER, "design", demo.OUTSIDER[1])
            geo.set_site(s, OTHER, "POLYGON((120.15 30.28,120.152 30.28,120.152 30.282,"
                                   "120.15 30.282,120.15 30.28))")
            registry.add_unit(s, OTHER, division="330106", year=2026, name="A座",
                              footprint="POLYGON((120.1505 30.2805,120.151 30.2805,"
                                        "120.151 30.281,120.1505 30.281,120.1505 30.2805))")
    finally:
        app.close()


@pytest.fixture
def two_projects(home: Any) -> Any:
    add_outsiders_project(home)
    app = make_app(home)
    yield app
    app.extensions["yitaotu.store"].close()


def api_map(app: Any, who: Any) -> dict[str, Any]:
    client = app.test_client()
    resp = client.get("/api/v1/map", headers=token(client, who))
    assert resp.status_code == 200, resp.json
    return resp.json


def embedded(html: str) -> dict[str, Any]:
    """The GeoJSON the page hands to map.js."""
    m = re.search(r'<script type="application/json" id="map-data">(.*?)</script>', html, re.S)
    assert m, "no map data on the page"
    return json.loads(m.group(1))


def projects_of(doc: dict[str, Any]) -> set[str]:
    return {f["properties"]["project"] for f in doc["features"]}


@pytest.mark.parametrize("role", ROLES)
def test_every_role_sees_the_demo_site_and_units(as_role: Any, role: str) -> None:
    resp = as_role(role).get("/map")
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    doc = embedded(html)
    kinds = sorted(f["properties"]["kind"] for f in doc["features"])
    assert kinds == ["site", "unit", "unit"]
    assert {f["properties"]["state"] for f in doc["features"]} == {"construction"}
    for text in ("1#住宅楼", "2#住宅楼", "施工阶段", "设计阶段", "归档", f"/projects/{P}"):
        assert text in html, (role, text)
    assert resp.headers["Content-Security-Policy"] == CSP  # no base map: nothing added


def test_outsider_sees_only_their_own_project(two_projects: Any, logins: Any) -> None:
    seen = {who: projects_of(api_map(two_projects, logins[who]))
            for who in ("outsider", "design", "inspector", "admin")}
    assert seen == {"outsider": {OTHER}, "design": {P}, "inspector": {P},
                    "admin": {P, OTHER}}
    html = login(two_projects.test_client(), logins["outsider"]).get("/map")
    page = html.get_data(as_text=True)
    assert projects_of(embedded(page)) == {OTHER}
    assert P not in page and demo.PROJECT_NAME not in page and "住宅楼" not in page


def test_a_name_cannot_break_out_of_the_embedded_data(two_projects: Any, logins: Any) -> None:
    page = login(two_projects.test_client(), logins["outsider"]).get("/map")
    html = page.get_data(as_text=True)
    assert "<script>alert(1)" not in html
    names = {f["properties"]["project_name"] for f in embedded(html)["features"]}
    assert names == {OTHER_NAME}


def test_anonymous_is_sent_to_login_and_refused_by_the_api(client: Any) -> None:
    resp = client.get("/map")
    assert resp.status_code == 302 and resp.headers["Location"].startswith("/login")
    assert client.get("/api/v1/map").status_code == 401


def test_geojson_is_valid_documented_and_states_match(two_projects: Any, logins: Any) -> None:
    client = two_projects.test_client()
    doc = client.get("/api/v1/openapi.json").json
    validate(doc)
    assert "/api/v1/map" in doc["paths"]
    headers = token(client, logins["admin"])
    resp = SpecChecker(doc).check("GET", "/api/v1/map", client.get("/api/v1/map",
                                                                    headers=headers))
    geo = resp.json
    assert geo["type"] == "FeatureCollection" and len(geo["features"]) == 5
    states = {r["code"]: r["state"] for r in client.get("/api/v1/projects",
                                                        headers=headers).json}
    assert states == {P: "construction", OTHER: "design"}
    for f in geo["features"]:
        g = shape(f["geometry"])
        assert f["type"] == "Feature" and g.geom_type == "Polygon" and g.is_valid
        assert 73 < g.centroid.x < 136 and 3 < g.centroid.y < 54  # lon, lat in China
        assert f["properties"]["state"] == states[f["properties"]["project"]]
    units = [f for f in geo["features"] if f["properties"]["kind"] == "unit"]
    sites = {f["properties"]["project"]: shape(f["geometry"]) for f in geo["features"]
             if f["properties"]["kind"] == "site"}
    for u in units:
        assert sites[u["properties"]["project"]].contains(shape(u["geometry"]))
        assert re.fullmatch(r"\d{18}", u["properties"]["code"])


def test_english_switch(as_role: Any) -> None:
    html = as_role("owner").get("/map?lang=en").get_data(as_text=True)
    for text in ("Map", "Legend", "Construction", "Archived", "Site (dashed)"):
        assert text in html
    assert "施工阶段" not in html


@pytest.mark.parametrize("url, origin", [
    ("https://tile.example.org/{z}/{x}/{y}.png", "https://tile.example.org"),
    ("https://{s}.tile.example.org/{z}/{x}/{y}.png?k=1", "https://*.tile.example.org"),
    ("http://127.0.0.1:8080/t/{z}/{y}/{x}", "http://127.0.0.1:8080"),
])
def test_a_tile_url_is_used_and_its_origin_allowed_for_images(
        as_role: Any, monkeypatch: pytest.MonkeyPatch, url: str, origin: str) -> None:
    monkeypatch.setenv("YITAOTU_MAP_TILES", url)
    monkeypatch.setenv("YITAOTU_MAP_ATTRIBUTION", "© <b>Example</b>")
    resp = as_role("inspector").get("/map")
    csp = resp.headers["Content-Security-Policy"]
    assert f"img-src 'self' {origin} data:" in csp
    assert csp.replace(f" {origin}", "", 1) == CSP  # nothing else is widened
    html = resp.get_data(as_text=True)
    assert 'data-attribution="© &lt;b&gt;Example&lt;/b&gt;"' in html
    assert "map-plain" not in html


@pytest.mark.parametrize("url", [
    "ftp://tile.example.org/{z}/{x}/{y}.png",
    "https://user:secret@tile.example.org/{z}/{x}/{y}.png",
    "https://tile.example.org/tiles.png",
    "https://tile.{z}.example.org/{z}/{x}/{y}.png",
    "https://a.example.org;script-src *.evil/{z}/{x}/{y}",
    "tile.example.org/{z}/{x}/{y}.png",
])
def test_a_bad_tile_url_is_named_and_the_map_stays_plain(
        as_role: Any, monkeypatch: pytest.MonkeyPatch, url: str) -> None:
    monkeypatch.setenv("YITAOTU_MAP_TILES", url)
    resp = as_role("inspector").get("/map")
    assert resp.status_code == 200
    assert resp.headers["Content-Security-Policy"] == CSP
    html = resp.get_data(as_text=True)
    assert "YITAOTU_MAP_TILES" in html and "map-plain" in html and 'data-tiles=""' in html
    assert "secret" not in html


def test_no_setting_means_no_base_map(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("YITAOTU_MAP_TILES", raising=False)
    t = tiles_from_env()
    assert t.url is None and t.origin is None and t.problem is None


def test_an_unreadable_footprint_is_named_and_the_rest_still_drawn(two_projects: Any,
                                                                   home: Any,
                                                                   logins: Any) -> None:
    from drawings.models import Project

    app = App(home.settings)
    try:
        with app.session() as s:  # a row written behind the services' back
            s.get(Project, OTHER).site_footprint_wkt = "POLYGON((120.15 30.28, 120.1"
    finally:
        app.close()
    doc = api_map(two_projects, logins["admin"])
    assert projects_of(doc) == {P}
    assert [u["project"] for u in doc["unreadable"]] == [OTHER]
    assert OTHER in doc["unreadable"][0]["message"]
    page = login(two_projects.test_client(), logins["admin"]).get("/map")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert f"未绘制：{OTHER}" in html and len(embedded(html)["features"]) == 3


def test_a_user_who_sees_no_project_gets_an_empty_map(as_role: Any) -> None:
    resp = as_role("outsider").get("/map?lang=en")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and embedded(html)["features"] == []
    assert "No project you may see yet." in html and P not in html
