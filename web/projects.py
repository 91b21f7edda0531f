"""Projects: the list of what the user may see, one project's page, and its sign-offs.

Every event of the loop is a form on the project page (with a confirmation dialog naming its
consequences); a refusal shows the guard's reason and what is allowed now (409), a move made
by someone else in between says so (409, "reload").
"""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required

import workflow
from drawings import registry
from storage.errors import Conflict, InvalidInput
from storage.numbers import db_int
from web import signoffs
from web.auth import store
from web.i18n import bilingual

bp = Blueprint("projects", __name__)


@bp.route("/")
@login_required
def index() -> Any:
    with store().session(write=False) as s:
        rows = workflow.project_rows(s, current_user.name)
    return render_template("projects/index.html", rows=rows)


def _locks(st: dict[str, Any]) -> dict[str, int]:
    locks = {"project": st["lock"]}
    locks.update({x["name"]: x["lock"] for x in st["submissions"]})
    locks.update({x["name"]: x["lock"] for x in st["changes"]})
    locks.update({x["name"]: x["lock"] for x in st["meetings"]})
    return locks


def actions_of(st: dict[str, Any]) -> list[dict[str, Any]]:
    """The forms of the page: every event the user's roles may take now, per record."""
    locks = _locks(st)
    out = []
    for record, events in (st.get("you") or {}).get("allowed", {}).items():
        for event in events:
            if record == "new" and event not in signoffs.CREATING:
                continue
            out.append({
                "record": record, "event": event,
                "label": bilingual(workflow.EVENT_LABELS[event]),
                "lock": locks.get(record),
                "consequences": [bilingual(c) for c in signoffs.consequences(event)],
                "version": event in signoffs.WITH_VERSION,
                "text": event in signoffs.WITH_TEXT,
                "kinds": signoffs.KINDS.get(event, {}),
                "stage": event in signoffs.WITH_STAGE and record == "new",
            })
    return out


def page_data(code: str) -> dict[str, Any]:
    user = current_user.name
    with store().session(write=False) as s:
        access = workflow.project_access(s, user, code)
        st = workflow.status(s, access.project, user=user)
        units = [{"code": u.code, "name": u.name, "use": u.use, "floors": u.floors_above}
                 for u in registry.list_units(s, access.project)]
        inbox = [{"message": m.message, "created": m.created, "read": m.read_at is not None}
                 for m in workflow.inbox(s, user) if m.project_code == access.project][:10]
        p = registry.get_project(s, access.project)
        location = p.location
    return {"access": access, "st": st, "units": units, "inbox": inbox, "location": location,
            "actions": [] if access.read_only else actions_of(st)}


@bp.route("/projects/<code>")
@login_required
def show(code: str) -> Any:
    return render_template("projects/show.html", **page_data(code))


@bp.route("/projects/<code>/events/<event>", methods=["POST"])
@login_required
def take(code: str, event: str) -> Any:
    form = request.form
    try:
        lock = db_int(form["expect_lock"], "expect_lock") if form.get("expect_lock") else None
        out = signoffs.take(store(), current_user.name, code, event,
                            record=form.get("record"), version=form.get("version") or None,
                            text=(form.get("text") or "").strip() or None,
                            kind=form.get("kind") or None, expect_lock=lock,
                            stage=(form.get("stage") or "").strip()[:100] or None,
                            sheets=signoffs.sheet_patterns(form.get("sheets")))
    except workflow.TransitionNotAllowed as e:
        return _refused(code, _("Refused: %(reason)s", reason=e.reason), e.allowed)
    except Conflict as e:
        return _refused(code, _("Someone acted first: reload the page and try again."),
                        detail=e.message)
    except InvalidInput as e:
        return _refused(code, e.message, status=422)
    lines = [workflow.event_line(code, e) for e in [out, *out["follow"]]]
    for line in lines:
        flash(line, "ok")
    return redirect(url_for("projects.show", code=code), code=303)


def _refused(code: str, message: str, allowed: list[str] | None = None, *,
             detail: str | None = None, status: int = 409) -> Any:
    data = page_data(code)
    allowed_labels = [bilingual(workflow.EVENT_LABELS.get(a, a)) for a in allowed or []]
    return render_template("projects/show.html", refusal=message, refusal_detail=detail,
                           refusal_allowed=allowed_labels, **data), status


@bp.route("/projects/<code>/certificates/<blob>.pdf")
@login_required
def certificate(code: str, blob: str) -> Any:
    """The signed 审查合格书 of an approval (a blob the project's status lists)."""
    data = page_data(code)
    cert = next((c for c in data["st"]["certificates"] if c["blob"] == blob), None)
    if cert is None:
        abort(404)
    body = store().blobs.read_bytes(blob, verify=True)
    name = f"审查合格书-{data['st']['project']}-{blob[:12]}.pdf"
    resp = Response(body, mimetype="application/pdf")
    resp.headers["Content-Disposition"] = (
        f"attachment; filename=certificate-{blob[:12]}.pdf; filename*=UTF-8''"
        + _quote(name))
    return resp


def _quote(name: str) -> str:
    from urllib.parse import quote

    return quote(name, safe="")
