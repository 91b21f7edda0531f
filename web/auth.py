"""Accounts: log in and out (flask-login sessions), the language switch, the current user.

Passwords are checked by ``workflow.authenticate`` (argon2); failed logins are throttled per
user name and per address (``web.security.LoginThrottle``).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Flask,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import LoginManager, UserMixin, current_user, login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

import workflow
from storage.errors import NotFound
from web.i18n import COOKIE, LOCALES
from web.store import Store

bp = Blueprint("auth", __name__)
login_manager = LoginManager()


@dataclass(frozen=True)
class WebUser(UserMixin):
    """The logged-in person as the pages need them (no ORM object outlives its session)."""

    name: str
    display_name: str | None
    organisation: str
    #: ``workflow.session_stamp``: a new password ends the sessions of the old one.
    stamp: str

    def get_id(self) -> str:
        return f"{self.stamp}:{self.name}"

    @property
    def label(self) -> str:
        return f"{self.display_name or self.name} · {self.organisation}"


def store() -> Store:
    return current_app.extensions["yitaotu.store"]


def web_user(s: Any, u: Any) -> WebUser:
    return WebUser(name=u.name, display_name=u.display_name, organisation=u.organisation.name,
                   stamp=workflow.session_stamp(s, u))


@login_manager.user_loader
def load_user(session_id: str) -> WebUser | None:
    stamp, _, name = session_id.partition(":")
    try:
        with store().session(write=False) as s:
            user = web_user(s, workflow.get_user(s, name))
    except NotFound:
        return None
    return user if secrets.compare_digest(user.stamp, stamp) else None


class LoginForm(FlaskForm):
    user = StringField(_l("User name"), validators=[DataRequired(), Length(max=100)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=1024)])


def _safe_next(target: str | None) -> str:
    """Only a path on this site (no ``//host`` or scheme: no open redirect)."""
    if target and target.startswith("/") and not target.startswith("//") and \
            not urlsplit(target).netloc and "\\" not in target:
        return target
    return url_for("projects.index")


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        throttle = current_app.extensions["yitaotu.throttle"]
        addr = request.remote_addr or "-"
        name = form.user.data or ""
        if throttle.blocked(name, addr):
            flash(_("Too many failed logins: try again in %(n)s seconds.",
                    n=throttle.retry_after(name, addr)), "error")
            return render_template("login.html", form=form), 429
        try:
            with store().session() as s:
                user = web_user(s, workflow.authenticate(s, name, form.password.data or ""))
        except workflow.LoginFailed:
            throttle.failed(name, addr)
            flash(_("Wrong user name or password."), "error")
            status = 401
        else:
            login_user(user)
            return redirect(_safe_next(request.args.get("next")))
    elif request.method == "POST":
        status = 400
    return render_template("login.html", form=form), status


@bp.route("/logout", methods=["POST"])
def logout() -> Any:
    logout_user()
    return redirect(url_for("auth.login"))


@bp.route("/lang/<lang>", methods=["POST"])
def set_language(lang: str) -> Any:
    """The language switch (a form, so it carries the CSRF token like every other)."""
    resp = redirect(_safe_next(request.form.get("next")))
    if lang in LOCALES:
        resp.set_cookie(COOKIE, lang, max_age=365 * 86400, samesite="Lax", httponly=True)
    return resp


def init_app(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please log in.")
    login_manager.login_message_category = "info"
    login_manager.localize_callback = str  # the lazy string, in the request's language
    app.context_processor(lambda: {"me": current_user})
