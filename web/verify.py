"""The public certificate check: the page the 审查合格书's QR code opens (no login).

It says whether the certificate is genuine, for which project code and set version, who
signed it and when — nothing else (``workflow.certificate_by_code`` / ``_by_hash``).  An
unknown code and a made-up one look the same (404).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, redirect, render_template, request, url_for

import workflow
from storage.errors import NotFound
from web.auth import store

bp = Blueprint("verify", __name__)


def by_code(project: str, code: str) -> dict[str, Any]:
    with store().session(write=False) as s:
        return workflow.certificate_by_code(s, store().blobs, project, code)


def by_hash(sha256: str) -> dict[str, Any]:
    with store().session(write=False) as s:
        return workflow.certificate_by_hash(s, store().blobs, sha256)


def _page(result: dict[str, Any] | None, status: int = 200, **extra: Any) -> Any:
    return render_template("verify/certificate.html", r=result, **extra), status


@bp.route("/c/<project>/<code>")
def certificate(project: str, code: str) -> Any:
    try:
        return _page(by_code(project, code))
    except NotFound as e:
        return _page(None, 404, problem=e.message)


@bp.route("/c")
def by_hash_page() -> Any:
    """Check a certificate PDF by its SHA-256 (``sha256sum`` of the file)."""
    sha = (request.args.get("sha256") or "").strip()
    if not sha:
        return _page(None, 200, ask=True)
    try:
        r = by_hash(sha)
    except NotFound as e:
        return _page(None, 404, problem=e.message, ask=True)
    return redirect(url_for("verify.certificate", project=r["project"], code=r["code"]))
