"""The JSON API under ``/api/v1`` (flask-smorest: the OpenAPI document is generated from this
module and served at ``/api/v1/openapi.json``).

Bearer tokens only (``POST /api/v1/auth/token``): no cookie session, so no CSRF to forge.
Every error is ``{"error": {"code", "message"}}`` with the CLI's meaning as the status
(``web.errors``); a refused workflow event adds ``reason`` and ``allowed``.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

import marshmallow as ma
from flask import Flask, current_app, g, request
from flask.views import MethodView
from flask_smorest import Api, Blueprint

import workflow
from storage.errors import InvalidInput
from web import signoffs
from web.auth import store
from web.jobs import jobs
from web.security import csrf

PREFIX = "/api/v1"


class Error(ma.Schema):
    code = ma.fields.String(required=True)
    message = ma.fields.String(required=True)
    reason = ma.fields.String()
    allowed = ma.fields.List(ma.fields.String())


class ErrorBody(ma.Schema):
    error = ma.fields.Nested(Error, required=True)


class YitaotuApi(Api):
    """Our error shape for the documented default errors; web.errors answers them."""

    ERROR_SCHEMA = ErrorBody

    def _register_error_handlers(self) -> None:
        pass


class TokenRequest(ma.Schema):
    user = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=100))
    password = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=1024))


class Token(ma.Schema):
    token = ma.fields.String(required=True)


class ProjectRow(ma.Schema):
    code = ma.fields.String(required=True)
    name = ma.fields.String(required=True)
    location = ma.fields.String(allow_none=True)
    state = ma.fields.String(required=True)
    label = ma.fields.String(required=True)


class ProjectStatus(ma.Schema):
    project = ma.fields.String(required=True)
    name = ma.fields.String(required=True)
    state = ma.fields.String(required=True)
    label = ma.fields.String(required=True)
    lock = ma.fields.Integer(required=True)
    refs = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.String())
    parties = ma.fields.List(ma.fields.Dict())
    roles = ma.fields.List(ma.fields.String())
    read_only = ma.fields.Boolean()
    allowed = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.List(ma.fields.String()))
    submissions = ma.fields.List(ma.fields.Dict())
    changes = ma.fields.List(ma.fields.Dict())
    certificates = ma.fields.List(ma.fields.Dict())


class EventRequest(ma.Schema):
    record = ma.fields.String(validate=ma.validate.Length(max=40),
                              metadata={"description": "S-1, C-2, M-1 … (none: the project "
                                                       "or the only record it can apply to)"})
    version = ma.fields.String(validate=ma.validate.Length(max=200))
    text = ma.fields.String(validate=ma.validate.Length(max=20000))
    kind = ma.fields.String(validate=ma.validate.Length(max=40))
    expect_lock = ma.fields.Integer(strict=True, validate=ma.validate.Range(-2**31, 2**31 - 1),
                                    metadata={"description": "fail with 409 if the record "
                                                             "changed since this lock"})


class EventOutcome(ma.Schema):
    seq = ma.fields.Integer(required=True)
    event = ma.fields.String(required=True)
    actor = ma.fields.String(required=True)
    at = ma.fields.String(required=True)
    hash = ma.fields.String(required=True)
    payload = ma.fields.Dict()
    follow = ma.fields.List(ma.fields.Dict())


class Upload(ma.Schema):
    """multipart/form-data: ``files`` (many) and ``message`` (read from the form)."""

    files = ma.fields.List(ma.fields.Raw(metadata={"type": "string", "format": "binary"}),
                           required=True)
    message = ma.fields.String(metadata={"description": "版本说明 the version's message"})


class JobRef(ma.Schema):
    job = ma.fields.String(required=True)


class Job(ma.Schema):
    id = ma.fields.String(required=True)
    task = ma.fields.String()
    project = ma.fields.String(allow_none=True)
    state = ma.fields.String(required=True, metadata={"description": "queued, running, "
                                                                     "finished, failed"})
    progress = ma.fields.Dict(allow_none=True)
    result = ma.fields.Dict(allow_none=True)
    error = ma.fields.Nested(Error, allow_none=True)
    created = ma.fields.String()
    started = ma.fields.String()
    ended = ma.fields.String()


auth_bp = Blueprint("api_auth", __name__, url_prefix=f"{PREFIX}/auth",
                    description="登录 Bearer tokens")
projects_bp = Blueprint("api_projects", __name__, url_prefix=f"{PREFIX}/projects",
                        description="项目与签署 Projects and workflow events")
jobs_bp = Blueprint("api_jobs", __name__, url_prefix=f"{PREFIX}/jobs",
                    description="任务 Long-running jobs")


def api_user() -> str:
    return g.api_user


@auth_bp.route("/token")
class TokenView(MethodView):
    @auth_bp.doc(security=[])
    @auth_bp.arguments(TokenRequest)
    @auth_bp.response(200, Token)
    @auth_bp.alt_response(401, schema=ErrorBody)
    @auth_bp.alt_response(429, schema=ErrorBody)
    def post(self, body: dict[str, str]) -> dict[str, str]:
        """A bearer token for a user name and password (throttled like the login page)."""
        throttle = current_app.extensions["yitaotu.throttle"]
        addr = request.remote_addr or "-"
        if throttle.blocked(body["user"], addr):
            raise TooMany(throttle.retry_after(body["user"], addr))
        try:
            with store().session() as s:
                u = workflow.authenticate(s, body["user"], body["password"])
                return {"token": workflow.issue_token(s, u.name)}
        except workflow.LoginFailed as e:
            throttle.failed(body["user"], addr)
            raise Unauthorized(e.message) from None


class Unauthorized(Exception):
    def __init__(self, message: str) -> None:
        self.message = message


class TooMany(Exception):
    def __init__(self, seconds: int) -> None:
        self.seconds = seconds


@projects_bp.route("")
class ProjectsView(MethodView):
    @projects_bp.response(200, ProjectRow(many=True))
    def get(self) -> list[dict[str, Any]]:
        """The projects the caller may see."""
        with store().session(write=False) as s:
            return workflow.project_rows(s, api_user())


@projects_bp.route("/<code>")
class ProjectView(MethodView):
    @projects_bp.response(200, ProjectStatus)
    @projects_bp.alt_response(404, schema=ErrorBody)
    def get(self, code: str) -> dict[str, Any]:
        """Where the project stands and what the caller may do now."""
        with store().session(write=False) as s:
            access = workflow.project_access(s, api_user(), code)
            st = workflow.status(s, access.project, user=api_user())
        you = st.get("you") or {}
        return {**st, "roles": sorted(r.value for r in access.roles),
                "read_only": access.read_only,
                "allowed": {} if access.read_only else you.get("allowed", {})}


@projects_bp.route("/<code>/events/<event>")
class EventView(MethodView):
    @projects_bp.arguments(EventRequest)
    @projects_bp.response(200, EventOutcome)
    @projects_bp.alt_response(403, schema=ErrorBody)
    @projects_bp.alt_response(404, schema=ErrorBody)
    @projects_bp.alt_response(409, schema=ErrorBody)
    @projects_bp.alt_response(422, schema=ErrorBody)
    def post(self, body: dict[str, Any], code: str, event: str) -> dict[str, Any]:
        """Take a workflow event (``submit``, ``accept_review``, ``return``, ``approve``,
        ``confirm_change`` …); refused → 409 with the reason and the events allowed now."""
        return signoffs.take(store(), api_user(), code, event, record=body.get("record"),
                             version=body.get("version"), text=body.get("text"),
                             kind=body.get("kind"), expect_lock=body.get("expect_lock"))


@projects_bp.route("/<code>/uploads")
class UploadView(MethodView):
    @projects_bp.arguments(Upload, location="files")
    @projects_bp.response(202, JobRef)
    @projects_bp.alt_response(404, schema=ErrorBody)
    @projects_bp.alt_response(413, schema=ErrorBody)
    @projects_bp.alt_response(422, schema=ErrorBody)
    def post(self, _files: dict[str, Any], code: str) -> dict[str, str]:
        """Upload sheets (many files, zips): a job that ingests them into ``head``; poll
        ``GET /api/v1/jobs/{job}``. Refused files are named in the job's error and nothing
        is stored."""
        return {"job": start_upload(code, request.files.getlist("files"),
                                    request.form.get("message", ""), api_user())}


def start_upload(code: str, files: list[Any], message: str, user: str) -> str:
    """Save the uploaded files (names reduced to a base name) and queue their ingest; the
    design firm of the project only (the one who uploads sheets)."""
    with store().session(write=False) as s:
        access = workflow.project_access(s, user, code)
    if access.read_only or workflow.Role.design not in access.roles:
        raise workflow.Forbidden(f"{user} 无权上传图纸 may not upload sheets to "
                                 f"{access.project}: only the design firm")
    if not files:
        raise InvalidInput("须上传文件 no file uploaded (multipart field `files`)")
    folder = Path(store().settings.home) / "web-uploads" / secrets.token_hex(12)
    for i, f in enumerate(files):
        name = safe_name(f.filename or "")
        dst = folder / str(i) / name
        dst.parent.mkdir(parents=True, exist_ok=True)
        f.save(dst)
    return jobs().submit("upload", owner=user, project=access.project, folder=str(folder),
                         message=message or "网页上传 web upload", author=user)


def safe_name(name: str) -> str:
    """A file's base name as the client sent it, with no directory in it."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1].strip()
    if base in ("", ".", "..") or "\x00" in base or len(base.encode("utf-8", "replace")) > 255:
        raise InvalidInput(f"无效的文件名 invalid file name {name[:100]!r}")
    return base


@jobs_bp.route("/<job_id>")
class JobView(MethodView):
    @jobs_bp.response(200, Job)
    @jobs_bp.alt_response(404, schema=ErrorBody)
    def get(self, job_id: str) -> dict[str, Any]:
        """A job's state, progress and result (the new set version) — its submitter only."""
        return jobs().get(job_id, owner=api_user())


BLUEPRINTS = (auth_bp, projects_bp, jobs_bp)


def _bearer() -> None:
    """Every API call but the token request carries ``Authorization: Bearer TOKEN``."""
    if request.endpoint in (None, "api_auth.TokenView") or request.method == "OPTIONS":
        return
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    user = None
    if scheme.lower() == "bearer" and token.strip():
        with store().session(write=False) as s:
            u = workflow.user_for_token(s, token.strip())
            user = u.name if u is not None else None
    if user is None:
        raise Unauthorized("须登录 authentication required: Authorization: Bearer TOKEN "
                           "(POST /api/v1/auth/token)")
    g.api_user = user


for _bp in BLUEPRINTS:
    _bp.before_request(_bearer)


def init_app(app: Flask) -> None:
    app.config.update(API_TITLE="yitaotu 一套图", API_VERSION="v1", OPENAPI_VERSION="3.0.3",
                      OPENAPI_URL_PREFIX=PREFIX, OPENAPI_JSON_PATH="openapi.json")
    api = YitaotuApi(app, spec_kwargs={"components": {"securitySchemes": {
        "bearer": {"type": "http", "scheme": "bearer"}}}, "security": [{"bearer": []}]})
    for bp in (*BLUEPRINTS, *more_blueprints()):
        csrf.exempt(bp)
        api.register_blueprint(bp)


def more_blueprints() -> list[Blueprint]:
    """The API of the other areas (each module registers :func:`_bearer` on its blueprint)."""
    from web import api_pages
    from web.api_map import bp as geomap
    from web.api_sheets import bp as sheets

    return [sheets, geomap, *api_pages.BLUEPRINTS]
