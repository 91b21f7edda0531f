"""Taking a workflow event from the web (pages and API alike): check the user's role in the
one place (``workflow.Access.require``), then one service call in one transaction.

What an event does is said before it is taken: :func:`consequences` reads the declared
effects of the event's rows (``workflow.machine.EFFECTS``) for the confirmation dialog.
"""

from __future__ import annotations

import re
from typing import Any

import workflow
from storage.errors import InvalidInput
from web.store import Store
from workflow import machine

#: Events that take a set version (default ``head``).
WITH_VERSION = frozenset({"submit", "resubmit", "propose_change", "submit_as_built",
                          "rebase_change"})
#: Events that take a text (answer, reason).
WITH_TEXT = frozenset({"answer_change", "answer_question", "reject_change", "reject_as_built",
                       "propose_change", "raise_change", "request_change", "withdraw_change"})
#: Of those, the ones whose text is a reason (the rest take an answer).
WITH_REASON = frozenset({"reject_change", "reject_as_built", "propose_change", "withdraw_change",
                         "raise_change", "request_change"})
#: Events that take a stage and its sheets (a later stage once earlier sheets are approved).
WITH_STAGE = frozenset({"submit"})
#: At most this many sheet patterns in one staged submission (input bound).
MAX_SHEET_PATTERNS = 500
#: Events that take a kind, and the kinds (a contractor raises a 工程洽商 or a 技术核定单).
KINDS = {"raise_change": {k: v for k, v in machine.CHANGE_KINDS.items() if k != "design"}}
#: Events taken from the project page when they create a record ("new").
CREATING = ("submit", "propose_change", "request_change", "raise_change")


def consequences(event: str) -> list[str]:
    """What taking ``event`` does, from the declared effects of its rows (zh + en each)."""
    lc = machine.lifecycle_of(event)
    names = dict.fromkeys(e for t in lc.transitions if t.event == event for e in t.effects)
    return [machine.EFFECTS[n] for n in names]


def sheet_patterns(text: str | None) -> list[str] | None:
    """The sheet numbers or patterns of a staged submission, separated by spaces, commas or
    the full-width comma (``A-104 A-105``, ``A-1*``); None when none is given."""
    items = [x for x in re.split(r"[\s,，、;；]+", text or "") if x]
    if len(items) > MAX_SHEET_PATTERNS:
        raise InvalidInput(f"图纸过多 too many sheets: {len(items)} > {MAX_SHEET_PATTERNS}")
    if any(len(x) > 100 for x in items):
        raise InvalidInput("图号过长 sheet number too long (> 100)")
    return items or None


def record_arg(record: str | None) -> str | None:
    """``project`` and ``new`` name no record; the rest are record names (``S-1``, ``C-2``)."""
    return None if record in (None, "", "project", "new") else record


def take(store: Store, user: str, code: str, event: str, *, record: str | None = None,
         version: str | None = None, text: str | None = None, kind: str | None = None,
         expect_lock: int | None = None, stage: str | None = None,
         sheets: list[str] | None = None) -> dict[str, Any]:
    """Take ``event`` on ``record`` of project ``code`` as ``user``; the audit entry with
    the events it caused (``workflow.outcome``).  Raises NotFound (outsider), Forbidden
    (role), TransitionNotAllowed (guard: why, and what is allowed now), Conflict (someone
    acted first).  ``stage`` and ``sheets`` make a ``submit`` a staged submission."""
    if event not in machine.EVENTS:
        raise InvalidInput(f"未知事件 unknown event: {event[:60]!r}")
    rec = record_arg(record)
    params: dict[str, Any] = {}
    if text and event in WITH_TEXT:
        params["reason" if event in WITH_REASON else "text"] = text
    if kind:
        params["kind"] = kind
    with store.session() as s:
        access = workflow.project_access(s, user, code)
        access.require(event)
        keys, blobs = store.keys, store.blobs
        if event in ("submit", "resubmit"):
            ev = workflow.submit(s, access.project, version or "head", user=user, keys=keys,
                                 blobs=blobs, record=rec if event == "resubmit" else None,
                                 expect_lock=expect_lock,
                                 stage=stage if event == "submit" else None,
                                 sheets=sheets if event == "submit" else None)
        elif event == "propose_change":
            ev = workflow.propose_change(s, access.project, version or "head", user=user,
                                         keys=keys, blobs=blobs, record=rec,
                                         reason=params.get("reason"))
        else:
            if event in WITH_VERSION:
                params["version"] = version or "head"
            ev = workflow.fire(s, access.project, event, user=user, keys=keys, blobs=blobs,
                               record=rec, expect_lock=expect_lock, **params)
        return workflow.outcome(s, ev)
