"""Hand-made neutral-model entities for engine unit tests (no reader involved)."""

from __future__ import annotations

from drawings.model import Drawing, Entity, Sheet, digest


def _shift(kind: str, g: dict, ax: float, ay: float) -> dict:
    out = dict(g)
    for k in ("points",):
        if k in g:
            out[k] = [(p[0] - ax, p[1] - ay, *p[2:]) for p in g[k]]
    for k in ("center", "insert", "location"):
        if k in g:
            out[k] = (g[k][0] - ax, g[k][1] - ay)
    return out


def ent(kind, layer, handle, text=None, style=None, attribs=None, **geometry) -> Entity:
    g = {k: (tuple(v) if isinstance(v, list) and k != "points" else v) for k, v in geometry.items()}
    style = style or {"color": 7, "linetype": "Continuous", "lineweight": -3}
    if "points" in g:
        xs = [p[0] for p in g["points"]]
        ys = [p[1] for p in g["points"]]
        bbox = (min(xs), min(ys), max(xs), max(ys))
        anchor = (g["points"][0][0], g["points"][0][1])
    else:
        c = g.get("center") or g.get("insert") or g.get("location")
        r = g.get("radius", 0.0) or g.get("height", 0.0)
        bbox = (c[0] - r, c[1] - r, c[0] + r, c[1] + r)
        anchor = (c[0], c[1])
    e = Entity(kind=kind, layer=layer, handle=handle, geometry=g, text=text, style=style,
               attribs=attribs or {}, bbox=bbox, anchor=anchor)
    base = [kind, layer, text, style, attribs or {}]
    e.fingerprint = digest([*base, g])
    e.shape = digest([*base, _shift(kind, g, *anchor)])
    return e


def drawing(entities, *, path="mem.dxf", fmt="dxf") -> Drawing:
    return Drawing(path=path, format=fmt, version="AC1027", units="mm",
                   sheets=[Sheet(name="Model", entities=list(entities))])
