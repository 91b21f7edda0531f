"""The closed-loop services: every action is one function taking a Session.

`fire` executes one row of :mod:`workflow.machine`: it finds the rows for (event, state),
checks the actor's role, evaluates the named guards, runs the named effects, moves the state,
appends a signed event to the project's hash chain and queues notifications — all in the
caller's transaction, so a refusal or a conflict leaves nothing half-written.  The CLI and the
web app call these same functions.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ParamSpec, TypeVar

from sqlalchemy import exc as sa_exc
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from drawings import registry
from drawings.models import Party, Project, SetVersion
from storage.errors import Conflict, IntegrityError, InvalidInput, NotFound, StorageUnavailable
from workflow import audit, certificate, diffs
from workflow.clock import review_clock, utcnow
from workflow.machine import (
    EVENT_LABELS,
    GUARDS,
    ROLE_LABELS,
    STATE_LABELS,
    InvalidDefinition,
    Role,
    State,
    Transition,
    TransitionNotAllowed,
    actors_for,
    allowed_events,
    parse_role,
    rows,
)
from workflow.models import (
    AsBuilt,
    AuditEvent,
    Certificate,
    DesignChange,
    Flow,
    JSONText,
    Opinion,
    Organisation,
    OutboxMessage,
    Round,
    SigningKey,
    User,
)
from workflow.signing import ALGORITHMS, ED25519, KeyRing, canonical_json

P = ParamSpec("P")
T = TypeVar("T")

#: Our roles as the registry's party roles (``drawings.models.PARTY_ROLES``).
PARTY_ROLE: dict[Role, str] = {
    Role.design: "设计", Role.review: "审查", Role.owner: "建设", Role.contractor: "施工",
    Role.supervisor: "监理", Role.archivist: "档案馆", Role.inspector: "监督",
}
ROLE_OF_PARTY = {v: k for k, v in PARTY_ROLE.items()}
OPEN_STATES = ("open", "reopened")
PENDING_CHANGE = ("proposed", "confirmed")
PENDING_AS_BUILT = ("submitted", "confirmed")


# -- organisations, users, parties --------------------------------------------------------------


def _register_key(s: Session, keys: KeyRing, owner: str, alg: str) -> None:
    pub = keys.create(owner, alg)
    if pub.alg != alg:
        raise Conflict(f"{owner}: 已有 {pub.alg} 密钥 a {pub.alg} key already exists")
    if s.scalar(select(SigningKey).where(SigningKey.fingerprint == pub.fingerprint)) is None:
        s.add(SigningKey(owner=owner, alg=pub.alg, public=pub.public,
                         fingerprint=pub.fingerprint, created=utcnow()))


def add_org(s: Session, keys: KeyRing, name: str, *, alg: str = ED25519) -> Organisation:
    """An organisation with its key pair (``alg``: ``ed25519`` or ``sm2-sm3``)."""
    name = (name or "").strip()
    if not name:
        raise InvalidInput("单位名称不能为空 organisation name must not be empty")
    if alg not in ALGORITHMS:
        raise InvalidInput(f"未知签名算法 unknown algorithm {alg!r} ({', '.join(ALGORITHMS)})")
    if s.scalar(select(Organisation).where(Organisation.name == name)) is not None:
        raise Conflict(f"单位已存在 organisation {name} already exists")
    org = Organisation(name=name, alg=alg, created=utcnow())
    s.add(org)
    _register_key(s, keys, f"org:{name}", alg)
    s.flush()
    return org


def get_org(s: Session, name: str) -> Organisation:
    org = s.scalar(select(Organisation).where(Organisation.name == (name or "").strip()))
    if org is None:
        raise NotFound(f"单位不存在 no such organisation: {name}")
    return org


def list_orgs(s: Session) -> list[Organisation]:
    return list(s.scalars(select(Organisation).order_by(Organisation.name)))


def add_user(s: Session, keys: KeyRing, name: str, org: str, *, display_name: str | None = None,
             discipline: str | None = None) -> User:
    """A user of ``org`` with a key pair of the organisation's algorithm."""
    name = (name or "").strip()
    if not name or any(c.isspace() for c in name) or ":" in name:
        raise InvalidInput(f"无效的用户名 invalid user name {name!r} (no spaces or ':')")
    o = get_org(s, org)
    if s.scalar(select(User).where(User.name == name)) is not None:
        raise Conflict(f"用户已存在 user {name} already exists")
    u = User(name=name, display_name=display_name, org_id=o.id, discipline=discipline,
             created=utcnow())
    s.add(u)
    _register_key(s, keys, f"user:{name}", o.alg)
    s.flush()
    s.refresh(o, ["users"])
    return u


def get_user(s: Session, name: str | None) -> User:
    if not name:
        raise InvalidInput("须指定用户 who is acting? use --as USER or set YITAOTU_USER")
    u = s.scalar(select(User).where(User.name == name.strip()))
    if u is None:
        raise NotFound(f"用户不存在 no such user: {name}")
    return u


def list_users(s: Session) -> list[User]:
    return list(s.scalars(select(User).order_by(User.name)))


def add_party(s: Session, project: str | Project, role: str | Role, org: str) -> Party:
    """Make organisation ``org`` a party of the project in ``role``."""
    r = role if isinstance(role, Role) else parse_role(role)
    if r not in PARTY_ROLE:
        raise InvalidInput(f"{r} 不是项目参与方角色 is not a project party role")
    o = get_org(s, org)
    return registry.add_party(s, project, PARTY_ROLE[r], o.name)


def roles_of(s: Session, project: str | Project, user: User) -> set[Role]:
    p = registry.get_project(s, project)
    return {ROLE_OF_PARTY[pt.role] for pt in p.parties
            if pt.organisation == user.organisation.name and pt.role in ROLE_OF_PARTY}


def party_users(s: Session, project: Project, role: Role) -> list[User]:
    orgs = [pt.organisation for pt in project.parties if pt.role == PARTY_ROLE.get(role)]
    if not orgs:
        return []
    return list(s.scalars(select(User).join(Organisation).where(Organisation.name.in_(orgs))
                          .order_by(User.name)))


# -- flow state ---------------------------------------------------------------------------------


def get_flow(s: Session, project: str | Project, *, create: bool = False) -> Flow:
    p = registry.get_project(s, project)
    flow = s.get(Flow, p.code)
    if flow is None:
        flow = Flow(project_code=p.code, state=State.draft.value, large_works=False,
                    review_no=0, updated=utcnow())
        if create:
            s.add(flow)
            s.flush()
    return flow


def current_round(s: Session, project: str) -> Round | None:
    return s.scalar(select(Round).where(Round.project_code == project)
                    .order_by(Round.number.desc()).limit(1))


def pending_change(s: Session, project: str) -> DesignChange | None:
    return s.scalar(select(DesignChange).where(DesignChange.project_code == project,
                                               DesignChange.state.in_(PENDING_CHANGE))
                    .order_by(DesignChange.number.desc()).limit(1))


def pending_as_built(s: Session, project: str) -> AsBuilt | None:
    return s.scalar(select(AsBuilt).where(AsBuilt.project_code == project,
                                          AsBuilt.state.in_(PENDING_AS_BUILT))
                    .order_by(AsBuilt.id.desc()).limit(1))


@dataclass
class Act:
    """Everything a guard or an effect may look at while one transition runs."""

    s: Session
    project: Project
    flow: Flow
    user: User
    roles: set[Role]
    keys: KeyRing
    blobs: Any
    now: datetime
    event: str
    version: SetVersion | None = None
    params: dict[str, Any] = field(default_factory=dict)
    payload: dict[str, Any] = field(default_factory=dict)
    row: Transition | None = None

    @property
    def signer(self) -> str:
        return f"user:{self.user.name}"

    @property
    def org_signer(self) -> str:
        return f"org:{self.user.organisation.name}"

    def item(self) -> DesignChange | AsBuilt | None:
        """The pending design change or as-built submission this event is about."""
        if "change" in self.event:
            return pending_change(self.s, self.project.code)
        return pending_as_built(self.s, self.project.code)

    def confirming_role(self) -> Role | None:
        item = self.item()
        for r in (Role.owner, Role.supervisor):
            if r in self.roles and item is not None and getattr(item, f"{r.value}_by") is None:
                return r
        return None

    def move_ref(self, ref: str, version_id: str) -> None:
        record = self.keys.sign(self.signer, canonical_json(
            {"project": self.project.code, "ref": ref, "version": version_id,
             "at": self.now.isoformat(), "event": self.event}))
        registry.move_ref(self.s, self.project, ref, version_id, actor=self.user.name,
                          reason=EVENT_LABELS.get(self.event, self.event),
                          signature=JSONText.dump(record), at=self.now)
        self.payload.setdefault("refs", {})[ref] = version_id


# -- guards -------------------------------------------------------------------------------------


def _open_opinions(a: Act, *, category: str | None = None) -> list[Opinion]:
    q = select(Opinion).where(Opinion.project_code == a.project.code,
                              Opinion.state.in_(OPEN_STATES))
    if category:
        q = q.where(Opinion.category == category)
    return list(a.s.scalars(q.order_by(Opinion.number)))


def _ancestors(a: Act, version: SetVersion) -> set[str]:
    return {v.id for v in registry.log(a.s, a.project, version.id)}


def _other(a: Act) -> Role | None:
    mine = a.confirming_role()
    return None if mine is None else (Role.supervisor if mine is Role.owner else Role.owner)


def _g_has_sheets(a: Act) -> str | None:
    if a.version is None:
        return "须指定版本 a set version is required"
    return None if a.version.manifest else f"版本 {a.version.id[:12]} 不含图纸 has no sheets"


def _g_is_new(a: Act) -> str | None:
    if a.version is None:
        return "须指定版本 a set version is required"
    taken = {r: v.id for r in ("submitted", "current")
             if (v := registry.get_ref(a.s, a.project, r)) is not None}
    same = [r for r, vid in taken.items() if vid == a.version.id]
    return f"版本与 {'/'.join(same)} 相同 version equals `{same[0]}`" if same else None


def _g_round_has_opinions(a: Act) -> str | None:
    return None if _open_opinions(a) else "没有未关闭的意见 no open opinion to return"


def _g_all_answered(a: Act) -> str | None:
    left = [o for o in _open_opinions(a)]
    if not left:
        return None
    return "未答复意见 unanswered opinions: " + ", ".join(f"#{o.number}" for o in left)


def _g_no_mandatory(a: Act) -> str | None:
    left = [o for o in a.s.scalars(select(Opinion).where(
        Opinion.project_code == a.project.code, Opinion.category == "mandatory",
        Opinion.state != "closed").order_by(Opinion.number))]
    if not left:
        return None
    return "强制性条文意见未关闭 open mandatory opinions: " + ", ".join(
        f"#{o.number}" for o in left)


def _g_based_on_current(a: Act) -> str | None:
    cur = registry.get_ref(a.s, a.project, "current")
    if cur is None:
        return "项目没有施工现行版 the project has no `current` set"
    if a.version is None or cur.id not in _ancestors(a, a.version):
        return f"版本不是基于 current ({cur.id[:12]}) the version does not descend from `current`"
    return None


def _g_no_pending_change(a: Act) -> str | None:
    ch = a.s.scalar(select(DesignChange).where(
        DesignChange.project_code == a.project.code,
        DesignChange.state.in_((*PENDING_CHANGE, "in_review"))).limit(1))
    return None if ch is None else f"设计变更 C-{ch.number} 未完成 change C-{ch.number} pending"


def _g_not_yet_confirmed(a: Act) -> str | None:
    if a.item() is None:
        return "没有待确认的事项 nothing to confirm"
    return None if a.confirming_role() else "本单位已确认 your party has already confirmed"


def _g_other_missing(a: Act) -> str | None:
    other, item = _other(a), a.item()
    if other is None or item is None:
        return "nothing to confirm"
    return None if getattr(item, f"{other.value}_by") is None else "另一方已确认 other confirmed"


def _g_other_present(a: Act) -> str | None:
    other, item = _other(a), a.item()
    if other is None or item is None:
        return "nothing to confirm"
    return None if getattr(item, f"{other.value}_by") else "另一方未确认 other has not confirmed"


def _g_klass(klass: str) -> Callable[[Act], str | None]:
    def guard(a: Act) -> str | None:
        item = a.item()
        if not isinstance(item, DesignChange):
            return "没有设计变更 no pending change"
        return None if item.klass == klass else f"变更类别 the change is {item.klass}"
    return guard


def _g_both_confirmed(a: Act) -> str | None:
    item = a.item()
    if item is None:
        return "没有待确认的事项 nothing pending"
    missing = [ROLE_LABELS[r] for r in (Role.owner, Role.supervisor)
               if getattr(item, f"{r.value}_by") is None]
    return None if not missing else "尚未确认 not confirmed by: " + ", ".join(missing)


def _g_project_accepted(a: Act) -> str | None:
    ab = a.s.scalar(select(AsBuilt).where(AsBuilt.project_code == a.project.code,
                                          AsBuilt.state == "accepted").limit(1))
    if ab is None or registry.get_ref(a.s, a.project, "as-built") is None:
        return "项目尚未竣工验收 the project has not been accepted"
    return None


GUARD_FUNCS: dict[str, Callable[[Act], str | None]] = {
    "version_has_sheets": _g_has_sheets,
    "version_is_new": _g_is_new,
    "round_has_opinions": _g_round_has_opinions,
    "all_opinions_answered": _g_all_answered,
    "no_open_mandatory": _g_no_mandatory,
    "based_on_current": _g_based_on_current,
    "no_pending_change": _g_no_pending_change,
    "not_yet_confirmed": _g_not_yet_confirmed,
    "other_confirmation_missing": _g_other_missing,
    "other_confirmation_present": _g_other_present,
    "general_change": _g_klass("general"),
    "major_change": _g_klass("major"),
    "both_confirmed": _g_both_confirmed,
    "project_accepted": _g_project_accepted,
}


# -- effects ------------------------------------------------------------------------------------


def _e_move_submitted(a: Act) -> None:
    assert a.version is not None
    a.move_ref("submitted", a.version.id)


def _e_open_round(a: Act) -> None:
    assert a.version is not None
    last = current_round(a.s, a.project.code)
    if a.event != "resubmit":
        a.flow.review_no += 1
    prev = last.version_id if last is not None else None
    summary: dict[str, Any] | None = None
    if prev is not None:
        old = registry.get_version(a.s, prev).manifest
        summary = diffs.set_diff(old, a.version.manifest)
    rnd = Round(project_code=a.project.code, review_no=a.flow.review_no,
                number=(last.number + 1) if last else 1, version_id=a.version.id,
                prev_version_id=prev, submitted_at=a.now,
                diff=JSONText.dump(summary) if summary is not None else None)
    a.s.add(rnd)
    a.s.flush()
    a.payload["round"] = rnd.number
    if summary is not None:
        a.payload["diff"] = summary


def _e_start_clock(a: Act) -> None:
    rnd = current_round(a.s, a.project.code)
    assert rnd is not None
    rnd.accepted_at = a.now
    a.payload["round"] = rnd.number
    a.version = registry.get_version(a.s, rnd.version_id)


def _e_pause_clock(a: Act) -> None:
    rnd = current_round(a.s, a.project.code)
    assert rnd is not None
    rnd.ended_at = a.now
    rnd.outcome = "approved" if a.event == "approve" else "returned"
    a.payload["round"] = rnd.number
    a.version = registry.get_version(a.s, rnd.version_id)
    a.payload["clock"] = clock_of(a.s, a.project.code, a.flow, now=a.now).to_dict()


def _e_carry(a: Act) -> None:
    from workflow.opinions import carry_opinions

    rnd = current_round(a.s, a.project.code)
    assert rnd is not None and a.version is not None
    a.payload["carried"] = carry_opinions(a.s, a.blobs, a.project.code, rnd, a.version,
                                          author=a.user.name, now=a.now)


def _e_approve_set(a: Act) -> None:
    rnd = current_round(a.s, a.project.code)
    assert rnd is not None
    version = registry.get_version(a.s, rnd.version_id)
    a.version = version
    a.move_ref("approved", version.id)
    a.move_ref("current", version.id)
    ch = a.s.scalar(select(DesignChange).where(DesignChange.project_code == a.project.code,
                                               DesignChange.state == "in_review").limit(1))
    if ch is not None:
        ch.state = "applied"
        a.payload["change"] = ch.number
    cert = issue_certificate(a, version, reviewers=a.params.get("reviewers"))
    a.payload["certificate_blob"] = cert.blob_id
    a.payload["certificate_signers"] = JSONText.load(cert.signers)


def _e_record_change(a: Act) -> None:
    assert a.version is not None
    cur = registry.get_ref(a.s, a.project, "current")
    assert cur is not None
    klass = a.params.get("klass") or "general"
    if klass not in ("general", "major"):
        raise InvalidInput(f"变更类别 change class must be general or major, not {klass!r}")
    reason = (a.params.get("reason") or "").strip()
    if not reason:
        raise InvalidInput("须说明变更原因 a change needs a reason")
    number = (a.s.scalar(select(func.max(DesignChange.number))
                         .where(DesignChange.project_code == a.project.code)) or 0) + 1
    sheets = diffs.set_diff(cur.manifest, a.version.manifest)
    a.s.add(DesignChange(project_code=a.project.code, number=number, base_version_id=cur.id,
                         version_id=a.version.id, reason=reason, klass=klass,
                         sheets=JSONText.dump(sheets), state="proposed", created=a.now))
    a.payload.update({"change": number, "class": klass, "reason": reason, "sheets": sheets})


def _e_record_confirmation(a: Act) -> None:
    item, role = a.item(), a.confirming_role()
    assert item is not None and role is not None
    setattr(item, f"{role.value}_by", a.user.name)
    setattr(item, f"{role.value}_at", a.now)
    if item.owner_by and item.supervisor_by:
        item.state = "confirmed"
    a.payload["confirmed_as"] = role.value
    a.version = registry.get_version(a.s, item.version_id)


def _e_reject_change(a: Act) -> None:
    item = a.item()
    assert isinstance(item, DesignChange)
    item.state = "rejected"
    a.payload.update({"change": item.number, "reason": a.params.get("reason") or ""})
    a.version = registry.get_version(a.s, item.version_id)


def _e_apply_change(a: Act) -> None:
    item = a.item()
    assert isinstance(item, DesignChange)
    item.state = "applied"
    a.version = registry.get_version(a.s, item.version_id)
    a.move_ref("current", item.version_id)
    a.payload["change"] = item.number


def _e_review_change(a: Act) -> None:
    item = a.item()
    assert isinstance(item, DesignChange)
    item.state = "in_review"
    a.version = registry.get_version(a.s, item.version_id)
    a.payload["change"] = item.number


def _e_record_as_built(a: Act) -> None:
    assert a.version is not None
    base = registry.get_ref(a.s, a.project, "current")
    approved = registry.get_ref(a.s, a.project, "approved")
    assert base is not None
    redrawn = set(a.params.get("redrawn") or ())
    flags = redraw_flags(a.blobs, approved.manifest if approved else {}, a.version.manifest,
                         redrawn)
    a.s.add(AsBuilt(project_code=a.project.code, version_id=a.version.id,
                    base_version_id=base.id, state="submitted", redraw=JSONText.dump(flags),
                    created=a.now))
    a.payload["redraw"] = flags


def _e_reject_as_built(a: Act) -> None:
    item = a.item()
    assert isinstance(item, AsBuilt)
    item.state = "rejected"
    a.version = registry.get_version(a.s, item.version_id)
    a.payload["reason"] = a.params.get("reason") or ""


def _e_move_as_built(a: Act) -> None:
    item = a.item()
    assert isinstance(item, AsBuilt)
    item.state = "accepted"
    a.version = registry.get_version(a.s, item.version_id)
    a.move_ref("as-built", item.version_id)


def _e_move_archived(a: Act) -> None:
    v = registry.get_ref(a.s, a.project, "as-built")
    assert v is not None
    a.version = v
    a.move_ref("archived", v.id)


EFFECT_FUNCS: dict[str, Callable[[Act], None]] = {
    "move_submitted": _e_move_submitted,
    "open_round": _e_open_round,
    "start_clock": _e_start_clock,
    "pause_clock": _e_pause_clock,
    "carry_opinions": _e_carry,
    "approve_set": _e_approve_set,
    "record_change": _e_record_change,
    "record_confirmation": _e_record_confirmation,
    "reject_change": _e_reject_change,
    "apply_change": _e_apply_change,
    "review_change": _e_review_change,
    "record_as_built": _e_record_as_built,
    "reject_as_built": _e_reject_as_built,
    "move_as_built": _e_move_as_built,
    "move_archived": _e_move_archived,
}

if set(GUARD_FUNCS) != set(GUARDS):
    raise InvalidDefinition(f"guards without code: {sorted(set(GUARDS) ^ set(GUARD_FUNCS))}")
from workflow.machine import EFFECTS as _EFFECTS  # noqa: E402

if set(EFFECT_FUNCS) != set(_EFFECTS):
    raise InvalidDefinition(f"effects without code: {sorted(set(_EFFECTS) ^ set(EFFECT_FUNCS))}")


# -- the one entry point ------------------------------------------------------------------------


STALE = ("并发冲突 another user changed this project at the same time; reload and try again")


@contextmanager
def conflicts() -> Iterator[None]:
    """Turn a lost race (stale row version, duplicate chain link, SQLite stale snapshot)
    into :class:`Conflict`; the caller's transaction then rolls back as a whole."""
    try:
        yield
    except StaleDataError as e:
        raise Conflict(STALE) from e
    except sa_exc.IntegrityError as e:
        raise Conflict(f"{STALE} ({str(e.orig).splitlines()[0]})") from e
    except StorageUnavailable as e:
        cause = e.__cause__
        codes = {getattr(cause, "sqlite_errorcode", None),
                 getattr(getattr(cause, "orig", None), "sqlite_errorcode", None)}
        if 517 in codes:  # SQLITE_BUSY_SNAPSHOT: our read is stale, someone else wrote
            raise Conflict(STALE) from e
        raise


def conflict_safe(fn: Callable[P, T]) -> Callable[P, T]:
    """Run a service function under :func:`conflicts` (autoflushes included)."""
    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
        with conflicts():
            return fn(*args, **kwargs)
    return wrapper


def flush(s: Session) -> None:
    with conflicts():
        s.flush()


def fire(s: Session, project: str | Project, event: str, *, user: str | User, keys: KeyRing,
         blobs: Any = None, version: str | SetVersion | None = None, now: datetime | None = None,
         expect_lock: int | None = None, **params: Any) -> AuditEvent:
    """Take ``event`` on ``project`` as ``user``; returns the signed audit event.

    Refusals raise :class:`TransitionNotAllowed` (why, and what is allowed now); a concurrent
    move raises :class:`Conflict`.  Either way the caller rolls back: nothing is half-written.
    """
    with conflicts():
        return _fire(s, project, event, user=user, keys=keys, blobs=blobs, version=version,
                     now=now, expect_lock=expect_lock, **params)


def _fire(s: Session, project: str | Project, event: str, *, user: str | User, keys: KeyRing,
          blobs: Any, version: str | SetVersion | None, now: datetime | None,
          expect_lock: int | None, **params: Any) -> AuditEvent:
    p = registry.get_project(s, project)
    u = user if isinstance(user, User) else get_user(s, user)
    flow = get_flow(s, p, create=True)
    audit.check_state(s, p.code)
    state = State(flow.state)
    if expect_lock is not None and flow.lock != expect_lock:
        raise Conflict(f"并发冲突 {p.code} changed since you looked (lock {expect_lock} -> "
                       f"{flow.lock}); reload and try again")
    roles = roles_of(s, p, u)
    candidates = rows(event, state)
    mine = allowed_events(state, roles)
    if not candidates:
        raise TransitionNotAllowed(event, state, f"状态 {STATE_LABELS[state]} 下不可执行 "
                                   "not possible in this state", mine)
    if not any(t.actors & roles for t in candidates):
        who = sorted({ROLE_LABELS[r] for t in candidates for r in t.actors})
        raise TransitionNotAllowed(event, state, f"{u.name} 无权执行 may not do this; only "
                                   + ", ".join(who), mine)
    v = registry.resolve_version(s, p, version) if isinstance(version, str) else version
    a = Act(s=s, project=p, flow=flow, user=u, roles=roles, keys=keys, blobs=blobs,
            now=audit.stamp(s, p.code, now), event=event, version=v, params=params)
    failures: list[str] = []
    for t in candidates:
        if not (t.actors & roles):
            continue
        reasons = [r for g in t.guards if (r := GUARD_FUNCS[g](a))]
        if not reasons:
            a.row = t
            break
        failures.append("; ".join(reasons))
    if a.row is None:
        raise TransitionNotAllowed(event, state, " | ".join(dict.fromkeys(failures)), mine)
    if "large_works" in params and params["large_works"] is not None:
        flow.large_works = bool(params["large_works"])
        a.payload["large_works"] = flow.large_works
    for name in a.row.effects:
        EFFECT_FUNCS[name](a)
    flow.state = a.row.target.value
    flow.updated = a.now
    a.payload.update({"from": state.value, "to": a.row.target.value,
                      "roles": sorted(r.value for r in roles & a.row.actors)})
    ev = audit.append(s, p.code, event, actor=u.name, signers=[a.signer, a.org_signer],
                      keys=keys, at=a.now, payload=a.payload,
                      version_id=a.version.id if a.version else None)
    notify(s, p, ev, State(flow.state))
    flush(s)
    return ev


def submit(s: Session, project: str | Project, version: str, *, user: str | User,
           keys: KeyRing, blobs: Any = None, now: datetime | None = None,
           large_works: bool | None = None, expect_lock: int | None = None) -> AuditEvent:
    """报审: the first submission, or the resubmission after a return."""
    event = "resubmit" if get_flow(s, project).state == State.returned else "submit"
    return fire(s, project, event, user=user, keys=keys, blobs=blobs, version=version, now=now,
                large_works=large_works, expect_lock=expect_lock)


def record(s: Session, project: Project, event: str, *, user: User, keys: KeyRing,
           now: datetime, payload: dict[str, Any], version_id: str | None = None) -> AuditEvent:
    """Append a signed event for an action that is not a state move (opinions, marks)."""
    ev = audit.append(s, project.code, event, actor=user.name,
                      signers=[f"user:{user.name}", f"org:{user.organisation.name}"],
                      keys=keys, at=now, payload=payload, version_id=version_id)
    return ev


def notify(s: Session, project: Project, ev: AuditEvent, state: State) -> None:
    """Queue a message for every user of every party that has a move to make now."""
    label = EVENT_LABELS.get(ev.event, ev.event)
    for role in sorted(actors_for(state)):
        todo = ", ".join(EVENT_LABELS[e] for e in allowed_events(state, [role]))
        for u in party_users(s, project, role):
            if u.name == ev.actor and role not in (Role.owner, Role.supervisor):
                continue
            s.add(OutboxMessage(
                project_code=project.code, audit_id=ev.id, user_name=u.name, created=ev.at,
                message=f"{project.code} {project.name}: {ev.actor} {label} → "
                        f"{STATE_LABELS[state]}; 待办 to do ({ROLE_LABELS[role]}): {todo}"))


# -- certificate --------------------------------------------------------------------------------


def issue_certificate(a: Act, version: SetVersion, *, reviewers: list[str] | None = None
                      ) -> Certificate:
    """Render and sign the 审查合格书: each discipline's reviewer, then the agency."""
    if a.blobs is None:
        raise InvalidInput("签发合格书需要文件存储 issuing the certificate needs the blob store")
    agency = a.user.organisation
    if reviewers:
        people = [get_user(a.s, n) for n in reviewers]
        if stray := [u.name for u in people if u.org_id != agency.id]:
            raise InvalidInput(f"审查人员须属于 {agency.name}: {', '.join(stray)}")
    else:
        people = [u for u in agency.users if u.discipline] or [a.user]
    by_disc: dict[str, User] = {}
    for u in people:
        by_disc.setdefault(u.discipline or "", u)
    signers = list(by_disc.values())
    sheets = [(no, e.get("title") or "") for no, e in sorted(version.manifest.items())]
    pdf = certificate.render(project_code=a.project.code, project_name=a.project.name,
                             version_id=version.id, agency=agency.name,
                             reviewers=[(u.display_name or u.name, u.discipline or "")
                                        for u in signers],
                             sheets=sheets, issued=a.now)
    idents = [(certificate.identity(a.keys, f"user:{u.name}", u.display_name or u.name,
                                    agency.name), f"Reviewer-{i}-{u.name}")
              for i, u in enumerate(signers, 1)]
    idents.append((certificate.identity(a.keys, f"org:{agency.name}", agency.name, agency.name),
                   "Agency"))
    for ident, _ in idents:  # the X.509 certificates become trust anchors on record
        fp = certificate.cert_fingerprint(ident.cert_pem)
        if a.s.scalar(select(SigningKey).where(SigningKey.fingerprint == fp)) is None:
            a.s.add(SigningKey(owner=ident.owner, alg=certificate.X509, fingerprint=fp,
                               public=ident.cert_pem.decode(), created=a.now))
    signed = certificate.sign(pdf, idents)
    oid = a.blobs.put_bytes(signed)
    registry.record_blob(a.s, oid, len(signed), format="pdf")
    cert = Certificate(project_code=a.project.code, version_id=version.id, blob_id=oid,
                       signers=JSONText.dump([i.owner for i, _ in idents]), issued=a.now)
    a.s.add(cert)
    return cert


def certificate_trust(s: Session, cert: Certificate) -> list[bytes]:
    """The X.509 certificates on record for a certificate PDF's signers (the trust anchors)."""
    return certificate.trust_for(s, JSONText.load(cert.signers))


# -- the one-third rule -------------------------------------------------------------------------

REDRAW_FRACTION = 1 / 3


def redraw_flags(blobs: Any, approved: dict[str, dict[str, Any]], as_built: dict[str, dict[str,
                 Any]], redrawn: set[str]) -> list[dict[str, Any]]:
    """Sheets whose changed area since the approved set exceeds a third of the sheet, and
    sheets the diff could not measure (``measured`` False, with the ``reason``): a failing
    diff must not exempt a sheet from the rule."""
    flags = []
    for no in diffs.set_diff(approved, as_built)["changed"]:
        try:
            frac = diffs.measure_sheet(blobs, approved[no], as_built[no]).changed_fraction()
            reason = None if frac is not None else "图纸范围未知 the sheet's extents are unknown"
        except diffs.NotMeasured as e:
            frac, reason = None, e.reason
        if reason is not None:
            flags.append({"sheet": no, "fraction": None, "measured": False, "reason": reason,
                          "redrawn": no in redrawn})
        elif frac is not None and frac > REDRAW_FRACTION:
            flags.append({"sheet": no, "fraction": round(frac, 3), "measured": True,
                          "redrawn": no in redrawn})
    return flags


# -- reading ------------------------------------------------------------------------------------


def clock_of(s: Session, project: str, flow: Flow, *, now: datetime) -> Any:
    periods = [(r.accepted_at, r.ended_at) for r in s.scalars(
        select(Round).where(Round.project_code == project, Round.review_no == flow.review_no,
                            Round.accepted_at.is_not(None)).order_by(Round.number))]
    return review_clock(periods, large_works=flow.large_works, now=now)


def status(s: Session, project: str | Project, *, user: str | None = None,
           now: datetime | None = None) -> dict[str, Any]:
    """Where the project stands: state, refs, round and clock, opinions, change, as-built."""
    p = registry.get_project(s, project)
    now = now or utcnow()
    flow = get_flow(s, p)
    state = State(flow.state)
    out: dict[str, Any] = {
        "project": p.code, "name": p.name, "state": state.value, "label": STATE_LABELS[state],
        "lock": flow.lock, "large_works": flow.large_works,
        "refs": registry.refs(s, p) if s.get(Project, p.code) else {},
        "allowed": allowed_events(state),
        "parties": [{"role": ROLE_OF_PARTY.get(pt.role, pt.role), "organisation": pt.organisation}
                    for pt in p.parties],
    }
    if user:
        u = get_user(s, user)
        out["you"] = {"user": u.name, "roles": sorted(r.value for r in roles_of(s, p, u)),
                      "allowed": allowed_events(state, roles_of(s, p, u))}
    rnd = current_round(s, p.code)
    if rnd is not None:
        clock = clock_of(s, p.code, flow, now=now)
        out["round"] = {"number": rnd.number, "review": rnd.review_no, "version": rnd.version_id,
                        "previous": rnd.prev_version_id, "outcome": rnd.outcome,
                        "submitted_at": rnd.submitted_at.isoformat(),
                        "accepted_at": rnd.accepted_at.isoformat() if rnd.accepted_at else None,
                        "diff": JSONText.load(rnd.diff), "clock": clock.to_dict()}
    counts: dict[str, int] = {}
    for st, cat, n in s.execute(select(Opinion.state, Opinion.category, func.count())
                                .where(Opinion.project_code == p.code)
                                .group_by(Opinion.state, Opinion.category)):
        counts[f"{st}/{cat}"] = n
    out["opinions"] = counts
    ch = s.scalar(select(DesignChange).where(DesignChange.project_code == p.code)
                  .order_by(DesignChange.number.desc()).limit(1))
    out["change"] = ch.to_dict() if ch else None
    ab = s.scalar(select(AsBuilt).where(AsBuilt.project_code == p.code)
                  .order_by(AsBuilt.id.desc()).limit(1))
    out["as_built"] = None if ab is None else {
        "version": ab.version_id, "state": ab.state, "redraw": JSONText.load(ab.redraw),
        "owner": ab.owner_by, "supervisor": ab.supervisor_by}
    cert = s.scalar(select(Certificate).where(Certificate.project_code == p.code)
                    .order_by(Certificate.id.desc()).limit(1))
    out["certificate"] = None if cert is None else {
        "blob": cert.blob_id, "version": cert.version_id, "issued": cert.issued.isoformat(),
        "signers": JSONText.load(cert.signers)}
    return out


def inbox(s: Session, user: str, *, unread: bool = False, mark_read: bool = False,
          now: datetime | None = None) -> list[OutboxMessage]:
    u = get_user(s, user)
    q = select(OutboxMessage).where(OutboxMessage.user_name == u.name)
    if unread:
        q = q.where(OutboxMessage.read_at.is_(None))
    msgs = list(s.scalars(q.order_by(OutboxMessage.id.desc())))
    if mark_read:
        for m in msgs:
            m.read_at = m.read_at or now or utcnow()
    return msgs


def set_in_force(s: Session, project: str | Project, when: datetime) -> dict[str, Any]:
    """The set in force (``current``) at ``when`` and the chain entry that proves it.

    The reflog says which move of ``current`` was in force; the proof is the chain event that
    made that move, found by replaying the chain.  If the chain is damaged, or the reflog or the
    ref disagree with it, no proof is cited: :class:`IntegrityError` names the first problem."""
    p = registry.get_project(s, project)
    entry = registry.move_at(s, p, "current", when)
    if entry is None:
        raise NotFound(f"{p.code}: {when.isoformat()} 时尚无施工现行版 no set was in force")
    rep = audit.verify_chain(s, p.code)
    bad = [f for f in rep.findings if f.table == "wf_audit" or (
        f.table in ("reflog", "refs") and (f.key == "current" or (
            isinstance(f.key, tuple) and f.key[0] == "current")))]
    moves = rep.replayed.tables.get("reflog", {}) if rep.replayed else {}
    made = moves.get(("current", entry.seq), {}).get("_event")
    if bad or made is None:
        first = str(bad[0]) if bad else f"reflog current #{entry.seq}: not in the audit chain"
        raise IntegrityError(f"{p.code}: 施工现行版记录与审计链不符 the record of `current` does "
                             f"not match the audit chain ({first}); run `yitaotu audit verify "
                             f"{p.code}`")
    v = registry.get_version(s, entry.new)
    proof = s.scalar(select(AuditEvent).where(AuditEvent.project_code == p.code,
                                              AuditEvent.seq == made.seq))
    assert proof is not None
    head = audit.last_event(s, p.code)
    return {"project": p.code, "at": when.isoformat(), "version": v.to_dict(manifest=True),
            "proof": {**proof.to_dict(), "body": JSONText.load(proof.body),
                      "signatures": JSONText.load(proof.signatures)},
            "chain_head": None if head is None else {"seq": head.seq, "hash": head.hash}}
