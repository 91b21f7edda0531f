"""Our PNGs against ezdxf's drawing add-on, pixel ink by pixel ink (see reference.py).

The bar: at least 90 % of the ink pixels of both images must have ink of the other within
2 px (at 72 dpi, 2 px = 0.7 mm on paper).  Line geometry then agrees to ~1.0 (see the group
scores below); what remains is text, drawn in different fonts (ezdxf: its own TTF outlines,
tofu for CJK; ours: the CJK font as real text), so a sheet that is mostly text scores lower and
gets its own, documented bar.  The negative tests show the score falls well below the bar when
an entity type is missing, a block transform is mirrored, text is upside down or a layout loses
its viewports.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest

import drawings
from drawings.render import flatten as flatten_mod
from drawings.render.page import pick_sheet, plan
from tests.render.reference import agreement, ezdxf_png, fit_box, ink, only_kinds, our_png
from tests.render.sheets import make_sheet

BAR = 0.90
RADIUS = 2
SIZE = (1000, 700)
LAYOUT = "A3 布局"

#: Per-kind groups of the generated sheet: each must match on its own, each must fail alone.
GROUPS = {
    "lines": frozenset({"LINE", "LWPOLYLINE", "POINT", "SOLID"}),
    "curves": frozenset({"ARC", "CIRCLE", "ELLIPSE", "SPLINE"}),
    "blocks": frozenset({"INSERT"}),
    "hatches": frozenset({"HATCH"}),
    "dimensions": frozenset({"DIMENSION"}),
    "text": frozenset({"TEXT", "MTEXT"}),
}
#: Text is compared glyph against glyph of another font: the placement must agree, the outlines
#: cannot.  Measured 0.73 (upside-down text scores 0.07).
TEXT_BAR = 0.65


@pytest.fixture(scope="module")
def sheet_path(tmp_path_factory) -> Path:
    return make_sheet(tmp_path_factory.mktemp("render") / "sheet.dxf")


@pytest.fixture(scope="module")
def sheet(sheet_path):
    return drawings.read(sheet_path)


@pytest.fixture(scope="module")
def model_box(sheet):
    return fit_box(plan(sheet, pick_sheet(sheet, "Model")).dl.bounds(), SIZE, 0.02)


def _flip_text(spec) -> None:
    """Break the renderer on purpose: every text turned upside down about its origin."""
    for t in spec.dl.texts:
        a, b, c, d, e, f = t.matrix
        t.matrix = (-a, -b, -c, -d, e, f)


@pytest.fixture
def mirrored_blocks(monkeypatch):
    """Break the renderer on purpose: every block placement mirrored about its x axis."""
    orig = flatten_mod.placement
    monkeypatch.setattr(flatten_mod, "placement", lambda ins, rot, sx, sy: orig(ins, rot, sx, -sy))


@pytest.mark.parametrize("group", list(GROUPS))
def test_generated_groups_match_ezdxf(group, sheet, sheet_path, model_box):
    kinds = GROUPS[group]
    ref = ink(ezdxf_png(sheet_path, model_box, SIZE, only=kinds))
    assert ref.sum() > 500, "the reference must show the group"
    ours = ink(our_png(only_kinds(sheet, kinds), model_box, SIZE))
    score = agreement(ours, ref, RADIUS)
    assert score >= (TEXT_BAR if group == "text" else BAR), (group, score)
    # the same group missing from our picture fails
    empty = ink(our_png(only_kinds(sheet, frozenset()), model_box, SIZE))
    assert agreement(empty, ref, RADIUS) < 0.1


def test_whole_generated_model_space(sheet, sheet_path, model_box):
    ref = ink(ezdxf_png(sheet_path, model_box, SIZE))
    score = agreement(ink(our_png(sheet, model_box, SIZE)), ref, RADIUS)
    assert score >= BAR, score
    # a missing entity type (hatches) sinks the whole sheet below the bar
    no_hatch = only_kinds(
        sheet, frozenset().union(*(k for g, k in GROUPS.items() if g != "hatches"))
    )
    assert agreement(ink(our_png(no_hatch, model_box, SIZE)), ref, RADIUS) < BAR


def test_upside_down_text_fails(sheet, sheet_path, model_box):
    kinds = GROUPS["text"]
    ref = ink(ezdxf_png(sheet_path, model_box, SIZE, only=kinds))
    bad = ink(our_png(only_kinds(sheet, kinds), model_box, SIZE, tamper=_flip_text))
    assert agreement(bad, ref, RADIUS) < TEXT_BAR / 2


def test_wrong_block_transform_fails(sheet, sheet_path, model_box, mirrored_blocks):
    kinds = GROUPS["blocks"]
    ref = ink(ezdxf_png(sheet_path, model_box, SIZE, only=kinds))
    bad = ink(our_png(only_kinds(sheet, kinds), model_box, SIZE))
    assert agreement(bad, ref, RADIUS) < 0.75


def test_paper_layout_with_viewports(sheet, sheet_path):
    size = (1000, 707)
    box = fit_box((0.0, 0.0, 420.0, 297.0), size, 0.02)
    ref = ink(ezdxf_png(sheet_path, box, size, layout=LAYOUT))
    assert agreement(ink(our_png(sheet, box, size, layout=LAYOUT)), ref, RADIUS) >= BAR

    def lose_viewports(spec):
        spec.model = None

    lost = ink(our_png(sheet, box, size, layout=LAYOUT, tamper=lose_viewports))
    assert agreement(lost, ref, RADIUS) < 0.5
    # and model space is not a stand-in for the layout
    assert agreement(ink(our_png(sheet, box, size, layout="Model")), ref, RADIUS) < 0.2


# --------------------------------------------------------------------------------- corpus

#: Files below the common bar, with the measured score and why (renderer, reader or ezdxf).
CORPUS_BARS = {
    # ezdxf's add-on draws nothing at all for column MTEXT: only our ink is checked
    "single/ezdxf/mtext_columns_R2018.dxf": (None, "reference empty"),
    # measured 0.80: WIPEOUT masking is not drawn (the walls under the doors show)
    "single/ezdxf/wipeout_door.dxf": (0.75, "wipeouts"),
    # measured 0.85: dynamic block visibility states are not in the model, all are drawn
    "single/acadsharp/BLOCKVISIBILITYPARAMETER.dxf": (0.8, "dynamic block visibility"),
}


def _corpus_files(corpus: Path) -> list[str]:
    """Every single DXF and the first DXF revision of every pair."""
    rows = (corpus / "MANIFEST.tsv").read_text(encoding="utf-8").splitlines()[1:]
    seen: set[str] = set()
    out = []
    for row in rows:
        path = row.split("\t")[0]
        if not path.endswith(".dxf"):
            continue
        key = path.rsplit("/", 1)[0] if path.startswith("pairs/") else path
        if key in seen:
            continue
        seen.add(key)
        out.append(path)
    return out


def _corpus_params() -> list[str]:
    from tests.conftest import corpus_dir

    return _corpus_files(corpus_dir())


@pytest.mark.parametrize("rel", _corpus_params())
def test_corpus_sheet_matches_ezdxf(rel, corpus):
    path = corpus / rel
    d = drawings.read(path)
    sheet = pick_sheet(d, "Model")
    bounds = plan(d, sheet).dl.bounds() or (
        sheet.extents if all(map(math.isfinite, sheet.extents)) else (0.0, 0.0, 1.0, 1.0)
    )
    size = (640, 448)
    box = fit_box(bounds, size)
    ours = ink(our_png(d, box, size))
    ref = ink(ezdxf_png(path, box, size))
    bar, why = CORPUS_BARS.get(rel, (BAR, ""))
    if bar is None:
        assert ours.sum() > 0, why
        return
    score = agreement(ours, ref, RADIUS)
    assert score >= bar, (rel, score, why)


def _other_corpus_params() -> list[str]:
    """DWG and PDF files (no ezdxf reference): one per pair and every single file."""
    from tests.conftest import corpus_dir

    rows = (corpus_dir() / "MANIFEST.tsv").read_text(encoding="utf-8").splitlines()[1:]
    seen: set[str] = set()
    out = []
    for row in rows:
        path = row.split("\t")[0]
        if not path.endswith((".dwg", ".pdf")):
            continue
        key = path.rsplit("/", 1)[0] + path[-4:] if path.startswith("pairs/") else path
        if key not in seen:
            seen.add(key)
            out.append(path)
    return out


@pytest.mark.parametrize("rel", _other_corpus_params())
def test_corpus_dwg_and_pdf_render(rel, corpus):
    """Every sheet the readers accept renders; PDF pages come out as they are."""
    from storage.errors import FileFormatError

    try:
        d = drawings.read(corpus / rel)
    except FileFormatError as e:  # DWG older than R13: the reader's clear refusal
        assert "unsupported DWG version" in e.reason
        return
    from drawings.render import render_bytes

    sheet = pick_sheet(d, None)
    png = render_bytes(d, "png", width=400, layout=sheet.name)
    drawable = [e for e in sheet if e.kind != "VIEWPORT" and "raw" not in e.geometry]
    assert ink(png).sum() > 0 or not drawable, rel
    if d.format == "pdf":
        import pymupdf

        with pymupdf.open(corpus / rel) as src:
            page = src[0]
            z = 400 / page.rect.width
            direct = page.get_pixmap(matrix=pymupdf.Matrix(z, z), alpha=False).tobytes("png")
        assert agreement(ink(png), ink(direct), 1) > 0.99
