"""`archive create`: the 归档 package of an accepted project, made by its archivist."""

from __future__ import annotations

import os
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy.orm import Session

from drawings import registry
from workflow import audit
from workflow.archive import contents, layout, package, retention
from workflow.archive.contents import AS_BUILT, REVIEW, VOLUMES, Staging, day, json_bytes
from workflow.archive.stamp import FIELDS, stamped_pdf
from workflow.clock import utcnow
from workflow.documents import china_time, text_pdf
from workflow.engine import PARTY_ROLE, get_flow, get_user, roles_of
from workflow.machine import Role, TransitionNotAllowed
from workflow.opinions import list_opinions, opinion_dict
from workflow.signing import KeyRing

#: The project states in which its package may be made (accepted, and after the move).
ARCHIVABLE = ("accepted", "archived")
#: The refs a ``--final-only`` package keeps the versions of.
FINAL_REFS = ("approved", "current", "as-built")


def create_archive(s: Session, blobs: Any, keys: KeyRing, project: str, *, user: str,
                   out: str | os.PathLike[str], final_only: bool = False,
                   now: datetime | None = None) -> dict[str, Any]:
    """Write the package of ``project`` to ``out`` (a directory, or ``….zip``), signed by
    ``user`` (the project's archivist) and the archivist's organisation."""
    p = registry.get_project(s, project)
    u = get_user(s, user)
    state = get_flow(s, p).state
    if Role.archivist not in roles_of(s, p, u):
        raise _refused(state, f"{u.name} 不是本项目档案馆 is not the project's archivist "
                              "(party add PROJECT archivist ORG)")
    if state not in ARCHIVABLE:
        raise _refused(state, "项目须已竣工验收 the project must be accepted")
    target = package.check_target(out)
    refs = registry.refs(s, p)
    as_built = registry.get_version(s, refs["as-built"])
    created = now or utcnow()
    with package.staging(target) as root:
        st = Staging(root, p)
        st.desc = package.new_description("archive", p, created=created.isoformat(),
                                          packer=u.name, organisation=u.organisation.name)
        st.desc["final_only"], st.desc["version"] = final_only, as_built.id
        events = audit.events(s, p.code)
        stamp = stamp_fields(s, p, events)
        sheet_files = add_as_built(st, blobs, as_built, stamp)
        final = {refs[r] for r in FINAL_REFS if r in refs}
        versions = [v for v in registry.list_versions(s, p) if not final_only or v.id in final]
        contents.add_versions(st, s, blobs, versions, sheet_files, final=final)
        add_opinions(st, s, p)
        cert_signers = contents.add_documents(st, s, blobs, events)
        contents.add_chain(st, s)
        contents.add_keys(st, s, contents.signers_of(events) | cert_signers |
                          {f"user:{u.name}", f"org:{u.organisation.name}"})
        doc = package.write_catalogue(st, VOLUMES[:4])
        done = package.finish(st, target, keys=keys,
                              signers=[f"user:{u.name}", f"org:{u.organisation.name}"],
                              bag_info={"Source-Organization": u.organisation.name,
                                        "External-Identifier": p.code,
                                        "External-Description": f"{p.name} 竣工档案 archive",
                                        "Bag-Group-Identifier": as_built.id})
    retention.record_package(s, project=p.code, version=as_built.id, packer=u.name,
                             path=str(target.resolve()),
                             payload_sha256=done["payload_manifest_sha256"],
                             final_only=final_only, catalogue=doc, created=created)
    return {**done, "project": p.code, "version": as_built.id, "final_only": final_only,
            "versions": len(versions), "sheets": len(st.desc["sheets"]),
            "catalogue": doc["totals"], "stamp": stamp}


def _refused(state: str, reason: str) -> TransitionNotAllowed:
    return TransitionNotAllowed("archive_create", state, reason,
                                label="制作归档包 make the archive package")


def stamp_fields(s: Session, p: Any, events: list[Any]) -> dict[str, dict[str, Any]]:
    """The 竣工图章's fields from the signed events: the last as-built submission (施工单位,
    编制人, 编制日期) and the supervisor's confirmation of it (监理单位, 现场监理).  The chain
    records no 审核人, 技术负责人 or 总监: those stay empty."""
    orgs = contents.user_orgs(s)
    supervisors = {pt.organisation for pt in p.parties if pt.role == PARTY_ROLE[Role.supervisor]}
    fields: dict[str, dict[str, Any]] = {k: {"value": "", "event": None} for k in FIELDS}

    def put(key: str, value: str, e: Any) -> None:
        fields[key] = {"value": value, "event": e.seq, "hash": e.hash}

    submitted = [e for e in events if e.event == "submit_as_built"]
    if submitted:
        sub = submitted[-1]
        put("contractor", orgs.get(sub.actor, ""), sub)
        put("prepared_by", sub.actor, sub)
        put("prepared_on", day(sub.at), sub)
        for e in events:
            if e.seq > sub.seq and e.event == "confirm_as_built" and \
                    orgs.get(e.actor) in supervisors:
                put("supervisor", orgs[e.actor], e)
                put("site_supervisor", e.actor, e)
    return fields


def add_as_built(st: Staging, blobs: Any, v: Any, stamp: dict[str, dict[str, Any]]
                 ) -> dict[str, str]:
    """The as-built sheets' original bytes under readable names, and a stamped PDF render of
    each; returns blob id -> file."""
    author = stamp["contractor"]["value"] or contents.party_org(st.project, "contractor")
    date = stamp["prepared_on"]["value"] or day(v.created_at)
    values = {k: f["value"] for k, f in stamp.items()}
    files: dict[str, str] = {}
    for no, e in sorted(v.manifest.items()):
        data = st.read(blobs, e["blob"])
        if e["blob"] not in files:
            files[e["blob"]] = st.put(
                f"data/sheets/{layout.safe_name(no)}{contents.sheet_suffix(data)}", data,
                volume=AS_BUILT, title=f"竣工图 {no} {e.get('title') or ''}".strip()[:300],
                author=author, date=date, sheet=no,
                pages=sum(x["blob"] == e["blob"] for x in v.manifest.values()))
        page = e.get("page")
        pdf = stamped_pdf(data, name=files[e["blob"]].rsplit("/", 1)[-1],
                          layout=str(page) if page and e.get("format") == "pdf" else None,
                          sheet_no=no, fields=values, title=f"竣工图 {no} {e.get('title') or ''}")
        st.desc["renders"][no] = st.put(
            f"data/renders/{layout.safe_name(no)}-竣工图.pdf", pdf, volume=AS_BUILT,
            title=f"竣工图(盖章) stamped render {no}", author=author, date=date, sheet=no,
            pages=contents.pdf_pages(pdf))
        st.desc["sheets"][no] = {"blob": e["blob"], "file": files[e["blob"]], "page": page,
                                 "format": e.get("format"), "title": e.get("title")}
    st.desc["stamp"] = st.put("data/renders/stamps.json", json_bytes(stamp), volume=AS_BUILT,
                              title="竣工图章字段及其签名事件 stamp fields and their events",
                              author=author, date=date)
    return files


def add_opinions(st: Staging, s: Session, p: Any) -> None:
    ops = [opinion_dict(o) for o in sorted(list_opinions(s, p), key=lambda o: o.number)]
    review = contents.party_org(p, "review")
    date = max((o["created"] for o in ops), default=None)
    date = day(datetime.fromisoformat(date)) if date else day(utcnow())
    lines: list[tuple[float, str]] = [(16, "审查意见及答复 Review opinions and replies"),
                                      (10, f"{p.code} {p.name}"), (10, "")]
    for o in ops:
        lines.append((11, f"#{o['number']} {o['sheet']} [{o['category']}] {o['state']} — "
                          f"{o['author']} {china_time(datetime.fromisoformat(o['created']))}"))
        lines.append((10, f"    {o['text']}"))
        for r in o["replies"]:
            lines.append((9, f"    ↳ {r['kind']} {r['author']} "
                             f"{china_time(datetime.fromisoformat(r['at']))}: {r['text']}"))
    if not ops:
        lines.append((10, "无审查意见 no opinions"))
    pdf = text_pdf(lines, title=f"审查意见 {p.code}", subject="opinions")
    st.desc["opinions"] = {
        "json": st.put("data/review/opinions.json", orjson.dumps(ops, option=orjson.OPT_INDENT_2),
                       volume=REVIEW, title="审查意见及答复 opinions and replies (JSON)",
                       author=review, date=date, retention=contents.RETAIN_HISTORY),
        "pdf": st.put("data/review/opinions.pdf", pdf, volume=REVIEW,
                      title="审查意见及答复 opinions and replies", author=review, date=date,
                      pages=contents.pdf_pages(pdf), retention=contents.RETAIN_HISTORY)}



