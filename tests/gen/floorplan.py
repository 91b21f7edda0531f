"""Floor-plan-like revision pairs with known truth, written by ezdxf (DXF) and PyMuPDF (PDF).

A plan is a list of :class:`Item` (one drawing entity each: walls, columns, doors as blocks with
an attribute, Chinese and Latin text, furniture, arcs, hatches, dimensions).  Revisions are made
on the item list, then each side is written to a file; the writer reports which handle each item
got, so the truth is known in handles:

>>> plan = make_plan(rooms=(6, 5), seed=1)
>>> new, truth = edit_plan(plan, seed=2, modify=12, add=4, remove=4)
>>> old_handles = write_dxf(plan, "old.dxf")
>>> new_handles = write_dxf(new, "new.dxf", shuffle=7, handle_start=0x8000)

``shuffle`` writes the entities in another order, ``handle_start`` renumbers every handle
(``shuffle`` without ``handle_start`` makes unrelated entities reuse the old handle values) and
``shift`` moves the whole drawing.  :func:`write_pdf` plots the same items onto a PDF page.
"""

from __future__ import annotations

import copy
import math
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOM_NAMES = ["卧室", "客厅", "厨房", "卫生间", "书房", "餐厅", "阳台", "储藏室"]
LATIN = ["BEDROOM", "LIVING", "KITCHEN", "BATH", "STUDY", "DINING", "BALCONY", "STORE"]
STYLE = {"color": 256}


@dataclass
class Item:
    id: int
    type: str  # wall, column, door, name, label, furniture, arc, hatch, dim
    layer: str
    p: dict[str, Any]
    color: int = 256  # BYLAYER

    @property
    def kind(self) -> str:
        return {
            "wall": "LINE", "column": "CIRCLE", "door": "INSERT", "name": "TEXT",
            "label": "MTEXT", "furniture": "LWPOLYLINE", "arc": "ARC", "hatch": "HATCH",
            "dim": "DIMENSION",
        }[self.type]


@dataclass
class Truth:
    """One expected change: kind, the item it concerns, what the engine should say."""

    kind: str  # added, removed, modified
    item: int
    what: tuple[str, ...] = ()
    old_handle: str | None = None
    new_handle: str | None = None


@dataclass
class Plan:
    items: list[Item]
    next_id: int
    size: tuple[float, float]
    rooms: list[tuple[float, float, float, float]] = field(default_factory=list)


def make_plan(rooms: tuple[int, int] = (6, 5), *, seed: int = 1, dim_every: int = 3,
              hatch_every: int = 3) -> Plan:
    """A grid of rooms, about 11 entities per room."""
    rng = random.Random(seed)
    nx, ny = rooms
    widths = [3300 + 300 * rng.randrange(0, 4) for _ in range(nx)]
    heights = [3000 + 300 * rng.randrange(0, 4) for _ in range(ny)]
    xs = [0.0]
    for w in widths:
        xs.append(xs[-1] + w)
    ys = [0.0]
    for h in heights:
        ys.append(ys[-1] + h)
    items: list[Item] = []
    boxes = []
    nid = 0

    def add(t: str, layer: str, **p: Any) -> None:
        nonlocal nid
        items.append(Item(nid, t, layer, p))
        nid += 1

    k = 0
    for j in range(ny):
        for i in range(nx):
            x0, y0, x1, y1 = xs[i], ys[j], xs[i + 1], ys[j + 1]
            boxes.append((x0, y0, x1, y1))
            t = 200.0
            add("wall", "A-WALL", a=(x0, y0), b=(x1, y0))
            add("wall", "A-WALL", a=(x0 + t, y0 + t), b=(x1 - t, y0 + t))
            add("wall", "A-WALL", a=(x0, y0 + 1.0), b=(x0, y1))
            add("wall", "A-WALL", a=(x0 + t, y0 + t + 1.0), b=(x0 + t, y1 - t))
            add("column", "S-COLS", c=(x0, y0), r=200.0)
            add("door", "A-DOOR", at=(x0 + 600.0, y0 + t), rot=0.0, scale=1.0,
                tag=f"M{900 + 100 * (k % 3)}{21 + k % 7:02d}-{k}")
            cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
            add("name", "A-ANNO", at=(cx - 600.0, cy + 200.0), h=300.0,
                text=f"{ROOM_NAMES[k % len(ROOM_NAMES)]}{k + 1}")
            area = (x1 - x0 - 2 * t) * (y1 - y0 - 2 * t) / 1e6
            add("label", "A-ANNO", at=(cx - 600.0, cy - 300.0), h=200.0,
                text=f"{LATIN[k % len(LATIN)]} {k + 1} {area:.2f} m2")
            fw, fh = rng.uniform(600, 1400), rng.uniform(500, 900)
            fx, fy = x1 - t - 200 - fw, y1 - t - 200 - fh
            add("furniture", "A-FURN",
                pts=[(fx, fy), (fx + fw, fy), (fx + fw, fy + fh), (fx, fy + fh)])
            add("arc", "A-FURN", c=(x0 + t + 500.0, y1 - t - 500.0), r=rng.uniform(250, 450),
                a0=0.0, a1=rng.choice([90.0, 180.0, 270.0]))
            if hatch_every and k % hatch_every == 0:
                add("hatch", "A-HATCH",
                    pts=[(x0 + t, y0 + t), (x1 - t, y0 + t), (x1 - t, y1 - t), (x0 + t, y1 - t)],
                    pattern="ANSI31" if k % 2 else "SOLID", scale=50.0)
            if dim_every and k % dim_every == 0:
                add("dim", "A-DIMS", a=(x0, y0), b=(x1, y0), base=(x0, y0 - 800.0))
            k += 1
    return Plan(items, nid, (xs[-1], ys[-1]), boxes)


# ------------------------------------------------------------------------------- revisions

#: Modification recipes: item type -> [(name, what the engine must report)].
RECIPES: dict[str, list[tuple[str, tuple[str, ...]]]] = {
    "wall": [("stretch", ("geometry",)), ("layer", ("layer",)), ("color", ("style",))],
    "column": [("radius", ("radius",)), ("move", ("moved",))],
    "door": [("attr", ("attributes",)), ("move", ("moved",)), ("rotate", ("rotated",)),
             ("scale", ("scaled",))],
    "name": [("text", ("text",)), ("move", ("moved",))],
    "label": [("text", ("text",))],
    "furniture": [("vertex", ("vertices",))],
    "arc": [("radius", ("radius",))],
}


def _modify(item: Item, recipe: str, rng: random.Random) -> Item:
    it = copy.deepcopy(item)
    p = it.p
    if recipe == "stretch":
        (ax, _), (bx, by) = p["a"], p["b"]
        if ax == bx:
            p["b"] = (bx, by - rng.choice([300.0, 450.0, 600.0]))
        else:
            p["b"] = (bx - rng.choice([300.0, 450.0, 600.0]), by)
    elif recipe == "layer":
        it.layer = "A-WALL-DEMO"
    elif recipe == "color":
        it.color = 1
    elif recipe == "radius":
        p["r"] = p["r"] + 50.0
    elif recipe == "move":
        key = "c" if "c" in p else "at"
        x, y = p[key]
        p[key] = (x + 150.0, y + 100.0) if it.type != "door" else (x + 300.0, y)
    elif recipe == "attr":
        p["tag"] = p["tag"] + "A"
    elif recipe == "rotate":
        p["rot"] = 90.0
    elif recipe == "scale":
        p["scale"] = 1.25
    elif recipe == "text":
        p["text"] = p["text"] + ("（改）" if it.type == "name" else " REV B")
    elif recipe == "vertex":
        pts = list(p["pts"])
        x, y = pts[2]
        pts[2] = (x + 120.0, y + 80.0)
        p["pts"] = pts
    return it


def edit_plan(plan: Plan, *, seed: int = 2, modify: int = 12, add: int = 4, remove: int = 4,
              ) -> tuple[Plan, list[Truth]]:
    """A revised copy of ``plan`` and the truth (in item ids; handles are filled by
    :func:`truth_handles`).

    Edits stay unambiguous by construction: each touches a different item, additions are new
    furniture/notes/columns with sizes and texts found nowhere else, and nothing is added on top
    of something removed.
    """
    rng = random.Random(seed)
    by_id = {it.id: it for it in plan.items}
    candidates = [it for it in plan.items if it.type in RECIPES]
    rng.shuffle(candidates)
    truth: list[Truth] = []
    touched: set[int] = set()
    new_items = {it.id: it for it in plan.items}
    for it in candidates[:modify]:
        recipe, what = rng.choice(RECIPES[it.type])
        new_items[it.id] = _modify(it, recipe, rng)
        truth.append(Truth("modified", it.id, what))
        touched.add(it.id)
    removable = [it for it in plan.items if it.id not in touched]
    rng.shuffle(removable)
    removed_boxes = []
    for it in removable[:remove]:
        del new_items[it.id]
        truth.append(Truth("removed", it.id))
        removed_boxes.append(item_bbox(it))
    nid = plan.next_id
    rooms = list(plan.rooms)
    rng.shuffle(rooms)
    added = 0
    for x0, y0, x1, _y1 in rooms:
        if added >= add:
            break
        cx = (x0 + x1) / 2
        spot = (cx + 300.0, y0 + 700.0, cx + 1100.0, y0 + 1300.0)
        if any(_overlaps(spot, b, 800.0) for b in removed_boxes):
            continue
        choice = added % 3
        if choice == 0:
            w, h = 700.0 + 3.7 * added, 500.0 + 1.3 * added
            new = Item(nid, "furniture", "A-FURN-NEW", {
                "pts": [(spot[0], spot[1]), (spot[0] + w, spot[1]), (spot[0] + w, spot[1] + h),
                        (spot[0], spot[1] + h)]})
        elif choice == 1:
            new = Item(nid, "name", "A-ANNO-NOTE",
                       {"at": (spot[0], spot[1]), "h": 180.0, "text": f"新增说明 NOTE {nid}"})
        else:
            new = Item(nid, "column", "S-COLS-NEW",
                       {"c": (spot[0] + 300.0, spot[1] + 300.0), "r": 160.0 + 0.5 * added})
        new_items[nid] = new
        truth.append(Truth("added", nid))
        nid += 1
        added += 1
    ordered = [new_items[i] for i in sorted(new_items)]
    del by_id
    return Plan(ordered, nid, plan.size, plan.rooms), truth


def _overlaps(a, b, pad: float) -> bool:
    return not (a[2] + pad < b[0] or b[2] + pad < a[0] or a[3] + pad < b[1] or b[3] + pad < a[1])


def item_bbox(it: Item) -> tuple[float, float, float, float]:
    p = it.p
    pts: list[tuple[float, float]] = []
    if "a" in p:
        pts += [p["a"], p["b"]]
    if "pts" in p:
        pts += list(p["pts"])
    if "c" in p:
        r = p.get("r", 0.0)
        pts += [(p["c"][0] - r, p["c"][1] - r), (p["c"][0] + r, p["c"][1] + r)]
    if "at" in p and it.type == "door":  # leaf, swing and tag below, any rotation
        x, y = p["at"]
        pts += [(x - 1000.0, y - 1000.0), (x + 1000.0, y + 1000.0)]
    elif "at" in p:
        x, y = p["at"]
        w = p.get("h", 300.0) * len(p.get("text", "x")) * 0.8
        pts += [(x, y), (x + w, y + max(w, p.get("h", 0)))]
    if "base" in p:
        pts.append(p["base"])
    xs = [q[0] for q in pts]
    ys = [q[1] for q in pts]
    return (min(xs), min(ys), max(xs), max(ys))


def truth_handles(truth: list[Truth], old: dict[int, str], new: dict[int, str]) -> list[Truth]:
    return [Truth(t.kind, t.item, t.what, old.get(t.item) if t.kind != "added" else None,
                  new.get(t.item) if t.kind != "removed" else None) for t in truth]


# ------------------------------------------------------------------------------- DXF writer


def _door_block(doc, variant: int = 0) -> None:
    blk = doc.blocks.new("DOOR", base_point=(0, 0))
    blk.add_line((0, 0), (0, 900), dxfattribs={"layer": "0"})
    if variant:  # a revised door symbol: the leaf drawn with its thickness
        blk.add_line((40, 0), (40, 900), dxfattribs={"layer": "0"})
    blk.add_arc((0, 0), 900, 0, 90, dxfattribs={"layer": "0"})
    blk.add_lwpolyline([(0, 0), (900, 0)], dxfattribs={"layer": "0"})
    blk.add_attdef("门号", (100, -250), dxfattribs={"height": 150, "layer": "0"})


def write_dxf(plan: Plan, path: str | Path, *, shuffle: int | None = None,
              handle_start: int | None = None, shift: tuple[float, float] = (0.0, 0.0),
              version: str = "R2013", door_variant: int = 0) -> dict[int, str]:
    """Write ``plan`` as DXF; returns item id -> handle.

    ``door_variant=1`` redefines the DOOR block (a block-definition change).
    """
    import ezdxf

    doc = ezdxf.new(version, setup=True)
    for name, color in (("A-WALL", 7), ("A-WALL-DEMO", 8), ("S-COLS", 4), ("A-DOOR", 3),
                        ("A-ANNO", 2), ("A-FURN", 5), ("A-HATCH", 9), ("A-DIMS", 1),
                        ("A-FURN-NEW", 5), ("A-ANNO-NOTE", 2), ("S-COLS-NEW", 4)):
        doc.layers.add(name, color=color)
    _door_block(doc, door_variant)
    if handle_start is not None:
        doc.entitydb.handles.reset(f"{handle_start:X}")
    msp = doc.modelspace()
    dx, dy = shift
    items = list(plan.items)
    if shuffle is not None:
        random.Random(shuffle).shuffle(items)
    handles: dict[int, str] = {}

    def P(p):
        return (p[0] + dx, p[1] + dy)

    for it in items:
        a = {"layer": it.layer, "color": it.color}
        p = it.p
        t = it.type
        if t == "wall":
            e = msp.add_line(P(p["a"]), P(p["b"]), dxfattribs=a)
        elif t == "column":
            e = msp.add_circle(P(p["c"]), p["r"], dxfattribs=a)
        elif t == "arc":
            e = msp.add_arc(P(p["c"]), p["r"], p["a0"], p["a1"], dxfattribs=a)
        elif t == "door":
            e = msp.add_blockref("DOOR", P(p["at"]), dxfattribs=a | {
                "rotation": p["rot"], "xscale": p["scale"], "yscale": p["scale"]})
            e.add_auto_attribs({"门号": p["tag"]})
        elif t == "name":
            e = msp.add_text(p["text"], height=p["h"],
                             dxfattribs=a | {"insert": P(p["at"])})
        elif t == "label":
            e = msp.add_mtext(p["text"], dxfattribs=a | {"insert": P(p["at"]),
                                                          "char_height": p["h"]})
        elif t == "furniture":
            e = msp.add_lwpolyline([P(q) for q in p["pts"]], close=True, dxfattribs=a)
        elif t == "hatch":
            e = msp.add_hatch(dxfattribs=a)
            if p["pattern"] == "SOLID":
                e.set_solid_fill(color=256)
            else:
                e.set_pattern_fill(p["pattern"], scale=p["scale"], color=256)
            e.paths.add_polyline_path([P(q) for q in p["pts"]], is_closed=True)
        elif t == "dim":
            dim = msp.add_linear_dim(base=P(p["base"]), p1=P(p["a"]), p2=P(p["b"]),
                                     dimstyle="EZDXF", dxfattribs=a)
            dim.render()
            e = dim.dimension
        else:  # pragma: no cover - every type is listed above
            raise ValueError(t)
        handles[it.id] = e.dxf.handle
    doc.saveas(path)
    return handles


# ------------------------------------------------------------------------------- PDF writer


def write_pdf(plan: Plan, path: str | Path, *, offset_mm: tuple[float, float] = (0.0, 0.0),
              page_size: tuple[float, float] = (2384.0, 1684.0), decimals: int | None = None,
              text: bool = True) -> tuple[float, float, float]:
    """Plot ``plan`` on one PDF page (vector paths + text spans), as a CAD plot would.

    Returns the mapping ``(scale, ox, oy)`` from plan mm to page points (y up, origin bottom
    left) so tests can place the truth on the page.  ``decimals`` rounds every page coordinate
    as plot drivers do (so a shifted plot is re-rounded, not just moved); ``text=False`` leaves
    the text out, as plots that draw text as strokes give no text spans.
    """
    import pymupdf

    W, H = page_size
    margin = 72.0
    sx = (W - 2 * margin) / max(plan.size[0], 1.0)
    sy = (H - 2 * margin) / max(plan.size[1] + 1000.0, 1.0)
    s = min(sx, sy)
    mm = 72.0 / 25.4
    ox = margin + offset_mm[0] * mm
    oy = margin + 1000.0 * s + offset_mm[1] * mm

    def P(q):
        # fitz page space has y down; the plot maps plan y up onto it
        x, y = ox + q[0] * s, H - (oy + q[1] * s)
        if decimals is not None:
            x, y = round(x, decimals), round(y, decimals)
        return pymupdf.Point(x, y)

    doc = pymupdf.open()
    page = doc.new_page(width=W, height=H)
    black = (0, 0, 0)
    for it in plan.items:
        p = it.p
        t = it.type
        col = (1, 0, 0) if it.color == 1 else black
        if it.layer == "A-WALL-DEMO":
            col = (0.5, 0.5, 0.5)
        if t == "wall":
            page.draw_line(P(p["a"]), P(p["b"]), color=col, width=0.5)
        elif t == "column":
            page.draw_circle(P(p["c"]), p["r"] * s, color=col, width=0.3)
        elif t == "arc":
            c, r = p["c"], p["r"]
            pts = [P((c[0] + r * math.cos(math.radians(a)), c[1] + r * math.sin(math.radians(a))))
                   for a in _frange(p["a0"], p["a1"], 10.0)]
            page.draw_polyline(pts, color=col, width=0.3)
        elif t == "door":
            x, y = p["at"]
            rot = math.radians(p["rot"])
            k = p["scale"]
            cr, sr = math.cos(rot) * k, math.sin(rot) * k

            def D(u, v, x=x, y=y, cr=cr, sr=sr):
                return P((x + u * cr - v * sr, y + u * sr + v * cr))

            page.draw_polyline([D(0, 900), D(0, 0), D(900, 0)], color=col, width=0.3)
            page.draw_polyline([D(900 * math.cos(math.radians(a)), 900 * math.sin(math.radians(a)))
                                for a in _frange(0, 90, 10.0)], color=col, width=0.2)
            if text:
                page.insert_text(D(100, -250), p["tag"], fontsize=max(150 * s, 2.0), color=col)
            else:  # stroke-font stand-in, as long as the tag
                page.draw_polyline([D(100, -250), D(100 + 90 * len(p["tag"]), -250)],
                                   color=col, width=0.2)
        elif t in ("name", "label") and not text:
            x, y = p["at"]  # a stroke-font stand-in: one short path per text
            page.draw_polyline([P((x, y)), P((x + p["h"] * len(p["text"]) * 0.6, y)),
                                P((x, y + p["h"] * (1 + len(p["text"]) % 5 / 10)))],
                               color=col, width=0.2)
        elif t in ("name", "label"):
            fontname = "china-s" if any(ord(ch) > 0x2E7F for ch in p["text"]) else "helv"
            page.insert_text(P(p["at"]), p["text"], fontsize=p["h"] * s, fontname=fontname,
                             color=col)
        elif t == "furniture":
            page.draw_polyline([P(q) for q in p["pts"]], color=col, width=0.3, closePath=True)
        elif t == "hatch":
            fill = (0.85, 0.85, 0.85) if p["pattern"] == "SOLID" else (0.9, 0.9, 1.0)
            page.draw_polyline([P(q) for q in p["pts"]], color=None, fill=fill, width=0,
                               closePath=True)
        elif t == "dim":
            (ax, ay), (bx, by), (_, base_y) = p["a"], p["b"], p["base"]
            page.draw_polyline([P((ax, ay)), P((ax, base_y)), P((bx, base_y)), P((bx, by))],
                               color=col, width=0.2)
            if text:
                page.insert_text(P(((ax + bx) / 2, base_y + 100)), f"{abs(bx - ax):.0f}",
                                 fontsize=max(200 * s, 2.0), color=col)
    doc.save(str(path), deflate=True)
    doc.close()
    return s, ox, oy


def _frange(a0: float, a1: float, step: float) -> list[float]:
    n = max(1, int(abs(a1 - a0) / step))
    return [a0 + (a1 - a0) * k / n for k in range(n + 1)]
