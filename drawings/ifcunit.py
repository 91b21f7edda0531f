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
