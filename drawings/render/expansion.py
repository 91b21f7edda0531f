"""What drawing an entity would cost, counted before it is drawn.

A block reference draws its block's entities once per MINSERT cell, each nested reference
again, so a small file can ask for trillions of entities (:mod:`.limits`).  The cost of a
reference is the number of entities it would draw (every nested reference and hatch pattern
line included), computed from the block definitions alone: once per (block, nesting depth),
so the count of a fan-out ``8 ** 14`` wide takes fourteen sums, not ``8 ** 14`` steps.

The count is an upper bound of what the flattener draws: it ignores hidden layers and cuts
no reference cycle (the flattener skips a block inside itself; here such a cycle counts until
the depth limit), so a sheet within its budget is always drawn in full.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from drawings.model import BlockDef, Entity
from drawings.render.limits import RenderLimits

#: Kinds drawn from a block of their own (``geometry["block"]``) once, without a placement.
BLOCK_KINDS = frozenset(
    ("DIMENSION", "ACAD_TABLE", "MULTILEADER", "MLEADER", "ACAD_PROXY_ENTITY")
)
#: Counts saturate here: Python integers never overflow, but nobody needs 10**40.
CAP = 1 << 62


def cells_of(g: Mapping[str, Any]) -> int:
    """MINSERT cells (rows x columns) of an INSERT's geometry; 1 for a plain INSERT."""
    return max(1, int(g.get("columns") or 1)) * max(1, int(g.get("rows") or 1))


class Expansion:
    """Costs of the entities of one drawing under ``limits`` (see module docstring).

    ``pattern_count(entity)`` gives a hatch's pattern lines (0 for a solid fill or a pattern
    too fine to draw); it is the flattener's, so both agree on what a hatch costs.
    """

    def __init__(
        self,
        blocks: Mapping[str, BlockDef],
        limits: RenderLimits,
        pattern_count,
    ) -> None:
        self.blocks = blocks
        self.limits = limits
        self.pattern_count = pattern_count
        self._memo: dict[tuple[str, int], int] = {}

    def cost(self, e: Entity, depth: int) -> int:
        """Entities drawn for ``e`` in a context ``depth`` references deep (0: the sheet)."""
        kind = e.kind
        try:
            if kind == "INSERT":
                g = e.geometry
                name = g.get("block")
                if name not in self.blocks or depth >= self.limits.depth:
                    return 1
                cells = cells_of(g)
                if cells > self.limits.cells:
                    return 1  # drawn as its outline
                return min(CAP, cells * max(1, self.block(name, depth + 1)))
            if kind in BLOCK_KINDS:
                name = e.geometry.get("block")
                if name not in self.blocks or depth >= self.limits.depth:
                    return 1
                return min(CAP, 1 + self.block(name, depth + 1))
            if kind == "HATCH":
                return 1 + self.pattern_count(e)
        except (KeyError, IndexError, TypeError, ValueError, ArithmeticError):
            return 1  # the flattener skips a malformed entity
        return 1

    def block(self, name: str, depth: int) -> int:
        """Entities drawn for block ``name``'s content at ``depth``."""
        key = (name, depth)
        total = self._memo.get(key)
        if total is None:
            total = 0
            for e in self.blocks[name].entities:
                total = min(CAP, total + self.cost(e, depth))
            self._memo[key] = total
        return total


def magnitude(n: int) -> str:
    """``n`` for a message: exact up to a billion, then as ``4.4e+12``."""
    return f"{n:,}" if n < 1_000_000_000 else f"{float(n):.2g}" if n < CAP else "over 4.6e+18"


def finite_box(box: Any) -> tuple[float, float, float, float] | None:
    """``box`` if it is a non-empty box of finite numbers, else None."""
    try:
        x0, y0, x1, y1 = (float(v) for v in box)
    except (TypeError, ValueError):
        return None
    if not all(math.isfinite(v) for v in (x0, y0, x1, y1)) or x1 < x0 or y1 < y0:
        return None
    return (x0, y0, x1, y1)
