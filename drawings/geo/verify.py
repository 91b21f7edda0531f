"""Checks at every step (#14 §4): an ingest or a workflow action that names building units
verifies, before anything is written, the project code, each unit's code (format and check
character of its scheme), that the unit belongs to the project, and that its footprint is
present, a valid lon/lat polygon inside China and inside the project's site.  The first
failure blocks the action with :class:`GeoCheckFailed` naming the check."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy.orm import Session

from drawings import codes, registry
from drawings.geo.footprints import check_inside, check_unit_code, site_of
from drawings.geo.spatial import TOLERANCE_M, Check, GeoCheckFailed, parse_polygon
from drawings.models import BuildingUnit, Project
from storage.errors import InvalidInput


def verify_project_code(p: Project) -> None:
    try:
        codes.parse_project_code(p.code)
    except InvalidInput as e:
        raise GeoCheckFailed(Check.PROJECT_CODE, f"project {p.code}", e.message) from None


def verify_unit(s: Session, project: str | Project, unit: str | BuildingUnit, *,
                tolerance_m: float = TOLERANCE_M) -> BuildingUnit:
    """Every check of one unit named by an action of ``project``; returns the unit."""
    p = registry.get_project(s, project)
    verify_project_code(p)
    u = unit if isinstance(unit, BuildingUnit) else registry.get_unit(s, unit)
    check_unit_code(u)
    if u.project_code != p.code:
        raise GeoCheckFailed(Check.UNIT_PROJECT, f"unit {u.code}",
                             f"building unit {u.code} belongs to project {u.project_code}")
    if not u.footprint_wkt:
        raise GeoCheckFailed(Check.FOOTPRINT, f"unit {u.code}",
                             "没有轮廓 no footprint: set one with `yitaotu geo footprint` or "
                             "`yitaotu geo place`")
    geom = parse_polygon(u.footprint_wkt, f"unit {u.code}")
    site = site_of(p)
    if site is not None:
        check_inside(u.code, geom, site, tolerance_m)
    return u


def units_named(manifests: Iterable[dict[str, Any] | None]) -> list[str]:
    """The unit codes the sheets of these manifests name, sorted, each once."""
    return sorted({e["unit"] for m in manifests if m for e in m.values() if e.get("unit")})


def verify_units(s: Session, project: str | Project, unit_codes: Iterable[str]) -> None:
    p = registry.get_project(s, project)
    verify_project_code(p)
    for code in unit_codes:
        verify_unit(s, p, code)
