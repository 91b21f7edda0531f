"""Replay a project's audit chain into the rows it governs.

The chain is the evidence; the tables are its working copy.  :func:`replay` walks the signed
events in order and rebuilds what every governed table must hold.  An event of the loop names
its record (``payload.record``: kind and number) and the states it moved between; the row of
that record's lifecycle (:mod:`workflow.machine`) is looked up, and the replay of each of its
effects (:data:`EFFECTS`, one per effect of :mod:`workflow.effects`) writes the expected rows
from the signed payload.  Events that move no record (change marks, a sheet's discipline) have
a handler (:data:`EVENTS`).  Chains written before records carried their kind
(``yitaotu.audit/1`` and ``/2``: one block per project) are read through :mod:`legacy`
translations into the same rows, as migration 0005 moved them.  The result, :class:`Replay`,
keeps the expected rows per table under the keys :mod:`workflow.checks` reads the real rows with.

A new kind of record plugs in with its lifecycle, the replay of its effects and a checker.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from drawings import registry
from storage.errors import YitaotuError
from workflow.diffs import merged, set_diff
from workflow.findings import UNKNOWN, Finding, Stamp
from workflow.machine import BY_KIND, EVENT_LABELS, PROJECT, InvalidDefinition, Transition
from workflow.machine import EFFECTS as EFFECT_NAMES

#: Refs the workflow moves; ``head`` belongs to ingest and is not in the chain.
WORKFLOW_REFS = ("submitted", "approved", "current", "as-built", "archived")
PENDING_AS_BUILT = ("submitted", "confirmed")
#: Record kind -> the table its rows live in.
TABLE = {"project": "wf_flows", "submission": "wf_submissions", "change": "wf_changes",
         "meeting": "wf_meetings", "question": "wf_questions", "opinion": "wf_opinions"}


@dataclass(frozen=True)
class Event:
    """One chain event as its signed body states it."""

    seq: int
    name: str
    actor: str
    version: str | None
    stamp: Stamp
    payload: dict[str, Any]
    #: The body's format: 3 names the record; 2 records everything the one-block loop needed;
    #: 1 lacks a few fields.
    format: int

    @property
    def label(self) -> str:
        return f"#{self.seq} ({self.name})"

    @property
    def number(self) -> int | None:
        rec = self.payload.get("record")
        return rec.get("number") if isinstance(rec, dict) else None


@dataclass
class Replay:
    """The state of the loop and the expected rows, as the chain has it so far."""

    project: str
    s: Session
    state: str = "design"
    large_works: Any = False
    refs: dict[str, str] = field(default_factory=dict)
    tables: dict[str, dict[Any, dict[str, Any]]] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    #: Refs moved by the event being replayed (compared with the refs its payload claims).
    moved: dict[str, str] = field(default_factory=dict)
    _manifests: dict[str, dict[str, Any]] = field(default_factory=dict)

    def table(self, name: str) -> dict[Any, dict[str, Any]]:
        return self.tables.setdefault(name, {})

    def chain_problem(self, ev: Event, what: str) -> None:
        """The chain contradicts itself (a bug that wrote it, or a forgery signed anew)."""
        self.findings.append(Finding("wf_audit", ev.label, what, ev.seq))

    def manifest(self, version_id: str | None) -> dict[str, Any]:
        if version_id is None:
            return {}
        if version_id not in self._manifests:
            try:
                self._manifests[version_id] = registry.get_version(self.s, version_id).manifest
            except YitaotuError as e:
                self.findings.append(Finding("set_versions", version_id[:12], str(e)))
                self._manifests[version_id] = {}
        return self._manifests[version_id]

    def record(self, kind: str, number: int | None) -> dict[str, Any] | None:
        return self.table(TABLE[kind]).get(number)

    def move(self, ev: Event, ref: str, version_id: str | None) -> None:
        if version_id is None:
            self.chain_problem(ev, f"{ref} 无版本 moves to no version")
            return
        moves = self.table("reflog")
        seq = 1 + sum(1 for r, _ in moves if r == ref)
        moves[(ref, seq)] = {"old": self.refs.get(ref), "new": version_id, "actor": ev.actor,
                             "at": ev.stamp, "reason": EVENT_LABELS.get(ev.name, ev.name),
                             "_event": ev}
        self.refs[ref] = version_id
        self.table("refs")[ref] = {"version_id": version_id}
        self.moved[ref] = version_id

    def rounds_of(self, submission: int) -> list[int]:
        return sorted(n for n, r in self.table("wf_rounds").items()
                      if r["submission"] == submission)

    def pending_as_built(self) -> dict[str, Any] | None:
        rows = self.table("wf_as_built")
        live = [n for n, c in rows.items() if c["state"] in PENDING_AS_BUILT]
        return rows[max(live)] if live else None


Handler = Callable[[Replay, Event], None]


def _claims(r: Replay, ev: Event, key: str, expected: Any) -> None:
    """The payload says ``key`` is what the replay computed (when the payload says it)."""
    if key in ev.payload and ev.payload[key] != expected:
        r.chain_problem(ev, f"{key} {ev.payload[key]!r} differs from the chain's "
                            f"{expected!r}")


# -- the project -----------------------------------------------------------------------------------


def _record_as_built(r: Replay, ev: Event) -> None:
    rows = r.table("wf_as_built")
    rows[len(rows) + 1] = {"version_id": ev.version, "base_version_id": r.refs.get("current"),
                           "state": "submitted", "redraw": ev.payload.get("redraw"),
                           "owner_by": None, "owner_at": None, "supervisor_by": None,
                           "supervisor_at": None, "created": ev.stamp}


def _confirmation_item(r: Replay, ev: Event) -> dict[str, Any] | None:
    if "change" in ev.name:
        item = r.record("change", ev.number) if ev.format >= 3 else _legacy_pending(r)
    else:
        item = r.pending_as_built()
    if item is None:
        r.chain_problem(ev, "nothing pending to confirm")
    return item


def _record_confirmation(r: Replay, ev: Event) -> None:
    item, role = _confirmation_item(r, ev), ev.payload.get("confirmed_as")
    if item is None:
        return
    if role not in ("owner", "supervisor"):
        r.chain_problem(ev, f"confirmed as {role!r}")
        return
    item[f"{role}_by"], item[f"{role}_at"] = ev.actor, ev.stamp
    if "change" not in ev.name and item["owner_by"] and item["supervisor_by"]:
        item["state"] = "confirmed"


def _as_built_state(state: str, ref: str | None = None) -> Handler:
    def effect(r: Replay, ev: Event) -> None:
        item = r.pending_as_built()
        if item is None:
            r.chain_problem(ev, "no as-built set pending")
            return
        item["state"] = state
        if ref:
            r.move(ev, ref, item["version_id"])
    return effect


def _move_archived(r: Replay, ev: Event) -> None:
    r.move(ev, "archived", r.refs.get("as-built"))


# -- submissions -----------------------------------------------------------------------------------


def _create_submission(r: Replay, ev: Event) -> None:
    p = ev.payload
    number = ev.number
    subs = r.table("wf_submissions")
    if number != len(subs) + 1:
        r.chain_problem(ev, f"submission S-{number}, the chain is at S-{len(subs) + 1}")
    if "large_works" in p:
        r.large_works = bool(p["large_works"])
    subs[number] = {"kind": p.get("kind"), "stage": p.get("stage"), "scope": p.get("scope"),
                    "version_id": ev.version, "change": p.get("change"), "state": None,
                    "created": ev.stamp, "updated": ev.stamp}
    if p.get("change") is not None:
        ch = r.record("change", p["change"])
        t = ch["sheets"] if ch else {}
        _claims(r, ev, "scope", sorted({*t.get("added", []), *t.get("changed", []),
                                        *t.get("removed", [])}))


def _move_submitted(r: Replay, ev: Event) -> None:
    sub = r.record("submission", ev.number)
    if sub is not None:
        sub["version_id"] = ev.version
    r.move(ev, "submitted", ev.version)


def _open_round(r: Replay, ev: Event) -> None:
    number, sub = ev.number, r.record("submission", ev.number)
    rounds = r.table("wf_rounds")
    previous = r.rounds_of(number)
    if previous:
        prev: str | None = rounds[previous[-1]]["version_id"]
    elif sub is not None and sub["change"] is not None:
        prev = r.refs.get("current")
    else:
        prev = None
    diff = None
    if prev is not None:
        full = set_diff(r.manifest(prev), r.manifest(ev.version))
        scope = (sub or {}).get("scope") or []
        diff = {k: [no for no in v if no in scope] for k, v in full.items()}
    nr = len(rounds) + 1
    _claims(r, ev, "round", nr)
    _claims(r, ev, "diff", diff)
    rounds[nr] = {"submission": number, "version_id": ev.version, "prev_version_id": prev,
                  "submitted_at": ev.stamp, "accepted_at": None, "ended_at": None,
                  "outcome": None, "diff": diff}


def _latest_round(r: Replay, ev: Event) -> dict[str, Any] | None:
    nrs = r.rounds_of(ev.number)
    if not nrs:
        r.chain_problem(ev, f"S-{ev.number} has no round")
        return None
    return r.table("wf_rounds")[nrs[-1]]


def _start_clock(r: Replay, ev: Event) -> None:
    if (rnd := _latest_round(r, ev)) is not None:
        rnd["accepted_at"] = ev.stamp


def _pause_clock(r: Replay, ev: Event) -> None:
    if (rnd := _latest_round(r, ev)) is not None:
        rnd["ended_at"] = ev.stamp
        rnd["outcome"] = "approved" if ev.name == "approve" else "returned"


def _carry_opinions(r: Replay, ev: Event) -> None:
    manifest = r.manifest(ev.version)
    claims = {c.get("opinion"): c for c in ev.payload.get("carried") or []}
    opinions = r.table("wf_opinions")
    mine = set(r.rounds_of(ev.number))
    round_no = max(mine) if mine else None
    carried = [n for n in sorted(opinions)
               if opinions[n]["state"] != "closed" and opinions[n]["round"] in mine]
    if sorted(claims) != carried:
        r.chain_problem(ev, f"carried opinions {sorted(claims)}, the chain has open {carried}")
    for n in carried:
        o, claim = opinions[n], claims.get(n, {})
        entry = manifest.get(o["sheet_no"])
        if entry is None:
            affected, note = True, "图纸已删除 sheet removed"
        elif (entry["blob"], entry.get("page")) == (o["blob_id"], o["page"]):
            affected, note = False, "图纸未变 sheet unchanged"
        else:  # where the change lies comes from the diff engine: the signed claim says
            affected, note = claim.get("affected", UNKNOWN), claim.get("note", UNKNOWN)
            o["blob_id"], o["page"] = entry["blob"], entry.get("page")
        if "affected" in claim and claim["affected"] != affected:
            r.chain_problem(ev, f"opinion #{n} carried as affected={claim['affected']}, "
                                f"expected {affected}")
        o.update(affected=affected, round=round_no, updated=ev.stamp)
        _reply(r, n, {"kind": "carry", "author": ev.actor,
                      "text": note if ev.format >= 2 else UNKNOWN, "created": ev.stamp})


def _record_signoff(r: Replay, ev: Event) -> None:
    rounds = r.rounds_of(ev.number)
    nr = rounds[-1] if rounds else None
    _claims(r, ev, "round", nr)
    r.table("wf_signoffs")[(ev.number, nr, ev.payload.get("discipline"))] = {
        "user_name": ev.actor, "signed_at": ev.stamp}


def _approve_scope(r: Replay, ev: Event) -> None:
    sub = r.record("submission", ev.number) or {}
    version = sub.get("version_id")
    scope = sub.get("scope") or []
    _claims(r, ev, "scope", scope)
    refs = ev.payload.get("refs") or {}
    for ref in ("approved", "current"):  # the versions they move to are checked by content
        want = merged(r.manifest(r.refs.get(ref)), r.manifest(version), scope)
        got = refs.get(ref)
        if got is not None and r.manifest(got) != want:
            r.chain_problem(ev, f"{ref} moves to {got[:12]}, whose sheets are not "
                                f"{ref} + S-{ev.number}'s scope")
        r.move(ev, ref, got)
    certs = r.table("wf_certificates")
    certs[len(certs) + 1] = {"version_id": version, "submission": ev.number,
                             "stage": sub.get("stage"),
                             "blob_id": ev.payload.get("certificate_blob"),
                             "signers": ev.payload.get("certificate_signers"),
                             "issued": ev.stamp}


# -- changes ---------------------------------------------------------------------------------------


def _create_change(r: Replay, ev: Event) -> None:
    p = ev.payload
    changes = r.table("wf_changes")
    number = ev.number if ev.format >= 3 else p.get("change")
    if number != len(changes) + 1:
        r.chain_problem(ev, f"change C-{number}, the chain is at C-{len(changes) + 1}")
    changes[number] = {
        "kind": p.get("kind", "design"), "klass": p.get("class"),
        "raised_by": p.get("raised_by", "design"), "reason": p.get("reason"), "answer": None,
        "base_version_id": None, "version_id": None,
        "sheets": {"added": [], "changed": [], "removed": []},
        "question": p.get("question"), "state": None, "author": ev.actor,
        "owner_by": None, "owner_at": None, "supervisor_by": None, "supervisor_at": None,
        "signed_by": None, "signed_at": None, "effective_at": None, "created": ev.stamp,
        "updated": ev.stamp}


def _drawings(r: Replay, ev: Event, ch: dict[str, Any]) -> None:
    base = r.refs.get("current")
    sheets = set_diff(r.manifest(base), r.manifest(ev.version))
    _claims(r, ev, "base", base)
    _claims(r, ev, "sheets", sheets)
    ch.update(base_version_id=base, version_id=ev.version, sheets=sheets)


def _existing(r: Replay, ev: Event, kind: str) -> dict[str, Any] | None:
    """The record the event names, or None (and a finding) when the chain never made it."""
    row = r.record(kind, ev.number)
    if row is None:
        r.chain_problem(ev, f"no {kind} {BY_KIND[kind].name(ev.number or 0)}")
    return row


def _change(r: Replay, ev: Event) -> dict[str, Any] | None:
    return _existing(r, ev, "change")


def _record_proposal(r: Replay, ev: Event) -> None:
    if (ch := _change(r, ev)) is not None:
        if "class" in ev.payload:
            ch["klass"] = ev.payload["class"]
        _drawings(r, ev, ch)


def _record_answer(r: Replay, ev: Event) -> None:
    if (ch := _change(r, ev)) is not None:
        ch["answer"] = ev.payload.get("answer")
        if "class" in ev.payload:
            ch["klass"] = ev.payload["class"]
        if ev.version is not None:
            _drawings(r, ev, ch)


def _rebase(r: Replay, ev: Event) -> None:
    if (ch := _change(r, ev)) is not None:
        _claims(r, ev, "old_version", ch["version_id"])
        _drawings(r, ev, ch)
        ch.update(owner_by=None, owner_at=None, supervisor_by=None, supervisor_at=None)


def _apply_change(r: Replay, ev: Event) -> None:
    if (ch := _change(r, ev)) is None:
        return
    ch.update(signed_by=ev.actor, signed_at=ev.stamp, effective_at=ev.stamp)
    if ch["version_id"] is None:
        return
    t = ch["sheets"]
    want = merged(r.manifest(r.refs.get("current")), r.manifest(ch["version_id"]),
                   [*t["added"], *t["changed"], *t["removed"]])
    got = (ev.payload.get("refs") or {}).get("current")
    if got is None or r.manifest(got) != want:
        r.chain_problem(ev, f"current moves to {str(got)[:12]}, whose sheets are not current + "
                            f"C-{ev.number}")
    r.move(ev, "current", got)


def _review_change(r: Replay, ev: Event) -> None:
    if (ch := _change(r, ev)) is not None:
        ch.update(signed_by=ev.actor, signed_at=ev.stamp)


def _mark_effective(r: Replay, ev: Event) -> None:
    if (ch := _change(r, ev)) is not None:
        ch["effective_at"] = ev.stamp


def _close_change(r: Replay, ev: Event) -> None:
    withdrawn = ev.payload.get("submission_withdrawn")
    if withdrawn is not None and (sub := r.record("submission", withdrawn)) is not None:
        sub.update(state="withdrawn", updated=ev.stamp)


# -- meetings and questions ------------------------------------------------------------------------


def _create_meeting(r: Replay, ev: Event) -> None:
    p, meetings = ev.payload, r.table("wf_meetings")
    if ev.number != len(meetings) + 1:
        r.chain_problem(ev, f"meeting M-{ev.number}, the chain is at M-{len(meetings) + 1}")
    meetings[ev.number] = {"held_on": p.get("held_on"), "location": p.get("location"),
                           "version_id": ev.version, "participants": p.get("participants"),
                           "state": None, "minutes_blob": None, "signed": {},
                           "created": ev.stamp}


def _meeting(r: Replay, ev: Event) -> dict[str, Any] | None:
    return _existing(r, ev, "meeting")


def _draw_minutes(r: Replay, ev: Event) -> None:
    if (m := _meeting(r, ev)) is not None:
        m["minutes_blob"] = ev.payload.get("minutes_blob")


def _sign_minutes(r: Replay, ev: Event) -> None:
    if (m := _meeting(r, ev)) is None:
        return
    role, blob = ev.payload.get("signed_as"), ev.payload.get("minutes_blob")
    m["signed"] = {**m["signed"], role: {"user": ev.actor, "at": ev.stamp.at.isoformat(),
                                         "blob": blob}}
    m["minutes_blob"] = blob


def _create_question(r: Replay, ev: Event) -> None:
    p, questions = ev.payload, r.table("wf_questions")
    if ev.number != len(questions) + 1:
        r.chain_problem(ev, f"question Q-{ev.number}, the chain is at Q-{len(questions) + 1}")
    m = r.record("meeting", p.get("meeting")) or {}
    entry = r.manifest(m.get("version_id")).get(p.get("sheet")) or {}
    questions[ev.number] = {"meeting": p.get("meeting"), "sheet_no": p.get("sheet"),
                            "blob_id": p.get("blob"), "page": entry.get("page"),
                            "anchor": p.get("anchor"), "text": p.get("text"),
                            "raised_by": ev.actor, "role": p.get("as"), "answer": None,
                            "answered_by": None, "state": None, "created": ev.stamp}


def _record_question_answer(r: Replay, ev: Event) -> None:
    if (q := _existing(r, ev, "question")) is None:
        return
    q.update(answer=ev.payload.get("answer"), answered_by=ev.actor)


# -- opinions --------------------------------------------------------------------------------------


def _reply(r: Replay, number: int, row: dict[str, Any]) -> None:
    replies = r.table("wf_opinion_replies")
    replies[(number, 1 + sum(1 for n, _ in replies if n == number))] = row


def _create_opinion(r: Replay, ev: Event) -> None:
    p = ev.payload
    opinions = r.table("wf_opinions")
    number = p.get("opinion")
    if number != len(opinions) + 1:
        r.chain_problem(ev, f"opinion #{number}, the chain is at #{len(opinions) + 1}")
    sub = p.get("submission")
    rounds = r.rounds_of(sub) if sub is not None else sorted(r.table("wf_rounds"))
    entry = r.manifest(ev.version).get(p.get("sheet"))
    opinions[number] = {
        "round": rounds[-1] if rounds else None, "sheet_no": p.get("sheet"),
        "blob_id": p.get("blob"), "page": entry.get("page") if entry else UNKNOWN,
        "anchor": p.get("anchor"), "change_id": p.get("change_id"),
        "category": p.get("category"), "discipline": p.get("discipline", UNKNOWN),
        "text": p.get("text"), "author": ev.actor, "state": "open", "affected": False,
        "created": ev.stamp, "updated": ev.stamp}


def _record_reply(r: Replay, ev: Event) -> None:
    number = ev.payload.get("opinion")
    o = r.table("wf_opinions").get(number)
    if o is None:
        r.chain_problem(ev, f"no opinion #{number}")
        return
    kind = ev.name.removeprefix("opinion_")
    if ev.format < 3:  # one-block chains carried the states in the payload, not the record
        if ev.payload.get("from") != o["state"]:
            r.chain_problem(ev, f"opinion #{number} from {ev.payload.get('from')}, the chain "
                                f"has it {o['state']}")
        o["state"] = ev.payload.get("to")
    o["updated"] = ev.stamp
    if kind != "reply":
        o["affected"] = False
    _reply(r, number, {"kind": kind, "author": ev.actor,
                       "text": (ev.payload.get("text") or "").strip(), "created": ev.stamp})


def _noop(r: Replay, ev: Event) -> None:
    """An effect whose whole record is the state move itself."""


EFFECTS: dict[str, Handler] = {
    "record_as_built": _record_as_built,
    "record_confirmation": _record_confirmation,
    "reject_as_built": _as_built_state("rejected"),
    "move_as_built": _as_built_state("accepted", "as-built"),
    "move_archived": _move_archived,
    "create_submission": _create_submission,
    "move_submitted": _move_submitted,
    "open_round": _open_round,
    "start_clock": _start_clock,
    "pause_clock": _pause_clock,
    "carry_opinions": _carry_opinions,
    "record_signoff": _record_signoff,
    "approve_scope": _approve_scope,
    "withdraw_submission": _noop,
    "create_change": _create_change,
    "record_proposal": _record_proposal,
    "record_answer": _record_answer,
    "rebase": _rebase,
    "apply_change": _apply_change,
    "review_change": _review_change,
    "mark_effective": _mark_effective,
    "close_change": _close_change,
    "create_meeting": _create_meeting,
    "draw_minutes": _draw_minutes,
    "sign_minutes": _sign_minutes,
    "create_question": _create_question,
    "record_question_answer": _record_question_answer,
    "create_opinion": _create_opinion,
    "record_reply": _record_reply,
}

if set(EFFECTS) != set(EFFECT_NAMES):
    raise InvalidDefinition(f"effects without replay: {sorted(set(EFFECTS) ^ set(EFFECT_NAMES))}")


# -- events that move no record --------------------------------------------------------------------


def _change_mark(r: Replay, ev: Event) -> None:
    p = ev.payload
    sub = p.get("submission")
    rounds = r.rounds_of(sub) if sub is not None else sorted(r.table("wf_rounds"))
    r.table("wf_change_marks")[(rounds[-1] if rounds else None, p.get("sheet"),
                                p.get("change_id"))] = {
        "mark": p.get("mark"), "opinion": p.get("opinion"), "author": ev.actor,
        "created": ev.stamp}


def _set_discipline(r: Replay, ev: Event) -> None:
    p = ev.payload
    rows = r.table("wf_sheet_disciplines")
    before = rows.get(p.get("sheet"), {}).get("discipline")
    _claims(r, ev, "from", before)
    rows[p.get("sheet")] = {"discipline": p.get("to"), "set_by": ev.actor, "set_at": ev.stamp}


EVENTS: dict[str, Handler] = {"change_mark": _change_mark, "set_discipline": _set_discipline}

_ROWS: dict[tuple[str, str | None, str], tuple[str, Transition]] = {
    (t.event, t.source, t.target): (lc.kind, t) for lc in BY_KIND.values()
    for t in lc.transitions}


def _transition(r: Replay, ev: Event) -> None:
    """An event of format 3: the row of its record's lifecycle, then its effects' replay."""
    rec = ev.payload.get("record") or {}
    kind, number = rec.get("kind"), rec.get("number")
    source, target = ev.payload.get("from"), ev.payload.get("to")
    found = _ROWS.get((ev.name, source, target))
    if found is None or found[0] != kind:
        r.chain_problem(ev, f"{kind} {source} → {target} is no row of its lifecycle")
        return
    row = found[1]
    if kind == "project":
        now = r.state
    else:
        existing = r.record(kind, number)
        now = None if existing is None else existing["state"]
    if source != now:
        r.chain_problem(ev, f"{kind} {number} leaves {source}, the chain has it {now}")
    r.moved = {}
    for name in row.effects:
        EFFECTS[name](r, ev)
    if (ev.payload.get("refs") or {}) != r.moved:
        r.chain_problem(ev, f"moves refs {ev.payload.get('refs') or {}}, its effects move "
                            f"{r.moved}")
    _set_state(r, ev, kind, number, target)


def _set_state(r: Replay, ev: Event, kind: str, number: int | None, state: str) -> None:
    if kind == "project":
        r.state = state
    elif (row := r.record(kind, number)) is not None:
        row["state"] = state
        if "updated" in row:
            row["updated"] = ev.stamp
    r.table("wf_flows")[r.project] = {"state": r.state, "large_works": r.large_works,
                                       "updated": _flow_updated(r, ev, kind)}


def _flow_updated(r: Replay, ev: Event, kind: str) -> Any:
    """The flow row's ``updated``: the last event that moved the project itself."""
    old = r.table("wf_flows").get(r.project, {}).get("updated", UNKNOWN)
    return ev.stamp if kind == "project" or ev.format < 3 else old


def replay(s: Session, project: str, events: list[Event]) -> Replay:
    """The expected rows of every governed table after ``events`` (in chain order)."""
    from workflow import legacy

    r = Replay(project, s)
    r.table("wf_flows")[project] = {"state": r.state, "large_works": r.large_works,
                                     "updated": UNKNOWN}
    for ev in events:
        if ev.name in EVENTS:
            EVENTS[ev.name](r, ev)
        elif ev.format >= 3:
            _transition(r, ev)
        elif ev.name in legacy.EVENTS:
            legacy.EVENTS[ev.name](r, ev)
        else:
            r.chain_problem(ev, f"未知事件 unknown event {ev.name!r}")
    return r


def event_of(seq: int, body: dict[str, Any], previous_at: datetime | None,
             formats: dict[str, int]) -> Event:
    """An :class:`Event` from a parsed body; ``previous_at`` is the time of the event before
    (a first-format event stamped at it may have had its own, earlier time raised to it)."""
    at = datetime.fromisoformat(body["at"])
    fmt = formats.get(body.get("type", ""), 1)
    exact = fmt >= 2 or previous_at is None or at != previous_at
    return Event(seq=seq, name=str(body.get("event")), actor=str(body.get("actor")),
                 version=body.get("version"), stamp=Stamp(at, exact),
                 payload=body.get("payload") or {}, format=fmt)


def _legacy_pending(r: Replay) -> dict[str, Any] | None:
    """The change a one-block chain's confirmation is about: the last one proposed."""
    rows = r.table("wf_changes")
    live = [n for n, c in rows.items() if c["state"] in ("proposed", "confirmed")]
    return rows[max(live)] if live else None


__all__ = ["EFFECTS", "EVENTS", "PROJECT", "Event", "Replay", "replay"]
