"""The map page (#14): the sites and building units of every project the user may see, drawn
from their footprints (Leaflet, vendored), coloured by the project's workflow state, each a link
to its project page; a list of the same below the map.

A base map is optional: ``YITAOTU_MAP_TILES`` (an ``http(s)`` XYZ URL with ``{z}``, ``{x}``,
``{y}``, optionally ``{s}``) and ``YITAOTU_MAP_ATTRIBUTION``; without one the footprints lie on
a plain grid with a scale.  The tile server's origin is added to the page's ``img-src`` only.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, render_template
from flask_babel import gettext as _
from flask_login import current_user, login_required

import workflow
from web.auth import store
from web.security import CSP
from workflow.machine import PROJECT

bp = Blueprint("map", __name__)

TILES_ENV = "YITAOTU_MAP_TILES"
ATTRIBUTION_ENV = "YITAOTU_MAP_ATTRIBUTION"


@dataclass(frozen=True)
class Tiles:
    """The base map: its URL template, the origin the CSP lets images come from, and why a
    configured URL was not used (shown on the page)."""

    url: str | None = None
    origin: str | None = None
    attribution: str = ""
    problem: str | None = None


def tiles_from_env() -> Tiles:
    """``YITAOTU_MAP_TILES`` checked: a bad value is named on the page, never half-used."""
    url = os.environ.get(TILES_ENV, "").strip()
    attribution = os.environ.get(ATTRIBUTION_ENV, "").strip()[:300]
    if not url:
        return Tiles()
    parts = urlsplit(url)
    host = parts.netloc
    if parts.scheme not in ("http", "https") or not host:
        return Tiles(problem=_("%(var)s must be an http(s) URL; the map is drawn without "
                               "a base map.", var=TILES_ENV))
    if "@" in host or not all(k in url for k in ("{z}", "{x}", "{y}")):
        return Tiles(problem=_("%(var)s needs {z}, {x} and {y} and no user or password; the "
                               "map is drawn without a base map.", var=TILES_ENV))
    if host.startswith("{s}."):
        host = "*." + host[4:]
    if "{" in host or "}" in host or any(c in host for c in " ;,'\""):
        return Tiles(problem=_("%(var)s: only {s} may vary in the host name; the map is "
                               "drawn without a base map.", var=TILES_ENV))
    return Tiles(url=url, origin=f"{parts.scheme}://{host}", attribution=attribution)


def csp_for(tiles: Tiles) -> str:
    """The app's CSP with the tile server's origin allowed for images."""
    if tiles.origin is None:
        return CSP
    return CSP.replace("img-src 'self'", f"img-src 'self' {tiles.origin}", 1)


def page_rows(doc: dict[str, Any], projects: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The list under the map: each project (with or without a footprint) and its units."""
    drawn = {f["properties"]["project"] for f in doc["features"]}
    units: dict[str, list[dict[str, Any]]] = {}
    for f in doc["features"]:
        if f["properties"]["kind"] == "unit":
            units.setdefault(f["properties"]["project"], []).append(f["properties"])
    return [{**p, "drawn": p["code"] in drawn, "units": units.get(p["code"], [])}
            for p in projects]


@bp.route("/map")
@login_required
def index() -> Any:
    with store().session(write=False) as s:
        doc = workflow.map_geojson(s, user=current_user.name)
        projects = workflow.project_rows(s, current_user.name)
    tiles = tiles_from_env()
    html = render_template("map/index.html", doc=doc, rows=page_rows(doc, projects),
                           tiles=tiles, states=dict(PROJECT.states))
    return html, 200, {"Content-Security-Policy": csp_for(tiles)}
