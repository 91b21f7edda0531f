"""Sites and unit footprints of a project: set with every check first, read, and GeoJSON.

A write validates the whole change before touching a row (a GeoJSON import is checked as a
batch against the new site and every other unit), so a refused import leaves nothing behind.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from shapely import wkt
from shapely.geometry import mapping
from sqlalchemy.orm import Session

from drawings import codes, registry
from drawings.geo.spatial import (
    TOLERANCE_M,
    Check,
    GeoCheckFailed,
    overlap_width,
    parse_polygon,
    sticks_out,
    to_projected,
)
from drawings.models import BuildingUnit, Project
from storage import limits
from storage.display import quote
from storage.errors import InvalidInput

GEOJSON_TYPE = "yitaotu.geo/1"


@dataclass(frozen=True)
class Finding:
    """One failed check of a stored site or footprint (``yitaotu geo check``)."""

    check: Check
    subject: str
    detail: str

    def to_dict(self) -> dict[str, str]:
        return {"check": self.check.value, "subject": self.subject, "detail": self.detail}


def site_of(p: Project) -> Any:
    return wkt.loads(p.site_footprint_wkt) if p.site_footprint_wkt else None


def check_inside(unit_code: str, geom: Any, site: Any, tolerance_m: float) -> None:
    out = sticks_out(geom, site, tolerance_m=tolerance_m)
    if out > 0:
        raise GeoCheckFailed(Check.SITE, f"unit {unit_code}",
                             f"超出项目用地 reaches {out:.2f} m outside the project's site "
                             f"(tolerance {tolerance_m} m)")


def check_overlaps(unit_code: str, geom: Any, others: dict[str, Any],
                    tolerance_m: float) -> None:
    for other_code, other in sorted(others.items()):
        if other is None or other_code == unit_code or not geom.intersects(other):
            continue
        width = overlap_width(geom, other)
        if width > tolerance_m:
            raise GeoCheckFailed(Check.OVERLAP, f"unit {unit_code}",
                                 f"与单体 {other_code} 重叠 overlaps unit {other_code} by "
                                 f"{width:.2f} m (tolerance {tolerance_m} m)")


def _footprints(s: Session, p: Project) -> dict[str, Any]:
    return {u.code: u.footprint for u in registry.list_units(s, p)}


def validate_layout(site: Any, units: dict[str, Any], *, changed: set[str] | None = None,
                    site_changed: bool = False, tolerance_m: float = TOLERANCE_M) -> None:
    """The ``changed`` units (all when None) inside the site and apart from every other unit;
    with ``site_changed`` every unit is checked against the (new) site too.  Raises the first
    failed check, named from the changed unit.  Pairs of units neither of which changed are
    left alone: an old overlap found by ``geo check`` does not block an unrelated write."""
    todo = sorted(units if changed is None else changed)
    if site is not None and site_changed:
        for code in sorted(units):
            if units[code] is not None:
                check_inside(code, units[code], site, tolerance_m)
    done: set[str] = set()
    for code in todo:
        geom = units.get(code)
        if geom is None:
            continue
        if site is not None:
            check_inside(code, geom, site, tolerance_m)
        check_overlaps(code, geom, {c: g for c, g in units.items() if c not in done},
                       tolerance_m)
        done.add(code)


def set_site(s: Session, project: str | Project, value: Any, *,
             tolerance_m: float = TOLERANCE_M) -> Project:
    """Set the project's site polygon; refused if a unit's footprint would fall outside."""
    p = registry.get_project(s, project)
    geom = parse_polygon(value, f"site of {p.code}")
    validate_layout(geom, _footprints(s, p), changed=set(), site_changed=True,
                    tolerance_m=tolerance_m)
    p.site_footprint_wkt = limits.FOOTPRINT.check(geom.wkt)
    s.flush()
    return p


def set_footprint(s: Session, unit: str | BuildingUnit, value: Any, *,
                  tolerance_m: float = TOLERANCE_M) -> BuildingUnit:
    """Set a unit's footprint after the geometry, site and overlap checks."""
    u = unit if isinstance(unit, BuildingUnit) else registry.get_unit(s, unit)
    geom = parse_polygon(value, f"unit {u.code}")
    p = registry.get_project(s, u.project_code)
    units = _footprints(s, p)
    units[u.code] = geom
    validate_layout(site_of(p), units, changed={u.code}, tolerance_m=tolerance_m)
    u.footprint_wkt = limits.FOOTPRINT.check(geom.wkt)
    s.flush()
    return u


def check_project(s: Session, project: str | Project, *, tolerance_m: float = TOLERANCE_M
                  ) -> list[Finding]:
    """Every check over what is stored: codes, site, each footprint, overlaps (all findings,
    not just the first)."""
    p = registry.get_project(s, project)
    found: list[Finding] = []

    def run(fn: Any, *args: Any) -> Any:
        try:
            return fn(*args)
        except GeoCheckFailed as e:
            found.append(Finding(e.check, e.subject, e.detail))
        except InvalidInput as e:
            found.append(Finding(Check.GEOMETRY, p.code, e.message))
        return None

    site = run(parse_polygon, p.site_footprint_wkt, f"site of {p.code}") \
        if p.site_footprint_wkt else None
    units: dict[str, Any] = {}
    for u in registry.list_units(s, p):
        run(check_unit_code, u)
        if not u.footprint_wkt:
            found.append(Finding(Check.FOOTPRINT, f"unit {u.code}", "没有轮廓 no footprint"))
            continue
        geom = run(parse_polygon, u.footprint_wkt, f"unit {u.code}")
        if geom is not None:
            units[u.code] = geom
    for code in sorted(units):
        if site is not None:
            run(check_inside, code, units[code], site, tolerance_m)
        for other in sorted(c for c in units if c > code):
            run(check_overlaps, code, units[code], {other: units[other]}, tolerance_m)
    return found


def check_unit_code(u: BuildingUnit) -> None:
    try:
        codes.get_scheme(u.scheme).validate(u.code)
    except InvalidInput as e:
        raise GeoCheckFailed(Check.UNIT_CODE, f"unit {u.code}", e.message) from None


# -- GeoJSON ------------------------------------------------------------------------------------


def _feature(geom: Any, props: dict[str, Any], crs: Any) -> dict[str, Any]:
    if crs is not None:
        geom = to_projected(geom, crs)
    return {"type": "Feature", "geometry": mapping(geom), "properties": props}


def geojson(s: Session, project: str | Project | None = None, *, crs: Any = None,
            states: dict[str, str] | None = None) -> dict[str, Any]:
    """A FeatureCollection of the site(s) and unit footprints (lon/lat unless ``crs``):
    what ``yitaotu geo export`` writes and the map page draws.  ``states`` (project code ->
    workflow state) is added to each feature when the caller knows it."""
    projects = [registry.get_project(s, project)] if project is not None \
        else registry.list_projects(s)
    features = []
    for p in projects:
        base = {"project": p.code, "project_name": p.name}
        if states is not None:
            base["state"] = states.get(p.code)
        site = site_of(p)
        if site is not None:
            features.append(_feature(site, {"kind": "site", **base}, crs))
        for u in registry.list_units(s, p):
            if u.footprint is None:
                continue
            props = {"kind": "unit", **base, "code": u.code, "scheme": u.scheme,
                     **{a: getattr(u, a) for a in BuildingUnit.ATTRS}}
            features.append(_feature(u.footprint, props, crs))
    doc: dict[str, Any] = {"type": "FeatureCollection", "yitaotu": GEOJSON_TYPE,
                           "features": features}
    if crs is not None:
        from drawings.geo.spatial import crs_spec

        doc["crs_spec"] = crs_spec(crs)
    return doc


def import_geojson(s: Session, project: str | Project, doc: Any, *,
                   tolerance_m: float = TOLERANCE_M) -> dict[str, Any]:
    """Set the site and unit footprints from a lon/lat FeatureCollection.

    A feature is the site when ``properties.kind == "site"``, else the unit whose code is
    ``properties.code``; units must exist in ``project``.  Everything is checked together
    first (geometry, China, inside the new site, overlaps with every unit, old or new);
    nothing is written unless all of it passes."""
    p = registry.get_project(s, project)
    if not isinstance(doc, dict) or doc.get("type") != "FeatureCollection" or \
            not isinstance(doc.get("features"), list):
        raise InvalidInput("GeoJSON: expected a FeatureCollection with a features list")
    if doc.get("crs_spec"):
        raise InvalidInput("GeoJSON: import takes lon/lat coordinates (export without --crs)")
    site = site_of(p)
    new_site = None
    units = _footprints(s, p)
    changed: dict[str, Any] = {}
    for i, f in enumerate(doc["features"]):
        if not isinstance(f, dict) or f.get("type") != "Feature":
            raise InvalidInput(f"GeoJSON feature {i}: not a Feature")
        props = f.get("properties") or {}
        if not isinstance(props, dict):
            raise InvalidInput(f"GeoJSON feature {i}: properties must be an object")
        if props.get("project") not in (None, p.code):
            raise GeoCheckFailed(Check.UNIT_PROJECT, f"feature {i}",
                                 f"belongs to project {quote(props.get('project'))}, "
                                 f"not {p.code}")
        if props.get("kind") == "site":
            if new_site is not None:
                raise InvalidInput(f"GeoJSON feature {i}: a second site")
            new_site = parse_polygon(f.get("geometry"), f"site of {p.code}")
            continue
        code = str(props.get("code") or "").strip().upper()
        if not code:
            raise InvalidInput(f"GeoJSON feature {i}: properties.code (the unit code) missing")
        if code not in units:
            raise GeoCheckFailed(Check.UNIT_PROJECT, f"unit {quote(code)}",
                                 f"不是项目 {p.code} 的单体 not a unit of project {p.code}")
        if code in changed:
            raise InvalidInput(f"GeoJSON feature {i}: unit {code} appears twice")
        changed[code] = units[code] = parse_polygon(f.get("geometry"), f"unit {code}")
    validate_layout(new_site or site, units, tolerance_m=tolerance_m, changed=set(changed),
                    site_changed=new_site is not None)
    if new_site is not None:
        p.site_footprint_wkt = limits.FOOTPRINT.check(new_site.wkt)
    for code, geom in changed.items():
        registry.get_unit(s, code).footprint_wkt = limits.FOOTPRINT.check(geom.wkt)
    s.flush()
    return {"project": p.code, "site": new_site is not None, "units": sorted(changed)}
