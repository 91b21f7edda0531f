"""Model diff: two IFC element indexes -> what was added, removed and changed, and how.

Match, then describe, as the sheet engine does:

1. by GlobalId (what authoring tools keep across saves);
2. what is left, by ``key``: class + name + type + placement + geometry digest (an export that
   regenerated every GlobalId keeps all of these), equal fingerprints first;
3. what is still left, by class + name where that pair is unique on both sides (a
   regenerated-id element that also changed), then by class + placement + geometry where that
   is unique on both sides (one that was also renamed).

Relationships (container, aggregate, openings, fillings) are compared through the match, so a
model whose GlobalIds were all regenerated compares as if they had been kept.

JSON contract (``engine: "yitaotu-ifcdiff/1"``)::

    {"engine": "yitaotu-ifcdiff/1",
     "old": {"blob", "path", "format": "ifc", "schema", "elements"}, "new": {...},
     "summary": {"added", "removed", "modified", "unchanged", "matched_without_guid"},
     "changes": [{"id": "m1", "kind": "modified", "guid", "old_guid", "new_guid", "class",
                  "name", "storey", "matched_by": "guid"|"content"|"name"|"place",
                  "what": ["attributes", "psets", "type", "container", "aggregate",
                           "placement", "geometry", "openings", "fills", "materials",
                           "classification"],
                  "details": {"attributes": {"Name": [old, new]},
                              "psets": {"Pset_DoorCommon.FireRating": [old, new]},
                              "type": [old, new], "container": [old, new],
                              "moved_by": [dx, dy, dz], "rotated": true,
                              "geometry": [old digest, new digest],
                              "openings": {"added": [...], "removed": [...]}},
                  "position": [x, y, z]}]}
"""

from __future__ import annotations

import math
import os
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, TextIO

from drawings.modelindex import Element, ModelIndex
from storage.errors import InvalidInput

ENGINE_VERSION = "yitaotu-ifcdiff/1"
ADDED, REMOVED, MODIFIED = "added", "removed", "modified"
#: Placement tolerance: metres of translation, and of each rotation-matrix term.
MOVE_TOL = 1e-4
ROTATE_TOL = 1e-6
WHAT = ("attributes", "psets", "type", "container", "aggregate", "placement", "geometry",
        "openings", "fills", "materials", "classification")


@dataclass(frozen=True, slots=True)
class ModelInfo:
    path: str
    schema: str
    elements: int
    blob: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"blob": self.blob, "path": self.path, "format": "ifc", "schema": self.schema,
                "elements": self.elements}


@dataclass(frozen=True, slots=True)
class ElementChange:
    id: str
    kind: str
    cls: str
    name: str | None
    old_guid: str | None
    new_guid: str | None
    storey: str | None
    matched_by: str | None = None
    what: tuple[str, ...] = ()
    details: dict[str, Any] = field(default_factory=dict)
    position: tuple[float, float, float] | None = None

    @property
    def guid(self) -> str:
        return self.new_guid or self.old_guid or ""

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "kind": self.kind, "guid": self.guid, "old_guid": self.old_guid,
                "new_guid": self.new_guid, "class": self.cls, "name": self.name,
                "storey": self.storey, "matched_by": self.matched_by, "what": list(self.what),
                "details": self.details,
                "position": list(self.position) if self.position else None}


@dataclass(frozen=True, slots=True)
class ModelDiff:
    old: ModelInfo
    new: ModelInfo
    changes: tuple[ElementChange, ...]
    unchanged: int
    matched_without_guid: int

    def __bool__(self) -> bool:
        return bool(self.changes)

    @property
    def stats(self) -> dict[str, int]:
        out = {ADDED: 0, REMOVED: 0, MODIFIED: 0}
        for c in self.changes:
            out[c.kind] += 1
        return {**out, "unchanged": self.unchanged}

    def to_json(self) -> dict[str, Any]:
        return {"engine": ENGINE_VERSION, "old": self.old.to_json(), "new": self.new.to_json(),
                "summary": {**self.stats, "matched_without_guid": self.matched_without_guid},
                "changes": [c.to_json() for c in self.changes]}

    def guids(self, kind: str) -> set[str]:
        """GlobalIds of the changes of one kind (new ids for modified, as ifcdiff keys them)."""
        return {c.guid for c in self.changes if c.kind == kind}


def read_model_file(path: str | os.PathLike[str], label: str | None = None) -> ModelIndex:
    """An IFC file on disk read into its element index (a regular file within
    ``YITAOTU_MAX_UPLOAD``; anything else is refused naming the file)."""
    from drawings import (
        TAIL_SIZE,
        UploadLimits,
        check_complete,
        detect_format,
        open_regular,
        read_model,
    )

    label = label or str(path)
    with open_regular(path, label, UploadLimits.from_env().per_file) as f:
        data = f.read()
    info = detect_format(data[:65536], label)
    if info.format != "ifc":
        raise InvalidInput(f"{label}: not an IFC model ({info.format}); both files must be models")
    check_complete(label, info.format, data[-TAIL_SIZE:])
    return read_model(data, label)


# -- matching ---------------------------------------------------------------------------------


def match(old: Iterable[Element], new: Iterable[Element]) -> dict[str, tuple[str, str]]:
    """old GlobalId -> (new GlobalId, how matched)."""
    olds = {e.guid: e for e in old}
    news = {e.guid: e for e in new}
    out: dict[str, tuple[str, str]] = {g: (g, "guid") for g in olds.keys() & news.keys()}
    left_old = [olds[g] for g in sorted(olds.keys() - news.keys())]
    left_new = [news[g] for g in sorted(news.keys() - olds.keys())]
    for how, keyf in (("content", lambda e: e.key), ("name", _name_key), ("place", _place_key)):
        by_key: dict[Any, list[Element]] = defaultdict(list)
        for e in left_new:
            by_key[keyf(e)].append(e)
        if how != "content":  # weaker keys: only pairs unique on both sides
            counts_old: dict[Any, int] = defaultdict(int)
            for e in left_old:
                counts_old[keyf(e)] += 1
            by_key = defaultdict(list, {k: v for k, v in by_key.items()
                                        if len(v) == 1 and counts_old[k] == 1 and k[1]})
        taken: set[str] = set()
        for e in left_old:
            cands = by_key.get(keyf(e))
            if not cands:
                continue
            pick = next((c for c in cands if c.fingerprint == e.fingerprint), cands[0])
            cands.remove(pick)
            out[e.guid] = (pick.guid, how)
            taken.add(pick.guid)
        left_old = [e for e in left_old if e.guid not in out]
        left_new = [e for e in left_new if e.guid not in taken]
    return out


def _name_key(e: Element) -> tuple[str, str | None]:
    return (e.cls, e.name)


def _place_key(e: Element) -> tuple[str, Any]:
    """Class + placement + shape; an element without either has no such key."""
    if e.placement is None or e.geometry is None:
        return (e.cls, None)
    return (e.cls, (tuple(round(x, 3) for x in e.placement), e.geometry))


# -- describing -------------------------------------------------------------------------------


def diff_models(old: ModelIndex, new: ModelIndex, *, old_blob: str | None = None,
                new_blob: str | None = None, classes: Iterable[str] | None = None) -> ModelDiff:
    """Compare two model indexes (``classes``: only elements of these IFC classes)."""
    keep = set(classes) if classes is not None else None
    olds = {e.guid: e for e in old.elements if keep is None or e.cls in keep}
    news = {e.guid: e for e in new.elements if keep is None or e.cls in keep}
    pairs = match(old.elements, new.elements)  # relationships map through every element
    gmap = {o: n for o, (n, _how) in pairs.items()}
    changes: list[ElementChange] = []
    unchanged = by_content = 0
    matched_new: set[str] = set()
    for og in sorted(olds):
        o = olds[og]
        if og not in pairs or pairs[og][0] not in news:
            changes.append(_one(REMOVED, o, None, None))
            continue
        ng, how = pairs[og]
        matched_new.add(ng)
        by_content += how != "guid"
        n = news[ng]
        what, details = describe(o, n, gmap, how)
        if what:
            changes.append(_one(MODIFIED, o, n, how, what, details))
        else:
            unchanged += 1
    for ng in sorted(news.keys() - matched_new):
        changes.append(_one(ADDED, None, news[ng], None))
    order = {ADDED: 0, REMOVED: 1, MODIFIED: 2}
    changes.sort(key=lambda c: (order[c.kind], c.storey or "", c.cls, c.name or "", c.guid))
    numbered = tuple(_renumber(c, i) for i, c in enumerate(changes, start=1))
    return ModelDiff(ModelInfo(old.path, old.schema, len(olds), old_blob),
                     ModelInfo(new.path, new.schema, len(news), new_blob),
                     numbered, unchanged, by_content)


def _renumber(c: ElementChange, i: int) -> ElementChange:
    return ElementChange(f"m{i}", c.kind, c.cls, c.name, c.old_guid, c.new_guid, c.storey,
                         c.matched_by, c.what, c.details, c.position)


def _one(kind: str, o: Element | None, n: Element | None, how: str | None,
         what: list[str] | None = None, details: dict[str, Any] | None = None) -> ElementChange:
    e = n or o
    assert e is not None
    return ElementChange("", kind, e.cls, e.name, o.guid if o else None, n.guid if n else None,
                         (e.container or {}).get("name"), how, tuple(what or ()),
                         details or {}, e.position)


def describe(o: Element, n: Element, gmap: dict[str, str],
             how: str = "guid") -> tuple[list[str], dict[str, Any]]:
    """What differs between two matched elements, and the before/after of each."""
    what: list[str] = []
    d: dict[str, Any] = {}
    attrs = _dict_diff(o.attrs, n.attrs)
    if attrs:
        what.append("attributes")
        d["attributes"] = attrs
    psets = _dict_diff(_flat(o.psets), _flat(n.psets))
    if psets:
        what.append("psets")
        d["psets"] = psets
    ot, nt = o.type or {}, n.type or {}
    same_type = (ot.get("cls"), ot.get("name")) == (nt.get("cls"), nt.get("name"))
    if not same_type or (how == "guid" and ot.get("guid") != nt.get("guid")):
        what.append("type")
        d["type"] = [_label(o.type), _label(n.type)]
    if not _same_ref(o.container, n.container, gmap):
        what.append("container")
        d["container"] = [_label(o.container), _label(n.container)]
    if not _same_ref(o.aggregate, n.aggregate, gmap):
        what.append("aggregate")
        d["aggregate"] = [_label(o.aggregate), _label(n.aggregate)]
    moved = _moved(o.placement, n.placement)
    if moved is not None:
        what.append("placement")
        d.update(moved)
    if o.geometry != n.geometry:
        what.append("geometry")
        d["geometry"] = [o.geometry, n.geometry]
    mapped = {gmap.get(g, g) for g in o.openings}
    if mapped != set(n.openings):
        what.append("openings")
        d["openings"] = {"added": sorted(set(n.openings) - mapped),
                         "removed": sorted(g for g in o.openings
                                           if gmap.get(g, g) not in set(n.openings))}
    if gmap.get(o.fills or "", o.fills) != n.fills:
        what.append("fills")
        d["fills"] = [o.fills, n.fills]
    if o.materials != n.materials:
        what.append("materials")
        d["materials"] = [o.materials, n.materials]
    if o.classification != n.classification:
        what.append("classification")
        d["classification"] = [o.classification, n.classification]
    return what, d


def _label(ref: dict[str, Any] | None) -> str | None:
    if not ref:
        return None
    return f"{ref.get('cls')}:{ref.get('name')}" if ref.get("name") else ref.get("cls")


def _same_ref(a: dict[str, Any] | None, b: dict[str, Any] | None, gmap: dict[str, str]) -> bool:
    if a is None or b is None:
        return a is b
    if a.get("guid") and b.get("guid") and a["guid"] in gmap:
        return gmap[a["guid"]] == b["guid"]
    return (a.get("cls"), a.get("name")) == (b.get("cls"), b.get("name"))


def _flat(psets: dict[str, dict[str, Any]]) -> dict[str, Any]:
    return {f"{p}.{k}": v for p, props in psets.items() for k, v in props.items()}


def _same_value(a: Any, b: Any) -> bool:
    if isinstance(a, float) or isinstance(b, float):
        try:
            return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-9)
        except (TypeError, ValueError):
            return False
    return bool(a == b)


def _dict_diff(a: dict[str, Any], b: dict[str, Any]) -> dict[str, list[Any]]:
    out = {}
    for k in sorted(a.keys() | b.keys()):
        if k not in a or k not in b or not _same_value(a[k], b[k]):
            out[k] = [a.get(k), b.get(k)]
    return out


def _moved(a: list[float] | None, b: list[float] | None) -> dict[str, Any] | None:
    if a is None or b is None:
        return None if a is b else {"moved_by": None}
    delta = [b[3] - a[3], b[7] - a[7], b[11] - a[11]]
    rotated = any(abs(b[i] - a[i]) > ROTATE_TOL for i in (0, 1, 2, 4, 5, 6, 8, 9, 10))
    moved = any(abs(x) > MOVE_TOL for x in delta)
    if not moved and not rotated:
        return None
    out: dict[str, Any] = {"moved_by": [round(x, 6) + 0.0 for x in delta]}
    if rotated:
        out["rotated"] = True
    return out


# -- writers ----------------------------------------------------------------------------------


def write_json(diff: ModelDiff, out: TextIO) -> None:
    import orjson

    out.write(orjson.dumps(diff.to_json(), option=orjson.OPT_INDENT_2).decode() + "\n")


_KIND = {ADDED: "新增 added", REMOVED: "删除 removed", MODIFIED: "修改 modified"}


def write_text(diff: ModelDiff, out: TextIO) -> None:
    """The report a reviewer reads: a summary, then one line per change with what changed."""
    from storage.terminal import printable

    s = diff.stats
    lines = [
        f"模型差异 Model diff ({ENGINE_VERSION}): {diff.old.path} → {diff.new.path}",
        f"构件 Elements: {diff.old.elements} → {diff.new.elements}  ·  新增 added {s[ADDED]} · "
        f"删除 removed {s[REMOVED]} · 修改 modified {s[MODIFIED]} · 未变 unchanged "
        f"{s['unchanged']}"
        + (f"  (不按 GlobalId 匹配 matched without GlobalId {diff.matched_without_guid})"
           if diff.matched_without_guid else ""),
    ]
    for c in diff.changes:
        where = f" @{c.storey}" if c.storey else ""
        head = f"  {c.id:>5} {_KIND[c.kind]:<14} {c.cls} {c.name or '-'} [{c.guid}]{where}"
        lines.append(head)
        for item in _detail_lines(c):
            lines.append(f"        {item}")
    out.write("\n".join(printable(x) for x in lines) + "\n")


def _detail_lines(c: ElementChange) -> list[str]:
    d = c.details
    out = []
    for k, (a, b) in (d.get("attributes") or {}).items():
        out.append(f"属性 {k}: {a!r} → {b!r}")
    for k, (a, b) in (d.get("psets") or {}).items():
        out.append(f"属性集 {k}: {a!r} → {b!r}")
    for key, zh in (("type", "类型 type"), ("container", "楼层/空间 container"),
                    ("aggregate", "从属 aggregate"), ("fills", "填充洞口 fills")):
        if key in d:
            out.append(f"{zh}: {d[key][0]} → {d[key][1]}")
    if "moved_by" in d:
        mv = d["moved_by"]
        txt = "位置 moved by " + ("?" if mv is None else
                                 "(" + ", ".join(f"{x:+.3f}" for x in mv) + ") m")
        out.append(txt + ("  旋转 rotated" if d.get("rotated") else ""))
    if "geometry" in d:
        out.append("几何 geometry changed")
    if "openings" in d:
        op = d["openings"]
        out.append(f"洞口 openings +{len(op['added'])} −{len(op['removed'])}")
    for key, zh in (("materials", "材料 materials"), ("classification", "分类 classification")):
        if key in d:
            out.append(f"{zh}: {d[key][0]} → {d[key][1]}")
    if c.matched_by and c.matched_by != "guid":
        zh = {"content": "内容", "name": "名称", "place": "位置与形状"}[c.matched_by]
        out.append(f"按{zh}匹配 matched by {c.matched_by}: {c.old_guid} → {c.new_guid}")
    return out
