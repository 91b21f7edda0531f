"""The inspector's pull: the set in force on a date (the reflog of `current`), for a project or
one building unit, with the 审查合格书 issued by then, the chain up to that date (which proves
the move of `current` in force and every signature), the keys, and the four checks' report,
as a small signed package that :func:`verify_package` accepts.  The web inspector portal's
download is this package (:func:`inspect_pull`)."""

from __future__ import annotations

import os
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from drawings import registry
from storage.errors import InvalidInput, NotFound
from workflow import audit
from workflow.access import project_access
from workflow.archive import contents, layout, package
from workflow.archive.contents import AS_BUILT, CHECK, VOLUMES, Staging, day, json_bytes
from workflow.clock import utcnow
from workflow.engine import get_user
from workflow.machine import TransitionNotAllowed
from workflow.signing import KeyRing


def inspect_pull(s: Session, blobs: Any, keys: KeyRing, *, at: datetime, user: str,
                 out: str | os.PathLike[str], project: str | None = None,
                 unit: str | None = None, now: datetime | None = None) -> dict[str, Any]:
    """Write the pull for ``project`` or ``unit`` at ``at`` to ``out``, signed by ``user`` (a
    person of one of the project's parties: the inspector, usually) and their organisation.
    Before the first approval there was no set in force: :class:`NotFound` says so."""
    from workflow.service import set_in_force

    if (project is None) == (unit is None):
        raise InvalidInput("须指定 --project 或 --unit: name one of a project or a building unit")
    unit_code = None
    if unit is not None:
        u = registry.get_unit(s, unit)
        project, unit_code = u.project_code, u.code
    p = registry.get_project(s, project or "")
    person = get_user(s, user)
    try:  # a party of the project, or an inspecting organisation of its jurisdiction
        project_access(s, person, p.code)
    except NotFound:
        raise TransitionNotAllowed("inspect", None, f"{person.name} 不属于项目任何一方 is no "
                                   "party of the project and it is outside their jurisdiction "
                                   "(party add PROJECT inspector ORG, or org jurisdiction)",
                                   label="调取 the inspector's pull") from None
    target = package.check_target(out)
    proof = set_in_force(s, p, at)  # NotFound before the first approval
    v = registry.get_version(s, proof["version"]["id"])
    sheets = {no: e for no, e in sorted(v.manifest.items())
              if unit_code is None or e.get("unit") == unit_code}
    if unit_code is not None and not sheets:
        raise InvalidInput(f"{unit_code}: 该单体在施工现行版中没有图纸 no sheet of the set in "
                           f"force on {at.isoformat()} belongs to this unit")
    upto = max(proof["proof"]["seq"],
               max((e.seq for e in audit.events(s, p.code) if e.at <= at), default=0))
    with package.staging(target) as root:
        st = Staging(root, p)
        st.desc = package.new_description("inspect", p, created=(now or utcnow()).isoformat(),
                                          packer=person.name,
                                          organisation=person.organisation.name)
        st.desc.update(version=v.id, at=at.isoformat(),
                       scope={"unit": unit_code, "sheets": sorted(sheets)},
                       proof={"seq": proof["proof"]["seq"], "hash": proof["proof"]["hash"],
                              "event": proof["proof"]["event"]})
        author = contents.party_org(p, "design")
        for no, e in sheets.items():
            data = st.read(blobs, e["blob"])
            path = st.desc["blobs"].get(e["blob"]) or st.put(
                f"data/sheets/{layout.safe_name(no)}{contents.sheet_suffix(data)}", data,
                volume=AS_BUILT, title=f"施工现行图 {no} {e.get('title') or ''}".strip()[:300],
                author=author, date=day(v.created_at), sheet=no)
            st.desc["blobs"][e["blob"]] = path
            st.desc["sheets"][no] = {"blob": e["blob"], "file": path, "page": e.get("page"),
                                     "format": e.get("format"), "title": e.get("title")}
        st.desc["versions"][v.id] = st.put(
            f"data/versions/{v.id}.json", v.body.encode(), volume=AS_BUILT,
            title=f"施工现行版 set version in force {v.id[:12]}", author=author,
            date=day(v.created_at), pages=len(v.manifest))
        events = [e for e in audit.events(s, p.code) if e.seq <= upto]
        cert_signers = contents.add_documents(st, s, blobs, events)
        contents.add_chain(st, s, upto=upto)
        contents.add_keys(st, s, contents.signers_of(events) | cert_signers |
                          {f"user:{person.name}", f"org:{person.organisation.name}"})
        st.desc["in_force"] = st.put(
            "data/report/set-in-force.json", json_bytes(proof), volume=CHECK,
            title=f"施工现行版证明 proof of the set in force at {at.isoformat()}",
            author=person.organisation.name, date=day(now or utcnow()))
        doc = package.write_catalogue(st, ("施工现行图 drawings in force", *VOLUMES[1:]))
        done = package.finish(st, target, keys=keys,
                              signers=[f"user:{person.name}", f"org:{person.organisation.name}"],
                              bag_info={"Source-Organization": person.organisation.name,
                                        "External-Identifier": p.code,
                                        "External-Description": f"施工现行版 set in force at "
                                                                f"{at.isoformat()}"},
                              self_check=True)
    return {**done, "project": p.code, "unit": unit_code, "at": at.isoformat(),
            "version": v.id, "sheets": {no: proof["sheets"].get(no) for no in sheets},
            "proof": st.desc["proof"], "catalogue": doc["totals"]}
