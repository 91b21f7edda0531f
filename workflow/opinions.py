"""审查意见: opinions anchored to a sheet revision and a region, their replies and states.

The opinion life cycle is declared like the project's (``OPINION_ACTIONS``): who may act, from
which opinion states, in which project states.  Every action is a signed audit event.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from drawings import registry
from drawings.models import Project, SetVersion
from storage.errors import Conflict, InvalidInput, NotFound
from storage.numbers import db_int, finite
from workflow import audit, diffs
from workflow.machine import Role, State, TransitionNotAllowed
from workflow.models import ChangeMark, JSONText, Opinion, OpinionReply, Round, User
from workflow.service import (
    conflict_safe,
    current_round,
    flush,
    get_flow,
    get_user,
    record,
    roles_of,
)
from workflow.signing import KeyRing

CATEGORIES = {"mandatory": "强制性条文 mandatory", "general": "一般性 general",
              "advice": "建议 advice"}
CATEGORY_ALIASES = {"强制性条文": "mandatory", "强条": "mandatory", "一般性": "general",
                    "一般": "general", "建议": "advice"}

#: action -> (opinion states it starts from (None = new), resulting state, roles, project states)
OpinionAction = tuple[tuple[str | None, ...], str, frozenset[Role], frozenset[State]]
OPINION_ACTIONS: dict[str, OpinionAction] = {
    "add": ((None,), "open", frozenset({Role.review}), frozenset({State.in_review})),
    "reply": (("open", "reopened", "answered"), "answered", frozenset({Role.design}),
              frozenset({State.in_review, State.returned})),
    "close": (("open", "answered", "reopened"), "closed", frozenset({Role.review}),
              frozenset({State.in_review})),
    "reopen": (("answered", "closed"), "reopened", frozenset({Role.review}),
               frozenset({State.in_review})),
}
OPINION_LABELS = {"add": "提出意见 Add opinion", "reply": "答复意见 Reply to opinion",
                  "close": "关闭意见 Close opinion", "reopen": "重新打开意见 Reopen opinion"}


def parse_category(text: str) -> str:
    c = CATEGORY_ALIASES.get(text.strip(), text.strip().lower())
    if c not in CATEGORIES:
        raise InvalidInput(f"意见类别 category must be one of {', '.join(CATEGORIES)}")
    return c


def _numbers(coords: Any, n: int) -> list[float]:
    if isinstance(coords, str | bytes | dict) or len(coords) != n:
        raise ValueError(f"{n} numbers expected")
    return [finite(v, "坐标 coordinate") for v in coords]


def make_anchor(kind: str, coords: Any) -> dict[str, Any]:
    """Validate an anchor: point [x, y], rect [x0, y0, x1, y1] with an area, or simple polygon
    [[x, y], ...] with an area.  Coordinates must be finite: a JSON column cannot keep NaN or
    inf (orjson writes null), and a null anchor cannot be located on the next revision."""
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
        raise InvalidInput(f"无效的锚点 invalid {kind} anchor {coords!r}: {e}") from None
    raise InvalidInput(f"锚点类型 anchor type must be point, rect or polygon, not {kind!r}")


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


def _check(s: Session, project: Project, user: User, action: str,
           opinion: Opinion | None = None) -> list[str]:
    """Refusals are :class:`TransitionNotAllowed` (exit 22) like the project's moves; returns
    the opinion actions ``user`` may take now."""
    sources, _, roles, states = OPINION_ACTIONS[action]
    audit.check_state(s, project.code)
    state = State(get_flow(s, project).state)
    mine = roles_of(s, project, user)
    allowed = [f"opinion {a}" for a, (_, _, r, st) in OPINION_ACTIONS.items()
               if state in st and r & mine]

    def refuse(reason: str) -> TransitionNotAllowed:
        return TransitionNotAllowed(f"opinion_{action}", state, reason, allowed,
                                    label=OPINION_LABELS[action])

    if state not in states:
        raise refuse(f"项目状态 {state} 下不能 {action} opinions (only in "
                     f"{', '.join(sorted(states))})")
    if not roles & mine:
        raise refuse(f"{user.name} 无权 may not {action} opinions (only "
                     f"{', '.join(sorted(r.value for r in roles))})")
    current = opinion.state if opinion is not None else None
    if current not in sources:
        raise refuse(f"意见 #{opinion.number if opinion else '?'} 状态为 {current}: cannot "
                     f"{action} (from {', '.join(str(x) for x in sources)})")
    return allowed


def get_opinion(s: Session, project: str | Project, number: int) -> Opinion:
    p = registry.get_project(s, project)
    number = db_int(number, "意见编号 opinion number")
    o = s.scalar(select(Opinion).where(Opinion.project_code == p.code, Opinion.number == number))
    if o is None:
        raise NotFound(f"意见不存在 no opinion #{number} in {p.code}")
    return o


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
    raise InvalidInput(f"{sheet_no}: 本轮修改中没有 {change_id} no change {change_id!r} in this "
                       "round's diff of the sheet (see `yitaotu review diff`)")


@conflict_safe
def add_opinion(s: Session, project: str | Project, *, user: str, keys: KeyRing, sheet_no: str,
                anchor: dict[str, Any], category: str, text: str,
                change_id: str | None = None, blobs: Any = None,
                now: datetime | None = None) -> Opinion:
    """A reviewer's opinion on a sheet of the round under review; ``change_id`` (a change of
    the round's diff, read through ``blobs``) must exist."""
    p = registry.get_project(s, project)
    u = get_user(s, user)
    _check(s, p, u, "add")
    rnd = current_round(s, p.code)
    assert rnd is not None
    return _new_opinion(s, p, u, rnd, keys=keys, sheet_no=sheet_no, anchor=anchor,
                        category=category, text=text, change_id=change_id, blobs=blobs,
                        checked_change=False, now=now)


def _new_opinion(s: Session, p: Project, u: User, rnd: Round, *, keys: KeyRing, sheet_no: str,
                 anchor: dict[str, Any], category: str, text: str, change_id: str | None,
                 blobs: Any, checked_change: bool, now: datetime | None) -> Opinion:
    """Validate everything (the change id last: it may run the diff), then write."""
    if not (text or "").strip():
        raise InvalidInput("意见内容不能为空 opinion text must not be empty")
    category = parse_category(category)
    anchor = make_anchor(anchor["type"], anchor["coords"])
    manifest = registry.get_version(s, rnd.version_id).manifest
    if sheet_no not in manifest:
        raise NotFound(f"图纸 {sheet_no} 不在送审版本中 sheet not in the version under review")
    if change_id is not None and not checked_change:
        round_change(s, blobs, rnd, sheet_no, change_id)
    now = audit.stamp(s, p.code, now)
    number = (s.scalar(select(func.max(Opinion.number)).where(Opinion.project_code == p.code))
              or 0) + 1
    entry = manifest[sheet_no]
    o = Opinion(project_code=p.code, number=number, round_id=rnd.id, sheet_no=sheet_no,
                blob_id=entry["blob"], page=entry.get("page"), anchor=JSONText.dump(anchor),
                change_id=change_id, category=category, text=text.strip(), author=u.name,
                state="open", affected=False, created=now, updated=now)
    s.add(o)
    s.flush()
    record(s, p, "opinion_add", user=u, keys=keys, now=now, version_id=rnd.version_id,
           payload={"opinion": number, "sheet": sheet_no, "blob": entry["blob"],
                    "anchor": anchor, "category": category, "text": o.text,
                    "change_id": change_id})
    flush(s)
    return o


@conflict_safe
def _act(s: Session, project: str | Project, number: int, action: str, *, user: str,
         keys: KeyRing, text: str, now: datetime | None, expect_lock: int | None) -> Opinion:
    p = registry.get_project(s, project)
    u = get_user(s, user)
    o = get_opinion(s, p, number)
    _check(s, p, u, action, o)
    if expect_lock is not None and o.lock != db_int(expect_lock, "--if-lock"):
        raise Conflict(f"意见 #{number} 已被他人修改 changed by someone else; reload")
    if action == "reply" and not (text or "").strip():
        raise InvalidInput("答复不能为空 a reply needs text")
    now = audit.stamp(s, p.code, now)
    before = o.state
    o.state = OPINION_ACTIONS[action][1]
    o.updated = now
    if action != "reply":
        o.affected = False
    s.add(OpinionReply(opinion_id=o.id, kind=action, author=u.name, text=(text or "").strip(),
                       created=now))
    record(s, p, f"opinion_{action}", user=u, keys=keys, now=now,
           payload={"opinion": number, "from": before, "to": o.state, "text": text or ""})
    flush(s)
    return o


def reply(s: Session, project: str | Project, number: int, text: str, *, user: str,
          keys: KeyRing, now: datetime | None = None, expect_lock: int | None = None) -> Opinion:
    return _act(s, project, number, "reply", user=user, keys=keys, text=text, now=now,
                expect_lock=expect_lock)


def close(s: Session, project: str | Project, number: int, text: str = "", *, user: str,
          keys: KeyRing, now: datetime | None = None, expect_lock: int | None = None) -> Opinion:
    return _act(s, project, number, "close", user=user, keys=keys, text=text, now=now,
                expect_lock=expect_lock)


def reopen(s: Session, project: str | Project, number: int, text: str = "", *, user: str,
           keys: KeyRing, now: datetime | None = None, expect_lock: int | None = None) -> Opinion:
    return _act(s, project, number, "reopen", user=user, keys=keys, text=text, now=now,
                expect_lock=expect_lock)


def list_opinions(s: Session, project: str | Project, *, state: str | None = None,
                  sheet_no: str | None = None) -> list[Opinion]:
    p = registry.get_project(s, project)
    q = select(Opinion).where(Opinion.project_code == p.code)
    if state:
        q = q.where(Opinion.state == state)
    if sheet_no:
        q = q.where(Opinion.sheet_no == sheet_no)
    # affected first: the reviewer checks those before the rest
    return list(s.scalars(q.order_by(Opinion.affected.desc(), Opinion.number)))


def opinion_dict(o: Opinion) -> dict[str, Any]:
    return {"number": o.number, "sheet": o.sheet_no, "blob": o.blob_id, "page": o.page,
            "anchor": JSONText.load(o.anchor), "change_id": o.change_id,
            "category": o.category, "text": o.text, "author": o.author, "state": o.state,
            "affected": o.affected, "lock": o.lock, "created": o.created.isoformat(),
            "replies": [{"kind": r.kind, "author": r.author, "text": r.text,
                         "at": r.created.isoformat()} for r in o.replies]}


def carry_opinions(s: Session, blobs: Any, project: str, rnd: Round, version: SetVersion, *,
                   author: str, now: datetime) -> list[dict[str, Any]]:
    """Move every unclosed opinion to its sheet's revision in ``version``; flag the ones whose
    anchored region changed (or whose sheet changed in a way the engine cannot place)."""
    manifest = version.manifest
    out = []
    reports: dict[tuple[str, str], diffs.SheetChanges | None] = {}
    for o in s.scalars(select(Opinion).where(Opinion.project_code == project,
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


def round_changes(s: Session, blobs: Any, project: str | Project) -> dict[str, Any]:
    """The set diff the reviewer sees for the round under review, with per-sheet changes."""
    p = registry.get_project(s, project)
    rnd = current_round(s, p.code)
    if rnd is None:
        raise NotFound(f"{p.code}: 尚无送审 nothing submitted yet")
    new = registry.get_version(s, rnd.version_id).manifest
    old = registry.get_version(s, rnd.prev_version_id).manifest if rnd.prev_version_id else {}
    summary = diffs.set_diff(old, new)
    marks = {(m.sheet_no, m.change_id): m.mark for m in s.scalars(
        select(ChangeMark).where(ChangeMark.round_id == rnd.id))}
    sheets: dict[str, Any] = {}
    for no in summary["changed"]:
        rep = diffs.sheet_report(blobs, old[no], new[no])
        sheets[no] = None if rep is None else [
            {**c, "mark": marks.get((no, c["id"]))} for c in rep.changes]
    return {"project": p.code, "round": rnd.number, "version": rnd.version_id,
            "previous": rnd.prev_version_id, **summary, "sheets": sheets}


@conflict_safe
def mark_change(s: Session, project: str | Project, sheet_no: str, change_id: str, mark: str, *,
                user: str, keys: KeyRing, blobs: Any = None, text: str | None = None,
                category: str = "general", bbox: list[float] | None = None,
                now: datetime | None = None) -> ChangeMark:
    """Accept or query one change of the round's diff; a query becomes an opinion."""
    p = registry.get_project(s, project)
    u = get_user(s, user)
    if mark not in ("accepted", "queried"):
        raise InvalidInput("mark must be accepted or queried")
    allowed = _check(s, p, u, "add")
    rnd = current_round(s, p.code)
    assert rnd is not None
    if rnd.prev_version_id is None:
        raise TransitionNotAllowed("change_mark", State.in_review, "首轮审查没有修改对比 the "
                                   "first round has no diff to mark", allowed,
                                   label="标记修改 Mark change")
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
        opinion = _new_opinion(s, p, u, rnd, keys=keys, sheet_no=sheet_no,
                               anchor={"type": "rect", "coords": bbox}, category=category,
                               text=text or f"请说明修改 {change_id} please explain this change",
                               change_id=change_id, blobs=blobs, checked_change=True, now=now)
    m = ChangeMark(round_id=rnd.id, sheet_no=sheet_no, change_id=change_id, mark=mark,
                   opinion_id=opinion.id if opinion else None, author=u.name, created=now)
    s.add(m)
    record(s, p, "change_mark", user=u, keys=keys, now=now, version_id=rnd.version_id,
           payload={"sheet": sheet_no, "change_id": change_id, "mark": mark,
                    "opinion": opinion.number if opinion else None})
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
