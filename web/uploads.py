"""Upload: many files, a folder or a zip into the project's ``head``, as a job.

The page posts the files (``static/upload.js`` shows the bytes sent, then polls the job);
the job runs ``drawings.ingest_upload``, which validates every file before anything is
stored, so a refused upload leaves nothing behind.  Without JavaScript the form posts
normally and the job's page refreshes itself until the job ends.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, redirect, render_template, request, url_for
from flask_login import current_user, login_required

import workflow
from storage.errors import NotFound
from web.api import start_upload
from web.auth import store
from web.jobs import jobs

bp = Blueprint("uploads", __name__)


def may_upload(code: str) -> workflow.Access:
    """The project as the user sees it (404 outside it); 403 unless they are its design firm
    (the same rule as the API's upload)."""
    with store().session(write=False) as s:
        access = workflow.project_access(s, current_user.name, code)
    if access.read_only or workflow.Role.design not in access.roles:
        raise workflow.Forbidden(f"{current_user.name} 无权上传图纸 may not upload sheets to "
                                 f"{access.project}: only the design firm")
    return access


@bp.route("/projects/<code>/upload")
@login_required
def form(code: str) -> Any:
    access = may_upload(code)
    return render_template("sets/upload.html", project=access.project)


@bp.route("/projects/<code>/upload", methods=["POST"])
@login_required
def post(code: str) -> Any:
    access = may_upload(code)
    files = [f for f in request.files.getlist("files") if f.filename]
    job = start_upload(access.project, files, (request.form.get("message") or "").strip(),
                       current_user.name)
    page = url_for("uploads.job_page", code=access.project, job_id=job)
    if request.accept_mimetypes.best == "application/json":
        return jsonify({"job": job, "poll": url_for("uploads.job_state", job_id=job),
                        "page": page}), 202
    return redirect(page, code=303)


def job_of(job_id: str) -> dict[str, Any]:
    """A job the current user submitted (404 for anyone else's, as the API)."""
    return jobs().get(job_id, owner=current_user.name)


@bp.route("/jobs/<job_id>.json")
@login_required
def job_state(job_id: str) -> Any:
    return jsonify(job_of(job_id))


@bp.route("/projects/<code>/uploads/<job_id>")
@login_required
def job_page(code: str, job_id: str) -> Any:
    access = may_upload(code)
    job = job_of(job_id)
    if job.get("project") != access.project:
        raise NotFound(f"任务不存在 no such job: {job_id[:40]!r}")
    return render_template("sets/upload_job.html", project=access.project, job=job)
