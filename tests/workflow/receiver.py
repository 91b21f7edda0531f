"""A real HTTP receiver on loopback for the outbox tests: it keeps each record once by its
``Idempotency-Key`` and misbehaves on cue (HTTP 500, or taking the record and then answering
too late for the sender's timeout)."""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import orjson


class Receiver:
    def __init__(self, script: list[str] | None = None, *, slow: float = 1.0) -> None:
        #: What to do with the next requests, in order: "ok", "fail" (500), "slow" (keep the
        #: record, answer after ``slow`` seconds); "ok" once the script is used up.
        self.script = list(script or [])
        self.slow = slow
        self.posts: dict[str, int] = defaultdict(int)  # key -> requests carrying it
        self.kept: list[dict] = []  # records kept, in arrival order
        self.out_of_order: list[str] = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers["Content-Length"]))
                key = self.headers["Idempotency-Key"]
                with receiver.lock:
                    action = receiver.script.pop(0) if receiver.script else "ok"
                    receiver.posts[key] += 1
                    if action != "fail":
                        receiver.keep(key, orjson.loads(body))
                if action == "slow":
                    time.sleep(receiver.slow)
                try:
                    self.send_response(500 if action == "fail" else 200)
                    self.end_headers()
                    self.wfile.write(b"{}")
                except OSError:
                    pass  # the sender gave up waiting

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/records"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def keep(self, key: str, record: dict) -> None:
        if any(r["hash"] == key for r in self.kept):
            return  # the same record again: kept once
        last = [r["seq"] for r in self.kept if r["project"] == record["project"]]
        if last and record["seq"] <= last[-1]:
            self.out_of_order.append(f"{record['project']}#{record['seq']} after #{last[-1]}")
        self.kept.append(record)

    def __enter__(self) -> Receiver:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
