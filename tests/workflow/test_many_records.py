"""The loop as real projects run it: a staged approval (桩基 first, then the rest) reviewed by two
disciplines, a 图纸会审 with two answered questions, three changes open at once (two general,
one major) with a rebase conflict, a 技术核定单 answered without drawings, and the set in force
asked at six moments — each answer checked sheet by sheet, with its proof."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from drawings import registry
from storage.errors import NotFound
from tests.workflow.helpers import CODE, PARTICIPANTS, T0, World, sheet_dxf
from workflow import audit, service
from workflow.machine import TransitionNotAllowed


def blob(w: World, version: str, sheet: str) -> str:
    with w.sf() as s:
        return registry.get_version(s, w.versions.get(version, version)).manifest[sheet]["blob"]


def in_force_blobs(w: World, when: datetime) -> dict[str, str]:
    return {no: e["blob"] for no, e in w.in_force(when)["version"]["manifest"].items()}


def story(w: World) -> dict[str, datetime]:
    """Runs the story; returns the six moments asked about."""
    moments: dict[str, datetime] = {}
    sheets = {"S-01": sheet_dxf("S-01", "桩位图"), "S-02": sheet_dxf("S-02", "基坑支护"),
              "A-101": sheet_dxf("A-101", "一层平面"), "A-102": sheet_dxf("A-102", "二层平面"),
              "S-101": sheet_dxf("S-101", "梁配筋")}
    w.version("v1", sheets)
    moments["before"] = w.tick(0.01)

    # -- 桩基 first: only the pile and pit drawings (S-0*), reviewed by the structural reviewer
    w.fire("submit", "des", version=w.versions["v1"], stage="桩基", sheets=["S-0*"])
    w.fire("accept_review", "rev_s")
    w.opinion("rev_s", "S-01", category="mandatory")
    with pytest.raises(TransitionNotAllowed, match="cannot act for 结构"):
        w.opinion("rev_a", "S-01", submission=1, discipline="结构")  # not their discipline
    w.fire("return", "rev_s")
    w.opinion_act("reply", "des", 1, "桩长已调整 pile length adjusted")
    w.version("v2", {"S-01": sheet_dxf("S-01", "桩位图", extra=3)}, "v1")
    w.fire("resubmit", "des", version=w.versions["v2"])
    w.fire("accept_review", "rev_s")
    with pytest.raises(TransitionNotAllowed, match="结构"):
        w.fire("approve", "rev_s")  # the discipline has not signed
    with pytest.raises(TransitionNotAllowed, match="#1"):
        w.fire("sign_discipline", "rev_s")  # its mandatory opinion is open
    w.opinion_act("close", "rev_s", 1)
    with pytest.raises(TransitionNotAllowed, match="结构"):
        w.fire("sign_discipline", "rev_a", discipline="结构")  # an architect cannot sign it
    w.fire("sign_discipline", "rev_s")
    w.fire("approve", "rev_s")
    assert w.state() == "construction"
    moments["piles"] = w.tick(0.01)

    # -- then the rest (主体): architecture and structure, two reviewers, two sign-offs
    with pytest.raises(TransitionNotAllowed, match="S-01"):  # approved sheets go by change
        w.fire("submit", "des", version=w.versions["v2"], stage="主体")
    w.fire("submit", "des", version=w.versions["v2"], stage="主体", sheets=["A-*", "S-1*"])
    w.fire("accept_review", "rev_a")
    w.opinion("rev_a", "A-101")  # general, 建筑
    with pytest.raises(TransitionNotAllowed, match="建筑"):
        w.opinion_act("close", "rev_s", 2)  # the structural reviewer cannot close it
    w.fire("sign_discipline", "rev_a", record=2)
    with pytest.raises(TransitionNotAllowed, match="结构"):
        w.fire("approve", "rev_a", record=2)
    w.fire("sign_discipline", "rev_s", record=2)
    w.fire("approve", "rev_a", record=2)
    moments["all"] = w.tick(0.01)

    # -- 图纸会审: two questions; the second needs drawings (a 设计变更 is requested)
    w.fire("open_meeting", "own", participants=PARTICIPANTS, held_on="2026-04-01",
           location="项目部会议室")
    w.fire("raise_question", "con", meeting=1, sheet="A-101",
           anchor={"type": "point", "coords": [300, 300]}, text="门洞尺寸未标注")
    w.fire("raise_question", "sup", meeting=1, sheet="S-101",
           anchor={"type": "rect", "coords": [100, 100, 400, 300]}, text="梁配筋不足")
    with pytest.raises(TransitionNotAllowed, match="Q-"):
        w.fire("close_meeting", "own")  # unanswered questions
    w.fire("answer_question", "des", record=1, text="门洞 1000×2100，见门窗表")
    w.fire("answer_question", "des", record=2, text="加大配筋，出设计变更", requires_change=True)
    w.fire("close_meeting", "own")
    for u in ("own", "des", "con", "sup"):
        w.fire("sign_minutes", u)
    assert w.state("meeting", 1) == "signed" and w.state("change", 1) == "requested"

    # -- three changes open at once; C-2 and C-3 both touch A-101
    w.version("v3", {"S-101": sheet_dxf("S-101", "梁配筋", extra=2)}, "current")
    w.fire("propose_change", "des", record=1, version=w.versions["v3"])  # C-1 (from the meeting)
    w.version("v4", {"A-101": sheet_dxf("A-101", "一层平面", extra=4)}, "current")
    w.fire("propose_change", "des", version=w.versions["v4"], reason="业主要求加门",
           klass="general")  # C-2
    w.version("v5", {"A-101": sheet_dxf("A-101", "一层平面", box=300),
                     "A-102": sheet_dxf("A-102", "二层平面", extra=2)}, "current")
    w.fire("propose_change", "des", version=w.versions["v5"], reason="平面调整",
           klass="major")  # C-3
    for user in ("own", "sup"):
        w.fire("confirm_change", user, record=2)
    w.fire("confirm_change", "own", record=3)
    w.fire("sign_change", "des", record=2)
    moments["c2"] = w.tick(0.01)

    # C-3 is now stale on A-101: no more confirmations, and a rebase must keep C-2's edit
    with pytest.raises(TransitionNotAllowed, match="A-101"):
        w.fire("confirm_change", "sup", record=3)
    w.version("v5-lost", {"A-101": sheet_dxf("A-101", "一层平面", box=300),
                          "A-102": sheet_dxf("A-102", "二层平面", extra=2)}, "current")
    with pytest.raises(TransitionNotAllowed, match="lost"):
        w.fire("rebase_change", "des", record=3, version=w.versions["v5-lost"])
    w.version("v5b", {"A-101": sheet_dxf("A-101", "一层平面", extra=4, box=300),
                      "A-102": sheet_dxf("A-102", "二层平面", extra=2)}, "current")
    w.fire("rebase_change", "des", record=3, version=w.versions["v5b"])
    with w.sf() as s:
        c3 = service.get_record(s, service.lifecycle("change"), registry.get_project(s, CODE), 3)
        assert c3.owner_by is None  # the rebased drawings are confirmed anew

    # C-1 becomes effective between C-2 and C-3
    for user in ("sup", "own"):
        w.fire("confirm_change", user, record=1)
    w.fire("sign_change", "des", record=1)
    moments["c1"] = w.tick(0.01)

    # a 技术核定单 from the contractor, answered without drawings, is in force as a record
    w.fire("raise_change", "con", kind="verification", reason="混凝土强度等级可否调整")
    w.fire("answer_change", "des", record=4, text="同意 C35 改 C40")
    for user in ("own", "sup"):
        w.fire("confirm_change", user, record=4)
    current_before = in_force_blobs(w, w.tick(0.001))
    w.fire("sign_change", "des", record=4)
    assert in_force_blobs(w, w.tick(0.001)) == current_before  # no drawing changed

    # C-3 (major) goes through review as its own submission, then is effective
    for user in ("own", "sup"):
        w.fire("confirm_change", user, record=3)
    w.fire("sign_change", "des", record=3)
    assert w.state("change", 3) == "in_review" and w.state("submission", 3) == "submitted"
    w.fire("accept_review", "rev_a", record=3)
    w.fire("sign_discipline", "rev_a", record=3)
    w.fire("approve", "rev_a", record=3)
    assert w.state("change", 3) == "effective"
    moments["c3"] = w.tick(0.01)
    return moments


def test_story_and_the_set_in_force_at_six_moments(world: World) -> None:
    w = world
    t = story(w)
    with pytest.raises(NotFound):
        w.in_force(t["before"])
    expect = {
        "piles": {"S-01": blob(w, "v2", "S-01"), "S-02": blob(w, "v1", "S-02")},
        "all": {"S-01": blob(w, "v2", "S-01"), "S-02": blob(w, "v1", "S-02"),
                "A-101": blob(w, "v1", "A-101"), "A-102": blob(w, "v1", "A-102"),
                "S-101": blob(w, "v1", "S-101")},
    }
    expect["c2"] = {**expect["all"], "A-101": blob(w, "v4", "A-101")}
    expect["c1"] = {**expect["c2"], "S-101": blob(w, "v3", "S-101")}
    expect["c3"] = {**expect["c1"], "A-101": blob(w, "v5b", "A-101"),
                    "A-102": blob(w, "v5", "A-102")}
    for moment, sheets in expect.items():
        assert in_force_blobs(w, t[moment]) == sheets, moment
    # where each sheet came from, and the signed events of every change in force
    last = w.in_force(t["c3"])
    assert last["sheets"] == {"S-01": "S-1", "S-02": "S-1", "A-101": "C-3", "A-102": "C-3",
                              "S-101": "C-1"}
    assert [p["stage"] for p in last["parts"]] == ["桩基", "主体", "变更 C-3"]
    assert [c["change"] for c in last["changes"]] == ["C-2", "C-1", "C-4", "C-3"]
    c3 = next(c for c in last["changes"] if c["change"] == "C-3")
    assert [e["event"] for e in c3["events"]] == [
        "propose_change", "confirm_change", "rebase_change", "confirm_change",
        "confirm_change", "sign_change", "approve_change"]
    assert all(len(e["signers"]) == 2 for c in last["changes"] for e in c["events"])
    at_c2 = w.in_force(t["c2"])
    assert [c["change"] for c in at_c2["changes"]] == ["C-2"]
    assert at_c2["proof"]["event"] == "sign_change"
    with w.sf() as s:
        assert audit.verify_chain(s, CODE, w.blobs).ok


def test_status_shows_open_changes_by_state(world: World) -> None:
    w = world
    story(w)
    w.version("v6", {"A-102": sheet_dxf("A-102", "二层平面", extra=9)}, "current")
    w.fire("propose_change", "des", version=w.versions["v6"], reason="再调整")
    w.fire("raise_change", "con", kind="negotiation", reason="材料替换")
    with w.sf() as s:
        st = service.status(s, CODE, user="own")
    assert st["open_changes"] == {"proposed": ["C-5"], "raised": ["C-6"]}
    assert st["you"]["allowed"]["C-5"] == ["confirm_change", "reject_change"]
    assert [c["stage"] for c in st["certificates"]] == ["桩基", "主体", "变更 C-3"]


def test_two_stages_cannot_review_the_same_sheet_at_once(world: World) -> None:
    w = world
    w.version("v1", {"S-01": sheet_dxf("S-01", "桩位图"), "A-101": sheet_dxf("A-101", "平面")})
    w.fire("submit", "des", version=w.versions["v1"], stage="桩基", sheets=["S-*"])
    with pytest.raises(TransitionNotAllowed, match="S-01"):
        w.fire("submit", "des", version=w.versions["v1"], stage="全部")
    with pytest.raises(TransitionNotAllowed, match="no sheet matches"):
        w.fire("submit", "des", version=w.versions["v1"], stage="幕墙", sheets=["CW-*"])
    w.fire("submit", "des", version=w.versions["v1"], stage="主体", sheets=["A-*"])


@pytest.mark.parametrize("touch_structure", [False, True])
def test_a_signoff_lapses_when_its_sheets_change(world: World, touch_structure: bool) -> None:
    w = world
    w.version("v1", {"S-01": sheet_dxf("S-01", "桩位图"), "A-101": sheet_dxf("A-101", "平面")})
    w.fire("submit", "des", version=w.versions["v1"])
    w.fire("accept_review", "rev_a")
    w.fire("sign_discipline", "rev_s")
    w.opinion("rev_a", "A-101")
    w.fire("return", "rev_a")
    w.opinion_act("reply", "des", 1)
    changed = {"A-101": sheet_dxf("A-101", "平面", extra=2)}
    if touch_structure:
        changed["S-01"] = sheet_dxf("S-01", "桩位图", extra=1)
    w.version("v2", changed, "v1")
    w.fire("resubmit", "des", version=w.versions["v2"])
    w.fire("accept_review", "rev_a")
    w.fire("sign_discipline", "rev_a")
    if touch_structure:  # S-01 changed since 结构 signed: it signs again
        with pytest.raises(TransitionNotAllowed, match="结构"):
            w.fire("approve", "rev_a")
        w.fire("sign_discipline", "rev_s")
    w.fire("approve", "rev_a")
    assert w.state("submission", 1) == "approved"


def test_changes_only_in_construction_and_as_built_waits_for_them(world: World) -> None:
    w = world
    w.version("v1", {"S-01": sheet_dxf("S-01", "桩位图")})
    with pytest.raises(TransitionNotAllowed, match="construction"):
        w.fire("propose_change", "des", version=w.versions["v1"], reason="x")
    w.fire("submit", "des", version=w.versions["v1"])
    w.fire("accept_review", "rev_s")
    w.fire("sign_discipline", "rev_s")
    w.fire("approve", "rev_s")
    w.fire("raise_change", "con", kind="negotiation", reason="换材料")
    w.version("v2", {"S-01": sheet_dxf("S-01", "桩位图", box=800)}, "current")
    with pytest.raises(TransitionNotAllowed, match="C-1"):
        w.fire("submit_as_built", "con", version=w.versions["v2"])
    w.fire("withdraw_change", "con", record=1)
    w.fire("submit_as_built", "con", version=w.versions["v2"])


def test_moments_between_events_are_in_force_as_of_the_last_move(world: World) -> None:
    w = world
    t = story(w)
    for name in ("piles", "all", "c2", "c1", "c3"):
        earlier = in_force_blobs(w, t[name])
        assert in_force_blobs(w, t[name] + timedelta(seconds=1)) == earlier
    assert t["before"] > T0
