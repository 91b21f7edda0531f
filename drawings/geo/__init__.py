"""Building units on the map (issue #14): lon/lat sites and footprints, their checks,
GeoJSON, projected coordinates, 落图 from a site plan, and spatial queries.

Other packages use these names (through ``drawings.geo``):

- :mod:`spatial`: :func:`parse_polygon`, :class:`Check`, :class:`GeoCheckFailed`,
  :func:`parse_crs`, :func:`gk_epsg`, :class:`LocalGrid`, :func:`to_projected`,
  :func:`to_lonlat`;
- :mod:`footprints`: :func:`set_site`, :func:`set_footprint`, :func:`check_project`,
  :func:`check_unit_code`, :func:`geojson` (the map page's data), :func:`import_geojson`;
- checks at every step: :func:`verify_unit`, :func:`verify_units`, :func:`units_named`,
  :func:`verify_project_code` (what ingest and the workflow engine run before acting);
- :func:`read_json` / :func:`write_json` (files named in errors, written atomically);
- :mod:`siteplan` (落图: :func:`siteplan.place_units`, :func:`siteplan.check_moved`) and
  :mod:`query` (:func:`query.search`, what the inspector search calls) load on first use.
"""

from importlib import import_module
from typing import Any

from drawings.geo.footprints import (
    GEOJSON_TYPE,
    Finding,
    check_project,
    check_unit_code,
    geojson,
    import_geojson,
    set_footprint,
    set_site,
    site_of,
    validate_layout,
)
from drawings.geo.jsonfile import read_json, write_json
from drawings.geo.spatial import (
    TOLERANCE_M,
    Check,
    GeoCheckFailed,
    LocalGrid,
    crs_spec,
    gk_epsg,
    parse_crs,
    parse_polygon,
    to_lonlat,
    to_projected,
)
from drawings.geo.verify import units_named, verify_project_code, verify_unit, verify_units

_SUBMODULES = ("siteplan", "query", "spatial", "footprints")


def __getattr__(name: str) -> Any:
    if name in _SUBMODULES:
        return import_module(f"drawings.geo.{name}")
    raise AttributeError(f"module 'drawings.geo' has no attribute {name!r}")


__all__ = [
    "GEOJSON_TYPE",
    "TOLERANCE_M", "Check", "Finding", "GeoCheckFailed", "LocalGrid", "check_project",
    "check_unit_code", "crs_spec", "geojson", "gk_epsg", "import_geojson", "parse_crs",
    "parse_polygon", "set_footprint", "set_site", "site_of", "to_lonlat", "to_projected",
    "validate_layout", "read_json", "write_json", "units_named", "verify_project_code",
    "verify_unit", "verify_units",
]
