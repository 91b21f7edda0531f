"""Opinion input at the service edge: anchors, change ids, numbers; refusals are exit 22; a
project holding an anchor stored before anchors were checked can still be resubmitted."""

from __future__ import annotations

import math

import pytest
from sqlalchemy import func, select, update

from storage.errors import InvalidInput
from tests.workflow.helpers import CODE, Driver, World
from workflow import opinions, service
from workflow.machine import TransitionNotAllowed, parse_role
from workflow.models import AuditEvent, JSONText, Opinion, OpinionReply

NAN, INF = math.nan, math.inf


@pytest.mark.parametrize(("kind", "coords"), [
    ("point", [NAN, NAN]), ("point", [1, INF]), ("point", ["nan", 1]), ("point", "12"),
    ("rect", [0, 0, INF, INF]), ("rect", [0, 0, 0, 5]), ("rect", [3, 1, 7, 1]),
    ("polygon", [[0, 0], [1, NAN], [1, 1]]), ("polygon", [[0, 0], [1, 1], [2, 2]]),
    ("polygon", "0,0;1,0;1,1"),
])
def test_bad_anchors_are_invalid_input(kind: str, coords: object) -> None:
    with pytest.raises(InvalidInput, match="invalid .* anchor") as err:
        opinions.make_anchor(kind, coords)
    assert err.value.exit_code == 20


def test_good_anchors_are_normalised() -> None:
    assert opinions.make_anchor("point", ["1.5", 2])["coords"] == [1.5, 2.0]
    assert opinions.make_anchor("rect", [5, 6, 1, 2])["coords"] == [1.0, 2.0, 5.0, 6.0]
    assert len(opinions.make_anchor("polygon", [[0, 0], [1, 0], [1, 1]])["coords"]) == 3


def _add(w: World, **kw: object) -> Opinion:
    args: dict = {"user": "rev_s", "keys": w.keys, "sheet_no": "S-01", "category": "general",
                  "text": "意见 opinion", "anchor": {"type": "point", "coords": [1, 1]}}
    with w.sf() as s, s.begin():
        return opinions.add_opinion(s, CODE, **{**args, **kw})


def _counts(w: World) -> tuple[int, int]:
    with w.sf() as s:
        return (s.scalar(select(func.count()).select_from(Opinion)),
                s.scalar(select(func.count()).select_from(AuditEvent)))


def test_a_refused_anchor_writes_nothing(sqlite_world: World) -> None:
    w = sqlite_world
    Driver(w).goto("in_review")
    before = _counts(w)
    for anchor in ({"type": "point", "coords": [NAN, NAN]},
                   {"type": "rect", "coords": [0, 0, INF, INF]}):
        with pytest.raises(InvalidInput, match="finite"):
            _add(w, anchor=anchor)
    assert _counts(w) == before


def test_change_id_must_be_in_the_rounds_diff(sqlite_world: World) -> None:
    w = sqlite_world
    d = Driver(w).goto("in_review")
    with pytest.raises(InvalidInput, match="no change 'c1'"):  # round 1 has no diff at all
        _add(w, change_id="c1", blobs=w.blobs)
    d.goto("in_review2")
    with w.sf() as s:
        first = opinions.round_changes(s, w.blobs, CODE)["sheets"]["S-01"][0]["id"]
    with pytest.raises(InvalidInput, match="c999999"):
        _add(w, change_id="c999999", blobs=w.blobs)
    with pytest.raises(InvalidInput, match=first):  # the diff cannot be read without blobs
        _add(w, change_id=first)
    assert _add(w, change_id=first, blobs=w.blobs).change_id == first
    with w.sf() as s, s.begin(), pytest.raises(InvalidInput, match="c999999"):
        opinions.mark_change(s, CODE, "S-01", "c999999", "accepted", user="rev_s",
                             keys=w.keys, blobs=w.blobs)


def test_querying_a_line_anchors_an_area_around_it(sqlite_world: World) -> None:
    w = sqlite_world
    Driver(w).goto("in_review2")
    with w.sf() as s:
        changes = opinions.round_changes(s, w.blobs, CODE)["sheets"]["S-01"]
    flat = next(c for c in changes if c["bbox"][1] == c["bbox"][3])  # an added horizontal line
    with w.sf() as s, s.begin():
        m = opinions.mark_change(s, CODE, "S-01", flat["id"], "queried", user="rev_s",
                                 keys=w.keys, blobs=w.blobs)
        x0, y0, x1, y1 = JSONText.load(s.get(Opinion, m.opinion_id).anchor)["coords"]
    bx0, by, bx1, _ = flat["bbox"]
    assert (x0, x1) == (bx0, bx1) and y0 < by < y1


@pytest.mark.parametrize("number", [2**31, 10**23, -(2**31) - 1])
def test_numbers_out_of_the_databases_range_are_invalid_input(world: World, number: int) -> None:
    w = world
    Driver(w).goto("has_opinion")
    with w.sf() as s, pytest.raises(InvalidInput, match="out of range") as err:
        opinions.reply(s, CODE, number, "x", user="des", keys=w.keys)
    assert err.value.exit_code == 20
    with w.sf() as s, pytest.raises(InvalidInput, match="out of range"):
        opinions.close(s, CODE, 1, user="rev_s", keys=w.keys, expect_lock=number)


def test_opinion_refusals_are_transition_not_allowed(sqlite_world: World) -> None:
    w = sqlite_world
    d = Driver(w).goto("submitted")
    with pytest.raises(TransitionNotAllowed, match="Add opinion .*no submission in review") as err:
        _add(w)
    assert err.value.exit_code == 22
    d.goto("has_opinion")
    with w.sf() as s, pytest.raises(TransitionNotAllowed, match="may not do this") as err:
        opinions.reply(s, CODE, 1, "x", user="rev_s", keys=w.keys)
    assert "opinion_close" in str(err.value)  # what rev_s may do instead
    with w.sf() as s, pytest.raises(TransitionNotAllowed, match="Reopen opinion .*state open"):
        opinions.reopen(s, CODE, 1, user="rev_s", keys=w.keys)


def test_unknown_role_is_invalid_input(sqlite_world: World) -> None:
    with pytest.raises(InvalidInput, match="unknown role 'foo'"):
        parse_role("foo")
    with sqlite_world.sf() as s, pytest.raises(InvalidInput) as err:
        service.add_party(s, CODE, "foo", "甲设计院")
    assert err.value.exit_code == 20


def test_a_project_with_an_anchor_stored_as_null_resubmits(sqlite_world: World) -> None:
    """Before anchors were checked, NaN/inf went to the JSON column as null (orjson's way) and
    every later resubmission crashed while carrying the opinions: the project was stuck."""
    w = sqlite_world
    d = Driver(w).goto("has_opinion")
    _add(w, anchor={"type": "rect", "coords": [0, 0, 10, 10]})
    stored = {1: JSONText.dump({"type": "point", "coords": [NAN, NAN]}),
              2: JSONText.dump({"type": "rect", "coords": [0, 0, INF, INF]})}
    assert "null" in stored[1] and "null" in stored[2]
    with w.sf() as s, s.begin():
        for number, anchor in stored.items():
            s.execute(update(Opinion).where(Opinion.number == number).values(anchor=anchor))
    d.goto("returned")
    with w.sf() as s, s.begin():
        opinions.reply(s, CODE, 2, "已改 fixed", user="des", keys=w.keys)
    d.goto("resubmitted")  # carries both opinions to the new revision of S-01
    assert w.state("submission") == "resubmitted"
    with w.sf() as s:
        ops = {o.number: o for o in opinions.list_opinions(s, CODE)}
        notes = [r.text for o in ops.values() for r in o.replies if r.kind == "carry"]
    assert ops[1].affected and ops[2].affected  # region unknown: the reviewer looks again
    assert notes and all("anchor unreadable" in n for n in notes)
    with w.sf() as s:
        assert s.scalar(select(func.count()).select_from(OpinionReply)
                        .where(OpinionReply.kind == "carry")) == 2
