"""Match the entities of two revisions of a sheet, then describe what changed.

Order of evidence (design.md §4):

1. exact content fingerprints, as multisets (handles, owners and draw order never count);
2. handles, only when the exactly matched pairs show the two files share a handle space;
3. global alignment (see :mod:`diffing.align`), verified by how much it matches;
4. type + spatial nearest neighbours (shapely STRtree over bboxes) and same-shape groups, with
   plausibility rules, assigned greedily by cost: no O(n²) loop;
5. tolerance comparison of every candidate pair (:func:`diffing.describe.describe`).
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import shapely

from diffing import align as _align
from diffing.appearance import Respellings, same_look
from diffing.describe import TextStyles, describe
from diffing.geometry import (
    bbox_diag,
    bbox_iou,
    bbox_union,
    differing_keys,
    finite_bbox,
    transform_bbox,
    transform_geometry,
    transform_point,
    translate_geometry,
)
from diffing.report import IDENTITY, Alignment
from diffing.views import SheetView

#: Kinds distinctive enough to pair as "moved" by identical shape even when far apart.
_DISTINCT_KINDS = frozenset({"INSERT", "TEXT", "MTEXT", "HATCH", "SPLINE", "DIMENSION", "ELLIPSE"})
_TEXT_KINDS = frozenset({"TEXT", "MTEXT", "ATTRIB", "ATTDEF"})
#: Share of exactly matched pairs that must keep their handle before handles are trusted.
HANDLE_SPACE_SHARE = 0.9
HANDLE_SPACE_MIN_PAIRS = 5
HANDLE_SPACE_SAMPLE = 4096
#: Neighbour search radius as a share of the sheet's extent diagonal.
NEAR_SHARE = 0.02
#: The sheet scale is at most this times the anchors' 1-99 % box (stray far entities).
ROBUST_MARGIN = 1.5
ROBUST_MIN_ENTITIES = 50
#: Hatch boundaries are compared within this share of the sheet's extent diagonal: CAD
#: programs re-compute boundary vertices on save (4e-4 units seen on a 1000-unit sheet).
HATCH_JITTER = 1e-6
#: Candidates kept per unmatched old entity (closest first).
NEIGHBOURS = 12
FAR_SHARE = 0.25


@dataclass
class Modified:
    old: int
    new: int
    what: tuple[str, ...]
    details: dict[str, Any]


@dataclass
class SheetMatch:
    """Raw outcome for one sheet pair, in entity indices."""

    alignment: Alignment = IDENTITY
    modified: list[Modified] = field(default_factory=list)
    removed: list[int] = field(default_factory=list)
    added: list[int] = field(default_factory=list)
    unchanged: int = 0
    handle_space_shared: bool = False
    extent_diag: float = 0.0


class _Lazy:
    """Decode entities of one side once, on demand."""

    def __init__(self, view: SheetView) -> None:
        self.view = view
        self.cache: dict[int, Any] = {}

    def __getitem__(self, i: int) -> Any:
        e = self.cache.get(i)
        if e is None:
            e = self.cache[i] = self.view.entity(i)
        return e


def exact_pairs(old: SheetView, new: SheetView) -> np.ndarray:
    """Multiset match of fingerprints, as an (n, 2) array of (old, new) indices.

    One sort over both sides (numpy lexsort on the two 64-bit halves of each digest); equal
    fingerprints pair in file order: the k-th copy in OLD with the k-th copy in NEW.
    """
    no, nn = len(old.fingerprints), len(new.fingerprints)
    if no == 0 or nn == 0:
        return np.zeros((0, 2), dtype=np.int64)
    h = np.concatenate([old.fingerprints, new.fingerprints]).view("<u8").reshape(-1, 2)
    side = np.concatenate([np.zeros(no, np.int8), np.ones(nn, np.int8)])
    idx = np.concatenate([np.arange(no, dtype=np.int64), np.arange(nn, dtype=np.int64)])
    order = np.lexsort((idx, side, h[:, 1], h[:, 0]))
    hs, ss, ix = h[order], side[order], idx[order]
    n = len(order)
    group_start = np.ones(n, dtype=bool)
    group_start[1:] = (hs[1:] != hs[:-1]).any(axis=1)
    gid = np.cumsum(group_start) - 1
    run_start = group_start.copy()
    run_start[1:] |= ss[1:] != ss[:-1]
    pos = np.arange(n)
    rank = pos - np.maximum.accumulate(np.where(run_start, pos, 0))
    is_old = ss == 0
    width = int(rank.max()) + 1
    ko = gid[is_old] * width + rank[is_old]
    kn = gid[~is_old] * width + rank[~is_old]
    _, io, jn = np.intersect1d(ko, kn, assume_unique=True, return_indices=True)
    return np.stack([ix[is_old][io], ix[~is_old][jn]], axis=1)


def shares_handle_space(old: SheetView, new: SheetView, pairs: np.ndarray) -> bool:
    """True when most exactly matched pairs kept their handle: the same file lineage."""
    if len(pairs) < HANDLE_SPACE_MIN_PAIRS:
        return False
    oh, nh = old.handles, new.handles
    step = max(1, len(pairs) // HANDLE_SPACE_SAMPLE)  # an even sample is evidence enough
    sample = pairs[::step].tolist()
    same = sum(1 for i, j in sample if oh[i] is not None and oh[i] == nh[j])
    return same >= HANDLE_SPACE_SHARE * len(sample)


def _paper_diag(view: SheetView) -> float:
    """The page's diagonal (PDF pages, paper layouts): the scale of a sheet, unlike extents
    that one stray off-page path can blow up."""
    p = view.paper or {}
    try:
        w, h = float(p.get("width") or 0), float(p.get("height") or 0)
    except (TypeError, ValueError):
        return 0.0
    return math.hypot(w, h) if w > 0 and h > 0 else 0.0


def _robust_diag(view: SheetView) -> float:
    """Diagonal of the 1st-99th percentile box of the anchors: the size of the drawing
    without the odd entity far away (which would make every search radius huge)."""
    if view.anchors is None or len(view) < ROBUST_MIN_ENTITIES:
        return 0.0
    a = view.anchors()
    a = a[np.isfinite(a).all(axis=1)]
    if len(a) < ROBUST_MIN_ENTITIES:
        return 0.0
    lo, hi = np.percentile(a, [1.0, 99.0], axis=0)
    return float(np.hypot(*(hi - lo)))


def _extent(view: SheetView, lazy: _Lazy, idx: list[int]):
    if view.extents is not None and finite_bbox(view.extents):
        return view.extents
    bb = None
    for i in idx:
        bb = bbox_union(bb, lazy[i].bbox)
    return bb if finite_bbox(bb) else None


def match_sheet(
    old: SheetView,
    new: SheetView,
    *,
    tol: float,
    ignore_style: bool = False,
    include_xdata: bool = False,
    use_handles: bool = True,
    changed_blocks: frozenset[str] = frozenset(),
    layers: tuple[dict[str, Any], dict[str, Any]] | None = None,
    text_styles: TextStyles | None = None,
    respellings: Respellings | None = None,
    scale_hint: float | None = None,
    cross: Counter[str] | None = None,
) -> SheetMatch:
    """``respellings`` counts the appearance-equal style spellings of the final pairs;
    ``scale_hint`` (a unit change's factor) is tried as the alignment before estimating one."""
    res = SheetMatch()
    lo, ln = _Lazy(old), _Lazy(new)
    pairs = exact_pairs(old, new)
    res.unchanged = len(pairs)
    mo = np.zeros(len(old), dtype=bool)
    mn = np.zeros(len(new), dtype=bool)
    if len(pairs):
        mo[pairs[:, 0]] = True
        mn[pairs[:, 1]] = True
    u_old = np.flatnonzero(~mo).tolist()
    u_new = np.flatnonzero(~mn).tolist()

    def _desc(i: int, j: int, al: Alignment, sink: Counter[str] | None = None):
        # fields skipped across formats are counted for the final pairs only (``sink``)
        lenient = None if cross is None else (Counter() if sink is None else sink)
        return describe(lo[i], ln[j], al, tol, ignore_style=ignore_style,
                        include_xdata=include_xdata, changed_blocks=changed_blocks,
                        layers=layers, text_styles=text_styles, cross=lenient,
                        hatch_tol=HATCH_JITTER * res.extent_diag)

    if include_xdata:
        for i, j in pairs.tolist():
            a, b = lo[i], ln[j]
            if (a.xdata or None) != (b.xdata or None):
                res.unchanged -= 1
                res.modified.append(Modified(i, j, ("xdata",),
                                             {"xdata": {"before": a.xdata, "after": b.xdata}}))

    diag = _paper_diag(new) or _paper_diag(old)
    if not diag:
        diag = bbox_diag(bbox_union(_extent(old, lo, u_old), _extent(new, ln, u_new))) or 1.0
        robust = max(_robust_diag(old), _robust_diag(new))
        if robust > 0:
            diag = min(diag, ROBUST_MARGIN * robust)
    res.extent_diag = diag
    candidates: list[tuple[int, int]] = []

    # 2. handles, where evidently shared
    if use_handles and u_old and u_new and shares_handle_space(old, new, pairs):
        res.handle_space_shared = True
        by_handle = {old.handles[i]: i for i in u_old if old.handles[i] is not None}
        taken_o: set[int] = set()
        taken_n: set[int] = set()
        for j in u_new:
            h = new.handles[j]
            i = by_handle.get(h) if h is not None else None
            if i is not None and _same_object(lo[i], ln[j], NEAR_SHARE * diag):
                candidates.append((i, j))
                taken_o.add(i)
                taken_n.add(j)
        u_old = [i for i in u_old if i not in taken_o]
        u_new = [j for j in u_new if j not in taken_n]

    # 3. global alignment, only when little matched exactly
    al = IDENTITY
    if (
        len(u_old) >= 3
        and len(u_new) >= 3
        and len(pairs) < 0.5 * min(len(old), len(new))
    ):
        q = max(2 * tol, diag * 1e-9)
        hits: list[tuple[int, int]] = []
        guess = IDENTITY
        if scale_hint:
            guess = Alignment(scale=scale_hint)  # about the origin, as a unit change is
            hits = _match_under(guess, u_old, u_new, lo, ln, tol, q, _desc)
        if len(hits) < max(3, 0.2 * min(len(u_old), len(u_new))):
            guess = _align.estimate([lo[i] for i in u_old], [ln[j] for j in u_new], q)
            hits = [] if guess.is_identity else _match_under(guess, u_old, u_new, lo, ln, tol,
                                                             q, _desc)
        if not guess.is_identity and len(hits) >= max(3, 0.2 * min(len(u_old), len(u_new))):
            al = guess
            hit_o = {i for i, _ in hits}
            hit_n = {j for _, j in hits}
            u_old = [i for i in u_old if i not in hit_o]
            u_new = [j for j in u_new if j not in hit_n]
            res.unchanged += len(hits)
    res.alignment = al

    # 4. neighbours and same-shape groups
    if u_old and u_new:
        candidates += _neighbour_pairs(u_old, u_new, lo, ln, al, tol, diag)
    paired_o: set[int] = set()
    paired_n: set[int] = set()
    for i, j in candidates:
        if i in paired_o or j in paired_n:
            continue
        paired_o.add(i)
        paired_n.add(j)
        d = _desc(i, j, al, cross)
        if respellings is not None:
            note_respellings(lo[i], ln[j], respellings)
        if d is None:
            res.unchanged += 1
        else:
            res.modified.append(Modified(i, j, d[0], d[1]))
    res.removed = [i for i in u_old if i not in paired_o]
    res.added = [j for j in u_new if j not in paired_n]
    res.modified.sort(key=lambda m: m.new)
    return res


def note_respellings(a: Any, b: Any, respellings: Respellings) -> None:
    """Count the style values of a matched pair spelt differently but plotting the same."""
    sa, sb = a.style, b.style
    if sa is sb or sa == sb:
        return
    for k in ("color", "linetype"):
        va, vb = sa.get(k), sb.get(k)
        if va != vb and same_look(k, va, vb):
            respellings.note(k)


def _match_under(al, u_old, u_new, lo, ln, tol, q, desc) -> list[tuple[int, int]]:
    """Old/new entities equal once the old one is mapped through ``al``.

    New anchors go into a grid of cells a few tolerances wide; each old entity looks only in
    the 3x3 cells around its mapped anchor: first for the same shape fingerprint (exact,
    cheap), then for anything the tolerance comparison calls equal (plots re-rounded).
    """
    hits: list[tuple[int, int]] = []
    eps = max(tol, q) * max(1.0, al.scale) * 2
    cell = eps * 4
    grid: dict[tuple[int, int], list[int]] = defaultdict(list)
    for j in u_new:
        x, y = ln[j].anchor[:2]
        grid[(math.floor(x / cell), math.floor(y / cell))].append(j)
    used: set[int] = set()
    shapes_valid = al.scale == 1 and al.rotation == 0
    rest: list[tuple[int, list[int]]] = []
    for i in u_old:
        e = lo[i]
        x, y = transform_point(al, e.anchor)
        cx, cy = math.floor(x / cell), math.floor(y / cell)
        near = [j for gx in (cx - 1, cx, cx + 1) for gy in (cy - 1, cy, cy + 1)
                for j in grid.get((gx, gy), ()) if ln[j].kind == e.kind]
        hit = None
        if shapes_valid:
            for j in near:
                b = ln[j]
                if (j not in used and b.shape == e.shape and abs(b.anchor[0] - x) <= eps
                        and abs(b.anchor[1] - y) <= eps):
                    hit = j
                    break
        if hit is None:
            rest.append((i, near))
        else:
            used.add(hit)
            hits.append((i, hit))
    for i, near in rest:
        for j in near:
            if j not in used and desc(i, j, al) is None:
                used.add(j)
                hits.append((i, j))
                break
    return hits


def _poly_vertices(e) -> int:
    pts = e.geometry.get("points") or e.geometry.get("items") or ()
    return len(pts)


def _centre(bb, anchor) -> tuple[float, float]:
    if finite_bbox(bb):
        return ((bb[0] + bb[2]) / 2, (bb[1] + bb[3]) / 2)
    return (anchor[0], anchor[1])


def _nearest_per_old(qi, tj, u_old, u_new, lo, ln, o_anchor, o_bbox):
    """Keep, per old entity, the ``NEIGHBOURS`` closest same-kind hits (by anchor or bbox
    centre): large entities overlap everything, and all-pairs scoring would be O(n²)."""
    if len(qi) == 0:
        return qi, tj
    kinds: dict[str, int] = {}
    ko = np.array([kinds.setdefault(lo[i].kind, len(kinds)) for i in u_old], dtype=np.int32)
    kn = np.array([kinds.setdefault(ln[j].kind, len(kinds)) for j in u_new], dtype=np.int32)
    keep = ko[qi] == kn[tj]
    qi, tj = qi[keep], tj[keep]
    if len(qi) <= NEIGHBOURS * len(u_old):
        return qi, tj
    ao = np.array([o_anchor[i] for i in u_old], dtype=float).reshape(-1, 2)
    an = np.array([ln[j].anchor[:2] for j in u_new], dtype=float).reshape(-1, 2)
    co = np.array([_centre(o_bbox[i], o_anchor[i]) for i in u_old], dtype=float).reshape(-1, 2)
    cn = np.array([_centre(ln[j].bbox, ln[j].anchor) for j in u_new], dtype=float).reshape(-1, 2)
    d = np.minimum(np.hypot(*(ao[qi] - an[tj]).T), np.hypot(*(co[qi] - cn[tj]).T))
    order = np.lexsort((d, qi))
    qs = qi[order]
    first = np.ones(len(qs), dtype=bool)
    first[1:] = qs[1:] != qs[:-1]
    pos = np.arange(len(qs))
    rank = pos - np.maximum.accumulate(np.where(first, pos, 0))
    sel = order[rank < NEIGHBOURS]
    return qi[sel], tj[sel]


def _distinct(e) -> bool:
    return e.kind in _DISTINCT_KINDS or (
        e.kind in ("LWPOLYLINE", "POLYLINE", "PATH") and _poly_vertices(e) >= 3
    )


def _neighbour_pairs(u_old, u_new, lo, ln, al: Alignment, tol: float, diag: float):
    """Candidate (old, new) pairs sorted by cost; implausible pairs are left out."""
    near = NEAR_SHARE * diag
    far = FAR_SHARE * diag
    shapes_valid = al.scale == 1 and al.rotation == 0
    o_anchor = {i: transform_point(al, lo[i].anchor) for i in u_old}
    o_bbox = {i: transform_bbox(al, lo[i].bbox) for i in u_old}

    def box_of(bb, anchor, pad):
        if not finite_bbox(bb):
            bb = (anchor[0], anchor[1], anchor[0], anchor[1])
        return (bb[0] - pad, bb[1] - pad, bb[2] + pad, bb[3] + pad)

    eps = max(tol, diag * 1e-12)
    new_boxes = [box_of(ln[j].bbox, ln[j].anchor, eps) for j in u_new]
    tree = shapely.STRtree(shapely.box(*np.asarray(new_boxes, dtype=float).T))
    queries = []
    for i in u_old:
        bb = o_bbox[i]
        pad = max(near, 0.5 * bbox_diag(bb)) if finite_bbox(bb) else near
        queries.append(box_of(bb, o_anchor[i], pad))
    qi, tj = tree.query(shapely.box(*np.asarray(queries, dtype=float).T))
    qi, tj = _nearest_per_old(qi, tj, u_old, u_new, lo, ln, o_anchor, o_bbox)
    cand = {(u_old[a], u_new[b]) for a, b in zip(qi.tolist(), tj.tolist(), strict=True)}

    if shapes_valid:
        g_old: dict[tuple[str, str], list[int]] = defaultdict(list)
        g_new: dict[tuple[str, str], list[int]] = defaultdict(list)
        for i in u_old:
            e = lo[i]
            if _distinct(e):
                g_old[(e.kind, e.shape)].append(i)
        for j in u_new:
            e = ln[j]
            if _distinct(e):
                g_new[(e.kind, e.shape)].append(j)
        for k, olds in g_old.items():
            news = g_new.get(k)
            if news and len(olds) * len(news) <= 64:
                cand.update((i, j) for i in olds for j in news)

    scored: list[tuple[float, int, int]] = []
    for i, j in cand:
        a, b = lo[i], ln[j]
        if a.kind != b.kind:
            continue
        ax, ay = o_anchor[i]
        d = math.hypot(b.anchor[0] - ax, b.anchor[1] - ay)
        same_shape = shapes_valid and a.shape == b.shape and bool(a.shape)
        if not same_shape and d <= near and _pure_move(a, b, al, tol):
            same_shape = True  # equal up to a translation, within the tolerance
        if same_shape:
            if d > far:
                continue
            cost = d / diag
        elif d <= tol:
            cost = 0.001
        else:
            iou = bbox_iou(o_bbox[i], b.bbox)
            if iou >= 0.5:
                cost = 0.01 + (1 - iou) * 0.01
            elif d <= near and _same_label(a, b):
                cost = 0.02 + d / diag
            elif a.kind == "LINE" and a.layer == b.layer and _shares_endpoint(a, b, al, tol):
                cost = 0.05 + d / diag
            else:
                continue
        if a.layer != b.layer:
            cost += 0.1
        scored.append((cost, i, j))
    scored.sort()
    return [(i, j) for _, i, j in scored]


def _same_object(a, b, near: float) -> bool:
    """Equal handles in a shared handle space, and nothing says otherwise: same kind, and the
    same layer, the same text or close by (some CAD programs renumber handles sequentially on
    save, so a handle next to an edit may now name an unrelated entity)."""
    if a.kind != b.kind:
        return False
    if a.layer == b.layer or (a.text and a.text == b.text):
        return True
    return math.hypot(b.anchor[0] - a.anchor[0], b.anchor[1] - a.anchor[1]) <= near


def _pure_move(a, b, al: Alignment, tol: float) -> bool:
    """``b`` is ``a`` translated (anchor to anchor), geometry equal within ``tol``."""
    if a.layer != b.layer or a.text != b.text or a.style != b.style or a.attribs != b.attribs:
        return False
    ga = transform_geometry(a.geometry, al)
    ax, ay = transform_point(al, a.anchor)
    moved = translate_geometry(ga, b.anchor[0] - ax, b.anchor[1] - ay)
    return not differing_keys(moved, b.geometry, tol)


def _same_label(a, b) -> bool:
    """Same text content, or INSERTs of the same block: a nearby pair is one object."""
    if a.kind in _TEXT_KINDS:
        return bool(a.text) and a.text == b.text
    return a.kind == "INSERT" and a.geometry.get("block") == b.geometry.get("block")


def _shares_endpoint(a, b, al: Alignment, tol: float) -> bool:
    pa = [transform_point(al, p) for p in a.geometry.get("points", ())]
    pb = b.geometry.get("points", ())
    return any(abs(p[0] - r[0]) <= tol and abs(p[1] - r[1]) <= tol for p in pa for r in pb)
