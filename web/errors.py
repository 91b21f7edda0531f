"""Errors: pages for people, ``{"error": {"code", "message"}}`` for the API, with the CLI's
meaning as the HTTP status (invalid 422, conflict 409, not found 404, forbidden 403); never a
traceback (an unexpected error is logged and answered as a plain 500)."""

from __future__ import annotations

import re
from typing import Any

from flask import Flask, jsonify, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import HTTPException

import workflow
from storage.errors import (
    AmbiguousId,
    Conflict,
    IntegrityError,
    InvalidInput,
    NotFound,
    StorageUnavailable,
    YitaotuError,
)


def status_of(e: YitaotuError) -> int:
    """The CLI's meaning as HTTP: invalid 422, conflict 409, not found 404, forbidden 403."""
    if isinstance(e, workflow.Forbidden):
        return 403
    if isinstance(e, NotFound | AmbiguousId):
        return 404
    if isinstance(e, Conflict):
        return 409
    if isinstance(e, InvalidInput):
        return 422
    if isinstance(e, IntegrityError | StorageUnavailable):
        return 503
    return 400


TITLES = {
    400: _l("Bad request"), 401: _l("Please log in"), 403: _l("Not allowed"),
    404: _l("Not found"), 405: _l("Method not allowed"), 409: _l("Conflict"),
    413: _l("Upload too large"), 422: _l("Invalid input"), 429: _l("Too many requests"),
    500: _l("Internal error"), 503: _l("Unavailable"),
}


def page(status: int, message: str) -> Any:
    return render_template("error.html", status=status, title=str(TITLES.get(status, _l("Error"))),
                           message=message), status


def is_api() -> bool:
    return request.path == "/api/v1" or request.path.startswith("/api/v1/")


def code_of(e: Exception) -> str:
    """``TransitionNotAllowed`` -> ``transition_not_allowed``."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", type(e).__name__).lower()


def body(code: str, message: str, status: int, **extra: Any) -> Any:
    return jsonify({"error": {"code": code, "message": message, **extra}}), status


def _validation_message(e: HTTPException) -> str:
    """webargs puts the fields' complaints in ``e.data["messages"]``: say them in one line."""
    messages = (getattr(e, "data", None) or {}).get("messages") or {}
    parts = []
    for where, fields in messages.items():
        for field, why in (fields.items() if isinstance(fields, dict) else [(where, fields)]):
            parts.append(f"{field}: {'; '.join(map(str, why)) if isinstance(why, list) else why}")
    return "无效的请求 invalid request: " + ", ".join(parts) if parts else (e.description or "")


def init_app(app: Flask) -> None:
    from web.api import TooMany, Unauthorized

    @app.errorhandler(YitaotuError)
    def ours(e: YitaotuError) -> Any:
        status = status_of(e)
        if is_api():
            extra: dict[str, Any] = {}
            if isinstance(e, workflow.TransitionNotAllowed):
                extra = {"reason": e.reason, "allowed": list(e.allowed)}
            return body(code_of(e), e.message, status, **extra)
        return page(status, e.message)

    @app.errorhandler(Unauthorized)
    def unauthorized(e: Unauthorized) -> Any:
        resp, status = body("unauthorized", e.message, 401)
        resp.headers["WWW-Authenticate"] = 'Bearer realm="yitaotu"'
        return resp, status

    @app.errorhandler(TooMany)
    def too_many(e: TooMany) -> Any:
        resp, status = body("too_many_requests", f"登录失败次数过多 too many failed logins: "
                            f"retry in {e.seconds} s", 429)
        resp.headers["Retry-After"] = str(e.seconds)
        return resp, status

    @app.errorhandler(HTTPException)
    def http(e: HTTPException) -> Any:
        status = e.code or 500
        if is_api():
            message = _validation_message(e) if status == 422 else (e.description or e.name)
            code = "invalid_input" if status == 422 else e.name.lower().replace(" ", "_")
            return body(code, message, status)
        return page(status, e.description or "")

    @app.errorhandler(Exception)
    def unexpected(e: Exception) -> Any:
        app.logger.exception("internal error")
        if is_api():
            return body("internal", "内部错误 internal error (logged)", 500)
        return page(500, _("Something went wrong on our side; it has been logged."))
