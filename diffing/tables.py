"""Drawing-level changes: layer states, text and dimension style definitions, units.

A layer frozen in one revision and thawed in the next makes a whole station appear on the plot
while no entity changed; a layer's colour change recolours every entity on it.  Each such change
is ONE change (``type`` ``LAYER``, ``STYLE``, ``DIMSTYLE`` or ``HEADER``) with the values before
and after and the number of entities it affects, never one change per entity.  Entries added to
or removed from a table are left to the entity changes they come with (re-saves add and drop
unused layers and styles freely).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from diffing.appearance import Respellings, colour_key
from diffing.report import MODIFIED, TABLE_TYPES

__all__ = ["TABLE_TYPES", "affected", "table_changes", "unit_factor"]
#: Layer fields compared, in report order.
LAYER_FIELDS = ("on", "frozen", "plot", "color", "linetype", "lineweight", "transparency")
#: Text style fields compared (fonts by :func:`drawings.font_name`).
STYLE_FIELDS = ("font", "bigfont", "width", "oblique", "height")
_TEXT_KINDS = frozenset({"TEXT", "MTEXT", "ATTRIB", "ATTDEF"})
_REL = 1e-9

#: Unit names -> metres, for the unit factor of an $INSUNITS change.
UNIT_METRES = {
    "in": 0.0254, "ft": 0.3048, "mi": 1609.344, "mm": 0.001, "cm": 0.01, "m": 1.0,
    "km": 1000.0, "uin": 2.54e-8, "mil": 2.54e-5, "yd": 0.9144, "A": 1e-10, "nm": 1e-9,
    "um": 1e-6, "dm": 0.1, "dam": 10.0, "hm": 100.0, "Gm": 1e9,
}  # fmt: skip


def unit_factor(old_units: str, new_units: str) -> float | None:
    """How many NEW units one OLD unit is (mm -> m: 0.001), None when either is unknown."""
    a, b = UNIT_METRES.get(old_units), UNIT_METRES.get(new_units)
    if a is None or b is None or old_units == new_units:
        return None
    return a / b


def _num_equal(a: Any, b: Any) -> bool:
    if isinstance(a, int | float) and isinstance(b, int | float) and not isinstance(a, bool):
        return abs(float(a) - float(b)) <= _REL * max(1.0, abs(float(a)), abs(float(b)))
    return a == b


def _by_upper(table: dict[str, Any]) -> dict[str, tuple[str, Any]]:
    return {str(k).upper(): (str(k), v) for k, v in (table or {}).items()}


def _layer_diff(a: Any, b: Any, respelt: Respellings) -> dict[str, list[Any]]:
    out: dict[str, list[Any]] = {}
    hidden = bool(getattr(a, "frozen", False) and getattr(b, "frozen", False))
    for f in LAYER_FIELDS:
        va, vb = getattr(a, f, None), getattr(b, f, None)
        if f == "on" and hidden and va != vb:
            respelt.note("layer_on_frozen")  # frozen in both: hidden either way
            continue
        if f == "color":
            if va != vb and colour_key(va) == colour_key(vb):
                respelt.note("layer_color")
                continue
        elif f == "linetype" and isinstance(va, str) and isinstance(vb, str):
            if va != vb and va.casefold() == vb.casefold():
                respelt.note("layer_linetype")
                continue
        elif f == "transparency" and (va is None or vb is None):
            va, vb = va or 0.0, vb or 0.0  # unset is opaque
        if not _num_equal(va, vb):
            out[f] = [va, vb]
    return out


def _style_diff(a: dict[str, Any], b: dict[str, Any]) -> dict[str, list[Any]]:
    from drawings import font_name

    out: dict[str, list[Any]] = {}
    for f in STYLE_FIELDS:
        va, vb = a.get(f), b.get(f)
        if f in ("font", "bigfont"):
            if font_name(va or "") != font_name(vb or ""):
                out[f] = [va or "", vb or ""]
        elif not _num_equal(va if va is not None else _STYLE_DEFAULT[f],
                            vb if vb is not None else _STYLE_DEFAULT[f]):
            out[f] = [va, vb]
    return out


_STYLE_DEFAULT = {"width": 1.0, "oblique": 0.0, "height": 0.0}


def _signature(st: dict[str, Any]) -> tuple[Any, ...]:
    from drawings import font_name

    return (font_name(st.get("font") or ""), font_name(st.get("bigfont") or ""),
            *(round(float(st.get(f) if st.get(f) is not None else _STYLE_DEFAULT[f]), 6)
              for f in ("width", "oblique", "height")))


def _dims_diff(a: dict[str, Any], b: dict[str, Any]) -> dict[str, list[Any]]:
    return {k: [a.get(k), b.get(k)] for k in sorted(a.keys() | b.keys())
            if not _num_equal(a.get(k), b.get(k))}


#: Layer fields that are a matter of style (``--ignore-style`` drops them); the others say
#: whether the layer's entities are shown and plotted at all.
LAYER_STYLE_FIELDS = frozenset({"color", "linetype", "lineweight", "transparency"})


def table_changes(old: Any, new: Any, respelt: Respellings, *,
                  ignore_style: bool = False) -> list[dict[str, Any]]:
    """Changed layers, text styles, dimension styles and units of two drawings, as change
    fields (``kind``, ``type``, ``layer`` = the entry's name, ``what``, ``details`` with
    ``before``/``after``); the caller counts the entities each affects (:func:`affected`).
    ``ignore_style`` leaves out layer colours/linetypes/lineweights/transparency and the
    style tables, as it does for entities."""
    out: list[dict[str, Any]] = []
    lo, ln = _by_upper(getattr(old, "layers", {})), _by_upper(getattr(new, "layers", {}))
    for key in sorted(lo.keys() & ln.keys()):
        (_, a), (name, b) = lo[key], ln[key]
        d = _layer_diff(a, b, respelt)
        if ignore_style:
            d = {k: v for k, v in d.items() if k not in LAYER_STYLE_FIELDS}
        if d:
            out.append(_change("LAYER", name, d))
    if ignore_style:
        return out + _header_changes(old, new)
    return out + _style_changes(old, new, respelt) + _header_changes(old, new)


def _style_changes(old: Any, new: Any, respelt: Respellings) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    so, sn = (_by_upper(getattr(x, "text_styles", {})) for x in (old, new))
    sigs = [{_signature(v) for _, v in t.values()} for t in (so, sn)]
    for key in sorted(so.keys() & sn.keys()):
        (_, a), (name, b) = so[key], sn[key]
        d = _style_diff(a, b)
        if d and _signature(a) in sigs[1] and _signature(b) in sigs[0]:
            respelt.note("style_renamed")  # both definitions kept, names swapped (QCAD)
        elif d:
            out.append(_change("STYLE", name, d))
    do, dn = (_by_upper(getattr(x, "dim_styles", {})) for x in (old, new))
    for key in sorted(do.keys() & dn.keys()):
        (_, a), (name, b) = do[key], dn[key]
        d = _dims_diff(a, b)
        if d:
            out.append(_change("DIMSTYLE", name, d))
    return out


def _header_changes(old: Any, new: Any) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    header: dict[str, list[Any]] = {}
    uo, un = getattr(old, "units", None), getattr(new, "units", None)
    cad = {getattr(old, "format", ""), getattr(new, "format", "")} <= {"dxf", "dwg"}
    if cad and uo and un and uo != un:
        header["units"] = [uo, un]
    ho, hn = getattr(old, "header", None) or {}, getattr(new, "header", None) or {}
    for k in sorted(ho.keys() & hn.keys()):
        if k != "ltscale" and not _num_equal(ho[k], hn[k]):
            header[k] = [ho[k], hn[k]]
    if header:
        out.append(_change("HEADER", "", header))
    return out


def _change(typ: str, name: str, diff: dict[str, list[Any]]) -> dict[str, Any]:
    return {
        "kind": MODIFIED, "type": typ, "layer": name, "bbox": None,
        "old_handle": None, "new_handle": None, "old_index": None, "new_index": None,
        "what": tuple(diff),
        "details": {"name": name, "before": {k: v[0] for k, v in diff.items()},
                    "after": {k: v[1] for k, v in diff.items()}, "entities": 0},
    }


def affected(change: dict[str, Any], entities: Iterable[Any]) -> tuple[int, Any]:
    """(count, bbox) of the entities a table change concerns among ``entities``."""
    from diffing.geometry import bbox_union, finite_bbox

    typ, name = change["type"], change["layer"].upper()
    n, bb = 0, None
    for e in entities:
        if typ == "LAYER":
            hit = e.layer.upper() == name
        elif typ == "STYLE":
            st = e.geometry.get("style") if e.kind in _TEXT_KINDS else None
            hit = isinstance(st, str) and st.upper() == name
        elif typ == "DIMSTYLE":
            st = e.geometry.get("dimstyle") if e.kind in ("DIMENSION", "LEADER") else None
            hit = isinstance(st, str) and st.upper() == name
        else:
            hit = True
        if hit:
            n += 1
            if finite_bbox(e.bbox):
                bb = bbox_union(bb, e.bbox)
    return n, bb
