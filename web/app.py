"""The app factory: extensions, security headers, blueprints, error pages."""

from __future__ import annotations

from typing import Any

from flask import Flask

from web.store import Store

#: Largest request body the app reads; the upload limits of ``storage.limits`` apply inside.
DEFAULT_MAX_CONTENT = 4 * 1024**3


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
        MAX_CONTENT_LENGTH=DEFAULT_MAX_CONTENT,
        WTF_CSRF_TIME_LIMIT=None,
        JSON_SORT_KEYS=False,
        YITAOTU_REDIS_URL=settings.redis_url,
        YITAOTU_LOGIN_LIMIT="5/minute",
    )
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
    from web.inspect import bp as inspect_bp
    from web.projects import bp as projects_bp
    from web.sets import bp as sets_bp
    from web.uploads import bp as uploads_bp
    from web.verify import bp as verify_bp

    return [auth_bp, projects_bp, uploads_bp, sets_bp, verify_bp, inspect_bp]
