"""The inspector's portal: search what the user may see by project code, building unit code,
address or name; the set in force on a date with its proof; that set as a zip to take away
(made by a job: ``workflow.inspect_pull``, the signed package ``yitaotu archive verify``
checks).  Laid out for a phone as much as a desk.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Blueprint, Response, redirect, render_template, request, send_file, url_for
from flask_login import current_user, login_required

import workflow
from storage.errors import InvalidInput, NotFound
from web.auth import store
from web.jobs import jobs
from web.sets import in_force_data

bp = Blueprint("inspect", __name__)


def search_rows(user: str, query: str) -> list[dict[str, Any]]:
    with store().session(write=False) as s:
        return workflow.search_projects(s, user, query)


def packages_dir(settings: Any) -> Path:
    return Path(settings.home) / "web-packages"


def start_package(user: str, code: str, at: str | None) -> str:
    """Queue the zip of the set in force at ``at`` (checked now: a bad date or no set in
    force then is refused before any job starts)."""
    data = in_force_data(user, code, at)
    return jobs().submit("package", owner=user, project=data["project"], at=data["at"],
                         user=user)


def package_file(user: str, job_id: str) -> tuple[Path, dict[str, Any]]:
    """The finished package of a job of ``user`` (404 otherwise, and for anyone else's)."""
    job = jobs().get(job_id, owner=user)
    if job.get("task") != "package" or job.get("state") != "finished":
        raise NotFound(f"没有可下载的文件包 no package to download for job {job_id[:40]!r}")
    workflow.check_package_name(f"{job_id}.zip")
    path = packages_dir(store().settings) / f"{job_id}.zip"
    if not path.is_file():
        raise NotFound(f"文件包已过期 the package of job {job_id} is gone: make it again")
    return path, job


@bp.route("/inspect")
@login_required
def search() -> Any:
    q = (request.args.get("q") or "").strip()
    try:
        rows = search_rows(current_user.name, q) if q else []
    except InvalidInput as e:
        return render_template("inspect/search.html", q=q, rows=[], problem=e.message), 422
    return render_template("inspect/search.html", q=q, rows=rows, problem=None)


@bp.route("/inspect/<code>")
@login_required
def project(code: str) -> Any:
    at = (request.args.get("at") or "").strip() or None
    with store().session(write=False) as s:
        access = workflow.project_access(s, current_user.name, code)
    try:
        data = in_force_data(current_user.name, access.project, at)
    except (InvalidInput, NotFound) as e:
        status = 422 if isinstance(e, InvalidInput) else 404
        return render_template("inspect/project.html", project=access.project, at=at,
                               data=None, problem=e.message), status
    return render_template("inspect/project.html", project=access.project, at=at, data=data,
                           problem=None)


@bp.route("/inspect/<code>/package", methods=["POST"])
@login_required
def package(code: str) -> Any:
    at = (request.form.get("at") or "").strip() or None
    job = start_package(current_user.name, code, at)
    return redirect(url_for("inspect.package_page", job_id=job), code=303)


@bp.route("/inspect/packages/<job_id>")
@login_required
def package_page(job_id: str) -> Any:
    job = jobs().get(job_id, owner=current_user.name)
    if job.get("task") != "package":
        raise NotFound(f"任务不存在 no such job: {job_id[:40]!r}")
    return render_template("inspect/package.html", job=job)


@bp.route("/inspect/packages/<job_id>.zip")
@login_required
def download(job_id: str) -> Response:
    path, job = package_file(current_user.name, job_id)
    r = job["result"]
    name = f"in-force-{r['project']}-{r['at'][:10]}-{r['version'][:12]}.zip"
    return send_file(path, mimetype="application/zip", as_attachment=True, download_name=name)
