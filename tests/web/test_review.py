"""Online review: opinions placed on a sheet (point or box, sheet coordinates), categories,
replies, close/reopen, the list with affected ones first — pages and API."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.web.api_client import token
from tests.web.conftest import csrf_token
from tests.web.test_compare import open_round, opinions

P = "2023-110105-04-01-123450"
OPINIONS = f"/projects/{P}/opinions"


@pytest.fixture
def in_review(home: Any) -> str:
    """S-2 (sheet A-104) in review, round 2."""
    return open_round(home)


def add(c: Any, **form: Any) -> Any:
    data = {"csrf_token": csrf_token(c, "/login"), "sheet": "A-104", "kind": "point",
            "coords": "1500,2500", "category": "general", "text": "请核对 please check",
            "next": f"/projects/{P}/opinions?sheet=A-104", **form}
    return c.post(OPINIONS, data=data)


def test_reviewer_places_point_and_box_opinions(as_role: Any, in_review: str,
                                                home: Any) -> None:
    rev = as_role("review")
    before = len(opinions(home))
    r = add(rev)
    assert r.status_code == 303 and r.headers["Location"].endswith("opinions?sheet=A-104")
    r = add(rev, kind="rect", coords="2000,1000,500,3000", category="mandatory",
            text="楼梯净宽不足 stair too narrow")
    assert r.status_code == 303
    after = opinions(home)
    assert len(after) == before + 2
    point, box = sorted(after, key=lambda o: o["number"])[-2:]
    assert point["anchor"] == {"type": "point", "coords": [1500.0, 2500.0]}
    assert box["anchor"] == {"type": "rect", "coords": [500.0, 1000.0, 2000.0, 3000.0]}
    assert box["category"] == "mandatory" and box["sheet"] == "A-104"
    html = rev.get(f"{OPINIONS}?sheet=A-104").get_data(as_text=True)
    assert "楼梯净宽不足" in html and "强制性条文" in html
    # the viewer draws them, and offers the reviewer the opinion tools
    vid = re.search(r"new=([0-9a-f]{64})", in_review)
    assert vid
    page = rev.get(f"/projects/{P}/versions/{vid.group(1)}/sheets/A-104")
    text = page.get_data(as_text=True)
    assert 'data-tool="box"' in text and 'data-coords="500.0,1000.0,2000.0,3000.0"' in text
    assert 'data-tool="box"' not in as_role("design").get(
        f"/projects/{P}/versions/{vid.group(1)}/sheets/A-104").get_data(as_text=True)


def test_bad_opinions_refused_with_nothing_stored(as_role: Any, in_review: str,
                                                  home: Any) -> None:
    before = opinions(home)
    rev = as_role("review")
    for form, status in (({"kind": "rect", "coords": "0,0,0,100"}, 422),  # no area
                         ({"coords": "1,2,3"}, 422), ({"coords": "nan,1"}, 422),
                         ({"category": "urgent"}, 422), ({"text": "  "}, 422),
                         ({"kind": "polygon"}, 422), ({"sheet": "X-999"}, 409)):  # not under review
        r = add(rev, **form)
        assert r.status_code == status, (form, r.status_code)
    for role, status in (("owner", 403), ("design", 403), ("inspector", 403),
                         ("outsider", 404)):
        assert add(as_role(role)).status_code == status, role
    assert rev.post(OPINIONS, data={"sheet": "A-104", "kind": "point", "coords": "1,1",
                                    "category": "general", "text": "x"}).status_code == 400
    assert opinions(home) == before


def test_reply_close_reopen_and_the_list_order(as_role: Any, in_review: str,
                                               home: Any) -> None:
    rev, des = as_role("review"), as_role("design")
    add(rev)
    n = max(o["number"] for o in opinions(home))
    act = f"{OPINIONS}/{n}"
    lock = next(o["lock"] for o in opinions(home) if o["number"] == n)
    form = {"csrf_token": csrf_token(des, "/login"), "text": "已修改 revised",
            "expect_lock": lock}
    assert des.post(f"{act}/reply", data=form).status_code == 303
    assert des.post(f"{act}/reply", data=form).status_code == 409  # stale lock: acted first
    assert rev.post(f"{act}/reply", data={**form, "csrf_token": csrf_token(rev, "/login")}
                    ).status_code == 403
    assert des.post(f"{act}/close", data={"csrf_token": form["csrf_token"]}).status_code == 403
    ok = {"csrf_token": csrf_token(rev, "/login")}
    assert rev.post(f"{act}/close", data=ok).status_code == 303
    assert rev.post(f"{act}/close", data=ok).status_code == 409  # closed already
    assert rev.post(f"{act}/reopen", data=ok).status_code == 303
    assert rev.post(f"{act}/frobnicate", data=ok).status_code == 422
    o = next(o for o in opinions(home) if o["number"] == n)
    assert o["state"] == "reopened"
    assert [r["text"] for r in o["replies"] if r["kind"] == "reply"] == ["已修改 revised"]
    # the design firm's view: reply forms; affected opinions before the others
    html = des.get(OPINIONS).get_data(as_text=True)
    assert f'action="/projects/{P}/opinions/{n}/reply"' in html
    flags = [o["affected"] for o in opinions(home)]
    assert flags == sorted(flags, key=lambda a: not a)
    order = [int(x) for x in re.findall(r'id="opinion-(\d+)"', html)]
    assert order == [o["number"] for o in opinions(home)]


def test_opinions_api(client: Any, logins: Any, in_review: str) -> None:
    rev, des = token(client, logins["review"]), token(client, logins["design"])
    r = client.post(f"/api/v1{OPINIONS}", headers=rev,
                    json={"sheet": "A-104", "kind": "rect", "coords": [0, 0, 100, 50],
                          "category": "advice", "text": "建议 suggestion"})
    assert r.status_code == 201 and r.json["anchor"]["coords"] == [0, 0, 100, 50]
    n = r.json["number"]
    listed = client.get(f"/api/v1{OPINIONS}?sheet=A-104", headers=des)
    assert listed.status_code == 200 and n in [o["number"] for o in listed.json]
    r = client.post(f"/api/v1{OPINIONS}/{n}/reply", headers=des, json={"text": "好 ok"})
    assert r.status_code == 200 and r.json["state"] == "answered"
    assert client.post(f"/api/v1{OPINIONS}/{n}/close", headers=des, json={}).status_code == 403
    assert client.post(f"/api/v1{OPINIONS}", headers=rev,
                       json={"sheet": "A-104", "kind": "point", "coords": [1],
                             "category": "general", "text": "x"}).status_code == 422
    assert client.get(f"/api/v1{OPINIONS}").status_code == 401
    out = token(client, logins["outsider"])
    assert client.get(f"/api/v1{OPINIONS}", headers=out).status_code == 404
