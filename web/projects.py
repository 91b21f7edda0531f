"""Projects: the list of what the user may see, and one project's page with its actions."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template
from flask_login import current_user, login_required

import workflow
from web.auth import store

bp = Blueprint("projects", __name__)


@bp.route("/")
@login_required
def index() -> Any:
    with store().session(write=False) as s:
        rows = workflow.project_rows(s, current_user.name)
    return render_template("projects/index.html", rows=rows)


@bp.route("/projects/<code>")
@login_required
def show(code: str) -> Any:
    with store().session(write=False) as s:
        access = workflow.project_access(s, current_user.name, code)
        st = workflow.status(s, access.project, user=current_user.name)
    return render_template("projects/show.html", access=access, st=st)
