"""Global alignment: was the whole drawing moved, scaled or rotated between the two files?

Estimated only from content that did not change otherwise.  Translation first: every shape
(position-free fingerprint) that occurs exactly once among the unmatched old and once among the
unmatched new entities votes with the vector between their anchors; the winning vector must carry
a clear share of the votes.  When that fails (a rotated or rescaled plot changes the shapes too),
transform-invariant keys (text content, block name + attributes) give point correspondences for a
small RANSAC over similarity transforms.  The caller verifies the result by matching entities
under it and rejects it when too few match.
"""

from __future__ import annotations

import math
import random
from collections import Counter, defaultdict
from collections.abc import Sequence
from typing import Any

from diffing.report import IDENTITY, Alignment

_MIN_VOTES = 3


def _unique_pairs(old: Sequence[Any], new: Sequence[Any], key) -> list[tuple[Any, Any]]:
    ko: dict[Any, list[Any]] = defaultdict(list)
    kn: dict[Any, list[Any]] = defaultdict(list)
    for e in old:
        k = key(e)
        if k is not None:
            ko[k].append(e)
    for e in new:
        k = key(e)
        if k is not None:
            kn[k].append(e)
    return [(ko[k][0], kn[k][0]) for k in ko.keys() & kn.keys()
            if len(ko[k]) == 1 and len(kn[k]) == 1]


def estimate_translation(old: Sequence[Any], new: Sequence[Any], q: float) -> Alignment | None:
    """Dominant anchor translation among unique shape pairs, or None without a clear winner."""
    pairs = _unique_pairs(old, new, lambda e: (e.kind, e.shape) if e.shape else None)
    if len(pairs) < _MIN_VOTES:
        return None
    vecs = [(n.anchor[0] - o.anchor[0], n.anchor[1] - o.anchor[1]) for o, n in pairs]
    votes: Counter[tuple[int, int]] = Counter()
    for vx, vy in vecs:
        votes[(round(vx / q), round(vy / q))] += 1
    # a cell and its neighbours: vectors on a cell boundary still count together
    best, best_n = None, 0
    for (cx, cy) in votes:
        n = sum(votes.get((cx + i, cy + j), 0) for i in (-1, 0, 1) for j in (-1, 0, 1))
        if n > best_n:
            best, best_n = (cx, cy), n
    if best is None or best_n < max(_MIN_VOTES, 0.3 * len(vecs)):
        return None
    near = [(vx, vy) for vx, vy in vecs
            if abs(vx / q - best[0]) <= 1.5 and abs(vy / q - best[1]) <= 1.5]
    near.sort()
    dx = sorted(v[0] for v in near)[len(near) // 2]
    dy = sorted(v[1] for v in near)[len(near) // 2]
    return Alignment(dx=dx, dy=dy)


def _invariant_key(e: Any) -> Any:
    if e.kind in ("TEXT", "MTEXT", "ATTRIB") and e.text:
        return (e.kind, e.layer, e.text)
    if e.kind == "INSERT":
        return (e.kind, e.layer, e.geometry.get("block"), tuple(sorted(e.attribs.items())))
    return None


def _similarity(p1, p2, q1, q2) -> Alignment | None:
    """The similarity mapping p1->q1, p2->q2 (complex-number form)."""
    a = complex(*p2) - complex(*p1)
    b = complex(*q2) - complex(*q1)
    if abs(a) < 1e-12:
        return None
    z = b / a
    t = complex(*q1) - z * complex(*p1)
    scale = abs(z)
    rot = math.degrees(math.atan2(z.imag, z.real))
    return Alignment(dx=t.real, dy=t.imag, scale=scale, rotation=rot)


def _apply(al: Alignment, p) -> complex:
    z = complex(math.cos(math.radians(al.rotation)), math.sin(math.radians(al.rotation)))
    return z * al.scale * complex(*p) + complex(al.dx, al.dy)


def estimate_similarity(
    old: Sequence[Any], new: Sequence[Any], q: float, *, seed: int = 0
) -> Alignment | None:
    """RANSAC over point pairs keyed by transform-invariant content."""
    pairs = _unique_pairs(old, new, _invariant_key)
    if len(pairs) < _MIN_VOTES:
        return None
    pts = [(tuple(o.anchor), tuple(n.anchor)) for o, n in pairs]
    rng = random.Random(seed)
    best: tuple[int, Alignment | None] = (0, None)
    for _ in range(min(300, len(pts) * len(pts))):
        (p1, q1), (p2, q2) = rng.sample(pts, 2)
        al = _similarity(p1, p2, q1, q2)
        if al is None or not (1e-3 < al.scale < 1e3):
            continue
        tol = q * max(1.0, al.scale)
        n = sum(1 for p, qq in pts if abs(_apply(al, p) - complex(*qq)) <= tol)
        if n > best[0]:
            best = (n, al)
    n, al = best
    if al is None or n < max(_MIN_VOTES, 0.5 * len(pts)):
        return None
    # least squares refit on the inliers
    tol = q * max(1.0, al.scale)
    inl = [(complex(*p), complex(*qq)) for p, qq in pts if abs(_apply(al, p) - complex(*qq)) <= tol]
    pm = sum(p for p, _ in inl) / len(inl)
    qm = sum(qq for _, qq in inl) / len(inl)
    num = sum((qq - qm) * (p - pm).conjugate() for p, qq in inl)
    den = sum(abs(p - pm) ** 2 for p, _ in inl)
    if den <= 0:
        return al
    z = num / den
    t = qm - z * pm
    return Alignment(
        dx=t.real, dy=t.imag, scale=abs(z), rotation=math.degrees(math.atan2(z.imag, z.real))
    )


def snap(al: Alignment, tol: float) -> Alignment:
    """Round away noise: a scale within 1e-9 of 1 is 1, a rotation within 1e-7 deg is 0."""
    scale = 1.0 if abs(al.scale - 1.0) < 1e-9 else al.scale
    rot = al.rotation % 360.0
    if min(rot, 360.0 - rot) < 1e-7:
        rot = 0.0
    dx = 0.0 if abs(al.dx) <= tol else al.dx
    dy = 0.0 if abs(al.dy) <= tol else al.dy
    return Alignment(dx=dx, dy=dy, scale=scale, rotation=rot)


def estimate(old: Sequence[Any], new: Sequence[Any], q: float) -> Alignment:
    """Best guess at the global transform (IDENTITY when there is no evidence)."""
    al = estimate_translation(old, new, q)
    if al is None:
        al = estimate_similarity(old, new, q)
    return IDENTITY if al is None else snap(al, q * 1e-3)
