"""The JSON API of the set pages, the inspector's portal and the certificate check (under
``/api/v1``, in the same OpenAPI document as ``web.api``): each page's data, the same
functions the pages call.  The certificate check is public (no bearer token), as its page."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask import send_file
from flask.views import MethodView
from flask_smorest import Blueprint

from web import inspect, sets, verify
from web.api import PREFIX, ErrorBody, JobRef, _bearer, api_user


class LogQuery(ma.Schema):
    ref = ma.fields.String(validate=ma.validate.Length(min=1, max=200), metadata={
        "description": "only the versions reachable from this ref or version (default: "
                       "every version of the project)"})


class SetLog(ma.Schema):
    project = ma.fields.String(required=True)
    ref = ma.fields.String(allow_none=True)
    refs = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.String())
    versions = ma.fields.List(ma.fields.Dict(), metadata={
        "description": "id, parents, author, message, created_at, sheets, refs"})
    reflog = ma.fields.List(ma.fields.Dict(), metadata={
        "description": "id, ref, seq, old, new, actor, at, reason"})


class RegisterSheet(ma.Schema):
    number = ma.fields.String(required=True)
    title = ma.fields.String(allow_none=True)
    discipline = ma.fields.String(allow_none=True)
    revision = ma.fields.String(allow_none=True)
    scale = ma.fields.String(allow_none=True)
    format = ma.fields.String(required=True)
    blob = ma.fields.String(required=True)
    page = ma.fields.Integer(allow_none=True)


class Register(ma.Schema):
    project = ma.fields.String(required=True)
    rev = ma.fields.String(required=True)
    version = ma.fields.Dict(required=True)
    sheets = ma.fields.List(ma.fields.Nested(RegisterSheet), required=True)


class AtQuery(ma.Schema):
    at = ma.fields.String(validate=ma.validate.Length(max=40), metadata={
        "description": "a date or date-time, China time unless it has an offset (default: "
                       "now)"})


class InForce(ma.Schema):
    project = ma.fields.String(required=True)
    at = ma.fields.String(required=True)
    version = ma.fields.Dict(required=True)
    sheets = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.String(allow_none=True))
    parts = ma.fields.List(ma.fields.Dict())
    changes = ma.fields.List(ma.fields.Dict())
    proof = ma.fields.Dict(required=True)
    chain_head = ma.fields.Dict(allow_none=True)


class SearchQuery(ma.Schema):
    q = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=200))


class SearchRow(ma.Schema):
    code = ma.fields.String(required=True)
    name = ma.fields.String(required=True)
    location = ma.fields.String(allow_none=True)
    site = ma.fields.String(allow_none=True)
    units = ma.fields.List(ma.fields.Dict())


class Signature(ma.Schema):
    signer = ma.fields.String(required=True)
    signed_at = ma.fields.String(allow_none=True)
    valid = ma.fields.Boolean(required=True)


class CertificateCheck(ma.Schema):
    genuine = ma.fields.Boolean(required=True)
    project = ma.fields.String(required=True)
    version = ma.fields.String(required=True)
    issued = ma.fields.String(required=True)
    sha256 = ma.fields.String(required=True)
    code = ma.fields.String(required=True)
    path = ma.fields.String(required=True)
    signatures = ma.fields.List(ma.fields.Nested(Signature), required=True)
    problem = ma.fields.String(allow_none=True)


class HashQuery(ma.Schema):
    sha256 = ma.fields.String(required=True, validate=ma.validate.Length(equal=64))


sets_bp = Blueprint("api_sets", __name__, url_prefix=f"{PREFIX}/projects",
                    description="图纸集 Set log, sheet register, set in force, packages")
search_bp = Blueprint("api_search", __name__, url_prefix=f"{PREFIX}/search",
                      description="查询 The inspector's search")
packages_bp = Blueprint("api_packages", __name__, url_prefix=f"{PREFIX}/packages",
                        description="文件包 Downloads of the set in force")
certificates_bp = Blueprint("api_certificates", __name__, url_prefix=f"{PREFIX}/certificates",
                            description="合格书查验 Public certificate check (no token)")


@sets_bp.route("/<code>/log")
class LogView(MethodView):
    @sets_bp.arguments(LogQuery, location="query")
    @sets_bp.response(200, SetLog)
    @sets_bp.alt_response(404, schema=ErrorBody)
    @sets_bp.alt_response(422, schema=ErrorBody)
    def get(self, args: dict[str, Any], code: str) -> dict[str, Any]:
        """Every version (or those reachable from ``ref``), newest first, with the refs at
        each; and the reflog (every move of every ref)."""
        return sets.log_data(api_user(), code, args.get("ref"))


@sets_bp.route("/<code>/versions/<rev>")
class RegisterView(MethodView):
    @sets_bp.response(200, Register)
    @sets_bp.alt_response(404, schema=ErrorBody)
    def get(self, code: str, rev: str) -> dict[str, Any]:
        """The sheet register of a version (a ref, an id or a prefix, ``~N``)."""
        return sets.register_data(api_user(), code, rev)


@sets_bp.route("/<code>/in-force")
class InForceView(MethodView):
    @sets_bp.arguments(AtQuery, location="query")
    @sets_bp.response(200, InForce)
    @sets_bp.alt_response(404, schema=ErrorBody)
    @sets_bp.alt_response(422, schema=ErrorBody)
    def get(self, args: dict[str, Any], code: str) -> dict[str, Any]:
        """The set in force at ``at``: where each sheet came from, the approvals and changes
        with their audit entries, and the entry that proves it."""
        return sets.in_force_data(api_user(), code, args.get("at"))


@sets_bp.route("/<code>/packages")
class PackageView(MethodView):
    @sets_bp.arguments(AtQuery, location="query")
    @sets_bp.response(202, JobRef)
    @sets_bp.alt_response(404, schema=ErrorBody)
    @sets_bp.alt_response(422, schema=ErrorBody)
    def post(self, args: dict[str, Any], code: str) -> dict[str, str]:
        """Pack the set in force at ``at`` with its proof as a zip (a job; then
        ``GET /api/v1/packages/{job}.zip``)."""
        return {"job": inspect.start_package(api_user(), code, args.get("at"))}


@packages_bp.route("/<job_id>.zip")
class PackageFileView(MethodView):
    @packages_bp.response(200, description="the zip", content_type="application/zip")
    @packages_bp.alt_response(404, schema=ErrorBody)
    def get(self, job_id: str) -> Any:
        """The package a finished job of the caller made."""
        path, _ = inspect.package_file(api_user(), job_id)
        return send_file(path, mimetype="application/zip", as_attachment=True,
                         download_name=f"{job_id}.zip")


@search_bp.route("")
class SearchView(MethodView):
    @search_bp.arguments(SearchQuery, location="query")
    @search_bp.response(200, SearchRow(many=True))
    @search_bp.alt_response(422, schema=ErrorBody)
    def get(self, args: dict[str, Any]) -> list[dict[str, Any]]:
        """Projects the caller may see by project code, building unit code, address or name."""
        return inspect.search_rows(api_user(), args["q"])


@certificates_bp.route("/<project>/<code>")
class CertificateView(MethodView):
    @certificates_bp.response(200, CertificateCheck)
    @certificates_bp.alt_response(404, schema=ErrorBody)
    @certificates_bp.doc(security=[])
    def get(self, project: str, code: str) -> dict[str, Any]:
        """Whether the certificate with this verification code is genuine (public)."""
        return verify.by_code(project, code)


@certificates_bp.route("")
class CertificateHashView(MethodView):
    @certificates_bp.arguments(HashQuery, location="query")
    @certificates_bp.response(200, CertificateCheck)
    @certificates_bp.alt_response(404, schema=ErrorBody)
    @certificates_bp.alt_response(422, schema=ErrorBody)
    @certificates_bp.doc(security=[])
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Whether the certificate whose PDF has this SHA-256 is genuine (public)."""
        return verify.by_hash(args["sha256"])


#: Blueprints that need the bearer token; ``certificates_bp`` is public.
PRIVATE = (sets_bp, search_bp, packages_bp)
BLUEPRINTS = (*PRIVATE, certificates_bp)

for _bp in PRIVATE:
    _bp.before_request(_bearer)
