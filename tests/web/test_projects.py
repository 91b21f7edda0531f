"""Projects list, project page and sign-offs through the pages."""

from __future__ import annotations

import re
import threading
from typing import Any

from tests.web.conftest import csrf_token, login, make_app

P = "2023-110105-04-01-123450"
PAGE = f"/projects/{P}"


def post_event(c: Any, event: str, **data: Any) -> Any:
    data.setdefault("csrf_token", csrf_token(c, PAGE))
    return c.post(f"{PAGE}/events/{event}", data=data)


def lock_of(c: Any, event: str, record: str) -> str:
    html = c.get(PAGE).get_data(as_text=True)
    form = re.search(rf'events/{event}".*?name="record" value="{record}">\s*'
                     r'<input type="hidden" name="expect_lock" value="(\d+)"', html, re.S)
    assert form, f"no {event} form for {record}"
    return form.group(1)


def test_project_page_shows_the_project(as_role: Any) -> None:
    html = as_role("owner").get(PAGE).get_data(as_text=True)
    for text in ("示例住宅小区", "甲建筑设计院", "1#住宅楼", "施工阶段", "S-1", "C-1",
                 "审查合格书", "确认变更"):
        assert text in html, text
    assert "confirm-dialog" in html


def test_read_only_roles_get_no_action_forms(as_role: Any) -> None:
    for role in ("inspector", "admin"):
        html = as_role(role).get(PAGE).get_data(as_text=True)
        assert "只读" in html and "/events/" not in html, role


def test_certificate_downloads_as_pdf(as_role: Any) -> None:
    c = as_role("design")
    link = re.search(r'href="(/projects/[^"]+/certificates/[0-9a-f]+\.pdf)"',
                     c.get(PAGE).get_data(as_text=True))
    assert link
    resp = c.get(link.group(1))
    assert resp.status_code == 200 and resp.mimetype == "application/pdf"
    assert resp.data.startswith(b"%PDF")
    assert c.get(f"{PAGE}/certificates/{'0' * 64}.pdf").status_code == 404
    assert as_role("outsider").get(link.group(1)).status_code == 404


def test_change_confirmed_by_both_then_signed(as_role: Any) -> None:
    own, sup, des = as_role("owner"), as_role("supervisor"), as_role("design")
    resp = post_event(own, "confirm_change", record="C-1", expect_lock=lock_of(own,
                      "confirm_change", "C-1"))
    assert resp.status_code == 303
    assert "确认变更" in own.get(PAGE).get_data(as_text=True)  # the flashed event line
    resp = post_event(sup, "confirm_change", record="C-1",
                      expect_lock=lock_of(sup, "confirm_change", "C-1"))
    assert resp.status_code == 303
    resp = post_event(des, "sign_change", record="C-1",
                      expect_lock=lock_of(des, "sign_change", "C-1"))
    assert resp.status_code == 303
    assert "已生效" in des.get(PAGE).get_data(as_text=True)


def test_guard_refusal_shows_the_reason(as_role: Any) -> None:
    des = as_role("design")
    resp = post_event(des, "sign_change", record="C-1")
    assert resp.status_code == 409
    html = resp.get_data(as_text=True)
    assert "未执行" in html and "不可执行" in html  # the guard's words: not in this state


def test_role_not_in_actor_column_is_forbidden(as_role: Any) -> None:
    for role in ("contractor", "inspector", "admin", "archivist"):
        assert post_event(as_role(role), "confirm_change", record="C-1").status_code == 403
    assert post_event(as_role("outsider"), "confirm_change", record="C-1").status_code == 404


def test_stale_lock_says_someone_acted_first(as_role: Any) -> None:
    own, sup = as_role("owner"), as_role("supervisor")
    stale = lock_of(own, "confirm_change", "C-1")
    assert post_event(sup, "confirm_change", record="C-1", expect_lock=stale).status_code == 303
    resp = post_event(own, "confirm_change", record="C-1", expect_lock=stale)
    assert resp.status_code == 409
    assert "已有他人先行操作" in resp.get_data(as_text=True)


def test_concurrent_sign_off_exactly_one_409(any_home: Any) -> None:
    """Owner and supervisor confirm the change at the same moment, both from the same page
    (same lock): one lands, the other is told someone acted first."""
    app = make_app(any_home)
    try:
        clients = [login(app.test_client(), any_home.logins[r]) for r in ("owner", "supervisor")]
        lock = lock_of(clients[0], "confirm_change", "C-1")
        tokens = [csrf_token(c, PAGE) for c in clients]
        barrier = threading.Barrier(2)
        codes: list[int] = []

        def go(i: int) -> None:
            barrier.wait()
            codes.append(post_event(clients[i], "confirm_change", record="C-1",
                                    expect_lock=lock, csrf_token=tokens[i]).status_code)

        threads = [threading.Thread(target=go, args=(i,)) for i in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(codes) == [303, 409]
    finally:
        app.extensions["yitaotu.store"].close()


def test_event_form_without_csrf_token_is_refused(as_role: Any) -> None:
    own = as_role("owner")
    lock = lock_of(own, "confirm_change", "C-1")
    resp = own.post(f"{PAGE}/events/confirm_change", data={"record": "C-1"})
    assert resp.status_code == 400
    assert lock_of(own, "confirm_change", "C-1") == lock  # nothing was taken


def test_contractor_raises_a_negotiation_from_the_page(as_role: Any) -> None:
    con = as_role("contractor")
    html = con.get(PAGE).get_data(as_text=True)
    assert 'name="kind"' in html and "工程洽商" in html
    resp = post_event(con, "raise_change", record="new", kind="negotiation",
                      text="地下室防水做法 basement waterproofing")
    assert resp.status_code == 303, resp.get_data(as_text=True)
    assert "C-2" in con.get(PAGE).get_data(as_text=True)


def test_a_later_stage_is_submitted_from_the_page(as_role: Any, home: Any, tmp_path: Any
                                                  ) -> None:
    """Once the first sheets are approved, 报审 of the whole set is refused (they change by a
    设计变更); the page's submit form names a stage and its sheets, as the CLI does."""
    from drawings import ingest_upload
    from yitaotu import demo
    from yitaotu.context import App

    demo.sheet(tmp_path / "s2" / "A-104 四层平面图.dxf", "A-104", "四层平面图", 0)
    app = App(home.settings)
    try:
        ingest_upload(app.session, app.blobs, P, [tmp_path / "s2"], message="二期",
                      author="des")
    finally:
        app.close()
    des = as_role("design")
    html = des.get(PAGE).get_data(as_text=True)
    assert 'name="stage"' in html and 'name="sheets"' in html
    refused = post_event(des, "submit", record="new", version="head")
    assert refused.status_code == 409 and "A-101" in refused.get_data(as_text=True)
    too_many = post_event(des, "submit", record="new", stage="二期",
                          sheets=" ".join(f"X-{i}" for i in range(501)))
    assert too_many.status_code == 422
    resp = post_event(des, "submit", record="new", version="head", stage="二期",
                      sheets="A-104，")
    assert resp.status_code == 303, resp.get_data(as_text=True)
    html = des.get(PAGE).get_data(as_text=True)
    assert "S-2" in html and "二期" in html
