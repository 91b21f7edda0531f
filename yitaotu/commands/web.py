"""The web app's commands: ``demo`` (a demo home), ``serve`` (gunicorn), ``worker`` (RQ)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from storage.errors import Conflict, InvalidInput
from yitaotu.commands._common import emit, get_app, json_option, say


@click.command("demo")
@click.option("--if-missing", is_flag=True,
              help="已有演示数据时只显示账号 only show the logins when the demo exists.")
@json_option
def demo_cmd(if_missing: bool, as_json: bool) -> None:
    """Build a demo home in $YITAOTU_HOME: generated sheets, two review rounds, opinions, an
    approval, a design change, one user per role; prints each login (role user password)."""
    from yitaotu import demo

    app = get_app()
    home = Path(app.settings.home)
    saved = home / demo.LOGINS_FILE
    if saved.is_file() and if_missing:
        logins = demo.read_logins(saved)
    else:
        if (home / "yitaotu.db").exists() or saved.exists():
            raise Conflict(f"{home}: 已有数据 the home is not empty; use an empty YITAOTU_HOME")
        say(["正在生成演示数据 building the demo (about a minute)…"], err=True)
        built = demo.build(app, home / "demo-sheets")
        demo.save_logins(saved, built)
        logins = [{"role": x.role, "user": x.user, "password": x.password} for x in built]
    emit(logins, as_json, lambda: [f"演示项目 demo project {demo.PROJECT} in {home}",
                                   ("角色 role", "用户 user", "密码 password"),
                                   *[(x["role"], x["user"], x["password"]) for x in logins]])


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="监听地址 address.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--workers", default=2, show_default=True, type=click.IntRange(1, 64),
              help="gunicorn 工作进程 worker processes.")
@click.option("--threads", default=4, show_default=True, type=click.IntRange(1, 64),
              help="每进程线程 threads per worker.")
@json_option
def serve_cmd(host: str, port: int, workers: int, threads: int, as_json: bool) -> None:
    """Serve the web app on $YITAOTU_HOME with gunicorn."""
    from gunicorn.app.base import BaseApplication

    import workflow

    app = get_app()
    with app.session(write=False) as s:  # a missing or uninitialised home says so now
        workflow.list_orgs(s)
    settings = app.settings

    class Server(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            self.cfg.set("bind", f"{host}:{port}")
            self.cfg.set("workers", workers)
            self.cfg.set("threads", threads)
            self.cfg.set("worker_class", "gthread")
            self.cfg.set("accesslog", "-")
            self.cfg.set("timeout", 120)
            self.cfg.set("control_socket_disable", True)  # no shared ~/.gunicorn socket

        def load(self) -> Any:
            from web import create_app

            return create_app(settings)

    shown = f"[{host}]" if ":" in host else host
    url = f"http://{shown}:{port}/"
    emit({"url": url, "home": str(settings.home), "workers": workers}, as_json,
         lambda: [f"一套图 yitaotu: {url}  (home {settings.home})"])
    Server().run()


@click.command("worker")
@click.option("--burst", is_flag=True, help="处理完队列即退出 exit when the queue is empty.")
@json_option
def worker_cmd(burst: bool, as_json: bool) -> None:
    """Run an RQ worker for the web app's jobs (needs YITAOTU_REDIS_URL)."""
    from redis import Redis
    from rq import Queue, Worker

    from web import queue_name

    url = get_app().settings.redis_url
    if not url:
        raise InvalidInput("须设置 YITAOTU_REDIS_URL set YITAOTU_REDIS_URL (redis://host:6379/0)")
    conn = Redis.from_url(url)
    emit({"queue": queue_name(), "burst": burst}, as_json,
         lambda: [f"任务进程 worker on queue {queue_name()}"])
    Worker([Queue(queue_name(), connection=conn)], connection=conn).work(burst=burst)
