"""The neutral sheet model every reader produces and every consumer (diff, render, ingest) reads.

A *file* (one blob) is read into a :class:`Drawing`; each of its layouts (DXF/DWG model space,
every paper layout; each PDF page) is a :class:`Sheet` of its own.  Entities carry canonical,
2D WCS geometry in drawing units (PDF: page points, y up) so that two files of the same drawing
written by different CAD programs give equal entities.

Geometry schema (``Entity.geometry``), by ``Entity.kind``; points are ``(x, y)`` tuples:

=============  ==========================================================================
kind           keys
=============  ==========================================================================
LINE           ``points`` (2 points)
LWPOLYLINE,    ``points`` [(x, y, bulge), ...], ``closed`` bool, ``width`` const width
POLYLINE
CIRCLE         ``center``, ``radius``
ARC            ``center``, ``radius``, ``start_angle``, ``end_angle`` (degrees, CCW)
ELLIPSE        ``center``, ``major_axis`` (vector), ``ratio``, ``start_param``, ``end_param``
SPLINE         ``degree``, ``control_points``, ``knots``, ``weights``, ``fit_points``, ``closed``
POINT          ``location``
TEXT, ATTRIB,  ``insert``, ``height``, ``rotation``, ``width_factor``, ``halign``, ``valign``,
ATTDEF         ``style``; text content in ``Entity.text``
MTEXT          ``insert``, ``height``, ``rotation``, ``width``, ``attachment``, ``style``;
               ``Entity.text`` is the plain text (formatting codes removed)
INSERT         ``block``, ``insert``, ``scale`` (sx, sy), ``rotation``, ``columns``/``rows``
               (MINSERT); ATTRIB values in ``Entity.attribs`` (tag -> text)
DIMENSION      ``block`` (the anonymous geometry block), ``dimtype``, ``defpoints`` (list),
               ``measurement``; text override in ``Entity.text``
HATCH          ``pattern``, ``solid`` bool, ``paths`` [[(x, y, bulge), ...], ...] (edge paths
               flattened to polylines), ``pattern_scale``, ``pattern_angle``
SOLID, TRACE,  ``points``
3DFACE
LEADER         ``points``
VIEWPORT       ``center``, ``width``, ``height``, ``view_center``, ``view_height``, ``status``
IMAGE          ``insert``, ``u``, ``v``, ``size``
PATH (PDF)     ``items`` [("l", p1, p2) | ("c", p1, c1, c2, p2) | ("re", x0, y0, x1, y1) ...],
               ``fill`` colour or None, ``stroke`` colour or None, ``width``, ``closed``
TEXT (PDF)     ``insert`` (span origin), ``height`` (font size), ``rotation``, ``font``
other          ``raw``: a stable digest of the entity's tags, so it still matches/differs
=============  ==========================================================================

Fingerprints (computed by :func:`drawings.readers.common.finish` for every reader):
``Entity.shape`` is :func:`digest` of ``[kind, layer, geometry relative to Entity.anchor, text,
[color, linetype, lineweight], attribs or None, referenced block digest or None]``, and
``Entity.fingerprint`` hashes the same JSON followed by the quantised anchor, so equal content at
an equal place fingerprints equal.  Anonymous block names ``*D12``/``*U3`` count as ``"*"``; a
text style counts by its definition in ``Drawing.text_styles``
(``"font|bigfont|width|oblique|height"``), not its name, so a CAD program renaming
``textstyle2`` to ``textstyle0`` changes nothing.
A block's digest is that of ``[base point, sorted entity fingerprints]``.

Style (``Entity.style``) is *resolved*: ``color`` is an ACI int or ``"#rrggbb"``, ``linetype``
and ``lineweight`` (1/100 mm) are the effective values, so an explicit value equal to the
layer's and BYLAYER give the same dict.  Handles, owners, draw order and XDATA never enter a
fingerprint.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import orjson

Point = tuple[float, float]
BBox = tuple[float, float, float, float]

#: Decimal places kept when fingerprinting coordinates (drawing units).  Sub-micron noise from
#: re-saving in another CAD program disappears; the diff compares near-misses with a tolerance.
FINGERPRINT_DECIMALS = 6

EMPTY_BBOX: BBox = (math.inf, math.inf, -math.inf, -math.inf)


@dataclass(slots=True)
class Entity:
    kind: str
    layer: str
    handle: str | None
    geometry: dict[str, Any]
    text: str | None = None
    style: dict[str, Any] = field(default_factory=dict)
    attribs: dict[str, str] = field(default_factory=dict)
    xdata: dict[str, Any] | None = None
    bbox: BBox = EMPTY_BBOX
    #: Reference point of the entity (start point, centre, insertion point, first vertex).
    anchor: Point = (0.0, 0.0)
    #: Content fingerprint: kind, layer, geometry, text, style, attribs (not handle/xdata).
    fingerprint: str = ""
    #: Position-free fingerprint: like ``fingerprint`` but geometry taken relative to ``anchor``.
    shape: str = ""

    def with_handle(self, handle: str | None) -> Entity:
        """The same entity under another handle (a re-save renumbers them); parts shared."""
        return Entity(self.kind, self.layer, handle, self.geometry, self.text, self.style,
                      self.attribs, self.xdata, self.bbox, self.anchor, self.fingerprint,
                      self.shape)  # fmt: skip


@dataclass(slots=True)
class BlockDef:
    name: str
    base_point: Point
    entities: list[Entity]
    #: Digest of the definition's content; an INSERT's fingerprint includes it.
    fingerprint: str = ""


@dataclass(slots=True)
class LayerInfo:
    name: str
    color: int | str = 7
    linetype: str = "Continuous"
    lineweight: int = -3
    on: bool = True
    frozen: bool = False
    plot: bool = True
    #: 0.0 (opaque) .. 1.0 (clear); None when the layer does not set it.
    transparency: float | None = None


@dataclass(slots=True)
class Sheet:
    """One drawable space: model space, one paper layout, or one PDF page."""

    name: str
    entities: list[Entity]
    #: Paper layouts and PDF pages: ``{"width": mm|pt, "height": …, "units": "mm"|"pt"}``.
    paper: dict[str, Any] | None = None
    #: Extents of the entities (computed by the reader).
    extents: BBox = EMPTY_BBOX

    def __iter__(self) -> Iterator[Entity]:
        return iter(self.entities)

    def __len__(self) -> int:
        return len(self.entities)


@dataclass(slots=True)
class Drawing:
    """One file read into the neutral model."""

    path: str
    format: str  # "dxf" | "dwg" | "pdf"
    version: str  # "AC1027", "PDF-1.7", ...
    units: str  # "mm", "m", "in", "ft", "pt", "unitless"
    sheets: list[Sheet]
    blocks: dict[str, BlockDef] = field(default_factory=dict)
    layers: dict[str, LayerInfo] = field(default_factory=dict)
    linetypes: dict[str, Any] = field(default_factory=dict)
    #: Text styles by name: ``{"font", "bigfont", "width", "oblique", "height"}`` (DXF/DWG).
    text_styles: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: Title-block fields found in the file: 图号 (number), 图名 (title), 专业, 版次, 比例.
    title: dict[str, str] = field(default_factory=dict)
    #: Non-fatal findings while reading (recovered damage, skipped entities).
    warnings: list[str] = field(default_factory=list)
    #: Dimension styles by name: a few defining fields (``dimscale``, ``dimtxt``, ``dimasz``...).
    dim_styles: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: Drawing-level settings the diff notes: ``measurement`` ("metric"/"imperial"),
    #: ``ltscale``; absent when the file does not say.
    header: dict[str, Any] = field(default_factory=dict)

    def sheet(self, name: str) -> Sheet:
        for s in self.sheets:
            if s.name == name:
                return s
        raise KeyError(name)


_MAXQ = 9.0e18  # beyond this a quantised float no longer fits orjson's 64-bit integers


def union_of(boxes: Iterable[BBox]) -> BBox | None:
    """The box around ``boxes`` (callers filter out empty/infinite ones); None for none."""
    boxes = list(boxes)
    if not boxes:
        return None
    return (
        min(b[0] for b in boxes),
        min(b[1] for b in boxes),
        max(b[2] for b in boxes),
        max(b[3] for b in boxes),
    )


def canonical(value: Any, decimals: int = FINGERPRINT_DECIMALS) -> Any:
    """Equal content -> equal JSON: floats quantised, tuples as lists, dict keys sorted.

    A float becomes the integer ``round(x * 10**decimals)`` (rounding to ``decimals`` places,
    without ``-0.0`` and several times faster than ``round(x, decimals)``); inf/nan and
    astronomically large values become their ``repr``.
    """
    t = type(value)
    if t is float:
        q = value * 10.0**decimals
        return round(q) if -_MAXQ < q < _MAXQ else repr(value)
    if t is tuple or t is list:
        return [canonical(v, decimals) for v in value]
    if t is dict:
        return {k: canonical(value[k], decimals) for k in sorted(value)}
    if value is None or t is str or t is int or t is bool:
        return value
    if isinstance(value, float):
        return canonical(float(value), decimals)
    if isinstance(value, int):
        return int(value)
    return str(value)


def digest(payload: Any, *, decimals: int = FINGERPRINT_DECIMALS) -> str:
    """Hex digest (blake2b-128) of the canonical JSON of ``payload`` (see :func:`canonical`)."""
    data = orjson.dumps(canonical(payload, decimals))
    return hashlib.blake2b(data, digest_size=16).hexdigest()
