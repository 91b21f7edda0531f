"""IfcBuilding <-> building unit (建筑单体) link (#18).

A model's IfcBuilding is the unit whose unified building code (统一编码, JGJ/T 496-2022) one of
its property sets holds; failing that, the building named as the unit; failing that, the
model's only building.  An export can write the code into the building's property set
:data:`PSET` when it is missing, so BIM tools downstream carry it.
"""

from __future__ import annotations

from typing import Any

from storage.errors import InvalidInput

PSET = "Pset_YitaotuBuildingUnit"
PROP = "UnifiedBuildingCode"


def unit_codes(building: dict[str, Any]) -> set[str]:
    """Every text property of the building that could be a unit code (a stated link)."""
    out = set()
    for props in (building.get("psets") or {}).values():
        for k, v in props.items():
            if isinstance(v, str) and (k == PROP or "编码" in k or "code" in k.lower()):
                out.add(v.strip())
    return out


def find_building(header: dict[str, Any], code: str,
                  name: str | None = None) -> tuple[dict[str, Any], str] | None:
    """(the IfcBuilding facts, how it was found: ``code`` | ``name`` | ``only``) or None."""
    buildings = header.get("buildings") or []
    for b in buildings:
        if code in unit_codes(b):
            return b, "code"
    if name:
        named = [b for b in buildings if name in (b.get("name"), b.get("long_name"))]
        if len(named) == 1:
            return named[0], "name"
    if len(buildings) == 1:
        return buildings[0], "only"
    return None


def check_link(header: dict[str, Any], code: str, name: str | None) -> list[str]:
    """Warnings for a model ingested as unit ``code``: a building stating another code, or
    no building to link."""
    found = find_building(header, code, name)
    if found is None:
        return [f"模型中没有可对应单体 {code} 的 IfcBuilding / no IfcBuilding links to unit {code}"]
    b, _how = found
    others = unit_codes(b) - {code}
    stated = {c for c in others if len(c) >= 12}
    if stated and code not in unit_codes(b):
        return [f"IfcBuilding {b.get('name') or b['guid']} 标注的单体编码 states unit code "
                f"{', '.join(sorted(stated))}, not {code}"]
    return []


def stamp_unit_code(data: bytes, label: str, code: str, name: str | None = None) -> bytes:
    """The model with ``code`` in its building's :data:`PSET` (unchanged bytes if it is there
    already); the building is found as in :func:`find_building`."""
    import ifcopenshell.api.pset

    from drawings.ifcread import header_facts, open_model

    f = open_model(data, label)
    found = find_building(header_facts(f, label, 1.0), code, name)
    if found is None:
        raise InvalidInput(f"{label}: no IfcBuilding to carry unit code {code}")
    building, how = found
    if how == "code":
        return data
    b = f.by_guid(building["guid"])
    pset = ifcopenshell.api.pset.add_pset(f, product=b, name=PSET)
    ifcopenshell.api.pset.edit_pset(f, pset=pset, properties={PROP: code})
    return f.to_string().encode("utf-8")


#: Metres per degree of latitude (and of longitude at the equator) on the WGS84/CGCS2000
#: ellipsoid, to first order: plenty for a building's footprint (~1e-3 relative).
M_PER_DEG = 111_320.0


def footprint_lonlat(data: bytes, label: str, building_guid: str | None = None) -> str | None:
    """The model's ground-floor outline as a lon/lat WKT polygon, when its site states
    RefLatitude/RefLongitude (the site origin); None for a model that is not georeferenced.

    The outline is the union of the plan footprints of the lowest above-ground storey (of
    ``building_guid``), turned by the model's true north and placed about the site origin."""
    import math

    import ifcopenshell.geom
    from shapely.geometry import Polygon
    from shapely.ops import unary_union

    from drawings.ifcplan import _footprints, storey_members
    from drawings.ifcread import index_file, open_model

    f = open_model(data, label)
    model = index_file(f, label)
    site = next((s for s in model.header.get("sites") or []
                 if s.get("latitude") is not None and s.get("longitude") is not None), None)
    if site is None:
        return None
    storeys = [s for s in model.storeys() if (s.get("elevation_m") or 0.0) >= -0.01
               and (building_guid is None or s.get("building") == building_guid)]
    if not storeys:
        return None
    members = storey_members(model)[storeys[0]["guid"]]
    rings = _footprints(f, [f.by_guid(g) for g in members], ifcopenshell.geom)
    polys = [Polygon(r) for rs in rings.values() for r in rs if len(r) >= 3]
    shape = unary_union([p.buffer(0) for p in polys if p.is_valid or p.buffer(0).is_valid])
    if shape.is_empty:
        return None
    outline = max(getattr(shape, "geoms", [shape]), key=lambda p: p.area)
    site_m = _site_origin(f, site["guid"])
    north = _true_north(f)
    lat0, lon0 = site["latitude"], site["longitude"]
    coords = []
    for x, y in outline.exterior.coords:
        dx, dy = x - site_m[0], y - site_m[1]
        east = dx * math.cos(north) - dy * math.sin(north)
        northing = dx * math.sin(north) + dy * math.cos(north)
        coords.append((round(lon0 + east / (M_PER_DEG * math.cos(math.radians(lat0))), 8),
                       round(lat0 + northing / M_PER_DEG, 8)))
    return Polygon(coords).wkt


def _site_origin(f: Any, guid: str) -> tuple[float, float]:
    """The site placement's origin in metres (world)."""
    import ifcopenshell.util.unit

    from drawings.ifcread import _world_matrix

    scale = float(ifcopenshell.util.unit.calculate_unit_scale(f) or 1.0)
    m = _world_matrix(f.by_guid(guid))
    return (0.0, 0.0) if m is None else (float(m[0][3]) * scale, float(m[1][3]) * scale)


def _true_north(f: Any) -> float:
    """Angle (radians, counter-clockwise) from the model's +y axis to geographic north."""
    import math

    for c in f.by_type("IfcGeometricRepresentationContext", include_subtypes=False):
        tn = getattr(c, "TrueNorth", None)
        if tn is not None:
            x, y = (list(tn.DirectionRatios) + [0.0, 1.0])[:2]
            return -math.atan2(x, y) if (x or y) else 0.0
    return 0.0


def unit_footprint_from_model(s: Any, blobs: Any, unit_code: str, project: str, rev: str,
                              model_no: str, *, replace: bool = False) -> Any:
    """Fill unit ``unit_code``'s footprint from model ``model_no`` of ``PROJECT:REV`` (its
    linked IfcBuilding's ground floor); refused when the model is not georeferenced."""
    from drawings import registry

    v = registry.resolve_version(s, project, rev)
    entry = v.manifest.get(model_no)
    if not registry.is_model_entry(entry):
        raise InvalidInput(f"{model_no}: 不是模型 not a BIM model of version {v.id[:12]}")
    unit = registry.get_unit(s, unit_code)
    if unit.project_code != v.project_code:
        raise InvalidInput(f"building unit {unit.code} belongs to project {unit.project_code}")
    data = blobs.read_bytes(entry["blob"])
    header = registry.get_model(s, entry["blob"]).to_dict()["header"]
    found = find_building(header, unit.code, unit.name)
    wkt = footprint_lonlat(data, model_no, found[0]["guid"] if found else None)
    if wkt is None:
        raise InvalidInput(f"{model_no}: 模型未定位 the model's site states no "
                           "RefLatitude/RefLongitude: no footprint in lon/lat")
    return registry.fill_unit_footprint(s, unit.code, wkt, replace=replace)
