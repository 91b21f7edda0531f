"""The web's commands: user passwd, demo, serve (gunicorn), worker (RQ on Redis)."""

from __future__ import annotations

import io
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from tests.web.api_client import token, wait_job
from tests.web.conftest import make_app
from yitaotu.cli import cli

YITAOTU = [sys.executable, "-c", "from yitaotu.cli import main; main()"]


def run(home: Any, *args: str, stdin: str = "", code: int = 0) -> str:
    env = {"YITAOTU_HOME": str(home.settings.home), "YITAOTU_DATABASE_URL":
           home.settings.database_url}
    result = CliRunner().invoke(cli, list(args), input=stdin, env=env)
    assert result.exit_code == code, (args, result.output)
    assert "Traceback" not in result.output
    return result.output


def test_user_passwd_from_stdin(home: Any, app: Any, as_role: Any) -> None:
    logged_in = as_role("contractor")
    assert logged_in.get("/").status_code == 200
    run(home, "user", "passwd", "con", stdin="a-new-password-1\n")
    assert logged_in.get("/").status_code == 302  # the old password's session has ended
    c = app.test_client()
    assert c.post("/api/v1/auth/token", json={"user": "con", "password": "a-new-password-1"}
                  ).status_code == 200
    assert c.post("/api/v1/auth/token", json={"user": "con", "password":
                  home.logins["contractor"].password}).status_code == 401
    run(home, "user", "passwd", "nobody", stdin="long-enough-pw\n", code=40)


def test_org_jurisdiction(home: Any, app: Any) -> None:
    """An organisation made an inspector of Beijing (11) sees the demo project read-only."""
    from tests.web.conftest import login

    out = run(home, "org", "jurisdiction", "己设计研究院", "110000", "--json")
    assert '"division": "11"' in out
    c = login(app.test_client(), home.logins["outsider"])
    html = c.get("/projects/2023-110105-04-01-123450").get_data(as_text=True)
    assert "只读" in html
    run(home, "org", "jurisdiction", "己设计研究院", "1x", code=20)
    run(home, "org", "jurisdiction", "无此单位", "11", code=40)


def test_short_password_refused(home: Any) -> None:
    out = run(home, "user", "passwd", "con", stdin="short\n", code=20)
    assert "8" in out


def test_demo_command(tmp_path: Path) -> None:
    env = {"YITAOTU_HOME": str(tmp_path / "h")}
    first = CliRunner().invoke(cli, ["demo"], env=env)
    assert first.exit_code == 0, first.output
    lines = [line.split("\t") for line in first.stdout.splitlines()[2:]]
    assert {row[0] for row in lines} >= {"design", "review", "owner", "contractor",
                                         "supervisor", "archivist", "inspector", "admin"}
    saved = tmp_path / "h" / "demo-logins.tsv"
    assert saved.stat().st_mode & 0o077 == 0  # passwords: the owner only
    again = CliRunner().invoke(cli, ["demo"], env=env)
    assert again.exit_code == 21
    shown = CliRunner().invoke(cli, ["demo", "--if-missing"], env=env)
    assert shown.exit_code == 0 and shown.stdout == first.stdout


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_serve_runs_gunicorn(home: Any) -> None:
    port = _free_port()
    env = {**os.environ, "YITAOTU_HOME": str(home.settings.home)}
    proc = subprocess.Popen([*YITAOTU, "serve", "--port", str(port), "--workers", "1"],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        end = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/login") as resp:
                    assert resp.status == 200
                    assert "default-src 'self'" in resp.headers["Content-Security-Policy"]
                    break
            except OSError:
                assert proc.poll() is None and time.monotonic() < end, "serve did not start"
                time.sleep(0.2)
    finally:
        proc.terminate()
        out = proc.communicate(timeout=30)[0].decode()
    assert f"http://127.0.0.1:{port}/" in out


def test_serve_on_a_missing_home_says_so(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["serve"], env={"YITAOTU_HOME": str(tmp_path / "none")})
    assert result.exit_code == 60 and "yitaotu init" in result.output


def test_worker_without_redis_is_refused(home: Any) -> None:
    run(home, "worker", "--burst", code=20)


def _redis_up() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1):
            return True
    except OSError:
        return False


def test_upload_job_runs_on_an_rq_worker(home: Any, tmp_path: Path, monkeypatch: Any) -> None:
    # CI runs every test: no Redis is a failure naming how to start one, not a skip
    assert _redis_up(), "needs Redis at 127.0.0.1:6379 (README: `redis-server --daemonize yes`)"
    from yitaotu.demo import sheet

    queue = f"yitaotu-test-{secrets.token_hex(4)}"
    monkeypatch.setenv("YITAOTU_RQ_QUEUE", queue)
    url = "redis://127.0.0.1:6379/0"
    settings = home.settings.__class__(**{**home.settings.__dict__, "redis_url": url})
    app = make_app(type(home)(settings, home.logins))
    client = app.test_client()
    h = token(client, home.logins["design"])
    sheet(tmp_path / "A-120.dxf", "A-120", "新图", 0)
    resp = client.post("/api/v1/projects/2023-110105-04-01-123450/uploads", headers=h,
                       data={"files": [(io.BytesIO((tmp_path / "A-120.dxf").read_bytes()),
                                        "A-120.dxf")]},
                       content_type="multipart/form-data")
    job = resp.json["job"]
    assert client.get(f"/api/v1/jobs/{job}", headers=h).json["state"] == "queued"
    env = {**os.environ, "YITAOTU_HOME": str(home.settings.home), "YITAOTU_REDIS_URL": url,
           "YITAOTU_RQ_QUEUE": queue}
    subprocess.run([*YITAOTU, "worker", "--burst"], env=env, check=True, capture_output=True,
                   timeout=300)
    state = wait_job(client, h, job)
    assert state["state"] == "finished", state
    assert state["result"]["added"] == ["A-120"]
    app.extensions["yitaotu.store"].close()
