"""The outbox against a real HTTP receiver on loopback that is down, fails, times out and
recovers: every record arrives exactly once, in order per project (SQLite and PostgreSQL)."""

from __future__ import annotations

import socket
from datetime import UTC, datetime

from drawings import geo, registry
from storage.db import transaction
from tests.drawings.geohelp import rect
from tests.workflow.helpers import CODE
from tests.workflow.receiver import Receiver
from workflow import exchange

OTHER = "2024-110105-04-01-000002"
ISSUER = "乙审查中心"
FAST = exchange.Policy(timeout=0.5, base=0.05, cap=0.2)


def closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/records"


def issue_all(w) -> int:
    now = datetime.now(UTC)
    with transaction(w.sf, write=True) as s:
        return sum(len(exchange.issue(s, w.keys, p, issuer=ISSUER, now=now))
                   for p in (CODE, OTHER))


def test_every_record_once_and_in_order(world) -> None:
    w = world

    def sessions(write: bool = False):
        return transaction(w.sf, write=write)

    with transaction(w.sf, write=True) as s:
        registry.create_project(s, OTHER, "另一个项目")
        for project, x in ((CODE, 0), (CODE, 50), (OTHER, 0)):
            registry.add_unit(s, project, division="110105", footprint=rect(x, 0, 20, 20).wkt)
    issued = issue_all(w)
    assert issued == 5  # two projects, three units

    # the receiver is down: attempts are counted, the error kept, nothing delivered
    down = closed_port_url()
    with transaction(w.sf, write=True) as s:
        assert exchange.enqueue(s, down, now=datetime.now(UTC)) == issued
    assert exchange.push_once(sessions, down, policy=FAST) == {"sent": 0, "failed": 2}
    with transaction(w.sf) as s:
        st = exchange.status(s)
    assert [(x["project"], x["pending"], x["attempts"]) for x in st] == [
        (CODE, 3, 1), (OTHER, 2, 1)]
    assert all("Connection" in x["last_error"] or "refused" in x["last_error"] for x in st)

    # up, but the first answer is a 500 and the second comes too late (it kept the record)
    with Receiver(["fail", "slow", "fail"]) as rx:
        with transaction(w.sf, write=True) as s:
            exchange.enqueue(s, rx.url, now=datetime.now(UTC))
        result = exchange.push(sessions, rx.url, policy=FAST, wait=60)
        assert result["sent"] == issued and result["failed"] >= 3
        assert rx.out_of_order == []
        assert sorted(r["hash"] for r in rx.kept) == sorted(rx.posts)  # each kept once
        assert max(rx.posts.values()) >= 2  # the slow one was sent again, kept once
        for project, n in ((CODE, 3), (OTHER, 2)):
            assert [r["seq"] for r in rx.kept if r["project"] == project] == list(
                range(1, n + 1))
        with transaction(w.sf) as s:
            mine = [x for x in exchange.status(s) if x["endpoint"] == rx.url]
        assert [(x["delivered"], x["pending"]) for x in mine] == [(3, 0), (2, 0)]

        # a later fact: only its record goes, once
        before = dict(rx.posts)
        with transaction(w.sf, write=True) as s:
            u = registry.list_units(s, OTHER)[0]
            geo.set_footprint(s, u, rect(30, 30, 10, 10))
        assert issue_all(w) == 1
        with transaction(w.sf, write=True) as s:
            assert exchange.enqueue(s, rx.url, now=datetime.now(UTC)) == 1
        assert exchange.push(sessions, rx.url, policy=FAST, wait=30)["sent"] == 1
        new = set(rx.posts) - set(before)
        assert len(new) == 1 and rx.posts[new.pop()] == 1
        assert {k: rx.posts[k] for k in before} == before
        assert [r["seq"] for r in rx.kept if r["project"] == OTHER] == [1, 2, 3]


def test_endpoints_without_credentials() -> None:
    import pytest

    from storage.errors import InvalidInput
    from workflow.exchange.outbox import check_endpoint

    assert check_endpoint(" https://p.example/api ") == "https://p.example/api"
    for bad in ("ftp://p.example/", "https://user:secret@p.example/", "http://p.example:x/",
                "https://" + "a" * 500):
        with pytest.raises(InvalidInput) as e:
            check_endpoint(bad)
        assert "secret" not in str(e.value)
