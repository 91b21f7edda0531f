"""Compare: set versions sheet by sheet, one sheet's changes and clusters, and the reviewer's
accept/query marks on the round under review (a query becomes an opinion)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

import workflow
from tests.web.api_client import token
from tests.web.conftest import csrf_token
from yitaotu import demo
from yitaotu.context import App

P = "2023-110105-04-01-123450"


def test_set_compare_lists_sheets_and_links_the_changed(as_role: Any) -> None:
    c = as_role("owner")
    resp = c.get(f"/projects/{P}/compare?old=head~2&new=head~1")
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    rows = dict(re.findall(r'<td class="mono">([A-Z]-\d+)</td>.*?kind-(\w+)"', html, re.S))
    assert rows == {"A-101": "changed", "A-102": "unchanged", "A-103": "added",
                    "S-201": "unchanged"}
    assert "/compare/A-101?" in html and "/compare/A-102?" not in html


def test_sheet_compare_lists_changes_with_clusters(as_role: Any) -> None:
    c = as_role("design")
    resp = c.get(f"/projects/{P}/compare/A-101?old=head~2&new=head~1")
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    assert 'id="compare-list"' in html and "compare.js" in html
    assert "mark-form" not in html  # not a reviewer, and no round under review
    data = c.get(f"/projects/{P}/compare/A-101/changes?old=head~2&new=head~1").json
    assert data["summary"]["modified"] + data["summary"]["added"] >= 6  # six walls moved by 80
    assert {x["layer"] for x in data["changes"]} == {"A-WALL"} == set(data["layers"])
    ids = {x["id"] for x in data["changes"]}
    assert data["clusters"] and all(set(cl["changes"]) <= ids for cl in data["clusters"])
    assert data["can_mark"] is False


def test_compare_refused_to_outsiders_and_unknown_sheets(as_role: Any, client: Any) -> None:
    out = as_role("outsider")
    for url in (f"/projects/{P}/compare", f"/projects/{P}/compare/A-101",
                f"/projects/{P}/compare/A-101/changes"):
        assert out.get(url).status_code == 404, url
        anon = client.get(url)
        assert anon.status_code == 302 and "/login" in anon.headers["Location"]
    c = as_role("review")
    assert c.get(f"/projects/{P}/compare/A-103?old=head~2&new=head~1").status_code == 404
    assert c.get(f"/projects/{P}/compare/A-101?old=nonsense").status_code == 404


def open_round(home: Any) -> str:
    """A second submission (stage 二期, sheet A-104) returned with an opinion, answered and
    resubmitted with A-104's walls moved: its round 2 in review has a diff to mark."""
    app = App(home.settings)
    keys = workflow.KeyRing(Path(home.settings.home) / "keys")
    work = Path(home.settings.home).parent / "round"
    try:
        def fire(event: str, user: str) -> None:
            with app.session() as s:
                workflow.fire(s, P, event, user=user, keys=keys, blobs=app.blobs)

        def upload(folder: str, shift: float) -> None:
            from drawings import ingest_upload

            demo.sheet(work / folder / "A-104 四层平面图.dxf", "A-104", "四层平面图", shift)
            ingest_upload(app.session, app.blobs, P, [work / folder], message=folder,
                          author="des")

        upload("first", 0)
        with app.session() as s:
            workflow.submit(s, P, "head", user="des", keys=keys, blobs=app.blobs,
                            stage="二期", sheets=["A-104"])
        fire("accept_review", "rev_a")
        with app.session() as s:
            workflow.add_opinion(s, P, user="rev_a", keys=keys, sheet_no="A-104",
                                 anchor={"type": "point", "coords": [1000, 4000]},
                                 category="general", text="墙体位置", blobs=app.blobs)
        fire("return", "rev_a")
        with app.session() as s:
            n = max(o.number for o in workflow.list_opinions(s, P))
            workflow.reply(s, P, n, "已调整", user="des", keys=keys)
        upload("second", 60)
        with app.session() as s:
            workflow.submit(s, P, "head", user="des", keys=keys, blobs=app.blobs)
        fire("accept_review", "rev_a")
        with app.session(write=False) as s:
            rc = workflow.round_changes(s, app.blobs, P)
        return f"/projects/{P}/compare/A-104?old={rc['previous']}&new={rc['version']}"
    finally:
        app.close()


def opinions(home: Any) -> list[Any]:
    app = App(home.settings)
    try:
        with app.session(write=False) as s:
            return [workflow.opinion_dict(o) for o in workflow.list_opinions(s, P)]
    finally:
        app.close()


@pytest.fixture
def round_page(home: Any) -> str:
    return open_round(home)


def _change_ids(c: Any, page: str) -> list[str]:
    return re.findall(r'name="change_id" value="([^"]+)"', c.get(page).get_data(as_text=True))


def test_reviewer_accepts_and_queries_changes(as_role: Any, round_page: str, home: Any) -> None:
    rev = as_role("review")
    ids = _change_ids(rev, round_page)
    assert len(ids) >= 2, "the reviewer gets accept/query forms"
    marks = round_page.split("?")[0] + "/marks"
    before = len(opinions(home))
    form = {"csrf_token": csrf_token(rev, round_page), "change_id": ids[0], "mark": "accepted"}
    assert rev.post(marks, data=form).status_code == 303
    assert rev.post(marks, data=form).status_code == 409  # marked already
    query = {**form, "change_id": ids[1], "mark": "queried", "text": "为何移动 why moved"}
    assert rev.post(marks, data=query).status_code == 303
    after = opinions(home)
    assert len(after) == before + 1
    new = after[-1] if after[-1]["change_id"] else next(o for o in after if o["change_id"])
    assert new["change_id"] == ids[1] and new["text"] == "为何移动 why moved"
    assert new["anchor"]["type"] == "rect"
    html = rev.get(round_page).get_data(as_text=True)
    assert "mark-accepted" in html and "mark-queried" in html
    assert _change_ids(rev, round_page) == ids[2:]


def test_marks_refused_with_nothing_stored(as_role: Any, round_page: str, home: Any) -> None:
    marks = round_page.split("?")[0] + "/marks"
    ids = _change_ids(as_role("review"), round_page)
    before = opinions(home)
    for role, status in (("owner", 403), ("design", 403), ("inspector", 403),
                         ("outsider", 404)):
        c = as_role(role)
        form = {"csrf_token": csrf_token(c, "/login"), "change_id": ids[0], "mark": "queried"}
        assert c.post(marks, data=form).status_code == status, role
        assert "mark-form" not in c.get(round_page).get_data(as_text=True)
    rev = as_role("review")
    assert rev.post(marks, data={"change_id": ids[0], "mark": "accepted"}).status_code == 400
    bad = {"csrf_token": csrf_token(rev, "/login"), "change_id": "c999", "mark": "accepted"}
    assert rev.post(marks, data=bad).status_code == 422
    bad = {**bad, "change_id": ids[0], "mark": "maybe"}
    assert rev.post(marks, data=bad).status_code == 422
    assert opinions(home) == before
    assert _change_ids(rev, round_page) == ids  # nothing marked


def test_compare_api(client: Any, logins: Any, round_page: str) -> None:
    h = token(client, logins["review"])
    versions = client.get(f"/api/v1/projects/{P}/compare?old=head~3&new=head~2", headers=h)
    assert versions.status_code == 200 and versions.json["sheets"]
    query = round_page.split("?")[1]
    sheet = client.get(f"/api/v1/projects/{P}/compare/A-104?{query}", headers=h)
    assert sheet.status_code == 200 and sheet.json["can_mark"] is True
    cid = sheet.json["changes"][0]["id"]
    r = client.post(f"/api/v1/projects/{P}/compare/A-104/marks", headers=h,
                    json={"change_id": cid, "mark": "queried", "text": "?"})
    assert r.status_code == 200 and r.json["mark"] == "queried" and r.json["opinion"]
    again = client.post(f"/api/v1/projects/{P}/compare/A-104/marks", headers=h,
                        json={"change_id": cid, "mark": "accepted"})
    assert again.status_code == 409 and again.json["error"]["code"]
    own = token(client, logins["owner"])
    assert client.post(f"/api/v1/projects/{P}/compare/A-104/marks", headers=own,
                       json={"change_id": cid, "mark": "accepted"}).status_code == 403
    assert client.get(f"/api/v1/projects/{P}/compare").status_code == 401
