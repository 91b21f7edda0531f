"""Dash patterns: from the file's linetype table when present, ezdxf's standard set otherwise.

A pattern is returned as PDF-style alternating on/off lengths in drawing units (dots are
zero-length dashes, drawn as dots by round caps), or ``None`` for a continuous line.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any

Dash = tuple[float, ...]

_CONTINUOUS = {"", "CONTINUOUS", "BYLAYER", "BYBLOCK", "SOLID"}


@lru_cache(maxsize=1)
def _standard() -> dict[str, list[float]]:
    from ezdxf.tools import standards

    return {name.upper(): list(pattern) for name, _desc, pattern in standards.linetypes()}


def _elements(value: Any) -> list[float] | None:
    """Dash elements (+dash, -gap, 0 dot) from the shapes a reader may store."""
    if isinstance(value, Mapping):
        for key in ("elements", "pattern", "dashes", "lengths"):
            if key in value:
                return _elements(value[key])
        return None
    if isinstance(value, list | tuple) and all(isinstance(v, int | float) for v in value):
        vals = [float(v) for v in value]
        # ezdxf style: [total_length, e1, e2, ...] where total == sum(|e|)
        if len(vals) >= 2 and abs(vals[0] - sum(abs(v) for v in vals[1:])) < 1e-6 * max(
            1.0, abs(vals[0])
        ):
            vals = vals[1:]
        return vals
    return None


def to_dash(elements: list[float], scale: float = 1.0) -> Dash | None:
    """Normalise dash elements into alternating on/off lengths starting with 'on'."""
    if not elements or all(e == 0 for e in elements) and len(elements) < 2:
        return None
    runs: list[list[float]] = []  # [is_on, length]
    for e in elements:
        on = e >= 0
        length = abs(e) * scale
        if runs and runs[-1][0] == on:
            runs[-1][1] += length
        else:
            runs.append([on, length])
    if len(runs) < 2:
        return None if runs and runs[0][0] else None
    if not runs[0][0]:  # start with a dash
        runs = runs[1:] + runs[:1]
        if runs[-1][0] == runs[0][0]:
            runs[0][1] += runs.pop()[1]
    if len(runs) % 2:  # ends with a dash: merge into the first
        last = runs.pop()
        runs[0][1] += last[1]
    out = tuple(r[1] for r in runs)
    if sum(out) <= 0:
        return None
    return out


def dash_for(name: str | None, table: Mapping[str, Any], *, metric: bool = True) -> Dash | None:
    """Pattern of linetype ``name``: the drawing's own table first, then ezdxf's standards."""
    if not name:
        return None
    key = name.upper()
    if key in _CONTINUOUS:
        return None
    for tname, value in table.items():
        if tname.upper() == key:
            elems = _elements(value)
            if elems is not None:
                return to_dash(elems)
            break
    std = _standard().get(key)
    if std is None:
        return None
    # ezdxf's standard patterns are in inches (acad.lin); metric drawings use acadiso.lin.
    return to_dash(std[1:], 25.4 if metric else 1.0)
