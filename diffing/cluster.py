"""Group changes by proximity into regions: one revision cloud per group.

Boxes closer than ``gap`` are joined (union-find over STRtree hits, never all pairs).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import shapely

from diffing.geometry import finite_bbox

BBox = tuple[float, float, float, float]

#: Above this many changes, clouds are cut along a grid straight away.
GRID_ABOVE = 3000


def cluster_regions(boxes: Sequence[BBox], gap: float, max_size: float) -> list[list[int]]:
    """Like :func:`cluster_boxes`, but no region grows beyond ``max_size`` (its diagonal):
    changes scattered over the whole sheet chain into one useless cloud otherwise.  Such a
    group is re-clustered with half the gap, and finally cut along a grid of ``max_size``/2.
    """
    out: list[list[int]] = []
    if len(boxes) > GRID_ABOVE:
        # a wholesale rework: proximity chains everything, so regions are grid cells
        return sorted((sorted(g) for g in _grid_split(boxes, list(range(len(boxes))),
                                                      max_size / 2)), key=lambda g: g[0])
    todo = [(list(range(len(boxes))), gap)]
    while todo:
        members, g = todo.pop()
        sub = [boxes[k] for k in members]
        for grp in cluster_boxes(sub, g):
            ids = [members[k] for k in grp]
            if len(ids) == 1 or _diag(group_bbox(boxes, ids)) <= max_size:
                out.append(ids)
            elif g > max_size / 64:
                todo.append((ids, g / 2))
            else:
                out.extend(_grid_split(boxes, ids, max_size / 2))
    return sorted((sorted(g) for g in out), key=lambda g: g[0])


def _diag(bb: BBox) -> float:
    return float(np.hypot(bb[2] - bb[0], bb[3] - bb[1]))


def _grid_split(boxes: Sequence[BBox], ids: list[int], cell: float) -> list[list[int]]:
    cells: dict[tuple[int, int], list[int]] = {}
    for k in ids:
        b = boxes[k]
        cx, cy = ((b[0] + b[2]) / 2, (b[1] + b[3]) / 2) if finite_bbox(b) else (0.0, 0.0)
        cells.setdefault((int(np.floor(cx / cell)), int(np.floor(cy / cell))), []).append(k)
    return list(cells.values())


def cluster_boxes(boxes: Sequence[BBox], gap: float) -> list[list[int]]:
    """Indices of ``boxes`` grouped so that boxes within ``gap`` share a group.

    Groups are ordered by their first member; members keep input order.
    """
    n = len(boxes)
    if n == 0:
        return []
    label = np.arange(n)
    valid = np.array([k for k, b in enumerate(boxes) if finite_bbox(b)], dtype=np.int64)
    if len(valid):
        h = gap / 2
        arr = np.asarray([boxes[k] for k in valid], dtype=float)
        geoms = shapely.box(arr[:, 0] - h, arr[:, 1] - h, arr[:, 2] + h, arr[:, 3] + h)
        qa, qb = shapely.STRtree(geoms).query(geoms)
        a, b = valid[qa], valid[qb]
        # connected components by min-label propagation with pointer jumping (vectorised)
        while True:
            before = label.copy()
            np.minimum.at(label, a, label[b])
            np.minimum.at(label, b, label[a])
            label = label[label]
            if np.array_equal(label, before):
                break
    groups: dict[int, list[int]] = {}
    for k, g in enumerate(label.tolist()):
        groups.setdefault(g, []).append(k)
    return sorted(groups.values(), key=lambda g: g[0])


def group_bbox(boxes: Sequence[BBox], members: Sequence[int]) -> BBox:
    arr = np.asarray([boxes[k] for k in members], dtype=float).reshape(-1, 4)
    arr = arr[np.isfinite(arr).all(axis=1) & (arr[:, 0] <= arr[:, 2])]
    if not len(arr):
        return (0.0, 0.0, 0.0, 0.0)
    return (float(arr[:, 0].min()), float(arr[:, 1].min()), float(arr[:, 2].max()),
            float(arr[:, 3].max()))
