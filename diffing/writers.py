"""Render a :class:`DiffReport`: writers chosen by name (kart's ``get_diff_writer_class``)."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from typing import Any, TextIO

import orjson

from diffing.appearance import RESPELLING_LABEL
from diffing.report import ADDED, KINDS, MODIFIED, REMOVED, TABLE_TYPES, Change, DiffReport
from storage.terminal import printable, printable_json

KIND_LABEL = {ADDED: "新增 added", REMOVED: "删除 removed", MODIFIED: "修改 modified"}
WHAT_LABEL = {
    "moved": "移动 moved",
    "rotated": "旋转 rotated",
    "scaled": "缩放 scaled",
    "radius": "半径 radius",
    "vertices": "顶点 vertices",
    "geometry": "几何 geometry",
    "text": "文字 text",
    "attributes": "属性 attributes",
    "block": "块定义 block",
    "layer": "图层 layer",
    "style": "样式 style",
    "xdata": "扩展数据 xdata",
}


def width(s: str) -> int:
    """Terminal columns: CJK characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in s)


def pad(s: str, n: int) -> str:
    """``s`` left-aligned in ``n`` terminal columns (str.ljust counts CJK as one)."""
    return s + " " * max(0, n - width(s))


def _num(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.6g}"
    return str(v)


def _style_text(key: str, value: Any) -> str:
    """``colour 1 → 3``; a text style's changed definition nests its fields:
    ``text_style_definition (width 1.0 → 0.8)``."""
    if isinstance(value, dict):
        return f"{key} (" + ", ".join(_style_text(k, v) for k, v in value.items()) + ")"
    a, b = value
    return f"{key} {a} → {b}"


#: Field labels of drawing-level (table) changes.
FIELD_LABEL = {
    "on": "开关 on", "frozen": "冻结 frozen", "plot": "打印 plot", "color": "颜色 colour",
    "linetype": "线型 linetype", "lineweight": "线宽 lineweight",
    "transparency": "透明度 transparency", "font": "字体 font", "bigfont": "大字体 bigfont",
    "width": "宽度因子 width", "oblique": "倾斜 oblique", "height": "字高 height",
    "units": "单位 units", "measurement": "度量 measurement",
}


def _table_text(c: Change) -> str:
    """``冻结 frozen True → False; 41 个实体 entities``."""
    d = c.details
    before, after = d.get("before") or {}, d.get("after") or {}
    parts = [f"{FIELD_LABEL.get(k, k)} {_num(before.get(k))} → {_num(after.get(k))}"
             for k in c.what]
    return "; ".join(parts) + f"; {d.get('entities', 0)} 个实体 entities"


def _sheet_text(c: Change) -> str:
    d = c.details
    dx, dy = d.get("moved_by") or (0.0, 0.0)
    out = f"整图移动 whole sheet moved ({_num(dx)}, {_num(dy)})"
    if "rotation" in d:
        out += f"; 旋转 rotated {_num(d['rotation'])}°"
    if "scale" in d:
        out += f"; 缩放 scaled ×{_num(d['scale'])}"
    return out


def _what_text(c: Change) -> str:
    if c.type in TABLE_TYPES:
        return _table_text(c)
    if c.type == "SHEET":
        return _sheet_text(c)
    parts = []
    d = c.details
    for w in c.what:
        label = WHAT_LABEL.get(w, w)
        if w == "moved" and "moved_by" in d:
            dx, dy = d["moved_by"]
            label += f" ({_num(dx)}, {_num(dy)})"
        elif w == "text" and "text" in d:
            label += f" {d['text']['before']!r} → {d['text']['after']!r}"
        elif w == "radius" and d.get("radius"):
            label += f" {_num(d['radius'][0])} → {_num(d['radius'][1])}"
        elif w == "rotated" and d.get("rotation"):
            label += f" {_num(d['rotation'][0])}° → {_num(d['rotation'][1])}°"
        elif w == "layer":
            label += f" {d['layer'][0]} → {d['layer'][1]}"
        elif w == "attributes":
            label += " " + ", ".join(f"{t}: {a!r} → {b!r}" for t, (a, b) in d["attributes"].items())
        elif w == "style":
            label += " " + ", ".join(_style_text(k, v) for k, v in d["style"].items())
        elif w == "block":
            refs = d.get("references") or []
            label += f" {d.get('block')}" + (f" ({len(refs)} 处引用 references)" if refs else "")
        elif w == "xdata" and "xdata" in d:
            label += " " + _xdata_text(d["xdata"].get("before"), d["xdata"].get("after"))
        parts.append(label)
    return "; ".join(parts)


def _xdata_text(before: Any, after: Any) -> str:
    """The XDATA values that differ, per application: ``EMFNET: [1000 'DK'] → [1000 'DK2']``."""
    before, after = before or {}, after or {}
    parts = []
    for app in sorted(set(before) | set(after)):
        a, b = before.get(app), after.get(app)
        if a != b:
            parts.append(f"{app}: {_xvals(a)} → {_xvals(b)}")
    return "; ".join(parts)


def _xvals(values: Any) -> str:
    if not values:
        return "-"
    shown = " ".join(f"{code} {val!r}" for code, val in values[:6])
    return f"[{shown}{' …' if len(values) > 6 else ''}]"


def _table(title: str, counts: dict[str, dict[str, int]], head: str) -> list[str]:
    if not counts:
        return []
    w = max(width(head), *(width(k) for k in counts)) + 2
    lines = [title, f"  {pad(head, w)}新增 added  删除 removed  修改 modified"]
    for key in sorted(counts):
        c = counts[key]
        lines.append(
            f"  {pad(key, w)}{c.get(ADDED, 0):>10}  {c.get(REMOVED, 0):>12}  "
            f"{c.get(MODIFIED, 0):>13}"
        )
    return lines


def text_lines(report: DiffReport) -> list[str]:
    s = report.stats
    al = report.alignment
    out = [
        f"一套图 差异 Diff ({report.engine})",
        f"旧 Old: {report.old.path} ({report.old.format}, {report.old.entities} 个实体 entities)",
        f"新 New: {report.new.path} ({report.new.format}, {report.new.entities} 个实体 entities)",
    ]
    if not al.is_identity:
        out.append(
            f"整体对齐 Alignment: dx={_num(al.dx)} dy={_num(al.dy)} "
            f"scale={_num(al.scale)} rotation={_num(al.rotation)}°"
        )
    summary = (f"汇总 Summary: 新增 added {s[ADDED]} · 删除 removed {s[REMOVED]} · "
               f"修改 modified {s[MODIFIED]} · 未变 unchanged {s['unchanged']}")
    if s.get("tables"):
        summary += f" · 图层与样式表 tables {s['tables']}"
    out.append(summary)
    out += _notes_lines(report)
    if not report:
        out.append("无变化 No changes.")
        return out
    entity_changes = [c for c in report.changes if c.type not in TABLE_TYPES]
    for attr, title, head in (("layer", "按图层 By layer", "图层 Layer"),
                              ("type", "按类型 By type", "类型 Type")):
        counts: dict[str, dict[str, int]] = {}
        for c in entity_changes:
            key = getattr(c, attr) or "-"
            counts.setdefault(key, {})
            counts[key][c.kind] = counts[key].get(c.kind, 0) + 1
        out += ["", *_table(title + ":", counts, head)]
    tables = report.tables
    if tables:
        out += ["", "图层与样式表 Layers and tables:"]
        for c in tables:
            out.append(f"  {c.id:<6}{c.type:<10}{pad(c.layer or '-', max(16, width(c.layer) + 2))}"
                       f"{_table_text(c)}")
    if entity_changes:
        out += ["", "变更 Changes:"]
    multi = len(report.sheets) > 1
    for c in entity_changes:
        h = f"{c.old_handle or '-'} → {c.new_handle or '-'}"
        sheet = f" [{c.sheet}]" if multi else ""
        line = (f"  {c.id:<6}{pad(KIND_LABEL[c.kind], 16)}{c.type:<11}"
                f"{pad(c.layer, max(16, width(c.layer) + 2))}{h}{sheet}")
        if c.kind == MODIFIED:
            line += f"  {_what_text(c)}"
        if c.cluster is not None:
            line += f"  云线 cloud {c.cluster}"
        out.append(line)
    return out


def cluster_captions(report: DiffReport) -> dict[int, list[str]]:
    """Per cluster its title and one line per change (the change atlas prints them beside
    the zoomed cluster): ``c12 修改 modified LINE A-WALL 移动 moved (100, 0)``."""
    by_id = {c.id: c for c in report.changes}
    out: dict[int, list[str]] = {}
    for cl in report.clusters:
        lines = [f"云线 Cluster {cl.id} · {cl.sheet} · {len(cl.changes)} 处变更 changes"]
        for cid in cl.changes:
            c = by_id[cid]
            line = f"{c.id} {KIND_LABEL[c.kind]} {c.type} {c.layer}"
            if c.kind == MODIFIED:
                line += f" {_what_text(c)}"
            lines.append(printable(line))
        out[cl.id] = lines
    return out


def _notes_lines(report: DiffReport) -> list[str]:
    """Warnings, drawing notes and (with ``--strict-style``) the respellings, one line each."""
    out = [f"警告 Warning: {w}" for w in report.warnings]
    for n in report.notes:
        where = f" [{n['sheet']}]" if n.get("sheet") else ""
        out.append(f"注 Note{where}: {NOTE_LABEL.get(n['kind'], n['kind'])} "
                   f"{_note_value(n.get('before'))} → {_note_value(n.get('after'))}")
    if report.options.get("strict_style") and report.respellings:
        out.append("同外观异写法 Respellings (same look, other spelling):")
        for kind, n in sorted(report.respellings.items()):
            out.append(f"  {pad(RESPELLING_LABEL.get(kind, kind), 60)} ×{n}")
    return out


NOTE_LABEL = {"units": "单位 units", "measurement": "度量 measurement",
              "extents": "范围 extents", "page": "页面 page"}


def _note_value(v: Any) -> str:
    if isinstance(v, dict):
        return "{" + ", ".join(f"{k} {_note_value(x)}" for k, x in v.items()) + "}"
    if isinstance(v, list | tuple):
        return "(" + ", ".join(_note_value(x) for x in v) + ")"
    return _num(v)


def write_text(report: DiffReport, stream: TextIO) -> None:
    """Readable summary: counts per layer and type, then the changes (zh-CN with English).
    Layer names, texts and paths come from the files: control characters are escaped."""
    stream.write("\n".join(printable(line) for line in text_lines(report)) + "\n")


def write_json(report: DiffReport, stream: TextIO) -> None:
    """The design.md §4 JSON contract (DEL, C1 and bidi controls escaped as ``\\uXXXX``)."""
    data = orjson.dumps(report.to_json(), option=orjson.OPT_INDENT_2).decode()
    stream.write(printable_json(data) + "\n")


def write_quiet(report: DiffReport, stream: TextIO) -> None:
    """Nothing: the exit code says it all."""


WRITERS: dict[str, Callable[[DiffReport, TextIO], None]] = {
    "text": write_text,
    "json": write_json,
    "quiet": write_quiet,
}
FORMATS = tuple(WRITERS)


def get_writer(name: str) -> Callable[[DiffReport, TextIO], None]:
    try:
        return WRITERS[name]
    except KeyError:
        from storage.errors import InvalidInput

        raise InvalidInput(f"unknown diff format {name!r} (one of {', '.join(WRITERS)})") from None


__all__ = ["FORMATS", "KINDS", "cluster_captions", "get_writer", "write_json", "write_quiet",
           "write_text"]
