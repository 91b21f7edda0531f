"""The declared table: checks at import, drawings, and every row allowed for its actors and
refused for everyone else."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from storage.db import make_engine, session_factory
from storage.migrate import upgrade
from tests.workflow.helpers import USER_OF, Driver, setup_world, sheet_dxf
from workflow import machine
from workflow.machine import (
    TRANSITIONS,
    InvalidDefinition,
    Role,
    State,
    Transition,
    TransitionNotAllowed,
)
from workflow.signing import KeyRing


def test_table_checks_pass_and_every_state_is_used() -> None:
    machine.check()
    used = {t.source for t in TRANSITIONS} | {t.target for t in TRANSITIONS}
    assert used == set(State)


@pytest.mark.parametrize("bad, message", [
    (TRANSITIONS + (Transition("x", State.archived, State.draft, frozenset({Role.admin})),),
     "final"),
    (tuple(t for t in TRANSITIONS if t.event != "archive"), "unreachable"),
    (tuple(t for t in TRANSITIONS if t.event != "archive")
     + (Transition("archive", State.as_built_confirmed, State.archived,
                   frozenset({Role.archivist})),), "trap"),
    (TRANSITIONS + (Transition("x", State.draft, State.submitted, frozenset({Role.design}),
                               ("no_such_guard",)),), "undeclared guard"),
])
def test_bad_tables_are_refused(bad: tuple[Transition, ...], message: str) -> None:
    with pytest.raises(InvalidDefinition, match=message):
        machine.check(bad)


def test_graph_outputs() -> None:
    mermaid, dot = machine.to_mermaid(), machine.to_dot()
    assert mermaid.startswith("stateDiagram-v2")
    assert dot.startswith("digraph")
    for t in TRANSITIONS:
        assert f"{t.source} --> {t.target}: {t.event}" in mermaid
        assert f"{t.source} -> {t.target}" in dot
    assert len(machine.describe()) == len(TRANSITIONS)


def _other(role: Role) -> str:
    return "supervisor" if role == Role.owner else "owner"


#: row key -> (checkpoint, driver options(actor), event kwargs(driver))
Setup = tuple[str, Callable[[Role], dict[str, Any]], Callable[[Driver], dict[str, Any]]]
NONE: Callable[[Any], dict[str, Any]] = lambda _: {}  # noqa: E731


def _new(name: str, parent: str, **kw: Any) -> Callable[[Driver], dict[str, Any]]:
    def make(d: Driver) -> dict[str, Any]:
        vid = d.version(name, {"A-101": sheet_dxf("A-101", "平面", extra=7, **kw)}, parent)
        return {"version": vid, "reason": "变更 change", "klass": "general"}
    return make


ROWS: dict[str, Setup] = {
    "submit:draft->submitted": (
        "draft", NONE, lambda d: {"version": d.version("v1", {"A-101": sheet_dxf("A-101", "平面")},
                                                       None)}),
    "accept_review:submitted->in_review": ("submitted", NONE, NONE),
    "accept_review:resubmitted->in_review": ("resubmitted", NONE, NONE),
    "return:in_review->returned": ("has_opinion", NONE, NONE),
    "resubmit:returned->resubmitted": ("answered", NONE, lambda d: {"version": d.versions["v2"]}),
    "approve:in_review->approved": ("in_review", NONE, NONE),
    "propose_change:approved->change_proposed": ("approved", NONE, _new("v3x", "v2")),
    "propose_change:current->change_proposed": ("current", NONE, _new("v5", "v3")),
    "confirm_change:change_proposed->change_proposed": ("change_proposed", NONE, NONE),
    "confirm_change:change_proposed->change_confirmed": (
        "change_half", lambda r: {"first": _other(r)}, NONE),
    "reject_change:change_proposed->current": ("change_proposed", NONE, NONE),
    "reject_change:change_confirmed->current": ("change_confirmed", NONE, NONE),
    "sign_change:change_confirmed->current": ("change_confirmed", NONE, NONE),
    "sign_change:change_confirmed->submitted": (
        "change_confirmed", lambda r: {"klass": "major"}, NONE),
    "submit_as_built:approved->as_built_submitted": (
        "approved", NONE, lambda d: {"version": _new("v4x", "v2")(d)["version"]}),
    "submit_as_built:current->as_built_submitted": (
        "current", NONE, lambda d: {"version": _new("v4y", "v3")(d)["version"]}),
    "confirm_as_built:as_built_submitted->as_built_submitted": ("as_built_submitted", NONE, NONE),
    "confirm_as_built:as_built_submitted->as_built_confirmed": (
        "as_built_half", lambda r: {"first": _other(r)}, NONE),
    "reject_as_built:as_built_submitted->current": ("as_built_submitted", NONE, NONE),
    "reject_as_built:as_built_confirmed->current": ("as_built_confirmed", NONE, NONE),
    "accept:as_built_confirmed->accepted": ("as_built_confirmed", NONE, NONE),
    "archive:accepted->archived": ("accepted", NONE, NONE),
}


def test_every_row_has_a_setup() -> None:
    assert set(ROWS) == {t.key for t in TRANSITIONS}


@pytest.fixture
def new_world(tmp_path: Path):
    engines = []

    def make(n: int):
        from storage.blobs import open_blob_store

        eng = make_engine(f"sqlite:///{tmp_path / f'wf{n}.db'}")
        upgrade(eng)
        engines.append(eng)
        return setup_world(session_factory(eng), open_blob_store(
            (tmp_path / "objects").as_uri()), KeyRing(tmp_path / f"keys{n}", passphrase=""))

    yield make
    for e in engines:
        e.dispose()


@pytest.mark.parametrize("row", TRANSITIONS, ids=lambda t: t.key)
def test_row_allowed_for_its_actors_refused_for_others(row: Transition, new_world) -> None:
    checkpoint, options, kwargs = ROWS[row.key]
    others = [u for r, u in USER_OF.items() if Role(r) not in row.actors] + ["nobody"]
    for n, actor in enumerate(sorted(row.actors)):
        w = new_world(n)
        d = Driver(w, **options(actor)).goto(checkpoint)
        assert w.state() == row.source.value
        kw = kwargs(d)
        for user in others:
            with pytest.raises(TransitionNotAllowed, match="may not|无权") as err:
                w.fire(row.event, user, **kw)
            assert err.value.state == row.source
            assert w.state() == row.source.value
        ev = w.fire(row.event, USER_OF[actor.value], **kw)
        assert ev.event == row.event
        assert w.state() == row.target.value, (row.key, actor)


def test_refusal_lists_allowed_events(new_world) -> None:
    w = new_world(0)
    Driver(w).goto("submitted")
    with pytest.raises(TransitionNotAllowed) as err:
        w.fire("approve", "rev_a")
    assert err.value.allowed == ["accept_review"]
    assert "accept_review" in str(err.value)
