"""The inspector's portal: search, the set in force on a date, the package to take away."""

from __future__ import annotations

import io
import re
import zipfile
from typing import Any

import pytest

from tests.web.api_client import token
from tests.web.conftest import csrf_token
from tests.web.helpers import wait_job
from yitaotu.context import App

P = "2023-110105-04-01-123450"


def unit_code(home: Any) -> str:
    from drawings import registry

    app = App(home.settings)
    try:
        with app.session(write=False) as s:
            return registry.list_units(s, P)[0].code
    finally:
        app.close()


def body(c: Any, url: str) -> bytes:
    """A streamed download's bytes (the response closed: its file too)."""
    with c.get(url) as resp:
        assert resp.status_code == 200
        return resp.data


@pytest.mark.parametrize("query", [P, P[:9], "示例住宅", "示例路", "东城区", "1#住宅楼", "UNIT"])
def test_search_finds_the_project(as_role: Any, home: Any, query: str) -> None:
    q = unit_code(home) if query == "UNIT" else query
    html = as_role("inspector").get("/inspect", query_string={"q": q}).get_data(as_text=True)
    assert f'href="/inspect/{P}"' in html, q
    if query in ("UNIT", "1#住宅楼"):
        assert unit_code(home) in html  # the unit that matched is named


@pytest.mark.parametrize("query", ["%", "_", "不存在的项目", "2099-"])
def test_search_finds_nothing_for_no_match(as_role: Any, query: str) -> None:
    html = as_role("inspector").get("/inspect", query_string={"q": query}).get_data(
        as_text=True)
    assert f'href="/inspect/{P}"' not in html and 'id="results"' in html


def test_search_shows_only_what_the_user_may_see(as_role: Any, home: Any) -> None:
    for role, sees in (("outsider", False), ("design", True), ("admin", True)):
        html = as_role(role).get("/inspect", query_string={"q": "示例"}).get_data(as_text=True)
        assert (f'href="/inspect/{P}"' in html) is sees, role
    assert as_role("inspector").get("/inspect", query_string={"q": "x" * 201}).status_code \
        == 422


def test_in_force_on_a_date_and_its_package(as_role: Any, home: Any, tmp_path: Any) -> None:
    import workflow

    c = as_role("inspector")
    page = c.get(f"/inspect/{P}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'id="proof"' in html and 'id="package"' in html
    at = re.search(r'name="at" value="([^"]+)"', html.split('id="package"')[0].split(
        'action="/inspect/')[1]).group(1)
    resp = c.post(f"/inspect/{P}/package", data={"at": at,
                                                 "csrf_token": csrf_token(c, f"/inspect/{P}")})
    assert resp.status_code == 303
    job_id = resp.headers["Location"].rsplit("/", 1)[1]
    job = wait_job(c, f"/jobs/{job_id}.json")
    assert job["state"] == "finished", job
    done = c.get(resp.headers["Location"]).get_data(as_text=True)
    assert f"/inspect/packages/{job_id}.zip" in done
    pull = tmp_path / "pull.zip"
    pull.write_bytes(body(c, f"/inspect/packages/{job_id}.zip"))
    # the inspector's pull of the archive issue: a signed package its four checks accept
    report = workflow.verify_package(pull)
    assert report.ok, [i.to_dict() for i in report.failures()]
    names = zipfile.ZipFile(pull).namelist()
    assert sum("/data/sheets/" in n for n in names) >= 3, names
    assert any("/data/certificates/" in n for n in names), names
    # someone else cannot fetch it
    other = as_role("design")
    assert other.get(f"/inspect/packages/{job_id}.zip").status_code == 404
    assert other.get(f"/inspect/packages/{job_id}").status_code == 404


def test_before_any_set_was_in_force_nothing_is_packed(as_role: Any, home: Any) -> None:
    c = as_role("inspector")
    early = c.get(f"/inspect/{P}?at=2020-01-01")
    assert early.status_code == 404 and "尚无施工现行版" in early.get_data(as_text=True)
    resp = c.post(f"/inspect/{P}/package", data={"at": "2020-01-01", "csrf_token":
                                                  csrf_token(c, f"/inspect/{P}")})
    assert resp.status_code == 404
    assert c.get(f"/inspect/{P}?at=yesterday-ish").status_code == 422


def test_outsider_sees_no_project_in_the_portal(as_role: Any) -> None:
    c = as_role("outsider")
    assert c.get(f"/inspect/{P}").status_code == 404
    resp = c.post(f"/inspect/{P}/package", data={"csrf_token": csrf_token(c, "/inspect")})
    assert resp.status_code == 404


def test_api_search_and_package(client: Any, home: Any) -> None:
    auth = token(client, home.logins["inspector"])
    rows = client.get("/api/v1/search", query_string={"q": "示例"}, headers=auth)
    assert rows.status_code == 200 and [r["code"] for r in rows.json] == [P]
    assert client.get("/api/v1/search?q=", headers=auth).status_code == 422
    job = client.post(f"/api/v1/projects/{P}/packages", headers=auth)
    assert job.status_code == 202
    from tests.web.api_client import wait_job as api_wait

    state = api_wait(client, auth, job.json["job"])
    assert state["state"] == "finished", state
    with client.get(f"/api/v1/packages/{job.json['job']}.zip", headers=auth) as z:
        assert z.status_code == 200 and z.mimetype == "application/zip"
        names = zipfile.ZipFile(io.BytesIO(z.data)).namelist()
        assert any(n.endswith("/yitaotu-package.json") for n in names), names
    outsider = token(client, home.logins["outsider"])
    assert client.get(f"/api/v1/packages/{job.json['job']}.zip",
                      headers=outsider).status_code == 404
    assert client.get("/api/v1/search?q=示例", headers=outsider).json == []


def test_search_service_on_both_databases(any_home: Any) -> None:
    import workflow

    app = App(any_home.settings)
    try:
        with app.session(write=False) as s:
            def codes(user: str, q: str) -> list[str]:
                return [r["code"] for r in workflow.search_projects(s, user, q)]

            assert codes("insp", "示例") == [P] and codes("insp", P[5:11]) == [P]
            assert codes("insp", "1#住宅") == [P]
            assert codes("insp", "%") == codes("insp", "_") == codes("insp", "\\") == []
            assert codes("out", "示例") == []
    finally:
        app.close()
