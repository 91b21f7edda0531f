"""Accuracy on generated revision pairs with known truth (issue #4).

Every true change found, each modification ONE ``modified`` change with the right old and new
handles and the right ``what``, zero false positives, zero changes for a no-edit re-save, and a
global shift reported only in ``alignment``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from diffing import diff_files
from tests.gen.floorplan import edit_plan, make_plan, truth_handles, write_dxf

ROOMS = (8, 6)  # ~530 entities


@pytest.fixture(scope="module")
def plan():
    return make_plan(ROOMS, seed=11)


def _key_map(changes):
    return {(c.kind, c.old_handle, c.new_handle): c for c in changes}


def assert_matches_truth(report, truth):
    got = _key_map(report.changes)
    want = {(t.kind, t.old_handle, t.new_handle): t for t in truth}
    missing = sorted(set(want) - set(got), key=str)
    spurious = sorted(set(got) - set(want), key=str)
    assert not missing and not spurious, (
        f"missing {[(k, want[k].what) for k in missing]}\n"
        f"spurious {[(k, got[k].what, got[k].details) for k in spurious]}"
    )
    for k, t in want.items():
        if t.kind == "modified":
            assert got[k].what == t.what, (k, got[k].what, got[k].details, t.what)
    assert report.alignment.is_identity


def _case(tmp: Path, plan, *, edits: dict | None, seed: int, **new_opts):
    if edits:
        new, truth = edit_plan(plan, seed=seed, **edits)
    else:
        new, truth = plan, []
    old_h = write_dxf(plan, tmp / "old.dxf")
    new_h = write_dxf(new, tmp / "new.dxf", **new_opts)
    return tmp / "old.dxf", tmp / "new.dxf", truth_handles(truth, old_h, new_h)


SMALL = {"modify": 14, "add": 4, "remove": 4}
HEAVY = {"modify": 24, "add": 6, "remove": 6}  # >= 5 % of ~530 entities


@pytest.mark.parametrize(
    ("name", "edits", "new_opts"),
    [
        ("small edits", SMALL, {}),
        ("small edits after a re-save: handles renumbered, order shuffled", SMALL,
         {"shuffle": 5, "handle_start": 0x7000}),
        ("small edits, handle values reused by unrelated entities", SMALL, {"shuffle": 9}),
        ("heavy edits", HEAVY, {}),
        ("heavy edits after a re-save", HEAVY, {"shuffle": 4, "handle_start": 0x5000}),
    ],
)
def test_generated_pair(tmp_path, plan, name, edits, new_opts):
    old, new, truth = _case(tmp_path, plan, edits=edits, seed=3, **new_opts)
    report = diff_files(old, new)
    assert_matches_truth(report, truth)
    assert report.stats["unchanged"] == report.old.entities - sum(
        1 for t in truth if t.kind != "added"
    )


def test_heavy_edits_are_at_least_five_percent(plan):
    _, truth = edit_plan(plan, seed=3, **HEAVY)
    assert len(truth) >= 0.05 * len(plan.items)


@pytest.mark.parametrize("opts", [{"shuffle": 2, "handle_start": 0x4000}, {"shuffle": 8}, {}])
def test_resave_without_edit_gives_no_changes(tmp_path, plan, opts):
    old, new, _ = _case(tmp_path, plan, edits=None, seed=0, **opts)
    report = diff_files(old, new)
    assert not report, report.changes
    assert report.stats["unchanged"] == report.old.entities


def test_global_shift_is_one_sheet_change(tmp_path, plan):
    """Model-space coordinates are data: a whole-drawing move is ONE sheet-level change (and
    the alignment), never one change per entity (issue #16 §4)."""
    old, new, _ = _case(tmp_path, plan, edits=None, seed=0, shift=(1000.0, 500.0),
                        shuffle=6, handle_start=0x6000)
    report = diff_files(old, new)
    assert [(c.kind, c.type, c.what, c.details) for c in report.changes] == [
        ("modified", "SHEET", ("moved",), {"moved_by": [1000.0, 500.0]})]
    al = report.to_json()["alignment"]
    assert al == {"dx": 1000.0, "dy": 500.0, "scale": 1.0, "rotation": 0.0}
    assert report.stats["unchanged"] == report.old.entities


def test_global_shift_with_edits(tmp_path, plan):
    old, new, truth = _case(tmp_path, plan, edits=SMALL, seed=5, shift=(1000.0, 500.0),
                            shuffle=1, handle_start=0x6000)
    report = diff_files(old, new)
    assert (report.alignment.dx, report.alignment.dy) == (1000.0, 500.0)
    assert [c.type for c in report.changes].count("SHEET") == 1
    got = _key_map(c for c in report.changes if c.type != "SHEET")
    want = {(t.kind, t.old_handle, t.new_handle): t for t in truth}
    assert set(got) == set(want)
    for k, t in want.items():
        assert got[k].what == t.what


def test_block_definition_change_is_reported_once(tmp_path, plan):
    old_h = write_dxf(plan, tmp_path / "old.dxf")
    new_h = write_dxf(plan, tmp_path / "new.dxf", door_variant=1, shuffle=3, handle_start=0x9000)
    report = diff_files(tmp_path / "old.dxf", tmp_path / "new.dxf")
    assert len(report.changes) == 1, report.changes[:3]
    c = report.changes[0]
    assert (c.kind, c.type, c.what) == ("modified", "BLOCK", ("block",))
    assert c.details["block"] == "DOOR"
    doors = [it.id for it in plan.items if it.type == "door"]
    refs = {(r["old_handle"], r["new_handle"]) for r in c.details["references"]}
    assert refs == {(old_h[i], new_h[i]) for i in doors}
    # the same from the stored indexes (block definitions decoded lazily)
    from diffing import diff_drawings
    from drawings import index, read

    warm = diff_drawings(*(index.loads(index.dumps(read(p)), str(p))
                           for p in (tmp_path / "old.dxf", tmp_path / "new.dxf")))
    assert warm.to_json()["changes"] == report.to_json()["changes"]


def test_clusters_cover_every_change(tmp_path, plan):
    old, new, _ = _case(tmp_path, plan, edits=SMALL, seed=3)
    report = diff_files(old, new)
    ids = [i for cl in report.clusters for i in cl.changes]
    assert sorted(ids) == sorted(c.id for c in report.changes)
    for cl in report.clusters:
        for cid in cl.changes:
            c = report.change(cid)
            assert c.cluster == cl.id
            assert cl.bbox[0] <= c.bbox[0] and cl.bbox[1] <= c.bbox[1]
            assert cl.bbox[2] >= c.bbox[2] and cl.bbox[3] >= c.bbox[3]


def test_warm_diff_from_indexes_equals_cold_diff(tmp_path, plan):
    """Fingerprints from the stored index (records decoded only where unmatched) give the
    same report as the two files read in full."""
    from diffing import diff_drawings
    from drawings import index, read

    old, new, truth = _case(tmp_path, plan, edits=SMALL, seed=3, shuffle=5,
                            handle_start=0x7000)
    cold = diff_drawings(read(old), read(new))
    io_ = index.loads(index.dumps(read(old)), str(old))
    in_ = index.loads(index.dumps(read(new)), str(new))
    warm = diff_drawings(io_, in_)
    assert warm.to_json()["changes"] == cold.to_json()["changes"]
    assert warm.stats == cold.stats
    assert_matches_truth(warm, truth)
