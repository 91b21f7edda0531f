"""The whole loop on generated sheets, through the services."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from drawings import registry
from storage.errors import Conflict
from tests.workflow.helpers import CODE, World, commit, sheet_dxf
from workflow import audit, certificate, opinions, service
from workflow.machine import TransitionNotAllowed
from workflow.models import Certificate


def _anchor(x: float, y: float) -> dict:
    return {"type": "point", "coords": [x, y]}


def run_story(w: World) -> dict[str, str]:
    """Walk design -> archived; returns the version ids used."""
    with w.sf() as s, s.begin():
        v1 = commit(s, w.blobs, {"A-101": sheet_dxf("A-101", "一层平面"),
                                 "S-201": sheet_dxf("S-201", "基础")}, parents=[], at=w.tick())
    w.fire("submit", "des", version=v1, large_works=True)
    w.fire("accept_review", "rev_a")
    with w.sf() as s, s.begin():
        opinions.add_opinion(s, CODE, user="rev_a", keys=w.keys, sheet_no="A-101",
                             anchor=_anchor(800, 140), category="mandatory",
                             text="楼梯宽度不足 stair too narrow", now=w.tick(0.1))
        opinions.add_opinion(s, CODE, user="rev_s", keys=w.keys, sheet_no="S-201",
                             anchor={"type": "rect", "coords": [100, 100, 200, 200]},
                             category="general", text="基础说明 foundation note", now=w.tick(0.1))
    with pytest.raises(TransitionNotAllowed, match="#1"):
        w.fire("sign_discipline", "rev_a")  # the open mandatory opinion blocks 建筑's sign-off
    w.fire("return", "rev_a")
    with w.sf() as s, s.begin():
        opinions.reply(s, CODE, 1, "已加宽 widened", user="des", keys=w.keys, now=w.tick())
        opinions.reply(s, CODE, 2, "已补充 added", user="des", keys=w.keys, now=w.tick(0.1))
        v2 = commit(s, w.blobs, {"A-101": sheet_dxf("A-101", "一层平面", extra=5),
                                 "S-201": sheet_dxf("S-201", "基础")}, parents=[v1],
                    at=w.tick(0.1))
    w.fire("resubmit", "des", version=v2)
    with w.sf() as s:
        ops = {o.number: o for o in opinions.list_opinions(s, CODE)}
        assert ops[1].affected and not ops[2].affected  # A-101 changed where #1 points
        changes = opinions.round_changes(s, w.blobs, CODE)
        assert changes["changed"] == ["A-101"] and changes["sheets"]["A-101"]
    w.fire("accept_review", "rev_a")
    with w.sf() as s, s.begin():
        opinions.close(s, CODE, 1, "ok", user="rev_a", keys=w.keys, now=w.tick())
        first = changes["sheets"]["A-101"][0]
        opinions.mark_change(s, CODE, "A-101", first["id"], "accepted", user="rev_a",
                             keys=w.keys, blobs=w.blobs, now=w.tick(0.1))
    w.fire("sign_discipline", "rev_a")
    w.fire("sign_discipline", "rev_s")
    w.fire("approve", "rev_a")
    # design change, general: owner and supervisor confirm, the firm signs, current moves
    with w.sf() as s, s.begin():
        v3 = commit(s, w.blobs, {"A-101": sheet_dxf("A-101", "一层平面", extra=6),
                                 "S-201": sheet_dxf("S-201", "基础")}, parents=[v2],
                    at=w.tick())
    w.fire("propose_change", "des", version=v3, reason="业主要求 owner request",
           klass="general")
    w.fire("confirm_change", "own")
    w.fire("confirm_change", "sup")
    w.fire("sign_change", "des")
    with w.sf() as s, s.begin():
        assert registry.get_ref(s, CODE, "current").id == v3
        v4 = commit(s, w.blobs, {"A-101": sheet_dxf("A-101", "一层平面", extra=6, box=900),
                                 "S-201": sheet_dxf("S-201", "基础")}, parents=[v3],
                    at=w.tick())
    w.fire("submit_as_built", "con", version=v4)
    w.fire("confirm_as_built", "sup")
    w.fire("confirm_as_built", "own")
    w.fire("accept", "own")
    w.fire("archive", "arc")
    return {"v1": v1, "v2": v2, "v3": v3, "v4": v4}


def test_whole_loop(world: World) -> None:
    w = world
    vs = run_story(w)
    assert w.state() == "archived"
    with w.sf() as s:
        st = service.status(s, CODE, now=w.t)
        assert st["refs"]["approved"] == vs["v2"]
        assert st["refs"]["as-built"] == st["refs"]["archived"] == vs["v4"]
        assert [f["sheet"] for f in st["as_built"]["redraw"]] == ["A-101"]  # > 1/3 changed
        rep = audit.verify_chain(s, CODE, w.blobs)
        assert rep.ok, rep.problems
        assert rep.events >= 20
        assert rep.signatures == 2 * rep.events + 3  # user + org per event, 3 in the PDF
        cert = s.query(Certificate).one()
        pdf = w.blobs.read_bytes(cert.blob_id)
        results = certificate.verify(pdf, service.certificate_trust(s, cert))
        assert len(results) == 3  # two disciplines + the agency
        assert all(r["intact"] and r["valid"] and r["trusted"] for r in results)
        # the set in force in the middle of construction is v3, proven by the sign event
        when = next(e.at for e in audit.events(s, CODE) if e.event == "sign_change")
        proof = service.set_in_force(s, CODE, when)
        assert proof["version"]["id"] == vs["v3"] and proof["proof"]["event"] == "sign_change"
        assert any("archive" not in m.message for m in service.inbox(s, "arc"))


def test_tamper_is_named(world: World) -> None:
    w = world
    vs = run_story(w)
    with w.sf() as s, s.begin():
        s.execute(text("update wf_audit set body = replace(body, '楼梯', '楼房') "
                       "where event = 'opinion_add' and seq = 3"))
        blob = registry.get_version(s, vs["v1"]).manifest["S-201"]["blob"]
    # alter one byte of a stored blob (local store: make it writable first)
    path = w.blobs.root / blob[:2] / blob[2:] if hasattr(w.blobs, "root") else None
    assert path is not None and path.exists()
    path.chmod(0o644)
    data = bytearray(path.read_bytes())
    data[10] ^= 1
    path.write_bytes(bytes(data))
    with w.sf() as s:
        rep = audit.verify_chain(s, CODE, w.blobs)
    assert not rep.ok
    text_ = "\n".join(rep.problems)
    assert "#3" in text_ and "hash mismatch" in text_
    assert blob in text_


def test_concurrent_confirmations_one_wins(world: World) -> None:
    w = world
    with w.sf() as s, s.begin():
        v1 = commit(s, w.blobs, {"A-101": sheet_dxf("A-101", "一层平面")}, parents=[],
                    at=w.tick())
    w.fire("submit", "des", version=v1)
    a, b = w.sf(), w.sf()
    try:
        a.begin()
        b.begin()
        service.get_flow(a, CODE)
        service.get_flow(b, CODE)  # both have read the flow
        service.fire(a, CODE, "accept_review", user="rev_a", keys=w.keys, now=w.tick())
        a.commit()
        with pytest.raises(Conflict):
            service.fire(b, CODE, "accept_review", user="rev_s", keys=w.keys, now=w.tick())
        b.rollback()
    finally:
        a.close()
        b.close()
    assert w.state("submission") == "in_review"
    with w.sf() as s:
        assert [e.event for e in audit.events(s, CODE)] == ["submit", "accept_review"]


def test_concurrent_approvals_loser_gets_a_retryable_conflict(world: World) -> None:
    """The loser of two approvals started at once gets the concurrency conflict, not a clock
    complaint, even when its clock reads earlier than the winner's (PostgreSQL lets it see
    the winner's rows before it writes its own)."""
    from datetime import timedelta

    from tests.workflow.helpers import Driver

    w = world
    Driver(w).goto("signed")
    a, b = w.sf(), w.sf()
    flows: tuple = ()
    try:
        a.begin()
        b.begin()
        flows = service.get_flow(a, CODE), service.get_flow(b, CODE)  # both hold the flow
        late = w.tick()
        service.fire(a, CODE, "approve", user="rev_s", keys=w.keys, blobs=w.blobs, now=late)
        a.commit()
        with pytest.raises(Conflict, match="another user changed this project|no submission "
                                            "in state in_review"):
            service.fire(b, CODE, "approve", user="rev_a", keys=w.keys, blobs=w.blobs,
                         now=late - timedelta(minutes=5))
        b.rollback()
    finally:
        del flows
        a.close()
        b.close()
    with w.sf() as s:
        assert [e.event for e in audit.events(s, CODE)][-2:] == ["approve",
                                                                  "start_construction"]
        assert audit.verify_chain(s, CODE, w.blobs).ok
