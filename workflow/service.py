"""The closed-loop services: every action is one function taking a Session.

Moves go through :func:`fire` (``workflow.engine``), which executes one row of the declared
tables of :mod:`workflow.machine`; this module adds the people (organisations, users, parties),
the sheets' disciplines, and the reading side: where a project stands, a user's inbox, and the
set in force on a date with the signed events that prove it.  The CLI and the web app call
these same functions.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from drawings import registry
from drawings.models import Party, Project
from storage import limits
from storage.display import quote
from storage.errors import Conflict, IntegrityError, InvalidInput, NotFound
from workflow import audit, disciplines, effects, guards  # noqa: F401 - registers the code
from workflow.clock import review_clock, utcnow
from workflow.engine import (
    PARTY_ROLE,
    ROLE_OF_PARTY,
    STALE,
    act,
    check_implemented,
    conflict_safe,
    conflicts,
    fire,
    flush,
    get_flow,
    get_record,
    get_user,
    party_users,
    record_event,
    records,
    roles_of,
)
from workflow.machine import (
    BY_KIND,
    CHANGE,
    LIFECYCLES,
    MEETING,
    OPEN_CHANGE_STATES,
    OPEN_SUBMISSION_STATES,
    PROJECT,
    SUBMISSION,
    Role,
    parse_role,
)
from workflow.models import (
    AsBuilt,
    AuditEvent,
    Certificate,
    Flow,
    JSONText,
    Opinion,
    Organisation,
    OutboxMessage,
    Round,
    SheetDiscipline,
    SigningKey,
    Submission,
    User,
)
from workflow.signing import ALGORITHMS, ED25519, KeyRing

check_implemented()

__all__ = ["PARTY_ROLE", "ROLE_OF_PARTY", "STALE", "act", "conflict_safe", "conflicts", "fire",
           "flush", "get_flow", "get_record", "get_user", "party_users", "records", "roles_of"]


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
    name = limits.ORGANISATION.check((name or "").strip(), required=True) or ""
    if alg not in ALGORITHMS:
        raise InvalidInput(
            f"未知签名算法 unknown algorithm {quote(alg)} ({', '.join(ALGORITHMS)})"
        )
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
        raise NotFound(f"单位不存在 no such organisation: {quote(name)}")
    return org


def list_orgs(s: Session) -> list[Organisation]:
    return list(s.scalars(select(Organisation).order_by(Organisation.name)))


def add_user(s: Session, keys: KeyRing, name: str, org: str, *, display_name: str | None = None,
             discipline: str | None = None) -> User:
    """A user of ``org`` with a key pair of the organisation's algorithm."""
    name = limits.USER.check((name or "").strip(), required=True) or ""
    if any(c.isspace() for c in name) or ":" in name:
        raise InvalidInput(f"无效的用户名 invalid user name {quote(name)} (no spaces or ':')")
    limits.DISPLAY_NAME.check(display_name)
    limits.DISCIPLINE.check(discipline)
    o = get_org(s, org)
    if s.scalar(select(User).where(User.name == name)) is not None:
        raise Conflict(f"用户已存在 user {name} already exists")
    u = User(name=name, display_name=display_name, org_id=o.id,
             discipline=disciplines.normalise(discipline), created=utcnow())
    s.add(u)
    _register_key(s, keys, f"user:{name}", o.alg)
    s.flush()
    s.refresh(o, ["users"])
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


# -- disciplines --------------------------------------------------------------------------------


def set_discipline(s: Session, project: str | Project, sheet_no: str, discipline: str, *,
                   user: str, keys: KeyRing, now: datetime | None = None) -> dict[str, Any]:
    """Set the discipline of a sheet number (design firm or review agency); a signed event."""
    p = registry.get_project(s, project)
    u = get_user(s, user)
    if not roles_of(s, p, u) & {Role.design, Role.review}:
        raise Conflict(f"{u.name} 无权 may not set disciplines (design firm or review agency)")
    d = limits.DISCIPLINE.check(disciplines.normalise(discipline), required=True) or ""
    sheet_no = limits.SHEET_NUMBER.check((sheet_no or "").strip(), required=True) or ""
    now = now or utcnow()
    row = s.get(SheetDiscipline, (p.code, sheet_no))
    before = row.discipline if row else None
    if row is None:
        s.add(SheetDiscipline(project_code=p.code, sheet_no=sheet_no, discipline=d,
                              set_by=u.name, set_at=now))
    else:
        row.discipline, row.set_by, row.set_at = d, u.name, now
    ev = record_event(s, p, "set_discipline", user=u, keys=keys, now=now,
                      payload={"sheet": sheet_no, "from": before, "to": d})
    flush(s)
    return {"sheet": sheet_no, "discipline": d, "before": before, "audit": ev.seq}


def sheet_disciplines(s: Session, project: str | Project, rev: str = "current"
                      ) -> dict[str, str]:
    """sheet -> discipline for every sheet of a version of the set."""
    p = registry.get_project(s, project)
    manifest = registry.resolve_version(s, p, rev).manifest
    return disciplines.of_sheets(s, p.code, manifest, sorted(manifest))


# -- reading ------------------------------------------------------------------------------------


def clock_of(s: Session, sub: Submission, flow: Flow, *, now: datetime) -> Any:
    periods = [(r.accepted_at, r.ended_at) for r in s.scalars(
        select(Round).where(Round.submission_id == sub.id, Round.accepted_at.is_not(None))
        .order_by(Round.number))]
    return review_clock(periods, large_works=flow.large_works, now=now)


def submission_dict(s: Session, sub: Submission, flow: Flow, *, now: datetime) -> dict[str, Any]:
    from workflow.engine import Act
    from workflow.facts import submission_disciplines, valid_signoffs

    p = registry.get_project(s, sub.project_code)
    a = Act(s=s, project=p, flow=flow, user=None, roles=set(), keys=None, blobs=None,  # type: ignore[arg-type]
            now=now, event="", lc=SUBMISSION, obj=sub)
    discs = submission_disciplines(a, sub)
    signed = valid_signoffs(a, sub)
    rnd = s.scalar(select(Round).where(Round.submission_id == sub.id)
                   .order_by(Round.number.desc()).limit(1))
    out: dict[str, Any] = {
        "number": sub.number, "name": f"S-{sub.number}", "kind": sub.kind, "stage": sub.stage,
        "state": sub.state, "label": SUBMISSION.states[sub.state], "version": sub.version_id,
        "sheets": sub.sheets, "lock": sub.lock,
        "disciplines": {d: (signed[d].user_name if d in signed else None)
                        for d in sorted(set(discs.values()))},
        "change": None,
    }
    if sub.change_id is not None:
        from workflow.models import Change

        out["change"] = s.get(Change, sub.change_id).number
    if rnd is not None:
        out["round"] = {"number": rnd.number, "version": rnd.version_id,
                        "previous": rnd.prev_version_id, "outcome": rnd.outcome,
                        "submitted_at": rnd.submitted_at.isoformat(),
                        "accepted_at": rnd.accepted_at.isoformat() if rnd.accepted_at else None,
                        "diff": JSONText.load(rnd.diff),
                        "clock": clock_of(s, sub, flow, now=now).to_dict()}
    return out


def status(s: Session, project: str | Project, *, user: str | None = None,
           now: datetime | None = None) -> dict[str, Any]:
    """Where the project stands: its phase, refs, submissions, changes by state, meetings,
    opinions, as-built and certificates; with ``user``, what that user may do now."""
    p = registry.get_project(s, project)
    now = now or utcnow()
    flow = get_flow(s, p)
    out: dict[str, Any] = {
        "project": p.code, "name": p.name, "state": flow.state,
        "label": PROJECT.states[flow.state], "lock": flow.lock, "large_works": flow.large_works,
        "refs": registry.refs(s, p) if s.get(Project, p.code) else {},
        "allowed": PROJECT.allowed(flow.state),
        "parties": [{"role": ROLE_OF_PARTY.get(pt.role, pt.role), "organisation": pt.organisation}
                    for pt in p.parties],
    }
    subs = records(s, SUBMISSION, p) if flow.lock else []
    out["submissions"] = [submission_dict(s, x, flow, now=now) for x in subs]
    changes = records(s, CHANGE, p)
    out["changes"] = [c.to_dict() for c in changes]
    by_state: dict[str, list[str]] = {}
    for c in changes:
        if c.state in OPEN_CHANGE_STATES:
            by_state.setdefault(c.state, []).append(f"C-{c.number}")
    out["open_changes"] = by_state
    out["meetings"] = [m.to_dict() for m in records(s, MEETING, p)]
    if user:
        u = get_user(s, user)
        roles = roles_of(s, p, u)
        out["you"] = {"user": u.name, "roles": sorted(r.value for r in roles),
                      "discipline": u.discipline, "allowed": your_moves(s, p, flow, roles)}
    counts: dict[str, int] = {}
    for st, cat, n in s.execute(select(Opinion.state, Opinion.category, func.count())
                                .where(Opinion.project_code == p.code)
                                .group_by(Opinion.state, Opinion.category)):
        counts[f"{st}/{cat}"] = n
    out["opinions"] = counts
    ab = s.scalar(select(AsBuilt).where(AsBuilt.project_code == p.code)
                  .order_by(AsBuilt.id.desc()).limit(1))
    out["as_built"] = None if ab is None else {
        "version": ab.version_id, "state": ab.state, "redraw": JSONText.load(ab.redraw),
        "owner": ab.owner_by, "supervisor": ab.supervisor_by}
    out["certificates"] = [
        {"blob": c.blob_id, "version": c.version_id, "stage": c.stage,
         "submission": _number(s, c.submission_id), "issued": c.issued.isoformat(),
         "signers": JSONText.load(c.signers)}
        for c in s.scalars(select(Certificate).where(Certificate.project_code == p.code)
                           .order_by(Certificate.id))]
    return out


def _number(s: Session, submission_id: int | None) -> int | None:
    sub = s.get(Submission, submission_id) if submission_id is not None else None
    return sub.number if sub else None


def your_moves(s: Session, p: Project, flow: Flow, roles: set[Role]) -> dict[str, list[str]]:
    """record name -> events the user's roles may take on it now (guards aside)."""
    out: dict[str, list[str]] = {}
    if ev := PROJECT.allowed(flow.state, roles):
        out["project"] = ev
    for lc in LIFECYCLES[1:]:
        creating = [e for e in lc.allowed(None, roles)]
        if creating:
            out.setdefault("new", []).extend(creating)
        if lc.kind in ("question", "opinion"):
            continue
        for rec in records(s, lc, p):
            if ev := lc.allowed(rec.state, roles):
                out[lc.name(rec.number)] = ev
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


def _brief(ev: AuditEvent) -> dict[str, Any]:
    return {"seq": ev.seq, "event": ev.event, "actor": ev.actor, "at": ev.at.isoformat(),
            "hash": ev.hash, "signers": [r["signer"] for r in JSONText.load(ev.signatures)]}


def set_in_force(s: Session, project: str | Project, when: datetime) -> dict[str, Any]:
    """The set in force (``current``) at ``when``: the approved parts plus every change
    effective then, where each sheet came from, and the signed chain entries that prove it.

    The reflog says which move of ``current`` was in force; the proof is the chain event that
    made that move, found by replaying the chain.  If the chain is damaged, or the reflog or the
    ref disagree with it, nothing is cited: :class:`IntegrityError` names the first problem."""
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
    chain = [ev for ev in audit.events(s, p.code) if ev.seq <= made.seq or ev.at <= when]
    by_record: dict[tuple[str, int], list[AuditEvent]] = {}
    source: dict[str, str] = {}
    parts: list[dict[str, Any]] = []
    changes: list[dict[str, Any]] = []
    for ev in chain:
        payload = orjson.loads(ev.body).get("payload") or {}
        rec = payload.get("record") or {}
        key = (rec.get("kind") or _old_kind(ev.event), int(rec.get("number") or 1))
        by_record.setdefault(key, []).append(ev)
        if ev.event == "approve":
            name = f"S-{key[1]}"
            scope = payload.get("scope") or sorted(
                registry.get_version(s, (payload.get("refs") or {})["current"]).manifest)
            for no in scope:
                source[no] = name
            parts.append({"submission": name, "stage": payload.get("stage") or "全套",
                          "sheets": scope, "approved_at": ev.at.isoformat(), "key": key})
        elif ev.event in ("sign_change", "approve_change") and payload.get("to") in (
                "effective", "current"):
            number = payload.get("change", key[1])
            touched = payload.get("sheets") or _change_sheets(s, p, number)
            for no in [*touched.get("added", []), *touched.get("changed", [])]:
                source[no] = f"C-{number}"
            changes.append({"change": f"C-{number}", "effective_at": ev.at.isoformat(),
                            "key": ("change", number)})
    for item in parts + changes:
        item["events"] = [_brief(e) for e in by_record.get(item.pop("key"), [])]
    proof = next(e for e in chain if e.seq == made.seq)
    head = audit.last_event(s, p.code)
    return {"project": p.code, "at": when.isoformat(), "version": v.to_dict(manifest=True),
            "sheets": {no: source.get(no) for no in sorted(v.manifest)},
            "parts": parts, "changes": changes,
            "proof": {**proof.to_dict(), "body": JSONText.load(proof.body),
                      "signatures": JSONText.load(proof.signatures)},
            "chain_head": None if head is None else {"seq": head.seq, "hash": head.hash}}


def _old_kind(event: str) -> str:
    """Events of chains written before records carried their kind (one record per kind)."""
    from workflow.machine import lifecycle_of

    try:
        return lifecycle_of(event).kind
    except InvalidInput:
        return "project"


def _change_sheets(s: Session, p: Project, number: int | None) -> dict[str, list[str]]:
    if number is None:
        return {}
    try:
        return get_record(s, CHANGE, p, number).touched
    except NotFound:
        return {}


def submit(s: Session, project: str | Project, version: str, *, user: str | User,
           keys: KeyRing, blobs: Any = None, now: datetime | None = None,
           large_works: bool | None = None, stage: str | None = None,
           sheets: list[str] | None = None, record: int | str | None = None,
           expect_lock: int | None = None) -> AuditEvent:
    """报审: a new submission (the whole set, or a stage: ``stage`` and ``sheets`` patterns),
    or the resubmission of a returned one (``record``, or the only one returned)."""
    p = registry.get_project(s, project)
    returned = records(s, SUBMISSION, p, ("returned",))
    if record is not None or (returned and not stage and not sheets):
        return fire(s, p, "resubmit", user=user, keys=keys, blobs=blobs, version=version,
                    now=now, record=record, expect_lock=expect_lock)
    return fire(s, p, "submit", user=user, keys=keys, blobs=blobs, version=version, now=now,
                large_works=large_works, stage=stage, sheets=sheets)


def certificate_trust(s: Session, cert: Certificate) -> list[bytes]:
    """The X.509 certificates on record for a certificate PDF's signers (the trust anchors)."""
    from workflow import certificate

    return certificate.trust_for(s, JSONText.load(cert.signers))


def lifecycle(kind: str) -> Any:
    return BY_KIND[kind]


__all__ += ["OPEN_SUBMISSION_STATES", "add_org", "add_party", "add_user", "clock_of", "inbox",
            "list_orgs", "list_users", "set_discipline", "set_in_force", "sheet_disciplines",
            "status", "submit"]
