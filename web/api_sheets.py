"""The viewer's API: a version's sheet register, one sheet (layouts, pyramid geometry), the
pyramid job and the tiles — what the sheet viewer page shows, under ``/api/v1`` (bearer)."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask.views import MethodView
from flask_smorest import Blueprint

from web import viewer
from web.api import PREFIX, ErrorBody, _bearer, api_user

bp = Blueprint("api_sheets", __name__, url_prefix=f"{PREFIX}/projects",
               description="图纸与查看 Sheets, tiles and the viewer")


class SheetRow(ma.Schema):
    number = ma.fields.String(required=True)
    title = ma.fields.String(required=True)
    format = ma.fields.String(required=True)
    blob = ma.fields.String(required=True)
    page = ma.fields.Integer(allow_none=True)
    unit = ma.fields.String(allow_none=True)


class Register(ma.Schema):
    project = ma.fields.String(required=True)
    version = ma.fields.String(required=True)
    message = ma.fields.String(allow_none=True)
    sheets = ma.fields.List(ma.fields.Nested(SheetRow), required=True)


class Pyramid(ma.Schema):
    ready = ma.fields.Boolean(required=True)
    job = ma.fields.String(allow_none=True, metadata={"description": "the job making it "
                                                                    "(GET /api/v1/jobs/{id})"})
    tile = ma.fields.Integer()
    max_zoom = ma.fields.Integer()
    width = ma.fields.Float(metadata={"description": "page width, pt"})
    height = ma.fields.Float(metadata={"description": "page height, pt"})
    matrix = ma.fields.List(ma.fields.Float(), metadata={
        "description": "drawing units -> page pt (a, b, c, d, e, f; PDF y up)"})
    pixels = ma.fields.List(ma.fields.Integer(), metadata={
        "description": "image size at max_zoom (tile z covers it at 2**(z - max_zoom))"})
    sheet = ma.fields.String(allow_none=True)
    entities = ma.fields.Integer(allow_none=True)


class SheetInfo(ma.Schema):
    project = ma.fields.String(required=True)
    version = ma.fields.String(required=True)
    number = ma.fields.String(required=True)
    title = ma.fields.String(allow_none=True)
    format = ma.fields.String(allow_none=True)
    blob = ma.fields.String(required=True)
    page = ma.fields.Integer(allow_none=True)
    layout = ma.fields.String(required=True)
    layouts = ma.fields.List(ma.fields.String(), required=True)
    pyramid = ma.fields.Nested(Pyramid, required=True)


class LayoutArgs(ma.Schema):
    layout = ma.fields.String(validate=ma.validate.Length(max=255), metadata={
        "description": "a layout of the sheet (none: its main sheet)"})


bp.before_request(_bearer)

SHEET = "/<code>/versions/<rev>/sheets/<number>"


def _ref(code: str, rev: str, number: str, args: dict[str, Any]) -> viewer.SheetRef:
    return viewer.resolve(api_user(), code, rev[:100], number, args.get("layout"))


@bp.route("/<code>/versions/<rev>/sheets")
class RegisterView(MethodView):
    @bp.response(200, Register)
    @bp.alt_response(404, schema=ErrorBody)
    def get(self, code: str, rev: str) -> dict[str, Any]:
        """The sheet register of a version (a ref such as ``head``, ``approved``, or an id)."""
        return viewer.register(api_user(), code, rev[:100])


@bp.route(SHEET)
class SheetView(MethodView):
    @bp.arguments(LayoutArgs, location="query")
    @bp.response(200, SheetInfo)
    @bp.alt_response(404, schema=ErrorBody)
    def get(self, args: dict[str, Any], code: str, rev: str, number: str) -> dict[str, Any]:
        """One sheet: its layouts and its tile pyramid (ready or not)."""
        ref = _ref(code, rev, number, args)
        e = ref.entry
        return {"project": ref.access.project, "version": ref.version, "number": number,
                "title": e.get("title"), "format": e.get("format"), "blob": ref.blob,
                "page": e.get("page"), "layout": ref.layout,
                "layouts": viewer.layouts_of(e, number), "pyramid": viewer.pyramid(ref)}


@bp.route(f"{SHEET}/pyramid")
class PyramidView(MethodView):
    @bp.arguments(LayoutArgs, location="query")
    @bp.response(202, Pyramid)
    @bp.alt_response(200, schema=Pyramid, description="ready already")
    @bp.alt_response(404, schema=ErrorBody)
    def post(self, args: dict[str, Any], code: str, rev: str, number: str) -> Any:
        """Make the sheet's tile pyramid as a job (poll ``GET /api/v1/jobs/{job}``)."""
        ref = _ref(code, rev, number, args)
        job = viewer.start_pyramid(ref, api_user())
        return {"job": job, **viewer.pyramid(ref)}, 202 if job else 200


@bp.route(f"{SHEET}/tiles/<int:z>/<int:x>/<int:y>.png")
class TileView(MethodView):
    @bp.arguments(LayoutArgs, location="query")
    @bp.doc(responses={"200": {"description": "the tile (cached a year under its ETag)",
                               "content": {"image/png": {"schema": {"type": "string",
                                                                    "format": "binary"}}}},
                       "304": {"description": "not modified"}})
    @bp.alt_response(404, schema=ErrorBody)
    def get(self, args: dict[str, Any], code: str, rev: str, number: str, z: int, x: int,
            y: int) -> Any:
        """One 256 px tile of the pyramid: level ``z`` shows the page with its longer side at
        ``256 * 2**z`` px; a ref as ``rev`` is answered, but only a full id caches long."""
        from web.sheets import tile_response

        ref = _ref(code, rev, number, args)
        resp = tile_response(ref, z, x, y)
        if ref.version != rev:
            resp.headers["Cache-Control"] = "private, no-cache"
        return resp


class CompareArgs(ma.Schema):
    old = ma.fields.String(load_default="head~1", validate=ma.validate.Length(min=1, max=100),
                           metadata={"description": "a ref, a version id, or either ~N"})
    new = ma.fields.String(load_default="head", validate=ma.validate.Length(min=1, max=100))
    layout = ma.fields.String(validate=ma.validate.Length(max=255))


class CompareRow(ma.Schema):
    number = ma.fields.String(required=True)
    status = ma.fields.String(required=True, metadata={
        "description": "added, removed, changed, unchanged"})
    title = ma.fields.String(required=True)
    summary = ma.fields.Dict(allow_none=True)


class SetCompare(ma.Schema):
    project = ma.fields.String(required=True)
    old = ma.fields.String(required=True)
    new = ma.fields.String(required=True)
    summary = ma.fields.Dict(required=True)
    sheets = ma.fields.List(ma.fields.Nested(CompareRow), required=True)


class SheetCompare(ma.Schema):
    project = ma.fields.String(required=True)
    sheet = ma.fields.String(required=True)
    old = ma.fields.String(required=True)
    new = ma.fields.String(required=True)
    summary = ma.fields.Dict(required=True)
    alignment = ma.fields.Dict(required=True)
    changes = ma.fields.List(ma.fields.Dict(), required=True, metadata={
        "description": "the diff JSON contract's changes (design.md §4), with ``mark``"})
    clusters = ma.fields.List(ma.fields.Dict(), required=True)
    layers = ma.fields.List(ma.fields.String(), required=True)
    can_mark = ma.fields.Boolean(required=True)
    submission = ma.fields.Integer(allow_none=True)


class MarkRequest(ma.Schema):
    change_id = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=100))
    mark = ma.fields.String(required=True, validate=ma.validate.OneOf(["accepted", "queried"]))
    text = ma.fields.String(validate=ma.validate.Length(max=20000))
    category = ma.fields.String(load_default="general", validate=ma.validate.OneOf(
        ["mandatory", "general", "advice", "强制性条文", "一般性", "建议"]))


class MarkOutcome(ma.Schema):
    sheet = ma.fields.String(required=True)
    change_id = ma.fields.String(required=True)
    mark = ma.fields.String(required=True)
    opinion = ma.fields.Integer(allow_none=True)


@bp.route("/<code>/compare")
class CompareVersionsView(MethodView):
    @bp.arguments(CompareArgs, location="query")
    @bp.response(200, SetCompare)
    @bp.alt_response(404, schema=ErrorBody)
    def get(self, args: dict[str, Any], code: str) -> dict[str, Any]:
        """Two set versions sheet by sheet: added, removed, changed (with counts), unchanged."""
        from web import compare

        return compare.set_compare(api_user(), code, args["old"], args["new"])


@bp.route("/<code>/compare/<number>")
class CompareSheetView(MethodView):
    @bp.arguments(CompareArgs, location="query")
    @bp.response(200, SheetCompare)
    @bp.alt_response(404, schema=ErrorBody)
    def get(self, args: dict[str, Any], code: str, number: str) -> dict[str, Any]:
        """One sheet's changes and clusters between two versions (new-revision coordinates)."""
        from web import compare

        return compare.json_of(compare.sheet_compare(api_user(), code, args["old"],
                                                     args["new"], number, args.get("layout")))


@bp.route("/<code>/compare/<number>/marks")
class MarkView(MethodView):
    @bp.arguments(MarkRequest)
    @bp.response(200, MarkOutcome)
    @bp.alt_response(403, schema=ErrorBody)
    @bp.alt_response(404, schema=ErrorBody)
    @bp.alt_response(409, schema=ErrorBody)
    @bp.alt_response(422, schema=ErrorBody)
    def post(self, body: dict[str, Any], code: str, number: str) -> dict[str, Any]:
        """A reviewer accepts or queries a change of the round under review; a query becomes
        an opinion anchored to the change (refused outside review: 409 with the reason)."""
        from web import compare

        return compare.mark(api_user(), code, number, body["change_id"], body["mark"],
                            text=body.get("text"), category=body["category"])


class OpinionArgs(ma.Schema):
    sheet = ma.fields.String(validate=ma.validate.Length(max=100))
    submission = ma.fields.Integer(strict=False, validate=ma.validate.Range(1, 2**31 - 1))


class Opinion(ma.Schema):
    number = ma.fields.Integer(required=True)
    sheet = ma.fields.String(required=True)
    blob = ma.fields.String(allow_none=True)
    page = ma.fields.Integer(allow_none=True)
    anchor = ma.fields.Dict(required=True, metadata={
        "description": "{type: point|rect|polygon, coords} in sheet coordinates"})
    change_id = ma.fields.String(allow_none=True)
    category = ma.fields.String(required=True)
    discipline = ma.fields.String(allow_none=True)
    text = ma.fields.String(required=True)
    author = ma.fields.String(required=True)
    state = ma.fields.String(required=True)
    affected = ma.fields.Boolean(allow_none=True)
    lock = ma.fields.Integer(required=True)
    created = ma.fields.String(required=True)
    replies = ma.fields.List(ma.fields.Dict(), required=True)


class OpinionRequest(ma.Schema):
    sheet = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=100))
    kind = ma.fields.String(required=True, validate=ma.validate.OneOf(["point", "rect"]))
    coords = ma.fields.List(ma.fields.Float(allow_nan=False), required=True,
                            validate=ma.validate.Length(min=2, max=4))
    category = ma.fields.String(required=True, validate=ma.validate.OneOf(
        ["mandatory", "general", "advice"]))
    text = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=20000))


class OpinionAction(ma.Schema):
    text = ma.fields.String(load_default="", validate=ma.validate.Length(max=20000))
    expect_lock = ma.fields.Integer(strict=True, validate=ma.validate.Range(-2**31, 2**31 - 1))


@bp.route("/<code>/opinions")
class OpinionsView(MethodView):
    @bp.arguments(OpinionArgs, location="query")
    @bp.response(200, Opinion(many=True))
    @bp.alt_response(404, schema=ErrorBody)
    def get(self, args: dict[str, Any], code: str) -> list[dict[str, Any]]:
        """The project's opinions (affected by the latest round first)."""
        from web import review

        return review.opinions(api_user(), code, sheet=args.get("sheet"),
                               submission=args.get("submission"))["opinions"]

    @bp.arguments(OpinionRequest)
    @bp.response(201, Opinion)
    @bp.alt_response(403, schema=ErrorBody)
    @bp.alt_response(404, schema=ErrorBody)
    @bp.alt_response(409, schema=ErrorBody)
    @bp.alt_response(422, schema=ErrorBody)
    def post(self, body: dict[str, Any], code: str) -> Any:
        """A reviewer's opinion at a point ``[x, y]`` or on a box ``[x0, y0, x1, y1]`` of a
        sheet under review (sheet coordinates)."""
        from web import review

        coords = review.parse_coords(",".join(map(str, body["coords"])), body["kind"])
        return review.add(api_user(), code, sheet=body["sheet"], kind=body["kind"],
                          coords=coords, category=body["category"], text=body["text"]), 201


@bp.route("/<code>/opinions/<int:number>/<action>")
class OpinionActionView(MethodView):
    @bp.arguments(OpinionAction)
    @bp.response(200, Opinion)
    @bp.alt_response(403, schema=ErrorBody)
    @bp.alt_response(404, schema=ErrorBody)
    @bp.alt_response(409, schema=ErrorBody)
    @bp.alt_response(422, schema=ErrorBody)
    def post(self, body: dict[str, Any], code: str, number: int, action: str) -> Any:
        """``reply`` (the design firm), ``close`` or ``reopen`` (the reviewer)."""
        from web import review

        return review.act(api_user(), code, number, action, body["text"],
                          expect_lock=body.get("expect_lock"))
