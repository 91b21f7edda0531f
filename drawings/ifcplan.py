"""Plan views of an IFC model: one neutral :class:`Sheet` per building storey (#18).

Each element of a storey (contained in it, or aggregated under it, as spaces are) is
tessellated by IfcOpenShell in world coordinates and its footprint -- the union of its
triangles projected on the plan -- becomes closed LWPOLYLINEs on a layer of its class; spaces
get their name as TEXT at their centroid.  Handles are GlobalIds, so the sheet diff and
overlays name elements as the model diff does, and the viewer, tiles and overlays work on
models through the same renderer.  Drawing units are millimetres (plan metres x 1000).
"""

from __future__ import annotations

from typing import Any

from drawings.model import Drawing, Entity, LayerInfo, Sheet
from drawings.modelindex import ModelIndex

#: IFC class -> (layer, ACI colour); anything else of a storey goes to A-MISC.
LAYERS = {
    "IfcWall": ("A-WALL", 7), "IfcWallStandardCase": ("A-WALL", 7),
    "IfcCurtainWall": ("A-GLAZ-CWMG", 4), "IfcColumn": ("S-COLS", 1), "IfcBeam": ("S-BEAM", 1),
    "IfcSlab": ("A-FLOR", 8), "IfcDoor": ("A-DOOR", 3), "IfcWindow": ("A-GLAZ", 5),
    "IfcSpace": ("A-AREA", 6), "IfcStair": ("A-FLOR-STRS", 2), "IfcStairFlight":
    ("A-FLOR-STRS", 2), "IfcRailing": ("A-FLOR-HRAL", 2), "IfcRoof": ("A-ROOF", 8),
}
SKIP = {"IfcOpeningElement", "IfcOpeningStandardCase", "IfcBuildingStorey", "IfcSite",
        "IfcBuilding", "IfcAnnotation", "IfcVirtualElement", "IfcGrid"}
SCALE = 1000.0  # metres -> mm


def storey_members(model: ModelIndex) -> dict[str, list[str]]:
    """Storey GlobalId -> GlobalIds of the elements drawn on its plan."""
    storeys = {s["guid"] for s in model.storeys()}
    out: dict[str, list[str]] = {g: [] for g in storeys}
    for e in model.elements:
        if e.cls in SKIP:
            continue
        for ref in (e.container, e.aggregate):
            g = (ref or {}).get("guid")
            if g in storeys:
                out[g].append(e.guid)
                break
    return out


def plan_drawing(ifc: Any, model: ModelIndex, name: str) -> Drawing:
    """The model's storey plans as one :class:`Drawing` (sheets in storey order)."""
    import ifcopenshell.geom

    from drawings.readers.common import finish

    members = storey_members(model)
    by_guid = model.by_guid()
    wanted = [ifc.by_guid(g) for gs in members.values() for g in gs]
    footprints = _footprints(ifc, wanted, ifcopenshell.geom) if wanted else {}
    sheets = []
    for st in model.storeys():
        ents: list[Entity] = []
        for g in sorted(members.get(st["guid"], []), key=lambda g: by_guid[g].cls == "IfcSlab",
                        reverse=True):  # slabs first: everything else draws over them
            e = by_guid[g]
            layer = LAYERS.get(e.cls, ("A-MISC", 7))[0]
            for ring in footprints.get(g, []):
                ents.append(Entity("LWPOLYLINE", layer, g, {
                    "points": [(x * SCALE, y * SCALE, 0.0) for x, y in ring],
                    "closed": True, "width": 0.0}, style={"color": 256}))
            if e.cls == "IfcSpace" and footprints.get(g):
                ents.append(_label(e, footprints[g], layer))
        sheets.append(Sheet(st["name"] or st["guid"], ents))
    layers = {lay: LayerInfo(lay, color) for lay, color in LAYERS.values()}
    layers["A-MISC"] = LayerInfo("A-MISC", 7)
    d = Drawing(name, "ifc", model.schema, "mm", sheets, layers=layers)
    finish(d)
    return d


def _label(e: Any, rings: list[list[tuple[float, float]]], layer: str) -> Entity:
    from shapely.geometry import Polygon

    c = max((Polygon(r) for r in rings), key=lambda p: p.area).representative_point()
    text = e.attrs.get("LongName") or e.name or e.guid
    return Entity("TEXT", layer, f"{e.guid}.label", {
        "insert": (c.x * SCALE, c.y * SCALE), "height": 250.0, "rotation": 0.0,
        "width_factor": 1.0, "halign": 1, "valign": 2, "style": "Standard"},
        text=str(text), style={"color": 256})


def _footprints(ifc: Any, elements: list[Any], geom: Any) -> dict[str, list[list[tuple]]]:
    """GlobalId -> outer rings (and holes, as rings) of the element's plan projection."""
    from shapely.geometry import Polygon
    from shapely.ops import unary_union

    settings = geom.settings()
    settings.set("use-world-coords", True)
    out: dict[str, list[list[tuple]]] = {}
    it = geom.iterator(settings, ifc, 1, include=elements)
    if not it.initialize():
        return out
    while True:
        shape = it.get()
        v, f = shape.geometry.verts, shape.geometry.faces
        tris = []
        for i in range(0, len(f), 3):
            a, b, c = f[i], f[i + 1], f[i + 2]
            p = Polygon([(v[3 * a], v[3 * a + 1]), (v[3 * b], v[3 * b + 1]),
                         (v[3 * c], v[3 * c + 1])])
            if p.area > 1e-10:
                tris.append(p)
        if tris:
            u = unary_union(tris).simplify(1e-4)
            polys = getattr(u, "geoms", [u])
            rings = []
            for poly in polys:
                if poly.is_empty or not hasattr(poly, "exterior"):
                    continue
                rings.append([(round(x, 6), round(y, 6)) for x, y in poly.exterior.coords[:-1]])
                rings += [[(round(x, 6), round(y, 6)) for x, y in h.coords[:-1]]
                          for h in poly.interiors]
            out[shape.guid] = rings
        if not it.next():
            break
    return out
