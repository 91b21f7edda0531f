"""Assisted review of a model: a check run drafts findings; the reviewer confirms each one
(it becomes an opinion of the round, anchored to the element's GlobalId and plan position,
through :func:`workflow.opinions.add_opinion` and so signed and gated like any opinion) or
discards it with a note (#18).

A run belongs to the submission round that covers the model (else to ``head``), records
what it checked (IDS files by digest, the building unit's declared facts) and never changes
the set.
"""

from __future__ import annotations

import hashlib
import re
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from drawings import is_model_entry, open_model, registry
from drawings.models import Project
from storage.display import quote
from storage.errors import Conflict, InvalidInput, NotFound
from workflow.engine import get_record, get_user
from workflow.machine import SUBMISSION
from workflow.modelchecks import check_model, default_ids
from workflow.models import CheckFinding, CheckRun, Round
from workflow.signing import KeyRing

STATES = ("draft", "confirmed", "discarded")


def _next(s: Session, model: Any, project: Project) -> int:
    return (s.scalar(select(func.max(model.number)).where(model.project_code == project.code))
            or 0) + 1


def _unit_facts(s: Session, code: str | None) -> dict[str, Any] | None:
    if not code:
        return None
    u = registry.get_unit(s, code)
    return {"code": u.code, "floors_above": u.floors_above, "height": u.height, "use": u.use}


def run_checks(s: Session, blobs: Any, project: str | Project, sheet_no: str, *, user: str,
               submission: int | str | None = None, ids_files: list[Path] | None = None,
               unit: str | None = None, now: datetime | None = None) -> CheckRun:
    """Check model ``sheet_no`` as submitted in ``submission`` (its latest round), or as in
    ``head``; the findings are drafts.  ``unit`` overrides the model entry's building unit."""
    from workflow.clock import utcnow

    p = registry.get_project(s, project)
    get_user(s, user)
    round_id = None
    if submission is not None:
        sub = get_record(s, SUBMISSION, p, submission)
        rnd = s.scalar(select(Round).where(Round.submission_id == sub.id)
                       .order_by(Round.number.desc()).limit(1))
        if rnd is None:
            raise Conflict(f"S-{sub.number} has no round yet")
        if sheet_no not in (sub.sheets or []):
            raise NotFound(f"{quote(sheet_no)} 不在送审范围中 not under review in S-{sub.number}")
        version = registry.get_version(s, rnd.version_id)
        round_id = rnd.id
    else:
        version = registry.resolve_version(s, p, "head")
    entry = version.manifest.get(sheet_no)
    if entry is None:
        raise NotFound(f"{quote(sheet_no)} not in version {version.id[:12]}")
    if not is_model_entry(entry):
        raise InvalidInput(f"{quote(sheet_no)} 不是模型 is a drawing sheet, not a BIM model")
    facts = _unit_facts(s, unit or entry.get("unit"))
    files = default_ids() if ids_files is None else list(ids_files)
    basis = {"unit": facts, "ids": [{"name": f.name, "sha256": _sha256(f)} for f in files]}
    from diffing import load_model_index

    index = load_model_index(blobs, entry, sheet_no)
    ifc = open_model(blobs.read_bytes(entry["blob"]), sheet_no)
    findings = check_model(ifc, index, unit=facts, ids_files=files)
    run = CheckRun(project_code=p.code, number=_next(s, CheckRun, p), sheet_no=sheet_no,
                   blob_id=entry["blob"], version_id=version.id, round_id=round_id,
                   basis=orjson.dumps(basis).decode(), author=user, created=now or utcnow())
    s.add(run)
    s.flush()
    first = _next(s, CheckFinding, p)
    for i, f in enumerate(findings):
        s.add(CheckFinding(run_id=run.id, project_code=p.code, number=first + i,
                           rule=f.rule[:300], source=f.source, clause=f.clause[:300],
                           category=f.category, message=f.message, guid=f.guid,
                           ifc_class=f.cls, element_name=(f.name or "")[:300] or None,
                           storey=(f.storey or "")[:300] or None, x=f.x, y=f.y,
                           state="draft"))
    s.flush()
    s.refresh(run)
    return run


def _sha256(path: Path) -> str:
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()
    except OSError as e:
        raise InvalidInput(f"{path}: 无法读取 cannot read IDS file: {e.strerror}") from None


def get_finding(s: Session, project: str | Project, number: int | str) -> CheckFinding:
    p = registry.get_project(s, project)
    m = re.fullmatch(r"\s*(?:[Ff]-?|#)?(\d{1,9})\s*", str(number))
    if m is None:
        raise InvalidInput(f"invalid finding number {quote(number)} (F-N)")
    n = int(m.group(1))
    f = s.scalar(select(CheckFinding).where(CheckFinding.project_code == p.code,
                                            CheckFinding.number == n))
    if f is None:
        raise NotFound(f"{p.code}: 没有 no finding F-{n}")
    return f


def list_findings(s: Session, project: str | Project, *, run: int | None = None,
                  state: str | None = None) -> list[CheckFinding]:
    p = registry.get_project(s, project)
    q = select(CheckFinding).where(CheckFinding.project_code == p.code)
    if run is not None:
        q = q.join(CheckRun, CheckRun.id == CheckFinding.run_id).where(CheckRun.number == run)
    if state is not None:
        if state not in STATES:
            raise InvalidInput(f"state must be one of {', '.join(STATES)}")
        q = q.where(CheckFinding.state == state)
    return list(s.scalars(q.order_by(CheckFinding.number)))


def confirm(s: Session, blobs: Any, project: str | Project, number: int | str, *, user: str,
            keys: KeyRing, text: str | None = None, now: datetime | None = None) -> Any:
    """The reviewer adopts a finding: it becomes an opinion of the round (anchored to the
    element's plan position and GlobalId); returns the opinion."""
    from workflow.clock import utcnow
    from workflow.opinions import add_opinion

    f = get_finding(s, project, number)
    if f.state != "draft":
        raise Conflict(f"F-{f.number} is already {f.state}")
    run = s.get(CheckRun, f.run_id)
    assert run is not None
    submission = None
    if run.round_id is not None:
        from workflow.models import Submission

        rnd = s.get(Round, run.round_id)
        submission = s.get(Submission, rnd.submission_id).number if rnd else None
    body = text or f.message
    where = f"GlobalId {f.guid}" if f.guid else "模型 model"
    anchor = {"type": "point", "coords": [f.x or 0.0, f.y or 0.0], "element": f.guid,
              "level": f.storey}
    op = add_opinion(s, project, user=user, keys=keys, sheet_no=run.sheet_no, anchor=anchor,
                     category=f.category, text=f"[{f.clause}] {body} ({where})",
                     submission=submission, blobs=blobs, now=now)
    f.state, f.opinion_id, f.decided_by = "confirmed", op.id, user
    f.decided_at = now or utcnow()
    s.flush()
    return op


def discard(s: Session, project: str | Project, number: int | str, *, user: str, note: str,
            now: datetime | None = None) -> CheckFinding:
    """The reviewer sets a finding aside, saying why (kept, never deleted)."""
    from workflow.clock import utcnow

    get_user(s, user)
    if not note or not note.strip():
        raise InvalidInput("说明理由 say why the finding is discarded (--note)")
    f = get_finding(s, project, number)
    if f.state != "draft":
        raise Conflict(f"F-{f.number} is already {f.state}")
    f.state, f.decided_by, f.decided_at, f.note = "discarded", user, now or utcnow(), note
    s.flush()
    return f


def finding_dict(f: CheckFinding) -> dict[str, Any]:
    return {"number": f.number, "rule": f.rule, "source": f.source, "clause": f.clause,
            "category": f.category, "message": f.message, "guid": f.guid,
            "class": f.ifc_class, "name": f.element_name, "storey": f.storey,
            "position": [f.x, f.y] if f.x is not None else None, "state": f.state,
            "opinion_id": f.opinion_id, "decided_by": f.decided_by, "note": f.note}
