"""The upload page: who may upload, the job and its result, bad uploads refused with the
file named and nothing stored."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any

import pytest

from tests.fuzz.hostile import zip_bomb
from tests.web.conftest import ROLES, csrf_token
from tests.web.helpers import stored, wait_job
from yitaotu.demo import sheet

P = "2023-110105-04-01-123450"
FORM = f"/projects/{P}/upload"


def dxf(tmp_path: Path, number: str, title: str, shift: float) -> bytes:
    path = tmp_path / f"{number}.dxf"
    sheet(path, number, title, shift)
    return path.read_bytes()


def post(c: Any, files: list[tuple[bytes, str]], message: str = "网页上传", **extra: Any) -> Any:
    data: dict[str, Any] = {"message": message, "csrf_token": csrf_token(c, FORM)}
    data.update(extra)
    data["files"] = [(io.BytesIO(body), name) for body, name in files]
    return c.post(FORM, data=data, content_type="multipart/form-data",
                  headers={"Accept": "application/json"})


@pytest.mark.parametrize("role", [*ROLES, "outsider", "anonymous"])
def test_who_may_open_the_upload_page(role: str, as_role: Any, client: Any) -> None:
    c = client if role == "anonymous" else as_role(role)
    status = c.get(FORM).status_code
    expected = {"design": 200, "outsider": 404, "anonymous": 302}.get(role, 403)
    assert status == expected


@pytest.mark.parametrize("role", ["review", "owner", "inspector", "admin", "outsider"])
def test_refused_roles_store_nothing(role: str, as_role: Any, home: Any, tmp_path: Path
                                     ) -> None:
    before = stored(home.settings)
    c = as_role(role)
    token = csrf_token(c, "/")
    resp = c.post(FORM, data={"csrf_token": token,
                              "files": [(io.BytesIO(dxf(tmp_path, "A-109", "新图", 0)),
                                         "A-109.dxf")]},
                  content_type="multipart/form-data")
    assert resp.status_code == (404 if role == "outsider" else 403)
    assert stored(home.settings) == before


def test_upload_without_csrf_token_is_refused(as_role: Any, home: Any, tmp_path: Path) -> None:
    before = stored(home.settings)
    resp = as_role("design").post(FORM, data={"files": [(io.BytesIO(dxf(tmp_path, "A-109", "x",
                                                                         0)), "A-109.dxf")]},
                                  content_type="multipart/form-data")
    assert resp.status_code == 400
    assert stored(home.settings) == before


def test_upload_makes_a_version_with_its_counts(as_role: Any, home: Any, tmp_path: Path
                                                ) -> None:
    c = as_role("design")
    versions, blobs, _ = stored(home.settings)
    files = [(dxf(tmp_path, "A-101", "一层平面图", 300), "A-101 一层平面图.dxf"),  # changed
             (dxf(tmp_path, "A-201", "新增图", 0), "A-201 新增图.dxf")]                # added
    resp = post(c, files, message="第三次上传")
    assert resp.status_code == 202, resp.get_data(as_text=True)
    body = resp.get_json()
    job = wait_job(c, body["poll"])
    assert job["state"] == "finished", job
    r = job["result"]
    assert (r["added"], r["modified"], r["removed"]) == (["A-201"], ["A-101"], [])
    assert r["unchanged"] and "A-102" in r["unchanged"]
    html = c.get(body["page"]).get_data(as_text=True)
    assert "+1" in html and "~1" in html and "-0" in html and f"={len(r['unchanged'])}" in html
    assert r["version"][:12] in html
    after = stored(home.settings)
    assert after[0] == versions + 1 and after[1] > blobs and after[2] == 0
    # the same files again: nothing changed, no version
    job = wait_job(c, post(c, files).get_json()["poll"])
    assert job["state"] == "finished" and job["result"]["changed"] is False
    assert stored(home.settings)[0] == versions + 1


def test_a_zip_of_a_folder_uploads(as_role: Any, home: Any, tmp_path: Path) -> None:
    c = as_role("design")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("图纸/A-301 三层平面图.dxf", dxf(tmp_path, "A-301", "三层平面图", 0))
        z.writestr("图纸/结构/S-301 三层结构图.dxf", dxf(tmp_path, "S-301", "三层结构图", 0))
    job = wait_job(c, post(c, [(buf.getvalue(), "upload.zip")]).get_json()["poll"])
    assert job["state"] == "finished", job
    assert sorted(job["result"]["added"]) == ["A-301", "S-301"]


def _zip(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, body in members.items():
            z.writestr(name, body)
    return buf.getvalue()


BAD = {
    "wrong type": lambda t: [(b"GIF89a" + b"\0" * 400, "A-120 图.dxf")],
    "empty": lambda t: [(b"", "A-121.dxf")],
    "zip with ..": lambda t: [(_zip({"../A-122.dxf": dxf(t, "A-122", "x", 0)}), "a.zip")],
    "zip bomb": lambda t: [(zip_bomb(t / "bomb.zip", members=1, member_size=64 << 20)
                            .read_bytes(), "bomb.zip")],
    "one bad among good": lambda t: [(dxf(t, "A-130", "好图", 0), "A-130.dxf"),
                                     (b"not a drawing at all\n" * 20, "A-131 坏图.dxf")],
    "two bad": lambda t: [(b"", "A-132.dxf"), (dxf(t, "A-133", "好图", 0), "A-133.dxf"),
                          (b"%PDF-1.7\n1 0 obj\n", "A-134.pdf")],
}
NAMED = {"wrong type": "A-120", "empty": "A-121", "zip with ..": "A-122",
         "zip bomb": "A-101.dxf", "one bad among good": "A-131", "two bad": "A-132"}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_uploads_are_refused_naming_the_file(case: str, as_role: Any, home: Any,
                                                 tmp_path: Path) -> None:
    c = as_role("design")
    files = BAD[case](tmp_path)
    before = stored(home.settings)
    body = post(c, files).get_json()
    job = wait_job(c, body["poll"])
    assert job["state"] == "failed", job
    message = job["error"]["message"]
    assert NAMED[case] in message
    assert "web-uploads" not in message  # the file as uploaded, not where the server put it
    if case == "two bad":  # each refused file on its line, the good one not
        assert len(message.splitlines()) == 2 and "A-134" in message and "A-133" not in message
    assert stored(home.settings) == before
    html = c.get(body["page"]).get_data(as_text=True)
    assert "未存储任何内容" in html and NAMED[case] in html


def test_too_large_file_is_refused(as_role: Any, home: Any, tmp_path: Path,
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("YITAOTU_MAX_UPLOAD", "2000")
    c = as_role("design")
    before = stored(home.settings)
    job = wait_job(c, post(c, [(dxf(tmp_path, "A-140", "大图", 0), "A-140 大图.dxf")])
                   .get_json()["poll"])
    assert job["state"] == "failed" and "A-140" in job["error"]["message"]
    assert stored(home.settings) == before


def test_request_over_the_size_limit_is_413(home: Any, logins: Any, tmp_path: Path) -> None:
    from tests.web.conftest import login, make_app

    app = make_app(home, MAX_CONTENT_LENGTH=10_000)
    c = login(app.test_client(), logins["design"])
    before = stored(home.settings)
    resp = post(c, [(b"0" * 20_000, "A-150.dxf")])
    assert resp.status_code == 413
    assert stored(home.settings) == before
    app.extensions["yitaotu.store"].close()


def test_no_file_is_refused(as_role: Any, home: Any) -> None:
    c = as_role("design")
    resp = c.post(FORM, data={"csrf_token": csrf_token(c, FORM)},
                  content_type="multipart/form-data")
    assert resp.status_code == 422
    assert "须上传文件" in resp.get_data(as_text=True)


def test_someone_elses_job_is_not_found(as_role: Any, tmp_path: Path) -> None:
    c = as_role("design")
    body = post(c, [(dxf(tmp_path, "A-160", "x", 0), "A-160.dxf")]).get_json()
    wait_job(c, body["poll"])
    other = as_role("rev_s")
    assert other.get(body["poll"]).status_code == 404
    assert other.get(body["page"]).status_code in (403, 404)
    assert c.get("/jobs/" + "0" * 24 + ".json").status_code == 404
