"""Group changes by proximity into regions: one revision cloud per group.

Boxes closer than ``gap`` are joined (union-find over STRtree hits, never all pairs).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import shapely

from diffing.geometry import finite_bbox

BBox = tuple[float, float, float, float]


def cluster_boxes(boxes: Sequence[BBox], gap: float) -> list[list[int]]:
    """Indices of ``boxes`` grouped so that boxes within ``gap`` share a group.

    Groups are ordered by their first member; members keep input order.
    """
    n = len(boxes)
    if n == 0:
        return []
    parent = list(range(n))

    def find(a: int) -> int:
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    valid = [k for k, b in enumerate(boxes) if finite_bbox(b)]
    if valid:
        h = gap / 2
        arr = np.asarray([boxes[k] for k in valid], dtype=float)
        geoms = shapely.box(arr[:, 0] - h, arr[:, 1] - h, arr[:, 2] + h, arr[:, 3] + h)
        tree = shapely.STRtree(geoms)
        qa, qb = tree.query(geoms)
        for a, b in zip(qa.tolist(), qb.tolist(), strict=True):
            ra, rb = find(valid[a]), find(valid[b])
            if ra != rb:
                parent[max(ra, rb)] = min(ra, rb)
    groups: dict[int, list[int]] = {}
    for k in range(n):
        groups.setdefault(find(k), []).append(k)
    return sorted(groups.values(), key=lambda g: g[0])


def group_bbox(boxes: Sequence[BBox], members: Sequence[int]) -> BBox:
    fin = [boxes[k] for k in members if finite_bbox(boxes[k])]
    if not fin:
        return (0.0, 0.0, 0.0, 0.0)
    return (
        min(b[0] for b in fin),
        min(b[1] for b in fin),
        max(b[2] for b in fin),
        max(b[3] for b in fin),
    )
