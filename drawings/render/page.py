"""Sheet -> one PDF page: choose the page size and the drawing-to-page transform, then emit.

Model space is fitted onto a paper size (A1 by default, oriented like the drawing); a paper
layout keeps its own paper size and shows model space through its viewports; a PDF page is
passed through untouched unless it must be recoloured (overlays).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from drawings.model import Drawing, Entity, Sheet, union_of
from drawings.render.colors import RGB
from drawings.render.flatten import DisplayList, Matrix, flatten
from drawings.render.pdf import MM, content, new_page
from storage.display import clip
from storage.errors import FileFormatError, InvalidInput, NotFound

#: ISO 216 sizes in mm, landscape.
PAPER_SIZES: dict[str, tuple[float, float]] = {
    "A0": (1189.0, 841.0),
    "A1": (841.0, 594.0),
    "A2": (594.0, 420.0),
    "A3": (420.0, 297.0),
    "A4": (297.0, 210.0),
}
DEFAULT_PAPER = "A1"
MARGIN_MM = 10.0
#: Chord tolerance of flattened curves, in page points at the sheet's own scale.
TOL_PT = 0.1

BBox = tuple[float, float, float, float]


@dataclass
class PageSpec:
    """Everything needed to build the page: size, transform and the display lists."""

    width: float  # pt
    height: float  # pt
    matrix: Matrix  # drawing units -> page pt
    dl: DisplayList
    model: DisplayList | None = None  # model space for the viewports of a paper layout
    box: BBox | None = None  # drawing-unit rectangle mapped to the page
    passthrough: tuple[str, int] | None = None  # (pdf path, page number)
    extra: list[tuple[DisplayList, Matrix]] | None = None  # drawn on top (overlays)
    source: str = ""  # the drawing's name, for messages

    @property
    def warnings(self) -> list[str]:
        """What was not drawn as it is (:mod:`.limits`), from every display list, once each."""
        lists = [self.dl, self.model, *(dl for dl, _ in self.extra or ())]
        return list(dict.fromkeys(w for dl in lists if dl is not None for w in dl.warnings))


@contextmanager
def mupdf_guard(source: str) -> Iterator[None]:
    """MuPDF refusing a page (a damaged PDF passed through: forms nested beyond its exception
    stack, broken streams) as one error naming the file instead of a traceback."""
    import pymupdf

    try:
        yield
    except RecursionError:
        raise
    except (RuntimeError, pymupdf.mupdf.FzErrorBase) as e:
        raise FileFormatError(
            source or "page", f"无法绘制 MuPDF cannot draw this page: {clip(e)}"
        ) from None


def pick_sheet(drawing: Drawing, layout: str | None) -> Sheet:
    """The named sheet (layout / page), or the first one with content."""
    if not drawing.sheets:
        raise InvalidInput(f"{drawing.path}: no sheets / 没有可绘制的图纸")
    if layout is None:
        for s in drawing.sheets:
            if len(s.entities) and s.paper is None:
                return s
        for s in drawing.sheets:
            if len(s.entities):
                return s
        return drawing.sheets[0]
    for s in drawing.sheets:
        if s.name == layout:
            return s
    for s in drawing.sheets:
        if s.name.lower() == layout.lower():
            return s
    if layout.isdigit() and 1 <= int(layout) <= len(drawing.sheets):
        return drawing.sheets[int(layout) - 1]
    names = ", ".join(s.name for s in drawing.sheets)
    raise NotFound(f"{drawing.path}: no layout {layout!r} / 无此布局; layouts: {names}")


def paper_size(paper: str | tuple[float, float] | None) -> tuple[float, float]:
    if paper is None:
        paper = DEFAULT_PAPER
    if isinstance(paper, str):
        try:
            return PAPER_SIZES[paper.upper()]
        except KeyError:
            raise InvalidInput(
                f"unknown paper size {paper!r} / 未知图幅; use one of {', '.join(PAPER_SIZES)}"
            ) from None
    return float(paper[0]), float(paper[1])


def fit(box: BBox, width: float, height: float, margin: float) -> Matrix:
    """Uniform transform putting ``box`` centred inside a width x height page (pt)."""
    x0, y0, x1, y1 = box
    span = max(x1 - x0, y1 - y0, 0.0)
    if span <= 1e-9 * max(1.0, abs(x0), abs(y0)):  # a point (or nothing): show 1 unit around it
        x0, y0, x1, y1 = x0 - 0.5, y0 - 0.5, x1 + 0.5, y1 + 0.5
        span = 1.0
    # a line along one axis has no extent across it: don't let that axis decide the scale
    bw, bh = max(x1 - x0, span * 1e-6), max(y1 - y0, span * 1e-6)
    s = min((width - 2 * margin) / bw, (height - 2 * margin) / bh)
    if not math.isfinite(s) or s <= 0:
        s = 1.0
    ox = (width - bw * s) / 2.0 - x0 * s
    oy = (height - bh * s) / 2.0 - y0 * s
    return (s, 0.0, 0.0, s, ox, oy)


def _finite(box: BBox | None) -> bool:
    return box is not None and all(math.isfinite(v) for v in box) and box[2] >= box[0]


def entity_box(sheet: Sheet) -> BBox | None:
    if _finite(sheet.extents):
        return sheet.extents
    return union_of(e.bbox for e in sheet.entities if _finite(e.bbox))


def _paper_pt(sheet: Sheet) -> tuple[float, float, float]:
    """Paper width, height in pt and pt per paper unit."""
    p = sheet.paper or {}
    units = str(p.get("units", "mm")).lower()
    unit_pt = {"mm": MM, "in": 72.0, "inch": 72.0, "pt": 1.0, "cm": 10 * MM}.get(units, MM)
    w, h = float(p.get("width") or 0) * unit_pt, float(p.get("height") or 0) * unit_pt
    if int(p.get("rotation") or 0) % 180 == 90:  # plotted rotated: shown landscape/portrait
        w, h = h, w
    return w, h, unit_pt


def model_sheet(drawing: Drawing) -> Sheet | None:
    for s in drawing.sheets:
        if s.paper is None and s.name.lower() in ("model", "*model_space"):
            return s
    for s in drawing.sheets:
        if s.paper is None:
            return s
    return None


def plan(
    drawing: Drawing,
    sheet: Sheet,
    *,
    paper: str | tuple[float, float] | None = None,
    box: BBox | None = None,
    paint: Callable[[Entity], RGB | None] | None = None,
    margin_mm: float = MARGIN_MM,
) -> PageSpec:
    """Lay out ``sheet`` on a page (see module docstring)."""
    if drawing.format == "pdf" and sheet.paper is not None:
        w, h, unit_pt = _paper_pt(sheet)
        if w <= 0 or h <= 0:
            w, h, unit_pt = 595.0, 842.0, 1.0
        m = (unit_pt, 0.0, 0.0, unit_pt, 0.0, 0.0)
        src = Path(drawing.path)
        if paint is None and src.is_file():
            return PageSpec(
                w, h, m, DisplayList(), passthrough=(str(src), drawing.sheets.index(sheet)),
                source=drawing.path,
            )
        dl = flatten(drawing, sheet, tol=TOL_PT / unit_pt, paint=paint)
        return PageSpec(
            w, h, m, dl, box=(0.0, 0.0, w / unit_pt, h / unit_pt), source=drawing.path
        )

    if sheet.paper is not None and box is None and paper is None:
        w, h, unit_pt = _paper_pt(sheet)
        if w > 0 and h > 0:
            dl = flatten(drawing, sheet, tol=TOL_PT / unit_pt, paint=paint)
            pbox = (0.0, 0.0, w / unit_pt, h / unit_pt)
            b = dl.bounds()
            if b is not None and not _inside(b, pbox):
                m = fit(b, w, h, margin_mm * MM)
            else:
                m = (unit_pt, 0.0, 0.0, unit_pt, 0.0, 0.0)
            return PageSpec(
                w, h, m, dl, model=_model(drawing, dl, m, paint), box=pbox, source=drawing.path
            )

    # model space (or a layout forced onto a given paper / box)
    est = box or entity_box(sheet)
    dl = flatten(drawing, sheet, tol=tolerance(est, paper, 0.0 if box else margin_mm), paint=paint)
    if box is None:
        box = dl.bounds() or est or (0.0, 0.0, 1.0, 1.0)
        w, h, m = fit_paper(box, paper, margin_mm)
    else:
        w, h, m = fit_paper(box, paper, 0.0)
    return PageSpec(
        w, h, m, dl, model=_model(drawing, dl, m, paint), box=box, source=drawing.path
    )


def fit_paper(
    box: BBox, paper: str | tuple[float, float] | None, margin_mm: float
) -> tuple[float, float, Matrix]:
    """Page width and height (pt), oriented like ``box``, and the transform fitting it there."""
    pw, ph = paper_size(paper)
    landscape = (box[2] - box[0]) >= (box[3] - box[1])
    w, h = (max(pw, ph), min(pw, ph)) if landscape else (min(pw, ph), max(pw, ph))
    return w * MM, h * MM, fit(box, w * MM, h * MM, margin_mm * MM)


def tolerance(est: BBox | None, paper: str | tuple[float, float] | None, margin_mm: float) -> float:
    """Chord tolerance (drawing units) for curves of a sheet whose extents are about ``est``:
    fixed before flattening, from the reader's extents, since the page scale is not yet known."""
    if est is None:
        return 1e-3
    return TOL_PT / fit_paper(est, paper, margin_mm)[2][0]


def _model(drawing: Drawing, dl: DisplayList, m: Matrix, paint) -> DisplayList | None:
    """Model space flattened finely enough for the most enlarging viewport of ``dl``."""
    if not dl.viewports:
        return None
    ms = model_sheet(drawing)
    if ms is None:
        return None
    vs = max(math.hypot(vp.matrix[0], vp.matrix[1]) for vp in dl.viewports)
    return flatten(drawing, ms, tol=TOL_PT / max(m[0] * vs, 1e-12), paint=paint)


def _inside(b: BBox, p: BBox) -> bool:
    w, h = p[2] - p[0], p[3] - p[1]
    return (
        b[0] >= p[0] - 0.1 * w
        and b[1] >= p[1] - 0.1 * h
        and b[2] <= p[2] + 0.1 * w
        and (b[3] <= p[3] + 0.1 * h)
    )


def build(spec: PageSpec, doc=None, *, compress: bool = True):
    """Append the page described by ``spec`` to ``doc`` (a new PDF if None); returns the page."""
    import pymupdf

    if doc is None:
        doc = pymupdf.open()
    if spec.passthrough is not None:
        path, pno = spec.passthrough
        with pymupdf.open(path) as src:
            doc.insert_pdf(src, from_page=pno, to_page=pno)  # as it is, rotation included
        return doc[-1]
    stream, text = content(spec.dl, spec.matrix, model=spec.model)
    if spec.extra:
        parts = [stream]
        for dl, m in spec.extra:
            s, t = content(dl, m)
            parts.append(s)
            text |= t
        stream = b"".join(parts)
    return new_page(doc, spec.width, spec.height, stream, text=text, compress=compress)
