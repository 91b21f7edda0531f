"""Title-block fields (图号, 图名, 专业, 版次, 比例) found in a drawing's attributes and text.

Two sources, in this order of trust:

1. INSERT attributes whose tag names a field (``图号``, ``TH``, ``DWG_NO``, ``SHEETNO`` ...);
2. TEXT/MTEXT (PDF: text spans) holding a label: either ``图号：A-101`` in one string, or a bare
   label ``图 号`` whose value is the nearest text to its right (same line) or just below it.

Keys are ``number``, ``title``, ``discipline``, ``revision``, ``scale``; a key is left out when
nothing is found.  Generated drawings in the tests are the specification.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from drawings.model import Drawing, Entity

FIELDS = ("number", "title", "discipline", "revision", "scale")

#: Attribute tags, normalised (upper case, no spaces, ``_``, ``-``, ``.``), per field.
ATTRIBUTE_TAGS = {
    "number": {"图号", "图纸编号", "图纸号", "图纸代号", "TH", "TUHAO", "DWGNO", "DRAWINGNO",
               "DRAWINGNUMBER", "SHEETNO", "SHEETNUMBER", "DWGNUMBER", "NO", "NUMBER"},
    "title": {"图名", "图纸名称", "图纸名", "TM", "TUMING", "TITLE", "DRAWINGTITLE", "DWGTITLE",
              "SHEETTITLE", "DRAWINGNAME", "SHEETNAME"},
    "discipline": {"专业", "ZY", "ZHUANYE", "DISCIPLINE", "DISC"},
    "revision": {"版次", "版本", "版本号", "修改版次", "BC", "BANCI", "REV", "REVISION", "VERSION"},
    "scale": {"比例", "BL", "BILI", "SCALE"},
}  # fmt: skip

_CJK_LABELS = {
    "number": ("图号", "图纸编号", "图纸号"),
    "title": ("图名", "图纸名称", "图纸名"),
    "discipline": ("专业",),
    "revision": ("版次", "版本号", "版本"),
    "scale": ("比例",),
}
_LATIN_LABELS = {
    "number": (r"drawing\s*no\.?", r"drawing\s*number", r"dwg\.?\s*no\.?", r"sheet\s*no\.?",
               r"sheet\s*number", r"sheet"),
    "title": (r"drawing\s*title", r"sheet\s*title", r"title"),
    "discipline": (r"discipline",),
    "revision": (r"revision", r"rev\.?"),
    "scale": (r"scale",),
}  # fmt: skip


def _cjk(label: str) -> str:
    return r"\s*".join(re.escape(ch) for ch in label)  # "图  号" is common in title blocks


def _label_re(field: str) -> re.Pattern:
    alts = [_cjk(lb) for lb in _CJK_LABELS[field]]
    alts += [rf"(?i:{lb})(?![a-z])" for lb in _LATIN_LABELS[field]]
    return re.compile(rf"^\s*(?:{'|'.join(alts)})\s*(?:[:：/]\s*|\s+|$)(?P<value>.*)$")


def _gloss_re(field: str) -> re.Pattern:
    """An English gloss after a Chinese label: ``图号 Drawing No.：A-101``."""
    alts = "|".join(_LATIN_LABELS[field])
    return re.compile(rf"^(?i:{alts})\s*(?:[:：]\s*|\s+|$)")


_LABELS = {f: _label_re(f) for f in FIELDS}
#: Cheap first test: could this text start with any label at all?
_ANY_LABEL = re.compile(
    r"^\s*(?:"
    + "|".join(_cjk(lb) for labels in _CJK_LABELS.values() for lb in labels)
    + r"|(?i:drawing|dwg|sheet|title|discipline|rev|scale))"
)
_GLOSS = {f: _gloss_re(f) for f in FIELDS}
_STRICT_LATIN = re.compile(r"^[A-Za-z]")


def _norm_tag(tag: str) -> str:
    return re.sub(r"[\s_.\-]", "", tag).upper()


def _match_label(text: str) -> tuple[str, str] | None:
    """``(field, value)`` if ``text`` starts with a field label; value may be empty."""
    if not _ANY_LABEL.match(text):
        return None
    for field in FIELDS:
        m = _LABELS[field].match(text)
        if not m:
            continue
        value = m.group("value").strip()
        g = _GLOSS[field].match(value)
        if g:
            value = value[g.end() :].strip()
        if _STRICT_LATIN.match(text.strip()) and value and ":" not in text and "：" not in text:
            # Latin labels need a colon before an inline value ("Sheet 3 of 5" is not a label)
            head = text.strip().split()
            if len(head) > 1 and not re.fullmatch(r"[A-Z]{0,3}-?\d[\w.\-/]*", value):
                continue
        return field, value
    return None


_TEXT_KINDS = frozenset(("TEXT", "MTEXT", "ATTRIB"))


def _scan(
    entities: Iterable[Entity], found: dict[str, str]
) -> list[tuple[str, float, float, float]]:
    """One pass: INSERT attributes into ``found``; (line, x, y, height) of every text line."""
    out = []
    for e in entities:
        kind = e.kind
        if kind in _TEXT_KINDS:
            text = e.text
            if not text:
                continue
            g = e.geometry
            x, y = g.get("insert", (0.0, 0.0))
            h = float(g.get("height") or 1.0)
            if "\n" not in text:
                t = text.strip()
                if t:
                    out.append((t, x, y, h))
                continue
            for i, line in enumerate(text.split("\n")):
                if line.strip():
                    out.append((line.strip(), x, y - i * h * 1.667, h))  # MTEXT lines go down
        elif kind == "INSERT" and e.attribs:
            for tag, value in e.attribs.items():
                field = _tag_field(tag)
                if field is not None and field not in found and value.strip():
                    found[field] = value.strip()
    return out


_TAG_FIELD: dict[str, str | None] = {}


def _tag_field(tag: str) -> str | None:
    field = _TAG_FIELD.get(tag, "")
    if field == "":
        t = _norm_tag(tag)
        field = next((f for f, tags in ATTRIBUTE_TAGS.items() if t in tags), None)
        if len(_TAG_FIELD) < 10000:
            _TAG_FIELD[tag] = field
    return field


def _from_texts(texts: list[tuple[str, float, float, float]], found: dict[str, str]) -> None:
    labels = {}
    for i, (t, *_pos) in enumerate(texts):
        m = _match_label(t)
        if m is not None:
            labels[i] = m
    for i, (field, value) in labels.items():
        _t, x, y, h = texts[i]
        if field in found:
            continue
        if value:
            found[field] = value
            continue
        best: tuple[float, str] | None = None
        for j, (t2, x2, y2, h2) in enumerate(texts):
            if j == i or j in labels:
                continue
            dx, dy = x2 - x, y2 - y
            size = max(h, h2)
            if dx > 0 and abs(dy) <= 0.8 * size and dx <= 25 * size:
                score = dx
            elif dy < 0 and -dy <= 3.5 * size and -2 * size <= dx <= 10 * size:
                score = 30 * size + (-dy) + abs(dx)  # below ranks after anything on the line
            else:
                continue
            if best is None or score < best[0]:
                best = (score, t2)
        if best is not None:
            found[field] = best[1]


def find_title(drawing: Drawing) -> dict[str, str]:
    """Title-block fields of ``drawing`` (see the module docstring)."""
    found: dict[str, str] = {}
    # paper layouts first: that is where a plotted sheet's title block usually lives
    sheets = sorted(drawing.sheets, key=lambda s: s.name == "Model")
    texts = [_scan(sheet.entities, found) for sheet in sheets]  # attributes win over text
    for lines in texts:
        if len(found) == len(FIELDS):
            break
        _from_texts(lines, found)
    return {k: found[k] for k in FIELDS if k in found}


def fill_title(drawing: Drawing) -> dict[str, str]:
    """Fill ``drawing.title`` from its title block; keys are left out when not found."""
    found = find_title(drawing)
    for k, v in found.items():
        drawing.title.setdefault(k, v)
    return drawing.title
