"""Sheet geometry -> a display list of polylines, fills and text runs in sheet coordinates.

Everything a page needs is reduced to a few primitive lists grouped by style, so the writers
(PDF/SVG) emit each group in one pass: no per-entity objects, no quadratic loops.  Nested block
references are expanded with an affine transform stack; curves are flattened to a chord
tolerance given in drawing units.  Coordinates stay in drawing (world) units here; the writer
maps them to the page with one vectorised transform.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from drawings.gcpause import paused_gc
from drawings.model import Drawing, Entity, Sheet
from drawings.render.colors import RGB, is_byblock, to_rgb
from drawings.render.expansion import BLOCK_KINDS, CAP, Expansion, finite_box, magnitude
from drawings.render.limits import RenderLimits
from drawings.render.linetypes import Dash, dash_for
from storage.display import quote

#: Affine 2D transform (a, b, c, d, e, f): x' = a*x + c*y + e, y' = b*x + d*y + f (PDF order).
Matrix = tuple[float, float, float, float, float, float]
IDENTITY: Matrix = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)

#: Text height in CAD is the capital height; the font size (em) is larger by this factor.
CAP_TO_EM = 1.0 / 0.72
#: MTEXT default line spacing, as a multiple of the text height (AutoCAD: 5/3).
MTEXT_LINE_SPACING = 5.0 / 3.0
DEFAULT_LINEWEIGHT_MM = 0.25
#: Distinct warnings kept per sheet (each counts its occurrences).
MAX_WARNINGS = 20

#: Stroke style key: (rgb, lineweight mm, const width in drawing units, dash, round-dot cap)
StrokeKey = tuple[RGB, float, float, Dash | None, bool]


def mul(m: Matrix, n: Matrix) -> Matrix:
    """``m`` after ``n`` (apply n first, then m)."""
    a, b, c, d, e, f = m
    a2, b2, c2, d2, e2, f2 = n
    return (
        a * a2 + c * b2,
        b * a2 + d * b2,
        a * c2 + c * d2,
        b * c2 + d * d2,
        a * e2 + c * f2 + e,
        b * e2 + d * f2 + f,
    )


def scale_of(m: Matrix) -> float:
    return math.sqrt(abs(m[0] * m[3] - m[1] * m[2])) or 1e-12


def placement(insert: Iterable[float], rotation_deg: float, sx: float, sy: float) -> Matrix:
    x, y = tuple(insert)[:2]
    r = math.radians(rotation_deg or 0.0)
    cs, sn = math.cos(r), math.sin(r)
    return (cs * sx, sn * sx, -sn * sy, cs * sy, x, y)


@dataclass(slots=True)
class StrokeGroup:
    coords: list[float] = field(default_factory=list)  # x0, y0, x1, y1, ... of all polylines
    counts: list[int] = field(default_factory=list)  # points per polyline
    array: Any = field(default=None, repr=False, compare=False)  # see coords_array


def coords_array(g: StrokeGroup | FillGroup):
    """``g.coords`` as a float64 numpy array, converted once (bounds and writer share it)."""
    import numpy as np

    a = g.array
    if a is None or a.size != len(g.coords):
        a = g.array = np.asarray(g.coords, dtype=np.float64)
    return a


@dataclass(slots=True)
class FillGroup:
    coords: list[float] = field(default_factory=list)
    counts: list[int] = field(default_factory=list)  # points per ring
    rings: list[int] = field(default_factory=list)  # rings per filled area (even-odd)
    array: Any = field(default=None, repr=False, compare=False)  # see coords_array


@dataclass(slots=True)
class PatternFill:
    """A pattern hatch: its lines are clipped to the boundary rings (even-odd)."""

    rgb: RGB
    lineweight: float
    ring_coords: list[float]
    ring_counts: list[int]
    #: (x0, y0, x1, y1, dash or None, phase) per pattern line, drawing units
    lines: list[tuple[float, float, float, float, Dash | None, float]]


@dataclass(slots=True)
class TextRun:
    #: glyph space (1 unit = 1 em, origin on the baseline at the left) -> drawing units
    matrix: Matrix
    text: str
    rgb: RGB


@dataclass(slots=True)
class ViewportRef:
    """A paper-space viewport: model space shown inside ``clip`` (paper units) via ``matrix``."""

    clip: tuple[float, float, float, float]
    matrix: Matrix  # model -> paper


@dataclass
class DisplayList:
    strokes: dict[StrokeKey, StrokeGroup] = field(default_factory=dict)
    fills: dict[RGB, FillGroup] = field(default_factory=dict)
    patterns: list[PatternFill] = field(default_factory=list)
    texts: list[TextRun] = field(default_factory=list)
    viewports: list[ViewportRef] = field(default_factory=list)
    #: what was not drawn as it is (see :mod:`.limits`), one line each, naming the file
    warnings: list[str] = field(default_factory=list)

    def bounds(self) -> tuple[float, float, float, float] | None:
        """Extents of everything drawn (text by its origin and size), or None if empty."""
        import numpy as np

        arrays = [coords_array(g) for g in self.strokes.values() if g.coords]
        arrays += [coords_array(g) for g in self.fills.values() if g.coords]
        arrays += [np.asarray(p.ring_coords) for p in self.patterns if p.ring_coords]
        if self.texts:
            tm = np.array([t.matrix for t in self.texts], dtype=np.float64).reshape(-1, 6)
            k = np.array([len(t.text) for t in self.texts], dtype=np.float64) * 0.6
            with np.errstate(all="ignore"):  # 1e308 text overflows: dropped below
                far = (tm[:, 4] + tm[:, 0] * k + tm[:, 2], tm[:, 5] + tm[:, 1] * k + tm[:, 3])
            arrays.append(np.column_stack((tm[:, 4], tm[:, 5], *far)).ravel())
        for vp in self.viewports:
            arrays.append(np.asarray(vp.clip))
        if not arrays:
            return None
        xy = np.concatenate(arrays).reshape(-1, 2)
        xy = xy[np.isfinite(xy).all(axis=1)]
        if not len(xy):
            return None
        lo, hi = xy.min(axis=0), xy.max(axis=0)
        return (float(lo[0]), float(lo[1]), float(hi[0]), float(hi[1]))

    def __len__(self) -> int:
        return (
            sum(len(g.counts) for g in self.strokes.values())
            + sum(len(g.rings) for g in self.fills.values())
            + len(self.patterns)
            + len(self.texts)
        )


@dataclass(slots=True)
class _Ctx:
    matrix: Matrix
    layer: str
    rgb: RGB
    lineweight: float
    linetype: str | None
    override: RGB | None
    depth: int
    stack: tuple[str, ...]
    #: the context's part of the style cache key (filled on first use)
    skey: tuple | None = None
    #: scale_of(matrix) (filled on first use)
    scale: float | None = None
    #: this context without its matrix, for attributes (filled on first use)
    flat: _Ctx | None = None


# --------------------------------------------------------------------------- curve helpers


def _segments(radius: float, sweep: float, tol: float) -> int:
    """Chords needed so the sagitta of each stays under ``tol``."""
    if radius <= tol or sweep <= 0:
        return 1
    step = 2.0 * math.acos(max(-1.0, 1.0 - tol / radius))
    if step <= 0.0:  # tol / radius under the float epsilon: as fine as we ever go
        return 512
    return max(1, min(512, math.ceil(sweep / step)))


def arc_points(cx: float, cy: float, r: float, a0: float, a1: float, tol: float) -> list[float]:
    """Points of a CCW arc from a0 to a1 (radians)."""
    sweep = a1 - a0
    n = _segments(r, sweep, tol)
    step = sweep / n
    cos, sin = math.cos, math.sin
    out: list[float] = []
    for i in range(n + 1):
        t = a0 + step * i
        out.append(cx + r * cos(t))
        out.append(cy + r * sin(t))
    return out


def bulge_points(vertices: list, closed: bool, tol: float) -> list[float]:
    """Flatten (x, y, bulge) vertices; a bulge is tan(arc angle / 4) of the following segment."""
    n = len(vertices)
    if n == 0:
        return []
    out: list[float] = []
    if n == 1:
        v = vertices[0]
        return [v[0], v[1]] * (3 if closed else 1)
    append = out.append
    atan, sin, cos, hypot, atan2 = math.atan, math.sin, math.cos, math.hypot, math.atan2
    acos, ceil = math.acos, math.ceil
    last = n if closed else n - 1
    v = vertices[0]
    x0, y0 = v[0], v[1]
    append(x0)
    append(y0)
    nxt = vertices[1 : last + 1] if last < n else [*vertices[1:], vertices[0]]
    for w in nxt:
        bulge = v[2] if len(v) > 2 else 0.0
        x1, y1 = w[0], w[1]
        if bulge:
            theta = 4.0 * atan(bulge)
            dx, dy = x1 - x0, y1 - y0
            chord = hypot(dx, dy)
            if chord > 0:
                r = chord / (2.0 * sin(abs(theta) / 2.0))
                # centre: from chord midpoint along the normal
                h = r * cos(theta / 2.0)
                sgn = 1.0 if theta > 0 else -1.0
                cx = (x0 + x1) / 2.0 - sgn * h * dy / chord
                cy = (y0 + y1) / 2.0 + sgn * h * dx / chord
                a0 = atan2(y0 - cy, x0 - cx)
                r = abs(r)
                # _segments(r, abs(theta), tol), inlined: this loop is the hot spot
                if r <= tol:
                    k = 1
                else:
                    half = acos(max(-1.0, 1.0 - tol / r))
                    k = max(1, min(512, ceil(abs(theta) / (2.0 * half)))) if half > 0.0 else 512
                step = theta / k
                for j in range(1, k):
                    t = a0 + step * j
                    append(cx + r * cos(t))
                    append(cy + r * sin(t))
        append(x1)
        append(y1)
        v, x0, y0 = w, x1, y1
    return out


def ellipse_points(g: Mapping[str, Any], tol: float) -> list[float]:
    cx, cy = g["center"][:2]
    mx, my = g["major_axis"][:2]
    ratio = float(g.get("ratio", 1.0))
    t0 = float(g.get("start_param", 0.0))
    t1 = float(g.get("end_param", math.tau))
    if t1 <= t0:
        t1 += math.tau
    nx, ny = -my * ratio, mx * ratio
    r = math.hypot(mx, my)
    n = _segments(r, t1 - t0, tol)
    step = (t1 - t0) / n
    out: list[float] = []
    for i in range(n + 1):
        t = t0 + step * i
        c, s = math.cos(t), math.sin(t)
        out.append(cx + c * mx + s * nx)
        out.append(cy + c * my + s * ny)
    return out


def spline_points(g: Mapping[str, Any], tol: float) -> list[float]:
    from ezdxf.math import BSpline, fit_points_to_cad_cv

    cps = g.get("control_points") or []
    degree = int(g.get("degree", 3) or 3)
    try:
        if len(cps) >= 2:
            knots = g.get("knots") or None
            weights = g.get("weights") or None
            order = degree + 1
            if len(cps) < order:
                order = len(cps)
                knots = None
            if knots is not None and len(knots) != len(cps) + order:
                knots = None
            if weights is not None and len(weights) != len(cps):
                weights = None
            spline = BSpline([(p[0], p[1]) for p in cps], order=order, knots=knots, weights=weights)
        else:
            fit = g.get("fit_points") or []
            if len(fit) < 2:
                return []
            spline = fit_points_to_cad_cv([(p[0], p[1]) for p in fit])
        out: list[float] = []
        for p in spline.flattening(max(tol, 1e-9), segments=4):
            out.append(p.x)
            out.append(p.y)
        return out
    except (ValueError, ZeroDivisionError, IndexError, TypeError, ArithmeticError):
        pts = cps or g.get("fit_points") or []
        return [c for p in pts for c in p[:2]]


def _xf(pts: list[float], m: Matrix) -> list[float]:
    if m == IDENTITY:
        return pts
    a, b, c, d, e, f = m
    out = [0.0] * len(pts)
    for i in range(0, len(pts), 2):
        x, y = pts[i], pts[i + 1]
        out[i] = a * x + c * y + e
        out[i + 1] = b * x + d * y + f
    return out


# --------------------------------------------------------------------------- text layout

_FONT = None


def font():
    """The CJK-capable font used to measure and show text (PyMuPDF built-in, no file)."""
    global _FONT
    if _FONT is None:
        import pymupdf

        _FONT = pymupdf.Font("china-s")
    return _FONT


_ADVANCE: dict[str, float] = {}


def text_width(text: str) -> float:
    """Advance width of ``text`` in em (per-character advances, cached)."""
    adv = _ADVANCE
    total = 0.0
    for ch in text:
        w = adv.get(ch)
        if w is None:
            w = adv[ch] = font().text_length(ch, 1.0)
        total += w
    return total


def _wrap(line: str, width_em: float) -> list[str]:
    """Wrap one paragraph to ``width_em``; CJK wraps anywhere, Latin at spaces."""
    if width_em <= 0 or text_width(line) <= width_em:
        return [line]
    out: list[str] = []
    cur = ""
    for token in _tokens(line):
        trial = cur + token
        if cur and text_width(trial) > width_em:
            out.append(cur.rstrip())
            cur = token.lstrip()
        else:
            cur = trial
    if cur:
        out.append(cur)
    return out


def _tokens(line: str) -> list[str]:
    tokens: list[str] = []
    word = ""
    for ch in line:
        if ord(ch) > 0x2E80:  # CJK: each character may break
            if word:
                tokens.append(word)
                word = ""
            tokens.append(ch)
        elif ch == " ":
            tokens.append(word + " ")
            word = ""
        else:
            word += ch
    if word:
        tokens.append(word)
    return tokens


# --------------------------------------------------------------------------- the flattener


class Flattener:
    """Expands the entities of one sheet into a :class:`DisplayList`.

    ``paint`` may colour top-level entities (diff overlays): it returns an RGB that then
    applies to the entity and everything inside it, or None for its own colours.
    """

    def __init__(
        self,
        drawing: Drawing,
        *,
        tol: float,
        paint: Callable[[Entity], RGB | None] | None = None,
        dl: DisplayList | None = None,
        limits: RenderLimits | None = None,
        reveal: bool = False,
    ) -> None:
        self.drawing = drawing
        #: draw what ``paint`` colours even on a hidden layer (diff overlays: every change)
        self.reveal = reveal and paint is not None
        self.tol = tol
        self.paint = paint
        self.dl = dl if dl is not None else DisplayList()
        self.hidden = {name for name, info in drawing.layers.items() if not info.on or info.frozen}
        self.metric = drawing.units not in ("in", "ft")
        self._dash_cache: dict[str, Dash | None] = {}
        self._style_cache: dict[tuple, dict[tuple, tuple[RGB, float, str | None]]] = {}
        #: resolved style -> its stroke group at scale 1 and no constant width
        self._plain: dict[tuple[RGB, float, str | None], StrokeGroup] = {}
        #: (resolved style, context scale, constant width) -> its stroke group
        self._scaled: dict[tuple, StrokeGroup] = {}
        #: a block's strokes, flattened once per style context and scale, in block units:
        #: (entities id, ctx style, scale) -> per entity in order, (group, points) or the
        #: entity itself when it is drawn anew for each reference (text, attributes, nests)
        self._blocks: dict[tuple, list[tuple[StrokeGroup, list[float]] | Entity]] = {}
        #: while a block entity is first flattened: where :meth:`_stroke` records its output
        self._rec: list | None = None
        self.pdf_text = drawing.format == "pdf"
        self.limits = limits = limits if limits is not None else RenderLimits.from_env()
        self.expansion = Expansion(
            drawing.blocks, limits, lambda e: pattern_count(e, self.metric, limits.pattern_lines)
        )
        #: entities paid for from the sheet's budget (references' contents, pattern lines)
        self.spent = 0
        #: vertices drawn inside block references
        self.expanded = 0
        self._notes: dict[str, int] = {}

    # -- style -------------------------------------------------------------------------
    def _dash(self, name: str | None) -> Dash | None:
        if not name:
            return None
        try:
            return self._dash_cache[name]
        except KeyError:
            d = dash_for(name, self.drawing.linetypes, metric=self.metric)
            self._dash_cache[name] = d
            return d

    def _layer_style(self, layer: str) -> tuple[Any, str, int]:
        info = self.drawing.layers.get(layer)
        if info is None:
            return 7, "Continuous", -3
        return info.color, info.linetype, info.lineweight

    def _style(self, e: Entity, ctx: _Ctx) -> tuple[RGB, float, str | None]:
        ck = ctx.skey
        if ck is None:
            ck = ctx.skey = (
                ctx.depth > 0,
                ctx.layer,
                ctx.rgb,
                ctx.lineweight,
                ctx.linetype,
                ctx.override,
            )
        cache = self._style_cache.get(ck)
        if cache is None:
            cache = self._style_cache[ck] = {}
        st = e.style
        if st:
            key = (e.layer, st.get("color"), st.get("lineweight"), st.get("linetype"))
        else:
            key = (e.layer, None, None, None)
        try:
            return cache[key]
        except KeyError:
            pass
        except TypeError:  # an unhashable value in a hand-made style
            return self._resolve_style(e, ctx)
        out = cache[key] = self._resolve_style(e, ctx)
        return out

    def _resolve_style(self, e: Entity, ctx: _Ctx) -> tuple[RGB, float, str | None]:
        # Inside a block, layer-0 entities live on the block reference's (effective) layer.
        # Readers resolve BYLAYER against layer 0 itself, so a value equal to layer 0's is
        # taken as "by layer" and resolved again against the reference's layer.
        inherit = ctx.depth > 0 and e.layer == "0"
        l0 = self._layer_style("0")
        own = self._layer_style(ctx.layer if inherit else e.layer)
        if ctx.override is not None:
            rgb = ctx.override
        else:
            color = e.style.get("color", 256) if e.style else 256
            if color == 256 or color == "BYLAYER" or (inherit and color == l0[0]):
                color = own[0]
            rgb = ctx.rgb if is_byblock(color) else to_rgb(color)
        lw = e.style.get("lineweight", -1) if e.style else -1
        if lw == -1 or (inherit and lw == l0[2]):
            lw = own[2]
        if lw == -2:
            lw_mm = ctx.lineweight
        elif isinstance(lw, int | float) and lw >= 0:
            lw_mm = lw / 100.0  # 0 = hairline (one device pixel)
        else:
            lw_mm = DEFAULT_LINEWEIGHT_MM
        lt = e.style.get("linetype") if e.style else None
        if lt is None or lt.upper() == "BYLAYER" or (inherit and lt.upper() == str(l0[1]).upper()):
            lt = own[1]
        elif lt.upper() == "BYBLOCK":
            lt = ctx.linetype
        return rgb, lw_mm, lt

    def _group(
        self,
        ctx_scale: float,
        rgb: RGB,
        lw: float,
        lt: str | None,
        width: float = 0.0,
        dot: bool = False,
    ) -> StrokeGroup:
        dash = self._dash(lt)
        if dash is not None and ctx_scale != 1.0:
            dash = tuple(x * ctx_scale for x in dash)
        key = (rgb, lw, width, dash, dot)
        g = self.dl.strokes.get(key)
        if g is None:
            g = self.dl.strokes[key] = StrokeGroup()
        return g

    # -- entry points ------------------------------------------------------------------
    def sheet(self, sheet: Sheet, matrix: Matrix = IDENTITY) -> DisplayList:
        paper = sheet.paper is not None
        hidden, paint, handlers = self.hidden, self.paint, _HANDLERS
        contexts: dict[tuple[str, RGB | None], _Ctx] = {}  # read-only, shared by entities
        reveal = self.reveal
        for e in sheet.entities:
            kind, layer = e.kind, e.layer
            if layer in hidden and kind != "INSERT" and not reveal:
                continue  # a block reference's own layer never hides it (ezdxf, AutoCAD)
            override = None
            if paint is not None:
                override = paint(e)
                if override is None:
                    continue
            ctx = contexts.get((layer, override))
            if ctx is None:
                ctx = contexts[(layer, override)] = _Ctx(
                    matrix, layer, (0.0, 0.0, 0.0), DEFAULT_LINEWEIGHT_MM, None, override, 0, ()
                )
            if kind == "VIEWPORT":
                if paper:
                    self._viewport(e)
                continue
            handler = handlers.get(kind)
            if handler is None:
                continue
            try:
                handler(self, e, ctx)
            except (KeyError, IndexError, TypeError, ValueError, ArithmeticError):
                continue  # as in :meth:`entity`
        self.dl.warnings.extend(self.warnings())
        return self.dl

    # -- limits (see :mod:`.limits`) -----------------------------------------------------
    def _note(self, message: str) -> None:
        notes = self._notes
        if message in notes or len(notes) < MAX_WARNINGS:
            notes[message] = notes.get(message, 0) + 1
        else:
            notes[""] = notes.get("", 0) + 1

    def warnings(self) -> list[str]:
        """One line per distinct warning, with how often it applied."""
        out = []
        for message, n in self._notes.items():
            if not message:
                out.append(f"{self.drawing.path}: 另有 {n} 处 {n} more places not drawn in full")
            else:
                out.append(message if n == 1 else f"{message} ({n} 处 places)")
        return out

    def _afford(self, e: Entity, ctx: _Ctx) -> int | None:
        """Pay for ``e`` from the sheet's budget if it is on the sheet itself (what is inside
        it is paid for with it): None if it fits, else what it would cost."""
        if ctx.depth:
            return None
        need = self.expansion.cost(e, 0)
        if self.spent + need > self.limits.entities:
            return need
        self.spent += need
        return None

    def _outline(self, e: Entity, ctx: _Ctx, why: str) -> None:
        """Draw the box of reference ``e`` instead of its content, and say why."""
        box = finite_box(e.bbox)
        if box is not None:
            x0, y0, x1, y1 = box
            self._stroke(e, ctx, [x0, y0, x1, y0, x1, y1, x0, y1, x0, y0])
        name = quote(e.geometry.get("block") or e.kind)
        self._note(
            f"{self.drawing.path}: 块 block {name} {why}: 以外框代替 drawn as its outline"
        )

    def _over_entities(self, need: int) -> str:
        return (f"展开过大 would draw {magnitude(need)} entities, over "
                f"{self.limits.setting('entities')} per sheet")

    def _over_points(self) -> str:
        return f"展开过大 draws over {self.limits.setting('points')} vertices per sheet"

    def _too_deep(self, e: Entity) -> None:
        name = quote(e.geometry.get("block") or e.kind)
        self._note(
            f"{self.drawing.path}: 块 block {name} 嵌套过深未绘制 not drawn: nested deeper than "
            f"{self.limits.setting('depth')}"
        )

    def entity(self, e: Entity, ctx: _Ctx) -> None:
        handler = _HANDLERS.get(e.kind)
        if handler is None:
            return
        try:
            handler(self, e, ctx)
        except (KeyError, IndexError, TypeError, ValueError, ArithmeticError):
            # A malformed entity must not sink the sheet; readers report damage separately.
            return

    # -- kinds -------------------------------------------------------------------------
    def _stroke(self, e: Entity, ctx: _Ctx, pts: list[float], width: float = 0.0) -> None:
        if len(pts) < 4:
            return
        if ctx.depth:
            self.expanded += len(pts) >> 1
        style = self._style(e, ctx)
        if not width and ctx.matrix == IDENTITY:
            g = self._plain.get(style)
            if g is None:
                g = self._plain[style] = self._group(1.0, *style)
            g.coords.extend(pts)
            g.counts.append(len(pts) // 2)
            if self._rec is not None:
                self._rec.append((g, pts))
            return
        m = ctx.matrix
        s = ctx.scale
        if s is None:
            s = ctx.scale = scale_of(m) if m != IDENTITY else 1.0
        gkey = (style, s, width)
        g = self._scaled.get(gkey)
        if g is None:
            g = self._scaled[gkey] = self._group(s, *style, width * s)
        g.coords.extend(_xf(pts, m))
        g.counts.append(len(pts) // 2)
        if self._rec is not None:
            self._rec.append((g, pts))

    def _fill(self, rgb: RGB, rings: list[list[float]], m: Matrix) -> None:
        rings = [r for r in rings if len(r) >= 6]
        if not rings:
            return
        g = self.dl.fills.get(rgb)
        if g is None:
            g = self.dl.fills[rgb] = FillGroup()
        self.expanded += sum(len(r) for r in rings) >> 1
        for r in rings:
            g.coords.extend(_xf(r, m))
            g.counts.append(len(r) // 2)
        g.rings.append(len(rings))

    def line(self, e: Entity, ctx: _Ctx) -> None:
        pts = e.geometry["points"]
        p, q = pts[0], pts[1]
        self._stroke(e, ctx, [p[0], p[1], q[0], q[1]])

    def polyline(self, e: Entity, ctx: _Ctx) -> None:
        g = e.geometry
        if g.get("mode") in ("polyface", "mesh"):
            return  # vertices without their faces: nothing faithful to draw
        pts = bulge_points(g["points"], bool(g.get("closed")), self._tol(ctx))
        width = float(g.get("width") or 0.0)
        self._stroke(e, ctx, pts, width)

    def mline(self, e: Entity, ctx: _Ctx) -> None:
        from drawings.readers.dxf_fast import mline_paths

        for pts in mline_paths(e.geometry):
            self._stroke(e, ctx, pts)

    def points_line(self, e: Entity, ctx: _Ctx) -> None:
        pts = [c for p in e.geometry["points"] for c in p[:2]]
        self._stroke(e, ctx, pts)

    def _tol(self, ctx: _Ctx) -> float:
        s = ctx.scale
        if s is None:
            s = ctx.scale = scale_of(ctx.matrix) if ctx.matrix != IDENTITY else 1.0
        return self.tol / s if s != 1.0 else self.tol

    def circle(self, e: Entity, ctx: _Ctx) -> None:
        g = e.geometry
        cx, cy = g["center"][:2]
        self._stroke(e, ctx, arc_points(cx, cy, float(g["radius"]), 0.0, math.tau, self._tol(ctx)))

    def arc(self, e: Entity, ctx: _Ctx) -> None:
        g = e.geometry
        cx, cy = g["center"][:2]
        a0 = math.radians(float(g["start_angle"]))
        a1 = math.radians(float(g["end_angle"]))
        while a1 <= a0:
            a1 += math.tau
        self._stroke(e, ctx, arc_points(cx, cy, float(g["radius"]), a0, a1, self._tol(ctx)))

    def ellipse(self, e: Entity, ctx: _Ctx) -> None:
        self._stroke(e, ctx, ellipse_points(e.geometry, self._tol(ctx)))

    def spline(self, e: Entity, ctx: _Ctx) -> None:
        pts = spline_points(e.geometry, self._tol(ctx))
        if e.geometry.get("closed") and len(pts) >= 4 and pts[:2] != pts[-2:]:
            pts += pts[:2]
        self._stroke(e, ctx, pts)

    def point(self, e: Entity, ctx: _Ctx) -> None:
        x, y = e.geometry["location"][:2]
        rgb, lw, _ = self._style(e, ctx)
        g = self._group(1.0, rgb, max(lw, 0.35), None, 0.0, True)
        g.coords.extend(_xf([x, y, x, y], ctx.matrix))
        g.counts.append(2)

    def solid(self, e: Entity, ctx: _Ctx) -> None:
        pts = [p[:2] for p in e.geometry["points"]]
        if len(pts) == 4:
            pts = [pts[0], pts[1], pts[3], pts[2]]  # DXF SOLID vertex order is a zigzag
        ring = [c for p in pts for c in p]
        rgb = self._style(e, ctx)[0]
        self._fill(rgb, [ring], ctx.matrix)

    def face(self, e: Entity, ctx: _Ctx) -> None:
        pts = [c for p in e.geometry["points"] for c in p[:2]]
        self._stroke(e, ctx, pts + pts[:2])

    def hatch(self, e: Entity, ctx: _Ctx) -> None:
        g = e.geometry
        tol = self._tol(ctx)
        rings = []
        for path in g.get("paths") or []:
            r = bulge_points(path, True, tol)
            if len(r) >= 6:
                rings.append(r)
        if not rings:
            return
        rgb, lw, _ = self._style(e, ctx)
        if g.get("solid") or str(g.get("pattern", "")).upper() == "SOLID":
            self._fill(rgb, rings, ctx.matrix)
            return
        lines = _pattern_lines(g, rings, self.metric, self.limits.pattern_lines)
        if lines is None:
            self._fill(rgb, rings, ctx.matrix)
            return
        if not ctx.depth and self.spent + len(lines) > self.limits.entities:
            self._note(
                f"{self.drawing.path}: 填充图案线过多 hatch pattern lines over "
                f"{self.limits.setting('entities')} per sheet: 以实心填充代替 drawn as solid fills"
            )
            self._fill(rgb, rings, ctx.matrix)
            return
        if not ctx.depth:
            self.spent += len(lines)
        self.expanded += len(lines)
        m = ctx.matrix
        s = scale_of(m) if m != IDENTITY else 1.0
        out = []
        for x0, y0, x1, y1, dash, phase in lines:
            p = _xf([x0, y0, x1, y1], m)
            if dash is not None and s != 1.0:
                dash = tuple(d * s for d in dash)
                phase *= s
            out.append((p[0], p[1], p[2], p[3], dash, phase))
        ring_coords: list[float] = []
        counts = []
        for r in rings:
            ring_coords.extend(_xf(r, m))
            counts.append(len(r) // 2)
        self.dl.patterns.append(PatternFill(rgb, min(lw, 0.18), ring_coords, counts, out))

    def text(self, e: Entity, ctx: _Ctx) -> None:
        content = e.text
        if not content:
            return
        self._text(e, e.geometry, content, ctx)

    def _text(self, e: Entity, g: Mapping[str, Any], content: str, ctx: _Ctx) -> None:
        """``content`` placed by ``g``, styled by ``e`` (an attribute: its definition)."""
        h = float(g.get("height") or 1.0)
        x, y = g["insert"][:2]
        rot = float(g.get("rotation") or 0.0)
        wf = float(g.get("width_factor") or 1.0)
        rgb = self._style(e, ctx)[0]
        if self.pdf_text:
            em = h
            m = placement((x, y), rot, em, em)
            self.dl.texts.append(TextRun(mul(ctx.matrix, m), content, rgb))
            return
        em = h * CAP_TO_EM
        halign = int(g.get("halign") or 0)
        valign = int(g.get("valign") or 0)
        if not halign and not valign:  # left on the baseline (most text): no offsets
            m = placement((x, y), rot, em * wf, em)
            if ctx.matrix != IDENTITY:
                m = mul(ctx.matrix, m)
            self.dl.texts.append(TextRun(m, content, rgb))
            return
        align = g.get("align_point")
        if halign in (3, 5) and align is not None:
            # aligned (3) / fit (5): the text spans insert -> align_point
            ax, ay = align[:2]
            span = math.hypot(ax - x, ay - y)
            natural = text_width(content) * em * wf
            if span > 0 and natural > 0:
                rot = math.degrees(math.atan2(ay - y, ax - x))
                k = span / natural
                if halign == 3:
                    em *= k
                else:
                    wf *= k
            halign = 0
        dx = 0.0
        if halign in (1, 2, 4):
            w = text_width(content) * wf
            dx = -w / 2.0 if halign in (1, 4) else -w
        dy = 0.0
        if halign == 4 and valign == 0:
            dy = -h / 2.0
        elif valign == 1:
            dy = 0.3 * h
        elif valign == 2:
            dy = -h / 2.0
        elif valign == 3:
            dy = -h
        base = placement((x, y), rot, 1.0, 1.0)
        local = (em * wf, 0.0, 0.0, em, dx * em, dy)
        self.dl.texts.append(TextRun(mul(ctx.matrix, mul(base, local)), content, rgb))

    def mtext(self, e: Entity, ctx: _Ctx) -> None:
        content = e.text
        if not content:
            return
        g = e.geometry
        h = float(g.get("height") or 1.0)
        x, y = g["insert"][:2]
        rot = float(g.get("rotation") or 0.0)
        width = float(g.get("width") or 0.0)
        att = int(g.get("attachment") or 1)
        rgb = self._style(e, ctx)[0]
        em = h * CAP_TO_EM
        lines: list[str] = []
        for para in content.replace("\r\n", "\n").split("\n"):
            lines.extend(_wrap(para, width / em if width > 0 else 0.0))
        spacing = h * MTEXT_LINE_SPACING * float(g.get("line_spacing_factor") or 1.0)
        total = (len(lines) - 1) * spacing + h
        row, col = divmod(max(1, min(9, att)) - 1, 3)
        top = 0.0 if row == 0 else (total / 2.0 if row == 1 else total)
        base = mul(ctx.matrix, placement((x, y), rot, 1.0, 1.0))
        for i, line in enumerate(lines):
            if not line.strip():
                continue
            w = text_width(line) * em if col else 0.0
            dx = 0.0 if col == 0 else (-w / 2.0 if col == 1 else -w)
            dy = top - h - i * spacing
            local = (em, 0.0, 0.0, em, dx, dy)
            self.dl.texts.append(TextRun(mul(base, local), line, rgb))

    def insert(self, e: Entity, ctx: _Ctx) -> None:
        g = e.geometry
        name = g.get("block")
        block = self.drawing.blocks.get(name) if name else None
        if block is None or name in ctx.stack:
            return
        limits = self.limits
        if ctx.depth >= limits.depth:
            self._too_deep(e)
            return
        cols, rows = g.get("columns"), g.get("rows")
        if cols is not None or rows is not None:  # a MINSERT
            cols, rows = max(1, int(cols or 1)), max(1, int(rows or 1))
            if cols * rows > limits.cells:
                self._outline(e, ctx, f"阵列 MINSERT of {magnitude(cols * rows)} cells, over "
                                      f"{limits.setting('cells')}")
                return
        else:
            cols = rows = 1
        if not ctx.depth:
            need = self._afford(e, ctx)
            if need is not None:
                self._outline(e, ctx, self._over_entities(need))
                return
        sx, sy = (tuple(g.get("scale") or (1.0, 1.0)) + (1.0, 1.0))[:2]
        rot = float(g.get("rotation") or 0.0)
        bx, by = block.base_point[:2]
        rgb, lw, lt = self._style(e, ctx)
        eff_layer = ctx.layer if ctx.depth > 0 and e.layer == "0" else e.layer
        cs = float(g.get("column_spacing") or 0.0)
        rs = float(g.get("row_spacing") or 0.0)
        ix, iy = g["insert"][:2]
        r = math.radians(rot)
        cr, sr = math.cos(r), math.sin(r)
        for i in range(rows):
            for j in range(cols):
                if self.expanded > limits.points:
                    self._outline(e, ctx, self._over_points())
                    return
                ox, oy = j * cs, i * rs
                px = ix + ox * cr - oy * sr
                py = iy + ox * sr + oy * cr
                m = mul(placement((px, py), rot, sx, sy), (1.0, 0.0, 0.0, 1.0, -bx, -by))
                child = _Ctx(
                    mul(ctx.matrix, m),
                    eff_layer,
                    rgb,
                    lw,
                    lt,
                    ctx.override,
                    ctx.depth + 1,
                    ctx.stack + (name,),
                )
                self._block(block.entities, child, e.attribs)

    def _block(self, entities: list[Entity], ctx: _Ctx, attribs: Mapping[str, str]) -> None:
        """Draw a block's entities in ``ctx``.  Their strokes depend on the context only through
        its style and scale (chord tolerance, dash scale), so they are flattened once per such
        context and each further reference just maps the recorded points by its matrix."""
        s = ctx.scale
        if s is None:
            s = ctx.scale = scale_of(ctx.matrix) if ctx.matrix != IDENTITY else 1.0
        key = (id(entities), ctx.layer, ctx.rgb, ctx.lineweight, ctx.linetype, ctx.override, s)
        ops = self._blocks.get(key)
        if ops is None:
            self._blocks[key] = self._record(entities, ctx, attribs)
            return
        m = ctx.matrix
        n = 0
        for op in ops:
            if type(op) is tuple:
                g, pts = op
                g.coords.extend(_xf(pts, m))
                g.counts.append(len(pts) // 2)
                n += len(pts)
            else:
                self._block_entity(op, ctx, attribs)
        self.expanded += n >> 1

    def _record(self, entities: list[Entity], ctx: _Ctx, attribs: Mapping[str, str]) -> list:
        ops: list[tuple[StrokeGroup, list[float]] | Entity] = []
        hidden = self.hidden
        for be in entities:
            kind = be.kind
            if kind not in _STROKE_KINDS:
                ops.append(be)
                self._block_entity(be, ctx, attribs)
                continue
            layer = ctx.layer if be.layer == "0" else be.layer
            if layer in hidden:
                continue
            self._rec = ops
            try:
                self.entity(be, ctx)
            finally:
                self._rec = None
        return ops

    def _block_entity(self, be: Entity, ctx: _Ctx, attribs: Mapping[str, str]) -> None:
        hidden = self.hidden
        kind = be.kind
        if kind == "ATTDEF":
            # the reader folds ATTRIBs into INSERT.attribs (tag -> value) without their
            # placement: show each value where its definition sits in the block
            tag = next(iter(be.attribs), None) if be.attribs else None
            value = attribs.get(tag) if tag is not None else None
            layer = ctx.layer if be.layer == "0" else be.layer
            if value and layer not in hidden:
                self._attrib(be, value, ctx)
            return
        layer = ctx.layer if be.layer == "0" else be.layer
        if layer in hidden and kind != "INSERT":
            return
        self.entity(be, ctx)

    def _attrib(self, attdef: Entity, value: str, ctx: _Ctx) -> None:
        """An attribute value at its definition's place, kept readable (never mirrored):
        ATTRIBs are stored in world coordinates, not as part of the block's geometry."""
        g = dict(attdef.geometry)
        a, b, c, d, e, f = ctx.matrix
        for key in ("insert", "align_point"):
            if key in g:
                x, y = g[key][:2]
                g[key] = (a * x + c * y + e, b * x + d * y + f)
        r = math.radians(float(g.get("rotation") or 0.0))
        cr, sr = math.cos(r), math.sin(r)
        ux, uy = a * cr + c * sr, b * cr + d * sr
        vx, vy = -a * sr + c * cr, -b * sr + d * cr
        # text runs along the block's transformed x axis; a mirror only affects the y axis,
        # which we rebuild perpendicular (CCW) so the glyphs are never mirrored
        g["rotation"] = math.degrees(math.atan2(uy, ux))
        sv = math.hypot(vx, vy) or 1.0
        g["height"] = float(g.get("height") or 1.0) * sv
        g["width_factor"] = float(g.get("width_factor") or 1.0) * math.hypot(ux, uy) / sv
        flat = ctx.flat
        if flat is None:
            flat = ctx.flat = _Ctx(
                IDENTITY,
                ctx.layer,
                ctx.rgb,
                ctx.lineweight,
                ctx.linetype,
                ctx.override,
                ctx.depth,
                ctx.stack,
            )
        self._text(attdef, g, value, flat)

    def dimension(self, e: Entity, ctx: _Ctx) -> None:
        name = e.geometry.get("block")
        block = self.drawing.blocks.get(name) if name else None
        if block is None:
            return
        limits = self.limits
        if ctx.depth >= limits.depth:
            self._too_deep(e)
            return
        need = self._afford(e, ctx)
        if need is not None:
            self._outline(e, ctx, self._over_entities(need))
            return
        if self.expanded > limits.points:
            self._outline(e, ctx, self._over_points())
            return
        rgb, lw, lt = self._style(e, ctx)
        eff_layer = ctx.layer if ctx.depth > 0 and e.layer == "0" else e.layer
        child = _Ctx(
            ctx.matrix, eff_layer, rgb, lw, lt, ctx.override, ctx.depth + 1, ctx.stack + (name,)
        )
        self._block(block.entities, child, {})

    def table(self, e: Entity, ctx: _Ctx) -> None:
        """ACAD_TABLE: its ``*T`` block moved to the insertion point (as ezdxf draws it)."""
        x, y = e.geometry["insert"]
        moved = mul(ctx.matrix, (1.0, 0.0, 0.0, 1.0, x, y))
        self.dimension(e, replace(ctx, matrix=moved, scale=None, flat=None))

    def path(self, e: Entity, ctx: _Ctx) -> None:
        """A PDF vector path (page points)."""
        g = e.geometry
        subpaths: list[list[float]] = []
        cur: list[float] = []
        for item in g.get("items") or []:
            op = item[0]
            if op == "re":
                x0, y0, x1, y1 = item[1:5]
                subpaths.append([x0, y0, x1, y0, x1, y1, x0, y1, x0, y0])
                cur = []
                continue
            if op == "qu":
                q = [c for p in item[1:5] for c in p[:2]]
                subpaths.append(q + q[:2])
                cur = []
                continue
            p0 = item[1]
            if not cur or (cur[-2], cur[-1]) != (p0[0], p0[1]):
                cur = [p0[0], p0[1]]
                subpaths.append(cur)
            if op == "l":
                cur.extend(item[2][:2])
            elif op == "c":
                (x0, y0), (x1, y1), (x2, y2), (x3, y3) = (p[:2] for p in item[1:5])
                for k in range(1, 9):
                    t = k / 8.0
                    u = 1 - t
                    cur.append(u**3 * x0 + 3 * u * u * t * x1 + 3 * u * t * t * x2 + t**3 * x3)
                    cur.append(u**3 * y0 + 3 * u * u * t * y1 + 3 * u * t * t * y2 + t**3 * y3)
        if g.get("closed"):
            for sp in subpaths:
                if len(sp) >= 4 and sp[:2] != sp[-2:]:
                    sp.extend(sp[:2])
        fill = g.get("fill")
        stroke = g.get("stroke")
        if ctx.override is not None:
            if fill is not None:
                fill = ctx.override
            if stroke is not None or fill is None:
                stroke = ctx.override
        if fill is not None:
            self._fill(_pdf_rgb(fill), subpaths, ctx.matrix)
        if stroke is not None:
            width_pt = float(g.get("width") or 0.0)
            key_rgb = _pdf_rgb(stroke)
            grp = self._group(1.0, key_rgb, max(width_pt * 25.4 / 72.0, 0.05), None)
            for sp in subpaths:
                if len(sp) >= 4:
                    grp.coords.extend(_xf(sp, ctx.matrix))
                    grp.counts.append(len(sp) // 2)

    def _viewport(self, e: Entity) -> None:
        g = e.geometry
        status = g.get("status", 1)
        if status is not None and int(status) <= 0:
            return
        if g.get("id") == 1:
            return  # the overall paper-space viewport
        vc = g.get("view_center") or (0.0, 0.0)
        if (
            "id" not in g
            and abs(float(g.get("view_height") or 0) - float(g["height"])) < 1e-6
            and math.dist(vc[:2], g["center"][:2]) < 1e-6
        ):
            return  # paper space seen at 1:1 through itself: the overall viewport (id 1)
        cx, cy = g["center"][:2]
        w, h = float(g["width"]), float(g["height"])
        vh = float(g.get("view_height") or 0.0)
        if w <= 0 or h <= 0 or vh <= 0:
            return
        vx, vy = (g.get("view_center") or (0.0, 0.0))[:2]
        s = h / vh
        twist = math.radians(float(g.get("twist") or 0.0))
        c, sn = math.cos(twist) * s, math.sin(twist) * s
        # model (vx, vy) -> paper (cx, cy), scaled by s and rotated by the view twist
        m = (c, sn, -sn, c, cx - (c * vx - sn * vy), cy - (sn * vx + c * vy))
        self.dl.viewports.append(ViewportRef((cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2), m))


def _pdf_rgb(c: Any) -> RGB:
    if isinstance(c, tuple | list) and len(c) >= 3:
        if all(isinstance(v, float) for v in c[:3]) and max(c[:3]) <= 1.0:
            return (float(c[0]), float(c[1]), float(c[2]))
        return to_rgb(tuple(c[:3]))
    return to_rgb(c)


# --------------------------------------------------------------------------- hatch patterns


def _pattern_plan(g: Mapping[str, Any], box: tuple[float, float, float, float], metric: bool,
                  limit: int) -> tuple[list, int] | None:
    """The pattern lines of a hatch over ``box`` (its boundary's extents) as ranges per
    definition line, and their number; None when there are more than ``limit`` (or half of
    it from one definition line: a pattern too fine to see, drawn as a solid fill) or the
    numbers are not finite."""
    name = str(g.get("pattern") or "ANSI31").upper()
    scale = float(g.get("pattern_scale") or 1.0) or 1.0
    angle = float(g.get("pattern_angle") or 0.0)
    definition = g.get("pattern_lines") or _scaled_pattern(name, scale, angle, metric)
    x0, y0, x1, y1 = box
    corners = ((x0, y0), (x1, y0), (x1, y1), (x0, y1))
    plan = []
    total = 0
    for line in definition:
        ang, base, offset, dashes = line[0], line[1], line[2], line[3]
        a = math.radians(ang)
        ux, uy = math.cos(a), math.sin(a)
        nx, ny = -uy, ux
        bx, by = base[:2]
        ox, oy = offset[:2]
        spacing = ox * nx + oy * ny
        if not all(map(math.isfinite, (bx, by, ox, oy, spacing))) or abs(spacing) < 1e-12:
            continue
        ts = [((px - bx) * nx + (py - by) * ny) / spacing for px, py in corners]
        lo, hi = min(ts), max(ts)
        if not (math.isfinite(lo) and math.isfinite(hi)):
            return None
        k0, k1 = math.ceil(lo), math.floor(hi)
        if k1 - k0 + 1 > limit // 2:
            return None
        total += max(0, k1 - k0 + 1)
        if total > limit:
            return None
        plan.append((ux, uy, bx, by, ox, oy, dashes, k0, k1))
    return plan, total


def _ring_box(rings: list[list[float]]) -> tuple[float, float, float, float]:
    xs = [c for r in rings for c in r[0::2]]
    ys = [c for r in rings for c in r[1::2]]
    return min(xs), min(ys), max(xs), max(ys)


def _pattern_lines(
    g: Mapping[str, Any],
    rings: list[list[float]],
    metric: bool = True,
    limit: int = RenderLimits.pattern_lines,
):
    """Lines of a pattern hatch covering the boundary's bbox (clipped later by the writer),
    or None when it is drawn as a solid fill (see :func:`_pattern_plan`)."""
    box = _ring_box(rings)
    planned = _pattern_plan(g, box, metric, limit)
    if planned is None:
        return None
    x0, y0, x1, y1 = box
    corners = ((x0, y0), (x1, y0), (x1, y1), (x0, y1))
    out = []
    for ux, uy, bx, by, ox, oy, dashes, k0, k1 in planned[0]:
        dash = None
        if dashes:
            from drawings.render.linetypes import to_dash

            dash = to_dash(list(dashes))
            if dash is not None and sum(dash) <= 0:
                dash = None
        for k in range(k0, k1 + 1):
            px, py = bx + k * ox, by + k * oy
            us = [(cx - px) * ux + (cy - py) * uy for cx, cy in corners]
            u0, u1 = min(us), max(us)
            phase = (u0 % sum(dash)) if dash else 0.0
            out.append((px + u0 * ux, py + u0 * uy, px + u1 * ux, py + u1 * uy, dash, phase))
    return out


def pattern_count(e: Entity, metric: bool, limit: int) -> int:
    """Pattern lines a HATCH draws (0: a solid fill), from its extents (the reader's, in the
    coordinates of its block or sheet) without making them."""
    g = e.geometry
    if g.get("solid") or str(g.get("pattern", "")).upper() == "SOLID":
        return 0
    box = e.bbox
    if not (math.isfinite(box[0]) and math.isfinite(box[2])):
        pts = [p for path in g.get("paths") or () for p in path]
        if not pts:
            return 0
        box = (min(p[0] for p in pts), min(p[1] for p in pts),
               max(p[0] for p in pts), max(p[1] for p in pts))
    planned = _pattern_plan(g, box, metric, limit)
    return 0 if planned is None else planned[1]


_PATTERNS: dict[bool, dict[str, Any]] = {}


@functools.lru_cache(maxsize=512)
def _scaled_pattern(name: str, scale: float, angle: float, metric: bool) -> list:
    """A standard pattern scaled and rotated (ezdxf rounds every number: slow for 1e300, and
    a drawing repeats a few patterns thousands of times).  Read-only."""
    from ezdxf.tools import pattern as ezpattern

    table = _patterns(metric)
    return ezpattern.scale_pattern(table.get(name) or table["ANSI31"], scale, angle)


def _patterns(metric: bool) -> dict[str, Any]:
    """ezdxf's standard patterns: acadiso.pat (mm) or acad.pat (inch) like the drawing."""
    table = _PATTERNS.get(metric)
    if table is None:
        from ezdxf.tools import pattern as ezpattern

        loaded = ezpattern.load(measurement=1 if metric else 0)
        table = _PATTERNS[metric] = {k.upper(): v for k, v in loaded.items()}
    return table


#: Kinds drawn only through :meth:`Flattener._stroke` (recorded once per block context).
_STROKE_KINDS = frozenset(
    ("LINE", "LWPOLYLINE", "POLYLINE", "CIRCLE", "ARC", "ELLIPSE", "SPLINE", "3DFACE", "LEADER")
)

_HANDLERS: dict[str, Callable[[Flattener, Entity, _Ctx], None]] = {
    "LINE": Flattener.line,
    "LWPOLYLINE": Flattener.polyline,
    "POLYLINE": Flattener.polyline,
    "CIRCLE": Flattener.circle,
    "ARC": Flattener.arc,
    "ELLIPSE": Flattener.ellipse,
    "SPLINE": Flattener.spline,
    "POINT": Flattener.point,
    "TEXT": Flattener.text,
    "ATTRIB": Flattener.text,
    "MTEXT": Flattener.mtext,
    "INSERT": Flattener.insert,
    "DIMENSION": Flattener.dimension,
    "ACAD_TABLE": Flattener.table,
    # drawn from their saved proxy picture, a block in world coordinates (see the reader)
    "MULTILEADER": Flattener.dimension,
    "MLEADER": Flattener.dimension,
    "ACAD_PROXY_ENTITY": Flattener.dimension,
    "HATCH": Flattener.hatch,
    "SOLID": Flattener.solid,
    "TRACE": Flattener.solid,
    "3DFACE": Flattener.face,
    "LEADER": Flattener.points_line,
    "MLINE": Flattener.mline,
    "PATH": Flattener.path,
}


def flatten(
    drawing: Drawing,
    sheet: Sheet,
    *,
    tol: float,
    paint: Callable[[Entity], RGB | None] | None = None,
    dl: DisplayList | None = None,
    limits: RenderLimits | None = None,
    reveal: bool = False,
) -> DisplayList:
    """Display list of ``sheet`` (drawing units); curves within ``tol`` drawing units; what
    expands past ``limits`` (default: from the environment) is outlined, with a warning in
    the list's ``warnings``.  ``reveal``: entities ``paint`` colours are drawn even on frozen
    or switched-off layers."""
    with paused_gc():
        return Flattener(drawing, tol=tol, paint=paint, dl=dl, limits=limits,
                         reveal=reveal).sheet(sheet)


def sheet_cost(drawing: Drawing, sheet: Sheet, limits: RenderLimits | None = None) -> int:
    """What drawing ``sheet`` takes from its budget (``limits.entities``): its references'
    contents and its hatches' pattern lines, counted without drawing (an upper bound)."""
    limits = limits if limits is not None else RenderLimits.from_env()
    metric = drawing.units not in ("in", "ft")
    exp = Expansion(
        drawing.blocks, limits, lambda e: pattern_count(e, metric, limits.pattern_lines)
    )
    total = 0
    for e in sheet.entities:
        kind = e.kind
        if kind == "INSERT" or kind in BLOCK_KINDS:
            total += exp.cost(e, 0)
        elif kind == "HATCH":
            total += exp.cost(e, 0) - 1
    return min(total, CAP)
