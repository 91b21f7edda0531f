"""The map page's data (#14): every project's site and units as GeoJSON, each feature
carrying its project's workflow state (for the colour) and its page's key (the project code)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from drawings import geo, registry
from workflow.machine import PROJECT
from workflow.models import Flow


def map_geojson(s: Session, project: str | None = None) -> dict[str, Any]:
    """A lon/lat FeatureCollection of ``project`` (all projects by default); a project the
    workflow has not seen yet is in its first state."""
    first = next(iter(PROJECT.states))
    codes = [registry.get_project(s, project).code] if project else \
        [p.code for p in registry.list_projects(s)]
    states = {c: first for c in codes}
    states.update(dict(s.execute(select(Flow.project_code, Flow.state)
                                 .where(Flow.project_code.in_(codes))).all()))
    return geo.geojson(s, project, states=states)
