"""The map's API (#14): ``GET /api/v1/map``, the GeoJSON the map page draws — the sites and
unit footprints of the projects the caller may see, each with its project's workflow state."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask.views import MethodView
from flask_smorest import Blueprint

import workflow
from web.api import PREFIX, _bearer, api_user
from web.auth import store

bp = Blueprint("api_map", __name__, url_prefix=f"{PREFIX}/map",
               description="落图 Projects and building units on the map")


class Geometry(ma.Schema):
    type = ma.fields.String(required=True, metadata={"description": "Polygon"})
    coordinates = ma.fields.Raw(required=True, metadata={
        "description": "rings of [lon, lat] (CGCS2000 ≈ WGS84), GeoJSON order"})


class Feature(ma.Schema):
    type = ma.fields.String(required=True, metadata={"description": "Feature"})
    geometry = ma.fields.Nested(Geometry, required=True)
    properties = ma.fields.Raw(required=True, metadata={
        "description": "kind (site/unit), project, project_name, state; units add code, "
                       "scheme and their attributes (name, address, floors…)"})


class Unreadable(ma.Schema):
    project = ma.fields.String(required=True)
    message = ma.fields.String(required=True)


class FeatureCollection(ma.Schema):
    type = ma.fields.String(required=True, metadata={"description": "FeatureCollection"})
    yitaotu = ma.fields.String(required=True, metadata={"description": "format name"})
    features = ma.fields.List(ma.fields.Nested(Feature), required=True)
    unreadable = ma.fields.List(ma.fields.Nested(Unreadable), required=True, metadata={
        "description": "projects left out: a stored site or footprint cannot be read"})


@bp.route("")
class MapView(MethodView):
    @bp.response(200, FeatureCollection)
    def get(self) -> dict[str, Any]:
        """Sites and unit footprints (lon/lat) of the projects the caller may see."""
        with store().session(write=False) as s:
            return workflow.map_geojson(s, user=api_user())


bp.before_request(_bearer)
