"""The inspector's portal: find a project, and take away the set in force on a date.

:func:`search` looks through the projects a user may see (``workflow.access``) by project
code, building unit code, address or name.  The set to take away is the inspector's pull
(:func:`workflow.inspect_pull`): a signed package the archive's four checks verify offline.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from drawings.models import BuildingUnit, Project
from storage import limits
from storage.errors import InvalidInput
from workflow.access import _user, _visible
from workflow.accounts import is_admin, jurisdictions

#: Results of one search at most.
SEARCH_LIMIT = 50
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


def check_package_name(name: str) -> str:
    """A package file name we made (hex id + .zip), never a path."""
    stem = name.removesuffix(".zip")
    if len(stem) != 24 or not all(c in "0123456789abcdef" for c in stem):
        raise InvalidInput(f"无效的文件名 invalid package name {name[:40]!r}")
    return stem
