"""Long work as jobs: RQ on Redis when ``YITAOTU_REDIS_URL`` is set, else one worker thread in
this process (the embedded default).  Either way a job's state, progress and result are on a
board every web worker reads: Redis (with RQ), else files under ``$YITAOTU_HOME/web-jobs``.

A job is a function of :mod:`web.tasks` called as ``fn(board, job_id, settings, **kwargs)``;
it reports through ``board.progress`` and ends ``finished`` with a result or ``failed`` with
an error ``{"code", "message"}`` (our errors say what and which file; a bug says only that).
"""

from __future__ import annotations

import json
import os
import queue
import secrets
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask import Flask, current_app

from storage.errors import NotFound, StorageUnavailable, YitaotuError
from workflow import utcnow


def queue_name() -> str:
    """The RQ queue (``YITAOTU_RQ_QUEUE``, default ``yitaotu``): homes sharing one Redis
    each name their own."""
    return os.environ.get("YITAOTU_RQ_QUEUE") or "yitaotu"

#: Job ids are ours (no path or key can be smuggled through one).
ID_LENGTH = 24


def new_id() -> str:
    return secrets.token_hex(ID_LENGTH // 2)


def valid_id(job_id: str) -> bool:
    return len(job_id) == ID_LENGTH and all(c in "0123456789abcdef" for c in job_id)


class FileBoard:
    """Job states as JSON files (written to a temp file and renamed: never half-written)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def put(self, job_id: str, state: dict[str, Any]) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        path = self.root / f"{job_id}.json"
        tmp = path.with_name(f".{job_id}.{secrets.token_hex(4)}.tmp")
        tmp.write_text(json.dumps(state, ensure_ascii=False), encoding="utf-8")
        os.replace(tmp, path)

    def get(self, job_id: str) -> dict[str, Any] | None:
        path = self.root / f"{job_id}.json"
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (ValueError, UnicodeDecodeError) as e:
            raise StorageUnavailable(f"{path}: 任务状态文件损坏 damaged job state: {e}") from e


class RedisBoard:
    """Job states in Redis (kept a week)."""

    TTL = 7 * 86400

    def __init__(self, connection: Any) -> None:
        self.redis = connection

    def put(self, job_id: str, state: dict[str, Any]) -> None:
        self.redis.set(f"yitaotu:job:{job_id}", json.dumps(state, ensure_ascii=False),
                       ex=self.TTL)

    def get(self, job_id: str) -> dict[str, Any] | None:
        raw = self.redis.get(f"yitaotu:job:{job_id}")
        if raw is None:
            return None
        try:
            return json.loads(raw)
        except ValueError as e:
            raise StorageUnavailable(f"redis yitaotu:job:{job_id}: 任务状态损坏 damaged: "
                                     f"{e}") from e


class Progress:
    """What a running job tells its board (at most once per percent)."""

    def __init__(self, board: Any, job_id: str, state: dict[str, Any]) -> None:
        self.board, self.job_id, self.state = board, job_id, state
        self._last: tuple[str, int] | None = None

    def __call__(self, step: str, done: int, total: int) -> None:
        pct = int(done * 100 / total) if total else 0
        if (step, pct) == self._last:
            return
        self._last = (step, pct)
        self.state["progress"] = {"step": step, "done": done, "total": total, "percent": pct}
        self.board.put(self.job_id, self.state)


def run(fn: Callable[..., Any], board: Any, job_id: str, settings: Any,
        kwargs: dict[str, Any]) -> None:
    """Run one job to its end, whatever happens, and leave its final state on the board."""
    try:
        state = board.get(job_id) or {"id": job_id}
    except YitaotuError:  # a damaged state: start it afresh (the job's owner is lost)
        state = {"id": job_id}
    state.update(state="running", started=utcnow().isoformat())
    try:
        board.put(job_id, state)
        state["result"] = fn(Progress(board, job_id, state), settings, **kwargs)
        state["state"] = "finished"
    except YitaotuError as e:
        state.update(state="failed", error={"code": type(e).__name__, "message": e.message})
    except Exception:  # a bug: logged with its traceback, the client gets no internals
        import logging

        logging.getLogger("yitaotu.jobs").exception("job %s failed", job_id)
        state.update(state="failed", error={"code": "internal", "message":
                                            "内部错误 internal error (logged)"})
    state["ended"] = utcnow().isoformat()
    board.put(job_id, state)


def rq_entry(task: str, job_id: str, settings: Any, redis_url: str,
             kwargs: dict[str, Any]) -> None:
    """What the RQ worker (``yitaotu worker``) runs."""
    from redis import Redis

    from web import tasks

    run(getattr(tasks, task), RedisBoard(Redis.from_url(redis_url)), job_id, settings, kwargs)


class Jobs:
    """Submit jobs and read their state (``current_app.extensions["yitaotu.jobs"]``)."""

    def __init__(self, settings: Any) -> None:
        self.settings = settings
        self.redis_url: str | None = settings.redis_url
        self._queue: queue.Queue[tuple[str, str, dict[str, Any]]] | None = None
        self._lock = threading.Lock()
        if self.redis_url:
            from redis import Redis
            from rq import Queue

            self.connection = Redis.from_url(self.redis_url)
            self.board: Any = RedisBoard(self.connection)
            self.rq = Queue(queue_name(), connection=self.connection)
        else:
            self.board = FileBoard(Path(settings.home) / "web-jobs")

    def submit(self, task: str, *, owner: str, **kwargs: Any) -> str:
        """Queue ``web.tasks.<task>(progress, settings, **kwargs)``; returns the job id."""
        project = kwargs.get("project")
        job_id = new_id()
        self.board.put(job_id, {"id": job_id, "task": task, "owner": owner, "project": project,
                                "state": "queued", "progress": None, "result": None,
                                "error": None, "created": utcnow().isoformat()})
        if self.redis_url:
            self.rq.enqueue(rq_entry, task, job_id, self.settings, self.redis_url, kwargs,
                            job_id=job_id, job_timeout=6 * 3600)
        else:
            self._thread_queue().put((task, job_id, kwargs))
        return job_id

    def get(self, job_id: str, *, owner: str) -> dict[str, Any]:
        """The state of a job its owner submitted; :class:`NotFound` for anyone else."""
        state = self.board.get(job_id) if valid_id(job_id) else None
        if state is None or state.get("owner") != owner:
            raise NotFound(f"任务不存在 no such job: {job_id[:40]!r}")
        return state

    def _thread_queue(self) -> queue.Queue[tuple[str, str, dict[str, Any]]]:
        with self._lock:
            if self._queue is None:
                self._queue = queue.Queue()
                threading.Thread(target=self._work, name="yitaotu-jobs", daemon=True).start()
        return self._queue

    def _work(self) -> None:
        from web import tasks

        assert self._queue is not None
        while True:
            task, job_id, kwargs = self._queue.get()
            try:
                run(getattr(tasks, task), self.board, job_id, self.settings, kwargs)
            except Exception:  # the board itself failed: the thread lives on for the next
                import logging

                logging.getLogger("yitaotu.jobs").exception("job %s: board failed", job_id)
            finally:
                self._queue.task_done()


def jobs() -> Jobs:
    return current_app.extensions["yitaotu.jobs"]


def init_app(app: Flask) -> None:
    app.extensions["yitaotu.jobs"] = Jobs(app.extensions["yitaotu.store"].settings)
