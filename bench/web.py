"""The web app under load: gunicorn (2 workers) on a demo home, on loopback, and N concurrent
clients for S seconds on four targets — the project page, a sheet register, a cached tile and
an API list — plus a static file as the reference of the same run (ratios against it).

    .venv/bin/python bench/web.py [--clients 32] [--seconds 30] [--workers 2]

Prints requests/s, p50/p99 and errors per target; no assertions (goal: p99 < 200 ms for
pages and API, < 50 ms for cached tiles, 0 errors).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BIN = Path(sys.executable).parent
P = "2023-110105-04-01-123450"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def build_home(home: Path) -> dict[str, dict[str, str]]:
    env = {**os.environ, "YITAOTU_HOME": str(home)}
    env.pop("YITAOTU_DATABASE_URL", None)
    env.pop("YITAOTU_REDIS_URL", None)
    out = subprocess.run([str(BIN / "yitaotu"), "demo", "--json"], env=env, check=True,
                         capture_output=True, text=True).stdout
    return {x["role"]: x for x in json.loads(out)}


def prepare_tile(home: Path) -> str:
    """Make head's A-101 pyramid (what the viewer's job does); returns its tile path."""
    import drawings
    from drawings import registry
    from drawings.render.tiles import TileCache
    from yitaotu.context import App
    from yitaotu.settings import Settings

    app = App(Settings.from_env(home=home, database_url=f"sqlite:///{home / 'yitaotu.db'}",
                                blobs_url=(home / "objects").as_uri(), redis_url=None,
                                user=None))
    try:
        with app.session(write=False) as s:
            v = registry.resolve_version(s, P, "head")
            vid, blob = v.id, v.manifest["A-101"]["blob"]
        TileCache.for_home(home, lambda b: drawings.read(app.blobs.read_bytes(b))).prepare(
            blob, "")
    finally:
        app.close()
    return f"/projects/{P}/versions/{vid}/sheets/A-101/tiles/2/1/1.png"


def serve(home: Path, port: int, workers: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "YITAOTU_HOME": str(home)}
    env.pop("YITAOTU_DATABASE_URL", None)
    env.pop("YITAOTU_REDIS_URL", None)
    proc = subprocess.Popen([str(BIN / "yitaotu"), "serve", "--port", str(port), "--workers",
                             str(workers)], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    for _ in range(300):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return proc
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("gunicorn did not start")


def session_cookie(port: int, who: dict[str, str]) -> str:
    c = http.client.HTTPConnection("127.0.0.1", port)
    c.request("GET", "/login")
    r = c.getresponse()
    html = r.read().decode()
    cookie = r.getheader("Set-Cookie", "").split(";")[0]
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html)
    assert token, "no CSRF token on /login"
    body = urlencode({"user": who["user"], "password": who["password"],
                      "csrf_token": token.group(1)})
    c.request("POST", "/login", body, {"Content-Type": "application/x-www-form-urlencoded",
                                       "Cookie": cookie})
    r = c.getresponse()
    r.read()
    if r.status != 302:
        raise SystemExit(f"login failed: {r.status}")
    return r.getheader("Set-Cookie", "").split(";")[0]


def bearer(port: int, who: dict[str, str]) -> str:
    c = http.client.HTTPConnection("127.0.0.1", port)
    c.request("POST", "/api/v1/auth/token", json.dumps({"user": who["user"],
                                                        "password": who["password"]}),
              {"Content-Type": "application/json"})
    return "Bearer " + json.loads(c.getresponse().read())["token"]


def client(port: int, path: str, headers: dict[str, str], until: float,
           out: list[float], errors: list[str]) -> None:
    """One keep-alive client requesting ``path`` until ``until``; latencies in seconds."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    while time.perf_counter() < until:
        t0 = time.perf_counter()
        try:
            conn.request("GET", path, headers=headers)
            r = conn.getresponse()
            r.read()
            ok = r.status == 200
            if r.getheader("Connection", "").lower() == "close":
                conn.close()
        except (OSError, http.client.HTTPException) as e:
            ok = False
            errors.append(type(e).__name__)
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            continue
        out.append(time.perf_counter() - t0)
        if not ok:
            errors.append(str(r.status))
    conn.close()


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    s = sorted(values)
    return s[min(len(s) - 1, int(q * len(s)))]


def run(port: int, targets: dict[str, tuple[str, dict[str, str]]], clients: int,
        seconds: float) -> dict[str, tuple[list[float], list[str]]]:
    """``clients`` clients spread over the targets, all at once."""
    results = {name: ([], []) for name in targets}
    names = list(targets)
    until = time.perf_counter() + seconds
    threads = []
    for i in range(clients):
        name = names[i % len(names)]
        path, headers = targets[name]
        lat, err = results[name]
        threads.append(threading.Thread(target=client, args=(port, path, headers, until, lat,
                                                              err)))
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--clients", type=int, default=32)
    ap.add_argument("--seconds", type=float, default=30.0)
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="yitaotu-bench-web-") as tmp:
        home = Path(tmp) / "home"
        t0 = time.perf_counter()
        logins = build_home(home)
        tile = prepare_tile(home)
        print(f"demo home built in {time.perf_counter() - t0:.1f} s")
        port = free_port()
        proc = serve(home, port, args.workers)
        try:
            cookie = {"Cookie": session_cookie(port, logins["owner"])}
            api = {"Authorization": bearer(port, logins["owner"])}
            targets = {
                "static file (reference)": ("/static/app.css", {}),
                "project page": (f"/projects/{P}", cookie),
                "sheet register": (f"/projects/{P}/sheets", cookie),
                "cached tile": (tile, cookie),
                "API project list": ("/api/v1/projects", api),
            }
            run(port, targets, len(targets), 2.0)  # warm up every worker's caches
            per = max(1, args.clients // len(targets))
            print(f"gunicorn {args.workers} workers on 127.0.0.1:{port}; {args.clients} "
                  f"clients ({per} or {per + 1} per target) for {args.seconds:.0f} s")
            results = run(port, targets, args.clients, args.seconds)
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    ref = pct(results["static file (reference)"][0], 0.5)
    print(f"{'target':26} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'p50/ref':>8} {'errors':>7}")
    for name, (lat, err) in results.items():
        print(f"{name:26} {len(lat) / args.seconds:8.1f} {pct(lat, 0.5) * 1000:8.1f} "
              f"{pct(lat, 0.99) * 1000:8.1f} {pct(lat, 0.5) / ref:8.2f} {len(err):7d}")
    print("goal: p99 < 200 ms pages and API, < 50 ms cached tiles, 0 errors")


if __name__ == "__main__":
    main()
