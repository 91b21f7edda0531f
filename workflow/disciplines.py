"""专业: the discipline of each sheet, so each discipline's reviewer reviews and signs their part.

A sheet's discipline is, in order: what someone set for its number on this project
(``yitaotu sheet discipline``), the title block's 专业 field, the sheet number's prefix
(建施/结施/水施/暖施/电施…, or A-/S-/P-/M-/E-…), else 未分类 (unassigned).  A reviewer
without a discipline acts for every discipline no reviewer of the agency covers.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from drawings.models import SheetRevision

UNASSIGNED = "未分类"

#: The usual disciplines of Chinese construction drawings, with spellings seen in title
#: blocks and sheet numbers.
ALIASES: dict[str, str] = {
    "建筑": "建筑", "建": "建筑", "建施": "建筑", "architecture": "建筑", "arch": "建筑",
    "结构": "结构", "结": "结构", "结施": "结构", "structure": "结构", "structural": "结构",
    "给排水": "给排水", "水": "给排水", "水施": "给排水", "给水排水": "给排水",
    "plumbing": "给排水",
    "暖通": "暖通", "暖": "暖通", "暖施": "暖通", "空调": "暖通", "hvac": "暖通",
    "mechanical": "暖通",
    "电气": "电气", "电": "电气", "电施": "电气", "强电": "电气", "弱电": "电气",
    "electrical": "电气",
    "总图": "总图", "总": "总图", "总施": "总图", "site": "总图",
    "幕墙": "幕墙", "幕施": "幕墙", "装修": "装修", "装施": "装修", "景观": "景观",
    "消防": "消防", "人防": "人防",
}

#: Sheet-number prefixes: Chinese 建施-01 style, then the NCS letter style (A-101).
_PREFIX_ZH = re.compile(r"^\s*(建施|结施|水施|暖施|电施|总施|幕施|装施)")
_PREFIX_NCS = {"A": "建筑", "S": "结构", "P": "给排水", "M": "暖通", "E": "电气", "C": "总图",
               "L": "景观", "F": "消防"}
_NCS = re.compile(r"^\s*([A-Z])[-_ ]?\d")


def normalise(text: str | None) -> str | None:
    """A discipline as one of the usual names; unknown spellings are kept as written."""
    if text is None:
        return None
    t = text.strip()
    if not t:
        return None
    return ALIASES.get(t.lower() if t.isascii() else t, t)


def from_number(sheet_no: str) -> str | None:
    if m := _PREFIX_ZH.match(sheet_no):
        return ALIASES[m.group(1)]
    if m := _NCS.match(sheet_no.upper()):
        return _PREFIX_NCS.get(m.group(1))
    return None


def from_title_block(s: Session, entry: dict[str, Any]) -> str | None:
    rev = s.scalar(select(SheetRevision.discipline).where(
        SheetRevision.blob_id == entry.get("blob"), SheetRevision.page == (entry.get("page") or 0)))
    return normalise(rev)


def of_sheet(s: Session, project: str, sheet_no: str, entry: dict[str, Any] | None) -> str:
    from workflow.models import SheetDiscipline

    row = s.get(SheetDiscipline, (project, sheet_no))
    if row is not None:
        return row.discipline
    return ((from_title_block(s, entry) if entry else None) or from_number(sheet_no)
            or UNASSIGNED)


def of_sheets(s: Session, project: str, manifest: dict[str, dict[str, Any]],
              sheets: list[str]) -> dict[str, str]:
    """sheet number -> discipline, for the given sheets of a manifest."""
    return {no: of_sheet(s, project, no, manifest.get(no)) for no in sheets}


def may_act_for(user_discipline: str | None, discipline: str | None,
                covered: set[str] | frozenset[str] = frozenset()) -> bool:
    """A reviewer acts for their own discipline.  One without a discipline (the agency's chief
    reviewer) acts for the disciplines no reviewer of the agency covers (``covered``), so an
    agency that registers no disciplines still reviews everything."""
    d = discipline or UNASSIGNED
    if user_discipline:
        return normalise(user_discipline) == d
    return d not in covered
