"""The code of the guards named in :data:`workflow.machine.GUARDS`.

Each returns None when it holds, else why not (zh + en): the refusal the user sees.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from drawings import registry
from workflow import diffs, disciplines
from workflow.engine import Act, guard, records
from workflow.facts import (
    confirmer,
    meeting_of,
    minutes_roles,
    opinion_discipline,
    submission_disciplines,
    submission_of_opinion,
    submission_scope,
    valid_signoffs,
)
from workflow.machine import (
    CHANGE,
    OPEN_CHANGE_STATES,
    OPEN_SUBMISSION_STATES,
    ROLE_LABELS,
    SUBMISSION,
    Role,
)
from workflow.models import AsBuilt, Change, Meeting, Opinion, Question, Round, Submission

OPEN_OPINION = ("open", "reopened")

# -- versions -----------------------------------------------------------------------------------


@guard("version_has_sheets")
def _has_sheets(a: Act) -> str | None:
    if a.version is None:
        return "须指定版本 a set version is required"
    return None if a.version.manifest else f"版本 {a.version.id[:12]} 不含图纸 has no sheets"


@guard("version_is_new")
def _is_new(a: Act) -> str | None:
    if a.version is None:
        return "须指定版本 a set version is required"
    last = a.obj.version_id if isinstance(a.obj, Submission) else None
    return f"版本与上次报审相同 version equals the one last submitted ({last[:12]})" \
        if last == a.version.id else None


def _descends(a: Act, ancestor: str) -> bool:
    assert a.version is not None
    return ancestor in {v.id for v in registry.log(a.s, a.project, a.version.id)}


@guard("based_on_current")
def _based_on_current(a: Act) -> str | None:
    cur = a.ref("current")
    if cur is None:
        return "项目没有施工现行版 the project has no `current` set"
    if a.version is None or not _descends(a, cur.id):
        return (f"版本不是基于 current ({cur.id[:12]}) the version does not descend from "
                "`current` (name the sheets it changes: --sheets)")
    return None


@guard("version_changes_sheets")
def _changes_sheets(a: Act) -> str | None:
    cur = a.ref("current")
    if a.version is None or cur is None:
        return "须指定版本 a set version is required"
    touched = diffs.set_diff(cur.manifest, a.version.manifest)
    return None if any(touched.values()) else \
        "版本与 current 相同 the version changes no sheet of `current`"


# -- the project --------------------------------------------------------------------------------


@guard("has_approved_part")
def _has_approved(a: Act) -> str | None:
    return None if a.ref("approved") else "尚无审查合格的图纸 nothing is approved yet"


@guard("project_has_approved_set")
def _project_has_approved(a: Act) -> str | None:
    return _has_approved(a)


@guard("project_in_design_or_construction")
def _in_design_or_construction(a: Act) -> str | None:
    if a.flow.state in ("design", "construction"):
        return None
    return f"项目处于 {a.flow.state} the project is past construction"


@guard("project_in_construction")
def _in_construction(a: Act) -> str | None:
    if a.flow.state == "construction":
        return None
    return f"项目未在施工阶段 the project is in {a.flow.state}, not construction"


@guard("no_open_change")
def _no_open_change(a: Act) -> str | None:
    left = records(a.s, CHANGE, a.project, OPEN_CHANGE_STATES)
    return None if not left else "变更未完成 open changes: " + ", ".join(
        f"C-{c.number} ({c.state})" for c in left)


@guard("no_open_submission")
def _no_open_submission(a: Act) -> str | None:
    left = records(a.s, SUBMISSION, a.project, OPEN_SUBMISSION_STATES)
    return None if not left else "报审未完成 open submissions: " + ", ".join(
        f"S-{x.number} ({x.state})" for x in left)


@guard("project_accepted")
def _project_accepted(a: Act) -> str | None:
    ab = a.s.scalar(select(AsBuilt).where(AsBuilt.project_code == a.project.code,
                                          AsBuilt.state == "accepted").limit(1))
    if ab is None or a.ref("as-built") is None:
        return "项目尚未竣工验收 the project has not been accepted"
    return None


# -- confirmations (as-built and changes) --------------------------------------------------------


def _item(a: Act) -> AsBuilt | Change | None:
    if isinstance(a.obj, Change):
        return a.obj
    return a.s.scalar(select(AsBuilt).where(AsBuilt.project_code == a.project.code,
                                            AsBuilt.state.in_(("submitted", "confirmed")))
                      .order_by(AsBuilt.id.desc()).limit(1))


def _other(a: Act) -> Role | None:
    mine = confirmer(a.roles, _item(a))
    return None if mine is None else (Role.supervisor if mine is Role.owner else Role.owner)


@guard("not_yet_confirmed")
def _not_yet_confirmed(a: Act) -> str | None:
    item = _item(a)
    if item is None:
        return "没有待确认的事项 nothing to confirm"
    return None if confirmer(a.roles, item) else "本单位已确认 your party has already confirmed"


@guard("other_confirmation_missing")
def _other_missing(a: Act) -> str | None:
    other, item = _other(a), _item(a)
    if other is None or item is None:
        return "没有待确认的事项 nothing to confirm"
    return None if getattr(item, f"{other.value}_by") is None else "另一方已确认 other confirmed"


@guard("other_confirmation_present")
def _other_present(a: Act) -> str | None:
    other, item = _other(a), _item(a)
    if other is None or item is None:
        return "没有待确认的事项 nothing to confirm"
    return None if getattr(item, f"{other.value}_by") else "另一方未确认 other has not confirmed"


@guard("both_confirmed")
def _both_confirmed(a: Act) -> str | None:
    item = _item(a)
    if item is None:
        return "没有待确认的事项 nothing pending"
    missing = [ROLE_LABELS[r] for r in (Role.owner, Role.supervisor)
               if getattr(item, f"{r.value}_by") is None]
    return None if not missing else "尚未确认 not confirmed by: " + ", ".join(missing)


# -- submissions --------------------------------------------------------------------------------


@guard("scope_in_version")
def _scope_in_version(a: Act) -> str | None:
    if a.version is None:
        return "须指定版本 a set version is required"
    try:
        scope, removed = submission_scope(a)
    except ValueError as e:
        return str(e)
    missing = [no for no in scope if no not in a.version.manifest and no not in removed]
    if missing:
        return "版本中没有这些图纸 not in the version: " + ", ".join(missing[:10])
    return None if scope else "报审范围为空 the scope has no sheet"


@guard("scope_not_under_review")
def _scope_not_under_review(a: Act) -> str | None:
    try:
        scope, _ = submission_scope(a)
    except ValueError as e:
        return str(e)
    clash = [f"{no} (S-{x.number})" for x in records(a.s, SUBMISSION, a.project,
                                                      OPEN_SUBMISSION_STATES)
             if x is not a.obj for no in x.sheets if no in scope]
    return None if not clash else "已在审查中 already under review: " + ", ".join(clash[:10])


@guard("scope_not_approved")
def _scope_not_approved(a: Act) -> str | None:
    if a.params.get("change") is not None:
        return None  # a major change's sheets are approved ones, by definition
    approved = a.ref("approved")
    if approved is None:
        return None
    try:
        scope, _ = submission_scope(a)
    except ValueError as e:
        return str(e)
    done = [no for no in scope if no in approved.manifest]
    return None if not done else ("已审查合格，请用设计变更 already approved, change them "
                                  "through a 设计变更: " + ", ".join(done[:10]))


def _opinions_of(a: Act, sub: Submission, states: tuple[str, ...] | None = None,
                 category: str | None = None, discipline: str | None = None) -> list[Opinion]:
    rounds = select(Round.id).where(Round.submission_id == sub.id)
    q = select(Opinion).where(Opinion.round_id.in_(rounds))
    if states:
        q = q.where(Opinion.state.in_(states))
    if category:
        q = q.where(Opinion.category == category)
    if discipline:
        q = q.where(Opinion.discipline == discipline)
    return list(a.s.scalars(q.order_by(Opinion.number)))


def _numbers(ops: list[Opinion]) -> str:
    return ", ".join(f"#{o.number}" for o in ops)


@guard("round_has_opinions")
def _round_has_opinions(a: Act) -> str | None:
    return None if _opinions_of(a, a.obj, OPEN_OPINION) else \
        "没有未关闭的意见 no open opinion to return"


@guard("all_opinions_answered")
def _all_answered(a: Act) -> str | None:
    left = _opinions_of(a, a.obj, OPEN_OPINION)
    return None if not left else "未答复意见 unanswered opinions: " + _numbers(left)


@guard("no_open_mandatory")
def _no_open_mandatory(a: Act) -> str | None:
    left = [o for o in _opinions_of(a, a.obj, category="mandatory") if o.state != "closed"]
    return None if not left else \
        "强制性条文意见未关闭 open mandatory opinions: " + _numbers(left)


def signing_discipline(a: Act) -> str:
    """The discipline being signed: as given, else the reviewer's own; a reviewer without one
    signs the first discipline of the submission left to them (none covers it, not signed)."""
    if "_signing" not in a.params:
        d = disciplines.normalise(a.params.get("discipline")) or \
            disciplines.normalise(a.user.discipline)
        if d is None and isinstance(a.obj, Submission):
            done, mine = valid_signoffs(a, a.obj), covered(a)
            left = [x for x in sorted(set(submission_disciplines(a, a.obj).values()))
                    if x not in done and x not in mine]
            d = left[0] if left else None
        a.params["_signing"] = d or disciplines.UNASSIGNED
    return a.params["_signing"]


def covered(a: Act) -> set[str]:
    """The disciplines the acting user's agency has a reviewer for."""
    return {d for u in a.user.organisation.users if (d := disciplines.normalise(u.discipline))}


def _cannot(a: Act, d: str) -> str:
    who = a.user.discipline or "无 none (acts for disciplines without a reviewer)"
    return f"{a.user.name} 的专业为 {who}，不能代 {d} 专业 cannot act for {d}"


@guard("reviewer_of_discipline")
def _reviewer_of_discipline(a: Act) -> str | None:
    if isinstance(a.obj, Submission):  # signing a discipline of the submission
        d = signing_discipline(a)
        if d not in submission_disciplines(a, a.obj).values():
            return f"报审中没有 {d} 专业的图纸 no sheet of discipline {d} in this submission"
    else:  # a new opinion: as given, else the reviewer's, else the sheet's
        d = opinion_discipline(a)
    return None if disciplines.may_act_for(a.user.discipline, d, covered(a)) else _cannot(a, d)


@guard("reviewer_of_opinion")
def _reviewer_of_opinion(a: Act) -> str | None:
    o: Opinion = a.obj
    if o.author == a.user.name or disciplines.may_act_for(a.user.discipline, o.discipline,
                                                          covered(a)):
        return None
    return f"意见 #{o.number} 属 {o.discipline or disciplines.UNASSIGNED} 专业 belongs to " \
           f"{o.discipline}: {_cannot(a, o.discipline or disciplines.UNASSIGNED)}"


@guard("discipline_not_signed")
def _discipline_not_signed(a: Act) -> str | None:
    d = signing_discipline(a)
    done = valid_signoffs(a, a.obj)
    return None if d not in done else f"{d} 已签署 already signed by {done[d].user_name}"


@guard("no_open_mandatory_in_discipline")
def _no_mandatory_in_discipline(a: Act) -> str | None:
    d = signing_discipline(a)
    left = [o for o in _opinions_of(a, a.obj, category="mandatory", discipline=d)
            if o.state != "closed"]
    return None if not left else f"{d} 专业强制性条文意见未关闭 open mandatory opinions: " \
                                 + _numbers(left)


@guard("all_disciplines_signed")
def _all_signed(a: Act) -> str | None:
    done = valid_signoffs(a, a.obj)
    left = sorted(set(submission_disciplines(a, a.obj).values()) - set(done))
    return None if not left else "尚未签署的专业 disciplines not signed: " + ", ".join(left)


def _submission_state(a: Act) -> str | None:
    sub = submission_of_opinion(a)
    return None if sub is None else sub.state


def _no_submission(a: Act) -> str | None:
    if submission_of_opinion(a) is None:
        sheet = a.params.get("sheet")
        return f"图纸 {sheet} 不在审查中 no submission in review covers sheet {sheet}"
    return None


@guard("submission_in_review")
def _sub_in_review(a: Act) -> str | None:
    if missing := _no_submission(a):
        return missing
    state = _submission_state(a)
    return None if state == "in_review" else f"报审状态为 {state} the submission is not in review"


@guard("submission_in_review_or_returned")
def _sub_in_review_or_returned(a: Act) -> str | None:
    if missing := _no_submission(a):
        return missing
    state = _submission_state(a)
    return None if state in ("in_review", "returned") else \
        f"报审状态为 {state} the submission is not in review or returned"


# -- changes ------------------------------------------------------------------------------------


@guard("raised_kind")
def _raised_kind(a: Act) -> str | None:
    kind = a.params.get("kind")
    return None if kind in ("negotiation", "verification") else \
        "施工单位提出工程洽商或技术核定单 the contractor raises a negotiation or a verification"


@guard("answer_given")
def _answer_given(a: Act) -> str | None:
    return None if (a.params.get("text") or "").strip() else "须有答复内容 an answer is required"


def stale_sheets(a: Act, ch: Change) -> list[str]:
    """Sheets the change touches that changed in `current` since the change's base (unless
    `current` has just what the change proposes there)."""
    if ch.base_version_id is None or ch.version_id is None:
        return []
    base = registry.get_version(a.s, ch.base_version_id).manifest
    mine = registry.get_version(a.s, ch.version_id).manifest
    cur = a.ref("current")
    now = cur.manifest if cur else {}
    t = ch.touched
    return [no for no in sorted({*t["added"], *t["changed"], *t["removed"]})
            if not diffs.same_entry(base.get(no), now.get(no))
            and not diffs.same_entry(mine.get(no), now.get(no))]


@guard("change_not_stale")
def _not_stale(a: Act) -> str | None:
    stale = stale_sheets(a, a.obj)
    return None if not stale else ("图纸已被其他变更修改，须改基 changed by another change since "
                                   "this one was drawn, rebase it: " + ", ".join(stale))


@guard("change_is_stale")
def _is_stale(a: Act) -> str | None:
    return None if stale_sheets(a, a.obj) else "无需改基 nothing to rebase: the change is current"


@guard("no_lost_edits")
def _no_lost_edits(a: Act) -> str | None:
    ch: Change = a.obj
    if a.version is None or ch.base_version_id is None:
        return "须指定版本 a set version is required"
    if (a.params.get("drop_reason") or "").strip():
        return None  # dropped on purpose, said why: recorded in the event
    base = registry.get_version(a.s, ch.base_version_id).manifest
    cur = a.ref("current")
    now = cur.manifest if cur else {}
    lost = []
    for no in stale_sheets(a, ch):
        try:
            n = diffs.lost_edits(a.blobs, base.get(no), now.get(no), a.version.manifest.get(no))
        except Exception as e:  # noqa: BLE001 - an unreadable sheet cannot be shown to keep them
            lost.append(f"{no}: 无法比较 cannot compare ({e})")
            continue
        if n["missing"] or n["revived"]:
            lost.append(f"{no}: 缺少其间新增 {n['missing']} missing of {n['added_meanwhile']} "
                        f"added meanwhile, 恢复其间删除 {n['revived']} revived of "
                        f"{n['removed_meanwhile']} removed")
    a.payload["lost_check"] = lost
    return None if not lost else ("其他变更的修改将丢失 edits that became effective meanwhile "
                                  "would be lost (--drop-edits REASON to drop them): "
                                  + "; ".join(lost))


@guard("general_change")
def _general(a: Act) -> str | None:
    return None if a.obj.klass == "general" else "重大变更 the change is major"


@guard("major_change")
def _major(a: Act) -> str | None:
    return None if a.obj.klass == "major" else "一般变更 the change is general"


@guard("change_submission_approved")
def _change_approved(a: Act) -> str | None:
    sub = a.s.scalar(select(Submission).where(Submission.change_id == a.obj.id)
                     .order_by(Submission.number.desc()).limit(1))
    return None if sub is not None and sub.state == "approved" else \
        "变更的报审尚未合格 the change's submission is not approved"


@guard("raised_by_your_party")
def _raised_by_you(a: Act) -> str | None:
    return None if a.obj.raised_by in {r.value for r in a.roles} else \
        f"由 {ROLE_LABELS[Role(a.obj.raised_by)]} 提出 raised by the {a.obj.raised_by}"


# -- meetings and questions ---------------------------------------------------------------------


@guard("meeting_open")
def _meeting_open(a: Act) -> str | None:
    m = meeting_of(a)
    return None if m.state == "open" else f"会审 M-{m.number} 已结束 the meeting is {m.state}"


def _questions(a: Act, m: Meeting) -> list[Question]:
    return list(a.s.scalars(select(Question).where(Question.meeting_id == m.id)
                            .order_by(Question.number)))


@guard("meeting_has_questions")
def _meeting_has_questions(a: Act) -> str | None:
    return None if _questions(a, a.obj) else "会审没有问题记录 no question on record"


@guard("all_questions_answered")
def _all_questions_answered(a: Act) -> str | None:
    left = [q for q in _questions(a, a.obj) if q.state != "answered"]
    return None if not left else "未答复 unanswered: " + ", ".join(f"Q-{q.number}" for q in left)


def _signed(m: Meeting) -> dict[str, Any]:
    from workflow.models import JSONText

    return JSONText.load(m.signed) or {}


def minutes_role(a: Act) -> Role | None:
    """The party the user signs the minutes for: their first role not yet signed."""
    signed = _signed(a.obj)
    return next((r for r in minutes_roles(a) if r in a.roles and r.value not in signed), None)


@guard("party_not_yet_signed")
def _party_not_signed(a: Act) -> str | None:
    return None if minutes_role(a) else "本单位已签署纪要 your party has signed the minutes"


def _unsigned_others(a: Act) -> list[Role]:
    me = minutes_role(a)
    signed = _signed(a.obj)
    return [r for r in minutes_roles(a) if r != me and r.value not in signed]


@guard("other_parties_missing")
def _others_missing(a: Act) -> str | None:
    return None if _unsigned_others(a) else "他方均已签署 every other party has signed"


@guard("other_parties_signed")
def _others_signed(a: Act) -> str | None:
    left = _unsigned_others(a)
    return None if not left else "尚未签署 still to sign: " + ", ".join(
        ROLE_LABELS[r] for r in left)



@guard("stage_submission")
def _stage_submission(a: Act) -> str | None:
    if a.obj.change_id is None:
        return None
    return "变更的报审须撤回变更 withdraw the change itself (`change withdraw`)"
