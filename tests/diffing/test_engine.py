"""Engine unit tests on hand-made entities: matching order, handles, alignment, description."""

from __future__ import annotations

import random

import pytest

from diffing import diff_drawings
from tests.diffing.handmade import drawing, ent


def grid(n=60, *, dx=0.0, dy=0.0, handle0=0x100, seed=1):
    rng = random.Random(seed)
    out = []
    for k in range(n):
        x, y = rng.uniform(0, 10000) + dx, rng.uniform(0, 8000) + dy
        length = rng.uniform(500, 3000)
        out.append(ent("LINE", "A-WALL", f"{handle0 + k:X}", points=[(x, y), (x + length, y + 7)]))
    return out


def test_identical_gives_nothing():
    d = drawing(grid())
    r = diff_drawings(d, drawing(grid()))
    assert not r
    assert r.stats == {"added": 0, "removed": 0, "modified": 0, "unchanged": 60}


def test_line_moved_is_one_modified_change():
    old = grid()
    new = grid()
    a = new[5]
    (x0, y0), (x1, y1) = a.geometry["points"]
    new[5] = ent("LINE", "A-WALL", a.handle, points=[(x0 + 100, y0), (x1 + 100, y1)])
    r = diff_drawings(drawing(old), drawing(new))
    assert r.stats["modified"] == 1 and not r.added and not r.removed
    c = r.modified[0]
    assert c.what == ("moved",)
    assert c.details["moved_by"] == [100.0, 0.0]
    assert (c.old_handle, c.new_handle) == (old[5].handle, new[5].handle)
    assert c.cluster == r.clusters[0].id


def test_global_shift_is_one_sheet_change():
    """Model space moved as a whole: one SHEET change, no entity change (issue #16 §4)."""
    r = diff_drawings(drawing(grid()), drawing(grid(dx=1000, dy=500, handle0=0x900)))
    assert [(c.type, c.what, c.details) for c in r.changes] == [
        ("SHEET", ("moved",), {"moved_by": [1000.0, 500.0]})]
    assert r.stats == {"added": 0, "removed": 0, "modified": 1, "unchanged": 60}
    assert (r.alignment.dx, r.alignment.dy) == (1000.0, 500.0)
    assert r.to_json()["alignment"] == {"dx": 1000.0, "dy": 500.0, "scale": 1.0, "rotation": 0.0}


def test_text_and_radius_changes_are_described():
    old = [*grid(), ent("TEXT", "A-TEXT", "AA", text="卧室", insert=(50, 50), height=300),
           ent("CIRCLE", "S-COL", "AB", center=(9000, 9000), radius=200)]
    new = [*grid(), ent("TEXT", "A-TEXT", "AA", text="主卧 BEDROOM", insert=(50, 50), height=300),
           ent("CIRCLE", "S-COL", "AB", center=(9000, 9000), radius=250)]
    r = diff_drawings(drawing(old), drawing(new))
    by = {c.type: c for c in r.modified}
    assert by["TEXT"].what == ("text",)
    assert by["TEXT"].details["text"] == {"before": "卧室", "after": "主卧 BEDROOM"}
    assert by["CIRCLE"].what == ("radius",)
    assert by["CIRCLE"].details["radius"] == [200, 250]


def test_style_only_change_and_ignore_style():
    old = [*grid(), ent("CIRCLE", "S-COL", "AB", center=(9000, 9000), radius=200)]
    red = {"color": 1, "linetype": "Continuous", "lineweight": -3}
    new = [*grid(), ent("CIRCLE", "S-COL", "AB", style=red, center=(9000, 9000), radius=200)]
    r = diff_drawings(drawing(old), drawing(new))
    assert [c.what for c in r.changes] == [("style",)]
    assert r.changes[0].details["style"] == {"color": [7, 1]}
    assert not diff_drawings(drawing(old), drawing(new), ignore_style=True)


def test_far_apart_add_and_remove_are_not_paired():
    old = [*grid(), ent("CIRCLE", "S-COL", "X1", center=(0, 0), radius=200)]
    new = [*grid(), ent("CIRCLE", "S-COL", "X2", center=(9900, 7900), radius=300)]
    r = diff_drawings(drawing(old), drawing(new))
    assert r.stats == {"added": 1, "removed": 1, "modified": 0, "unchanged": 60}


def test_handles_reused_by_unrelated_entities_are_not_trusted():
    old = grid()
    new = grid()
    # new file: every handle reassigned (shuffled), one line stretched
    hs = [e.handle for e in new]
    random.Random(3).shuffle(hs)
    for e, h in zip(new, hs, strict=True):
        e.handle = h
    a = new[7]
    (x0, y0), (x1, y1) = a.geometry["points"]
    new[7] = ent("LINE", "A-WALL", a.handle, points=[(x0, y0), (x1 + 400, y1)])
    r = diff_drawings(drawing(old), drawing(new))
    assert r.stats["modified"] == 1 and r.stats["added"] == r.stats["removed"] == 0
    c = r.modified[0]
    assert (c.old_handle, c.new_handle) == (old[7].handle, new[7].handle)
    assert c.what == ("geometry",)


def test_json_contract_keys():
    old = grid()
    new = grid()[:-1]
    js = diff_drawings(drawing(old), drawing(new)).to_json()
    assert {"engine", "old", "new", "alignment", "summary", "changes", "clusters"} <= js.keys()
    assert js["engine"] == "yitaotu-diff/1"
    c = js["changes"][0]
    keys = {"id", "kind", "old_handle", "new_handle", "type", "layer", "bbox", "cluster"}
    assert keys <= c.keys()
    assert js["clusters"][0]["changes"] == [c["id"]]


def test_json_round_trip():
    from diffing import DiffReport

    old = [*grid(), ent("CIRCLE", "S-COL", "AB", center=(9000, 9000), radius=200)]
    new = [*grid()[:-2], ent("CIRCLE", "S-COL", "AB", center=(9000, 9000), radius=250)]
    r = diff_drawings(drawing(old), drawing(new))
    again = DiffReport.from_json(r.to_json())
    assert again.to_json() == r.to_json()
    assert again.stats == r.stats and bool(again)


def _rotated(entities, deg, dx, dy, handle0):
    import math

    c, s = math.cos(math.radians(deg)), math.sin(math.radians(deg))

    def f(p):
        return (c * p[0] - s * p[1] + dx, s * p[0] + c * p[1] + dy)

    out = []
    for k, e in enumerate(entities):
        h = f"{handle0 + k:X}"
        g = e.geometry
        if e.kind == "LINE":
            out.append(ent("LINE", e.layer, h, points=[f(p) for p in g["points"]]))
        elif e.kind == "TEXT":
            out.append(ent("TEXT", e.layer, h, text=e.text, insert=f(g["insert"]),
                           height=g["height"], rotation=(g["rotation"] + deg) % 360))
    return out


def test_rotated_and_moved_drawing_is_one_sheet_change():
    base = grid(40) + [
        ent("TEXT", "A-TEXT", f"T{k}", text=f"房间 {k}", insert=(300.0 * k, 77.0 * k),
            height=250.0, rotation=0.0)
        for k in range(12)
    ]
    turned = _rotated(base, 90.0, 5000.0, -200.0, 0x5000)
    r = diff_drawings(drawing(base), drawing(turned))
    assert [(c.type, c.what) for c in r.changes] == [("SHEET", ("moved", "rotated"))]
    assert r.changes[0].details["rotation"] == pytest.approx(90.0, abs=1e-6)
    assert r.alignment.rotation == pytest.approx(90.0, abs=1e-6)
    assert (r.alignment.dx, r.alignment.dy) == (pytest.approx(5000.0), pytest.approx(-200.0))


def test_text_writer_golden():
    import io

    from diffing import write_text

    old = [*grid(8), ent("TEXT", "A-TEXT", "AA", text="卧室", insert=(50, 50), height=300)]
    new = [*grid(8), ent("TEXT", "A-TEXT", "2F", text="主卧", insert=(50, 50), height=300)]
    buf = io.StringIO()
    write_text(diff_drawings(drawing(old, path="a.dxf"), drawing(new, path="b.dxf")), buf)
    assert buf.getvalue().splitlines() == [
        "一套图 差异 Diff (yitaotu-diff/1)",
        "旧 Old: a.dxf (dxf, 9 个实体 entities)",
        "新 New: b.dxf (dxf, 9 个实体 entities)",
        "汇总 Summary: 新增 added 0 · 删除 removed 0 · 修改 modified 1 · 未变 unchanged 8",
        "",
        "按图层 By layer:",
        "  图层 Layer  新增 added  删除 removed  修改 modified",
        "  A-TEXT               0             0              1",
        "",
        "按类型 By type:",
        "  类型 Type  新增 added  删除 removed  修改 modified",
        "  TEXT                0             0              1",
        "",
        "变更 Changes:",
        "  c1    修改 modified   TEXT       A-TEXT          AA → 2F  文字 text '卧室' → '主卧'"
        "  云线 cloud 1",
    ]


def test_recycled_handle_in_a_shared_handle_space_is_not_a_modification():
    old = grid()
    new = grid()
    # the file keeps its handles, but one line was deleted and its handle given to an
    # unrelated line on another layer far away
    gone = new[3]
    new[3] = ent("LINE", "E-POWR", gone.handle, points=[(-20000.0, -20000.0), (-19000.0, -19000.0)])
    r = diff_drawings(drawing(old), drawing(new))
    assert r.stats == {"added": 1, "removed": 1, "modified": 0, "unchanged": 59}
    # while in the same handle space a real edit is paired by handle even when far
    new[3] = ent("LINE", "A-WALL", gone.handle, points=[(-20000.0, -20000.0), (-19000.0, -19000.0)])
    r = diff_drawings(drawing(old), drawing(new))
    assert r.stats["modified"] == 1 and r.modified[0].old_handle == gone.handle
