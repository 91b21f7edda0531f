"""智能辅助审查: checks on a BIM model that draft review opinions (#18).

Two sources of findings, each with its clause reference and category (强制性条文 mandatory /
一般性 general / 建议 advice), anchored to an element's GlobalId and its plan position:

- buildingSMART IDS files, run with ``ifctester`` (information requirements: which elements
  carry which properties); a specification's category and clause come from its
  ``description``/``instructions`` (``强制性条文 …``) and ``identifier``;
- rules IDS cannot state, computed from the element index and the building unit's declared
  facts: door clear width, storey count and height against the unit, fire compartment area.

The clause table (:data:`RULES`) is data: a review agency checks and adapts it; a finding only
drafts an opinion, the reviewer confirms or discards it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from drawings.modelindex import Element, ModelIndex
from storage.display import clip
from storage.errors import InvalidInput

CATEGORY_WORDS = (("强制性条文", "mandatory"), ("强条", "mandatory"), ("mandatory", "mandatory"),
                  ("一般性", "general"), ("general", "general"), ("建议", "advice"),
                  ("advice", "advice"))


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    clause: str
    category: str
    title: str


RULES = {r.id: r for r in (
    Rule("door-clear-width-egress", "GB 50016-2014（2018年版）第 5.5.18、5.5.30 条", "mandatory",
         "疏散门、户门和安全出口净宽度不应小于 0.90 m / egress door clear width ≥ 0.90 m"),
    Rule("door-clear-width", "GB 50096-2011 第 5.8.7 条", "advice",
         "套内门洞宽度不宜小于 0.80 m / door opening width ≥ 0.80 m"),
    Rule("storey-count", "建筑单体登记信息一致性 (JGJ/T 496-2022 单体统一编码登记的地上层数)",
         "general", "模型地上楼层数与单体登记的地上层数一致 / storeys above ground = declared"),
    Rule("building-height", "建筑单体登记信息一致性 (单体登记的建筑高度)", "general",
         "模型建筑高度与单体登记高度一致 / model height = declared height (±3 %, ≥ 0.5 m)"),
    Rule("storey-height-residential", "GB 50096-2011 第 5.5.1 条", "advice",
         "住宅层高宜为 2.80 m / residential storey height 2.80 m"),
    Rule("fire-compartment-area", "GB 50016-2014（2018年版）第 5.3.1 条", "mandatory",
         "防火分区最大允许建筑面积 / largest fire compartment area"),
)}

EGRESS_MIN, DOOR_MIN = 0.90, 0.80
RESIDENTIAL_STOREY = 2.80
#: GB 50016 5.3.1: 高层 1500, 单多层 2500, 地下 500 m²; doubled where sprinklers cover it all.
COMPARTMENT_LIMITS = {"high": 1500.0, "low": 2500.0, "below": 500.0}


@dataclass(frozen=True, slots=True)
class Finding:
    rule: str
    source: str  # "rule" | "ids"
    clause: str
    category: str
    message: str
    guid: str | None
    cls: str | None
    name: str | None
    storey: str | None
    x: float | None
    y: float | None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _finding(rule: Rule, message: str, e: Element | None, storey: str | None = None,
             source: str = "rule") -> Finding:
    pos = e.position if e is not None else None
    return Finding(rule.id, source, rule.clause, rule.category, message,
                   e.guid if e else None, e.cls if e else None, e.name if e else None,
                   storey or ((e.container or {}).get("name") if e else None),
                   pos[0] if pos else None, pos[1] if pos else None)


# -- rules IDS cannot state ---------------------------------------------------------------------


def run_rules(model: ModelIndex, unit: dict[str, Any] | None = None) -> list[Finding]:
    """The built-in rules on an element index; ``unit`` is the building unit's declared facts
    (``floors_above``, ``height`` m, ``use``) or None."""
    out = door_widths(model)
    out += storeys_against_unit(model, unit or {})
    out += compartment_areas(model, unit or {})
    return out


def _scale(model: ModelIndex) -> float:
    return float(model.header.get("length_unit_m") or 1.0)


def _prop(e: Element, *names: str) -> Any:
    for props in e.psets.values():
        for n in names:
            if props.get(n) is not None:
                return props[n]
    return None


def door_widths(model: ModelIndex) -> list[Finding]:
    out = []
    for e in model.elements:
        if e.cls not in ("IfcDoor", "IfcDoorStandardCase"):
            continue
        clear = _prop(e, "ClearWidth", "净宽", "净宽度")
        overall = e.attrs.get("OverallWidth")
        if isinstance(clear, (int, float)):
            width, how = float(clear), "净宽 clear width"
        elif isinstance(overall, (int, float)):
            width, how = float(overall) * _scale(model), "洞口宽 overall width"
        else:
            continue
        egress = _prop(e, "FireExit") is True or _prop(e, "IsExternal") is True
        rule = RULES["door-clear-width-egress" if egress else "door-clear-width"]
        limit = EGRESS_MIN if egress else DOOR_MIN
        if width < limit - 1e-6:
            out.append(_finding(rule, f"{rule.title}: {e.name or e.guid} {how} {width:.3f} m "
                                      f"< {limit:.2f} m", e))
    return out


def _storey_elements(model: ModelIndex) -> dict[str, Element]:
    return {e.guid: e for e in model.elements if e.cls == "IfcBuildingStorey"}


def storeys_against_unit(model: ModelIndex, unit: dict[str, Any]) -> list[Finding]:
    storeys = [s for s in model.storeys() if s.get("elevation_m") is not None]
    if not storeys:
        return []
    els = _storey_elements(model)
    above = [s for s in storeys if s["elevation_m"] >= -0.01]
    heights = [b["elevation_m"] - a["elevation_m"] for a, b in zip(above, above[1:],
                                                                  strict=False)]
    out = []
    top = els.get(above[-1]["guid"]) if above else None
    declared = unit.get("floors_above")
    if declared is not None and above and len(above) != int(declared):
        r = RULES["storey-count"]
        out.append(_finding(r, f"{r.title}: 模型 model {len(above)} ≠ 登记 declared "
                               f"{declared}", top, above[-1]["name"]))
    if unit.get("height") is not None and above and heights:
        model_height = above[-1]["elevation_m"] + heights[-1] - above[0]["elevation_m"]
        declared_h = float(unit["height"])
        if abs(model_height - declared_h) > max(0.5, 0.03 * declared_h):
            r = RULES["building-height"]
            out.append(_finding(r, f"{r.title}: 模型 model {model_height:.2f} m ≠ 登记 "
                                   f"declared {declared_h:.2f} m", top, above[-1]["name"]))
    if "住宅" in str(unit.get("use") or "") or "resid" in str(unit.get("use") or "").lower():
        r = RULES["storey-height-residential"]
        for st, h in zip(above, heights, strict=False):
            if h < RESIDENTIAL_STOREY - 1e-6:
                out.append(_finding(r, f"{r.title}: {st['name']} 层高 storey height {h:.2f} m",
                                    els.get(st["guid"]), st["name"]))
    return out


def _area(e: Element) -> float | None:
    v = _prop(e, "GrossFloorArea", "NetFloorArea", "Area", "面积")
    return float(v) if isinstance(v, (int, float)) and v > 0 else None


def compartment_areas(model: ModelIndex, unit: dict[str, Any]) -> list[Finding]:
    """Per storey, the floor area of its spaces against 5.3.1's limit (a model that zones no
    compartments is taken a storey at a time: the largest a compartment can be)."""
    storeys = {s["guid"]: s for s in model.storeys()}
    by_storey: dict[str, list[Element]] = {}
    for e in model.elements:
        if e.cls != "IfcSpace":
            continue
        sg = (e.aggregate or {}).get("guid") or (e.container or {}).get("guid")
        if sg in storeys:
            by_storey.setdefault(sg, []).append(e)
    if not by_storey:
        return []
    tops = [s["elevation_m"] for s in storeys.values() if s.get("elevation_m") is not None]
    height = unit.get("height")
    if height is None and tops:
        height = max(tops)
    residential = "住宅" in str(unit.get("use") or "")
    high = height is not None and float(height) > (27.0 if residential else 24.0)
    r = RULES["fire-compartment-area"]
    els = _storey_elements(model)
    out = []
    for sg, spaces in sorted(by_storey.items()):
        areas = [_area(e) for e in spaces]
        if not any(a is not None for a in areas):
            continue
        total = sum(a for a in areas if a is not None)
        st = storeys[sg]
        kind = "below" if (st.get("elevation_m") or 0.0) < -0.01 else ("high" if high else "low")
        limit = COMPARTMENT_LIMITS[kind]
        if all(_prop(e, "SprinklerProtection") is True for e in spaces):
            limit *= 2
        if total > limit + 1e-6:
            out.append(_finding(r, f"{r.title}: {st['name']} {total:.0f} m² > {limit:.0f} m²"
                                   " (按楼层计 per storey)", els.get(sg), st["name"]))
    return out


# -- IDS ----------------------------------------------------------------------------------------


def default_ids() -> list[Path]:
    """The IDS files shipped with yitaotu (information completeness per GB/T 51301)."""
    base = resources.files("workflow") / "ids"
    return sorted(Path(str(p)) for p in base.iterdir() if p.name.endswith(".ids"))


def _category(*texts: str | None) -> str:
    for text in texts:
        for word, cat in CATEGORY_WORDS:
            if text and word in text:
                return cat
    return "general"


def _identifiers(path: Path) -> list[str | None]:
    """Each specification's ``identifier`` attribute, in order (ifctester 0.9 drops it)."""
    import xml.etree.ElementTree as ET

    ns = "{http://standards.buildingsmart.org/IDS}"
    root = ET.parse(path).getroot()
    return [s.get("identifier") for s in root.iter(f"{ns}specification")]


def run_ids(ifc: Any, model: ModelIndex, ids_files: list[Path]) -> list[Finding]:
    """Every failed requirement of every IDS specification, one finding per element."""
    from ifctester import ids as idslib

    by_guid = model.by_guid()
    out = []
    for path in ids_files:
        try:
            spec_set = idslib.open(str(path))
        except Exception as e:  # ifctester raises schema and XML errors of several kinds
            raise InvalidInput(f"{path}: 无效的 IDS invalid IDS file: {clip(e)}") from None
        spec_set.validate(ifc)
        identifiers = _identifiers(path)
        for i, spec in enumerate(spec_set.specifications):
            category = _category(spec.description, spec.instructions)
            clause = spec.identifier or (identifiers[i] if i < len(identifiers) else None) \
                or spec.name
            rule = Rule(f"ids:{spec.identifier or spec.name}", clause, category, spec.name)
            for req in spec.requirements:
                for failure in req.failures:
                    el = failure.get("element")
                    guid = getattr(el, "GlobalId", None)
                    e = by_guid.get(guid) if guid else None
                    reason = clip(failure.get("reason") or "", 200)
                    out.append(_finding(rule, f"{spec.name}: {reason}", e, source="ids"))
    return out


def check_model(ifc: Any, model: ModelIndex, *, unit: dict[str, Any] | None = None,
                ids_files: list[Path] | None = None) -> list[Finding]:
    """IDS checks (the shipped ones unless ``ids_files``) and the built-in rules."""
    files = default_ids() if ids_files is None else ids_files
    return run_ids(ifc, model, files) + run_rules(model, unit)
