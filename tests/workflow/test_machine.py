"""The declared tables: checks at import, drawings, and every row of every lifecycle allowed for
its actors and refused for everyone else."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from storage.db import make_engine, session_factory
from storage.migrate import upgrade
from tests.workflow.helpers import USER_OF, Driver, World, setup_world, sheet_dxf
from workflow import audit, machine
from workflow.machine import (
    LIFECYCLES,
    InvalidDefinition,
    Lifecycle,
    Role,
    Transition,
    TransitionNotAllowed,
    lifecycle_of,
)
from workflow.signing import KeyRing

ROWS_ALL = [t for lc in LIFECYCLES for t in lc.transitions]


def test_tables_check_and_every_state_is_used() -> None:
    for lc in LIFECYCLES:
        machine.check(lc)
        used = {t.source for t in lc.transitions} | {t.target for t in lc.transitions}
        assert set(lc.states) <= used, lc.kind


def _with(lc: Lifecycle, rows: list[Transition]) -> Lifecycle:
    return dataclasses.replace(lc, transitions=tuple(rows))


P = machine.PROJECT


@pytest.mark.parametrize("bad, message", [
    (_with(P, [*P.transitions, Transition("archive", "archived", "design",
                                          frozenset({Role.admin}))]), "final"),
    (_with(P, [t for t in P.transitions if t.event != "archive"]), "unreachable"),
    (_with(P, [t for t in P.transitions if t.event != "archive"]
           + [Transition("archive", "as_built_confirmed", "archived",
                         frozenset({Role.archivist}))]), "trap"),
    (_with(P, [*P.transitions, Transition("accept", "design", "construction",
                                          frozenset({Role.design}), ("no_such_guard",))]),
     "undeclared guard"),
    (_with(P, [*P.transitions, Transition("submit", "design", "construction",
                                          frozenset({Role.design}))]), "declared by"),
])
def test_bad_tables_are_refused(bad: Lifecycle, message: str) -> None:
    with pytest.raises(InvalidDefinition, match=message):
        machine.check(bad)


def test_graph_outputs() -> None:
    mermaid, dot = machine.to_mermaid(), machine.to_dot()
    assert mermaid.count("stateDiagram-v2") == len(LIFECYCLES)
    assert dot.startswith("digraph")
    for lc in LIFECYCLES:
        for t in lc.transitions:
            src = "[*]" if t.source is None else f"{lc.kind}_{t.source}"
            assert f"{src} --> {lc.kind}_{t.target}: {t.event}" in mermaid
    assert len(machine.describe()) == len(ROWS_ALL)


# -- every row ----------------------------------------------------------------------------------

Kw = dict[str, Any]
#: row key -> f(world, acting role) -> the event's keyword arguments (None: no path exists for
#: that role, said in a comment on the row)
Setup = Callable[[World, Role], Kw | None]


def at(checkpoint: str, kw: Kw | None = None, **options: Any) -> Setup:
    def setup(w: World, actor: Role) -> Kw:
        Driver(w, **options).goto(checkpoint)
        return dict(kw or {})
    return setup


def other(role: Role) -> str:
    return "supervisor" if role == Role.owner else "owner"


def half(checkpoint: str, kw: Kw | None = None, **options: Any) -> Setup:
    """The second confirmation: the other party confirms first."""
    def setup(w: World, actor: Role) -> Kw:
        Driver(w, first=other(actor), **options).goto(checkpoint)
        return dict(kw or {})
    return setup


def new_version(name: str, sheet: str = "S-01", **kw: Any) -> Callable[[World], str]:
    return lambda w: w.version(name, {sheet: sheet_dxf(sheet, "x", **kw)}, "current")


def first_version(w: World, actor: Role) -> Kw:
    return {"version": w.version("v1", {"S-01": sheet_dxf("S-01", "桩基")})}


def proposal(w: World, actor: Role) -> Kw:
    Driver(w).goto("approved")
    return {"version": new_version("vx", extra=9)(w), "reason": "变更 change"}


def raised(then: str | None = None) -> Setup:
    """A change raised by the contractor (C-1), answered with drawings, then ``then``."""
    def setup(w: World, actor: Role) -> Kw:
        Driver(w).goto("approved")
        w.fire("raise_change", "con", kind="negotiation", reason="换材料")
        if then in ("proposed", "confirmed"):
            w.fire("answer_change", "des", record=1, text="同意",
                   version=new_version("va", extra=7)(w))
        if then == "confirmed":
            w.fire("confirm_change", "own", record=1)
            w.fire("confirm_change", "sup", record=1)
        return {"record": 1}
    return setup


def stale(state: str) -> Setup:
    """C-1 (proposed, or confirmed) made stale by C-2 on the same sheet; the rebase keeps both."""
    def setup(w: World, actor: Role) -> Kw:
        Driver(w).goto("change_proposed" if state == "proposed" else "change_confirmed")
        w.fire("propose_change", "des", version=new_version("c2", extra=3, box=200)(w),
               reason="另一变更")
        w.fire("confirm_change", "own", record=2)
        w.fire("confirm_change", "sup", record=2)
        w.fire("sign_change", "des", record=2)
        return {"record": 1, "version": new_version("rebased", extra=5, box=200)(w)}
    return setup


def withdraw(state: str) -> Setup:
    def setup(w: World, actor: Role) -> Kw | None:
        if actor == Role.contractor:
            if state not in ("raised", "proposed", "confirmed"):
                return None  # the contractor raises no requested or reviewed change
            return raised(state)(w, actor)
        checkpoint = {"requested": "question_answered", "proposed": "change_proposed",
                      "confirmed": "change_confirmed", "in_review": "change_confirmed"}
        if state == "raised":
            return None  # a raised change is the contractor's
        Driver(w, klass="major" if state == "in_review" else "general").goto(checkpoint[state])
        if state == "in_review":
            w.fire("sign_change", "des", record=1)
        return {"record": 1}
    return setup


def minutes_last(w: World, actor: Role) -> Kw:
    Driver(w).goto("meeting_closed")
    for role in ("owner", "design", "contractor", "supervisor"):
        if role != actor.value:
            w.fire("sign_minutes", USER_OF[role])
    return {}


def reopened(w: World, actor: Role) -> Kw:
    Driver(w).goto("in_review2")
    w.opinion_act("reopen", "rev_s", 1)
    return {"record": 1, "text": "ok"}


ANCHOR = {"type": "point", "coords": [500, 300]}

ROWS: dict[str, Setup] = {
    # the project
    "submit_as_built:construction->as_built_submitted": lambda w, a: (
        Driver(w).goto("current") and {"version": new_version("ab", box=900)(w)}),
    "confirm_as_built:as_built_submitted->as_built_submitted": at("as_built_submitted"),
    "confirm_as_built:as_built_submitted->as_built_confirmed": half("as_built_half"),
    "reject_as_built:as_built_submitted->construction": at("as_built_submitted"),
    "reject_as_built:as_built_confirmed->construction": at("as_built_confirmed"),
    "accept:as_built_confirmed->accepted": at("as_built_confirmed"),
    "archive:accepted->archived": at("accepted"),
    # submissions
    "submit:∅->submitted": first_version,
    "accept_review:submitted->in_review": at("submitted", {"record": 1}),
    "accept_review:resubmitted->in_review": at("resubmitted", {"record": 1}),
    "return:in_review->returned": at("has_opinion", {"record": 1}),
    "resubmit:returned->resubmitted": lambda w, a: (
        Driver(w).goto("answered") and {"record": 1, "version": w.versions["v2"]}),
    "sign_discipline:in_review->in_review": at("in_review", {"record": 1}),
    "approve:in_review->approved": at("signed", {"record": 1}),
    "withdraw:submitted->withdrawn": at("submitted", {"record": 1}),
    "withdraw:returned->withdrawn": at("returned", {"record": 1}),
    "withdraw:resubmitted->withdrawn": at("resubmitted", {"record": 1}),
    # changes
    "propose_change:∅->proposed": proposal,
    "request_change:∅->requested": at("approved", {"reason": "出图"}),
    "propose_change:requested->proposed": lambda w, a: (
        Driver(w).goto("question_answered") and {"record": 1,
                                                 "version": new_version("vr", extra=6)(w)}),
    "raise_change:∅->raised": at("approved", {"kind": "verification", "reason": "核定"}),
    "answer_change:raised->proposed": lambda w, a: {**raised()(w, a), "text": "答复"},
    "confirm_change:proposed->proposed": at("change_proposed", {"record": 1}),
    "confirm_change:proposed->confirmed": half("change_half", {"record": 1}),
    "rebase_change:proposed->proposed": stale("proposed"),
    "rebase_change:confirmed->proposed": stale("confirmed"),
    "sign_change:confirmed->effective": at("change_confirmed", {"record": 1}),
    "sign_change:confirmed->in_review": at("change_confirmed", {"record": 1}, klass="major"),
    "reject_change:raised->rejected": raised(),
    "reject_change:proposed->rejected": at("change_proposed", {"record": 1}),
    "reject_change:confirmed->rejected": at("change_confirmed", {"record": 1}),
    "withdraw_change:requested->withdrawn": withdraw("requested"),
    "withdraw_change:raised->withdrawn": withdraw("raised"),
    "withdraw_change:proposed->withdrawn": withdraw("proposed"),
    "withdraw_change:confirmed->withdrawn": withdraw("confirmed"),
    "withdraw_change:in_review->withdrawn": withdraw("in_review"),
    # 图纸会审
    "open_meeting:∅->open": at("approved", {"participants": {
        "owner": ["own"], "design": ["des"], "contractor": ["con"], "supervisor": ["sup"]}}),
    "close_meeting:open->closed": at("question_answered", {"record": 1}),
    "sign_minutes:closed->closed": at("meeting_closed", {"record": 1}),
    "sign_minutes:closed->signed": minutes_last,
    "raise_question:∅->open": at("meeting_open", {"meeting": 1, "sheet": "S-01",
                                                  "anchor": ANCHOR, "text": "问题"}),
    "answer_question:open->answered": at("question_open", {"record": 1, "text": "答复"}),
    # opinions
    "opinion_add:∅->open": at("in_review", {"sheet": "S-01", "anchor": ANCHOR,
                                            "category": "general", "text": "意见"}),
    "opinion_reply:open->answered": at("has_opinion", {"record": 1, "text": "已改"}),
    "opinion_reply:answered->answered": at("in_review2", {"record": 1, "text": "补充"}),
    "opinion_reply:reopened->answered": reopened,
    "opinion_close:open->closed": at("has_opinion", {"record": 1, "text": "ok"}),
    "opinion_close:answered->closed": at("in_review2", {"record": 1, "text": "ok"}),
    "opinion_close:reopened->closed": reopened,
    "opinion_reopen:answered->reopened": at("in_review2", {"record": 1, "text": "再看"}),
    "opinion_reopen:closed->reopened": at("opinion_closed", {"record": 1, "text": "再看"}),
}

#: Rows no one takes by hand: another event takes them in the same action.
#: row key -> (checkpoint, options, the event that takes it, its user, kwargs, record)
CASCADES: dict[str, tuple[str, Kw, str, str, Kw, int | None]] = {
    "start_construction:design->construction": ("signed", {}, "approve", "rev_s",
                                                {"record": 1}, None),
    "approve_change:in_review->effective": ("change_confirmed", {"klass": "major"}, "approve",
                                            "rev_s", {"record": 2}, 1),
}


def test_every_row_has_a_setup() -> None:
    assert set(ROWS) | set(CASCADES) == {t.key for t in ROWS_ALL}


@pytest.fixture
def new_world(tmp_path: Path):
    engines = []

    def make(n: int) -> World:
        from storage.blobs import open_blob_store

        eng = make_engine(f"sqlite:///{tmp_path / f'wf{n}.db'}")
        upgrade(eng)
        engines.append(eng)
        return setup_world(session_factory(eng), open_blob_store(
            (tmp_path / "objects").as_uri()), KeyRing(tmp_path / f"keys{n}", passphrase=""))

    yield make
    for e in engines:
        e.dispose()


def _state(w: World, kind: str, kw: Kw) -> str | None:
    try:
        return w.state(kind, int(kw["record"]) if "record" in kw else 1)
    except Exception:  # noqa: BLE001 - a record not made yet
        return None


@pytest.mark.parametrize("row", [t for t in ROWS_ALL if t.key in ROWS], ids=lambda t: t.key)
def test_row_allowed_for_its_actors_refused_for_others(row: Transition, new_world) -> None:
    kind = lifecycle_of(row.event).kind
    others = [u for r, u in USER_OF.items() if Role(r) not in row.actors] + ["nobody"]
    tried = 0
    for n, actor in enumerate(sorted(row.actors)):
        w = new_world(n)
        kw = ROWS[row.key](w, actor)
        if kw is None:
            continue
        tried += 1
        if row.source is not None:
            assert _state(w, kind, kw) == row.source, (row.key, actor)
        for user in others:
            with pytest.raises(TransitionNotAllowed, match="may not|无权"):
                w.fire(row.event, user, **dict(kw))
        ev = w.fire(row.event, USER_OF[actor.value], **dict(kw))
        assert ev.event == row.event
        number = ev.to_dict()["payload"]["record"]["number"]
        assert _state(w, kind, {"record": number}) == row.target, (row.key, actor)
    assert tried, row.key


@pytest.mark.parametrize("key", sorted(CASCADES))
def test_cascaded_rows(key: str, new_world) -> None:
    row = next(t for t in ROWS_ALL if t.key == key)
    checkpoint, options, event, user, kw, record = CASCADES[key]
    w = new_world(0)
    d = Driver(w, **options).goto(checkpoint)
    if key.startswith("approve_change"):
        w.fire("sign_change", "des", record=1)
        w.fire("accept_review", "rev_s", record=2)
        w.fire("sign_discipline", "rev_s", record=2)
    kind = lifecycle_of(row.event).kind
    assert w.state(kind, record) == row.source
    for other_user in [u for r, u in USER_OF.items() if Role(r) not in row.actors]:
        with pytest.raises(TransitionNotAllowed, match="may not|无权"):
            w.fire(row.event, other_user, record=record)
    with pytest.raises(TransitionNotAllowed):  # its guard holds only inside the action
        w.fire(row.event, USER_OF[sorted(row.actors)[0].value], record=record)
    ev = w.fire(event, user, **kw)
    with w.sf() as s:
        follow = [e for e in audit.events(s, ev.project_code) if e.seq > ev.seq]
    assert [e.event for e in follow][:1] == [row.event]
    assert follow[0].actor == user and w.state(kind, record) == row.target
    assert d is not None


def test_refusal_lists_allowed_events(new_world) -> None:
    w = new_world(0)
    Driver(w).goto("submitted")
    with pytest.raises(TransitionNotAllowed) as err:
        w.fire("approve", "rev_a")
    assert err.value.allowed == ["accept_review"]
    assert "accept_review" in str(err.value)
