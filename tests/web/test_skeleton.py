"""The skeleton: logging in and out, sessions, headers, CSRF, throttling, languages."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.web.conftest import ROLES, csrf_token, login


def test_anonymous_is_sent_to_login(client: Any) -> None:
    resp = client.get("/")
    assert resp.status_code == 302
    assert resp.headers["Location"].startswith("/login")


def test_every_role_logs_in_and_sees_the_demo_project(as_role: Any) -> None:
    for role in ROLES:
        html = as_role(role).get("/").get_data(as_text=True)
        assert "2023-110105-04-01-123450" in html, role


def test_outsider_sees_no_project(as_role: Any) -> None:
    c = as_role("outsider")
    assert "2023-110105-04-01-123450" not in c.get("/").get_data(as_text=True)
    missing = c.get("/projects/2023-110105-04-01-999999")
    hidden = c.get("/projects/2023-110105-04-01-123450")
    assert missing.status_code == hidden.status_code == 404
    # the same words for a project that exists and one that does not, but for the code itself
    assert missing.get_data(as_text=True).replace("999999", "X") == \
        hidden.get_data(as_text=True).replace("123450", "X")


def test_wrong_password_is_refused_and_throttled(client: Any, logins: Any) -> None:
    token = csrf_token(client)
    codes = [client.post("/login", data={"user": "des", "password": "wrong-password",
                                         "csrf_token": token}).status_code for _ in range(6)]
    assert codes == [401] * 5 + [429]
    # the right password is throttled too while the window lasts (no guessing through)
    right = client.post("/login", data={"user": "des", "password": logins["design"].password,
                                        "csrf_token": token})
    assert right.status_code == 429


def test_unknown_user_and_wrong_password_look_the_same(client: Any) -> None:
    token = csrf_token(client)
    a = client.post("/login", data={"user": "nobody", "password": "x" * 10, "csrf_token": token})
    b = client.post("/login", data={"user": "des", "password": "x" * 10, "csrf_token": token})
    assert a.status_code == b.status_code == 401
    tokens = re.compile(r'name="csrf_token"[^>]*>')
    assert tokens.sub("", a.get_data(as_text=True).replace("nobody", "des")) == \
        tokens.sub("", b.get_data(as_text=True))


def test_form_without_csrf_token_is_refused(client: Any, logins: Any) -> None:
    resp = client.post("/login", data={"user": "des", "password": logins["design"].password})
    assert resp.status_code == 400
    c = login(client, logins["design"])
    assert c.post("/logout").status_code == 400  # still logged in
    assert c.get("/").status_code == 200


def test_logout(client: Any, logins: Any) -> None:
    c = login(client, logins["owner"])
    assert c.post("/logout", data={"csrf_token": csrf_token(c, "/")}).status_code == 302
    assert c.get("/").status_code == 302


def test_security_headers(client: Any) -> None:
    resp = client.get("/login")
    csp = resp.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.headers["Referrer-Policy"] == "same-origin"
    assert "<script>" not in resp.get_data(as_text=True)  # no inline script


def test_chinese_by_default_english_by_switch(client: Any) -> None:
    assert "登录" in client.get("/login").get_data(as_text=True)
    resp = client.post("/lang/en", data={"csrf_token": csrf_token(client), "next": "/login"})
    assert resp.status_code == 302
    html = client.get("/login").get_data(as_text=True)
    assert "Log in" in html and "登录" not in html


def test_open_redirect_refused(client: Any, logins: Any) -> None:
    who = logins["design"]
    resp = client.post("/login?next=//evil.example/x", data={
        "user": who.user, "password": who.password, "csrf_token": csrf_token(client)})
    assert resp.headers["Location"] == "/"


def test_damaged_session_key_is_named(home: Any) -> None:
    from storage.errors import StorageUnavailable
    from tests.web.conftest import make_app

    key = home.settings.home / "web.key"
    make_app(home).extensions["yitaotu.store"].close()  # makes the key
    key.write_bytes(b"\xff\xfe short")
    with pytest.raises(StorageUnavailable, match="web.key"):
        make_app(home)


def test_damaged_job_state_is_named(app: Any, as_role: Any) -> None:
    from storage.errors import StorageUnavailable

    jobs = app.extensions["yitaotu.jobs"]
    job = "0123456789abcdef01234567"
    jobs.board.put(job, {"id": job, "owner": "des", "state": "queued"})
    (jobs.board.root / f"{job}.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(StorageUnavailable, match=job):
        jobs.get(job, owner="des")
    resp = as_role("design").get(f"/api/v1/jobs/{job}", headers={"Authorization": "Bearer x"})
    assert resp.status_code == 401  # the app still answers


def test_job_thread_survives_a_failing_board(app: Any) -> None:
    """A job whose state cannot be written does not take the worker thread with it."""

    jobs = app.extensions["yitaotu.jobs"]
    good_put = jobs.board.put
    broken = {"on": True}

    def put(job_id: str, state: dict) -> None:
        if broken["on"] and state.get("state") != "queued":
            raise OSError("disk full")
        good_put(job_id, state)

    jobs.board.put = put
    first = jobs.submit("upload", owner="des", project="x", folder="/nonexistent-a",
                        message="m", author="des")
    jobs._queue.join()
    broken["on"] = False
    second = jobs.submit("upload", owner="des", project="x", folder="/nonexistent-b",
                         message="m", author="des")
    jobs._queue.join()
    assert jobs.get(first, owner="des")["state"] == "queued"  # its end could not be written
    assert jobs.get(second, owner="des")["state"] == "failed"  # it ran: the thread lives
