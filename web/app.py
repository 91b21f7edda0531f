"""The app factory: extensions, security headers, blueprints, error pages."""

from __future__ import annotations

import os
from typing import Any

from flask import Flask

from web.store import Store

#: Room for the form fields and multipart framing around an upload's files.
FORM_SLACK = 1 << 20


def max_content() -> int:
    """The largest request body read: an upload's total (``YITAOTU_MAX_UPLOAD_TOTAL``, as
    ingest counts it) plus the form around it; a larger one is refused (413) unread."""
    from drawings import UploadLimits

    return UploadLimits.from_env().total + FORM_SLACK


def create_app(settings: Any, **config: Any) -> Flask:
    """One app on the home ``settings`` describes; ``config`` overrides Flask settings
    (tests: ``TESTING=True``, ``WTF_CSRF_ENABLED=False``…)."""
    from web import api, auth, errors, i18n, jobs, security

    app = Flask(__name__)
    store = Store(settings)
    app.extensions["yitaotu.store"] = store
    app.config.update(
        SECRET_KEY=store.secret_key(),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_NAME="yitaotu_session",
        REMEMBER_COOKIE_HTTPONLY=True,
        MAX_CONTENT_LENGTH=max_content(),
        WTF_CSRF_TIME_LIMIT=None,
        JSON_SORT_KEYS=False,
        YITAOTU_REDIS_URL=settings.redis_url,
        YITAOTU_LOGIN_LIMIT="5/minute",
    )
    if os.environ.get("YITAOTU_SECURE_COOKIES", "") in ("1", "true", "yes"):
        app.config.update(SESSION_COOKIE_SECURE=True, REMEMBER_COOKIE_SECURE=True)
    app.config.update(config)
    i18n.init_app(app)
    security.init_app(app)
    auth.init_app(app)
    jobs.init_app(app)
    api.init_app(app)
    errors.init_app(app)
    for bp in blueprints():
        app.register_blueprint(bp)
    return app


def blueprints() -> list[Any]:
    """Every area of the app; a new area adds its blueprint here (web/README.md)."""
    from web.auth import bp as auth_bp
    from web.compare_pages import bp as compare_bp
    from web.geomap import bp as map_bp
    from web.inspect import bp as inspect_bp
    from web.projects import bp as projects_bp
    from web.review_pages import bp as review_bp
    from web.sets import bp as sets_bp
    from web.sheets import bp as sheets_bp
    from web.uploads import bp as uploads_bp
    from web.verify import bp as verify_bp

    return [auth_bp, projects_bp, uploads_bp, sets_bp, sheets_bp, compare_bp, review_bp,
            verify_bp, inspect_bp, map_bp]
