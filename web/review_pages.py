"""Review pages: the opinions list (affected first) with replies and close/reopen, and the
opinion placed on the sheet viewer (a click for a point, a drag for a box)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from storage.errors import InvalidInput
from storage.numbers import db_int
from web import review

bp = Blueprint("review", __name__)


def _local(target: str | None, fallback: str) -> str:
    """Where to go back to: a path of this site only."""
    if not target:
        return fallback
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return fallback
    return target


@bp.route("/projects/<code>/opinions")
@login_required
def index(code: str) -> Any:
    sheet = (request.args.get("sheet") or "")[:100] or None
    sub = request.args.get("submission")
    data = review.opinions(current_user.name, code, sheet=sheet,
                           submission=db_int(sub, "submission") if sub else None)
    return render_template("review/opinions.html", sheet=sheet, **data)


@bp.route("/projects/<code>/opinions", methods=["POST"])
@login_required
def add(code: str) -> Any:
    form = request.form
    kind = form.get("kind") or ""
    o = review.add(current_user.name, code, sheet=(form.get("sheet") or "")[:100], kind=kind,
                   coords=review.parse_coords(form.get("coords") or "", kind),
                   category=form.get("category") or "", text=(form.get("text") or "")[:20000])
    flash(_("Opinion %(n)s added", n=o["number"]), "ok")
    return redirect(_local(form.get("next"), url_for("review.index", code=code)), code=303)


@bp.route("/projects/<code>/opinions/<int:number>/<action>", methods=["POST"])
@login_required
def act(code: str, number: int, action: str) -> Any:
    form = request.form
    if action not in review.ACTIONS:
        raise InvalidInput(f"未知操作 unknown action {action[:40]!r}")
    lock = db_int(form["expect_lock"], "expect_lock") if form.get("expect_lock") else None
    review.act(current_user.name, code, number, action, (form.get("text") or "")[:20000],
               expect_lock=lock)
    flash({"reply": _("Reply recorded"), "close": _("Opinion closed"),
           "reopen": _("Opinion reopened")}[action], "ok")
    return redirect(_local(form.get("next"), url_for("review.index", code=code)), code=303)
