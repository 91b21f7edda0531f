"""A generated 总平面图 (site plan) in millimetres: a red line, buildings with labels, a hatch.

:data:`BUILDINGS` are rectangles ``(label, x, y, w, h)`` in metres on the ground, before the
plan's own rotation; :func:`write_siteplan` draws them (closed LWPOLYLINEs on layer ``建筑``,
the last one as a HATCH) in drawing millimetres, each with its label inside, and the title
block the ingest reads (图号 总-01).
"""

from __future__ import annotations

from pathlib import Path

import ezdxf

SHEET_NO = "总-01"
BUILDINGS = [("1#楼", 20.0, 20.0, 40.0, 15.0), ("2#楼", 80.0, 20.0, 30.0, 15.0),
             ("3#楼", 20.0, 60.0, 25.0, 20.0)]
SITE = (0.0, 0.0, 150.0, 100.0)


def _rect(x: float, y: float, w: float, h: float) -> list[tuple[float, float]]:
    return [(x, y), (x + w, y), (x + w, y + h), (x, y + h)]


def write_siteplan(path: Path, *, move: dict[str, tuple[float, float]] | None = None,
                   handle_seed: int = 0) -> dict[str, str]:
    """Write the plan (drawing units mm, 1 mm = 1 mm on the ground); ``move`` shifts a
    building by (dx, dy) metres.  Returns label -> handle of each building outline."""
    move = move or {}
    doc = ezdxf.new("R2013", setup=False)
    doc.header["$INSUNITS"] = 4  # mm
    msp = doc.modelspace()
    for _ in range(handle_seed):
        msp.add_point((0, 0), dxfattribs={"layer": "0"})
    x0, y0, w0, h0 = SITE
    msp.add_lwpolyline([(x * 1000, y * 1000) for x, y in _rect(x0, y0, w0, h0)], close=True,
                       dxfattribs={"layer": "红线"})
    handles = {}
    for i, (label, x, y, w, h) in enumerate(BUILDINGS):
        dx, dy = move.get(label, (0.0, 0.0))
        pts = [((px + dx) * 1000, (py + dy) * 1000) for px, py in _rect(x, y, w, h)]
        if i == len(BUILDINGS) - 1:
            hatch = msp.add_hatch(dxfattribs={"layer": "建筑"})
            hatch.paths.add_polyline_path(pts, is_closed=True)
            handles[label] = hatch.dxf.handle
        else:
            handles[label] = msp.add_lwpolyline(pts, close=True,
                                                dxfattribs={"layer": "建筑"}).dxf.handle
        msp.add_text(label, dxfattribs={"insert": ((x + dx + 2) * 1000, (y + dy + 2) * 1000),
                                        "height": 2000, "layer": "文字"})
    msp.add_text("图号", dxfattribs={"insert": (200000, 0), "height": 500})
    msp.add_text(SHEET_NO, dxfattribs={"insert": (203000, 0), "height": 500})
    msp.add_text("图名", dxfattribs={"insert": (200000, 1000), "height": 500})
    msp.add_text("总平面图", dxfattribs={"insert": (203000, 1000), "height": 500})
    path.parent.mkdir(parents=True, exist_ok=True)
    doc.saveas(path)
    return handles
