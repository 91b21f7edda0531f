"""The set: its log (versions, refs, reflog), the sheet register of any version with
thumbnails, and "the set in force on date D" with the audit entries that prove it.

Thumbnails come from drawings' tile cache (``drawings.render.tiles``); a missing one is
rendered by a job (never inside the request) and the page swaps it in when the job ends
(``static/register.js``).  The page data functions are shared with the JSON API.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from flask import Blueprint, Response, render_template, request
from flask_login import current_user, login_required

import workflow
from drawings import registry
from storage.display import quote
from storage.errors import InvalidInput, NotFound
from web.auth import store
from web.jobs import jobs

bp = Blueprint("sets", __name__)

THUMB = 256
#: What a thumbnail not drawn yet shows.
PENDING = Path(__file__).resolve().parent / "static" / "thumb-pending.svg"


def tile_cache(settings: Any) -> Any:
    """The home's tile cache; it reads a blob's drawing only when a sheet is not cached."""
    import drawings
    from drawings.render.tiles import TileCache

    def load(blob_id: str) -> Any:
        from web.store import Store

        data = Store(settings).blobs.read_bytes(blob_id, verify=True)
        return drawings.read(data, name=blob_id[:12])

    return TileCache.for_home(settings.home, load)


def layout_of(entry: dict[str, Any]) -> str:
    """The tile cache's layout key of a manifest entry: a PDF page by number, else the
    drawing's first sheet with content."""
    page = entry.get("page")
    return str(page) if page else ""


def thumb_cached(cache: Any, entry: dict[str, Any]) -> bool:
    return (cache.sheet_dir(entry["blob"], layout_of(entry)) / f"thumb-{THUMB}.png").is_file()


def log_data(user: str, code: str, ref: str | None = None) -> dict[str, Any]:
    """Every version of the project, or those reachable from ``ref`` (newest first), with
    the refs at each; and the reflog.  (The workflow's versions — an approval's, a change's —
    are not all ancestors of ``head``.)"""
    with store().session(write=False) as s:
        access = workflow.project_access(s, user, code)
        refs = registry.refs(s, access.project)
        found = registry.log(s, access.project, ref) if ref else \
            registry.list_versions(s, access.project)
        versions = [v.to_dict() for v in found]
        reflog = [e.to_dict() for e in registry.reflog(s, access.project)]
    names: dict[str, list[str]] = {}
    for name, vid in sorted(refs.items()):
        names.setdefault(vid, []).append(name)
    for v in versions:
        v["refs"] = names.get(v["id"], [])
    for e in reflog:
        e.pop("signature", None)
    return {"project": access.project, "ref": ref, "refs": refs, "versions": versions,
            "reflog": reflog}


def register_data(user: str, code: str, rev: str) -> dict[str, Any]:
    """The sheet register of one version: 图号, 图名, 专业, 版次, format, blob."""
    with store().session(write=False) as s:
        access = workflow.project_access(s, user, code)
        v = registry.resolve_version(s, access.project, rev)
        disciplines = workflow.sheet_disciplines(s, access.project, v.id)
        sheets = []
        for no, e in sorted(v.manifest.items()):
            sr = registry.get_sheet(s, e["blob"], e.get("page"))
            sheets.append({"number": no, "title": e.get("title") or sr.title,
                           "discipline": disciplines.get(no) or sr.discipline,
                           "revision": sr.revision, "scale": sr.scale, "format": e["format"],
                           "blob": e["blob"], "page": e.get("page")})
        version = v.to_dict()
        refs = registry.refs(s, access.project)
    version["refs"] = sorted(n for n, vid in refs.items() if vid == version["id"])
    return {"project": access.project, "rev": rev, "version": version, "sheets": sheets}


def in_force_data(user: str, code: str, at: str | None) -> dict[str, Any]:
    """``workflow.set_in_force`` at ``at`` (any time the CLI takes; default now)."""
    when = workflow.parse_time(at) if at else workflow.utcnow()
    with store().session(write=False) as s:
        access = workflow.project_access(s, user, code)
        data = workflow.set_in_force(s, access.project, when)
    return data


def start_thumbnails(project: str, sheets: list[dict[str, Any]]) -> str | None:
    """A job rendering the thumbnails not cached yet (None: all are)."""
    cache = tile_cache(store().settings)
    missing = [{"blob": x["blob"], "page": x["page"]} for x in sheets
               if not thumb_cached(cache, x)]
    if not missing:
        return None
    return jobs().submit("thumbnails", owner=current_user.name, project=project,
                         sheets=missing)


@bp.route("/projects/<code>/log")
@login_required
def log(code: str) -> Any:
    ref = (request.args.get("ref") or "").strip() or None
    return render_template("sets/log.html", **log_data(current_user.name, code, ref))


@bp.route("/projects/<code>/versions/<rev>")
@login_required
def register(code: str, rev: str) -> Any:
    data = register_data(current_user.name, code, rev)
    job = start_thumbnails(data["project"], data["sheets"])
    return render_template("sets/register.html", job=job, **data)


@bp.route("/projects/<code>/versions/<rev>/thumbs/<path:sheet>.png")
@login_required
def thumbnail(code: str, rev: str, sheet: str) -> Any:
    """A sheet's cached thumbnail; while it is being rendered, a placeholder (no-store)."""
    with store().session(write=False) as s:
        access = workflow.project_access(s, current_user.name, code)
        entry = registry.resolve_version(s, access.project, rev).manifest.get(sheet)
    if entry is None:
        raise NotFound(f"图纸不存在 no such sheet: {quote(sheet)}")
    cache = tile_cache(store().settings)
    path = cache.sheet_dir(entry["blob"], layout_of(entry)) / f"thumb-{THUMB}.png"
    try:
        body = path.read_bytes()
    except FileNotFoundError:
        resp = Response(PENDING.read_bytes(), mimetype="image/svg+xml")
        resp.headers["Cache-Control"] = "no-store"
        resp.headers["X-Thumbnail"] = "pending"
        return resp
    resp = Response(body, mimetype="image/png")
    resp.headers["Cache-Control"] = "private, max-age=86400, immutable"
    return resp


@bp.route("/projects/<code>/in-force")
@login_required
def in_force(code: str) -> Any:
    at = (request.args.get("at") or "").strip() or None
    with store().session(write=False) as s:
        access = workflow.project_access(s, current_user.name, code)
    try:
        data = in_force_data(current_user.name, access.project, at)
    except (InvalidInput, LookupError) as e:
        return render_template("sets/in_force.html", project=access.project, at=at,
                               data=None, problem=getattr(e, "message", str(e))), \
            422 if isinstance(e, InvalidInput) else 404
    return render_template("sets/in_force.html", project=access.project, at=at, data=data,
                           problem=None)


def china_time(iso: str) -> str:
    """An ISO instant as China time, to the minute (the pages' clock)."""
    dt = datetime.fromisoformat(iso)
    return dt.astimezone(workflow.CHINA_TZ).strftime("%Y-%m-%d %H:%M")


@bp.app_template_filter("china_time")
def _china_time(iso: str | None) -> str:
    return china_time(iso) if iso else ""
