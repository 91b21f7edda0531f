"""Compare the rows the audit chain governs with the chain's replay.

One :class:`Kind` per table: it reads the project's rows keyed as :mod:`workflow.replay` keys
the expected ones, and names a row in findings.  :func:`compare` reports, per table, rows the
chain records but the table lacks, rows the chain does not record, and every field that
differs.  Extra checks that are not field comparisons (the signatures of the reflog) are
functions in :data:`EXTRA_CHECKS`.  A new record kind registers one :class:`Kind` (and its
replay handler); nothing else changes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import select
from sqlalchemy.orm import Session

from drawings.models import Ref, RefLogEntry
from workflow.findings import Finding, differences
from workflow.models import (
    AsBuilt,
    Certificate,
    Change,
    ChangeMark,
    Flow,
    JSONText,
    Meeting,
    Opinion,
    OpinionReply,
    Question,
    Round,
    SheetDiscipline,
    SigningKey,
    Signoff,
    Submission,
)
from workflow.replay import WORKFLOW_REFS, Replay
from workflow.signing import canonical_json, verify_record

Rows = dict[Any, dict[str, Any]]


@dataclass(frozen=True)
class Kind:
    """A table the chain governs: how to read its rows and how to name one."""

    table: str
    rows: Callable[[Session, str], Rows]
    name: Callable[[Any], str] = lambda key: f"#{key}"


KINDS: list[Kind] = []


def register_kind(kind: Kind) -> Kind:
    KINDS[:] = [k for k in KINDS if k.table != kind.table] + [kind]
    return kind


def _json(text: str | None) -> Any:
    try:
        return JSONText.load(text)
    except orjson.JSONDecodeError:
        return f"<not JSON: {text[:40]!r}>" if text else text


def _numbers(s: Session, model: Any, project: str) -> dict[int, int]:
    """Row id -> record number, for a table keyed by number per project."""
    return dict(s.execute(select(model.id, model.number)
                          .where(model.project_code == project)).all())


def _flows(s: Session, project: str) -> Rows:
    f = s.get(Flow, project)
    return {} if f is None else {project: {"state": f.state, "large_works": f.large_works,
                                           "updated": f.updated}}


def _refs(s: Session, project: str) -> Rows:
    return {r.name: {"version_id": r.version_id} for r in s.scalars(
        select(Ref).where(Ref.project_code == project, Ref.name.in_(WORKFLOW_REFS)))}


def _reflog(s: Session, project: str) -> Rows:
    return {(e.ref, e.seq): {"old": e.old, "new": e.new, "actor": e.actor, "at": e.at,
                             "reason": e.reason, "_row": e}
            for e in s.scalars(select(RefLogEntry).where(
                RefLogEntry.project_code == project, RefLogEntry.ref.in_(WORKFLOW_REFS)))}


def _submissions(s: Session, project: str) -> Rows:
    changes = _numbers(s, Change, project)
    return {x.number: {"kind": x.kind, "stage": x.stage, "scope": _json(x.scope),
                       "version_id": x.version_id, "change": changes.get(x.change_id),
                       "state": x.state, "created": x.created, "updated": x.updated}
            for x in s.scalars(select(Submission).where(Submission.project_code == project))}


def _rounds(s: Session, project: str) -> Rows:
    subs = _numbers(s, Submission, project)
    return {r.number: {"submission": subs.get(r.submission_id), "version_id": r.version_id,
                       "prev_version_id": r.prev_version_id, "submitted_at": r.submitted_at,
                       "accepted_at": r.accepted_at, "ended_at": r.ended_at,
                       "outcome": r.outcome, "diff": _json(r.diff)}
            for r in s.scalars(select(Round).where(Round.project_code == project))}


def _signoffs(s: Session, project: str) -> Rows:
    subs = _numbers(s, Submission, project)
    rounds = _numbers(s, Round, project)
    return {(subs.get(x.submission_id), rounds.get(x.round_id), x.discipline): {
        "user_name": x.user_name, "signed_at": x.signed_at}
        for x in s.scalars(select(Signoff).where(Signoff.submission_id.in_(subs)))}


def _opinions(s: Session, project: str) -> Rows:
    rounds = _numbers(s, Round, project)
    return {o.number: {"round": rounds.get(o.round_id), "sheet_no": o.sheet_no,
                       "blob_id": o.blob_id, "page": o.page, "anchor": _json(o.anchor),
                       "change_id": o.change_id, "category": o.category,
                       "discipline": o.discipline, "text": o.text, "author": o.author,
                       "state": o.state, "affected": o.affected, "created": o.created,
                       "updated": o.updated}
            for o in s.scalars(select(Opinion).where(Opinion.project_code == project))}


def _replies(s: Session, project: str) -> Rows:
    numbers = _numbers(s, Opinion, project)
    out: Rows = {}
    seen: dict[int, int] = {}
    for r in s.scalars(select(OpinionReply).where(OpinionReply.opinion_id.in_(numbers))
                       .order_by(OpinionReply.id)):
        n = numbers[r.opinion_id]
        seen[n] = seen.get(n, 0) + 1
        out[(n, seen[n])] = {"kind": r.kind, "author": r.author, "text": r.text,
                             "created": r.created}
    return out


def _marks(s: Session, project: str) -> Rows:
    rounds, opinions = _numbers(s, Round, project), _numbers(s, Opinion, project)
    return {(rounds[m.round_id], m.sheet_no, m.change_id): {
        "mark": m.mark, "opinion": opinions.get(m.opinion_id) if m.opinion_id else None,
        "author": m.author, "created": m.created}
        for m in s.scalars(select(ChangeMark).where(ChangeMark.round_id.in_(rounds)))}


def _confirmations(item: Change | AsBuilt) -> dict[str, Any]:
    return {"owner_by": item.owner_by, "owner_at": item.owner_at,
            "supervisor_by": item.supervisor_by, "supervisor_at": item.supervisor_at}


def _changes(s: Session, project: str) -> Rows:
    questions = _numbers(s, Question, project)
    return {c.number: {"kind": c.kind, "klass": c.klass, "raised_by": c.raised_by,
                       "reason": c.reason, "answer": c.answer,
                       "base_version_id": c.base_version_id, "version_id": c.version_id,
                       "sheets": _json(c.sheets), "question": questions.get(c.question_id),
                       "state": c.state, "author": c.author, "signed_by": c.signed_by,
                       "signed_at": c.signed_at, "effective_at": c.effective_at,
                       "created": c.created, "updated": c.updated, **_confirmations(c)}
            for c in s.scalars(select(Change).where(Change.project_code == project))}


def _meetings(s: Session, project: str) -> Rows:
    return {m.number: {"held_on": m.held_on, "location": m.location, "version_id": m.version_id,
                       "participants": _json(m.participants), "state": m.state,
                       "minutes_blob": m.minutes_blob, "signed": _json(m.signed),
                       "created": m.created}
            for m in s.scalars(select(Meeting).where(Meeting.project_code == project))}


def _questions(s: Session, project: str) -> Rows:
    meetings = _numbers(s, Meeting, project)
    return {q.number: {"meeting": meetings.get(q.meeting_id), "sheet_no": q.sheet_no,
                       "blob_id": q.blob_id, "page": q.page, "anchor": _json(q.anchor),
                       "text": q.text, "raised_by": q.raised_by, "role": q.role,
                       "answer": q.answer, "answered_by": q.answered_by, "state": q.state,
                       "created": q.created}
            for q in s.scalars(select(Question).where(Question.project_code == project))}


def _as_built(s: Session, project: str) -> Rows:
    rows = s.scalars(select(AsBuilt).where(AsBuilt.project_code == project).order_by(AsBuilt.id))
    return {i: {"version_id": a.version_id, "base_version_id": a.base_version_id,
                "state": a.state, "redraw": _json(a.redraw), "created": a.created,
                **_confirmations(a)} for i, a in enumerate(rows, start=1)}


def _certificates(s: Session, project: str) -> Rows:
    subs = _numbers(s, Submission, project)
    rows = s.scalars(select(Certificate).where(Certificate.project_code == project)
                     .order_by(Certificate.id))
    return {i: {"version_id": c.version_id, "submission": subs.get(c.submission_id),
                "stage": c.stage, "blob_id": c.blob_id, "signers": _json(c.signers),
                "issued": c.issued} for i, c in enumerate(rows, start=1)}


def _disciplines(s: Session, project: str) -> Rows:
    return {d.sheet_no: {"discipline": d.discipline, "set_by": d.set_by, "set_at": d.set_at}
            for d in s.scalars(select(SheetDiscipline)
                               .where(SheetDiscipline.project_code == project))}


register_kind(Kind("wf_flows", _flows, str))
register_kind(Kind("refs", _refs, str))
register_kind(Kind("reflog", _reflog, lambda k: f"{k[0]} #{k[1]}"))
register_kind(Kind("wf_submissions", _submissions, lambda k: f"S-{k}"))
register_kind(Kind("wf_rounds", _rounds, lambda k: f"round {k}"))
register_kind(Kind("wf_signoffs", _signoffs, lambda k: f"S-{k[0]} round {k[1]} {k[2]}"))
register_kind(Kind("wf_opinions", _opinions))
register_kind(Kind("wf_opinion_replies", _replies, lambda k: f"opinion #{k[0]} reply {k[1]}"))
register_kind(Kind("wf_change_marks", _marks, lambda k: f"round {k[0]} {k[1]} {k[2]}"))
register_kind(Kind("wf_changes", _changes, lambda k: f"C-{k}"))
register_kind(Kind("wf_meetings", _meetings, lambda k: f"M-{k}"))
register_kind(Kind("wf_questions", _questions, lambda k: f"Q-{k}"))
register_kind(Kind("wf_as_built", _as_built, lambda k: f"as-built {k}"))
register_kind(Kind("wf_certificates", _certificates))
register_kind(Kind("wf_sheet_disciplines", _disciplines, str))


def compare(s: Session, r: Replay) -> list[Finding]:
    """Every difference between the governed tables and the replay, then the extra checks."""
    out: list[Finding] = []
    for kind in KINDS:
        expected, actual = r.tables.get(kind.table, {}), kind.rows(s, r.project)
        for key in sorted(set(expected) | set(actual), key=repr):
            name = kind.name(key)
            if key not in actual:
                out.append(Finding(kind.table, name, "行缺失 row missing: the audit chain "
                                                     "records it", key))
            elif key not in expected:
                out.append(Finding(kind.table, name, "多余的行 row not in the audit chain", key))
            else:
                out += [Finding(kind.table, name, d, key)
                        for d in differences(expected[key], actual[key])]
    for check in EXTRA_CHECKS:
        out += check(s, r)
    return out


# -- the signatures of the reflog -----------------------------------------------------------------


def registered_keys(s: Session) -> dict[str, tuple[str, str]]:
    """Key fingerprint -> (owner, public key) of every signing key on record."""
    return {k.fingerprint: (k.owner, k.public) for k in s.scalars(select(SigningKey))
            if k.alg != "x509"}


def reflog_signatures(s: Session, r: Replay) -> list[Finding]:
    """Every move of a workflow ref is signed by its actor, over the row as it stands."""
    keys = registered_keys(s)
    expected = r.tables.get("reflog", {})
    out = []
    for key, row in sorted(_reflog(s, r.project).items(), key=repr):
        e: RefLogEntry = row["_row"]
        name = f"{e.ref} #{e.seq}"
        ev = expected.get(key, {}).get("_event")
        problem = _signature_problem(e, ev.name if ev is not None else None, keys)
        if problem:
            out.append(Finding("reflog", name, problem, key))
    return out


def _signature_problem(e: RefLogEntry, event: str | None, keys: dict[str, tuple[str, str]]
                       ) -> str | None:
    if not e.signature:
        return "无签名 the move is not signed"
    try:
        rec = JSONText.load(e.signature)
    except orjson.JSONDecodeError:
        return "签名无法解析 signature is not JSON"
    if not isinstance(rec, dict) or rec.get("signer") != f"user:{e.actor}":
        signer = rec.get("signer") if isinstance(rec, dict) else None
        return f"签名人不符 signed by {signer}, not by its actor user:{e.actor}"
    events = [event] if event else _events_labelled(e.reason)
    signed = [canonical_json({"project": e.project_code, "ref": e.ref, "version": e.new,
                              "at": e.at.isoformat(), "event": name}) for name in events]
    if not any(verify_record(rec, data) for data in signed):
        return "签名无效 bad signature: the row is not what its actor signed"
    if keys.get(rec.get("key")) != (rec.get("signer"), rec.get("public")):
        return f"签名密钥未登记 key {rec.get('key')} is not registered to {rec.get('signer')}"
    return None


def _events_labelled(reason: str) -> list[str]:
    from workflow.machine import EVENT_LABELS

    return [name for name, label in EVENT_LABELS.items() if label == reason]


EXTRA_CHECKS: list[Callable[[Session, Replay], Iterable[Finding]]] = [reflog_signatures]
