"""Chains written by the one-block loop (formats ``yitaotu.audit/1`` and ``/2``), replayed into
the rows as migration 0005 moved them.

Then a project had one state (draft → submitted → … → approved → change_proposed → … →
archived), one review at a time (a review number) and one pending change; its events named no
record.  Each old event is read as what it now is: a review became a submission of the whole
set (a major change's review, that change's submission), the project's state became design or
construction, a change applied became effective.  Fields the old events did not record, and
that the migration could not know, are :data:`~workflow.findings.UNKNOWN` and not compared.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from workflow.diffs import set_diff
from workflow.findings import UNKNOWN
from workflow.replay import (
    EFFECTS,
    Event,
    Handler,
    Replay,
    _create_change,
    _create_opinion,
    _drawings,
    _latest_round,
    _record_confirmation,
    _record_reply,
)


def _as(ev: Event, kind: str, number: int | None, **payload: Any) -> Event:
    """``ev`` as an event of a record (what the effects' replay reads)."""
    return dataclasses.replace(ev, payload={**ev.payload, **payload,
                                            "record": {"kind": kind, "number": number}})


def _last_submission(r: Replay) -> int | None:
    subs = r.table("wf_submissions")
    return max(subs) if subs else None


def _project(r: Replay, ev: Event, state: str) -> None:
    r.state = state
    r.table("wf_flows")[r.project] = {"state": state, "large_works": r.large_works,
                                       "updated": ev.stamp}


def _large_works(r: Replay, ev: Event) -> None:
    if "large_works" in ev.payload:
        r.large_works = bool(ev.payload["large_works"])
    elif ev.format < 2:
        r.large_works = UNKNOWN  # the first format did not record it


def _new_submission(r: Replay, ev: Event, *, change: int | None, version: str | None) -> Event:
    subs = r.table("wf_submissions")
    number = len(subs) + 1
    subs[number] = {"kind": "change" if change else "stage",
                    "stage": f"变更 C-{change}" if change else "全套",
                    "scope": sorted(r.manifest(version)), "version_id": version,
                    "change": change, "state": "submitted", "created": UNKNOWN,
                    "updated": UNKNOWN}
    return _as(ev, "submission", number)


def _round(r: Replay, ev: Event) -> None:
    """A round as the one-block loop opened it: against the last round of any review."""
    rounds = r.table("wf_rounds")
    last = rounds[max(rounds)]["version_id"] if rounds else None
    number = len(rounds) + 1
    if ev.payload.get("round") not in (None, number):
        r.chain_problem(ev, f"round {ev.payload.get('round')}, the chain is at {number}")
    rounds[number] = {"submission": ev.number, "version_id": ev.version, "prev_version_id": last,
                      "submitted_at": ev.stamp, "accepted_at": None, "ended_at": None,
                      "outcome": None,
                      "diff": set_diff(r.manifest(last), r.manifest(ev.version))
                      if last else None}


def _sub_state(r: Replay, ev: Event, state: str) -> Event:
    sub = _last_submission(r)
    if sub is None:
        r.chain_problem(ev, "no review to act on")
    else:
        r.table("wf_submissions")[sub]["state"] = state
    return _as(ev, "submission", sub)


def _submit(r: Replay, ev: Event) -> None:
    _large_works(r, ev)
    e = _new_submission(r, ev, change=None, version=ev.version)
    EFFECTS["move_submitted"](r, e)
    _round(r, e)
    _project(r, ev, r.state)


def _resubmit(r: Replay, ev: Event) -> None:
    _large_works(r, ev)
    e = _sub_state(r, ev, "resubmitted")
    EFFECTS["move_submitted"](r, e)
    _round(r, e)
    EFFECTS["carry_opinions"](r, e)
    _project(r, ev, r.state)


def _accept_review(r: Replay, ev: Event) -> None:
    EFFECTS["start_clock"](r, _sub_state(r, ev, "in_review"))
    _project(r, ev, r.state)


def _return(r: Replay, ev: Event) -> None:
    EFFECTS["pause_clock"](r, _sub_state(r, ev, "returned"))
    _project(r, ev, r.state)


def _approve(r: Replay, ev: Event) -> None:
    e = _sub_state(r, ev, "approved")
    EFFECTS["pause_clock"](r, e)
    rnd = _latest_round(r, e)
    version = rnd["version_id"] if rnd else None
    r.move(ev, "approved", version)
    r.move(ev, "current", version)
    certs = r.table("wf_certificates")
    certs[len(certs) + 1] = {"version_id": version, "submission": e.number, "stage": "全套",
                             "blob_id": ev.payload.get("certificate_blob"),
                             "signers": ev.payload.get("certificate_signers"),
                             "issued": ev.stamp}
    if (n := ev.payload.get("change")) is not None and (ch := r.record("change", n)):
        ch.update(state="effective", effective_at=ev.stamp)
    _project(r, ev, "construction")


def _propose_change(r: Replay, ev: Event) -> None:
    e = _as(ev, "change", ev.payload.get("change"))
    _create_change(r, e)
    ch = r.record("change", e.number)
    if ch is not None:
        _drawings(r, e, ch)
        ch.update(state="proposed", updated=ev.stamp)
    _project(r, ev, "construction")


def _pending(r: Replay, ev: Event) -> dict[str, Any] | None:
    rows = r.table("wf_changes")
    live = [n for n, c in rows.items() if c["state"] in ("proposed", "confirmed")]
    if not live:
        r.chain_problem(ev, "no change pending")
        return None
    return rows[max(live)]


def _confirm_change(r: Replay, ev: Event) -> None:
    _record_confirmation(r, ev)
    ch = _pending(r, ev)
    if ch is not None and ch["owner_by"] and ch["supervisor_by"]:
        ch["state"] = "confirmed"
    _project(r, ev, "construction")


def _reject_change(r: Replay, ev: Event) -> None:
    if (ch := _pending(r, ev)) is not None:
        ch["state"] = "rejected"
    _project(r, ev, "construction")


def _sign_change(r: Replay, ev: Event) -> None:
    rows = r.table("wf_changes")
    live = [n for n, c in rows.items() if c["state"] == "confirmed"]
    if not live:
        r.chain_problem(ev, "no confirmed change to sign")
        return
    n = max(live)
    ch = rows[n]
    ch.update(signed_by=ev.actor, signed_at=ev.stamp)
    if ev.payload.get("to") == "submitted":  # major: back to review as its own submission
        ch["state"] = "in_review"
        e = _new_submission(r, ev, change=n, version=ch["version_id"])
        e = dataclasses.replace(e, version=ch["version_id"])
        EFFECTS["move_submitted"](r, e)
        _round(r, e)
    else:
        ch.update(state="effective", effective_at=ev.stamp)
        r.move(ev, "current", ch["version_id"])
    _project(r, ev, "construction")


def _project_event(state: str, effect: str | None = None) -> Handler:
    def handler(r: Replay, ev: Event) -> None:
        if effect:
            EFFECTS[effect](r, ev)
        _project(r, ev, state)
    return handler


def _confirm_as_built(r: Replay, ev: Event) -> None:
    _record_confirmation(r, ev)
    _project(r, ev, "as_built_confirmed" if ev.payload.get("to") == "as_built_confirmed"
             else "as_built_submitted")


EVENTS: dict[str, Handler] = {
    "submit": _submit,
    "resubmit": _resubmit,
    "accept_review": _accept_review,
    "return": _return,
    "approve": _approve,
    "propose_change": _propose_change,
    "confirm_change": _confirm_change,
    "reject_change": _reject_change,
    "sign_change": _sign_change,
    "submit_as_built": _project_event("as_built_submitted", "record_as_built"),
    "confirm_as_built": _confirm_as_built,
    "reject_as_built": _project_event("construction", "reject_as_built"),
    "accept": _project_event("accepted", "move_as_built"),
    "archive": _project_event("archived", "move_archived"),
    "opinion_add": _create_opinion,
    "opinion_reply": _record_reply,
    "opinion_close": _record_reply,
    "opinion_reopen": _record_reply,
}
