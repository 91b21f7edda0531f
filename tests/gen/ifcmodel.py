"""Small IFC models with known truth, written by IfcOpenShell's API.

:func:`make_house` builds a two-storey house (project, site with coordinates, building,
storeys, walls with property sets and base quantities, a door in an opening, a space); the
edit functions change it in known ways and return what changed, by GlobalId:

>>> f = make_house()
>>> truth = edit_house(f)          # moves, renames, pset edits, add, remove, re-host, type
>>> regenerate_guids(f, seed=3)    # what an export with new GlobalIds does

GlobalIds are derived from a seed, so the same call writes the same bytes.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import ifcopenshell
import ifcopenshell.api.aggregate
import ifcopenshell.api.context
import ifcopenshell.api.geometry
import ifcopenshell.api.project
import ifcopenshell.api.pset
import ifcopenshell.api.root
import ifcopenshell.api.spatial
import ifcopenshell.api.type
import ifcopenshell.api.unit
import ifcopenshell.guid
import numpy as np

#: (name, x0, y0, length, angle degrees) of the ground-floor walls (mm).
WALLS = [("W1", 0, 0, 8000, 0), ("W2", 8000, 0, 6000, 90), ("W3", 8000, 6000, 8000, 180),
         ("W4", 0, 6000, 6000, 270), ("W5", 4000, 0, 6000, 90)]


@dataclass
class Truth:
    """What an edit did, by GlobalId."""

    added: set[str] = field(default_factory=set)
    removed: set[str] = field(default_factory=set)
    #: GlobalId -> the change categories the diff must report
    modified: dict[str, set[str]] = field(default_factory=dict)


def _guids(f: ifcopenshell.file, seed: int) -> None:
    """Deterministic GlobalIds: a digest of the seed and each entity's position in the file."""
    for i, e in enumerate(f.by_type("IfcRoot")):
        h = hashlib.md5(f"{seed}:{i}:{e.is_a()}".encode()).hexdigest()
        e.GlobalId = ifcopenshell.guid.compress(h)


def _matrix(x: float, y: float, z: float, angle: float) -> np.ndarray:
    """A placement at (x, y, z) mm turned ``angle`` degrees, in metres as the API takes it."""
    x, y, z = x / 1000, y / 1000, z / 1000
    a = np.radians(angle)
    m = np.eye(4)
    m[0][0], m[0][1], m[1][0], m[1][1] = np.cos(a), -np.sin(a), np.sin(a), np.cos(a)
    m[0][3], m[1][3], m[2][3] = x, y, z
    return m


def make_house(*, seed: int = 1, storeys: int = 2, storey_height: float = 3000.0,
               door_width: float = 1000.0, site_coordinates: bool = True) -> ifcopenshell.file:
    """The two-storey house (lengths in mm)."""
    f = ifcopenshell.api.project.create_file(version="IFC4")
    proj = ifcopenshell.api.root.create_entity(f, ifc_class="IfcProject", name="示例住宅")
    ifcopenshell.api.unit.assign_unit(f)
    model = ifcopenshell.api.context.add_context(f, context_type="Model")
    body = ifcopenshell.api.context.add_context(
        f, context_type="Model", context_identifier="Body", target_view="MODEL_VIEW",
        parent=model)
    site = ifcopenshell.api.root.create_entity(f, ifc_class="IfcSite", name="场地")
    if site_coordinates:
        site.RefLatitude, site.RefLongitude = (39, 54, 0, 0), (116, 24, 0, 0)
        site.RefElevation = 45000.0
    bld = ifcopenshell.api.root.create_entity(f, ifc_class="IfcBuilding", name="1#住宅楼")
    ifcopenshell.api.aggregate.assign_object(f, relating_object=proj, products=[site])
    ifcopenshell.api.aggregate.assign_object(f, relating_object=site, products=[bld])
    levels = []
    for i in range(storeys):
        st = ifcopenshell.api.root.create_entity(f, ifc_class="IfcBuildingStorey",
                                                 name=f"{i + 1}F")
        st.Elevation = i * storey_height
        ifcopenshell.api.aggregate.assign_object(f, relating_object=bld, products=[st])
        ifcopenshell.api.geometry.edit_object_placement(
            f, product=st, matrix=_matrix(0, 0, i * storey_height, 0))
        levels.append(st)
    wall_type = ifcopenshell.api.root.create_entity(f, ifc_class="IfcWallType", name="砖墙 200")
    for li, st in enumerate(levels):
        for name, x, y, length, angle in WALLS:
            w = ifcopenshell.api.root.create_entity(f, ifc_class="IfcWall",
                                                    name=f"{st.Name}-{name}")
            ifcopenshell.api.spatial.assign_container(f, relating_structure=st, products=[w])
            ifcopenshell.api.type.assign_type(f, related_objects=[w], relating_type=wall_type)
            rep = ifcopenshell.api.geometry.add_wall_representation(
                f, context=body, length=length / 1000, height=storey_height / 1000,
                thickness=0.2)
            ifcopenshell.api.geometry.assign_representation(f, product=w, representation=rep)
            ifcopenshell.api.geometry.edit_object_placement(
                f, product=w, matrix=_matrix(x, y, li * storey_height, angle))
            ps = ifcopenshell.api.pset.add_pset(f, product=w, name="Pset_WallCommon")
            ifcopenshell.api.pset.edit_pset(f, pset=ps, properties={
                "IsExternal": name != "W5", "FireRating": "2h", "LoadBearing": True})
            q = ifcopenshell.api.pset.add_qto(f, product=w, name="Qto_WallBaseQuantities")
            ifcopenshell.api.pset.edit_qto(f, qto=q, properties={
                "Length": length / 1000, "Height": storey_height / 1000, "Width": 0.2})
        door = _door(f, body, st, levels.index(st) * storey_height, door_width)
        _ = door
        space = ifcopenshell.api.root.create_entity(f, ifc_class="IfcSpace",
                                                    name=f"{st.Name}-客厅")
        space.LongName = "客厅"
        ifcopenshell.api.aggregate.assign_object(f, relating_object=st, products=[space])
        ifcopenshell.api.geometry.edit_object_placement(
            f, product=space, matrix=_matrix(0, 0, li * storey_height, 0))
        rep = ifcopenshell.api.geometry.add_slab_representation(
            f, context=body, depth=storey_height / 1000,
            polyline=[(0.1, 0.1), (3.9, 0.1), (3.9, 5.9), (0.1, 5.9)])
        ifcopenshell.api.geometry.assign_representation(f, product=space, representation=rep)
    _guids(f, seed)
    return f


def _door(f: ifcopenshell.file, body: Any, storey: Any, z: float, width: float) -> Any:
    """A door in an opening of wall W1 of ``storey``."""
    import ifcopenshell.api.feature

    wall = next(w for w in f.by_type("IfcWall") if w.Name == f"{storey.Name}-W1")
    opening = ifcopenshell.api.root.create_entity(f, ifc_class="IfcOpeningElement",
                                                  name=f"{storey.Name}-O1")
    rep = ifcopenshell.api.geometry.add_wall_representation(
        f, context=body, length=width / 1000, height=2.1, thickness=0.4)
    ifcopenshell.api.geometry.assign_representation(f, product=opening, representation=rep)
    ifcopenshell.api.geometry.edit_object_placement(
        f, product=opening, matrix=_matrix(2000, -100, z, 0))
    ifcopenshell.api.feature.add_feature(f, feature=opening, element=wall)
    door = ifcopenshell.api.root.create_entity(f, ifc_class="IfcDoor", name=f"{storey.Name}-D1")
    door.OverallWidth, door.OverallHeight = width, 2100.0
    ifcopenshell.api.spatial.assign_container(f, relating_structure=storey, products=[door])
    rep = ifcopenshell.api.geometry.add_wall_representation(
        f, context=body, length=width / 1000, height=2.1, thickness=0.05)
    ifcopenshell.api.geometry.assign_representation(f, product=door, representation=rep)
    ifcopenshell.api.geometry.edit_object_placement(f, product=door,
                                                    matrix=_matrix(2000, 0, z, 0))
    ifcopenshell.api.feature.add_filling(f, opening=opening, element=door)
    ps = ifcopenshell.api.pset.add_pset(f, product=door, name="Pset_DoorCommon")
    ifcopenshell.api.pset.edit_pset(f, pset=ps, properties={"FireRating": "甲级",
                                                           "IsExternal": True})
    return door


def _by_name(f: ifcopenshell.file, cls: str, name: str) -> Any:
    return next(e for e in f.by_type(cls) if e.Name == name)


def edit_house(f: ifcopenshell.file, *, seed: int = 2) -> Truth:
    """Known changes to :func:`make_house`'s model, in place."""
    import ifcopenshell.api.pset
    import ifcopenshell.util.element as ue

    t = Truth()
    # moved: 1F-W5 500 mm east
    w5 = _by_name(f, "IfcWall", "1F-W5")
    ifcopenshell.api.geometry.edit_object_placement(f, product=w5,
                                                    matrix=_matrix(4500, 0, 0, 90))
    t.modified[w5.GlobalId] = {"placement"}
    # renamed: 2F-W3
    w3 = _by_name(f, "IfcWall", "2F-W3")
    w3.Name = "2F-W3a"
    t.modified[w3.GlobalId] = {"attributes"}
    # property edited: 1F-D1 fire rating
    d1 = _by_name(f, "IfcDoor", "1F-D1")
    ps = f.by_id(ue.get_psets(d1)["Pset_DoorCommon"]["id"])
    ifcopenshell.api.pset.edit_pset(f, pset=ps, properties={"FireRating": "乙级"})
    t.modified[d1.GlobalId] = {"psets"}
    # quantity edited + geometry: 2F-W1 thicker
    w1 = _by_name(f, "IfcWall", "2F-W1")
    q = f.by_id(ue.get_psets(w1)["Qto_WallBaseQuantities"]["id"])
    ifcopenshell.api.pset.edit_qto(f, qto=q, properties={"Width": 0.3})
    body = next(c for c in f.by_type("IfcGeometricRepresentationSubContext")
                if c.ContextIdentifier == "Body")
    rep = ifcopenshell.api.geometry.add_wall_representation(f, context=body, length=8,
                                                            height=3, thickness=0.3)
    old = w1.Representation.Representations[0]
    ifcopenshell.api.geometry.unassign_representation(f, product=w1, representation=old)
    ifcopenshell.api.geometry.assign_representation(f, product=w1, representation=rep)
    t.modified[w1.GlobalId] = {"psets", "geometry"}
    # re-hosted: 2F-W4 moves from 2F to 1F (container) -- same place, other storey
    w4 = _by_name(f, "IfcWall", "2F-W4")
    st1 = _by_name(f, "IfcBuildingStorey", "1F")
    ifcopenshell.api.spatial.assign_container(f, relating_structure=st1, products=[w4])
    t.modified[w4.GlobalId] = {"container"}
    # type changed: 1F-W2 gets a new type
    new_type = ifcopenshell.api.root.create_entity(f, ifc_class="IfcWallType", name="混凝土墙 250")
    w2 = _by_name(f, "IfcWall", "1F-W2")
    ifcopenshell.api.type.assign_type(f, related_objects=[w2], relating_type=new_type)
    t.modified[w2.GlobalId] = {"type"}
    # removed: 2F-W5
    gone = _by_name(f, "IfcWall", "2F-W5")
    t.removed.add(gone.GlobalId)
    ifcopenshell.api.root.remove_product(f, product=gone)
    # added: a column on 1F
    col = ifcopenshell.api.root.create_entity(f, ifc_class="IfcColumn", name="1F-C1")
    ifcopenshell.api.spatial.assign_container(f, relating_structure=st1, products=[col])
    rep = ifcopenshell.api.geometry.add_profile_representation(
        f, context=body, profile=f.create_entity("IfcRectangleProfileDef", ProfileType="AREA",
                                                 XDim=400, YDim=400), depth=3)
    ifcopenshell.api.geometry.assign_representation(f, product=col, representation=rep)
    ifcopenshell.api.geometry.edit_object_placement(f, product=col,
                                                    matrix=_matrix(6000, 3000, 0, 0))
    rnd = random.Random(seed)
    col.GlobalId = ifcopenshell.guid.compress(f"{rnd.getrandbits(128):032x}")
    t.added.add(col.GlobalId)
    return t


def regenerate_guids(f: ifcopenshell.file, *, seed: int = 3) -> dict[str, str]:
    """Give every IfcRoot a new GlobalId (as some exports do); returns old -> new."""
    rnd = random.Random(seed)
    out = {}
    for e in f.by_type("IfcRoot"):
        new = ifcopenshell.guid.compress(f"{rnd.getrandbits(128):032x}")
        out[e.GlobalId] = new
        e.GlobalId = new
    return out


def write(f: ifcopenshell.file, path: str | Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    f.write(str(path))
    return path


@dataclass
class HouseFiles:
    """The house written four ways, with what separates them."""

    base: Path
    edited: Path
    regenerated: Path
    edited_regenerated: Path
    truth: Truth
    #: old GlobalId -> new, for both regenerated files
    new_ids: dict[str, str]
    edited_new_ids: dict[str, str]


def house_files(directory: str | Path) -> HouseFiles:
    """Base, edited (:func:`edit_house`), base with new GlobalIds, edited with new GlobalIds."""
    d = Path(directory)
    base = write(make_house(), d / "M-01 建筑模型.ifc")
    f = make_house()
    truth = edit_house(f)
    edited = write(f, d / "edited" / "M-01 建筑模型.ifc")
    r = make_house()
    new_ids = regenerate_guids(r)
    regenerated = write(r, d / "regenerated" / "M-01 建筑模型.ifc")
    g = make_house()
    edit_house(g)
    edited_new_ids = regenerate_guids(g, seed=4)
    both = write(g, d / "edited-regenerated" / "M-01 建筑模型.ifc")
    return HouseFiles(base, edited, regenerated, both, truth, new_ids, edited_new_ids)
