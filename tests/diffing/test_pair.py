"""Reading two DXF revisions together (``drawings.readers.pair``) changes nothing in a report.

``diff_files`` reads an ASCII DXF pair in one go, parsing the entities the new file shares with
the old one only once.  Every case here goes through that path and through the reference path
(each file read alone, ``YITAOTU_DIFF_PAIR=0``): the drawings must be equal entity by entity and
the JSON reports identical.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import ezdxf
import pytest

from diffing import diff_files
from diffing.compare import PAIR_ENV, read_dxf_pair
from drawings import read
from drawings.readers.pair import read_pair
from tests.conftest import FULL_CORPUS, corpus_dir
from tests.gen.floorplan import edit_plan, make_plan, write_dxf

SMALL = {"modify": 14, "add": 4, "remove": 4}
HEAVY = {"modify": 24, "add": 6, "remove": 6}


@pytest.fixture(scope="module")
def plan():
    return make_plan((8, 6), seed=11)


def _entity_states(entities) -> list:
    return [(e.kind, e.layer, e.handle, e.geometry, e.text, e.style, e.attribs, e.xdata,
             e.bbox, e.anchor, e.fingerprint, e.shape) for e in entities]


def _drawing_state(d) -> list:
    """Everything of a Drawing a diff can see (the title block aside)."""
    sheets = []
    for s in d.sheets:
        sheets.append((s.name, s.paper, s.extents, _entity_states(s.entities)))
    blocks = [(n, b.base_point, b.fingerprint, _entity_states(b.entities))
              for n, b in d.blocks.items()]  # in file order, with the new file's handles
    return [d.format, d.version, d.units, d.layers, d.text_styles, blocks, sheets, d.warnings]


def assert_same(old: Path, new: Path, monkeypatch, **opts) -> dict:
    """Both paths agree on the drawings and the report; returns the pair's read statistics."""
    pair_old, pair_new, stats = read_pair(old, new, str(old), str(new))
    assert _drawing_state(pair_old) == _drawing_state(read(old))
    assert _drawing_state(pair_new) == _drawing_state(read(new))
    assert read_dxf_pair(old, new, strict=True) is not None
    fast = diff_files(old, new, **opts).to_json()
    monkeypatch.setenv(PAIR_ENV, "0")
    full = diff_files(old, new, **opts).to_json()
    monkeypatch.delenv(PAIR_ENV)
    assert json.dumps(fast, sort_keys=True, default=str) == json.dumps(
        full, sort_keys=True, default=str)
    return stats


@pytest.mark.parametrize(
    ("edits", "new_opts"),
    [
        (SMALL, {}),
        (SMALL, {"shuffle": 5, "handle_start": 0x7000}),
        (SMALL, {"shuffle": 9}),
        (None, {"shift": (1000.0, 500.0)}),
        (HEAVY, {}),
        (HEAVY, {"shuffle": 4, "handle_start": 0x5000}),
        (None, {"shuffle": 3, "handle_start": 0x9000}),
        (None, {}),
        (None, {"door_variant": 1}),
        (SMALL, {"door_variant": 1}),
    ],
    ids=["small", "small-resaved", "handles-reused", "shift", "heavy", "heavy-resaved",
         "no-edit-resave", "no-edit", "block-definition", "small-and-block"],
)
def test_generated_cases(tmp_path, plan, monkeypatch, edits, new_opts):
    new_plan = edit_plan(plan, seed=3, **edits)[0] if edits else plan
    old, new = tmp_path / "old.dxf", tmp_path / "new.dxf"
    write_dxf(plan, old)
    write_dxf(new_plan, new, **new_opts)
    for opts in ({}, {"ignore_style": True, "include_xdata": True}):
        assert_same(old, new, monkeypatch, **opts)


def test_small_edits_reuse_most_entities(tmp_path, plan, monkeypatch):
    old, new = tmp_path / "old.dxf", tmp_path / "new.dxf"
    write_dxf(plan, old)
    write_dxf(edit_plan(plan, seed=3, **SMALL)[0], new)
    stats = assert_same(old, new, monkeypatch)
    assert stats["entities_reused"] > 10 * stats["entities_parsed"]


@pytest.mark.parametrize("piece", [2000, 7919])
def test_entities_cut_in_small_pieces(tmp_path, plan, monkeypatch, piece):
    """The ENTITIES text is cut into pieces before entities outside sequences (INSERT with
    ATTRIBs, POLYLINE with VERTEXes): small pieces cut everywhere, with the same result."""
    from drawings.readers import pair

    monkeypatch.setattr(pair, "PIECE", piece)
    old, new = tmp_path / "old.dxf", tmp_path / "new.dxf"
    write_dxf(plan, old)
    write_dxf(edit_plan(plan, seed=3, **SMALL)[0], new, shuffle=2)
    assert_same(old, new, monkeypatch)


def test_duplicate_entities(tmp_path, monkeypatch):
    """Identical entities (same text but the handle) on both sides, one more copy in NEW."""
    def doc_with(copies: int, path: Path) -> None:
        doc = ezdxf.new("R2013")
        msp = doc.modelspace()
        for _ in range(copies):
            msp.add_line((0, 0), (10, 5), dxfattribs={"layer": "DUP"})
            msp.add_text("同 same", dxfattribs={"insert": (1, 1), "height": 2.5})
        msp.add_circle((3, 3), 1.5)
        doc.saveas(path)

    old, new = tmp_path / "old.dxf", tmp_path / "new.dxf"
    doc_with(3, old)
    doc_with(4, new)
    assert_same(old, new, monkeypatch)
    assert_same(new, old, monkeypatch)


def _edited_copy(src: Path, dst: Path, edit) -> None:
    """``src`` opened and saved by ezdxf (handles kept) after ``edit(doc)``."""
    doc = ezdxf.readfile(src)
    edit(doc)
    doc.saveas(dst)


def _context_case(tmp_path, plan, monkeypatch, edit) -> dict:
    old, base, new = tmp_path / "old.dxf", tmp_path / "base.dxf", tmp_path / "new.dxf"
    write_dxf(plan, base)
    _edited_copy(base, old, lambda doc: None)  # the same writer on both sides
    _edited_copy(base, new, edit)
    return assert_same(old, new, monkeypatch)


def test_layer_colour_change_restyles_its_bylayer_entities(tmp_path, plan, monkeypatch):
    def edit(doc):
        doc.layers.get("A-WALL").color = 1

    _context_case(tmp_path, plan, monkeypatch, edit)
    old, new = tmp_path / "old.dxf", tmp_path / "new.dxf"
    report = diff_files(old, new)
    # one LAYER change for the layer, none per BYLAYER entity on it (issue #16 §1)
    walls = sum(1 for e in read(old).sheets[0].entities if e.layer == "A-WALL")
    assert [(c.type, c.layer, c.what, c.details["before"], c.details["after"],
             c.details["entities"]) for c in report.changes] == [
        ("LAYER", "A-WALL", ("color",), {"color": 7}, {"color": 1}, walls)]
    assert report.stats["tables"] == 1 and report.stats["modified"] == 0
    assert not diff_files(old, new, ignore_style=True)


def test_block_definition_edit_reaches_its_inserts(tmp_path, plan, monkeypatch):
    def edit(doc):
        blk = doc.blocks.get("DOOR")
        blk.add_line((0, 0), (123, 45), dxfattribs={"layer": "A-DOOR"})

    _context_case(tmp_path, plan, monkeypatch, edit)
    report = diff_files(tmp_path / "old.dxf", tmp_path / "new.dxf")
    assert any(c.type == "BLOCK" and c.details["block"] == "DOOR" for c in report.changes)


def test_text_style_font_change_reaches_its_texts(tmp_path, plan, monkeypatch):
    def edit(doc):
        doc.styles.get("Standard").dxf.font = "simsun.ttf"

    stats = _context_case(tmp_path, plan, monkeypatch, edit)
    old, new = read(tmp_path / "old.dxf"), read(tmp_path / "new.dxf")
    texts = [(a.fingerprint, b.fingerprint)
             for a, b in zip(old.sheets[0].entities, new.sheets[0].entities, strict=True)
             if a.kind in ("TEXT", "MTEXT")]
    assert texts and all(a != b for a, b in texts)  # the font is in their fingerprints
    assert stats["entities_parsed"] >= len(texts)  # so the pair read parsed them again


def test_block_definitions_shared_when_equal_up_to_handles(tmp_path, plan, monkeypatch):
    """A re-save renumbering every handle: the new file takes the old block definitions (with
    its own handles), so they are neither parsed nor finished twice."""
    old, new = tmp_path / "old.dxf", tmp_path / "new.dxf"
    write_dxf(plan, old)
    write_dxf(edit_plan(plan, seed=3, **SMALL)[0], new, handle_start=0x7000)
    stats = assert_same(old, new, monkeypatch)
    assert stats["blocks_shared"] == len(read(old).blocks) > 4  # DOOR, arrows, dimensions
    # shuffled: the dimension blocks *D1... are numbered in another order, so they differ
    write_dxf(edit_plan(plan, seed=3, **SMALL)[0], new, shuffle=5, handle_start=0x7000)
    assert assert_same(old, new, monkeypatch)["blocks_shared"] >= 4


def _nested(path: Path, inner_lines: int, layer_colour: int = 7) -> None:
    doc = ezdxf.new("R2013")
    doc.layers.add("墙", color=layer_colour)
    inner = doc.blocks.new("INNER")
    for i in range(inner_lines):
        inner.add_line((0, i), (5, i), dxfattribs={"layer": "墙"})
    outer = doc.blocks.new("OUTER")
    outer.add_blockref("INNER", (10, 0))
    outer.add_circle((0, 0), 2, dxfattribs={"layer": "墙"})
    plain = doc.blocks.new("PLAIN")
    plain.add_text("门 door", dxfattribs={"insert": (0, 0), "height": 2.5})
    msp = doc.modelspace()
    msp.add_blockref("OUTER", (100, 100))
    msp.add_blockref("PLAIN", (0, 50))
    msp.add_line((0, 0), (9, 9), dxfattribs={"layer": "墙"})
    doc.saveas(path)


def test_block_referencing_an_edited_block_is_read_again(tmp_path, monkeypatch):
    old, new = tmp_path / "old.dxf", tmp_path / "new.dxf"
    _nested(old, 2)
    _nested(new, 3)  # INNER edited: OUTER's text is equal, its digest is not
    stats = assert_same(old, new, monkeypatch)
    assert stats["blocks_shared"] == 1  # PLAIN; OUTER's text is equal but it is read again
    report = diff_files(old, new)
    assert {c.details["block"] for c in report.changes if c.type == "BLOCK"} == {"OUTER"}


def test_blocks_read_again_when_a_layer_changes(tmp_path, monkeypatch):
    old, new = tmp_path / "old.dxf", tmp_path / "new.dxf"
    _nested(old, 2)
    _nested(new, 2, layer_colour=1)
    stats = assert_same(old, new, monkeypatch)
    assert stats["blocks_shared"] == 0


def _corpus_singles() -> list[str]:
    with open(corpus_dir() / "MANIFEST.tsv", encoding="utf-8", newline="") as f:
        return [r["path"] for r in csv.DictReader(f, delimiter="\t")
                if r["path"].startswith("single/") and r["path"].lower().endswith(".dxf")]


SINGLES = _corpus_singles()


@pytest.mark.parametrize("path", SINGLES)
def test_corpus_single_against_an_edited_copy(corpus, tmp_path, monkeypatch, path):
    """Every writer's spelling (R12 and on): the file against a copy with one entity fewer."""
    src = corpus / path
    data = src.read_bytes()
    try:
        read_pair(src, src, str(src), str(src))
    except Exception as e:  # binary DXF and the like: diff_files reads them alone
        from drawings.readers.pair import NotApplicable

        assert isinstance(e, NotApplicable), e
        return
    text = data.decode("latin-1")
    i = text.find("ENTITIES")
    j = text.find("\n  0\nLINE", i)
    k = text.find("\n  0\n", j + 5)
    edited = tmp_path / "edited.dxf"
    edited.write_bytes((text[:j] + text[k:]).encode("latin-1") if 0 < j < k else data)
    assert_same(src, edited, monkeypatch)


def _corpus_pairs() -> list[tuple[str, str]]:
    with open(corpus_dir() / "MANIFEST.tsv", encoding="utf-8", newline="") as f:
        rows = [r["path"] for r in csv.DictReader(f, delimiter="\t")]
    by_dir: dict[Path, list[str]] = {}
    for p in rows:
        if p.startswith("pairs/") and p.lower().endswith(".dxf"):
            by_dir.setdefault(Path(p).parent, []).append(p)
    out = []
    for paths in by_dir.values():
        paths.sort()
        out += list(zip(paths, paths[1:], strict=False))
    return out


CORPUS_PAIRS = _corpus_pairs()


def test_corpus_has_dxf_pairs():
    assert len(CORPUS_PAIRS) >= (10 if FULL_CORPUS else 3)


@pytest.mark.parametrize(("old", "new"), CORPUS_PAIRS, ids=[p[1] for p in CORPUS_PAIRS])
def test_corpus_pairs(corpus, monkeypatch, old, new):
    old_p, new_p = corpus / old, corpus / new
    try:
        read_pair(old_p, new_p, str(old_p), str(new_p))
    except Exception as e:  # binary DXF and the like: diff_files reads them alone
        from drawings.readers.pair import NotApplicable

        assert isinstance(e, NotApplicable), e
        return
    assert_same(old_p, new_p, monkeypatch)
