"""The map page's data (#14): every project's site and units as GeoJSON, each feature
carrying its project's workflow state (for the colour) and its page's key (the project code)."""

from __future__ import annotations

from typing import Any

from shapely.errors import ShapelyError
from sqlalchemy import select
from sqlalchemy.orm import Session

from drawings import geo, registry
from workflow.access import visible_projects
from workflow.machine import PROJECT
from workflow.models import Flow


def map_geojson(s: Session, project: str | None = None, *,
                user: str | None = None) -> dict[str, Any]:
    """A lon/lat FeatureCollection of ``project`` (all projects by default); a project the
    workflow has not seen yet is in its first state.  With ``user``, only the projects that
    user may see (:func:`workflow.visible_projects`): what the map page and its API show;
    a project whose stored site or footprint cannot be read is left out and named in
    ``unreadable``, so one bad row does not blank the map."""
    if user is None:
        codes = [registry.get_project(s, project).code] if project else \
            [p.code for p in registry.list_projects(s)]
        return geo.geojson(s, project, states=_states(s, codes))
    codes = [p.code for p in visible_projects(s, user)]
    if project is not None:
        codes = [c for c in codes if c == project]
    states = _states(s, codes)
    features: list[dict[str, Any]] = []
    unreadable: list[dict[str, str]] = []
    for c in codes:
        try:
            features += geo.geojson(s, c, states=states)["features"]
        except ShapelyError as e:  # a row written behind the services' back: say which
            unreadable.append({"project": c, "message": f"无法读取的落图 unreadable "
                                                        f"footprint of {c}: {e}"})
    return {"type": "FeatureCollection", "yitaotu": geo.GEOJSON_TYPE, "features": features,
            "unreadable": unreadable}


def _states(s: Session, codes: list[str]) -> dict[str, str]:
    """Each project's workflow state (its first state until the workflow has seen it)."""
    first = next(iter(PROJECT.states))
    states = {c: first for c in codes}
    if codes:
        states.update(dict(s.execute(select(Flow.project_code, Flow.state)
                                     .where(Flow.project_code.in_(codes))).all()))
    return states
