"""The inspector's portal: find a project, and take away the set in force on a date.

:func:`search` looks through the projects a user may see (``workflow.access``) by project
code, building unit code, address or name.  :func:`write_in_force_package` writes the set in
force at a moment (``set_in_force``) as one zip: every sheet file once by its hash, the sheet
register, the certificates issued by then, and the audit proof, with a manifest of SHA-256s
so a copy can be checked offline.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import zipfile
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from drawings.models import BuildingUnit, Project
from storage import limits
from storage.errors import InvalidInput
from workflow.access import _user, _visible
from workflow.accounts import is_admin, jurisdictions
from workflow.models import Certificate

#: Results of one search at most.
SEARCH_LIMIT = 50
PACKAGE_FORMAT = "yitaotu.in-force-package/1"
_EXT = {"dxf": "dxf", "dwg": "dwg", "pdf": "pdf"}
QUERY = limits.Limit("查询", "search text", 200)


def _like(text: str) -> str:
    """A LIKE pattern matching ``text`` anywhere, with LIKE's wildcards taken literally."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def search(s: Session, user: str, query: str, *, limit: int = SEARCH_LIMIT
           ) -> list[dict[str, Any]]:
    """Projects ``user`` may see matching ``query`` in their code, name, location or site,
    or in a building unit's code, name or address (any case; ``%`` and ``_`` are taken
    literally); each with the units that matched."""
    q = " ".join((query or "").split())
    if not q:
        return []
    QUERY.check(q)
    u = _user(s, user)
    visible = _visible(u, is_admin(s, u), jurisdictions(s, u))
    pat = _like(q)
    unit_match = or_(BuildingUnit.code.ilike(pat, escape="\\"),
                     BuildingUnit.name.ilike(pat, escape="\\"),
                     BuildingUnit.address.ilike(pat, escape="\\"))
    by_unit = select(BuildingUnit.project_code).where(unit_match)
    rows = list(s.scalars(
        select(Project).where(visible, or_(
            Project.code.ilike(pat, escape="\\"),
            Project.name.ilike(pat, escape="\\"),
            Project.location.ilike(pat, escape="\\"),
            Project.site.ilike(pat, escape="\\"),
            Project.code.in_(by_unit)))
        .order_by(Project.code).limit(limit)))
    codes = [p.code for p in rows]
    units: dict[str, list[dict[str, Any]]] = {c: [] for c in codes}
    if codes:
        for bu in s.scalars(select(BuildingUnit).where(BuildingUnit.project_code.in_(codes),
                                                       unit_match).order_by(BuildingUnit.code)):
            units[bu.project_code].append({"code": bu.code, "name": bu.name,
                                           "address": bu.address})
    return [{"code": p.code, "name": p.name, "location": p.location, "site": p.site,
             "units": units[p.code]} for p in rows]


def write_in_force_package(s: Session, blobs: Any, project: str, when: datetime,
                           out: Path) -> dict[str, Any]:
    """Write the set in force at ``when`` to the zip ``out`` (a temp file renamed into place:
    never half-written); returns its summary.  Every blob is read verified (a damaged one
    stops the package with :class:`~storage.errors.IntegrityError` naming it)."""
    from workflow.service import set_in_force

    data = set_in_force(s, project, when)
    manifest = data["version"]["manifest"]
    certs = list(s.scalars(select(Certificate).where(Certificate.project_code ==
                                                     data["project"], Certificate.issued <= when)
                           .order_by(Certificate.id)))
    files: dict[str, str] = {}
    register = io.StringIO()
    w = csv.writer(register)
    w.writerow(["图号 sheet", "图名 title", "来源 from", "文件 file", "页 page", "sha256"])
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    try:
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as z:
            for no, e in sorted(manifest.items()):
                name = f"sheets/{e['blob']}.{_EXT.get(e['format'], 'bin')}"
                if name not in files:
                    z.writestr(name, blobs.read_bytes(e["blob"], verify=True))
                    files[name] = e["blob"]
                w.writerow([no, e.get("title") or "", data["sheets"].get(no) or "", name,
                            e.get("page") or "", e["blob"]])
            for c in certs:
                name = f"certificates/{c.blob_id}.pdf"
                if name not in files:
                    z.writestr(name, blobs.read_bytes(c.blob_id, verify=True))
                    files[name] = c.blob_id
            extra = {"register.csv": register.getvalue().encode("utf-8-sig"),
                     "proof.json": json.dumps(data, ensure_ascii=False, indent=1,
                                              default=str).encode("utf-8")}
            for name, body in extra.items():
                z.writestr(name, body)
                files[name] = hashlib.sha256(body).hexdigest()
            summary = {"format": PACKAGE_FORMAT, "project": data["project"], "at": data["at"],
                       "version": data["version"]["id"], "sheets": len(manifest),
                       "certificates": len(certs), "files": files}
            z.writestr("manifest.json", json.dumps(summary, ensure_ascii=False, indent=1))
        os.replace(tmp, out)
    finally:
        tmp.unlink(missing_ok=True)
    return {k: v for k, v in summary.items() if k != "files"} | {"bytes": out.stat().st_size}


def check_package_name(name: str) -> str:
    """A package file name we made (hex id + .zip), never a path."""
    stem = name.removesuffix(".zip")
    if len(stem) != 24 or not all(c in "0123456789abcdef" for c in stem):
        raise InvalidInput(f"无效的文件名 invalid package name {name[:40]!r}")
    return stem
