"""Say what changed between a matched old and new entity (``what`` + ``details``).

The old entity is first mapped through the global alignment, so a drawing shifted as a whole
gives no ``moved``.  A pure translation of the rest is ``moved`` with ``moved_by``; other
geometry differences are named by the key that differs (radius, rotation, scale, vertices...).
Differences within the tolerance are no change at all.
"""

from __future__ import annotations

from collections import Counter
from types import SimpleNamespace
from typing import Any

from diffing.appearance import same_look
from diffing.crossformat import lenient_keys
from diffing.geometry import differing_keys, transform_geometry, transform_point, translate_geometry
from diffing.report import Alignment

#: Labels for ``what``, in the order they are reported.
WHAT_ORDER = (
    "moved", "rotated", "scaled", "radius", "vertices", "geometry", "text", "attributes",
    "block", "layer", "style", "xdata",
)
_POLY_KINDS = frozenset({"LWPOLYLINE", "POLYLINE", "SPLINE", "HATCH", "LEADER", "PATH", "SOLID",
                         "TRACE", "3DFACE", "MLINE"})
_ANCHOR_KEYS = frozenset({"insert", "center", "location"})
STYLE_KEYS = ("color", "linetype", "lineweight")
_TEXT_KINDS = frozenset({"TEXT", "MTEXT", "ATTRIB", "ATTDEF"})
_PATH_STYLE_KEYS = frozenset({"stroke", "fill", "width"})


#: A PDF text span moved by less than this share of its font size is the same span (plot
#: drivers re-place glyph runs by up to ~0.6 pt at 10 pt between two plots of one drawing).
GLYPH_JITTER = 0.08


def _label(kind: str, key: str) -> str:
    if key == "radius":
        return "radius"
    if key == "rotation":
        return "rotated"
    if key in ("height", "scale"):
        return "scaled"
    if kind == "ACAD_TABLE" and key == "cells":
        return "text"
    if key in ("points", "control_points", "fit_points", "paths", "items", "vertices",
               "defpoints") and kind in _POLY_KINDS:
        return "vertices"
    return "geometry"


def _short(v: Any) -> Any:
    """Keep details small: long point lists are summarised by their length."""
    if isinstance(v, list | tuple) and len(v) > 8:
        return {"count": len(v)}
    return v


def _same_style_value(key: str, a: Any, b: Any) -> bool:
    """Equal appearance (:func:`diffing.appearance.same_look`): linetype names are
    case-insensitive, an ACI equals its identical true colour."""
    return same_look(key, a, b)


def _follows_layer(key: str, values: list[Any], old_layer: Any, new_layer: Any) -> bool:
    """True when both style values are just the respective layer's own value (BYLAYER);
    a text style's definition (a dict of fields) never comes from a layer."""
    if old_layer is None or new_layer is None or not isinstance(values, list | tuple):
        return False
    return _same_style_value(key, getattr(old_layer, key, None), values[0]) and _same_style_value(
        key, getattr(new_layer, key, None), values[1]
    )


#: Text style definition fields besides the fonts, as ``Drawing.text_styles`` holds them.
_STYLE_FIELDS = ("width", "oblique", "height")

TextStyles = tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]]]


def text_style_tables(old: Any, new: Any) -> TextStyles:
    """Both drawings' text styles by upper-case name (DXF names are case-insensitive)."""
    return tuple(  # type: ignore[return-value]
        {str(k).upper(): v for k, v in (getattr(d, "text_styles", None) or {}).items()}
        for d in (old, new)
    )


def _text_style_diff(sa: Any, sb: Any, tables: TextStyles) -> dict[str, Any]:
    """What differs between the definitions of the text styles two texts use: ``font`` and
    ``bigfont`` (before/after file names), ``text_style_definition`` (width, oblique, height).
    Fingerprints count a style by its definition, so without this a changed font would change
    the fingerprint with nothing to say why."""
    if type(sa) is not str or type(sb) is not str:
        return {}
    da, db = tables[0].get(sa.upper()), tables[1].get(sb.upper())
    if da is None or db is None:
        return {}
    from drawings import font_name, style_signatures

    sig = style_signatures(SimpleNamespace(text_styles={"a": da, "b": db}))  # type: ignore
    if sig["A"] == sig["B"]:
        return {}
    out: dict[str, Any] = {}
    for key in ("font", "bigfont"):
        fa, fb = da.get(key) or "", db.get(key) or ""
        if font_name(fa) != font_name(fb):
            out[key] = [fa, fb]
    rest = {k: [da.get(k), db.get(k)] for k in _STYLE_FIELDS if da.get(k) != db.get(k)}
    if rest or not out:
        out["text_style_definition"] = rest or {"signature": [sig["A"], sig["B"]]}
    return out


def describe(
    old: Any,
    new: Any,
    al: Alignment,
    tol: float,
    *,
    ignore_style: bool = False,
    include_xdata: bool = False,
    changed_blocks: frozenset[str] = frozenset(),
    layers: tuple[dict[str, Any], dict[str, Any]] | None = None,
    text_styles: TextStyles | None = None,
    cross: Counter[str] | None = None,
    hatch_tol: float = 0.0,
) -> tuple[tuple[str, ...], dict[str, Any]] | None:
    """``(what, details)`` for a matched pair, or ``None`` when they are equal within ``tol``.

    ``changed_blocks`` names block definitions whose content differs between the two files; an
    INSERT that differs only by that is labelled ``block`` (the engine folds those into one
    change per definition).  ``layers`` (old, new layer tables) lets a move to another layer
    not also count as a style change when the entity simply follows its layer's style.
    ``text_styles`` (:func:`text_style_tables`) reports a text whose style kept its name but
    changed its definition (e.g. its font) as a style change.  ``cross`` (DXF against DWG):
    fields one format does not carry are not compared, only counted there
    (:mod:`diffing.crossformat`).  ``hatch_tol``: the tolerance for hatch boundaries (the
    engine makes it relative to the sheet's extent: CAD programs re-compute boundaries with
    jitter); a PDF text span's position is compared within :data:`GLYPH_JITTER` of its size.
    """
    what: set[str] = set()
    details: dict[str, Any] = {}
    kind = new.kind
    if kind == "HATCH":
        tol = max(tol, hatch_tol)
    elif kind == "TEXT" and "font" in new.geometry:  # a PDF span: drivers place glyphs loosely
        h = new.geometry.get("height")
        if isinstance(h, int | float):
            tol = max(tol, GLYPH_JITTER * float(h))

    a = transform_geometry(old.geometry, al)
    b = new.geometry
    ax, ay = transform_point(al, old.anchor)
    vx, vy = new.anchor[0] - ax, new.anchor[1] - ay
    moved = abs(vx) > tol or abs(vy) > tol
    keys = differing_keys(a, b, tol)
    if cross is not None and keys:
        keys = lenient_keys(kind, keys, a, b, cross)
    if kind == "PATH":
        # a PDF path's stroke/fill colour and width are its style (also in Entity.style)
        keys = [k for k in keys if k not in _PATH_STYLE_KEYS]
    text_style = None
    if "style" in keys and kind in _TEXT_KINDS:
        # a text style is referenced by name; renamed auto-generated styles ("textstyle3")
        # are a style matter, dropped by --ignore-style like colours
        keys.remove("style")
        text_style = [a.get("style"), b.get("style")]
    if keys:
        if moved:
            rest = [k for k in differing_keys(translate_geometry(a, vx, vy), b, tol) if k in keys]
            if len(rest) < len(keys):  # the translation explains part of the difference
                what.add("moved")
                details["moved_by"] = [vx, vy]
                keys = rest
        for k in keys:
            if kind in ("DIMENSION", "ACAD_TABLE") and k == "block":
                continue  # anonymous geometry block: renamed on every save
            if kind == "INSERT" and k in _ANCHOR_KEYS and "moved" not in what:
                what.add("moved")
                details["moved_by"] = [vx, vy]
                continue
            label = _label(kind, k)
            what.add(label)
            if label == "radius":
                details["radius"] = [a[k], b[k]] if k in a and k in b else None
            elif label == "rotated":
                details["rotation"] = [a.get(k), b.get(k)]
            elif label == "scaled":
                details.setdefault("scale", {})[k] = [a.get(k), b.get(k)]
            elif label == "vertices":
                va, vb = a.get(k) or [], b.get(k) or []
                details.setdefault("vertices", {})[k] = {"old": len(va), "new": len(vb)}
            else:
                details.setdefault("geometry", {})[k] = [_short(a.get(k)), _short(b.get(k))]
    if (old.text or "") != (new.text or ""):
        what.add("text")
        details["text"] = {"before": old.text, "after": new.text}
    if old.attribs != new.attribs:
        what.add("attributes")
        tags = sorted(old.attribs.keys() | new.attribs.keys())
        details["attributes"] = {
            t: [old.attribs.get(t), new.attribs.get(t)]
            for t in tags
            if old.attribs.get(t) != new.attribs.get(t)
        }
    if old.layer != new.layer:
        what.add("layer")
        details["layer"] = [old.layer, new.layer]
    style_diff = {
        k: [old.style.get(k), new.style.get(k)]
        for k in sorted(old.style.keys() | new.style.keys())
        if not _same_style_value(k, old.style.get(k), new.style.get(k))
    }
    if text_style is not None:
        style_diff["text_style"] = text_style
    if text_styles is not None and kind in _TEXT_KINDS:
        style_diff.update(_text_style_diff(old.geometry.get("style"), b.get("style"),
                                           text_styles))
    if style_diff and layers is not None:
        # values that simply follow each file's layer: a layer that changed (its colour...)
        # is one LAYER change (diffing.tables), not one change per entity on it
        lo, ln = layers[0].get(old.layer), layers[1].get(new.layer)
        style_diff = {k: v for k, v in style_diff.items() if not _follows_layer(k, v, lo, ln)}
    if style_diff and not ignore_style:
        what.add("style")
        details["style"] = style_diff
    if include_xdata and (old.xdata or None) != (new.xdata or None):
        what.add("xdata")
        details["xdata"] = {"before": old.xdata, "after": new.xdata}
    if not what and kind == "INSERT" and old.fingerprint != new.fingerprint:
        block = new.geometry.get("block")
        if block in changed_blocks:
            what.add("block")
            details["block"] = block
    if not what and kind == "ACAD_TABLE" and old.fingerprint != new.fingerprint:
        what.add("block")  # the same cells drawn differently: its anonymous block changed
        details["block"] = new.geometry.get("block")
    if not what:
        return None
    return tuple(w for w in WHAT_ORDER if w in what), details
