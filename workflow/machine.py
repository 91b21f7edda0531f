"""The closed loop as declared tables: one lifecycle per kind of record, states, actors, guards
and effects as data.

A project runs many records at once: review submissions (报审, a whole set or one stage of it),
changes (设计变更, 工程洽商, 技术核定单), drawing-review meetings (图纸会审) and their questions,
and review opinions.  Each kind has its own :class:`Lifecycle`; the project itself has one too
(design → construction → as-built → accepted → archived).  The tables are what the services
execute, what ``yitaotu workflow graph`` draws, what ``docs/workflow.md`` is generated from and
what the tests walk row by row.  Each is checked when this module is imported
(python-statemachine style): every state reachable from a creating row, no trap state, the
final states reachable from everywhere and left by nothing, every guard and effect declared —
a bad edit fails at import, not in production.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType

from storage.display import quote
from storage.errors import Conflict, InvalidInput, YitaotuError


class InvalidDefinition(YitaotuError):
    """A declared transition table is inconsistent (a programming error)."""

    exit_code = 70


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
    key = text.strip().lower() if text.isascii() else text.strip()
    try:
        return ROLE_ALIASES[key]
    except KeyError:
        choices = ", ".join(ROLE_LABELS)
        raise InvalidInput(f"未知角色 unknown role {quote(text)} (one of {choices})") from None


@dataclass(frozen=True, slots=True)
class Transition:
    """One row: ``event`` takes a record from ``source`` (None: creates it) to ``target``."""

    event: str
    source: str | None
    target: str
    actors: frozenset[Role]
    guards: tuple[str, ...] = ()
    effects: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        """Stable row id for tests and docs: ``event:source->target``."""
        return f"{self.event}:{self.source or '∅'}->{self.target}"


@dataclass(frozen=True)
class Lifecycle:
    """The declared table of one kind of record."""

    kind: str
    label: str
    states: MappingProxyType[str, str]  # state -> label (zh + en), in reading order
    final: frozenset[str]
    transitions: tuple[Transition, ...]
    #: How the records are named to users ("C-3"); the number follows.
    prefix: str = ""

    @property
    def events(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(t.event for t in self.transitions))

    def rows(self, event: str, state: str | None) -> list[Transition]:
        return [t for t in self.transitions if t.event == event and t.source == state]

    def creating(self, event: str) -> bool:
        return any(t.source is None for t in self.transitions if t.event == event)

    def allowed(self, state: str | None, roles: Iterable[str] | None = None) -> list[str]:
        """Events that may be taken from ``state`` (by any of ``roles``), guards aside."""
        want = set(roles) if roles is not None else None
        return list(dict.fromkeys(
            t.event for t in self.transitions
            if t.source == state and (want is None or t.actors & want)))

    def actors_in(self, state: str) -> set[Role]:
        """Who has something to do in ``state`` (the outbox notifies them)."""
        return {a for t in self.transitions if t.source == state for a in t.actors}

    def name(self, number: int) -> str:
        return f"{self.prefix}{number}"


def _t(event: str, source: str | None | Iterable[str | None], target: str,
       actors: Iterable[str], guards: Iterable[str] = (), effects: Iterable[str] = ()
       ) -> list[Transition]:
    sources = [source] if source is None or isinstance(source, str) else list(source)
    return [Transition(event, s, target, frozenset(Role(a) for a in actors), tuple(guards),
                       tuple(effects))
            for s in sources]


OWNER_SUPERVISOR = ("owner", "supervisor")

# -- the project --------------------------------------------------------------------------------

PROJECT = Lifecycle(
    kind="project", label="项目 Project", prefix="",
    states=MappingProxyType({
        "design": "设计阶段 Design",
        "construction": "施工阶段 Construction",
        "as_built_submitted": "竣工图已提交 As-built submitted",
        "as_built_confirmed": "竣工图已确认 As-built confirmed",
        "accepted": "竣工验收 Accepted",
        "archived": "归档 Archived",
    }),
    final=frozenset({"archived"}),
    transitions=tuple(
        _t("start_construction", "design", "construction", ["review"], ["has_approved_part"])
        + _t("submit_as_built", "construction", "as_built_submitted", ["contractor"],
             ["version_has_sheets", "based_on_current", "no_open_change",
              "no_open_submission"], ["record_as_built"])
        + _t("confirm_as_built", "as_built_submitted", "as_built_submitted", OWNER_SUPERVISOR,
             ["not_yet_confirmed", "other_confirmation_missing"], ["record_confirmation"])
        + _t("confirm_as_built", "as_built_submitted", "as_built_confirmed", OWNER_SUPERVISOR,
             ["not_yet_confirmed", "other_confirmation_present"], ["record_confirmation"])
        + _t("reject_as_built", ["as_built_submitted", "as_built_confirmed"], "construction",
             OWNER_SUPERVISOR, [], ["reject_as_built"])
        + _t("accept", "as_built_confirmed", "accepted", ["owner"], ["both_confirmed"],
             ["move_as_built"])
        + _t("archive", "accepted", "archived", ["archivist"], ["project_accepted"],
             ["move_archived"])
    ),
)

# -- review submissions (报审): the whole set or one stage ----------------------------------------

SUBMISSION = Lifecycle(
    kind="submission", label="报审 Submission", prefix="S-",
    states=MappingProxyType({
        "submitted": "已报审 Submitted",
        "in_review": "审查中 In review",
        "returned": "已退回修改 Returned",
        "resubmitted": "已重新报审 Resubmitted",
        "approved": "审查合格 Approved",
        "withdrawn": "已撤回 Withdrawn",
    }),
    final=frozenset({"approved", "withdrawn"}),
    transitions=tuple(
        _t("submit", None, "submitted", ["design"],
           ["version_has_sheets", "scope_in_version", "scope_not_under_review",
            "scope_not_approved", "project_in_design_or_construction"],
           ["create_submission", "move_submitted", "open_round"])
        + _t("accept_review", ["submitted", "resubmitted"], "in_review", ["review"], [],
             ["start_clock"])
        + _t("return", "in_review", "returned", ["review"], ["round_has_opinions"],
             ["pause_clock"])
        + _t("resubmit", "returned", "resubmitted", ["design"],
             ["version_has_sheets", "version_is_new", "scope_in_version",
              "all_opinions_answered"],
             ["move_submitted", "open_round", "carry_opinions"])
        + _t("sign_discipline", "in_review", "in_review", ["review"],
             ["reviewer_of_discipline", "discipline_not_signed",
              "no_open_mandatory_in_discipline"], ["record_signoff"])
        + _t("approve", "in_review", "approved", ["review"],
             ["no_open_mandatory", "all_disciplines_signed"],
             ["pause_clock", "approve_scope"])
        + _t("withdraw", ["submitted", "returned", "resubmitted"], "withdrawn", ["design"],
             ["stage_submission"], ["withdraw_submission"])
    ),
)

# -- changes: 设计变更 (design firm), 工程洽商 and 技术核定单 (raised by the contractor) -----------

CHANGE = Lifecycle(
    kind="change", label="变更 Change", prefix="C-",
    states=MappingProxyType({
        "requested": "待出图 Drawings requested",
        "raised": "待答复 Raised",
        "proposed": "待确认 Proposed",
        "confirmed": "已确认 Confirmed",
        "in_review": "审查中 In review",
        "effective": "已生效 Effective",
        "rejected": "已驳回 Rejected",
        "withdrawn": "已撤回 Withdrawn",
    }),
    final=frozenset({"effective", "rejected", "withdrawn"}),
    transitions=tuple(
        _t("propose_change", None, "proposed", ["design"],
           ["project_in_construction", "version_has_sheets", "based_on_current",
            "version_changes_sheets"], ["create_change", "record_proposal"])
        + _t("request_change", None, "requested", ["design"], ["project_in_construction"],
             ["create_change"])
        + _t("propose_change", "requested", "proposed", ["design"],
             ["version_has_sheets", "based_on_current", "version_changes_sheets"],
             ["record_proposal"])
        + _t("raise_change", None, "raised", ["contractor"],
             ["project_in_construction", "raised_kind"], ["create_change"])
        + _t("answer_change", "raised", "proposed", ["design"], ["answer_given"],
             ["record_answer"])
        + _t("confirm_change", "proposed", "proposed", OWNER_SUPERVISOR,
             ["not_yet_confirmed", "other_confirmation_missing", "change_not_stale"],
             ["record_confirmation"])
        + _t("confirm_change", "proposed", "confirmed", OWNER_SUPERVISOR,
             ["not_yet_confirmed", "other_confirmation_present", "change_not_stale"],
             ["record_confirmation"])
        + _t("rebase_change", ["proposed", "confirmed"], "proposed", ["design"],
             ["change_is_stale", "version_has_sheets", "based_on_current", "no_lost_edits"],
             ["rebase"])
        + _t("sign_change", "confirmed", "effective", ["design"],
             ["both_confirmed", "general_change", "change_not_stale"], ["apply_change"])
        + _t("sign_change", "confirmed", "in_review", ["design"],
             ["both_confirmed", "major_change", "change_not_stale"], ["review_change"])
        + _t("approve_change", "in_review", "effective", ["review"],
             ["change_submission_approved"], ["mark_effective"])
        + _t("reject_change", ["raised", "proposed", "confirmed"], "rejected", OWNER_SUPERVISOR,
             [], ["close_change"])
        + _t("withdraw_change", ["requested", "raised", "proposed", "confirmed", "in_review"],
             "withdrawn", ["design", "contractor"], ["raised_by_your_party"], ["close_change"])
    ),
)

# -- 图纸会审: the meeting, its questions, its signed minutes ------------------------------------

MEETING = Lifecycle(
    kind="meeting", label="图纸会审 Drawing review meeting", prefix="M-",
    states=MappingProxyType({
        "open": "进行中 Open",
        "closed": "纪要待签 Minutes drawn",
        "signed": "纪要已签 Minutes signed",
    }),
    final=frozenset({"signed"}),
    transitions=tuple(
        _t("open_meeting", None, "open", ["owner"], ["project_has_approved_set"],
           ["create_meeting"])
        + _t("close_meeting", "open", "closed", ["owner"],
             ["meeting_has_questions", "all_questions_answered"], ["draw_minutes"])
        + _t("sign_minutes", "closed", "closed", ["owner", "design", "contractor", "supervisor"],
             ["party_not_yet_signed", "other_parties_missing"], ["sign_minutes"])
        + _t("sign_minutes", "closed", "signed", ["owner", "design", "contractor", "supervisor"],
             ["party_not_yet_signed", "other_parties_signed"], ["sign_minutes"])
    ),
)

QUESTION = Lifecycle(
    kind="question", label="会审问题 Meeting question", prefix="Q-",
    states=MappingProxyType({
        "open": "待答复 Open",
        "answered": "已答复 Answered",
    }),
    final=frozenset({"answered"}),
    transitions=tuple(
        _t("raise_question", None, "open", ["contractor", "supervisor"], ["meeting_open"],
           ["create_question"])
        + _t("answer_question", "open", "answered", ["design"], ["meeting_open", "answer_given"],
             ["record_question_answer"])
    ),
)

# -- 审查意见: opinions of a submission under review ---------------------------------------

OPINION = Lifecycle(
    kind="opinion", label="审查意见 Opinion", prefix="#",
    states=MappingProxyType({
        "open": "未答复 Open",
        "answered": "已答复 Answered",
        "closed": "已关闭 Closed",
        "reopened": "重新打开 Reopened",
    }),
    final=frozenset(),
    transitions=tuple(
        _t("opinion_add", None, "open", ["review"],
           ["submission_in_review", "reviewer_of_discipline"], ["create_opinion"])
        + _t("opinion_reply", ["open", "reopened", "answered"], "answered", ["design"],
             ["submission_in_review_or_returned", "answer_given"], ["record_reply"])
        + _t("opinion_close", ["open", "answered", "reopened"], "closed", ["review"],
             ["submission_in_review", "reviewer_of_opinion"], ["record_reply"])
        + _t("opinion_reopen", ["answered", "closed"], "reopened", ["review"],
             ["submission_in_review", "reviewer_of_opinion"], ["record_reply"])
    ),
)

LIFECYCLES: tuple[Lifecycle, ...] = (PROJECT, SUBMISSION, CHANGE, MEETING, QUESTION, OPINION)
BY_KIND: dict[str, Lifecycle] = {lc.kind: lc for lc in LIFECYCLES}

#: Guard name -> what it requires (zh + en).  Implementations: ``workflow.guards``.
GUARDS: dict[str, str] = {
    "has_approved_part": "须有审查合格的部分 part of the set must be approved",
    "version_has_sheets": "须指定含图纸的版本 a set version with sheets is required",
    "version_is_new": "须为新的版本 the version must differ from the one last submitted",
    "based_on_current": "须基于施工现行版 the version must descend from `current`",
    "version_changes_sheets": "须有图纸变化 the version must add, change or remove sheets",
    "no_open_change": "不得有未完成的变更 no change may be open",
    "no_open_submission": "不得有未完成的报审 no submission may be open",
    "not_yet_confirmed": "本单位尚未确认 this party has not confirmed yet",
    "other_confirmation_missing": "另一方尚未确认 the other party has not confirmed yet",
    "other_confirmation_present": "另一方已确认 the other party has confirmed",
    "both_confirmed": "建设与监理单位均已确认 owner and supervisor have both confirmed",
    "project_accepted": "项目须已竣工验收 the project must be accepted",
    "project_in_design_or_construction": "项目须在设计或施工阶段 the project must be in design "
                                         "or construction",
    "project_in_construction": "项目须在施工阶段 the project must be in construction "
                               "(part of the set approved)",
    "scope_in_version": "报审范围的图纸须在版本中 every sheet of the scope must be in the version",
    "scope_not_under_review": "图纸不得已在审查中 no sheet of the scope may be under review "
                              "in another submission",
    "scope_not_approved": "已审查合格的图纸经变更修改 approved sheets change through changes, "
                          "not a new submission",
    "stage_submission": "变更的报审随变更撤回 a change's submission is withdrawn with the change",
    "round_has_opinions": "退回须有未关闭的审查意见 returning needs at least one open opinion",
    "all_opinions_answered": "每条未关闭意见须已答复 every open opinion must be answered",
    "reviewer_of_discipline": "审查人专业须相符 the reviewer's discipline must match (a "
                              "reviewer without one acts for unassigned sheets)",
    "reviewer_of_opinion": "须为该意见专业的审查人 only a reviewer of the opinion's discipline",
    "discipline_not_signed": "本专业尚未签署 this discipline has not signed this round",
    "no_open_mandatory_in_discipline": "本专业不得有未关闭的强制性条文意见 no open mandatory "
                                       "opinion of this discipline",
    "no_open_mandatory": "不得有未关闭的强制性条文意见 no open mandatory (强制性条文) opinion",
    "all_disciplines_signed": "各专业均已签署 every discipline of the submission has signed",
    "submission_in_review": "报审须在审查中 the submission must be in review",
    "submission_in_review_or_returned": "报审须在审查中或已退回 the submission must be in review "
                                        "or returned",
    "raised_kind": "工程洽商或技术核定单 a 工程洽商 (negotiation) or 技术核定单 (verification)",
    "answer_given": "须有答复内容 an answer (text) is required",
    "change_not_stale": "变更所涉图纸未被其他变更修改 no sheet of the change was changed since "
                        "its base (else rebase it)",
    "change_is_stale": "所涉图纸已被其他变更修改 a sheet of the change was changed since its base",
    "no_lost_edits": "不得丢失其他变更的修改 the rebased sheets keep the edits that became "
                     "effective meanwhile (or say why they are dropped)",
    "general_change": "一般变更 a general change",
    "major_change": "重大变更须重新审查 a major change goes back to review",
    "change_submission_approved": "变更的报审已审查合格 the change's submission is approved",
    "raised_by_your_party": "须由提出方撤回 only the party that raised it may withdraw it",
    "project_has_approved_set": "须有审查合格的图纸 the project must have an approved set",
    "meeting_open": "会审须进行中 the meeting must be open",
    "meeting_has_questions": "会审须有问题记录 the meeting must have questions on record",
    "all_questions_answered": "所有问题均已答复 every question must be answered",
    "party_not_yet_signed": "本单位尚未签署纪要 this party has not signed the minutes yet",
    "other_parties_missing": "尚有他方未签 other parties still have to sign",
    "other_parties_signed": "他方均已签署 every other party has signed",
}

#: Effect name -> what it does.  Implementations: ``workflow.effects``.
EFFECTS: dict[str, str] = {
    "record_as_built": "记录竣工图并标记须重绘图纸 record the as-built set, flag sheets to redraw",
    "record_confirmation": "记录确认 record this party's confirmation",
    "reject_as_built": "竣工图退回 return the as-built set",
    "move_as_built": "移动 as-built 引用 move ref `as-built`",
    "move_archived": "移动 archived 引用 move ref `archived`",
    "create_submission": "登记报审及其范围 record the submission and its scope (stage, sheets)",
    "move_submitted": "移动 submitted 引用 move ref `submitted`",
    "open_round": "开启审查轮次 open a review round",
    "start_clock": "审查计时开始 start the review clock",
    "pause_clock": "审查计时暂停 pause the review clock",
    "carry_opinions": "意见带入新版本 carry open opinions to the new revisions",
    "record_signoff": "记录专业签署 record the discipline's sign-off",
    "approve_scope": "范围并入 approved/current，签发审查合格书 merge the scope into `approved` "
                     "and `current`; certify; start construction; make a reviewed change "
                     "effective",
    "withdraw_submission": "撤回报审 withdraw the submission; its open opinions lapse",
    "create_change": "登记变更并编号 record the change with its number",
    "record_proposal": "记录变更图纸 record the proposed version and the sheets it touches",
    "record_answer": "记录答复 record the design firm's answer (and drawings, if any)",
    "rebase": "变更改基于现行版 re-base the change on `current`; confirmations start over",
    "apply_change": "移动 current 至 current + 变更 move `current` to current + the change",
    "review_change": "重大变更报审 submit the change's sheets for review",
    "mark_effective": "变更生效 the change is effective (its submission moved the refs)",
    "close_change": "变更关闭 close the change (withdrawing its submission under review)",
    "create_meeting": "登记会审 record the meeting, its date and participants",
    "draw_minutes": "生成会审纪要 draw the minutes (PDF)",
    "sign_minutes": "签署纪要 sign the minutes (PDF signature)",
    "create_question": "登记问题 record the question, anchored to a sheet",
    "record_question_answer": "记录答复 record the answer; open a 设计变更 when it needs drawings",
    "create_opinion": "登记审查意见 record the opinion, anchored to a sheet",
    "record_reply": "记录答复/关闭/重开 record the reply, close or reopen",
}

EVENT_LABELS: dict[str, str] = {
    "start_construction": "进入施工阶段 Start construction",
    "submit_as_built": "提交竣工图 Submit as-built",
    "confirm_as_built": "确认竣工图 Confirm as-built",
    "reject_as_built": "退回竣工图 Return as-built",
    "accept": "竣工验收 Accept",
    "archive": "归档 Archive",
    "submit": "报审 Submit",
    "accept_review": "受理 Accept for review",
    "return": "退回 Return with opinions",
    "resubmit": "重新报审 Resubmit",
    "sign_discipline": "专业签署 Sign for a discipline",
    "approve": "审查合格 Approve",
    "withdraw": "撤回报审 Withdraw the submission",
    "propose_change": "提出设计变更 Propose change",
    "request_change": "要求出变更图 Request change drawings",
    "raise_change": "提出洽商/核定 Raise a negotiation or verification",
    "answer_change": "答复洽商/核定 Answer it",
    "confirm_change": "确认变更 Confirm change",
    "rebase_change": "变更改基 Rebase change",
    "sign_change": "设计单位签署变更 Sign change",
    "approve_change": "重大变更审查合格 Major change approved",
    "reject_change": "驳回变更 Reject change",
    "withdraw_change": "撤回变更 Withdraw change",
    "open_meeting": "召开图纸会审 Open drawing review meeting",
    "close_meeting": "形成会审纪要 Draw the minutes",
    "sign_minutes": "签署会审纪要 Sign the minutes",
    "raise_question": "提出会审问题 Raise a question",
    "answer_question": "答复会审问题 Answer a question",
    "opinion_add": "提出审查意见 Add opinion",
    "opinion_reply": "答复审查意见 Reply to opinion",
    "opinion_close": "关闭审查意见 Close opinion",
    "opinion_reopen": "重新打开意见 Reopen opinion",
}

#: Change kinds: who raises them.
CHANGE_KINDS: dict[str, str] = {
    "design": "设计变更 design change",
    "negotiation": "工程洽商 negotiation",
    "verification": "技术核定单 technical verification",
}
CHANGE_KIND_ALIASES = {"设计变更": "design", "变更": "design", "工程洽商": "negotiation",
                       "洽商": "negotiation", "技术核定单": "verification", "核定": "verification",
                       "技术核定": "verification"}


def parse_change_kind(text: str) -> str:
    k = CHANGE_KIND_ALIASES.get(text.strip(), text.strip().lower())
    if k not in CHANGE_KINDS:
        raise InvalidInput(f"变更种类 change kind must be one of {', '.join(CHANGE_KINDS)}")
    return k


#: Opened records that still need work (shown by ``status``, refused by as-built).
OPEN_CHANGE_STATES = ("requested", "raised", "proposed", "confirmed", "in_review")
OPEN_SUBMISSION_STATES = ("submitted", "in_review", "returned", "resubmitted")


def lifecycle_of(event: str) -> Lifecycle:
    for lc in LIFECYCLES:
        if event in lc.events:
            return lc
    raise InvalidInput(f"未知事件 unknown event {quote(event)}")


EVENTS: tuple[str, ...] = tuple(e for lc in LIFECYCLES for e in lc.events)


class TransitionNotAllowed(Conflict):
    """A refused move: says why and which moves are allowed now (HTTP 409 in the web app)."""

    exit_code = 22

    def __init__(self, event: str, state: str | None, reason: str,
                 allowed: list[str] | None = None, *, record: str = "",
                 label: str | None = None) -> None:
        allowed = allowed or []
        hint = ", ".join(allowed) if allowed else "无 none"
        where = f"{record} " if record else ""
        super().__init__(
            f"不允许 {label or EVENT_LABELS.get(event, event)} ({where}state {state or '-'}): "
            f"{reason}; "
            f"当前可执行 allowed now: {hint}")
        self.event, self.state, self.reason, self.allowed = event, state, reason, allowed


def check(lc: Lifecycle) -> None:
    """Raise :class:`InvalidDefinition` for unreachable states, trap states or unknown names."""
    for t in lc.transitions:
        for g in t.guards:
            if g not in GUARDS:
                raise InvalidDefinition(f"{lc.kind} {t.key}: undeclared guard {g!r}")
        for e in t.effects:
            if e not in EFFECTS:
                raise InvalidDefinition(f"{lc.kind} {t.key}: undeclared effect {e!r}")
        if t.event not in EVENT_LABELS:
            raise InvalidDefinition(f"{lc.kind} {t.key}: event without a label")
        if not t.actors or not t.actors <= set(ROLE_LABELS):
            raise InvalidDefinition(f"{lc.kind} {t.key}: bad actors {sorted(t.actors)}")
        for s in (t.source, t.target):
            if s is not None and s not in lc.states:
                raise InvalidDefinition(f"{lc.kind} {t.key}: undeclared state {s!r}")
        if t.source in lc.final:
            raise InvalidDefinition(f"{lc.kind} {t.key}: leaves a final state")
    succ: dict[str | None, set[str]] = {s: set() for s in [None, *lc.states]}
    for t in lc.transitions:
        succ[t.source].add(t.target)
    reach: set[str | None] = {None}
    todo: list[str | None] = [None]
    if lc.kind == "project":  # a project starts in its first state, made with the project
        first = next(iter(lc.states))
        reach, todo = {None, first}, [first]
    while todo:
        for n in succ[todo.pop()] - reach:
            reach.add(n)
            todo.append(n)
    if missing := [s for s in lc.states if s not in reach]:
        raise InvalidDefinition(f"{lc.kind}: unreachable states: {missing}")
    for s in lc.states:
        if s not in lc.final and not (succ[s] - {s}):
            raise InvalidDefinition(f"{lc.kind}: trap state: {s} has no way out")
    if lc.final:
        pred: dict[str, set[str]] = {s: set() for s in lc.states}
        for t in lc.transitions:
            if t.source is not None:
                pred[t.target].add(t.source)
        back, stack = set(lc.final), list(lc.final)
        while stack:
            for n in pred[stack.pop()] - back:
                back.add(n)
                stack.append(n)
        if stuck := [s for s in lc.states if s not in back]:
            raise InvalidDefinition(f"{lc.kind}: states that never reach the end: {stuck}")
    seen: dict[str, str] = {}
    for other in [lc, *(x for x in LIFECYCLES if x.kind != lc.kind)]:
        for e in other.events:
            if seen.setdefault(e, other.kind) != other.kind:
                raise InvalidDefinition(f"event {e!r} is declared by {seen[e]} and {other.kind}")


for _lc in LIFECYCLES:
    check(_lc)


# -- drawings of the tables ---------------------------------------------------------------------


def _who(t: Transition) -> str:
    return "/".join(sorted(t.actors))


def to_mermaid(kind: str | None = None) -> str:
    out: list[str] = []
    for lc in LIFECYCLES if kind is None else (BY_KIND[kind],):
        out += [f"%% {lc.label}", "stateDiagram-v2"]
        ids = {s: f"{lc.kind}_{s}" for s in lc.states}
        for s, label in lc.states.items():
            out.append(f"    {ids[s]}: {label}")
        if lc.kind == "project":
            out.append(f"    [*] --> {ids[next(iter(lc.states))]}")
        for t in lc.transitions:
            src = "[*]" if t.source is None else ids[t.source]
            guard = f" [{', '.join(t.guards)}]" if t.guards else ""
            out.append(f"    {src} --> {ids[t.target]}: {t.event} ({_who(t)}){guard}")
        out += [f"    {ids[s]} --> [*]" for s in sorted(lc.final)]
    return "\n".join(out) + "\n"


def to_dot(kind: str | None = None) -> str:
    out = ["digraph yitaotu_workflow {", "    rankdir=LR;", "    node [shape=box];"]
    for lc in LIFECYCLES if kind is None else (BY_KIND[kind],):
        out.append(f'    subgraph cluster_{lc.kind} {{ label="{lc.label}";')
        out.append(f'        {lc.kind}__start [shape=point];')
        for s, label in lc.states.items():
            shape = ", shape=doublecircle" if s in lc.final else ""
            out.append(f'        {lc.kind}_{s} [label="{label}"{shape}];')
        for t in lc.transitions:
            src = f"{lc.kind}__start" if t.source is None else f"{lc.kind}_{t.source}"
            guard = f"\\n[{', '.join(t.guards)}]" if t.guards else ""
            out.append(f'        {src} -> {lc.kind}_{t.target} '
                       f'[label="{t.event} ({_who(t)}){guard}"];')
        out.append("    }")
    out.append("}")
    return "\n".join(out) + "\n"


def describe() -> list[dict[str, object]]:
    """The tables as plain data (``workflow graph --json``)."""
    return [{"record": lc.kind, "event": t.event, "label": EVENT_LABELS[t.event],
             "from": t.source, "to": t.target, "actors": sorted(t.actors),
             "guards": list(t.guards), "effects": list(t.effects)}
            for lc in LIFECYCLES for t in lc.transitions]
