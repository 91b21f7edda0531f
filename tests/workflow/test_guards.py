"""Guards, opinions, optimistic locking, outbox and the audit chain in detail."""

from __future__ import annotations

import pytest

from drawings import registry
from storage.errors import Conflict, InvalidInput, NotFound
from tests.workflow.helpers import CODE, Driver, World, setup_world, sheet_dxf
from workflow import audit, opinions, service
from workflow.machine import TransitionNotAllowed
from workflow.models import AuditEvent, JSONText


def test_resubmit_needs_every_opinion_answered(sqlite_world: World) -> None:
    w = sqlite_world
    Driver(w).goto("returned")
    v2 = w.version("v2", {"S-01": sheet_dxf("S-01", "桩基", extra=3)}, "v1")
    with pytest.raises(TransitionNotAllowed, match="unanswered opinions: #1"):
        w.fire("resubmit", "des", version=v2)
    w.opinion_act("reply", "des", 1)
    with pytest.raises(TransitionNotAllowed, match="last submitted"):
        w.fire("resubmit", "des", version=w.versions["v1"])
    w.fire("resubmit", "des", version=v2)


def test_return_needs_an_open_opinion_and_approval_no_open_mandatory(sqlite_world: World) -> None:
    w = sqlite_world
    Driver(w).goto("in_review")
    with pytest.raises(TransitionNotAllowed, match="no open opinion"):
        w.fire("return", "rev_s")
    w.opinion("rev_s", "S-01", category="general")
    w.opinion("rev_s", "S-02", category="mandatory")
    with pytest.raises(TransitionNotAllowed, match="open mandatory opinions: #2"):
        w.fire("sign_discipline", "rev_s")
    w.opinion_act("close", "rev_s", 2)
    w.fire("sign_discipline", "rev_s")
    w.fire("approve", "rev_s")  # an open general opinion does not block approval
    assert w.state("submission") == "approved" and w.state() == "construction"


def test_major_change_goes_back_to_review(sqlite_world: World) -> None:
    w = sqlite_world
    Driver(w, klass="major").goto("change_confirmed")
    with w.sf() as s:
        before = registry.get_ref(s, CODE, "current").id
    w.fire("sign_change", "des")
    with w.sf() as s:
        assert registry.get_ref(s, CODE, "current").id == before  # not moved yet
        assert registry.get_ref(s, CODE, "submitted").id == w.versions["v3"]
    assert w.state("change") == "in_review" and w.state("submission", 2) == "submitted"
    w.fire("accept_review", "rev_s")
    w.fire("sign_discipline", "rev_s")
    w.fire("approve", "rev_s")
    with w.sf() as s:
        assert registry.get_ref(s, CODE, "current").id == w.versions["v3"]
        assert service.status(s, CODE)["changes"][0]["state"] == "effective"


def test_withdrawing_a_major_change_ends_its_review(sqlite_world: World) -> None:
    w = sqlite_world
    Driver(w, klass="major").goto("change_confirmed")
    w.fire("sign_change", "des")
    with pytest.raises(TransitionNotAllowed, match="change withdraw"):
        w.fire("withdraw", "des", record=2)
    w.fire("withdraw_change", "des", record=1, reason="取消")
    assert w.state("submission", 2) == "withdrawn" and w.state("change") == "withdrawn"


def test_change_must_descend_from_current(sqlite_world: World) -> None:
    w = sqlite_world
    Driver(w).goto("approved")
    stray = w.version("stray", {"S-01": sheet_dxf("S-01", "桩基", extra=9)})
    with pytest.raises(TransitionNotAllowed, match="does not descend"):
        w.fire("propose_change", "des", version=stray, reason="x", klass="general")
    ok = w.version("v3", {"S-01": sheet_dxf("S-01", "桩基", extra=9)}, "current")
    with pytest.raises(InvalidInput, match="reason"):
        w.fire("propose_change", "des", version=ok, reason=" ", klass="general")
    same = w.version("same", {}, "current")
    with pytest.raises(TransitionNotAllowed, match="changes no sheet"):
        w.fire("propose_change", "des", version=same, reason="x")
    with w.sf() as s:
        assert service.records(s, service.CHANGE, registry.get_project(s, CODE)) == []


def test_acceptance_needs_both_confirmations(sqlite_world: World) -> None:
    w = sqlite_world
    Driver(w).goto("as_built_half")
    with pytest.raises(TransitionNotAllowed):
        w.fire("accept", "own")
    with pytest.raises(TransitionNotAllowed, match="already confirmed"):
        w.fire("confirm_as_built", "own")  # the owner confirmed first
    w.fire("confirm_as_built", "sup")
    w.fire("accept", "own")
    with pytest.raises(TransitionNotAllowed):
        w.fire("accept", "own")


def test_as_built_waits_for_open_changes_and_submissions(sqlite_world: World) -> None:
    w = sqlite_world
    Driver(w).goto("change_proposed")
    v = w.version("ab", {"S-01": sheet_dxf("S-01", "桩基", extra=4)}, "current")
    with pytest.raises(TransitionNotAllowed, match="C-1"):
        w.fire("submit_as_built", "con", version=v)


def test_opinion_rules(sqlite_world: World) -> None:
    w = sqlite_world
    Driver(w).goto("in_review")
    with pytest.raises(TransitionNotAllowed, match="may not"):
        w.opinion("des", "S-01")
    with pytest.raises(TransitionNotAllowed, match="Z-999"):
        w.opinion("rev_s", "Z-999")
    for kind, coords in [("point", [1]), ("rect", [1, 2, 3]), ("polygon", [[0, 0], [1, 1]]),
                         ("polygon", [[0, 0], [1, 1], [1, 0], [0, 1]]), ("circle", [1, 2])]:
        with pytest.raises(InvalidInput):
            opinions.make_anchor(kind, coords)
    with pytest.raises(InvalidInput):
        opinions.parse_category("urgent")
    assert opinions.parse_category("强制性条文") == "mandatory"
    w.opinion("rev_s", "S-01", category="advice")
    w.opinion_act("close", "rev_s", 1)
    w.opinion_act("reopen", "rev_s", 1, "again")
    with pytest.raises(TransitionNotAllowed, match="reopen"):
        w.opinion_act("reopen", "rev_s", 1)
    with w.sf() as s:
        lock = opinions.get_opinion(s, CODE, 1).lock
    with w.sf() as s, s.begin():
        opinions.reply(s, CODE, 1, "done", user="des", keys=w.keys, expect_lock=lock)
    with w.sf() as s, s.begin(), pytest.raises(Conflict, match="reload"):
        opinions.reply(s, CODE, 1, "again", user="des", keys=w.keys, expect_lock=lock)
    with w.sf() as s:
        (o,) = opinions.list_opinions(s, CODE)
        assert [r.kind for r in o.replies] == ["close", "reopen", "reply"]
        assert o.discipline == "结构"
        with pytest.raises(NotFound):
            opinions.get_opinion(s, CODE, 99)


def test_expect_lock_refuses_stale_forms(sqlite_world: World) -> None:
    w = sqlite_world
    Driver(w).goto("submitted")
    with w.sf() as s:
        seen = service.status(s, CODE)["submissions"][0]["lock"]
    w.fire("accept_review", "rev_a", record=1, expect_lock=seen)
    with pytest.raises(Conflict, match="changed since you looked"):
        w.fire("return", "rev_s", record=1, expect_lock=seen)


def test_outbox_tells_the_next_actor(sqlite_world: World) -> None:
    w = sqlite_world
    Driver(w).goto("submitted")
    with w.sf() as s:
        rev = service.inbox(s, "rev_s")
        assert len(rev) == 1 and "受理" in rev[0].message and "S-1" in rev[0].message
        assert service.inbox(s, "own") == []
    with w.sf() as s, s.begin():
        assert service.inbox(s, "rev_s", unread=True, mark_read=True)
    with w.sf() as s:
        assert service.inbox(s, "rev_s", unread=True) == []
    d = Driver(w)
    d.done = 1  # continue the same walk: submitted -> in_review -> returned
    d.goto("returned")
    with w.sf() as s:
        msgs = [m.message for m in service.inbox(s, "des")]
        assert any("退回" in m and "Resubmit" in m for m in msgs)


def test_sm2_organisation_signs_chain(engine, local_blobs, keys) -> None:
    from storage.db import session_factory

    w = setup_world(session_factory(engine), local_blobs, keys, sm2_org="乙审查中心")
    Driver(w).goto("in_review")
    with w.sf() as s:
        ev = audit.events(s, CODE)[-1]
        algs = {r["signer"]: r["alg"] for r in JSONText.load(ev.signatures)}
        assert algs == {"user:rev_s": "sm2-sm3", "org:乙审查中心": "sm2-sm3"}
        rep = audit.verify_chain(s, CODE, w.blobs)
        assert rep.ok and rep.signatures == 2 * rep.events


def test_verify_names_forged_signature_and_unknown_key(sqlite_world: World) -> None:
    w = sqlite_world
    Driver(w).goto("in_review")
    from workflow.signing import KeyRing

    rogue = KeyRing(w.keys.root.parent / "rogue", passphrase="")
    rogue.create("user:des")
    with w.sf() as s, s.begin():
        ev = s.query(AuditEvent).filter_by(seq=1).one()
        sigs = JSONText.load(ev.signatures)
        sigs[0] = rogue.sign("user:des", bytes.fromhex(ev.hash))  # valid, but unregistered key
        ev.signatures = JSONText.dump(sigs)
        ev2 = s.query(AuditEvent).filter_by(seq=2).one()
        sigs2 = JSONText.load(ev2.signatures)
        sigs2[1]["sig"] = sigs2[1]["sig"][::-1]
        ev2.signatures = JSONText.dump(sigs2)
    with w.sf() as s:
        problems = audit.verify_chain(s, CODE).problems
    assert any("#1" in p and "not registered" in p for p in problems)
    assert any("#2" in p and "bad signature" in p for p in problems)


def test_status_shows_overdue_review(sqlite_world: World) -> None:
    from datetime import timedelta

    w = sqlite_world
    Driver(w).goto("in_review")
    def clock(days: int) -> dict:
        with w.sf() as s:
            status = service.status(s, CODE, now=w.t + timedelta(days=days))
        return status["submissions"][0]["round"]["clock"]

    soon, late = clock(3), clock(30)
    assert soon["running"] and not soon["overdue"] and soon["limit"] == 10
    assert late["overdue"] and late["used"] > 10


def test_query_a_change_makes_an_opinion(sqlite_world: World) -> None:
    w = sqlite_world
    Driver(w).goto("in_review")
    with w.sf() as s, s.begin(), pytest.raises(Conflict, match="first round"):
        opinions.mark_change(s, CODE, "S-01", "c1", "accepted", user="rev_s", keys=w.keys,
                             blobs=w.blobs)
    d = Driver(w)
    d.done = 2
    d.goto("in_review2")
    with w.sf() as s:
        diff = opinions.round_changes(s, w.blobs, CODE)
    assert diff["changed"] == ["S-01"] and diff["previous"] == w.versions["v1"]
    c1, c2 = diff["sheets"]["S-01"][:2]
    with w.sf() as s, s.begin():
        m = opinions.mark_change(s, CODE, "S-01", c1["id"], "queried", user="rev_s",
                                 keys=w.keys, blobs=w.blobs, text="为何增加？why added?")
        opinions.mark_change(s, CODE, "S-01", c2["id"], "accepted", user="rev_a", keys=w.keys,
                             blobs=w.blobs)
        assert m.opinion_id is not None
    with w.sf() as s, s.begin(), pytest.raises(Conflict, match="already marked"):
        opinions.mark_change(s, CODE, "S-01", c2["id"], "accepted", user="rev_s",
                             keys=w.keys, blobs=w.blobs)
    with w.sf() as s:
        o = opinions.get_opinion(s, CODE, 2)
        assert o.change_id == c1["id"] and JSONText.load(o.anchor)["type"] == "rect"
        marks = {c["id"]: c["mark"] for c in opinions.round_changes(s, w.blobs, CODE)
                 ["sheets"]["S-01"]}
        assert marks[c1["id"]] == "queried" and marks[c2["id"]] == "accepted"


def test_disciplines_from_title_block_prefix_and_override(sqlite_world: World) -> None:
    w = sqlite_world
    w.version("v1", {"结施-01": sheet_dxf("结施-01", "基础"), "X-9": sheet_dxf("X-9", "说明"),
                     "A-101": sheet_dxf("A-101", "平面")})
    with w.sf() as s:
        assert service.sheet_disciplines(s, CODE, w.versions["v1"]) == {
            "A-101": "建筑", "X-9": "未分类", "结施-01": "结构"}
    with w.sf() as s, s.begin():
        with pytest.raises(Conflict, match="may not"):
            service.set_discipline(s, CODE, "X-9", "电气", user="own", keys=w.keys)
        service.set_discipline(s, CODE, "X-9", "electrical", user="des", keys=w.keys)
    with w.sf() as s:
        assert service.sheet_disciplines(s, CODE, w.versions["v1"])["X-9"] == "电气"
        assert audit.events(s, CODE)[-1].event == "set_discipline"


def test_a_sheet_the_diff_cannot_measure_is_flagged(sqlite_world: World, tmp_path) -> None:
    """A failing diff must not exempt a sheet from the one-third rule: it is flagged "not
    measured" with the reason, in the event, in `status` and in `yitaotu status`."""
    from click.testing import CliRunner

    from yitaotu.cli import cli

    w = sqlite_world
    Driver(w).goto("current")
    v4 = w.version("v4", {"S-01": b"0\nSECTION\n2\nENTITIES\nnot a drawing"}, "current")
    ev = w.fire("submit_as_built", "con", version=v4, redrawn=[])
    (flag,) = JSONText.load(ev.body)["payload"]["redraw"]
    assert flag["sheet"] == "S-01" and flag["measured"] is False and flag["fraction"] is None
    assert flag["reason"].startswith("比对失败 diff failed: ")
    with w.sf() as s:
        assert service.status(s, CODE)["as_built"]["redraw"] == [flag]
    env = {"YITAOTU_HOME": str(tmp_path), "YITAOTU_DATABASE_URL": f"sqlite:///{tmp_path}/wf.db",
           "YITAOTU_BLOBS": (tmp_path / "objects").as_uri()}
    out = CliRunner().invoke(cli, ["status", CODE], env=env).output
    assert "S-01: 未能测量 not measured (比对失败 diff failed: " in out and "check by hand" in out
