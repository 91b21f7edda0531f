"""Reference rasters from ezdxf's drawing add-on and the ink-agreement score.

Both rasters show the same drawing-unit rectangle at the same pixel size: ezdxf through its
matplotlib backend with the axes limits set to the box, ours through ``plan(box=…)``.
Ink = any pixel clearly darker or more saturated than white paper.

Score (symmetric, tolerant): each ink pixel of one image counts as agreeing when the other
image has ink within ``radius`` pixels; the score is the share of agreeing ink pixels over both
images.  Background pixels are left out on purpose: they would make any two mostly-white
images look ~99 % alike and hide a missing hatch or a flipped text.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np

#: Which entity types are drawn by both sides.  Types the reader keeps only as a raw digest
#: (no geometry in the neutral model) cannot be drawn by us; they are taken out of the
#: reference so the score measures the renderer, not the reader's coverage.
RAW_ONLY = (
    "XLINE",
    "RAY",
    "TOLERANCE",
    "MESH",
    "SHAPE",
    "WIPEOUT",
    "IMAGE",  # raster pixels are not in the model; ezdxf would draw a frame and the filename
    "3DSOLID",
    "REGION",
    "BODY",
    "OLE2FRAME",
    "HELIX",
)


def ink(png: bytes) -> np.ndarray:
    import pymupdf

    pix = pymupdf.Pixmap(png)
    a = np.frombuffer(pix.samples, dtype=np.uint8).reshape(pix.height, pix.width, pix.n)
    rgb = a[:, :, :3].astype(np.int16)
    # dark, or coloured (a yellow line on white is ink too)
    return (rgb.min(axis=2) < 200) | ((rgb.max(axis=2) - rgb.min(axis=2)) > 60)


def dilate(mask: np.ndarray, r: int) -> np.ndarray:
    out = mask.copy()
    h, w = mask.shape
    for dy in range(-r, r + 1):
        for dx in range(-r, r + 1):
            if dx == 0 and dy == 0:
                continue
            src = mask[max(0, -dy) : h - max(0, dy), max(0, -dx) : w - max(0, dx)]
            out[max(0, dy) : h - max(0, -dy), max(0, dx) : w - max(0, -dx)] |= src
    return out


def agreement(a: np.ndarray, b: np.ndarray, radius: int = 2) -> float:
    """Share of ink pixels (of both images) that have ink of the other within ``radius``."""
    if a.shape != b.shape:
        raise ValueError(f"size mismatch {a.shape} vs {b.shape}")
    na, nb = int(a.sum()), int(b.sum())
    if na + nb == 0:
        return 1.0
    hits = int((a & dilate(b, radius)).sum()) + int((b & dilate(a, radius)).sum())
    return hits / (na + nb)


def _strip(doc) -> None:
    """Remove from every layout what the neutral model does not carry (see RAW_ONLY).

    Also plot true-colour white as black, like ACI 7, on white paper: ezdxf keeps it white
    (invisible), which is not what a plotted construction drawing shows.
    """
    for layer in doc.layers:
        if layer.dxf.get("true_color") == 0xFFFFFF:
            layer.dxf.discard("true_color")
            layer.dxf.color = 7 if layer.dxf.color > 0 else -7
    for layout in [doc.modelspace(), *doc.layouts, *doc.blocks]:
        for e in list(layout):
            t = e.dxftype()
            if e.dxf.get("true_color") == 0xFFFFFF:
                e.dxf.discard("true_color")
                e.dxf.color = 7
            if t == "POLYLINE":
                if e.is_poly_face_mesh or e.is_polygon_mesh:
                    layout.delete_entity(e)
            elif t in RAW_ONLY:
                layout.delete_entity(e)
            elif t == "HATCH" and not e.dxf.solid_fill and not e.dxf.pattern_scale:
                layout.delete_entity(e)  # zero pattern scale: ezdxf's add-on divides by it
            elif t == "LEADER" and len(e.vertices) < 2:
                layout.delete_entity(e)  # ezdxf's add-on raises on it
            elif t == "INSERT" and not e.dxf.zscale:
                e.dxf.zscale = 1.0  # a 2D drawing: ezdxf cannot transform a zero z scale


def ezdxf_png(
    source: str | Path,
    box: tuple[float, float, float, float],
    size: tuple[int, int],
    *,
    layout: str = "Model",
    dpi: int = 72,
    strip: bool = True,
    only: frozenset[str] | None = None,
) -> bytes:
    """PNG of ``layout`` drawn by ezdxf's drawing add-on (matplotlib backend) showing ``box``."""
    import ezdxf
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from ezdxf import recover
    from ezdxf.addons.drawing import Frontend, RenderContext
    from ezdxf.addons.drawing.config import BackgroundPolicy, Configuration
    from ezdxf.addons.drawing.matplotlib import MatplotlibBackend

    try:
        doc = ezdxf.readfile(str(source))
    except ezdxf.DXFStructureError:
        doc, _ = recover.readfile(str(source))
    if strip:
        _strip(doc)
    if only is not None:
        msp = doc.modelspace()
        for e in list(msp):
            if e.dxftype() not in only:
                msp.delete_entity(e)
    w, h = size
    fig = plt.figure(figsize=(w / dpi, h / dpi), dpi=dpi)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_axis_off()
    lay = doc.modelspace() if layout == "Model" else doc.layouts.get(layout)
    ctx = RenderContext(doc)
    # ezdxf's matplotlib backend passes lineweights in mm where matplotlib expects points:
    # scale them back to true widths so both sides plot the same mm on paper
    cfg = Configuration(background_policy=BackgroundPolicy.WHITE, lineweight_scaling=72 / 25.4)
    Frontend(ctx, MatplotlibBackend(ax), config=cfg).draw_layout(lay, finalize=False)
    ax.set_xlim(box[0], box[2])
    ax.set_ylim(box[1], box[3])
    buf = io.BytesIO()
    fig.savefig(buf, dpi=dpi, facecolor="white", format="png")
    plt.close(fig)
    return buf.getvalue()


def our_png(
    drawing,
    box: tuple[float, float, float, float],
    size: tuple[int, int],
    *,
    layout: str = "Model",
    tamper=None,
) -> bytes:
    """Our PNG of the same box at the same size; ``tamper(spec)`` may break it on purpose."""
    from drawings.render import page_bytes
    from drawings.render.page import pick_sheet, plan

    w, h = size
    mm = 25.4 / 72.0
    # page of w x h points at 72 dpi -> exactly w x h pixels
    spec = plan(drawing, pick_sheet(drawing, layout), box=box, paper=(w * mm, h * mm))
    if tamper is not None:
        tamper(spec)
    return page_bytes(spec, "png", dpi=72)


def fit_box(
    extents: tuple[float, float, float, float], size: tuple[int, int], margin: float = 0.03
) -> tuple[float, float, float, float]:
    """Extents grown to the aspect ratio of ``size`` (plus a margin), centred."""
    x0, y0, x1, y1 = extents
    w, h = size
    bw, bh = max(x1 - x0, 1e-9), max(y1 - y0, 1e-9)
    s = max(bw / w, bh / h) * (1 + 2 * margin)
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    return (cx - w * s / 2, cy - h * s / 2, cx + w * s / 2, cy + h * s / 2)


def only_kinds(drawing, kinds: frozenset[str]):
    """A copy of ``drawing`` whose model space keeps only entities of ``kinds``."""
    import copy

    out = copy.copy(drawing)
    out.sheets = [copy.copy(s) for s in drawing.sheets]
    for s in out.sheets:
        if s.paper is None:
            s.entities = [e for e in s.entities if e.kind in kinds]
    return out
