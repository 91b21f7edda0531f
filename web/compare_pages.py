"""Compare pages: two set versions sheet by sheet, and one sheet's two revisions with the
overlay of its changes in the viewer, the change list beside it (filter by kind and layer,
``n``/``p`` for the next/previous cluster) and, for reviewers, accept/query per change."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from web import compare
from web.sheets import viewer_context

bp = Blueprint("compare", __name__)


def _revs() -> tuple[str, str]:
    return (request.args.get("old") or "head~1")[:100], (request.args.get("new") or "head")[:100]


@bp.route("/projects/<code>/compare")
@login_required
def versions(code: str) -> Any:
    old, new = _revs()
    data = compare.set_compare(current_user.name, code, old, new)
    return render_template("compare/versions.html", old_rev=old, new_rev=new, **data)


@bp.route("/projects/<code>/compare/<number>")
@login_required
def sheet(code: str, number: str) -> Any:
    old, new = _revs()
    data = compare.sheet_compare(current_user.name, code, old, new, number,
                                 request.args.get("layout"))
    return render_template("compare/sheet.html", **{**data, **viewer_context(data["ref"])},
                           changes_url=url_for("compare.changes", code=code, number=number,
                                               old=data["old"], new=data["new"],
                                               layout=data["ref"].layout or None))


@bp.route("/projects/<code>/compare/<number>/changes")
@login_required
def changes(code: str, number: str) -> Any:
    """The sheet's changes and clusters as JSON, for the page's list and overlay."""
    old, new = _revs()
    data = compare.sheet_compare(current_user.name, code, old, new, number,
                                 request.args.get("layout"))
    return jsonify(compare.json_of(data))


@bp.route("/projects/<code>/compare/<number>/marks", methods=["POST"])
@login_required
def mark(code: str, number: str) -> Any:
    """A reviewer accepts or queries one change (a query becomes an opinion)."""
    form = request.form
    out = compare.mark(current_user.name, code, number, (form.get("change_id") or "")[:100],
                       form.get("mark") or "", text=(form.get("text") or "").strip() or None,
                       category=form.get("category") or "general")
    if out["opinion"] is not None:
        flash(_("Change %(c)s queried: opinion %(n)s", c=out["change_id"], n=out["opinion"]),
              "ok")
    else:
        flash(_("Change %(c)s accepted", c=out["change_id"]), "ok")
    return redirect(url_for("compare.sheet", code=code, number=number, old=form.get("old"),
                            new=form.get("new")), code=303)
