"""Sheet register and sheet viewer pages: pan/zoom on a sheet's tile pyramid, sheet
coordinates under the cursor, a distance tool, the sheet's layouts (see :mod:`web.viewer`).
"""

from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, Response, abort, jsonify, render_template, request, url_for
from flask_login import current_user, login_required

from storage.errors import NotFound
from web import viewer
from web.jobs import jobs

bp = Blueprint("sheets", __name__)

_FULL_ID = re.compile(r"^[0-9a-f]{64}$")


@bp.route("/projects/<code>/sheets")
@login_required
def index(code: str) -> Any:
    rev = request.args.get("version") or "head"
    data = viewer.register(current_user.name, code, rev[:100])
    return render_template("sheets/register.html", rev=rev, **data)


def _ref(code: str, rev: str, number: str) -> viewer.SheetRef:
    layout = viewer.check_layout_param(request.args.get("layout"))
    return viewer.resolve(current_user.name, code, rev, number, layout)


@bp.route("/projects/<code>/versions/<rev>/sheets/<number>")
@login_required
def show(code: str, rev: str, number: str) -> Any:
    from web import review

    ref = _ref(code, rev, number)
    data = review.opinions(current_user.name, code, sheet=number)
    data["opinions"] = [o for o in data["opinions"] if o["anchor"]["type"] in ("point", "rect")]
    return render_template("sheets/viewer.html", review=data, **viewer_context(ref))


def viewer_context(ref: viewer.SheetRef) -> dict[str, Any]:
    """What ``sheets/_viewer.html`` needs to show ``ref`` (the viewer, compare, review)."""
    base = url_for("sheets.tile", code=ref.access.project, rev=ref.version, number=ref.number,
                   z=0, x=0, y=0)
    return {"ref": ref, "layouts": viewer.layouts_of(ref.entry, ref.number),
            "pyramid": viewer.pyramid(ref),
            "tile_url": base.replace("/tiles/0/0/0.png", "/tiles/{z}/{x}/{y}.png"),
            "pyramid_url": url_for("sheets.pyramid", code=ref.access.project, rev=ref.version,
                                   number=ref.number, layout=ref.layout or None)}


@bp.route("/projects/<code>/versions/<rev>/sheets/<number>/pyramid", methods=["GET", "POST"])
@login_required
def pyramid(code: str, rev: str, number: str) -> Any:
    """POST: start the pyramid job (CSRF checked); GET: the pyramid, and ``?job=`` its job."""
    ref = _ref(code, rev, number)
    if request.method == "POST":
        job = viewer.start_pyramid(ref, current_user.name)
        return jsonify({"job": job, **viewer.pyramid(ref)}), 202 if job else 200
    out: dict[str, Any] = viewer.pyramid(ref)
    job_id = request.args.get("job")
    if job_id:
        state = jobs().get(job_id[:64], owner=current_user.name)
        if state.get("project") != ref.access.project:
            raise NotFound(f"任务不存在 no such job: {job_id[:40]!r}")
        out["job"] = {k: state.get(k) for k in ("id", "state", "progress", "error")}
    return jsonify(out)


@bp.route("/projects/<code>/versions/<rev>/sheets/<number>/tiles/<int:z>/<int:x>/<int:y>.png")
@login_required
def tile(code: str, rev: str, number: str, z: int, x: int, y: int) -> Any:
    """One tile: the URL names a full version id, so its bytes never change (cached a year)."""
    if not _FULL_ID.match(rev):
        abort(404)
    ref = _ref(code, rev, number)
    return tile_response(ref, z, x, y)


def tile_response(ref: viewer.SheetRef, z: int, x: int, y: int) -> Response:
    tag = viewer.etag(ref, z, x, y)
    if request.if_none_match.contains(tag):
        resp = Response(status=304)
    else:
        resp = Response(viewer.tile(ref, z, x, y), mimetype="image/png")
    resp.set_etag(tag)
    resp.headers["Cache-Control"] = viewer.TILE_CACHE
    return resp
