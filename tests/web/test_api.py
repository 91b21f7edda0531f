"""The JSON API: tokens, the error shape, projects, events, uploads as jobs, the OpenAPI
document (valid, and every response here matches it)."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any

import pytest
from openapi_spec_validator import validate

from tests.web.api_client import SpecChecker, token, wait_job
from tests.web.conftest import make_app

P = "2023-110105-04-01-123450"


@pytest.fixture
def spec(client: Any) -> SpecChecker:
    doc = client.get("/api/v1/openapi.json").json
    validate(doc)
    return SpecChecker(doc)


@pytest.fixture
def call(client: Any, spec: SpecChecker) -> Any:
    """``call(method, path, headers=…, **kw)``: the response, checked against the document."""
    def go(method: str, path: str, **kw: Any) -> Any:
        return spec.check(method, path, client.open(path, method=method, **kw))
    return go


def test_openapi_document_is_valid_and_has_the_fixed_points(spec: SpecChecker) -> None:
    for path in ("/api/v1/auth/token", "/api/v1/projects", "/api/v1/projects/{code}/uploads",
                 "/api/v1/jobs/{job_id}", "/api/v1/projects/{code}/events/{event}"):
        assert path in spec.spec["paths"], path


@pytest.mark.parametrize(("method", "path"), [
    ("GET", "/api/v1/projects"), ("GET", f"/api/v1/projects/{P}"),
    ("POST", f"/api/v1/projects/{P}/events/approve"), ("POST", f"/api/v1/projects/{P}/uploads"),
    ("GET", "/api/v1/jobs/0123456789abcdef01234567"),
])
def test_anonymous_gets_401(client: Any, method: str, path: str) -> None:
    for headers in ({}, {"Authorization": "Bearer nonsense"}, {"Authorization": "Basic eDp5"}):
        resp = client.open(path, method=method, headers=headers, json={})
        assert resp.status_code == 401
        assert resp.json["error"]["code"] == "unauthorized"
        assert resp.headers["WWW-Authenticate"].startswith("Bearer")


def test_token_refused_then_throttled(call: Any) -> None:
    codes = [call("POST", "/api/v1/auth/token", json={"user": "des", "password": "wrong-one"})
             .status_code for _ in range(6)]
    assert codes == [401] * 5 + [429]


def test_projects_list_only_what_the_caller_may_see(client: Any, call: Any,
                                                    logins: Any) -> None:
    for role, expected in (("owner", [P]), ("inspector", [P]), ("admin", [P]),
                           ("outsider", [])):
        resp = call("GET", "/api/v1/projects", headers=token(client, logins[role]))
        assert [p["code"] for p in resp.json] == expected, role


def test_outsider_cannot_tell_a_hidden_project_from_a_missing_one(client: Any, call: Any,
                                                                  logins: Any) -> None:
    h = token(client, logins["outsider"])
    hidden = call("GET", f"/api/v1/projects/{P}", headers=h)
    missing = call("GET", "/api/v1/projects/2023-110105-04-01-999999", headers=h)
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json["error"]["message"].replace("123450", "X") == \
        missing.json["error"]["message"].replace("999999", "X")
    event = call("POST", f"/api/v1/projects/{P}/events/confirm_change", headers=h,
                 json={"record": "C-1"})
    assert event.status_code == 404


def test_event_refused_409_with_reason_and_allowed(client: Any, call: Any, logins: Any) -> None:
    h = token(client, logins["design"])
    resp = call("POST", f"/api/v1/projects/{P}/events/sign_change", headers=h,
                json={"record": "C-1"})
    assert resp.status_code == 409
    err = resp.json["error"]
    assert err["code"] == "transition_not_allowed" and err["reason"]
    assert "withdraw_change" in err["allowed"]


def test_events_by_role_and_stale_lock(client: Any, call: Any, logins: Any) -> None:
    own, sup = token(client, logins["owner"]), token(client, logins["supervisor"])
    status = call("GET", f"/api/v1/projects/{P}", headers=own).json
    assert status["allowed"]["C-1"] == ["confirm_change", "reject_change"]
    lock = next(c["lock"] for c in status["changes"] if c["name"] == "C-1")
    forbidden = call("POST", f"/api/v1/projects/{P}/events/confirm_change",
                     headers=token(client, logins["contractor"]), json={"record": "C-1"})
    assert forbidden.status_code == 403 and forbidden.json["error"]["code"] == "forbidden"
    ok = call("POST", f"/api/v1/projects/{P}/events/confirm_change", headers=sup,
              json={"record": "C-1", "expect_lock": lock})
    assert ok.status_code == 200 and ok.json["event"] == "confirm_change"
    stale = call("POST", f"/api/v1/projects/{P}/events/confirm_change", headers=own,
                 json={"record": "C-1", "expect_lock": lock})
    assert stale.status_code == 409 and stale.json["error"]["code"] == "conflict"


@pytest.mark.parametrize("body", [
    {"expect_lock": "x"}, {"expect_lock": 2**40}, {"record": "C-1", "unknown": 1},
    {"text": "x" * 20001},
])
def test_invalid_event_body_is_422(client: Any, call: Any, logins: Any, body: Any) -> None:
    resp = call("POST", f"/api/v1/projects/{P}/events/confirm_change",
                headers=token(client, logins["owner"]), json=body)
    assert resp.status_code == 422 and resp.json["error"]["code"] == "invalid_input"


def test_unknown_event_is_422_not_500(client: Any, call: Any, logins: Any) -> None:
    resp = call("POST", f"/api/v1/projects/{P}/events/explode", headers=token(
        client, logins["owner"]), json={})
    assert resp.status_code == 422


def test_foreign_job_is_not_found(client: Any, call: Any, logins: Any) -> None:
    h = token(client, logins["owner"])
    assert call("GET", "/api/v1/jobs/0123456789abcdef01234567", headers=h).status_code == 404
    assert call("GET", "/api/v1/jobs/..%2F..%2Fetc", headers=h).status_code == 404


# -- uploads ----------------------------------------------------------------------------------


def sheet_bytes(tmp_path: Path, number: str, shift: float) -> bytes:
    from yitaotu.demo import sheet

    path = tmp_path / f"{number}.dxf"
    sheet(path, number, "新图", shift)
    return path.read_bytes()


def upload(client: Any, headers: Any, files: list[tuple[bytes, str]]) -> Any:
    data = {"message": "网页上传", "files": [(io.BytesIO(b), name) for b, name in files]}
    return client.post(f"/api/v1/projects/{P}/uploads", headers=headers, data=data,
                       content_type="multipart/form-data")


def stored(home: Any) -> set[str]:
    from storage.blobs import open_blob_store

    return set(open_blob_store(home.settings.blobs_url, create=False).iter_ids())


def test_upload_many_files_makes_a_version(client: Any, spec: SpecChecker, logins: Any,
                                           tmp_path: Path) -> None:
    h = token(client, logins["design"])
    resp = spec.check("POST", f"/api/v1/projects/{P}/uploads", upload(client, h, [
        (sheet_bytes(tmp_path, "A-104", 0), "A-104 新图.dxf"),
        (sheet_bytes(tmp_path, "A-105", 10), "A-105 新图.dxf")]))
    assert resp.status_code == 202
    job = wait_job(client, h, resp.json["job"])
    assert job["state"] == "finished", job
    assert job["result"]["added"] == ["A-104", "A-105"] and job["result"]["version"]
    assert job["progress"]["percent"] == 100 and "/" not in job["progress"]["step"]
    refs = client.get(f"/api/v1/projects/{P}", headers=h).json["refs"]
    assert refs["head"] == job["result"]["version"]


def _zip(entries: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
    return buf.getvalue()


def _bomb(tmp_path: Path) -> bytes:
    from tests.fuzz.hostile import zip_bomb

    return zip_bomb(tmp_path / "bomb.zip", members=1, member_size=64 << 20).read_bytes()


@pytest.mark.parametrize(("case", "needle"), [
    ("wrong_type", "notes.txt"), ("empty", "A-109.dxf"), ("dotdot", ".."),
    ("bomb", "A-101.dxf"), ("too_large", "A-108.dxf"),
])
def test_bad_upload_refused_with_nothing_stored(home: Any, tmp_path: Path, monkeypatch: Any,
                                                case: str, needle: str) -> None:
    monkeypatch.setenv("YITAOTU_MAX_UPLOAD", "20000")
    good = sheet_bytes(tmp_path, "A-107", 0)
    files = {
        "wrong_type": [(good, "A-107.dxf"), (b"just some notes\n", "notes.txt")],
        "empty": [(good, "A-107.dxf"), (b"", "A-109.dxf")],
        "dotdot": [(_zip({"../A-107.dxf": good}), "up.zip")],
        "bomb": [(_bomb(tmp_path), "bomb.zip")],
        "too_large": [(good + b"999\n" * 2000, "A-108.dxf")],
    }[case]
    app = make_app(home)
    client = app.test_client()
    h = token(client, home.logins["design"])
    before = stored(home), client.get(f"/api/v1/projects/{P}", headers=h).json["refs"]
    job = wait_job(client, h, upload(client, h, files).json["job"])
    assert job["state"] == "failed", job
    assert needle in job["error"]["message"], job["error"]
    assert (stored(home), client.get(f"/api/v1/projects/{P}", headers=h).json["refs"]) == before
    assert not any((home.settings.home / "web-uploads").iterdir())  # the files are gone too
    app.extensions["yitaotu.store"].close()


def test_only_the_design_firm_uploads(client: Any, logins: Any, tmp_path: Path) -> None:
    for role, status in (("owner", 403), ("inspector", 403), ("outsider", 404)):
        resp = upload(client, token(client, logins[role]), [(b"x", "A-1.dxf")])
        assert resp.status_code == status, role


def test_upload_without_files_is_422(client: Any, logins: Any) -> None:
    resp = client.post(f"/api/v1/projects/{P}/uploads", headers=token(client, logins["design"]),
                       data={"message": "m"}, content_type="multipart/form-data")
    assert resp.status_code == 422


def test_request_over_the_upload_total_is_413_unread(home: Any, monkeypatch: Any) -> None:
    monkeypatch.setenv("YITAOTU_MAX_UPLOAD_TOTAL", "1000")
    app = make_app(home)
    client = app.test_client()
    h = token(client, home.logins["design"])
    before = stored(home)
    resp = upload(client, h, [(b"0" * (2 << 20), "A-101.dxf")])
    assert resp.status_code == 413
    assert resp.json["error"]["code"] == "request_entity_too_large"
    assert stored(home) == before
    app.extensions["yitaotu.store"].close()


def test_events_on_postgresql_too(pg_home: Any) -> None:
    app = make_app(pg_home)
    client = app.test_client()
    own, sup = token(client, pg_home.logins["owner"]), token(client, pg_home.logins["supervisor"])
    for h in (own, sup):
        resp = client.post(f"/api/v1/projects/{P}/events/confirm_change", headers=h,
                           json={"record": "C-1"})
        assert resp.status_code == 200, resp.json
    status = client.get(f"/api/v1/projects/{P}", headers=own).json
    assert [c["state"] for c in status["changes"]] == ["confirmed"]
    app.extensions["yitaotu.store"].close()
