"""Read an IFC model (IFC-SPF bytes) with IfcOpenShell into a :class:`ModelIndex`.

Every IfcProduct becomes one :class:`Element` record; what the diff needs to say *what*
changed is kept (attributes, psets before/after, placement), and two digests say *whether*
it changed and let an element be found again when its GlobalId was regenerated.

Geometry is digested from the representation graph (the entities and numbers the file
states, shared representation maps digested once), not tessellated: exact, and an order of
magnitude cheaper than meshing every shape.  Numbers are quantised (see
:func:`drawings.model.canonical`), so a re-export's last-digit noise does not count.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from typing import Any

from drawings.model import canonical, digest
from drawings.modelindex import Element, ModelIndex
from storage.display import clip
from storage.errors import FileFormatError

#: Bump when records or digests change: stored model indexes are rebuilt for it.
MODEL_READER_VERSION = "yitaotu-ifc/1"

#: Decimal places of placements (metres): 0.1 mm.
PLACEMENT_DECIMALS = 4
#: Decimal places of geometry numbers (file units; mm or m).
GEOMETRY_DECIMALS = 5

_GUID_RE = re.compile(r"^[0-9A-Za-z_$]{22}$")

#: Attributes that are identities or links, never compared as values.
_SKIP_ATTRS = {"GlobalId", "OwnerHistory", "ObjectPlacement", "Representation"}


def open_model(data: bytes, name: str) -> Any:
    """Parse IFC-SPF bytes with IfcOpenShell; unreadable input raises FileFormatError."""
    import ifcopenshell

    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = data.decode("latin-1")  # ISO 10303-21 is 8-bit; non-ASCII outside \X2\ escapes
    try:
        return ifcopenshell.file.from_string(text)
    except Exception as e:  # the parser raises its own error types
        raise FileFormatError(name, f"unreadable IFC: {type(e).__name__}: {clip(e)}") from None


def read_model(data: bytes, name: str) -> ModelIndex:
    """The element index of IFC bytes (see :mod:`drawings.modelindex`)."""
    f = open_model(data, name)
    try:
        return index_file(f, name)
    except FileFormatError:
        raise
    except (MemoryError, KeyboardInterrupt):
        raise
    except Exception as e:  # a damaged model the parser accepted
        raise FileFormatError(name, f"cannot index IFC: {type(e).__name__}: {clip(e)}") from None


def index_file(f: Any, name: str) -> ModelIndex:
    """Index an open ``ifcopenshell.file``."""
    import ifcopenshell.util.unit

    scale = float(ifcopenshell.util.unit.calculate_unit_scale(f) or 1.0)
    geom = _GeometryDigests()
    products = f.by_type("IfcProduct")
    for p in products:
        if not isinstance(p.GlobalId, str) or not _GUID_RE.match(p.GlobalId):
            raise FileFormatError(
                name, f"#{p.id()} {p.is_a()}: invalid GlobalId / GlobalId 无效 "
                      f"({clip(repr(p.GlobalId))})")
    elements = [_element(p, scale, geom) for p in products]
    header = header_facts(f, name, scale)
    seen: dict[str, int] = {}
    for e, p in zip(elements, products, strict=True):
        if e.guid in seen:  # a broken export: keep both, the second under its entity id
            header.setdefault("warnings", []).append(
                f"duplicate GlobalId {e.guid}: #{seen[e.guid]} and #{p.id()}")
            e.guid = f"{e.guid}#{p.id()}"
        seen[e.guid] = p.id()
    elements.sort(key=lambda e: e.guid)
    return ModelIndex(name, f.schema, header, elements)


# -- header facts --------------------------------------------------------------------------------


def header_facts(f: Any, name: str, scale: float) -> dict[str, Any]:
    """Schema, authoring application, project, site coordinates, buildings and storeys."""
    facts: dict[str, Any] = {"schema": f.schema, "length_unit_m": scale}
    try:
        fn = f.header.file_name
        facts["originating_system"] = fn.originating_system or None
        facts["preprocessor"] = fn.preprocessor_version or None
        facts["timestamp"] = fn.time_stamp or None
    except Exception:  # a header IfcOpenShell cannot map; the data still reads
        facts["originating_system"] = None
    apps = [" ".join(str(x) for x in (a.ApplicationFullName, a.Version) if x)
            for a in f.by_type("IfcApplication")]
    facts["application"] = sorted(set(apps))[0] if apps else facts.get("originating_system")
    projects = f.by_type("IfcProject")
    if projects:
        p = projects[0]
        facts["project"] = {"guid": p.GlobalId, "name": p.Name,
                            "long_name": getattr(p, "LongName", None)}
    sites = []
    for s in f.by_type("IfcSite"):
        sites.append({"guid": s.GlobalId, "name": s.Name,
                      "latitude": _dms(s.RefLatitude), "longitude": _dms(s.RefLongitude),
                      "elevation_m": _num(s.RefElevation, scale)})
    facts["sites"] = sites
    facts["map_conversion"] = _map_conversion(f, scale)
    facts["buildings"] = [
        {"guid": b.GlobalId, "name": b.Name, "long_name": getattr(b, "LongName", None),
         "elevation_m": _num(getattr(b, "ElevationOfRefHeight", None), scale),
         "psets": _jsonable(_psets(b))}
        for b in f.by_type("IfcBuilding")
    ]
    storeys = []
    for st in f.by_type("IfcBuildingStorey"):
        storeys.append({"guid": st.GlobalId, "name": st.Name,
                        "elevation_m": _storey_elevation(st, scale),
                        "building": _parent_guid(st)})
    storeys.sort(key=lambda s: (s["elevation_m"] is None, s["elevation_m"] or 0.0, s["name"] or ""))
    facts["storeys"] = storeys
    counts: dict[str, int] = {}
    for p in f.by_type("IfcProduct"):
        counts[p.is_a()] = counts.get(p.is_a(), 0) + 1
    facts["classes"] = dict(sorted(counts.items()))
    return facts


def _dms(value: Any) -> float | None:
    """IfcCompoundPlaneAngleMeasure (deg, min, sec, millionths) -> decimal degrees."""
    if not value:
        return None
    parts = list(value) + [0, 0, 0, 0]
    deg, mins, secs, micro = (float(x) for x in parts[:4])
    sign = -1.0 if min(deg, mins, secs, micro) < 0 else 1.0
    total = abs(deg) + abs(mins) / 60 + (abs(secs) + abs(micro) / 1e6) / 3600
    return round(sign * total, 8)


def _num(value: Any, scale: float = 1.0) -> float | None:
    if value is None:
        return None
    try:
        x = float(value) * scale
    except (TypeError, ValueError):
        return None
    return round(x, 6) if math.isfinite(x) else None


def _map_conversion(f: Any, scale: float) -> dict[str, Any] | None:
    if f.schema == "IFC2X3":
        return None
    for mc in f.by_type("IfcMapConversion"):
        crs = mc.TargetCRS
        return {"eastings": _num(mc.Eastings, scale), "northings": _num(mc.Northings, scale),
                "height": _num(mc.OrthogonalHeight, scale),
                "x_axis": [_num(mc.XAxisAbscissa), _num(mc.XAxisOrdinate)],
                "scale": _num(mc.Scale) if mc.Scale is not None else 1.0,
                "crs": getattr(crs, "Name", None)}
    return None


def _storey_elevation(st: Any, scale: float) -> float | None:
    """The storey's level: its world placement z (what a model shows), else Elevation."""
    m = _world_matrix(st)
    if m is not None:
        return round(float(m[2][3]) * scale, 6)
    return _num(st.Elevation, scale)


def _parent(obj: Any) -> Any:
    """The whole ``obj`` is a part of (IfcRelAggregates, IfcRelNests), or None."""
    for rel in getattr(obj, "Decomposes", None) or []:
        return rel.RelatingObject
    for rel in getattr(obj, "Nests", None) or []:
        return rel.RelatingObject
    return None


def _parent_guid(obj: Any) -> str | None:
    return getattr(_parent(obj), "GlobalId", None)


# -- elements ------------------------------------------------------------------------------------


def _element(p: Any, scale: float, geom: _GeometryDigests) -> Element:
    import ifcopenshell.util.element as ue

    attrs = {k: _jsonable(v) for k, v in p.get_info(include_identifier=False,
                                                      recursive=False).items()
             if k not in _SKIP_ATTRS and k != "type" and not _is_entity(v)}
    t = ue.get_type(p)
    container = ue.get_container(p)
    placement = _placement(p, scale, geom.placements)
    el = Element(
        guid=p.GlobalId,
        cls=p.is_a(),
        name=_text(p.Name),
        attrs=attrs,
        type=_ref(t),
        container=_ref(container),
        aggregate=_ref(_parent(p)),
        placement=placement,
        geometry=geom.of(p.Representation) if getattr(p, "Representation", None) else None,
        psets=_jsonable(_psets(p, geom.type_psets, t)),
        openings=sorted(r.RelatedOpeningElement.GlobalId
                        for r in getattr(p, "HasOpenings", None) or []),
        fills=next((r.RelatingOpeningElement.GlobalId
                    for r in getattr(p, "FillsVoids", None) or []), None),
        materials=sorted({m.Name or "" for m in _materials(p)}),
        classification=_classification(p),
    )
    el.fingerprint = digest([el.cls, el.attrs, _ref_content(el.type), _ref_content(el.container),
                             _ref_content(el.aggregate),
                             el.placement, el.geometry, el.psets, len(el.openings),
                             el.fills is not None, el.materials, el.classification])
    el.key = digest([el.cls, el.name, (el.type or {}).get("name"), el.placement, el.geometry],
                    decimals=PLACEMENT_DECIMALS - 1)
    return el


def _text(v: Any) -> str | None:
    return v if v is None or isinstance(v, str) else str(_jsonable(v))


def _is_entity(v: Any) -> bool:
    import ifcopenshell

    if isinstance(v, ifcopenshell.entity_instance):
        return True
    return isinstance(v, tuple) and any(isinstance(x, ifcopenshell.entity_instance) for x in v)


def _ref(obj: Any) -> dict[str, Any] | None:
    if obj is None:
        return None
    return {"guid": _text(getattr(obj, "GlobalId", None)), "cls": obj.is_a(),
            "name": _text(getattr(obj, "Name", None))}


def _ref_content(ref: dict[str, Any] | None) -> list[Any] | None:
    return None if ref is None else [ref["cls"], ref["name"]]


def _psets(p: Any, type_cache: dict[int, dict[str, dict[str, Any]]] | None = None,
           t: Any = None) -> dict[str, dict[str, Any]]:
    """Property sets and quantities as ``ifcopenshell.util.element.get_psets`` gives them
    (the type's inherited, the occurrence's overriding property by property), without ids;
    a type's own sets are read once per model through ``type_cache``."""
    import ifcopenshell.util.element as ue

    if type_cache is None:
        return _strip(ue.get_psets(p) or {})
    out: dict[str, dict[str, Any]] = {}
    if t is not None:
        key = t.id()
        if key not in type_cache:
            type_cache[key] = _strip(ue.get_psets(t, should_inherit=False) or {})
        out = {k: dict(v) for k, v in type_cache[key].items()}
    for pname, props in _strip(ue.get_psets(p, should_inherit=False) or {}).items():
        out.setdefault(pname, {}).update(props)
    return out


def _strip(psets: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {name: {k: v for k, v in props.items() if k != "id"} for name, props in psets.items()}


def _materials(p: Any) -> Iterable[Any]:
    import ifcopenshell.util.element as ue

    try:
        return ue.get_materials(p) or []
    except Exception:  # unusual material set shapes some exporters write
        return []


def _classification(p: Any) -> list[str]:
    out = []
    for rel in getattr(p, "HasAssociations", None) or []:
        if rel.is_a("IfcRelAssociatesClassification"):
            ref = rel.RelatingClassification
            ident = getattr(ref, "Identification", None) or getattr(ref, "ItemReference", None)
            out.append(str(ident or getattr(ref, "Name", "") or ""))
    return sorted(out)


def _jsonable(v: Any) -> Any:
    """IFC values as JSON: tuples to lists, floats finite, entity references by id-free name."""
    import ifcopenshell

    if isinstance(v, dict):
        return {str(k): _jsonable(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_jsonable(x) for x in v]
    if isinstance(v, float):
        return v if math.isfinite(v) else repr(v)
    if isinstance(v, ifcopenshell.entity_instance):
        return v.is_a()
    if v is None or isinstance(v, (str, int, bool)):
        return v
    return str(v)


def _world_matrix(p: Any, memo: dict[int, Any] | None = None) -> Any:
    """4x4 world matrix (file units) of a product's placement, or None.

    Placement chains share their parents (every element of a storey sits on its placement),
    so each IfcLocalPlacement is resolved once per model through ``memo``."""
    op = getattr(p, "ObjectPlacement", None)
    if op is None:
        return None
    try:
        return _resolve(op, {} if memo is None else memo, 0)
    except Exception:  # malformed placements; the element keeps no placement
        return None


def _resolve(lp: Any, memo: dict[int, Any], depth: int) -> Any:
    import numpy as np

    key = lp.id()
    if key in memo:
        return memo[key]
    if depth > 256:
        raise ValueError("placement chain too deep (a cycle?)")
    if not lp.is_a("IfcLocalPlacement"):
        import ifcopenshell.util.placement as up

        m = up.get_local_placement(lp)  # grid / linear placements: IfcOpenShell's own helper
    else:
        rel = _axis2placement(lp.RelativePlacement)
        parent = lp.PlacementRelTo
        m = rel if parent is None else _resolve(parent, memo, depth + 1) @ rel
    m = np.asarray(m, dtype=float)
    memo[key] = m
    return m


def _axis2placement(a: Any) -> Any:
    """IfcAxis2Placement2D/3D -> 4x4 matrix, in plain arithmetic (numpy's cross per call
    dominated indexing time)."""
    import numpy as np

    m = np.eye(4)
    if a is None:
        return m
    loc = list(a.Location.Coordinates) if a.Location is not None else [0.0, 0.0, 0.0]
    loc = (loc + [0.0, 0.0, 0.0])[:3]
    if a.is_a("IfcAxis2Placement2D"):
        rd = list(a.RefDirection.DirectionRatios) if a.RefDirection is not None else [1.0, 0.0]
        x = _unit([rd[0], rd[1], 0.0])
        z = [0.0, 0.0, 1.0]
    else:
        z = _unit(list(a.Axis.DirectionRatios) if getattr(a, "Axis", None) else [0.0, 0.0, 1.0])
        rd = a.RefDirection
        x0 = list(rd.DirectionRatios) if rd is not None else [1.0, 0.0, 0.0]
        if rd is None and abs(z[0]) < 1e-12 and abs(z[1]) < 1e-12:
            x0 = [1.0, 0.0, 0.0]
        elif rd is None:
            x0 = [1.0, 0.0, 0.0] if abs(z[0]) < 0.9 else [0.0, 1.0, 0.0]
        d = sum(a_ * b_ for a_, b_ in zip(x0, z, strict=True))
        x = _unit([x0[i] - d * z[i] for i in range(3)])
    y = [z[1] * x[2] - z[2] * x[1], z[2] * x[0] - z[0] * x[2], z[0] * x[1] - z[1] * x[0]]
    for r in range(3):
        m[r][0], m[r][1], m[r][2], m[r][3] = x[r], y[r], z[r], float(loc[r])
    return m


def _unit(v: list[float]) -> list[float]:
    v = [float(x) for x in v] + [0.0] * (3 - len(v))
    n = math.sqrt(sum(x * x for x in v[:3]))
    if n == 0 or not math.isfinite(n):
        raise ValueError("zero-length direction")
    return [x / n for x in v[:3]]


def _placement(p: Any, scale: float, memo: dict[int, Any]) -> list[float] | None:
    m = _world_matrix(p, memo)
    if m is None:
        return None
    out: list[float] = []
    for r in range(4):
        for c in range(4):
            x = float(m[r][c]) * (scale if c == 3 and r < 3 else 1.0)
            out.append(round(x, PLACEMENT_DECIMALS) + 0.0)
    return out


class _GeometryDigests:
    """Digests of representation graphs, each entity digested once (maps are shared)."""

    def __init__(self) -> None:
        self._memo: dict[int, Any] = {}
        #: world matrices of IfcLocalPlacements, shared by the elements' placement chains
        self.placements: dict[int, Any] = {}
        #: property sets of type objects, inherited by their many occurrences
        self.type_psets: dict[int, dict[str, dict[str, Any]]] = {}

    def of(self, representation: Any) -> str:
        return digest(self._canon(representation), decimals=GEOMETRY_DECIMALS)

    def _canon(self, v: Any) -> Any:
        import ifcopenshell

        if isinstance(v, ifcopenshell.entity_instance):
            if v.is_a("IfcRepresentationContext"):
                return ["ctx", getattr(v, "ContextIdentifier", None), v.ContextType]
            ident = v.id()
            if ident and ident in self._memo:
                return self._memo[ident]
            out = [v.is_a(), [self._canon(x) for x in v]]
            if ident:
                out = ["#", digest(out, decimals=GEOMETRY_DECIMALS)]
                self._memo[ident] = out
            return out
        if isinstance(v, (list, tuple)):
            return [self._canon(x) for x in v]
        return canonical(v, GEOMETRY_DECIMALS) if isinstance(v, float) else v
