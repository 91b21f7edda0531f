"""Diff overlays: old and new drawn together, coloured by what happened to each entity.

Unchanged content (new side) is grey, removed entities (old side, moved onto the new
coordinates by the report's alignment) red, added green, modified orange with its old shape in
pale orange underneath, and a revision cloud with its number around every cluster.  The report
is duck-typed (``diffing.DiffReport``: ``sheets`` of ``SheetDiff`` with ``changes``/``clusters``),
so this module does not import the diff engine: imports point down, diffing -> drawings.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

from drawings.model import Drawing, Entity, Sheet, union_of
from drawings.render import colors
from drawings.render.expansion import finite_box
from drawings.render.flatten import (
    IDENTITY,
    DisplayList,
    FillGroup,
    Matrix,
    StrokeGroup,
    TextRun,
    bulge_points,
    flatten,
    mul,
)
from drawings.render.page import MARGIN_MM, TOL_PT, PageSpec, entity_box, fit, paper_size, plan
from drawings.render.pdf import MM
from storage.errors import InvalidInput, NotFound

OLD_MODIFIED = (1.0, 0.8, 0.55)
#: Arcs along one side of a revision cloud at most (a cluster far off the page is no reason
#: to draw millions).
MAX_CLOUD_ARCS = 200
UNCHANGED_FILL = (0.9, 0.9, 0.9)
CLOUD_LW_MM = 0.5


def _sheet_diff(report: Any, sheet: str | None):
    sheets = list(getattr(report, "sheets", ()))
    if not sheets:
        raise InvalidInput("diff report has no sheets / 差异报告没有图纸")
    if sheet is not None:
        for sd in sheets:
            if sheet in (sd.name, getattr(sd, "new_name", None), getattr(sd, "old_name", None)):
                return sd
        names = ", ".join(sd.name for sd in sheets)
        raise NotFound(f"no sheet {sheet!r} in the diff / 差异中无此图纸; sheets: {names}")
    for sd in sheets:
        if sd.changes:
            return sd
    return sheets[0]


def _find(drawing: Drawing, *names: str | None) -> Sheet | None:
    for n in names:
        if n is None:
            continue
        for s in drawing.sheets:
            if s.name == n:
                return s
    return None


def _ids(sheet: Sheet | None, indexes: Iterable[int | None], handles: Iterable[str | None]) -> set:
    """Python ids of the sheet's entities named by index (preferred) or handle."""
    if sheet is None:
        return set()
    ents = sheet.entities
    out = {id(ents[i]) for i in indexes if i is not None and 0 <= i < len(ents)}
    wanted = {h for h in handles if h is not None}
    if wanted and len(out) < len(wanted):
        out |= {id(e) for e in ents if e.handle in wanted}
    return out


def _merge_fills(groups) -> FillGroup:
    out = FillGroup()
    for g in groups:
        out.coords.extend(g.coords)
        out.counts.extend(g.counts)
        out.rings.extend(g.rings)
    return out


def alignment_matrix(alignment: Any) -> Matrix:
    """``new = scale * R(rotation) @ old + (dx, dy)`` as an affine matrix."""
    if alignment is None:
        return (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)
    s = float(getattr(alignment, "scale", 1.0) or 1.0)
    r = math.radians(float(getattr(alignment, "rotation", 0.0) or 0.0))
    c, n = math.cos(r) * s, math.sin(r) * s
    return (c, n, -n, c, float(alignment.dx), float(alignment.dy))


def cloud(bbox: tuple[float, float, float, float], pad: float) -> list[float]:
    """A revision cloud (arcs bulging outwards) around ``bbox`` grown by ``pad``; none around
    a box that is not finite (NaN or 1e308 coordinates)."""
    x0, y0, x1, y1 = bbox[0] - pad, bbox[1] - pad, bbox[2] + pad, bbox[3] + pad
    arc = max(pad * 2.5, min(x1 - x0, y1 - y0) / 5)
    if finite_box((x0, y0, x1, y1)) is None or not math.isfinite(arc) or arc <= 0:
        return []  # (arc is infinite when the box's width is: x1 - x0 overflowed)
    corners = [(x0, y0), (x1, y0), (x1, y1), (x0, y1)]
    verts: list[tuple[float, float, float]] = []
    for (ax, ay), (bx, by) in zip(corners, corners[1:] + corners[:1], strict=True):
        n = max(1, min(MAX_CLOUD_ARCS, round(math.hypot(bx - ax, by - ay) / arc)))
        for k in range(n):
            t = k / n
            # negative bulge: clockwise arcs, i.e. outwards along a CCW outline
            verts.append((ax + (bx - ax) * t, ay + (by - ay) * t, -0.45))
    return bulge_points(verts, True, pad * 0.02)


def _union(*boxes) -> tuple[float, float, float, float] | None:
    """The box around the finite ones of ``boxes`` (1e308 or NaN ones cannot place a page)."""
    return union_of(b for b in map(finite_box, boxes) if b is not None)


def _map_box(box, m: Matrix):
    if box is None:
        return None
    a, b, c, d, e, f = m
    if finite_box(box) is None:
        return None
    pts = [(box[0], box[1]), (box[2], box[1]), (box[2], box[3]), (box[0], box[3])]
    xs = [a * x + c * y + e for x, y in pts]
    ys = [b * x + d * y + f for x, y in pts]
    return (min(xs), min(ys), max(xs), max(ys))


def _legend(width: float, height: float) -> DisplayList:
    """Colour key in page points, bottom left."""
    dl = DisplayList()
    items = [
        (colors.REMOVED, "删除 Removed"),
        (colors.ADDED, "新增 Added"),
        (colors.MODIFIED, "修改 Modified"),
        (colors.UNCHANGED, "未变 Unchanged"),
        (colors.CLOUD, "云线 Cluster"),
    ]
    size = max(7.0, min(width, height) / 90.0)
    x, y = size * 2, size * 2
    for rgb, label in reversed(items):
        g = dl.strokes.setdefault((rgb, 1.0, 0.0, None, False), StrokeGroup())
        g.coords.extend([x, y + size * 0.35, x + size * 2, y + size * 0.35])
        g.counts.append(2)
        dl.texts.append(TextRun((size, 0.0, 0.0, size, x + size * 2.6, y), label, colors.BLACK))
        y += size * 1.6
    return dl


def overlay_spec(
    report: Any,
    old: Drawing,
    new: Drawing,
    *,
    sheet: str | None = None,
    paper: str | None = None,
    view: tuple[float, float, float, float] | None = None,
):
    """The page (see :func:`drawings.render.page.plan`) of a diff overlay.

    ``view`` (new drawing units): zoom onto that box, drawn in the left part of a landscape
    page (an atlas page; :func:`atlas_pdf` writes the change list on the right)."""
    sd = _sheet_diff(report, sheet)
    old_sheet = _find(old, getattr(sd, "old_name", None), sd.name)
    new_sheet = _find(new, getattr(sd, "new_name", None), sd.name)
    if old_sheet is None and new_sheet is None:
        raise NotFound(f"sheet {sd.name!r} is in neither drawing / 两个文件中均无此图纸")
    changes = list(sd.changes)

    def pick(kind: str, side: str) -> tuple[list, list]:
        cs = [c for c in changes if c.kind == kind]
        return [getattr(c, f"{side}_index", None) for c in cs], [
            getattr(c, f"{side}_handle", None) for c in cs
        ]

    removed = _ids(old_sheet, *pick("removed", "old"))
    modified_old = _ids(old_sheet, *pick("modified", "old"))
    added = _ids(new_sheet, *pick("added", "new"))
    modified_new = _ids(new_sheet, *pick("modified", "new"))
    appear, vanish = layer_shifts(report, old, new)
    if appear and new_sheet is not None:
        added |= {id(e) for e in new_sheet.entities if e.layer.upper() in appear}
    if vanish and old_sheet is not None:
        removed |= {id(e) for e in old_sheet.entities if e.layer.upper() in vanish}

    def paint_new_base(e: Entity):
        return None if id(e) in added or id(e) in modified_new else colors.UNCHANGED

    def paint_new_changes(e: Entity):
        if id(e) in added:
            return colors.ADDED
        if id(e) in modified_new:
            return colors.MODIFIED
        return None

    def paint_old(e: Entity):
        if id(e) in removed:
            return colors.REMOVED
        if id(e) in modified_old:
            return OLD_MODIFIED
        return None

    align = alignment_matrix(getattr(sd, "alignment", None))
    est = _union(
        entity_box(new_sheet) if new_sheet else None,
        _map_box(entity_box(old_sheet), align) if old_sheet else None,
        *(tuple(c.bbox) for c in getattr(sd, "clusters", ())),
    ) or (0.0, 0.0, 1.0, 1.0)
    base_sheet = new_sheet if new_sheet is not None else old_sheet
    base_drawing = new if new_sheet is not None else old
    if new_sheet is None:  # the whole sheet was removed: the base is the old side, in red
        paint_new_base = lambda e: colors.REMOVED  # noqa: E731
    if base_drawing.format == "pdf" and base_sheet.paper is not None:
        spec = plan(base_drawing, base_sheet, paint=paint_new_base)  # the page itself
        tol = TOL_PT / spec.matrix[0]
    else:
        pw, ph = paper_size(paper)
        tol = TOL_PT / fit(view or est, max(pw, ph) * MM, min(pw, ph) * MM, 0.0)[0]
        spec = PageSpec(
            0.0, 0.0, IDENTITY, flatten(base_drawing, base_sheet, tol=tol, paint=paint_new_base),
            source=base_drawing.path,
        )
    layers: list[tuple[DisplayList, Matrix]] = []
    # every change is drawn, also on a layer frozen or switched off in its file
    if old_sheet is not None and new_sheet is not None:
        layers.append((flatten(old, old_sheet, tol=tol, paint=paint_old, reveal=True), align))
    if new_sheet is not None:
        layers.append((flatten(new, new_sheet, tol=tol, paint=paint_new_changes, reveal=True),
                       IDENTITY))
    if spec.width == 0.0:
        # fit the page to everything drawn: new side, old side moved by the alignment, clouds
        box = (
            _union(
                spec.dl.bounds(),
                *(_map_box(dl.bounds(), mx) for dl, mx in layers),
                *(tuple(c.bbox) for c in getattr(sd, "clusters", ())),
            )
            or est
        )
        landscape = (box[2] - box[0]) >= (box[3] - box[1])
        W, H = (max(pw, ph), min(pw, ph)) if landscape else (min(pw, ph), max(pw, ph))
        spec.width, spec.height = W * MM, H * MM
        spec.matrix = fit(box, spec.width, spec.height, MARGIN_MM * MM)
        spec.box = box
    if view is not None:
        pw, ph = paper_size(paper)
        spec.width, spec.height = max(pw, ph) * MM, min(pw, ph) * MM
        spec.box = view
        spec.matrix = fit(view, spec.width * (1.0 - ATLAS_TEXT_SHARE), spec.height,
                          MARGIN_MM * MM)
    # unchanged solid fills and hatches stay in the background, light enough to read through
    spec.dl.fills = {UNCHANGED_FILL: _merge_fills(spec.dl.fills.values())} if spec.dl.fills else {}
    for p in spec.dl.patterns:
        p.rgb = UNCHANGED_FILL
    m = spec.matrix
    extra: list[tuple[DisplayList, Matrix]] = [(dl, mul(m, mx)) for dl, mx in layers]
    clouds = DisplayList()
    unit = 1.0 / math.hypot(m[0], m[1])  # drawing units per page point
    page = _page_box(m, spec.width, spec.height)
    for cl in getattr(sd, "clusters", ()):
        g = clouds.strokes.setdefault((colors.CLOUD, CLOUD_LW_MM, 0.0, None, False), StrokeGroup())
        box, pad = cloud_box(tuple(cl.bbox), page, unit)
        ring = cloud(box, pad)
        if ring:
            g.coords.extend(ring)
            g.counts.append(len(ring) // 2)
        size = 12.0 * unit
        x, y = box[0] - pad, box[3] + pad * 1.6
        clouds.texts.append(TextRun((size, 0.0, 0.0, size, x, y), str(cl.id), colors.CLOUD))
    extra.append((clouds, m))
    extra.append((_legend(spec.width, spec.height), (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)))
    spec.extra = extra
    return spec


#: Clouds: 6 pt around each cluster, at least this many points across (a change of a few
#: pixels on a big sheet still gets a cloud one can see), never beyond the page.
CLOUD_PAD_PT = 6.0
CLOUD_MIN_PT = 28.0


def _page_box(m: Matrix, width: float, height: float):
    """The page (0..width, 0..height points) in drawing units, for an axis-aligned ``m``."""
    a, b, c, d, e, f = m
    if b or c or not a or not d or not width or not height:
        return None
    xs = sorted(((0.0 - e) / a, (width - e) / a))
    ys = sorted(((0.0 - f) / d, (height - f) / d))
    return (xs[0], ys[0], xs[1], ys[1])


def cloud_box(bbox, page, unit: float):
    """(box, pad) of a cluster's cloud: grown to ``CLOUD_MIN_PT`` when tiny, clipped so the
    cloud with its pad stays on the page (a cluster as big as the sheet must not hide it)."""
    pad = CLOUD_PAD_PT * unit
    x0, y0, x1, y1 = bbox
    grow = CLOUD_MIN_PT * unit - 2 * pad
    if x1 - x0 < grow:
        cx = (x0 + x1) / 2
        x0, x1 = cx - grow / 2, cx + grow / 2
    if y1 - y0 < grow:
        cy = (y0 + y1) / 2
        y0, y1 = cy - grow / 2, cy + grow / 2
    if page is not None:
        m = 2 * pad
        x0, x1 = _onto(x0, x1, page[0] + m, page[2] - m)
        y0, y1 = _onto(y0, y1, page[1] + m, page[3] - m)
    return (x0, y0, x1, y1), pad


def _onto(lo: float, hi: float, plo: float, phi: float) -> tuple[float, float]:
    """``lo..hi`` moved inside ``plo..phi`` (cut to it when longer)."""
    if phi <= plo:
        return lo, hi
    if hi - lo >= phi - plo:
        return plo, phi
    if lo < plo:
        lo, hi = plo, hi + plo - lo
    if hi > phi:
        lo, hi = lo - (hi - phi), phi
    return lo, hi


def layer_shifts(report: Any, old: Drawing, new: Drawing) -> tuple[set[str], set[str]]:
    """Upper-case names of layers whose entities appear (hidden or not plotted in OLD,
    shown in NEW) and vanish (the other way round), from the report's LAYER changes."""
    appear: set[str] = set()
    vanish: set[str] = set()

    def shown(d: Drawing, name: str) -> bool | None:
        for k, info in d.layers.items():
            if k.upper() == name:
                return bool(info.on and not info.frozen and info.plot)
        return None

    for sd in getattr(report, "sheets", ()):
        for c in sd.changes:
            if c.type != "LAYER" or not set(c.what) & {"on", "frozen", "plot"}:
                continue
            name = c.layer.upper()
            a, b = shown(old, name), shown(new, name)
            if a is False and b:
                appear.add(name)
            elif a and b is False:
                vanish.add(name)
    return appear, vanish


def changed_sheets(report: Any) -> list[str]:
    """The names of the sheets with changes (the first sheet when none has any)."""
    sheets = list(getattr(report, "sheets", ()))
    names = [sd.name for sd in sheets if sd.changes]
    if not sheets:
        return []
    return names or [sheets[0].name]


#: Atlas pages: the right-hand share of the page that holds the cluster's change list.
ATLAS_TEXT_SHARE = 0.34
#: Space around a cluster on its atlas page, as a share of the cluster's size on each side
#: (the cluster then fills well over a third of the page).
ATLAS_CONTEXT = 0.25


def zoom_box(bbox, extent, min_share: float = 0.01):
    """The view of one cluster: its box with some context around, at least ``min_share`` of
    the sheet's extent across (a cluster of one point still shows where it is)."""
    x0, y0, x1, y1 = bbox
    ext = extent or bbox
    least = max(ext[2] - ext[0], ext[3] - ext[1], 1e-9) * min_share
    w, h = max(x1 - x0, least), max(y1 - y0, least)
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    w, h = w * (1 + 2 * ATLAS_CONTEXT), h * (1 + 2 * ATLAS_CONTEXT)
    return (cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2)


def _sidebar(width: float, height: float, lines: list[str]) -> DisplayList:
    """A white column on the right of an atlas page with ``lines`` of text (page points)."""
    dl = DisplayList()
    x0 = width * (1.0 - ATLAS_TEXT_SHARE)
    g = dl.fills.setdefault((1.0, 1.0, 1.0), FillGroup())
    g.coords.extend([x0, 0.0, width, 0.0, width, height, x0, height])
    g.counts.append(4)
    g.rings.append(1)
    size = 9.0
    step = size * 1.45
    room = max(1, int((height - 4 * MARGIN_MM * MM) / step))
    if len(lines) > room:
        lines = [*lines[: room - 1], f"… 另有 {len(lines) - room + 1} 项 more"]
    y = height - 2 * MARGIN_MM * MM
    for k, line in enumerate(lines):
        big = size * 1.5 if k == 0 else size
        rgb = colors.CLOUD if k == 0 else colors.BLACK
        dl.texts.append(TextRun((big, 0.0, 0.0, big, x0 + 4 * MM, y), line[:110], rgb))
        y -= step * (1.6 if k == 0 else 1.0)
    return dl


def _add_page(spec: Any, doc: Any, warnings: list[str] | None) -> None:
    """Draw ``spec`` as the next page of ``doc``; what the limits outlined goes to
    ``warnings`` (once per line), a page MuPDF refuses is one error naming the file."""
    from drawings.gcpause import paused_gc
    from drawings.render.page import build, mupdf_guard

    if warnings is not None:
        warnings.extend(w for w in spec.warnings if w not in warnings)
    with paused_gc(), mupdf_guard(spec.source):
        build(spec, doc, compress=True)


def atlas_pdf(report: Any, old: Drawing, new: Drawing, captions: dict[int, list[str]], *,
              paper: str | None = None, warnings: list[str] | None = None) -> bytes:
    """A change atlas: per changed sheet an overview page, then one page per cluster zoomed
    so it fills the drawing area, its number and ``captions[cluster id]`` beside it."""
    import pymupdf

    doc = pymupdf.open()
    try:
        for name in changed_sheets(report):
            _add_page(overlay_spec(report, old, new, sheet=name, paper=paper), doc, warnings)
            sd = _sheet_diff(report, name)
            new_sheet = _find(new, getattr(sd, "new_name", None), sd.name)
            extent = entity_box(new_sheet) if new_sheet is not None else None
            for cl in getattr(sd, "clusters", ()):
                spec = overlay_spec(report, old, new, sheet=name, paper=paper,
                                    view=zoom_box(tuple(cl.bbox), extent))
                lines = captions.get(cl.id) or [f"云线 Cluster {cl.id}"]
                spec.extra = [*(spec.extra or []),
                              (_sidebar(spec.width, spec.height, lines), IDENTITY)]
                _add_page(spec, doc, warnings)
        return doc.tobytes(garbage=0, deflate=False)
    finally:
        doc.close()


def overlay_pdf(report: Any, old: Drawing, new: Drawing, *, paper: str | None = None,
                warnings: list[str] | None = None) -> bytes:
    """One PDF page per changed sheet (the first sheet when nothing changed)."""
    import pymupdf

    doc = pymupdf.open()
    try:
        for name in changed_sheets(report):
            _add_page(overlay_spec(report, old, new, sheet=name, paper=paper), doc, warnings)
        return doc.tobytes(garbage=0, deflate=False)
    finally:
        doc.close()


def overlay_bytes(
    report: Any,
    old: Drawing,
    new: Drawing,
    fmt: str,
    *,
    sheet: str | None = None,
    dpi: float | None = None,
    width: int | None = None,
    paper: str | None = None,
    warnings: list[str] | None = None,
) -> bytes:
    from drawings.render import page_bytes

    spec = overlay_spec(report, old, new, sheet=sheet, paper=paper)
    if warnings is not None:
        warnings.extend(w for w in spec.warnings if w not in warnings)
    return page_bytes(spec, fmt, dpi=dpi, width=width)
