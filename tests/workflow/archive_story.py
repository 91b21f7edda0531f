"""An archived project for the archive tests: two staged approvals (桩基, then 主体) with a
review opinion answered, as-built with one sheet redrawn, acceptance; sheets of one building
unit.  Returns the moments the pull is asked about."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from drawings import registry
from tests.workflow.helpers import CODE, World, sheet_dxf


def commit_sheets(w: World, name: str, sheets: dict[str, bytes], *, unit: str,
                  parent: str | None = None) -> str:
    """A version of ``parent`` (a name or a ref) with ``sheets`` replaced, every sheet of
    building unit ``unit`` (as `ingest --unit` records it)."""
    with w.sf() as s, s.begin():
        parents: list[str] = []
        manifest: dict[str, dict[str, Any]] = {}
        if parent is not None:
            v = registry.resolve_version(s, CODE, w.versions.get(parent, parent))
            parents, manifest = [v.id], dict(v.manifest)
        for no, data in sheets.items():
            oid = w.blobs.put_bytes(data)
            registry.record_blob(s, oid, len(data), format="dxf")
            manifest[no] = {"blob": oid, "format": "dxf", "title": f"{no} 平面图",
                            "number": no, "unit": unit}
        vid = registry.commit_version(s, CODE, manifest, parents=parents, author="des",
                                      message=name, created_at=w.tick(0.01)).id
    w.versions[name] = vid
    return vid


def archived_story(w: World) -> dict[str, Any]:
    """Walk to `accepted`; the moments before the first approval, between the two, and after."""
    with w.sf() as s, s.begin():
        # a unit named by an action needs a valid footprint (#14: checks at every step)
        unit = registry.add_unit(s, CODE, division="110101", year=2026, name="1#住宅楼",
                                 footprint="POLYGON((116.4 39.9, 116.4004 39.9, "
                                           "116.4004 39.9003, 116.4 39.9003, 116.4 39.9))").code
    v1 = commit_sheets(w, "v1", {"S-01": sheet_dxf("S-01", "桩位图"),
                                 "S-02": sheet_dxf("S-02", "基坑支护"),
                                 "A-101": sheet_dxf("A-101", "一层平面"),
                                 "S-101": sheet_dxf("S-101", "梁配筋")}, unit=unit)
    before = w.tick(0.01)
    w.fire("submit", "des", version=v1, stage="桩基", sheets=["S-0*"])
    w.fire("accept_review", "rev_s")
    w.opinion("rev_s", "S-01")  # general: answered, it does not block
    w.opinion_act("reply", "des", 1, "已核 checked")
    w.fire("sign_discipline", "rev_s")
    w.fire("approve", "rev_s")
    between = w.tick(0.01)
    w.fire("submit", "des", version=v1, stage="主体", sheets=["A-*", "S-1*"])
    w.fire("accept_review", "rev_a")
    w.fire("sign_discipline", "rev_a", record=2)
    w.fire("sign_discipline", "rev_s", record=2)
    w.fire("approve", "rev_a", record=2)
    after = w.tick(0.01)
    v2 = commit_sheets(w, "v2", {"A-101": sheet_dxf("A-101", "一层平面", extra=4, box=900)},
                       unit=unit, parent="current")
    w.fire("submit_as_built", "con", version=v2, redrawn=["A-101"])
    w.fire("confirm_as_built", "sup")
    w.fire("confirm_as_built", "own")
    w.fire("accept", "own")
    return {"before": before, "between": between, "after": after, "unit": unit,
            "approved_first": _current_at(w, between), "as_built": v2}


def _current_at(w: World, when: datetime) -> str:
    with w.sf() as s:
        v = registry.ref_at(s, CODE, "current", when)
        assert v is not None
        return v.id
