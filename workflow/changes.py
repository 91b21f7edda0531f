"""Reading the records beside the project: one change with what it needs to be rebased, and
the 图纸会审 meetings with their questions."""

from __future__ import annotations

import fnmatch
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import select
from sqlalchemy.orm import Session

from drawings import registry
from drawings.models import Project, SetVersion
from storage.display import quote
from storage.errors import InvalidInput, NotFound
from workflow import audit, diffs
from workflow.engine import get_record, records
from workflow.machine import CHANGE, MEETING, OPEN_CHANGE_STATES
from workflow.models import JSONText, Question


def record_events(s: Session, project: str, kind: str, number: int) -> list[dict[str, Any]]:
    """The signed events of one record, oldest first."""
    out = []
    for ev in audit.events(s, project):
        rec = (orjson.loads(ev.body).get("payload") or {}).get("record") or {}
        if rec.get("kind") == kind and rec.get("number") == number:
            out.append(ev.to_dict())
    return out


def show(s: Session, blobs: Any, project: str | Project, number: int | str) -> dict[str, Any]:
    """A change, its events, and each of its sheets that changed in `current` since its base:
    which change did it and what the sheet diff says (what a rebase must keep)."""
    p = registry.get_project(s, project)
    ch = get_record(s, CHANGE, p, number)
    stale = []
    if ch.base_version_id is not None and ch.state in OPEN_CHANGE_STATES:
        base = registry.get_version(s, ch.base_version_id).manifest
        mine = registry.get_version(s, ch.version_id).manifest if ch.version_id else {}
        cur = registry.get_ref(s, p, "current")
        now = cur.manifest if cur else {}
        t = ch.touched
        for no in sorted({*t["added"], *t["changed"], *t["removed"]}):
            if diffs.same_entry(base.get(no), now.get(no)) or \
                    diffs.same_entry(mine.get(no), now.get(no)):
                continue
            by = next((f"C-{c.number}" for c in reversed(records(s, CHANGE, p, ("effective",)))
                       if no in {*c.touched["added"], *c.touched["changed"],
                                 *c.touched["removed"]} and c.number != ch.number), None)
            summary = "删除 removed" if no not in now else "新增 added" if no not in base else ""
            if not summary:
                rep = diffs.sheet_report(blobs, base[no], now[no])
                summary = ("无法比较 not comparable" if rep is None else
                           f"{len(rep.changes)} 处修改 changes")
            stale.append({"sheet": no, "by": by, "summary": summary})
    return {"change": ch.to_dict(), "stale": stale,
            "events": record_events(s, p.code, "change", ch.number)}


def meetings(s: Session, project: str | Project) -> list[dict[str, Any]]:
    """The project's 图纸会审 meetings, each with its questions."""
    p = registry.get_project(s, project)
    out = []
    for m in records(s, MEETING, p):
        qs = s.scalars(select(Question).where(Question.meeting_id == m.id)
                       .order_by(Question.number))
        out.append({**m.to_dict(), "questions": [
            {"number": q.number, "name": f"Q-{q.number}", "sheet": q.sheet_no,
             "anchor": JSONText.load(q.anchor), "text": q.text, "raised_by": q.raised_by,
             "role": q.role, "answer": q.answer, "answered_by": q.answered_by,
             "state": q.state} for q in qs]})
    return out


def meeting(s: Session, project: str | Project, number: int | str) -> dict[str, Any]:
    p = registry.get_project(s, project)
    m = get_record(s, MEETING, p, number)
    return next(x for x in meetings(s, p) if x["number"] == m.number)


def minutes_blob(m: dict[str, Any]) -> str:
    if not m["minutes"]:
        raise NotFound(f"{m['name']}: 尚无纪要 no minutes drawn yet (close the meeting first)")
    return m["minutes"]


def change_version(s: Session, project: str | Project, rev: str, sheets: list[str], *,
                   author: str, now: datetime) -> SetVersion:
    """The version a change proposes when it takes only some sheets of ``rev`` (whose other
    sheets may be unrelated work in progress): `current` with the sheets matching ``sheets``
    taken from ``rev`` (a sheet matched in `current` but absent from ``rev`` is removed)."""
    p = registry.get_project(s, project)
    src = registry.resolve_version(s, p, rev)
    cur = registry.get_ref(s, p, "current")
    if cur is None:
        raise NotFound(f"{p.code}: 尚无施工现行版 no `current` set yet")
    chosen: list[str] = []
    for pat in sheets:
        hits = [no for no in sorted({*src.manifest, *cur.manifest})
                if fnmatch.fnmatchcase(no, pat.strip())]
        if not hits:
            raise InvalidInput(f"没有图纸匹配 no sheet matches {quote(pat)}")
        chosen += [h for h in hits if h not in chosen]
    manifest = dict(cur.manifest)
    for no in chosen:
        if no in src.manifest:
            manifest[no] = src.manifest[no]
        else:
            manifest.pop(no, None)
    return registry.commit_version(s, p, manifest, parents=[cur.id, src.id], author=author,
                                   message=f"变更图纸 change sheets {', '.join(chosen)} of "
                                           f"{src.id[:12]}", created_at=now)


def descends(s: Session, p: Project, version_id: str, ancestor: str) -> bool:
    return ancestor in {v.id for v in registry.log(s, p, version_id)}


def rebased_version(s: Session, project: str | Project, number: int | str, rev: str, *,
                    author: str, now: datetime) -> SetVersion:
    """The version a rebase proposes: ``rev`` when it descends from `current`, else `current`
    with the change's own sheets taken from ``rev`` (what the design firm redrew)."""
    p = registry.get_project(s, project)
    ch = get_record(s, CHANGE, p, number)
    src = registry.resolve_version(s, p, rev)
    cur = registry.get_ref(s, p, "current")
    if cur is None or descends(s, p, src.id, cur.id):
        return src
    t = ch.touched
    return change_version(s, p, src.id, [*t["added"], *t["changed"], *t["removed"]],
                          author=author, now=now)
