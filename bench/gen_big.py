"""Generate a large, floor-plan-like DXF for benchmarks (importable: ``from bench.gen_big import``).

Mix per 100 entities: 40 lines, 15 lwpolylines (with bulges), 8 circles, 8 arcs, 10 TEXT
(Chinese and Latin), 5 MTEXT (with formatting codes), 8 INSERTs of a door block with
attributes, 3 hatches (polyline and edge paths), 1 linear dimension, 2 points.

    python -m bench.gen_big 100000 /tmp/big.dxf
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

import ezdxf
from ezdxf.document import Drawing

MIX = (
    ("line", 40),
    ("lwpolyline", 15),
    ("circle", 8),
    ("arc", 8),
    ("text", 10),
    ("mtext", 5),
    ("insert", 8),
    ("hatch", 3),
    ("dimension", 1),
    ("point", 2),
)
LAYERS = ("A-WALL", "A-DOOR", "A-TEXT", "A-HATCH", "A-DIMS", "A-FURN", "S-COLS")


def make_doc(n: int, seed: int = 0, version: str = "R2018") -> Drawing:
    """An ezdxf document with about ``n`` model-space entities (deterministic for a seed)."""
    rnd = random.Random(seed)
    doc = ezdxf.new(version, setup=True)
    doc.header["$INSUNITS"] = 4
    for i, name in enumerate(LAYERS):
        doc.layers.add(name, color=i + 1)
    door = doc.blocks.new("DOOR")
    door.add_line((0, 0), (900, 0))
    door.add_arc((0, 0), 900, 0, 90)
    door.add_attdef("NO", (0, -200), dxfattribs={"height": 100})
    door.add_attdef("TYPE", (0, -400), dxfattribs={"height": 100})
    msp = doc.modelspace()
    kinds = [k for k, w in MIX for _ in range(w)]
    side = max(1, int((n / 100) ** 0.5))
    for i in range(n):
        kind = kinds[i % len(kinds)]
        cell = i // 100
        ox, oy = (cell % side) * 20000.0, (cell // side) * 20000.0
        x, y = ox + rnd.uniform(0, 18000), oy + rnd.uniform(0, 18000)
        layer = LAYERS[i % len(LAYERS)]
        attribs = {"layer": layer}
        if kind == "line":
            msp.add_line(
                (x, y), (x + rnd.uniform(-3000, 3000), y + rnd.uniform(-3000, 3000)), attribs
            )
        elif kind == "lwpolyline":
            pts = [(x + k * 500.0, y + rnd.uniform(0, 800), 0, 0, rnd.choice((0, 0, 0.5, -1)))
                   for k in range(rnd.randint(3, 8))]  # fmt: skip
            msp.add_lwpolyline(pts, format="xyseb", close=rnd.random() < 0.5, dxfattribs=attribs)
        elif kind == "circle":
            msp.add_circle((x, y), rnd.uniform(50, 800), attribs)
        elif kind == "arc":
            a = rnd.uniform(0, 360)
            msp.add_arc(
                (x, y), rnd.uniform(50, 800), a, a + rnd.uniform(10, 300), dxfattribs=attribs
            )
        elif kind == "text":
            s = rnd.choice(("卧室", "客厅 LIVING", "厨房", "门厅 HALL", "卫生间", f"房间 {i}"))
            msp.add_text(
                s, height=250, rotation=rnd.choice((0, 90)), dxfattribs=attribs
            ).set_placement((x, y))
        elif kind == "mtext":
            msp.add_mtext(
                f"{{\\fSimSun|b1;说明}} 第{i}条\\P材料：C30 混凝土", dxfattribs=attribs
            ).set_location((x, y))
        elif kind == "insert":
            ref = msp.add_blockref(
                "DOOR", (x, y), dxfattribs={**attribs, "rotation": rnd.choice((0, 90, 180))}
            )
            ref.add_auto_attribs({"NO": f"M{i % 997}", "TYPE": rnd.choice(("M1", "M2", "FM甲"))})
        elif kind == "hatch":
            h = msp.add_hatch(color=rnd.randint(1, 7), dxfattribs=attribs)
            if i % 2:
                h.paths.add_polyline_path([(x, y), (x + 900, y), (x + 900, y + 600), (x, y + 600)])
            else:
                ep = h.paths.add_edge_path()
                ep.add_line((x, y), (x + 800, y))
                ep.add_arc((x + 800, y + 400), 400, -90, 90)
                ep.add_line((x + 800, y + 800), (x, y + 800))
                ep.add_line((x, y + 800), (x, y))
            if i % 3 == 0:
                h.set_pattern_fill("ANSI31", scale=10)
        elif kind == "dimension":
            p2 = (x + rnd.uniform(500, 5000), y)
            dim = msp.add_linear_dim(base=(x, y + 500), p1=(x, y), p2=p2, dxfattribs=attribs)
            dim.render()
        else:
            msp.add_point((x, y), dxfattribs=attribs)
    return doc


def cached_big(n: int, seed: int = 0, directory: str | Path | None = None) -> Path:
    """Path of a generated ``n``-entity DXF, made once per (n, seed) in a temp directory."""
    import tempfile

    d = Path(directory or Path(tempfile.gettempdir()) / "yitaotu-bench")
    d.mkdir(parents=True, exist_ok=True)
    path = d / f"big-{n}-{seed}.dxf"
    if not path.exists():
        tmp = path.with_suffix(".tmp")
        make_doc(n, seed).saveas(tmp)
        tmp.replace(path)
    return path


if __name__ == "__main__":
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    out = sys.argv[2] if len(sys.argv) > 2 else f"big-{count}.dxf"
    make_doc(count).saveas(out)
    print(out)
