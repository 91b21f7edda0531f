"""审查意见: opinions anchored to a sheet revision and a region, their replies and states.

The opinion life cycle is one of the declared tables (``workflow.machine.OPINION``): reviewers add,
close and reopen while the opinion's submission is in review (each only for their own
discipline); the design firm replies while it is in review or returned.  Every action is a
signed audit event.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from drawings import registry
from drawings.models import Project, SetVersion
from storage import limits
from storage.display import quote
from storage.errors import Conflict, InvalidInput, NotFound
from storage.numbers import finite
from workflow import audit, diffs, disciplines
from workflow.engine import act, conflict_safe, flush, get_record, get_user, record_event, records
from workflow.machine import OPINION, SUBMISSION, Role, TransitionNotAllowed
from workflow.models import ChangeMark, JSONText, Opinion, OpinionReply, Round, Submission
from workflow.signing import KeyRing

CATEGORIES = {"mandatory": "强制性条文 mandatory", "general": "一般性 general",
              "advice": "建议 advice"}
CATEGORY_ALIASES = {"强制性条文": "mandatory", "强条": "mandatory", "一般性": "general",
                    "一般": "general", "建议": "advice"}


def parse_category(text: str) -> str:
    c = CATEGORY_ALIASES.get(text.strip(), text.strip().lower())
    if c not in CATEGORIES:
        raise InvalidInput(f"意见类别 category must be one of {', '.join(CATEGORIES)}")
    return c


def _numbers(coords: Any, n: int) -> list[float]:
    if isinstance(coords, str | bytes | dict) or len(coords) != n:
        raise ValueError(f"{n} numbers expected")
    return [finite(v, "坐标 coordinate") for v in coords]


def make_anchor(kind: str, coords: Any, *, element: str | None = None,
                level: str | None = None) -> dict[str, Any]:
    """Validate an anchor: point [x, y], rect [x0, y0, x1, y1] with an area, or simple polygon
    [[x, y], ...] with an area.  Coordinates must be finite: a JSON column cannot keep NaN or
    inf (orjson writes null), and a null anchor cannot be located on the next revision.

    On a BIM model the coordinates are plan metres and ``element`` names the IFC element
    (its GlobalId), ``level`` its storey; both are kept with the anchor (#18)."""
    anchor = _make_anchor(kind, coords)
    if element is not None:
        if not isinstance(element, str) or not re.fullmatch(r"[0-9A-Za-z_$]{22}(#\d+)?", element):
            raise InvalidInput(f"无效的构件 invalid element GlobalId {quote(element)}")
        anchor["element"] = element
    if level is not None:
        anchor["level"] = limits.SHEET_TITLE.check(str(level))
    return anchor


def _make_anchor(kind: str, coords: Any) -> dict[str, Any]:
    try:
        if kind == "point":
            return {"type": "point", "coords": _numbers(coords, 2)}
        if kind == "rect":
            x0, y0, x1, y1 = _numbers(coords, 4)
            if x0 == x1 or y0 == y1:
                raise ValueError("a rectangle needs an area (x0 ≠ x1, y0 ≠ y1)")
            return {"type": "rect", "coords": [min(x0, x1), min(y0, y1), max(x0, x1),
                                               max(y0, y1)]}
        if kind == "polygon":
            if isinstance(coords, str | bytes | dict):
                raise ValueError("a list of [x, y] points expected")
            pts = [_numbers(p, 2) for p in coords]
            if len(pts) < 3:
                raise ValueError("a polygon needs three points")
            from shapely.geometry import Polygon

            if not Polygon(pts).is_valid:
                raise ValueError("self-intersecting polygon or no area")
            return {"type": "polygon", "coords": pts}
    except (TypeError, ValueError) as e:  # InvalidInput from finite() is a ValueError too
        raise InvalidInput(f"无效的锚点 invalid {kind} anchor {quote(coords)}: {e}") from None
    raise InvalidInput(f"锚点类型 anchor type must be point, rect or polygon, not {quote(kind)}")


def anchor_region(anchor: dict[str, Any]) -> Any:
    from shapely.geometry import Point, Polygon, box

    c = anchor["coords"]
    if anchor["type"] == "point":
        return Point(*c)
    if anchor["type"] == "rect":
        return box(*c)
    return Polygon(c)


def stored_region(anchor: str) -> Any | None:
    """The region of an opinion's stored anchor, or None when it cannot be located: rows
    written before anchors were checked hold null for a NaN or inf coordinate."""
    try:
        a = JSONText.load(anchor)
        return anchor_region(make_anchor(a["type"], a["coords"]))
    except (TypeError, KeyError, ValueError):  # InvalidInput and JSONDecodeError included
        return None


def _anchored_element(anchor: str) -> str | None:
    """The GlobalId an opinion on a model is anchored to (#18), or None."""
    try:
        value = JSONText.load(anchor)
    except ValueError:
        return None
    element = value.get("element") if isinstance(value, dict) else None
    return element if isinstance(element, str) else None


def round_change(s: Session, blobs: Any, rnd: Round, sheet_no: str,
                 change_id: str) -> dict[str, Any]:
    """Change ``change_id`` of ``sheet_no`` in the round's diff (as `review diff` lists it)."""
    old = new = None
    if rnd.prev_version_id is not None:
        old = registry.get_version(s, rnd.prev_version_id).manifest.get(sheet_no)
        new = registry.get_version(s, rnd.version_id).manifest.get(sheet_no)
    changed = old and new and diffs.set_diff({sheet_no: old}, {sheet_no: new})["changed"]
    rep = diffs.sheet_report(blobs, old, new) if changed else None
    for c in rep.changes if rep else []:
        if c["id"] == change_id:
            return c
    raise InvalidInput(f"{quote(sheet_no)}: 本轮修改中没有 no change {quote(change_id)} in this "
                       "round's diff of the sheet (see `yitaotu review diff`)")


def get_opinion(s: Session, project: str | Project, number: int | str) -> Opinion:
    return get_record(s, OPINION, registry.get_project(s, project), number)


def add_opinion(s: Session, project: str | Project, *, user: str, keys: KeyRing, sheet_no: str,
                anchor: dict[str, Any], category: str, text: str,
                change_id: str | None = None, discipline: str | None = None,
                submission: int | str | None = None, blobs: Any = None,
                checked_change: bool = False, now: datetime | None = None) -> Opinion:
    """A reviewer's opinion on a sheet under review (in the submission that covers it, or
    ``submission``); its discipline is the reviewer's, else the sheet's; ``change_id`` (a
    change of the round's diff, read through ``blobs``) must exist."""
    return act(s, project, "opinion_add", user=user, keys=keys, blobs=blobs, now=now,
               sheet=sheet_no, anchor=anchor, category=category, text=text,
               change_id=change_id, discipline=discipline, submission=submission,
               checked_change=checked_change)[1]


def _opinion_event(action: str) -> Any:
    def run(s: Session, project: str | Project, number: int | str, text: str = "", *,
            user: str, keys: KeyRing, now: datetime | None = None,
            expect_lock: int | None = None) -> Opinion:
        return act(s, project, f"opinion_{action}", user=user, keys=keys, now=now,
                   record=number, expect_lock=expect_lock, text=text)[1]

    run.__name__ = action
    run.__doc__ = {"reply": "答复 The design firm answers an opinion.",
                   "close": "关闭 Its discipline's reviewer closes an opinion.",
                   "reopen": "重新打开 Its discipline's reviewer reopens an opinion."}[action]
    return run


reply = _opinion_event("reply")
close = _opinion_event("close")
reopen = _opinion_event("reopen")


def list_opinions(s: Session, project: str | Project, *, state: str | None = None,
                  sheet_no: str | None = None, discipline: str | None = None,
                  submission: int | str | None = None) -> list[Opinion]:
    p = registry.get_project(s, project)
    q = select(Opinion).where(Opinion.project_code == p.code)
    if state:
        q = q.where(Opinion.state == state)
    if sheet_no:
        q = q.where(Opinion.sheet_no == sheet_no)
    if discipline:
        q = q.where(Opinion.discipline == disciplines.normalise(discipline))
    if submission is not None:
        sub = get_record(s, SUBMISSION, p, submission)
        q = q.where(Opinion.round_id.in_(select(Round.id).where(Round.submission_id == sub.id)))
    # affected first: the reviewer checks those before the rest
    return list(s.scalars(q.order_by(Opinion.affected.desc(), Opinion.number)))


def opinion_dict(o: Opinion) -> dict[str, Any]:
    return {"number": o.number, "sheet": o.sheet_no, "blob": o.blob_id, "page": o.page,
            "anchor": JSONText.load(o.anchor), "change_id": o.change_id,
            "category": o.category, "discipline": o.discipline, "text": o.text,
            "author": o.author, "state": o.state,
            "affected": o.affected, "lock": o.lock, "created": o.created.isoformat(),
            "replies": [{"kind": r.kind, "author": r.author, "text": r.text,
                         "at": r.created.isoformat()} for r in o.replies]}


def carry_opinions(s: Session, blobs: Any, sub: Submission, rnd: Round, version: SetVersion, *,
                   author: str, now: datetime) -> list[dict[str, Any]]:
    """Move every unclosed opinion of the submission to its sheet's revision in ``version``;
    flag the ones whose anchored region changed (or whose sheet changed in a way the engine
    cannot place)."""
    manifest = version.manifest
    out = []
    reports: dict[tuple[str, str], diffs.SheetChanges | None] = {}
    rounds = select(Round.id).where(Round.submission_id == sub.id)
    for o in s.scalars(select(Opinion).where(Opinion.round_id.in_(rounds),
                                             Opinion.state != "closed").order_by(Opinion.number)):
        new = manifest.get(o.sheet_no)
        if new is None:
            affected, note = True, "图纸已删除 sheet removed"
        elif (new["blob"], new.get("page")) == (o.blob_id, o.page):
            affected, note = False, "图纸未变 sheet unchanged"
        else:
            key = (o.blob_id, new["blob"])
            if key not in reports:  # several opinions on one sheet: diff it once
                reports[key] = diffs.sheet_report(blobs, {"blob": o.blob_id, "page": o.page}, new)
            report, region = reports[key], stored_region(o.anchor)
            if report is None or region is None:
                affected = True
                note = ("图纸已修改 sheet changed (region not located)" if region is not None
                        else "图纸已修改、锚点无效 sheet changed, anchor unreadable")
            elif (element := _anchored_element(o.anchor)) is not None:
                affected = any(element in (c.get("guid"), c.get("old_guid"))
                               for c in report.changes)  # a model: its element changed
                note = "锚定构件有修改 anchored element changed" if affected else \
                    "锚定构件未变 anchored element unchanged"
            else:
                affected = report.touches(region)
                note = "锚定区域有修改 anchored region changed" if affected else \
                    "锚定区域未变 anchored region unchanged"
            o.blob_id, o.page = new["blob"], new.get("page")
        o.affected = affected
        o.round_id = rnd.id
        o.updated = now
        s.add(OpinionReply(opinion_id=o.id, kind="carry", author=author, text=note, created=now))
        out.append({"opinion": o.number, "affected": affected, "note": note})
    return out


def submission_under_review(s: Session, p: Project, number: int | str | None,
                            states: tuple[str, ...] = ("in_review",)) -> Submission:
    """The submission named, else the only one in ``states``."""
    if number is not None:
        return get_record(s, SUBMISSION, p, number)
    found = records(s, SUBMISSION, p, states)
    if len(found) == 1:
        return found[0]
    if not found:
        raise NotFound(f"{p.code}: 没有审查中的报审 no submission in {'/'.join(states)}")
    raise InvalidInput("请指明报审 which submission? " + ", ".join(f"S-{x.number}" for x in found))


def _latest_round(s: Session, sub: Submission) -> Round:
    return s.scalar(select(Round).where(Round.submission_id == sub.id)
                    .order_by(Round.number.desc()).limit(1))


def round_changes(s: Session, blobs: Any, project: str | Project,
                  submission: int | str | None = None) -> dict[str, Any]:
    """The set diff the reviewer sees for a submission's latest round, with per-sheet changes
    (a first submission of new sheets has nothing to compare with): the one named, else the
    open one, else the last one."""
    p = registry.get_project(s, project)
    try:
        sub = submission_under_review(s, p, submission, ("submitted", "in_review",
                                                         "resubmitted", "returned"))
    except NotFound:  # nothing open: the last submission
        subs = records(s, SUBMISSION, p)
        if not subs:
            raise
        sub = subs[-1]
    rnd = _latest_round(s, sub)
    new = registry.get_version(s, rnd.version_id).manifest
    old = registry.get_version(s, rnd.prev_version_id).manifest if rnd.prev_version_id else {}
    full = diffs.set_diff(old, new)
    summary = {k: [no for no in v if no in sub.sheets] for k, v in full.items()}
    marks = {(m.sheet_no, m.change_id): m.mark for m in s.scalars(
        select(ChangeMark).where(ChangeMark.round_id == rnd.id))}
    sheets: dict[str, Any] = {}
    for no in summary["changed"]:
        rep = diffs.sheet_report(blobs, old[no], new[no])
        sheets[no] = None if rep is None else [
            {**c, "mark": marks.get((no, c["id"]))} for c in rep.changes]
    return {"project": p.code, "submission": sub.number, "stage": sub.stage,
            "round": rnd.number, "version": rnd.version_id, "previous": rnd.prev_version_id,
            **summary, "sheets": sheets}


@conflict_safe
def mark_change(s: Session, project: str | Project, sheet_no: str, change_id: str, mark: str, *,
                user: str, keys: KeyRing, blobs: Any = None, text: str | None = None,
                category: str = "general", bbox: list[float] | None = None,
                submission: int | str | None = None, now: datetime | None = None) -> ChangeMark:
    """Accept or query one change of the round's diff; a query becomes an opinion."""
    from workflow.engine import roles_of

    p = registry.get_project(s, project)
    u = get_user(s, user)
    if mark not in ("accepted", "queried"):
        raise InvalidInput("mark must be accepted or queried")
    limits.SHEET_NUMBER.check(sheet_no, required=True)
    limits.CHANGE_ID.check(change_id, required=True)
    limits.TEXT.check(text)
    sub = submission_under_review(s, p, submission)

    def refuse(reason: str) -> TransitionNotAllowed:
        return TransitionNotAllowed("change_mark", sub.state, reason,
                                    OPINION.allowed(None, roles_of(s, p, u)),
                                    label="标记修改 Mark change", record=f"S-{sub.number}")

    if Role.review not in roles_of(s, p, u):
        raise refuse(f"{u.name} 无权 may not mark changes (review agency only)")
    rnd = _latest_round(s, sub)
    if rnd.prev_version_id is None:
        raise refuse("首轮审查没有修改对比 the first round has no diff to mark")
    change = round_change(s, blobs, rnd, sheet_no, change_id)
    if s.scalar(select(ChangeMark).where(ChangeMark.round_id == rnd.id,
                                         ChangeMark.sheet_no == sheet_no,
                                         ChangeMark.change_id == change_id)) is not None:
        raise Conflict(f"{sheet_no} {change_id} 已标记 already marked")
    now = audit.stamp(s, p.code, now)
    opinion = None
    if mark == "queried":
        if bbox is None:
            if not change.get("bbox"):
                raise InvalidInput(f"{sheet_no} {change_id}: 修改无范围 the change has no bbox; "
                                   "pass bbox")
            bbox = _area(change["bbox"])
        opinion = add_opinion(s, p, user=user, keys=keys, sheet_no=sheet_no,
                              anchor={"type": "rect", "coords": bbox}, category=category,
                              text=text or f"请说明修改 {change_id} please explain this change",
                              change_id=change_id, submission=sub.number, blobs=blobs,
                              checked_change=True, now=now)
    m = ChangeMark(round_id=rnd.id, sheet_no=sheet_no, change_id=change_id, mark=mark,
                   opinion_id=opinion.id if opinion else None, author=u.name, created=now)
    s.add(m)
    record_event(s, p, "change_mark", user=u, keys=keys, now=now, version_id=rnd.version_id,
                 payload={"submission": sub.number, "sheet": sheet_no, "change_id": change_id,
                          "mark": mark, "opinion": opinion.number if opinion else None})
    flush(s)
    return m


def _area(bbox: list[float]) -> list[float]:
    """A change's bbox as a rectangle with an area: the bbox of a horizontal or vertical line
    (or of a point) is widened by 1% of its length (one drawing unit for a point)."""
    x0, y0, x1, y1 = (finite(v, "bbox") for v in bbox)
    grow = max(x1 - x0, y1 - y0) * 0.01 or 1.0
    if x1 == x0:
        x0, x1 = x0 - grow / 2, x1 + grow / 2
    if y1 == y0:
        y0, y1 = y0 - grow / 2, y1 + grow / 2
    return [x0, y0, x1, y1]
