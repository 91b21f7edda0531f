"""Display list -> one PDF content stream (bytes), and pages built from it with PyMuPDF.

Coordinates are mapped to the page with one numpy transform per style group and written as
integers in 1/100 pt (``0.01 0 0 0.01 0 0 cm``); each group is one run of ``m l … S`` with a
stroke every few hundred subpaths, so MuPDF can cull chunks when rendering a tile.  Text stays
text: a Type0 CJK font (PyMuPDF's ``china-s``, UTF-16 encoded) keeps it searchable.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np

from drawings.render.flatten import DisplayList, Matrix, coords_array, mul, scale_of
from drawings.render.raster import zlib_stream

#: PDF user-space units per point for path coordinates (we write 1/100 pt integers).
Q = 100.0
#: Subpaths per stroke/fill operator: keeps display-list nodes small enough to cull for tiles.
CHUNK = 200
FONT = "china-s"
MM = 72.0 / 25.4
_LIMIT = 2.0e9  # keep integers inside PDF's 32-bit range


def _ints(coords: list[float] | np.ndarray, m: Matrix) -> np.ndarray:
    xy = np.asarray(coords, dtype=np.float64).reshape(-1, 2)
    a, b, c, d, e, f = m
    out = np.empty_like(xy)
    with np.errstate(all="ignore"):  # 1e308 and NaN coordinates: clipped below
        out[:, 0] = (xy[:, 0] * a + xy[:, 1] * c + e) * Q
        out[:, 1] = (xy[:, 0] * b + xy[:, 1] * d + f) * Q
    np.nan_to_num(out, copy=False, nan=0.0, posinf=_LIMIT, neginf=-_LIMIT)
    np.clip(out, -_LIMIT, _LIMIT, out=out)
    return np.rint(out).astype(np.int64)


def _q(x: float) -> int:
    """``x`` pt as an integer of 1/100 pt within PDF's range (NaN: 0): a mutated or hostile
    number (1e308, inf) must not overflow ``round``."""
    v = x * Q
    if v != v:
        return 0
    return round(max(-_LIMIT, min(_LIMIT, v)))


_TEMPLATES: dict[tuple[int, bool], str] = {}


def _template(k: int, close: bool) -> str:
    key = (k, close)
    s = _TEMPLATES.get(key)
    if s is None:
        s = "%d %d m\n" + "%d %d l\n" * (k - 1) + ("h\n" if close else "")
        _TEMPLATES[key] = s
    return s


def _paths(
    ints: np.ndarray,
    counts: Iterable[int],
    op: bytes,
    *,
    close: bool = False,
    groups: list[int] | None = None,
) -> bytes:
    """Subpaths with ``op`` after every CHUNK of them (or after each group of rings)."""
    parts: list[str] = []
    if groups is None:
        for i, k in enumerate(counts):
            parts.append(_template(k, close))
            if i % CHUNK == CHUNK - 1:
                parts.append(op.decode() + "\n")
        parts.append(op.decode() + "\n")
    else:
        it = iter(counts)
        for n in groups:
            for _ in range(n):
                parts.append(_template(next(it), close))
            parts.append(op.decode() + "\n")
    fmt = "".join(parts)
    return (fmt % tuple(ints.ravel().tolist())).encode()


def _rgb(rgb: tuple[float, float, float]) -> str:
    return f"{rgb[0]:.3f} {rgb[1]:.3f} {rgb[2]:.3f}"


def _dash(dash: tuple[float, ...] | None, scale: float, phase: float = 0.0) -> str | None:
    """PDF dash operator, or None when the pattern is too fine to see (drawn solid)."""
    if not dash:
        return "[] 0 d"
    d = [x * scale for x in dash]
    period = sum(d)
    if not math.isfinite(period) or period < 1.5:  # under 1.5 pt it looks solid and slows
        return "[] 0 d"  # rasterising; a period past the float range is no pattern at all
    return "[" + " ".join(str(max(0, _q(x))) for x in d) + f"] {_q(phase * scale)} d"


#: A piece of a content stream and what it draws: ("v",) viewports, ("f", rgb) a fill colour,
#: ("p",) pattern hatches, ("s", style) a stroke style, ("t",) text.  Pieces of two display
#: lists of one sheet merge by key (:func:`merge`) into the stream of both drawn together.
Part = tuple[tuple, bytes]
_PATHS = b"q 0.01 0 0 0.01 0 0 cm 1 J 1 j\n"


def content(dl: DisplayList, m: Matrix, *, model: DisplayList | None = None) -> tuple[bytes, bool]:
    """Content stream bytes drawing ``dl`` through ``m`` (drawing units -> page pt).

    ``model`` is the model-space display list shown in ``dl``'s viewports.  Returns the bytes
    and whether text (needing the font resource) was written.
    """
    parts = content_parts(dl, m, model=model)
    return assemble(parts), has_text(parts)


def has_text(parts: list[Part]) -> bool:
    """Whether the stream of ``parts`` writes text (its page then needs the font)."""
    return any(key == ("t",) for key, _ in parts)


def content_parts(dl: DisplayList, m: Matrix, *, model: DisplayList | None = None) -> list[Part]:
    """The pieces of :func:`content`'s stream, in drawing order (see :data:`Part`)."""
    out: list[Part] = []
    if model is not None:
        for vp in dl.viewports:
            x0, y0, x1, y1 = vp.clip
            clip = _ints([x0, y0, x1, y1], m)
            (cx0, cy0), (cx1, cy1) = clip.tolist()
            rx, ry = min(cx0, cx1), min(cy0, cy1)
            body, text = content(model, mul(m, vp.matrix))
            head = b"q 0.01 0 0 0.01 0 0 cm %d %d %d %d re W n 100 0 0 100 0 0 cm\n" % (
                rx,
                ry,
                abs(cx1 - cx0),
                abs(cy1 - cy0),
            )
            out.append((("v",), head + body + b"Q\n"))
            if text:
                out.append((("t",), b""))  # the viewport's text needs the font
    s = scale_of(m)
    for rgb, g in dl.fills.items():
        if not g.counts:
            continue
        out.append(
            (
                ("f", rgb),
                b"%s rg\n" % _rgb(rgb).encode()
                + _paths(_ints(coords_array(g), m), g.counts, b"f*", close=True, groups=g.rings),
            )
        )
    hatches: list[bytes] = []
    for p in dl.patterns:
        hatches.append(b"q\n")
        hatches.append(
            _paths(
                _ints(p.ring_coords, m),
                p.ring_counts,
                b"W* n",
                close=True,
                groups=[len(p.ring_counts)],
            )
        )
        hatches.append(
            b"%s RG %d w\n" % (_rgb(p.rgb).encode(), max(1, _q(p.lineweight * MM)))
        )
        plain = [ln for ln in p.lines if ln[4] is None]
        if plain:
            coords = [c for ln in plain for c in ln[:4]]
            hatches.append(_paths(_ints(coords, m), [2] * len(plain), b"S"))
        for x0, y0, x1, y1, dash, phase in (ln for ln in p.lines if ln[4] is not None):
            (a0, b0), (a1, b1) = _ints([x0, y0, x1, y1], m).tolist()
            hatches.append(
                b"%s %d %d m %d %d l S\n" % (_dash(dash, s, phase).encode(), a0, b0, a1, b1)
            )
        hatches.append(b"Q\n")
    if hatches:
        out.append((("p",), b"".join(hatches)))
    for key, g in dl.strokes.items():
        if not g.counts:
            continue
        rgb, lw_mm, width, dash, _dot = key
        w = width * s if width > 0 else lw_mm * MM
        out.append(
            (
                ("s", key),
                b"%s RG %d w %s\n" % (_rgb(rgb).encode(), max(0, _q(w)), _dash(dash, s).encode())
                + _paths(_ints(coords_array(g), m), g.counts, b"S"),
            )
        )
    if dl.texts:
        out.append((("t",), _texts(dl.texts, m)))
    return out


def merge(first: list[Part], second: list[Part]) -> list[Part]:
    """The pieces of two display lists of one sheet (entities of ``first`` before those of
    ``second``) as one display list of all of them would give: the same layers (viewports,
    fills, hatches, strokes, text) and each style's group where it first appears."""
    groups: dict[tuple, list[bytes]] = {}
    for kind in ("v", "f", "p", "s", "t"):
        for parts in (first, second):
            for key, data in parts:
                if key[0] == kind:
                    groups.setdefault(key, []).append(data)
    return [(key, b"".join(chunks)) for key, chunks in groups.items()]


def assemble(parts: list[Part]) -> bytes:
    """One content stream from its pieces: paths in 1/100 pt, then text in one BT block."""
    out = [data for key, data in parts if key[0] == "v"]
    out.append(_PATHS)
    out += [data for key, data in parts if key[0] in ("f", "p", "s")]
    out.append(b"Q\n")
    text = [data for key, data in parts if key[0] == "t"]
    if text:
        out.append(b"BT /%s 1 Tf\n" % FONT.encode())
        out += text
        out.append(b"ET\n")
    return b"".join(out)


def _texts(texts: list, m: Matrix) -> bytes:
    """``Tm … Tj`` per run: all text matrices mapped to the page in one numpy product."""
    n = np.array([t.matrix for t in texts], dtype=np.float64).reshape(-1, 6)
    a, b, c, d, e, f = m
    xs = np.empty_like(n)  # mul(m, t.matrix), column by column
    with np.errstate(all="ignore"):  # 1e308 overflows: such text is left out just below
        xs[:, 0] = a * n[:, 0] + c * n[:, 1]
        xs[:, 1] = b * n[:, 0] + d * n[:, 1]
        xs[:, 2] = a * n[:, 2] + c * n[:, 3]
        xs[:, 3] = b * n[:, 2] + d * n[:, 3]
        xs[:, 4] = a * n[:, 4] + c * n[:, 5] + e
        xs[:, 5] = b * n[:, 4] + d * n[:, 5] + f
        ok = (np.abs(xs) <= 1e7).all(axis=1)  # False for NaN too: off the page or unsized
    out: list[bytes] = []
    last = None
    tm = b"%.5f %.5f %.5f %.5f %.2f %.2f Tm <%s> Tj\n"
    hexes: dict[str, bytes] = {}  # labels repeat (room names, door numbers…)
    for t, row, good in zip(texts, xs.tolist(), ok.tolist(), strict=True):
        if not good:
            continue
        if t.rgb != last:
            out.append(b"%s rg\n" % _rgb(t.rgb).encode())
            last = t.rgb
        h = hexes.get(t.text)
        if h is None:
            h = hexes[t.text] = t.text.encode("utf-16-be").hex().encode()
        out.append(tm % (*row, h))
    return b"".join(out)


_W: str | None = None


def _ascii_widths() -> str:
    """/W for the proportional ASCII CIDs 1..95 of Adobe-GB1 (default is 1000 = full width).

    Widths are those of the font MuPDF shows the text with, so layout measured with
    :func:`drawings.render.flatten.text_width` matches what is drawn.
    """
    global _W
    if _W is None:
        from drawings.render.flatten import font

        f = font()
        _W = "[1 [" + " ".join(str(round(f.glyph_advance(c) * 1000)) for c in range(32, 127))
        _W += "]]"
    return _W


def new_page(
    doc, width_pt: float, height_pt: float, stream: bytes, *, text: bool, compress: bool = True
):
    """Append a page to ``doc`` whose whole content is ``stream``."""
    page = doc.new_page(width=width_pt, height=height_pt)
    if text:
        font_xref = page.insert_font(fontname=FONT)
        kind, value = doc.xref_get_key(font_xref, "DescendantFonts")
        if kind == "array":
            cid_font = int(value.strip("[] ").split()[0])
            doc.xref_set_key(cid_font, "W", _ascii_widths())
    xref = doc.get_new_xref()
    if compress:
        # zlib level 1 is several times faster than MuPDF's default deflate on big pages
        doc.update_object(xref, "<<>>")
        doc.update_stream(xref, zlib_stream(stream, 1), compress=False)
        doc.xref_set_key(xref, "Filter", "/FlateDecode")
    else:
        doc.update_object(xref, "<<>>")
        doc.update_stream(xref, stream, compress=False)
    doc.xref_set_key(page.xref, "Contents", f"{xref} 0 R")
    return page
