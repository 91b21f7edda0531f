"""Executes the declared tables of :mod:`workflow.machine`: one event on one record.

:func:`fire` finds the record the event is about (or creates it), checks the actor's role,
evaluates the named guards, runs the named effects, moves the record's state, appends a signed
event to the project's hash chain and queues notifications — all in the caller's transaction,
so a refusal or a conflict leaves nothing half-written.  An effect may ask for a follow-up
event (approving a change's submission makes the change effective; a meeting answer opens a
设计变更): it is taken after, in the same transaction, as its own signed event.
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
from drawings.models import Project, SetVersion
from storage import limits
from storage.display import quote
from storage.errors import Conflict, InvalidInput, NotFound, StorageUnavailable
from storage.numbers import db_int
from workflow import audit
from workflow.clock import utcnow
from workflow.machine import (
    BY_KIND,
    EVENT_LABELS,
    PROJECT,
    ROLE_LABELS,
    Lifecycle,
    Role,
    Transition,
    TransitionNotAllowed,
    lifecycle_of,
)
from workflow.models import (
    AuditEvent,
    Change,
    Flow,
    JSONText,
    Meeting,
    Opinion,
    Organisation,
    OutboxMessage,
    Question,
    Submission,
    User,
)
from workflow.signing import KeyRing, canonical_json

P = ParamSpec("P")
T = TypeVar("T")

#: Our roles as the registry's party roles (``drawings.models.PARTY_ROLES``).
PARTY_ROLE: dict[Role, str] = {
    Role.design: "设计", Role.review: "审查", Role.owner: "建设", Role.contractor: "施工",
    Role.supervisor: "监理", Role.archivist: "档案馆", Role.inspector: "监督",
}
ROLE_OF_PARTY = {v: k for k, v in PARTY_ROLE.items()}

#: The table each kind of record lives in.
MODELS: dict[str, type] = {"project": Flow, "submission": Submission, "change": Change,
                           "meeting": Meeting, "question": Question, "opinion": Opinion}

GUARD_FUNCS: dict[str, Callable[[Act], str | None]] = {}
EFFECT_FUNCS: dict[str, Callable[[Act], None]] = {}


def guard(name: str) -> Callable[[Callable[[Act], str | None]], Callable[[Act], str | None]]:
    """Register the code of a guard declared in ``machine.GUARDS`` (None = holds, else why not)."""
    def deco(fn: Callable[[Act], str | None]) -> Callable[[Act], str | None]:
        GUARD_FUNCS[name] = fn
        return fn
    return deco


def effect(name: str) -> Callable[[Callable[[Act], None]], Callable[[Act], None]]:
    """Register the code of an effect declared in ``machine.EFFECTS``."""
    def deco(fn: Callable[[Act], None]) -> Callable[[Act], None]:
        EFFECT_FUNCS[name] = fn
        return fn
    return deco


# -- people and parties -------------------------------------------------------------------------


def get_user(s: Session, name: str | None) -> User:
    if not name:
        raise InvalidInput("须指定用户 who is acting? use --as USER or set YITAOTU_USER")
    u = s.scalar(select(User).where(User.name == name.strip()))
    if u is None:
        raise NotFound(f"用户不存在 no such user: {quote(name)}")
    return u


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


def get_flow(s: Session, project: str | Project, *, create: bool = False) -> Flow:
    p = registry.get_project(s, project)
    flow = s.get(Flow, p.code)
    if flow is None:
        flow = Flow(project_code=p.code, state=next(iter(PROJECT.states)), large_works=False,
                    updated=utcnow())
        if create:
            s.add(flow)
            s.flush()
    return flow


# -- records ------------------------------------------------------------------------------------


def parse_number(text: str | int, lc: Lifecycle) -> int:
    """``3``, ``"3"`` or ``"C-3"`` (the record's prefix, any case) -> 3."""
    if isinstance(text, int) and not isinstance(text, bool):
        n = text
    else:
        raw = str(text).strip()
        if lc.prefix and raw.upper().startswith(lc.prefix.upper()):
            raw = raw[len(lc.prefix):]
        if not raw.isdigit():
            raise InvalidInput(f"无效编号 invalid {lc.kind} number {quote(text)} "
                               f"(e.g. {lc.prefix}1)")
        n = int(raw)
    n = db_int(n, f"{lc.label} number")
    if n < 1:
        raise InvalidInput(f"无效编号 invalid {lc.kind} number {quote(text)}")
    return n


def get_record(s: Session, lc: Lifecycle, project: Project, number: int | str) -> Any:
    if lc is PROJECT:
        return get_flow(s, project, create=True)
    model = MODELS[lc.kind]
    n = parse_number(number, lc)
    obj = s.scalar(select(model).where(model.project_code == project.code, model.number == n))
    if obj is None:
        raise NotFound(f"{lc.label} {lc.name(n)} 不存在 does not exist in {project.code}")
    return obj


def records(s: Session, lc: Lifecycle, project: Project, states: tuple[str, ...] | None = None
            ) -> list[Any]:
    model = MODELS[lc.kind]
    q = select(model).where(model.project_code == project.code)
    if states is not None:
        q = q.where(model.state.in_(states))
    return list(s.scalars(q.order_by(model.number)))


def next_number(s: Session, lc: Lifecycle, project: Project) -> int:
    model = MODELS[lc.kind]
    return (s.scalar(select(func.max(model.number)).where(model.project_code == project.code))
            or 0) + 1


def _pick(s: Session, lc: Lifecycle, project: Project, event: str, roles: set[Role]) -> Any:
    """The one record ``event`` can apply to when the caller named none."""
    sources = tuple(t.source for t in lc.transitions if t.event == event and t.source)
    found = records(s, lc, project, sources)
    if len(found) == 1:
        return found[0]
    if not found:
        mine = list(dict.fromkeys(e for r in records(s, lc, project)
                                  for e in lc.allowed(r.state, roles)))
        raise TransitionNotAllowed(event, None, f"没有可{EVENT_LABELS[event].split()[0]}的"
                                   f"{lc.label} no {lc.kind} in state {', '.join(sources)}",
                                   mine)
    names = ", ".join(lc.name(r.number) for r in found)
    raise InvalidInput(f"请指明编号 which {lc.kind}? {names} (give its number)")


# -- one action ---------------------------------------------------------------------------------


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
    lc: Lifecycle
    obj: Any  # the record; None until a creating row's effect makes it
    version: SetVersion | None = None
    params: dict[str, Any] = field(default_factory=dict)
    payload: dict[str, Any] = field(default_factory=dict)
    row: Transition | None = None
    #: Follow-up events an effect asked for: (event, record number, params).
    follow: list[tuple[str, int | None, dict[str, Any]]] = field(default_factory=list)

    @property
    def signer(self) -> str:
        return f"user:{self.user.name}"

    @property
    def org_signer(self) -> str:
        return f"org:{self.user.organisation.name}"

    def ref(self, name: str) -> SetVersion | None:
        return registry.get_ref(self.s, self.project, name)

    def then(self, event: str, number: int | None = None, **params: Any) -> None:
        """Take ``event`` right after this one, in the same transaction, as the same user."""
        self.follow.append((event, number, params))

    def move_ref(self, ref: str, version_id: str) -> None:
        record = self.keys.sign(self.signer, canonical_json(
            {"project": self.project.code, "ref": ref, "version": version_id,
             "at": self.now.isoformat(), "event": self.event}))
        registry.move_ref(self.s, self.project, ref, version_id, actor=self.user.name,
                          reason=EVENT_LABELS.get(self.event, self.event),
                          signature=JSONText.dump(record), at=self.now)
        self.payload.setdefault("refs", {})[ref] = version_id


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
         blobs: Any = None, record: int | str | None = None, version: str | SetVersion | None =
         None, now: datetime | None = None, expect_lock: int | None = None,
         **params: Any) -> AuditEvent:
    """Take ``event`` on ``record`` of ``project`` as ``user``; returns the signed audit event.

    ``record`` is the number of the submission, change, meeting, question or opinion (None:
    the event creates one, or the only one it can apply to).  Refusals raise
    :class:`TransitionNotAllowed` (why, and what is allowed now); a concurrent move raises
    :class:`Conflict`.  Either way the caller rolls back: nothing is half-written.
    """
    return act(s, project, event, user=user, keys=keys, blobs=blobs, record=record,
               version=version, now=now, expect_lock=expect_lock, **params)[0]


def act(s: Session, project: str | Project, event: str, *, user: str | User, keys: KeyRing,
        blobs: Any = None, record: int | str | None = None, version: str | SetVersion | None =
        None, now: datetime | None = None, expect_lock: int | None = None,
        **params: Any) -> tuple[AuditEvent, Any]:
    """:func:`fire`, returning the record acted on as well."""
    with conflicts():
        return _fire(s, project, event, user=user, keys=keys, blobs=blobs, record=record,
                     version=version, now=now, expect_lock=expect_lock, params=params)


#: Free-text parameters of events and the field limits they are stored under.
PARAM_LIMITS = {
    "text": limits.TEXT,
    "reason": limits.TEXT,
    "drop_reason": limits.TEXT,
    "sheet": limits.SHEET_NUMBER,
    "change_id": limits.CHANGE_ID,
    "discipline": limits.DISCIPLINE,
    "stage": limits.STAGE,
    "location": limits.LOCATION,
}


def check_named_units(s: Session, p: Project, version: SetVersion | None, obj: Any) -> None:
    """#14 checks at every step: the units the action's sheets name (its version, the
    record's version, else the project's newest set) pass every unit check, or nothing runs."""
    from drawings import geo

    ids = [x for x in (version.id if version is not None else None,
                       getattr(obj, "version_id", None)) if isinstance(x, str)]
    if not ids:
        ids = [r.id for r in (registry.get_ref(s, p, "current"), registry.get_ref(s, p, "head"))
               if r is not None][:1]
    manifests = [registry.get_version(s, i).manifest for i in dict.fromkeys(ids)]
    geo.verify_units(s, p, geo.units_named(manifests))


def _fire(s: Session, project: str | Project, event: str, *, user: str | User, keys: KeyRing,
          blobs: Any, record: int | str | None, version: str | SetVersion | None,
          now: datetime | None, expect_lock: int | None, params: dict[str, Any]
          ) -> tuple[AuditEvent, Any]:
    for key, limit in PARAM_LIMITS.items():  # before anything is read or written
        if isinstance(params.get(key), str):
            limit.check(params[key])
    p = registry.get_project(s, project)
    now = audit.stamp(s, p.code, now)
    u = user if isinstance(user, User) else get_user(s, user)
    flow = get_flow(s, p, create=True)
    lc = lifecycle_of(event)
    roles = roles_of(s, p, u)
    if lc is PROJECT:
        obj: Any = flow
    elif record is not None:
        obj = get_record(s, lc, p, record)
    elif lc.creating(event):
        obj = None
    else:
        obj = _pick(s, lc, p, event, roles)
    state = None if obj is None else obj.state
    if obj is not None:
        audit.check_state(s, p.code, lc.kind, obj.number, state)
    where = "" if obj is None or lc is PROJECT else lc.name(obj.number)
    if expect_lock is not None and obj is not None and obj.lock != db_int(expect_lock,
                                                                          "expect_lock"):
        raise Conflict(f"并发冲突 {where or p.code} changed since you looked (lock {expect_lock}"
                       f" -> {obj.lock}); reload and try again")
    candidates = lc.rows(event, state)
    mine = lc.allowed(state, roles)
    if not candidates:
        raise TransitionNotAllowed(event, state, f"{lc.states.get(state or '', '新建 new')} "
                                   "下不可执行 not possible in this state", mine, record=where)
    if not any(t.actors & roles for t in candidates):
        who = sorted({ROLE_LABELS[r] for t in candidates for r in t.actors})
        raise TransitionNotAllowed(event, state, f"{u.name} 无权执行 may not do this; only "
                                   + ", ".join(who), mine, record=where)
    v = registry.resolve_version(s, p, version) if isinstance(version, str) else version
    check_named_units(s, p, v, obj)
    a = Act(s=s, project=p, flow=flow, user=u, roles=roles, keys=keys, blobs=blobs, now=now,
            event=event, lc=lc, obj=obj, version=v, params=params)
    failures: list[str] = []
    for t in candidates:
        if not (t.actors & roles):
            continue
        reasons = [r for g in t.guards if (r := GUARD_FUNCS[g](a))]
        if not reasons:
            a.row = t
            break
        failures += reasons
    if a.row is None:
        raise TransitionNotAllowed(event, state, "; ".join(dict.fromkeys(failures)), mine,
                                   record=where)
    for name in a.row.effects:
        EFFECT_FUNCS[name](a)
    if a.obj is None:
        raise AssertionError(f"{a.row.key}: no effect created the record")
    a.obj.state = a.row.target
    if hasattr(a.obj, "updated"):
        a.obj.updated = now
    a.payload.update({"record": {"kind": lc.kind, "number": a.obj.number},
                      "from": state, "to": a.row.target,
                      "roles": sorted(r.value for r in roles & a.row.actors)})
    ev = audit.append(s, p.code, event, actor=u.name, signers=[a.signer, a.org_signer],
                      keys=keys, at=now, payload=a.payload,
                      version_id=a.version.id if a.version else None)
    notify(s, p, ev, lc, a.obj)
    flush(s)
    for follow, number, more in a.follow:
        _fire(s, p, follow, user=u, keys=keys, blobs=blobs, record=number,
              version=more.pop("version", None), now=now, expect_lock=None, params=more)
    return ev, a.obj


def record_event(s: Session, project: Project, event: str, *, user: User, keys: KeyRing,
                 now: datetime, payload: dict[str, Any], version_id: str | None = None
                 ) -> AuditEvent:
    """Append a signed event for an action that moves no record (e.g. a sheet's discipline)."""
    return audit.append(s, project.code, event, actor=user.name,
                        signers=[f"user:{user.name}", f"org:{user.organisation.name}"],
                        keys=keys, at=now, payload=payload, version_id=version_id)


def notify(s: Session, project: Project, ev: AuditEvent, lc: Lifecycle, obj: Any) -> None:
    """Queue a message for every user of every party that has a move to make now."""
    label = EVENT_LABELS.get(ev.event, ev.event)
    what = lc.label if lc is PROJECT else f"{lc.label} {lc.name(obj.number)}"
    state = obj.state
    for role in sorted(lc.actors_in(state)):
        todo = ", ".join(EVENT_LABELS[e] for e in lc.allowed(state, [role]))
        for u in party_users(s, project, role):
            if u.name == ev.actor and role not in (Role.owner, Role.supervisor):
                continue
            s.add(OutboxMessage(
                project_code=project.code, audit_id=ev.id, user_name=u.name, created=ev.at,
                message=f"{project.code} {project.name}: {ev.actor} {label} → {what} "
                        f"{lc.states[state]}; 待办 to do ({ROLE_LABELS[role]}): {todo}"))


def check_implemented() -> None:
    """Every declared guard and effect has code (called once the modules are loaded)."""
    from workflow.machine import EFFECTS, GUARDS, InvalidDefinition

    if set(GUARD_FUNCS) != set(GUARDS):
        raise InvalidDefinition(f"guards without code: {sorted(set(GUARDS) ^ set(GUARD_FUNCS))}")
    if set(EFFECT_FUNCS) != set(EFFECTS):
        raise InvalidDefinition(
            f"effects without code: {sorted(set(EFFECTS) ^ set(EFFECT_FUNCS))}")


__all__ = ["BY_KIND", "Act", "act", "fire", "get_record", "records"]
