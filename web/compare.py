"""Compare: two set versions sheet by sheet (``diffing.diff_versions``), and two revisions of
one sheet (``diffing.diff_entries``: the report's changes and clusters, drawn over the new
revision in the viewer) — for the compare page and its API alike.

For a reviewer, the changes of the round under review can be marked accepted or queried
(``workflow.mark_change``: a query becomes an opinion anchored to that change).
"""

from __future__ import annotations

from typing import Any

import diffing
import workflow
from drawings import registry
from storage.errors import NotFound
from web import viewer
from web.auth import store


def set_compare(user: str, code: str, old: str, new: str) -> dict[str, Any]:
    """Sheets added, removed, changed (with their change counts) and unchanged."""
    st = store()
    with st.session() as s:  # the per-sheet reports are cached as they are made
        access = workflow.project_access(s, user, code)
        d = diffing.diff_versions(s, st.blobs, access.project, old, new)
        out = d.to_json()
    return {"project": access.project, "old": out["old"]["version"],
            "new": out["new"]["version"], "summary": out["summary"],
            "sheets": [{"number": x["sheet"], "status": x["status"],
                        "title": (x["new"] or x["old"] or {}).get("title") or "",
                        "summary": x["summary"]} for x in out["sheets"]]}


def sheet_compare(user: str, code: str, old: str, new: str, number: str,
                  layout: str | None = None) -> dict[str, Any]:
    """One sheet's diff between versions ``old`` and ``new``: the new revision's viewer
    reference, the changes and clusters of the sheet shown, and the round's marks."""
    st = store()
    ref = viewer.resolve(user, code, new, number, layout)
    with st.session() as s:
        v_old = registry.resolve_version(s, ref.access.project, old or "head~1")
        a = (v_old.manifest or {}).get(number)
        if a is None:
            raise NotFound(f"图号 sheet {number[:60]!r} not in version {v_old.id[:12]}")
        report = diffing.diff_entries(s, st.blobs, a, ref.entry, label=number).to_json()
        old_id = v_old.id
        marks = round_marks(s, ref, old_id, number)
    pyr = viewer.pyramid(ref)
    shown = pyr.get("sheet")
    changes = [c for c in report["changes"] if shown is None or c.get("sheet") == shown]
    clusters = [c for c in report["clusters"] if shown is None or c.get("sheet") == shown]
    for c in changes:
        c["mark"] = marks["marks"].get(c["id"]) if marks else None
    return {"ref": ref, "old": old_id, "new": ref.version, "number": number,
            "summary": report["summary"], "alignment": report["alignment"],
            "changes": changes, "clusters": clusters,
            "layers": sorted({c["layer"] for c in changes}),
            "can_mark": marks is not None, "submission": marks and marks["submission"],
            "pyramid": pyr}


def round_marks(s: Any, ref: viewer.SheetRef, old_id: str,
                number: str) -> dict[str, Any] | None:
    """The marks of the round under review when these two versions are its diff and the
    user reviews; None otherwise (the page then offers no marking)."""
    if workflow.Role.review not in ref.access.roles or ref.access.read_only:
        return None
    try:
        rc = workflow.round_changes(s, store().blobs, ref.access.project)
    except NotFound:
        return None
    if (rc["previous"], rc["version"]) != (old_id, ref.version):
        return None
    subs = workflow.list_submissions(s, ref.access.project)
    if not any(x["number"] == rc["submission"] and x["state"] == "in_review" for x in subs):
        return None
    changes = (rc["sheets"] or {}).get(number) or []
    return {"submission": rc["submission"],
            "marks": {c["id"]: c.get("mark") for c in changes if c.get("mark")}}


def mark(user: str, code: str, number: str, change_id: str, mark: str, *,
         text: str | None = None, category: str = "general") -> dict[str, Any]:
    """Accept or query one change of the round under review; a query makes an opinion."""
    st = store()
    with st.session() as s:
        access = workflow.project_access(s, user, code)
        if access.read_only or workflow.Role.review not in access.roles:
            raise workflow.Forbidden(f"{user} 无权标记 may not mark changes on "
                                     f"{access.project}: only the review agency")
        m = workflow.mark_change(s, access.project, number, change_id, mark, user=user,
                                 keys=st.keys, blobs=st.blobs, text=text,
                                 category=category)
        opinion = None
        if m.opinion_id is not None:
            found = [o for o in workflow.list_opinions(s, access.project, sheet_no=number)
                     if o.id == m.opinion_id]
            opinion = found[0].number if found else None
        return {"sheet": number, "change_id": change_id, "mark": m.mark, "opinion": opinion}


def json_of(data: dict[str, Any]) -> dict[str, Any]:
    """A sheet compare without its viewer reference (what the page's script and the API get)."""
    return {"project": data["ref"].access.project, "sheet": data["number"], "old": data["old"],
            "new": data["new"], "summary": data["summary"], "alignment": data["alignment"],
            "changes": data["changes"], "clusters": data["clusters"], "layers": data["layers"],
            "can_mark": data["can_mark"], "submission": data["submission"]}
