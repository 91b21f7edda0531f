"""The diff engine on the shared corpus (real files from real projects; read, never copied).

Pairs are consecutive revisions listed in MANIFEST.tsv; its notes say what changed.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest

from diffing import diff_files
from tests.conftest import corpus_dir, needs_corpus


def _manifest() -> list[dict[str, str]]:
    with open(corpus_dir() / "MANIFEST.tsv", encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f, delimiter="\t"))


def _previous(rows: list[dict[str, str]], row: dict[str, str]) -> str | None:
    """The revision before ``row`` in the same pair directory and format."""
    path = Path(row["path"])
    same = sorted(
        r["path"] for r in rows
        if Path(r["path"]).parent == path.parent and Path(r["path"]).suffix == path.suffix
    )
    i = same.index(row["path"])
    return same[i - 1] if i > 0 else None


NO_CHANGE_PAIRS = [
    (_previous(_manifest(), r), r["path"])
    for r in _manifest()
    if re.search(r"content-signature diff -0/\+0", r["notes"])
]


@needs_corpus
def test_manifest_lists_no_change_pairs():
    assert len(NO_CHANGE_PAIRS) >= 4


@pytest.mark.parametrize(("old", "new"), NO_CHANGE_PAIRS, ids=[p[1] for p in NO_CHANGE_PAIRS])
def test_content_signature_equal_pairs_give_no_changes(corpus, old, new):
    report = diff_files(corpus / old, corpus / new)
    assert not report, [(c.kind, c.type, c.what, c.details) for c in report.changes[:10]]


ROUNDTRIP = "pairs/emfcamp-2016-siteplan-roundtrip"


@needs_corpus
def test_roundtrip_move_h3_left_a_bit(corpus):
    """r2 "Move H3 left a bit", re-saved by another CAD with every handle renumbered."""
    old = corpus / ROUNDTRIP / "r1_ca307c3.dxf"
    new = corpus / ROUNDTRIP / "r2_5b16005.dxf"
    report = diff_files(old, new, ignore_style=True)
    assert report.alignment.is_identity
    assert not report.added and not report.removed
    moved = [c for c in report.changes if c.type == "INSERT"]
    assert len(moved) == 1
    assert moved[0].what == ("moved",)
    dx, dy = moved[0].details["moved_by"]
    assert dx < 0 and abs(dx) <= 10 and dy == 0  # "left a bit"
    # the rest: the two cables attached to it, stretched
    assert sorted(c.type for c in report.changes) == ["INSERT", "LINE", "LINE"]
    # and nothing else without --ignore-style either: QCAD renamed its auto-generated text
    # styles on the re-save, which the readers see through (styles by definition)
    full = diff_files(old, new)
    assert [(c.type, c.what, c.old_handle, c.new_handle) for c in full.changes] == [
        (c.type, c.what, c.old_handle, c.new_handle) for c in report.changes]


@needs_corpus
def test_roundtrip_revert_is_byte_identical(corpus):
    report = diff_files(corpus / ROUNDTRIP / "r1_ca307c3.dxf",
                        corpus / ROUNDTRIP / "r3_2a2998b.dxf")
    assert not report
    assert report.old.blob == report.new.blob


@needs_corpus
def test_sha2017_generator_symbols_moved(corpus):
    d = corpus / "pairs/sha2017-map-generators"
    report = diff_files(d / "r1_1f4382f.dxf", d / "r2_9fd427a.dxf")
    # three symbol INSERTs changed handle and place; the fourth handle change in the notes is
    # a paper-space VIEWPORT re-created with the same content: not a change
    assert not report.added and not report.removed
    entities = [c for c in report.changes if c.type != "LAYER"]
    assert [c.what for c in entities] == [("moved",)] * 3
    assert {c.type for c in entities} == {"INSERT"}
    assert all(c.old_handle != c.new_handle for c in entities)
    # and a layer thawed: 39 fire extinguishers appear on the plot (issue #16 §1)
    assert [(c.layer, c.what, c.details["after"], c.details["entities"])
            for c in report.tables] == [
        ("safety ... fire extinguisher", ("frozen",), {"frozen": False}, 39)]


@needs_corpus
def test_trees_imported_as_points(corpus):
    d = corpus / "pairs/emfcamp-2012-siteplan-trees"
    report = diff_files(d / "r1_eb32ad2.dxf", d / "r2_d2df857.dxf")
    assert report.stats == {"added": 562, "removed": 0, "modified": 0, "unchanged": 376,
                            "tables": 2}
    assert {c.type for c in report.added} == {"POINT"}
    # and two layers switched off and frozen
    assert [(c.layer, c.what) for c in report.tables] == [
        ("Frame", ("on", "frozen")), ("Grid", ("on", "frozen"))]


@needs_corpus
def test_arrow_added(corpus):
    d = corpus / "pairs/nchh-layout-dxf-pdf"
    report = diff_files(d / "r1_6cb6efc.dxf", d / "r2_51df6b5.dxf")
    assert (report.stats["added"], report.stats["removed"], report.stats["modified"]) == (4, 0, 0)


def test_librecad_resave_without_visible_change(corpus):
    """woodshed plan r1->r2: LibreCAD re-wrote every DIMENSION with one extra (invisible)
    attribute; no entity changed, but two layers were frozen/thawed (issue #16 §1): one
    LAYER change each, with the entities it shows or hides."""
    d = corpus / "pairs/woodshed-plan"
    report = diff_files(d / "r1_61ab014.dxf", d / "r2_a9bea91.dxf")
    assert report.stats == {"added": 0, "removed": 0, "modified": 0, "unchanged": 1955,
                            "tables": 2}
    assert [(c.type, c.layer, c.what, c.details["before"], c.details["after"],
             c.details["entities"]) for c in report.changes] == [
        ("LAYER", "4_frame_d", ("frozen",), {"frozen": True}, {"frozen": False}, 129),
        ("LAYER", "5_shelf_rack_d", ("frozen",), {"frozen": False}, {"frozen": True}, 80),
    ]


@needs_corpus
def test_xdata_only_changes_are_ignored_by_default(corpus):
    """emfcamp 2014 r2 adds XDATA tags and re-saves every entity with explicit properties."""
    d = corpus / "pairs/emfcamp-2014-siteplan-retag"
    report = diff_files(d / "r1_4e5ba73.dxf", d / "r2_685dae9.dxf", ignore_style=True)
    assert "xdata" not in {w for c in report.changes for w in c.what}
    assert report.stats["added"] == 0 and report.stats["removed"] == 1
    assert report.stats["modified"] <= 2
    with_xdata = diff_files(d / "r1_4e5ba73.dxf", d / "r2_685dae9.dxf", ignore_style=True,
                            include_xdata=True)
    xdata = [c for c in with_xdata.changes if "xdata" in c.what]
    assert len(xdata) >= 20  # the emfnet tags on the DKs and tents
    assert all(set(c.details["xdata"]) == {"before", "after"} for c in xdata)


@needs_corpus
@pytest.mark.parametrize("version", ["2000", "2018"])
def test_same_drawing_as_dxf_and_dwg(corpus, version):
    """DXF against DWG of the same drawing: the common entities all match (entity kinds one
    reader does not support yet, e.g. ACAD_TABLE in DWG, may still show up)."""
    d = corpus / "single/libredwg"
    report = diff_files(d / f"example_{version}.dxf", d / f"example_{version}.dwg")
    basic = {"LINE", "LWPOLYLINE", "CIRCLE", "ARC", "TEXT", "MTEXT", "INSERT", "POINT"}
    assert not [c for c in report.changes if c.type in basic], report.changes
    assert report.stats["unchanged"] >= 50


@needs_corpus
def test_dxf_against_its_own_plot_is_never_silent(corpus):
    """nchh r1: the DXF and the PDF plotted from it (issue #16 §6): without a plot transform
    the report says so instead of a silent 100 % added/removed."""
    d = corpus / "pairs/nchh-layout-dxf-pdf"
    report = diff_files(d / "r1_6cb6efc.dxf", d / "r1_6cb6efc.pdf")
    assert report.warnings and "no plot transform" in report.warnings[0]
    assert not report.tables  # a PDF's layers are not compared with a CAD file's


ACADSHARP = ("pairs/acadsharp-sample-ac1018-dxf/r1_7bc26dd.dxf",
             "pairs/acadsharp-sample-ac1032-dwg/r1_7bc26dd.dwg")


@needs_corpus
def test_same_revision_as_dxf_and_dwg_says_what_a_format_lacks_once(corpus):
    """acadsharp r1 as DXF (AC1018) and DWG (AC1032) from one source (issue #16 §7): MLINEs
    now read from the DWG; the kinds the DWG reader does not decode and the fields one format
    does not carry are named once each in the warnings, not as 23 per-entity changes."""
    report = diff_files(corpus / ACADSHARP[0], corpus / ACADSHARP[1])
    assert not report.added and not report.removed
    assert "MLINE" not in {c.type for c in report.changes}
    assert len(report.warnings) == 2
    kinds, fields = report.warnings
    for k in ("ACAD_TABLE ×1", "MESH ×2", "MULTILEADER ×1", "WIPEOUT ×1"):
        assert k in kinds
    for f in ("HATCH pattern ×4", "VIEWPORT status ×2", "LEADER dimstyle ×1"):
        assert f in fields
    assert len(report.changes) <= 5  # SPLINE fit/control points, "0 @ 1" layers, LEADER hook,
    # a duplicated attribute tag: listed in the note of issue #16
