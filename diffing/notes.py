"""Drawing-level notes and whole-sheet moves.

Notes say what differs about the drawings as a whole without being an entity change: units,
measurement system, extents, PDF page size and rotation.  A whole-drawing move is a change for
CAD model space (coordinates are data: a re-georeferenced site plan moved 7 m is a new plan)
but only an alignment for a PDF page or a paper layout, whose position on the sheet is the
plotter's business (``--strict-position`` makes it a change there too).
"""

from __future__ import annotations

import math
from typing import Any

from diffing.report import MODIFIED, Alignment
from diffing.views import SheetView

#: Extents differing by less than this share of their diagonal are not noted.
EXTENTS_SHARE = 1e-6


def sheet_move(al: Alignment, old: SheetView, new: SheetView, *, cad: bool,
               strict_position: bool, unit_factor: float | None) -> dict[str, Any] | None:
    """One ``SHEET`` change (``what: ["moved", …]``) for a sheet moved as a whole, or None."""
    if al.is_identity or not len(old) or not len(new):
        return None
    model = old.paper is None and new.paper is None
    if not (strict_position or (cad and model)):
        return None
    scaled = not math.isclose(al.scale, 1.0, rel_tol=1e-9)
    if unit_factor is not None and math.isclose(al.scale, unit_factor, rel_tol=1e-9):
        scaled = False  # the unit change is reported once, as a HEADER change
    moved = al.dx != 0 or al.dy != 0
    rotated = al.rotation != 0
    if not (moved or rotated or scaled):
        return None
    what = tuple(w for w, on in (("moved", moved), ("rotated", rotated), ("scaled", scaled))
                 if on)
    details: dict[str, Any] = {"moved_by": [al.dx, al.dy]}
    if rotated:
        details["rotation"] = al.rotation
    if scaled:
        details["scale"] = al.scale
    bb = new.extents if new.extents is not None else (0.0, 0.0, 0.0, 0.0)
    return {
        "kind": MODIFIED, "type": "SHEET", "layer": "", "bbox": bb,
        "old_handle": None, "new_handle": None, "old_index": None, "new_index": None,
        "what": what, "details": details,
    }


def _extents_differ(a: Any, b: Any) -> bool:
    if a is None or b is None:
        return a is not b
    diag = math.hypot(b[2] - b[0], b[3] - b[1]) or 1.0
    return any(abs(x - y) > EXTENTS_SHARE * diag for x, y in zip(a, b, strict=True))


def _finite(box: Any) -> tuple[float, ...] | None:
    if box is None:
        return None
    t = tuple(float(v) for v in box)
    return t if all(math.isfinite(v) for v in t) and t[0] <= t[2] else None


def drawing_notes(old: Any, new: Any) -> list[dict[str, Any]]:
    """``[{"kind": "units" | "measurement" | "extents" | "page", ...before/after}]``."""
    notes: list[dict[str, Any]] = []
    uo, un = getattr(old, "units", None), getattr(new, "units", None)
    if uo and un and uo != un:
        notes.append({"kind": "units", "before": uo, "after": un})
    mo = (getattr(old, "header", None) or {}).get("measurement")
    mn = (getattr(new, "header", None) or {}).get("measurement")
    if mo and mn and mo != mn:
        notes.append({"kind": "measurement", "before": mo, "after": mn})
    new_sheets = {s.name: s for s in getattr(new, "sheets", ())}
    for so in getattr(old, "sheets", ()):
        sn = new_sheets.get(so.name)
        if sn is None:
            continue
        eo, en = _finite(getattr(so, "extents", None)), _finite(getattr(sn, "extents", None))
        if eo and en and _extents_differ(eo, en):
            notes.append({"kind": "extents", "sheet": so.name, "before": list(eo),
                          "after": list(en)})
        po, pn = getattr(so, "paper", None) or {}, getattr(sn, "paper", None) or {}
        if po and pn:
            page = {k: [po.get(k), pn.get(k)]
                    for k in ("width", "height", "rotation", "page_rotation", "units")
                    if _page_value(po.get(k)) != _page_value(pn.get(k))}
            if page:
                notes.append({"kind": "page", "sheet": so.name,
                              "before": {k: v[0] for k, v in page.items()},
                              "after": {k: v[1] for k, v in page.items()}})
    return notes


def _page_value(v: Any) -> Any:
    return round(float(v), 2) if isinstance(v, int | float) and not isinstance(v, bool) else v
