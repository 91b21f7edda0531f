"""Replay a project's audit chain into the rows it governs.

The chain is the evidence; the tables are its working copy.  :func:`replay` walks the signed
events in order and rebuilds what every governed table must hold: a transition (the row of
:data:`workflow.machine.TRANSITIONS` its payload names by event, ``from`` and ``to``) runs the
replay of each of its effects (:data:`EFFECTS`, one per effect of the service); any other event
(opinions, change marks) has a handler (:data:`EVENTS`).  The result, :class:`Replay`, keeps the
expected rows per table under the keys :mod:`workflow.checks` reads the real rows with.

New record kinds plug in by adding an effect or event handler that writes
``r.table("their_table")[key] = {...}`` and a :class:`workflow.checks.Kind` that reads the rows.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from drawings import registry
from storage.errors import YitaotuError
from workflow.diffs import set_diff
from workflow.findings import UNKNOWN, Finding, Stamp
from workflow.machine import EFFECTS as EFFECT_NAMES
from workflow.machine import EVENT_LABELS, TRANSITIONS, InvalidDefinition, Transition

#: Refs the workflow moves; ``head`` belongs to ingest and is not in the chain.
WORKFLOW_REFS = ("submitted", "approved", "current", "as-built", "archived")
PENDING_CHANGE = ("proposed", "confirmed")
PENDING_AS_BUILT = ("submitted", "confirmed")


@dataclass(frozen=True)
class Event:
    """One chain event as its signed body states it."""

    seq: int
    name: str
    actor: str
    version: str | None
    stamp: Stamp
    payload: dict[str, Any]
    #: The body's format: 2 records everything the replay needs; 1 lacks a few fields.
    format: int

    @property
    def label(self) -> str:
        return f"#{self.seq} ({self.name})"


@dataclass
class Replay:
    """The state of the loop and the expected rows, as the chain has it so far."""

    project: str
    s: Session
    state: str = "draft"
    review_no: int = 0
    large_works: Any = False
    round_no: int = 0
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

    # -- moves and pending items ------------------------------------------------------------

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

    def current_round(self) -> dict[str, Any] | None:
        return self.table("wf_rounds").get(self.round_no)

    def pending(self, kind: str) -> dict[str, Any] | None:
        """The design change (``kind`` "change") or as-built submission awaiting decisions."""
        if kind == "change":
            rows = self.table("wf_changes")
            live = [n for n, c in rows.items() if c["state"] in PENDING_CHANGE]
        else:
            rows = self.table("wf_as_built")
            live = [n for n, c in rows.items() if c["state"] in PENDING_AS_BUILT]
        return rows[max(live)] if live else None


Handler = Callable[[Replay, Event], None]


# -- effects (one per effect of workflow.service) ---------------------------------------------


def _move_submitted(r: Replay, ev: Event) -> None:
    r.move(ev, "submitted", ev.version)


def _open_round(r: Replay, ev: Event) -> None:
    last = r.current_round()
    if ev.name != "resubmit":
        r.review_no += 1
    number = r.round_no + 1
    prev = last["version_id"] if last is not None else None
    diff = set_diff(r.manifest(prev), r.manifest(ev.version)) if prev is not None else None
    if ev.payload.get("round") != number:
        r.chain_problem(ev, f"round {ev.payload.get('round')} but the chain is at round {number}")
    if ev.payload.get("diff") != diff:
        r.chain_problem(ev, "diff differs from the set diff of its versions")
    r.table("wf_rounds")[number] = {
        "review_no": r.review_no, "version_id": ev.version, "prev_version_id": prev,
        "submitted_at": ev.stamp, "accepted_at": None, "ended_at": None, "outcome": None,
        "diff": diff}
    r.round_no = number


def _start_clock(r: Replay, ev: Event) -> None:
    rnd = r.current_round()
    if rnd is None:
        r.chain_problem(ev, "no round to accept")
        return
    rnd["accepted_at"] = ev.stamp


def _pause_clock(r: Replay, ev: Event) -> None:
    rnd = r.current_round()
    if rnd is None:
        r.chain_problem(ev, "no round to end")
        return
    rnd["ended_at"] = ev.stamp
    rnd["outcome"] = "approved" if ev.name == "approve" else "returned"


def _carry_opinions(r: Replay, ev: Event) -> None:
    manifest = r.manifest(ev.version)
    claims = {c.get("opinion"): c for c in ev.payload.get("carried") or []}
    opinions = r.table("wf_opinions")
    carried = [n for n in sorted(opinions) if opinions[n]["state"] != "closed"]
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
        if ev.format >= 2 and "note" in claim and claim["note"] != note:
            r.chain_problem(ev, f"opinion #{n} carried with note {claim['note']!r}")
        o.update(affected=affected, round=r.round_no, updated=ev.stamp)
        _reply(r, n, {"kind": "carry", "author": ev.actor,
                      "text": note if ev.format >= 2 else UNKNOWN, "created": ev.stamp})


def _approve_set(r: Replay, ev: Event) -> None:
    rnd = r.current_round()
    version = rnd["version_id"] if rnd is not None else None
    r.move(ev, "approved", version)
    r.move(ev, "current", version)
    reviewed = [c for c in r.table("wf_changes").values() if c["state"] == "in_review"]
    for c in reviewed:
        c["state"] = "applied"
    if reviewed and ev.payload.get("change") != reviewed[0]["_number"]:
        r.chain_problem(ev, f"names change {ev.payload.get('change')}, the chain has "
                            f"C-{reviewed[0]['_number']} in review")
    certs = r.table("wf_certificates")
    certs[len(certs) + 1] = {"version_id": version, "blob_id": ev.payload.get("certificate_blob"),
                             "signers": ev.payload.get("certificate_signers"),
                             "issued": ev.stamp}


def _record_change(r: Replay, ev: Event) -> None:
    changes = r.table("wf_changes")
    number = len(changes) + 1
    base = r.refs.get("current")
    sheets = set_diff(r.manifest(base), r.manifest(ev.version))
    if ev.payload.get("change") != number:
        r.chain_problem(ev, f"change {ev.payload.get('change')}, the chain is at C-{number}")
    if ev.payload.get("sheets") != sheets:
        r.chain_problem(ev, "sheets differ from the set diff against `current`")
    changes[number] = {"_number": number, "base_version_id": base, "version_id": ev.version,
                       "reason": ev.payload.get("reason"), "klass": ev.payload.get("class"),
                       "sheets": sheets, "state": "proposed", "owner_by": None,
                       "owner_at": None, "supervisor_by": None, "supervisor_at": None,
                       "created": ev.stamp}


def _item(r: Replay, ev: Event) -> dict[str, Any] | None:
    item = r.pending("change" if "change" in ev.name else "as_built")
    if item is None:
        r.chain_problem(ev, "nothing pending to act on")
    return item


def _record_confirmation(r: Replay, ev: Event) -> None:
    item, role = _item(r, ev), ev.payload.get("confirmed_as")
    if item is None:
        return
    if role not in ("owner", "supervisor"):
        r.chain_problem(ev, f"confirmed as {role!r}")
        return
    item[f"{role}_by"], item[f"{role}_at"] = ev.actor, ev.stamp
    if item["owner_by"] and item["supervisor_by"]:
        item["state"] = "confirmed"


def _set_state(state: str) -> Handler:
    def effect(r: Replay, ev: Event) -> None:
        if (item := _item(r, ev)) is not None:
            item["state"] = state
    return effect


def _apply_change(r: Replay, ev: Event) -> None:
    if (item := _item(r, ev)) is not None:
        item["state"] = "applied"
        r.move(ev, "current", item["version_id"])


def _record_as_built(r: Replay, ev: Event) -> None:
    rows = r.table("wf_as_built")
    rows[len(rows) + 1] = {"version_id": ev.version, "base_version_id": r.refs.get("current"),
                           "state": "submitted", "redraw": ev.payload.get("redraw"),
                           "owner_by": None, "owner_at": None, "supervisor_by": None,
                           "supervisor_at": None, "created": ev.stamp}


def _move_as_built(r: Replay, ev: Event) -> None:
    if (item := _item(r, ev)) is not None:
        item["state"] = "accepted"
        r.move(ev, "as-built", item["version_id"])


def _move_archived(r: Replay, ev: Event) -> None:
    r.move(ev, "archived", r.refs.get("as-built"))


EFFECTS: dict[str, Handler] = {
    "move_submitted": _move_submitted,
    "open_round": _open_round,
    "start_clock": _start_clock,
    "pause_clock": _pause_clock,
    "carry_opinions": _carry_opinions,
    "approve_set": _approve_set,
    "record_change": _record_change,
    "record_confirmation": _record_confirmation,
    "reject_change": _set_state("rejected"),
    "apply_change": _apply_change,
    "review_change": _set_state("in_review"),
    "record_as_built": _record_as_built,
    "reject_as_built": _set_state("rejected"),
    "move_as_built": _move_as_built,
    "move_archived": _move_archived,
}

if set(EFFECTS) != set(EFFECT_NAMES):
    raise InvalidDefinition(f"effects without replay: {sorted(set(EFFECTS) ^ set(EFFECT_NAMES))}")


# -- events that are not moves of the loop ------------------------------------------------------


def _reply(r: Replay, number: int, row: dict[str, Any]) -> None:
    replies = r.table("wf_opinion_replies")
    replies[(number, 1 + sum(1 for n, _ in replies if n == number))] = row


def _opinion_add(r: Replay, ev: Event) -> None:
    p = ev.payload
    opinions = r.table("wf_opinions")
    number = p.get("opinion")
    if number != len(opinions) + 1:
        r.chain_problem(ev, f"opinion #{number}, the chain is at #{len(opinions) + 1}")
    entry = r.manifest(ev.version).get(p.get("sheet"))
    opinions[number] = {
        "round": r.round_no, "sheet_no": p.get("sheet"), "blob_id": p.get("blob"),
        "page": entry.get("page") if entry else UNKNOWN, "anchor": p.get("anchor"),
        "change_id": p.get("change_id"), "category": p.get("category"), "text": p.get("text"),
        "author": ev.actor, "state": "open", "affected": False, "created": ev.stamp,
        "updated": ev.stamp}


def _opinion_action(action: str) -> Handler:
    def handler(r: Replay, ev: Event) -> None:
        number = ev.payload.get("opinion")
        o = r.table("wf_opinions").get(number)
        if o is None:
            r.chain_problem(ev, f"no opinion #{number}")
            return
        if ev.payload.get("from") != o["state"]:
            r.chain_problem(ev, f"opinion #{number} from {ev.payload.get('from')}, the chain "
                                f"has it {o['state']}")
        o["state"], o["updated"] = ev.payload.get("to"), ev.stamp
        if action != "reply":
            o["affected"] = False
        _reply(r, number, {"kind": action, "author": ev.actor,
                           "text": (ev.payload.get("text") or "").strip(), "created": ev.stamp})
    return handler


def _change_mark(r: Replay, ev: Event) -> None:
    p = ev.payload
    r.table("wf_change_marks")[(r.round_no, p.get("sheet"), p.get("change_id"))] = {
        "mark": p.get("mark"), "opinion": p.get("opinion"), "author": ev.actor,
        "created": ev.stamp}


EVENTS: dict[str, Handler] = {
    "opinion_add": _opinion_add,
    "opinion_reply": _opinion_action("reply"),
    "opinion_close": _opinion_action("close"),
    "opinion_reopen": _opinion_action("reopen"),
    "change_mark": _change_mark,
}

_ROWS: dict[tuple[str, str, str], Transition] = {
    (t.event, t.source.value, t.target.value): t for t in TRANSITIONS}


def _transition(r: Replay, ev: Event) -> None:
    source, target = ev.payload.get("from"), ev.payload.get("to")
    if source != r.state:
        r.chain_problem(ev, f"leaves state {source}, the chain stands at {r.state}")
    row = _ROWS.get((ev.name, str(source), str(target)))
    if row is None:
        r.chain_problem(ev, f"{source} → {target} is no row of the transition table")
        return
    r.moved = {}
    for name in row.effects:
        EFFECTS[name](r, ev)
    if (ev.payload.get("refs") or {}) != r.moved:
        r.chain_problem(ev, f"moves refs {ev.payload.get('refs') or {}}, its effects move "
                            f"{r.moved}")
    if "large_works" in ev.payload:
        r.large_works = bool(ev.payload["large_works"])
    elif ev.format < 2 and ev.name in ("submit", "resubmit"):
        r.large_works = UNKNOWN  # the first format did not record it
    r.state = row.target.value
    r.table("wf_flows")[r.project] = {"state": r.state, "review_no": r.review_no,
                                       "large_works": r.large_works, "updated": ev.stamp}


def replay(s: Session, project: str, events: list[Event]) -> Replay:
    """The expected rows of every governed table after ``events`` (in chain order)."""
    r = Replay(project, s)
    transitions = {t.event for t in TRANSITIONS}
    for ev in events:
        if ev.name in transitions:
            _transition(r, ev)
        elif ev.name in EVENTS:
            EVENTS[ev.name](r, ev)
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
