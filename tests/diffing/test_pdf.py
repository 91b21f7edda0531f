"""The same generated revision pairs plotted to PDF (PyMuPDF), the new one 1 mm off the page.

PDF has no handles and plots every block, hatch and text as its own paths and spans, so the
truth is checked by place: every change lies on a true edit, every true edit is found, and the
1 mm plot offset is only the alignment.
"""

from __future__ import annotations

import pytest

from diffing import diff_files
from tests.gen.floorplan import edit_plan, item_bbox, make_plan, write_pdf

MM = 72.0 / 25.4
PAD = 3.0  # points


@pytest.fixture(scope="module")
def plan():
    return make_plan((8, 6), seed=11)


def _overlaps(a, b, pad=PAD) -> bool:
    return not (a[2] + pad < b[0] or b[2] + pad < a[0] or a[3] + pad < b[1] or b[3] + pad < a[1])


def _regions(plan, new, truth, mapping):
    s, ox, oy = mapping
    old_items = {it.id: it for it in plan.items}
    new_items = {it.id: it for it in new.items}
    out = []
    for t in truth:
        boxes = [item_bbox(x[t.item]) for x in (old_items, new_items) if t.item in x]
        x0 = min(b[0] for b in boxes)
        y0 = min(b[1] for b in boxes)
        x1 = max(b[2] for b in boxes)
        y1 = max(b[3] for b in boxes)
        out.append((t, (ox + x0 * s, oy + y0 * s, ox + x1 * s, oy + y1 * s)))
    return out


@pytest.mark.parametrize(("edits", "seed", "plot"), [
    ({"modify": 14, "add": 4, "remove": 4}, 3, {}),
    ({"modify": 24, "add": 6, "remove": 6}, 4, {}),
    # a driver writing 0.1 pt coordinates (the offset plot is re-rounded) and text as strokes
    ({"modify": 14, "add": 4, "remove": 4}, 5, {"decimals": 1, "text": False}),
], ids=["small", "heavy", "rounded-no-text"])
def test_plotted_pair_one_mm_off(tmp_path, plan, edits, seed, plot):
    new, truth = edit_plan(plan, seed=seed, **edits)
    write_pdf(plan, tmp_path / "old.pdf", **plot)
    mapping = write_pdf(new, tmp_path / "new.pdf", offset_mm=(1.0, 0.0), **plot)
    report = diff_files(tmp_path / "old.pdf", tmp_path / "new.pdf")
    assert report.alignment.dx == pytest.approx(MM, abs=0.05)
    assert report.alignment.dy == pytest.approx(0.0, abs=0.05)
    assert (report.alignment.scale, report.alignment.rotation) == (1.0, 0.0)
    regions = _regions(plan, new, truth, mapping)
    spurious = [c for c in report.changes if not any(_overlaps(c.bbox, r) for _, r in regions)]
    assert not spurious, [(c.kind, c.type, c.what, c.bbox) for c in spurious]
    missed = [t for t, r in regions if not any(_overlaps(c.bbox, r) for c in report.changes)]
    assert not missed, missed
    # a modification stays a modification: never only an add + remove pair
    for t, r in regions:
        if t.kind == "modified":
            kinds = {c.kind for c in report.changes if _overlaps(c.bbox, r)}
            assert "modified" in kinds, (t, kinds)


@pytest.mark.parametrize("plot", [{}, {"decimals": 1, "text": False}], ids=["exact", "rounded"])
def test_plotted_without_edit_gives_no_changes(tmp_path, plan, plot):
    write_pdf(plan, tmp_path / "old.pdf", **plot)
    write_pdf(plan, tmp_path / "new.pdf", offset_mm=(1.0, 0.0), **plot)
    report = diff_files(tmp_path / "old.pdf", tmp_path / "new.pdf")
    assert not report, report.changes[:5]
    assert report.alignment.dx == pytest.approx(MM, abs=0.05)
