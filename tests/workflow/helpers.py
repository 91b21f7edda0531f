"""Generated sheets and a project with every party, for the workflow tests."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
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
PEOPLE: dict[str, tuple[str, str | None, str | None]] = {
    "des": ("甲设计院", "design", None),
    "rev_a": ("乙审查中心", "review", "建筑"),
    "rev_s": ("乙审查中心", "review", "结构"),
    "own": ("丙建设公司", "owner", None),
    "con": ("丁施工公司", "contractor", None),
    "sup": ("戊监理公司", "supervisor", None),
    "arc": ("市城建档案馆", "archivist", None),
    "ins": ("市质监站", "inspector", None),
    "nobody": ("无关单位", None, None),  # an organisation that is no party of the project
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
           at: datetime, message: str = "upload",
           base: dict[str, dict[str, Any]] | None = None) -> str:
    manifest: dict[str, dict[str, Any]] = dict(base or {})
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
    versions: dict[str, str] = field(default_factory=dict)

    def tick(self, days: float = 1) -> datetime:
        self.t = self.t + timedelta(days=days)
        return self.t

    def fire(self, event: str, user: str, **kw: Any) -> Any:
        with self.sf() as s, s.begin():
            return service.fire(s, CODE, event, user=user, keys=self.keys, blobs=self.blobs,
                                now=self.tick(0.01), **kw)

    def act(self, event: str, user: str, **kw: Any) -> int:
        """Take ``event``; the number of the record it acted on."""
        with self.sf() as s, s.begin():
            return service.act(s, CODE, event, user=user, keys=self.keys, blobs=self.blobs,
                               now=self.tick(0.01), **kw)[1].number

    def state(self, kind: str = "project", number: int | None = None) -> str:
        from workflow.machine import BY_KIND

        with self.sf() as s:
            p = registry.get_project(s, CODE)
            return service.get_record(s, BY_KIND[kind], p, number or 1).state

    def version(self, name: str, sheets: dict[str, bytes], parent: str | None = None) -> str:
        """Commit a version of the set: ``parent`` (a name or a ref) plus ``sheets``."""
        with self.sf() as s, s.begin():
            parents: list[str] = []
            base: dict[str, dict[str, Any]] = {}
            if parent is not None:
                v = registry.resolve_version(s, CODE, self.versions.get(parent, parent))
                parents, base = [v.id], v.manifest
            vid = commit(s, self.blobs, sheets, parents=parents, at=self.tick(0.01),
                         message=name, base=base)
        self.versions[name] = vid
        return vid

    def opinion(self, user: str, sheet: str, *, category: str = "general", **kw: Any) -> int:
        from workflow import opinions

        with self.sf() as s, s.begin():
            return opinions.add_opinion(s, CODE, user=user, keys=self.keys, sheet_no=sheet,
                                        anchor={"type": "point", "coords": [800, 140]},
                                        category=category, text="意见 opinion",
                                        now=self.tick(0.01), **kw).number

    def opinion_act(self, action: str, user: str, number: int, text: str = "ok") -> None:
        from workflow import opinions

        with self.sf() as s, s.begin():
            getattr(opinions, action)(s, CODE, number, text, user=user, keys=self.keys,
                                      now=self.tick(0.01))

    def in_force(self, when: datetime) -> dict[str, Any]:
        with self.sf() as s:
            return service.set_in_force(s, CODE, when)


def setup_world(sf: Any, blobs: Any, keys: KeyRing, *, sm2_org: str | None = None) -> World:
    with sf() as s, s.begin():
        registry.create_project(s, CODE, "测试住宅楼 Test housing")
        orgs: dict[str, str] = {}
        for user, (org, role, disc) in PEOPLE.items():
            if org not in orgs:
                service.add_org(s, keys, org, alg="sm2-sm3" if org == sm2_org else "ed25519")
                if role:
                    service.add_party(s, CODE, role, org)
                orgs[org] = role
            service.add_user(s, keys, user, org, discipline=disc)
    return World(sf, blobs, keys)


# -- a scripted walk with named checkpoints (for the row-by-row tests) ---------------------------

USER_OF = {"design": "des", "review": "rev_s", "owner": "own", "contractor": "con",
           "supervisor": "sup", "archivist": "arc", "inspector": "ins"}

#: The walk visits every state of every lifecycle once (the sheets are structural: 结构).
CHECKPOINTS = ("design", "submitted", "in_review", "has_opinion", "returned", "answered",
               "resubmitted", "in_review2", "opinion_closed", "signed", "approved",
               "meeting_open", "question_open", "question_answered", "meeting_closed",
               "minutes_half", "minutes_signed", "change_proposed", "change_half",
               "change_confirmed", "current", "as_built_submitted", "as_built_half",
               "as_built_confirmed", "accepted", "archived")


class Driver:
    """Walks a world along the loop to a checkpoint."""

    def __init__(self, w: World, *, klass: str = "general", first: str = "owner") -> None:
        self.w, self.klass, self.first = w, klass, first
        self.second = "supervisor" if first == "owner" else "owner"
        self.done = 0

    def goto(self, checkpoint: str) -> Driver:
        target = CHECKPOINTS.index(checkpoint)
        while self.done < target:
            self.done += 1
            getattr(self, "_" + CHECKPOINTS[self.done])()
        return self

    def _submitted(self) -> None:
        v1 = self.w.version("v1", {"S-01": sheet_dxf("S-01", "桩基"),
                                   "S-02": sheet_dxf("S-02", "基坑")})
        self.w.fire("submit", "des", version=v1)

    def _in_review(self) -> None:
        self.w.fire("accept_review", "rev_s")

    def _has_opinion(self) -> None:
        self.w.opinion("rev_s", "S-01", category="mandatory")

    def _returned(self) -> None:
        self.w.fire("return", "rev_s")

    def _answered(self) -> None:
        self.w.opinion_act("reply", "des", 1, "已改 fixed")
        self.w.version("v2", {"S-01": sheet_dxf("S-01", "桩基", extra=3)}, "v1")

    def _resubmitted(self) -> None:
        self.w.fire("resubmit", "des", version=self.w.versions["v2"])

    def _in_review2(self) -> None:
        self.w.fire("accept_review", "rev_s")

    def _opinion_closed(self) -> None:
        self.w.opinion_act("close", "rev_s", 1)

    def _signed(self) -> None:
        self.w.fire("sign_discipline", "rev_s")

    def _approved(self) -> None:
        self.w.fire("approve", "rev_s")

    def _meeting_open(self) -> None:
        self.w.fire("open_meeting", "own", participants=PARTICIPANTS, held_on="2026-03-20")

    def _question_open(self) -> None:
        self.w.fire("raise_question", "con", meeting=1, sheet="S-01",
                    anchor={"type": "point", "coords": [500, 300]}, text="桩长是否足够?")

    def _question_answered(self) -> None:
        self.w.fire("answer_question", "des", text="加长 2 m", requires_change=True,
                    klass=self.klass)

    def _meeting_closed(self) -> None:
        self.w.fire("close_meeting", "own")

    def _minutes_half(self) -> None:
        self.w.fire("sign_minutes", "own")

    def _minutes_signed(self) -> None:
        for u in ("des", "con", "sup"):
            self.w.fire("sign_minutes", u)

    def _change_proposed(self) -> None:
        v3 = self.w.version("v3", {"S-01": sheet_dxf("S-01", "桩基", extra=5)}, "current")
        self.w.fire("propose_change", "des", record=1, version=v3)

    def _change_half(self) -> None:
        self.w.fire("confirm_change", USER_OF[self.first])

    def _change_confirmed(self) -> None:
        self.w.fire("confirm_change", USER_OF[self.second])

    def _current(self) -> None:
        self.w.fire("sign_change", "des")
        if self.klass == "major":  # back through review, then approved
            self.w.fire("accept_review", "rev_s")
            self.w.fire("sign_discipline", "rev_s")
            self.w.fire("approve", "rev_s")

    def _as_built_submitted(self) -> None:
        v4 = self.w.version("v4", {"S-01": sheet_dxf("S-01", "桩基", extra=5, box=900)},
                            "current")
        self.w.fire("submit_as_built", "con", version=v4)

    def _as_built_half(self) -> None:
        self.w.fire("confirm_as_built", USER_OF[self.first])

    def _as_built_confirmed(self) -> None:
        self.w.fire("confirm_as_built", USER_OF[self.second])

    def _accepted(self) -> None:
        self.w.fire("accept", "own")

    def _archived(self) -> None:
        self.w.fire("archive", "arc")


PARTICIPANTS = {"owner": ["own"], "design": ["des"], "contractor": ["con"],
                "supervisor": ["sup"]}
