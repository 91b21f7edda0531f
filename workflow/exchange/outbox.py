"""The outbox: issued records pushed to a configured HTTP endpoint, exactly once and in order
per project.

Each record goes as one ``POST`` of its JSON with an ``Idempotency-Key`` header (its hash): a
receiver that got a record whose answer was lost (a timeout) sees the same key again and keeps
one copy.  A project's records go in ``seq`` order: a failure stops that project's queue until
the record is retried, after a back-off doubling from ``base`` up to ``cap`` seconds; other
projects go on.  The HTTP call runs outside any database transaction."""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.display import clip
from storage.errors import InvalidInput
from workflow.clock import utcnow
from workflow.exchange.models import Delivery, IssuedRecord

Sessions = Callable[..., AbstractContextManager[Session]]


@dataclass(frozen=True)
class Policy:
    """How hard to push: per-request timeout, back-off base and cap (seconds)."""

    timeout: float = 10.0
    base: float = 1.0
    cap: float = 300.0

    def backoff(self, attempts: int) -> float:
        return min(self.cap, self.base * 2 ** max(0, attempts - 1))


def check_endpoint(url: str) -> str:
    """An http(s) URL without credentials (the status shows it; a token goes elsewhere)."""
    from urllib.parse import urlsplit

    url = (url or "").strip()
    if not url.startswith(("http://", "https://")) or len(url) > 500:
        raise InvalidInput(f"exchange endpoint must be an http(s) URL, got {clip(url)}")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - a bad port raises here
    except ValueError:
        raise InvalidInput("exchange endpoint is not a valid URL") from None
    if parts.username or parts.password or "@" in parts.netloc:
        raise InvalidInput("exchange endpoint must not carry credentials (user:password@)")
    return url


def enqueue(s: Session, endpoint: str, *, now: datetime, project: str | None = None) -> int:
    """Queue every issued record (of ``project``) not yet queued for ``endpoint``."""
    endpoint = check_endpoint(endpoint)
    queued = select(Delivery.record_id).where(Delivery.endpoint == endpoint)
    q = select(IssuedRecord.id).where(IssuedRecord.id.not_in(queued))
    if project is not None:
        q = q.where(IssuedRecord.project_code == project)
    ids = list(s.scalars(q.order_by(IssuedRecord.project_code, IssuedRecord.seq)))
    for rid in ids:
        s.add(Delivery(record_id=rid, endpoint=endpoint, state="pending", attempts=0,
                       next_at=now))
    s.flush()
    return len(ids)


def _heads(s: Session, endpoint: str, now: datetime) -> list[tuple[int, str, int, str, str]]:
    """Per project, its first undelivered record if it is due: (delivery id, project, seq,
    key, body)."""
    rows = s.execute(
        select(Delivery.id, IssuedRecord.project_code, IssuedRecord.seq, IssuedRecord.key,
               IssuedRecord.body, Delivery.next_at)
        .join(IssuedRecord, IssuedRecord.id == Delivery.record_id)
        .where(Delivery.endpoint == endpoint, Delivery.state == "pending")
        .order_by(IssuedRecord.project_code, IssuedRecord.seq)).all()
    heads: dict[str, Any] = {}
    for row in rows:
        heads.setdefault(row[1], row)
    return [(r[0], r[1], r[2], r[3], r[4]) for r in heads.values()
            if r[5].replace(tzinfo=None) <= now.replace(tzinfo=None)]


def _post(pool: Any, endpoint: str, key: str, project: str, seq: int, body: str,
          timeout: float) -> str | None:
    """None when the receiver took the record (2xx), else why not."""
    import urllib3

    try:
        r = pool.request("POST", endpoint, body=body.encode(), retries=False,
                         timeout=urllib3.Timeout(connect=timeout, read=timeout),
                         headers={"Content-Type": "application/json", "Idempotency-Key": key,
                                  "X-Yitaotu-Project": project, "X-Yitaotu-Seq": str(seq)})
    except urllib3.exceptions.HTTPError as e:
        return f"{type(e).__name__}: {clip(e)}"
    if 200 <= r.status < 300:
        return None
    return f"HTTP {r.status}: {clip(r.data.decode('utf-8', 'replace'))}"


def push_once(sessions: Sessions, endpoint: str, *, policy: Policy = Policy(),
              now: Callable[[], datetime] = utcnow) -> dict[str, int]:
    """One pass: for each project, send its due records in order until one fails."""
    import urllib3

    endpoint = check_endpoint(endpoint)
    sent = failed = 0
    pool = urllib3.PoolManager()
    blocked: set[str] = set()
    while True:
        with sessions(write=False) as s:
            heads = [h for h in _heads(s, endpoint, now()) if h[1] not in blocked]
        if not heads:
            break
        for did, project, seq, key, body in heads:
            error = _post(pool, endpoint, key, project, seq, body, policy.timeout)
            with sessions(write=True) as s:
                d = s.get(Delivery, did)
                d.attempts += 1
                if error is None:
                    d.state, d.delivered_at, d.last_error = "delivered", now(), None
                    sent += 1
                else:
                    d.last_error = error
                    d.next_at = now() + timedelta(seconds=policy.backoff(d.attempts))
                    blocked.add(project)
                    failed += 1
    pool.clear()
    return {"sent": sent, "failed": failed}


def push(sessions: Sessions, endpoint: str, *, policy: Policy = Policy(),
         wait: float = 0.0, now: Callable[[], datetime] = utcnow) -> dict[str, int]:
    """:func:`push_once`, repeated while records are pending, for at most ``wait`` seconds
    (sleeping until the next retry is due)."""
    total = {"sent": 0, "failed": 0}
    deadline = time.monotonic() + wait
    while True:
        result = push_once(sessions, endpoint, policy=policy, now=now)
        total = {k: total[k] + result[k] for k in total}
        with sessions(write=False) as s:
            nxt = s.scalar(select(Delivery.next_at).where(
                Delivery.endpoint == endpoint, Delivery.state == "pending")
                .order_by(Delivery.next_at).limit(1))
        if nxt is None or time.monotonic() >= deadline:
            return total
        delay = (nxt.replace(tzinfo=None) - now().replace(tzinfo=None)).total_seconds()
        time.sleep(min(max(0.0, delay), max(0.0, deadline - time.monotonic())) + 0.001)


def status(s: Session) -> list[dict[str, Any]]:
    """Per endpoint and project: delivered and pending counts, the next record due, its
    attempts and last error."""
    rows = s.execute(
        select(Delivery.endpoint, IssuedRecord.project_code, IssuedRecord.seq, Delivery.state,
               Delivery.attempts, Delivery.next_at, Delivery.last_error)
        .join(IssuedRecord, IssuedRecord.id == Delivery.record_id)
        .order_by(Delivery.endpoint, IssuedRecord.project_code, IssuedRecord.seq)).all()
    out: dict[tuple[str, str], dict[str, Any]] = {}
    for endpoint, project, seq, state, attempts, next_at, error in rows:
        d = out.setdefault((endpoint, project), {
            "endpoint": endpoint, "project": project, "delivered": 0, "pending": 0,
            "last_delivered_seq": None, "next_seq": None, "attempts": 0, "next_at": None,
            "last_error": None})
        if state == "delivered":
            d["delivered"] += 1
            d["last_delivered_seq"] = seq
        else:
            d["pending"] += 1
            if d["next_seq"] is None:
                d.update(next_seq=seq, attempts=attempts, last_error=error,
                         next_at=next_at.isoformat() if next_at else None)
    return list(out.values())
