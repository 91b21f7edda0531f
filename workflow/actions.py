"""The loop's actions as a caller takes them: one call per thing a user does, in one
transaction, returning what a page or a terminal shows.  The CLI and the web both call these,
so neither chooses between events, chains calls or reads the chain afterwards itself."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.orm import Session

from drawings import registry
from drawings.models import Project
from workflow import audit
from workflow.changes import change_version, rebased_version
from workflow.clock import utcnow
from workflow.engine import fire, get_flow, records
from workflow.machine import (
    CHANGE,
    EVENT_LABELS,
    OPEN_CHANGE_STATES,
    SUBMISSION,
    lifecycle_of,
)
from workflow.models import AuditEvent
from workflow.service import submission_dict
from workflow.signing import KeyRing


def outcome(s: Session, ev: AuditEvent) -> dict[str, Any]:
    """The audit entry of an event with the entries it caused after it (``follow``): a major
    change's signing opens a submission, an approval moves `current`, and so on."""
    data = ev.to_dict()
    data["follow"] = [e.to_dict() for e in audit.events(s, ev.project_code) if e.seq > ev.seq]
    return data


def event_line(project: str, e: dict[str, Any]) -> str:
    """One line saying what an entry did: the event, the record, its new state, the link."""
    lc = lifecycle_of(e["event"])
    payload = e["payload"]
    rec = payload.get("record") or {}
    name = "" if lc.kind == "project" else f"{lc.name(rec.get('number', 0))} "
    extra = (f" {payload['discipline']}"
             if payload.get("discipline") and e["event"] == "sign_discipline" else "")
    return (f"{EVENT_LABELS[e['event']]}{extra}: {project} {name}→ "
            f"{lc.states[payload['to']]} (审计 audit #{e['seq']} {e['hash'][:12]})")


def propose_change(s: Session, project: str | Project, rev: str, *, user: str, keys: KeyRing,
                   blobs: Any = None, sheets: Sequence[str] = (), record: int | str | None = None,
                   reason: str | None = None, klass: str | None = None) -> AuditEvent:
    """提出设计变更: version ``rev`` as a design change; with ``sheets``, only those sheets of
    ``rev`` taken onto `current` (the version they make is committed with the proposal, or
    not at all)."""
    p = registry.get_project(s, project)
    if sheets:
        rev = change_version(s, p, rev, list(sheets), author=user, now=utcnow()).id
    return fire(s, p, "propose_change", user=user, keys=keys, blobs=blobs, record=record,
                version=rev, reason=reason, klass=klass)


def rebase_change(s: Session, project: str | Project, number: int | str, rev: str, *,
                  user: str, keys: KeyRing, blobs: Any = None,
                  drop_reason: str | None = None) -> AuditEvent:
    """改基: the change's sheets taken from ``rev`` onto `current` (``rev`` itself when it
    descends from `current`), checked to keep the edits that became effective meanwhile."""
    p = registry.get_project(s, project)
    version = rebased_version(s, p, number, rev, author=user, now=utcnow())
    return fire(s, p, "rebase_change", user=user, keys=keys, blobs=blobs, record=number,
                version=version.id, drop_reason=drop_reason)


def list_submissions(s: Session, project: str | Project) -> list[dict[str, Any]]:
    """Every submission with its stage, state, sheets, clock and disciplines' sign-offs."""
    p = registry.get_project(s, project)
    flow = get_flow(s, p)
    now = utcnow()
    return [submission_dict(s, x, flow, now=now) for x in records(s, SUBMISSION, p)]


def list_changes(s: Session, project: str | Project, *, state: str | None = None,
                 kind: str | None = None, only_open: bool = False) -> list[dict[str, Any]]:
    """The project's changes, filtered by state, kind, or still open."""
    p = registry.get_project(s, project)
    return [c.to_dict() for c in records(s, CHANGE, p)
            if (state is None or c.state == state) and (kind is None or c.kind == kind)
            and (not only_open or c.state in OPEN_CHANGE_STATES)]
