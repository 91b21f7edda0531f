"""Errors as pages: our errors with their message and the CLI's meaning as the HTTP status,
never a traceback (an unexpected one is logged and shown as a plain 500 page)."""

from __future__ import annotations

from typing import Any

from flask import Flask, render_template, request
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


def init_app(app: Flask) -> None:
    @app.errorhandler(YitaotuError)
    def ours(e: YitaotuError) -> Any:
        if request.blueprint == "api":
            raise e  # the API blueprint answers in JSON
        return page(status_of(e), e.message)

    @app.errorhandler(HTTPException)
    def http(e: HTTPException) -> Any:
        if request.blueprint == "api":
            return e
        return page(e.code or 500, e.description or "")

    @app.errorhandler(Exception)
    def unexpected(e: Exception) -> Any:
        app.logger.exception("internal error")
        return page(500, _("Something went wrong on our side; it has been logged."))
