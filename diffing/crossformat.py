"""DXF against DWG of the same drawing: what one format (or its reader) does not carry.

The DXF side read by our tag reader (ezdxf's reading as the reference) and the DWG side read
through ezdwg differ in a few fields that are not drawing content: a viewport's DXF status (a
runtime stacking number the DWG does not store), hatch pattern names and a leader's dimension
style (ezdwg does not decode them), and the digests of entities kept opaque (made from each
format's own encoding).  Those fields are not compared across the two formats, and entity kinds
one side has none of (e.g. MESH, ACAD_TABLE, MULTILEADER, WIPEOUT not decoded from DWG) are not
listed entity by entity: the report says both once per drawing, in ``warnings``.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

#: (kind or "*", key): compared across DXF/DWG only when both sides have a value.
WHEN_BOTH = frozenset({("HATCH", "pattern"), ("LEADER", "dimstyle")})
#: (kind or "*", key): never compared across DXF/DWG.
NEVER = frozenset({("VIEWPORT", "status"), ("*", "raw")})


def cross_format(fmts: tuple[str, ...]) -> bool:
    return set(fmts) == {"dxf", "dwg"}


def lenient_keys(kind: str, keys: list[str], a: dict[str, Any], b: dict[str, Any],
                 skipped: Counter[str]) -> list[str]:
    """``keys`` without those one of the two formats cannot carry (counted in ``skipped``)."""
    out = []
    for k in keys:
        never = (kind, k) in NEVER or ("*", k) in NEVER
        if never or ((kind, k) in WHEN_BOTH and (not a.get(k) or not b.get(k))):
            skipped[f"{kind} {k}"] += 1
        else:
            out.append(k)
    return out


def one_sided_kinds(old_kinds: Counter[str], new_kinds: Counter[str]) -> dict[str, tuple[int, int]]:
    """Kinds one side has none of: {kind: (old count, new count)}."""
    return {k: (old_kinds[k], new_kinds[k]) for k in sorted(old_kinds.keys() | new_kinds.keys())
            if not old_kinds[k] or not new_kinds[k]}


def warnings(fmts: tuple[str, ...], one_sided: dict[str, tuple[int, int]],
             skipped: Counter[str]) -> list[str]:
    """One line each for the kinds only one side has and the fields not compared."""
    old_f, new_f = fmts if len(fmts) == 2 else (fmts[0], fmts[0])
    out = []
    if one_sided:
        parts = ", ".join(f"{k} ×{a or b} ({old_f if a else new_f})"
                          for k, (a, b) in one_sided.items())
        out.append(f"格式差异 only one file has these kinds (its format or reader carries "
                   f"them, the other's does not): {parts}; not listed as changes")
    if skipped:
        parts = ", ".join(f"{k} ×{n}" for k, n in sorted(skipped.items()))
        out.append(f"格式差异 fields one of DXF/DWG does not carry, not compared: {parts}")
    return out
