"""The closed loop as one declared table: states, actors, guards and effects are data.

The table is what the services execute, what `yitaotu workflow graph` draws and what the tests
walk row by row.  It is checked when this module is imported (python-statemachine style): one
initial state, every state reachable, no trap state, the final state reachable from everywhere,
and every guard/effect name described — a bad edit fails at import, not in production.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from storage.errors import Conflict, InvalidInput, YitaotuError


class InvalidDefinition(YitaotuError):
    """The declared transition table is inconsistent (a programming error)."""

    exit_code = 70


class State(StrEnum):
    draft = "draft"
    submitted = "submitted"
    in_review = "in_review"
    returned = "returned"
    resubmitted = "resubmitted"
    approved = "approved"
    change_proposed = "change_proposed"
    change_confirmed = "change_confirmed"
    current = "current"
    as_built_submitted = "as_built_submitted"
    as_built_confirmed = "as_built_confirmed"
    accepted = "accepted"
    archived = "archived"


STATE_LABELS: dict[State, str] = {
    State.draft: "草稿 Draft",
    State.submitted: "已报审 Submitted",
    State.in_review: "审查中 In review",
    State.returned: "已退回修改 Returned",
    State.resubmitted: "已重新报审 Resubmitted",
    State.approved: "审查合格 Approved",
    State.change_proposed: "设计变更待确认 Change proposed",
    State.change_confirmed: "设计变更已确认 Change confirmed",
    State.current: "施工现行 Current",
    State.as_built_submitted: "竣工图已提交 As-built submitted",
    State.as_built_confirmed: "竣工图已确认 As-built confirmed",
    State.accepted: "竣工验收 Accepted",
    State.archived: "归档 Archived",
}

INITIAL = State.draft
FINAL = frozenset({State.archived})


class Role(StrEnum):
    """The part an organisation plays on a project (a project party)."""

    design = "design"
    review = "review"
    owner = "owner"
    contractor = "contractor"
    supervisor = "supervisor"
    archivist = "archivist"
    inspector = "inspector"
    admin = "admin"


ROLE_LABELS: dict[Role, str] = {
    Role.design: "设计单位 Design firm",
    Role.review: "审查机构 Review agency",
    Role.owner: "建设单位 Owner",
    Role.contractor: "施工单位 Contractor",
    Role.supervisor: "监理单位 Supervisor",
    Role.archivist: "档案馆 Archive",
    Role.inspector: "监督机构 Inspector",
    Role.admin: "管理员 Admin",
}

#: Spellings accepted for a role (English key, Chinese short and full names).
ROLE_ALIASES: dict[str, Role] = {}
for _r, _label in ROLE_LABELS.items():
    _zh = _label.split(" ")[0]
    ROLE_ALIASES.update({_r.value: _r, _zh: _r, _zh.removesuffix("单位"): _r})
ROLE_ALIASES.update({"审查": Role.review, "监督": Role.inspector, "档案": Role.archivist})


def parse_role(text: str) -> Role:
    try:
        return ROLE_ALIASES[text.strip().lower() if text.isascii() else text.strip()]
    except KeyError:
        choices = ", ".join(r.value for r in Role)
        raise InvalidInput(f"未知角色 unknown role {text!r} (one of {choices})") from None


#: Guard name -> what it requires (zh + en).  Implementations live in ``workflow.guards``.
GUARDS: dict[str, str] = {
    "version_has_sheets": "报审版本须含图纸 the version must contain sheets",
    "version_is_new": "须为新的版本 the version must differ from the one last submitted",
    "round_has_opinions": "退回须有未关闭的审查意见 returning needs at least one open opinion",
    "all_opinions_answered": "每条未关闭意见须已答复 every open opinion must be answered",
    "no_open_mandatory": "不得有未关闭的强制性条文意见 no open mandatory (强制性条文) opinion",
    "based_on_current": "须基于施工现行版 the version must descend from `current`",
    "no_pending_change": "不得有未完成的设计变更 no design change may be pending",
    "not_yet_confirmed": "本单位尚未确认 this party has not confirmed yet",
    "other_confirmation_missing": "另一方尚未确认 the other party has not confirmed yet",
    "other_confirmation_present": "另一方已确认 the other party has confirmed",
    "general_change": "一般变更 a general change",
    "major_change": "重大变更须重新审查 a major change goes back to review",
    "both_confirmed": "建设与监理单位均已确认 owner and supervisor have both confirmed",
    "project_accepted": "项目须已竣工验收 the project must be accepted",
}

#: Effect name -> what it does.  Implementations live in ``workflow.service``.
EFFECTS: dict[str, str] = {
    "move_submitted": "移动 submitted 引用 move ref `submitted`",
    "open_round": "开启审查轮次 open a review round",
    "start_clock": "审查计时开始 start the review clock",
    "pause_clock": "审查计时暂停 pause the review clock",
    "carry_opinions": "意见带入新版本 carry open opinions to the new revisions",
    "approve_set": "移动 approved/current 并签发审查合格书 move `approved`, `current`; certify",
    "record_change": "记录设计变更 record the design change",
    "record_confirmation": "记录确认 record this party's confirmation",
    "reject_change": "设计变更作废 mark the change rejected",
    "apply_change": "移动 current move ref `current`",
    "review_change": "重大变更报审 submit the change for review",
    "record_as_built": "记录竣工图并标记须重绘图纸 record the as-built set, flag sheets to redraw",
    "reject_as_built": "竣工图退回 return the as-built set",
    "move_as_built": "移动 as-built 引用 move ref `as-built`",
    "move_archived": "移动 archived 引用 move ref `archived`",
}

EVENT_LABELS: dict[str, str] = {
    "submit": "报审 Submit",
    "accept_review": "受理 Accept for review",
    "return": "退回 Return with opinions",
    "resubmit": "重新报审 Resubmit",
    "approve": "审查合格 Approve",
    "propose_change": "提出设计变更 Propose change",
    "confirm_change": "确认设计变更 Confirm change",
    "reject_change": "驳回设计变更 Reject change",
    "sign_change": "设计单位签署变更 Sign change",
    "submit_as_built": "提交竣工图 Submit as-built",
    "confirm_as_built": "确认竣工图 Confirm as-built",
    "reject_as_built": "退回竣工图 Return as-built",
    "accept": "竣工验收 Accept",
    "archive": "归档 Archive",
}


@dataclass(frozen=True, slots=True)
class Transition:
    event: str
    source: State
    target: State
    actors: frozenset[Role]
    guards: tuple[str, ...] = ()
    effects: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        """Stable row id for tests and docs: ``event:source->target``."""
        return f"{self.event}:{self.source}->{self.target}"


def _t(event: str, source: State | Iterable[State], target: State, actors: Iterable[Role],
       guards: Iterable[str] = (), effects: Iterable[str] = ()) -> list[Transition]:
    sources = [source] if isinstance(source, State) else list(source)
    return [Transition(event, s, target, frozenset(actors), tuple(guards), tuple(effects))
            for s in sources]


S, R = State, Role
OWNER_SUPERVISOR = (R.owner, R.supervisor)

#: The table.  Rows with the same (event, source) are tried in order; the first whose guards
#: all hold is taken (the confirm_* pairs pick their target by whether the other party has
#: confirmed already).
TRANSITIONS: tuple[Transition, ...] = tuple(
    _t("submit", S.draft, S.submitted, [R.design], ["version_has_sheets"],
       ["move_submitted", "open_round"])
    + _t("accept_review", [S.submitted, S.resubmitted], S.in_review, [R.review], [],
         ["start_clock"])
    + _t("return", S.in_review, S.returned, [R.review], ["round_has_opinions"], ["pause_clock"])
    + _t("resubmit", S.returned, S.resubmitted, [R.design],
         ["version_has_sheets", "version_is_new", "all_opinions_answered"],
         ["move_submitted", "open_round", "carry_opinions"])
    + _t("approve", S.in_review, S.approved, [R.review], ["no_open_mandatory"],
         ["pause_clock", "approve_set"])
    + _t("propose_change", [S.approved, S.current], S.change_proposed, [R.design],
         ["version_has_sheets", "version_is_new", "based_on_current"], ["record_change"])
    + _t("confirm_change", S.change_proposed, S.change_proposed, OWNER_SUPERVISOR,
         ["not_yet_confirmed", "other_confirmation_missing"], ["record_confirmation"])
    + _t("confirm_change", S.change_proposed, S.change_confirmed, OWNER_SUPERVISOR,
         ["not_yet_confirmed", "other_confirmation_present"], ["record_confirmation"])
    + _t("reject_change", [S.change_proposed, S.change_confirmed], S.current,
         OWNER_SUPERVISOR, [], ["reject_change"])
    + _t("sign_change", S.change_confirmed, S.current, [R.design],
         ["both_confirmed", "general_change"], ["apply_change"])
    + _t("sign_change", S.change_confirmed, S.submitted, [R.design],
         ["both_confirmed", "major_change"], ["review_change", "move_submitted", "open_round"])
    + _t("submit_as_built", [S.approved, S.current], S.as_built_submitted, [R.contractor],
         ["version_has_sheets", "based_on_current", "no_pending_change"], ["record_as_built"])
    + _t("confirm_as_built", S.as_built_submitted, S.as_built_submitted, OWNER_SUPERVISOR,
         ["not_yet_confirmed", "other_confirmation_missing"], ["record_confirmation"])
    + _t("confirm_as_built", S.as_built_submitted, S.as_built_confirmed, OWNER_SUPERVISOR,
         ["not_yet_confirmed", "other_confirmation_present"], ["record_confirmation"])
    + _t("reject_as_built", [S.as_built_submitted, S.as_built_confirmed], S.current,
         OWNER_SUPERVISOR, [], ["reject_as_built"])
    + _t("accept", S.as_built_confirmed, S.accepted, [R.owner], ["both_confirmed"],
         ["move_as_built"])
    + _t("archive", S.accepted, S.archived, [R.archivist], ["project_accepted"],
         ["move_archived"])
)

EVENTS: tuple[str, ...] = tuple(dict.fromkeys(t.event for t in TRANSITIONS))


class TransitionNotAllowed(Conflict):
    """A refused move: says why and which moves are allowed now (HTTP 409 in the web app).
    Opinion actions refused by the project's or the opinion's state raise it too (``label``)."""

    exit_code = 22

    def __init__(self, event: str, state: State, reason: str,
                 allowed: list[str] | None = None, *, label: str | None = None) -> None:
        allowed = allowed or []
        hint = ", ".join(allowed) if allowed else "无 none"
        super().__init__(
            f"不允许 {label or EVENT_LABELS.get(event, event)} (state {state}): {reason}; "
            f"当前可执行 allowed now: {hint}")
        self.event, self.state, self.reason, self.allowed = event, state, reason, allowed


def rows(event: str, state: State) -> list[Transition]:
    return [t for t in TRANSITIONS if t.event == event and t.source == state]


def allowed_events(state: State, roles: Iterable[Role] | None = None) -> list[str]:
    """Events that may be taken from ``state`` (by any of ``roles`` when given), guards aside."""
    want = set(roles) if roles is not None else None
    return list(dict.fromkeys(
        t.event for t in TRANSITIONS
        if t.source == state and (want is None or t.actors & want)))


def actors_for(state: State) -> set[Role]:
    """Who has something to do in ``state`` (the outbox notifies them)."""
    return {a for t in TRANSITIONS if t.source == state for a in t.actors}


def check(transitions: tuple[Transition, ...] = TRANSITIONS) -> None:
    """Raise :class:`InvalidDefinition` for unreachable states, trap states or unknown names."""
    for t in transitions:
        for g in t.guards:
            if g not in GUARDS:
                raise InvalidDefinition(f"{t.key}: undeclared guard {g!r}")
        for e in t.effects:
            if e not in EFFECTS:
                raise InvalidDefinition(f"{t.key}: undeclared effect {e!r}")
        if not t.actors:
            raise InvalidDefinition(f"{t.key}: nobody may take it")
        if t.source in FINAL:
            raise InvalidDefinition(f"{t.key}: leaves a final state")
    succ: dict[State, set[State]] = {s: set() for s in State}
    for t in transitions:
        succ[t.source].add(t.target)
    reach, todo = {INITIAL}, [INITIAL]
    while todo:
        for n in succ[todo.pop()] - reach:
            reach.add(n)
            todo.append(n)
    if missing := [s.value for s in State if s not in reach]:
        raise InvalidDefinition(f"unreachable states: {missing}")
    for s in State:
        if s not in FINAL and not (succ[s] - {s}):
            raise InvalidDefinition(f"trap state: {s} has no way out")
    pred: dict[State, set[State]] = {s: set() for s in State}
    for t in transitions:
        pred[t.target].add(t.source)
    back, todo = set(FINAL), list(FINAL)
    while todo:
        for n in pred[todo.pop()] - back:
            back.add(n)
            todo.append(n)
    if stuck := [s.value for s in State if s not in back]:
        raise InvalidDefinition(f"states that can never reach the end: {stuck}")


def to_mermaid() -> str:
    lines = ["stateDiagram-v2", f"    [*] --> {INITIAL}"]
    for s in State:
        lines.append(f'    {s}: {STATE_LABELS[s]}')
    for t in TRANSITIONS:
        who = "/".join(sorted(a.value for a in t.actors))
        guard = f" [{', '.join(t.guards)}]" if t.guards else ""
        lines.append(f"    {t.source} --> {t.target}: {t.event} ({who}){guard}")
    lines += [f"    {s} --> [*]" for s in sorted(FINAL)]
    return "\n".join(lines) + "\n"


def to_dot() -> str:
    lines = ["digraph yitaotu_workflow {", "    rankdir=LR;", "    node [shape=box];"]
    for s in State:
        shape = ", shape=doublecircle" if s in FINAL else ""
        lines.append(f'    {s} [label="{STATE_LABELS[s]}"{shape}];')
    for t in TRANSITIONS:
        who = "/".join(sorted(a.value for a in t.actors))
        guard = f"\\n[{', '.join(t.guards)}]" if t.guards else ""
        lines.append(f'    {t.source} -> {t.target} [label="{t.event} ({who}){guard}"];')
    lines.append("}")
    return "\n".join(lines) + "\n"


def describe() -> list[dict[str, object]]:
    """The table as plain data (``workflow graph --format json``)."""
    return [{"event": t.event, "label": EVENT_LABELS[t.event], "from": t.source.value,
             "to": t.target.value, "actors": sorted(a.value for a in t.actors),
             "guards": list(t.guards), "effects": list(t.effects)} for t in TRANSITIONS]


check()
