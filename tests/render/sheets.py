"""A generated sheet using every feature the renderer must honour, written by ezdxf.

Model space: lines, bulged and wide polylines, circles, arcs, ellipses, splines, points, solids,
TEXT in every alignment and rotation (Chinese and Latin), MTEXT with wrapping and attachment,
nested and mirrored block references with attributes, a MINSERT array, solid and pattern
hatches, a linear dimension, dashed linetypes, lineweights, ACI and true colours, a layer that
is off and one that is frozen.  Paper space: an A3 layout with a title block and two viewports
at different scales.
"""

from __future__ import annotations

import math
from pathlib import Path


def make_sheet(path: str | Path) -> Path:
    import ezdxf
    from ezdxf.enums import TextEntityAlignment

    doc = ezdxf.new("R2018", setup=True)
    doc.units = ezdxf.units.MM
    doc.layers.add("WALL", color=7, lineweight=50)
    doc.layers.add("TEXT", color=1)
    doc.layers.add("HATCH", color=8)
    doc.layers.add("DIM", color=3)
    doc.layers.add("DOOR", color=4)
    doc.layers.add("HIDDEN_OFF", color=2).off()
    doc.layers.add("HIDDEN_FROZEN", color=5).freeze()
    msp = doc.modelspace()

    # walls: a 12 x 8 m plan with inner walls
    for x0, y0, x1, y1 in [
        (0, 0, 12000, 0),
        (12000, 0, 12000, 8000),
        (12000, 8000, 0, 8000),
        (0, 8000, 0, 0),
        (5000, 0, 5000, 8000),
        (5000, 4000, 12000, 4000),
        (0, 5200, 5000, 5200),
    ]:
        msp.add_line((x0, y0), (x1, y1), dxfattribs={"layer": "WALL"})
    msp.add_lwpolyline(
        [(200, 200, 0.0), (2200, 200, 0.6), (2200, 1400, 0.0), (200, 1400, -0.4)],
        format="xyb",
        close=True,
        dxfattribs={"layer": "WALL", "color": 6},
    )
    msp.add_lwpolyline([(6000, 600), (7500, 600), (7500, 1500)], dxfattribs={"const_width": 60})
    msp.add_circle((9000, 2000), 600, dxfattribs={"color": 1})
    msp.add_arc((9000, 2000), 900, 20, 160, dxfattribs={"color": 3})
    msp.add_ellipse((3000, 3000), major_axis=(1200, 300), ratio=0.4, dxfattribs={"color": 5})
    msp.add_ellipse(
        (3000, 3000),
        major_axis=(0, 800),
        ratio=0.5,
        start_param=0,
        end_param=math.pi,
        dxfattribs={"true_color": 0x00A0A0},
    )
    msp.add_spline([(6000, 2500), (7000, 3600), (8000, 2400), (9500, 3500), (11000, 2600)])
    msp.add_point((11500, 500))
    msp.add_solid([(10200, 300), (11200, 300), (10200, 900), (11200, 900)], dxfattribs={"color": 2})
    msp.add_line((0, -600), (12000, -600), dxfattribs={"linetype": "DASHED", "color": 1})
    msp.add_line((0, -900), (12000, -900), dxfattribs={"linetype": "CENTER", "lineweight": 35})

    # text: every alignment, rotations, Chinese
    y = 7400
    for align in ("LEFT", "CENTER", "RIGHT", "MIDDLE_CENTER", "TOP_LEFT", "BOTTOM_RIGHT"):
        t = msp.add_text(f"{align} 对齐", height=180, dxfattribs={"layer": "TEXT"})
        t.set_placement((2500, y), align=TextEntityAlignment[align])
        y -= 350
    msp.add_text(
        "旋转 ROTATED 30",
        height=200,
        dxfattribs={"layer": "TEXT", "rotation": 30, "insert": (6000, 5000)},
    )
    msp.add_text(
        "宽度 WIDE", height=200, dxfattribs={"insert": (6000, 7200), "width": 1.6, "color": 5}
    )
    msp.add_text("ALIGNED 两点", height=150, dxfattribs={"layer": "TEXT"}).set_placement(
        (8000, 7300), (11500, 7600), align=TextEntityAlignment.ALIGNED
    )
    msp.add_mtext(
        "多行文字：建筑平面图 Floor plan with wrapped multi-line text\\P第二段 second paragraph",
        dxfattribs={
            "insert": (8000, 6800),
            "char_height": 160,
            "width": 3500,
            "attachment_point": 1,
            "layer": "TEXT",
        },
    )
    msp.add_mtext(
        "居中 CENTRED",
        dxfattribs={
            "insert": (3000, 6200),
            "char_height": 200,
            "attachment_point": 5,
            "rotation": 90,
        },
    )

    # blocks: a door with an attribute, nested into a door set; mirrored and rotated refs
    door = doc.blocks.new("DOOR900", base_point=(0, 0))
    door.add_line((0, 0), (900, 0))
    door.add_line((0, 0), (0, 900), dxfattribs={"layer": "DOOR"})
    door.add_arc((0, 0), 900, 0, 90)
    door.add_attdef("NO", (100, 300), dxfattribs={"height": 150})
    pair = doc.blocks.new("DOORPAIR", base_point=(0, 0))
    pair.add_blockref("DOOR900", (0, 0))
    pair.add_blockref("DOOR900", (1800, 0), dxfattribs={"xscale": -1})
    pair.add_circle((900, 450), 120, dxfattribs={"color": 0})  # BYBLOCK
    ref = msp.add_blockref("DOOR900", (5000, 1000), dxfattribs={"rotation": 90})
    ref.add_auto_attribs({"NO": "D1"})
    ref = msp.add_blockref(
        "DOOR900", (1000, 8000), dxfattribs={"rotation": 270, "xscale": 1.2, "yscale": 1.2}
    )
    ref.add_auto_attribs({"NO": "门2"})
    msp.add_blockref("DOORPAIR", (6500, 4000), dxfattribs={"color": 1, "rotation": 180})
    msp.add_blockref(
        "DOORPAIR", (7000, 4800), dxfattribs={"rotation": 15, "xscale": 0.8, "yscale": 0.8}
    )
    mins = msp.add_blockref("DOOR900", (500, 2200), dxfattribs={"xscale": 0.5, "yscale": 0.5})
    mins.grid(size=(2, 3), spacing=(700, 600))

    # hatches
    h = msp.add_hatch(color=8, dxfattribs={"layer": "HATCH"})
    h.paths.add_polyline_path([(5200, 4200), (7800, 4200), (7800, 5800), (5200, 5800)])
    h.set_pattern_fill("ANSI31", scale=20)
    h = msp.add_hatch(color=3)
    h.paths.add_polyline_path([(9000, 4300), (11700, 4300), (11700, 5700), (9000, 5700)])
    h.paths.add_polyline_path([(9800, 4700), (10900, 4700), (10900, 5300), (9800, 5300)])
    h = msp.add_hatch(color=4)
    h.paths.add_polyline_path([(600, 5600), (2000, 5600), (1300, 6800)])
    h.set_pattern_fill("BRICK", scale=15, angle=30)

    # dimension (geometry block rendered by ezdxf)
    dim = msp.add_linear_dim(base=(0, -300), p1=(0, 0), p2=(5000, 0), dxfattribs={"layer": "DIM"})
    dim.render()
    dim = msp.add_aligned_dim(
        p1=(12000, 0), p2=(12000, 8000), distance=500, dxfattribs={"layer": "DIM"}
    )
    dim.render()

    # invisible content
    msp.add_circle((3000, 1500), 1500, dxfattribs={"layer": "HIDDEN_OFF"})
    msp.add_line((0, 0), (12000, 8000), dxfattribs={"layer": "HIDDEN_FROZEN"})

    # paper space: A3 with a frame and two viewports
    layout = doc.layouts.new("A3 布局")
    layout.page_setup(size=(420, 297), margins=(0, 0, 0, 0), units="mm")
    layout.add_lwpolyline(
        [(10, 10), (410, 10), (410, 287), (10, 287)], close=True, dxfattribs={"lineweight": 70}
    )
    layout.add_text("图号 A-101  平面图", height=6, dxfattribs={"insert": (300, 20)})
    layout.add_viewport(
        center=(140, 160), size=(240, 200), view_center_point=(6000, 4000), view_height=9000
    )
    layout.add_viewport(
        center=(340, 200), size=(120, 120), view_center_point=(9000, 2000), view_height=2000
    )
    out = Path(path)
    doc.saveas(out)
    return out
