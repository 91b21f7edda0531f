"""Generated sheets and a project with every party, for the workflow tests."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

import ezdxf

from drawings import registry
from workflow import service
from workflow.signing import KeyRing

CODE = "2023-110105-04-01-123450"
T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # a Monday, 09:00 in Beijing

#: user -> (organisation, role, discipline)
PEOPLE = {
    "des": ("甲设计院", "design", None),
    "rev_a": ("乙审查中心", "review", "建筑"),
    "rev_s": ("乙审查中心", "review", "结构"),
    "own": ("丙建设公司", "owner", None),
    "con": ("丁施工公司", "contractor", None),
    "sup": ("戊监理公司", "supervisor", None),
    "arc": ("市城建档案馆", "archivist", None),
    "ins": ("市质监站", "inspector", None),
}


@cache
def sheet_dxf(number: str, title: str, *, extra: int = 0, box: float = 0.0) -> bytes:
    """A small floor-plan-like sheet with a title block; ``extra`` adds lines, ``box`` a large
    rectangle of that size (to change much of the sheet).  Cached: ezdxf stamps each save
    with times and GUIDs, and the same sheet must give the same bytes."""
    doc = ezdxf.new("R2018")
    msp = doc.modelspace()
    msp.add_lwpolyline([(0, 0), (1000, 0), (1000, 700), (0, 700)], close=True,
                       dxfattribs={"layer": "FRAME"})
    for i in range(10):
        msp.add_line((100 + 50 * i, 100), (100 + 50 * i, 600), dxfattribs={"layer": "A-WALL"})
    for i in range(extra):
        msp.add_line((700, 100 + 20 * i), (900, 100 + 20 * i), dxfattribs={"layer": "A-WALL"})
    if box:
        msp.add_lwpolyline([(10, 10), (10 + box, 10), (10 + box, 10 + box * 0.7),
                            (10, 10 + box * 0.7)], close=True, dxfattribs={"layer": "A-NEW"})
        for i in range(8):
            msp.add_circle((20 + box * i / 8, 20 + box * 0.6 * i / 8), 5,
                           dxfattribs={"layer": "A-NEW"})
    msp.add_text(f"图号 {number}", dxfattribs={"layer": "TITLE", "height": 5}).set_placement(
        (850, 20))
    msp.add_text(f"图名 {title}", dxfattribs={"layer": "TITLE", "height": 5}).set_placement(
        (850, 30))
    buf = io.StringIO()
    doc.write(buf)
    return buf.getvalue().encode()


def commit(s: Any, blobs: Any, sheets: dict[str, bytes], *, parents: list[str],
           at: datetime, message: str = "upload") -> str:
    manifest: dict[str, dict[str, Any]] = {}
    for no, data in sheets.items():
        oid = blobs.put_bytes(data)
        registry.record_blob(s, oid, len(data), format="dxf")
        manifest[no] = {"blob": oid, "format": "dxf", "title": f"{no} 平面图", "number": no}
    v = registry.commit_version(s, CODE, manifest, parents=parents, author="des",
                                message=message, created_at=at)
    return v.id


@dataclass
class World:
    sf: Any
    blobs: Any
    keys: KeyRing
    t: datetime = T0

    def tick(self, days: float = 1) -> datetime:
        self.t = self.t + timedelta(days=days)
        return self.t

    def fire(self, event: str, user: str, **kw: Any) -> Any:
        with self.sf() as s, s.begin():
            return service.fire(s, CODE, event, user=user, keys=self.keys, blobs=self.blobs,
                                now=self.tick(0.01), **kw)

    def state(self) -> str:
        with self.sf() as s:
            return service.get_flow(s, CODE).state


def setup_world(sf: Any, blobs: Any, keys: KeyRing, *, sm2_org: str | None = None) -> World:
    with sf() as s, s.begin():
        registry.create_project(s, CODE, "测试住宅楼 Test housing")
        orgs: dict[str, str] = {}
        for user, (org, role, disc) in PEOPLE.items():
            if org not in orgs:
                service.add_org(s, keys, org, alg="sm2-sm3" if org == sm2_org else "ed25519")
                service.add_party(s, CODE, role, org)
                orgs[org] = role
            service.add_user(s, keys, user, org, discipline=disc)
    return World(sf, blobs, keys)
