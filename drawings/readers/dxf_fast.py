"""Tag-level DXF reader: ASCII and binary DXF straight into the neutral model.

``ezdxf.readfile`` builds a full object model (seconds for 100k entities); the diff only needs
each entity's content, so this reader walks the raw ``(group code, value)`` pairs once with
per-kind handlers.  Anything it cannot make sense of structurally raises :class:`DXFDamaged`,
and :mod:`drawings.readers.dxf_ezdxf` retries through ``ezdxf.recover``.
"""

from __future__ import annotations

import math
import re
from typing import Any

from drawings.model import BlockDef, Drawing, Entity, LayerInfo, Sheet
from drawings.readers.dxf_lines import check_lines, check_values
from storage.display import clip, quote

_U_RE = re.compile(r"\\U\+([0-9A-Fa-f]{4})")
_M_RE = re.compile(r"\\M\+([1-5])([0-9A-Fa-f]{4})")
_MIF = {"1": "cp932", "2": "cp950", "3": "cp949", "4": "johab", "5": "gb2312"}
_CODEPAGE_RE = re.compile(rb"\$DWGCODEPAGE[ \t]*\r?\n\s*3[ \t]*\r?\n\s*(\S+)")
_ACADVER_RE = re.compile(rb"\$ACADVER[ \t]*\r?\n\s*1[ \t]*\r?\n\s*(AC\d{4})")

UNITS = {
    0: "unitless",
    1: "in",
    2: "ft",
    3: "mi",
    4: "mm",
    5: "cm",
    6: "m",
    7: "km",
    8: "uin",
    9: "mil",
    10: "yd",
    11: "A",
    12: "nm",
    13: "um",
    14: "dm",
    15: "dam",
    16: "hm",
    17: "Gm",
    18: "au",
    19: "ly",
    20: "pc",
}

_TEXT_SPECIAL = (
    ("%%c", "\u00d8"),
    ("%%C", "\u00d8"),
    ("%%d", "\u00b0"),
    ("%%D", "\u00b0"),
    ("%%p", "\u00b1"),
    ("%%P", "\u00b1"),
    ("%%%", "%"),
)
#: Linetype names are case-insensitive; these have one spelling whoever wrote the file.
#: DIMSTYLE fields compared by the diff: name -> (group code, default).
_DIMSTYLE_FIELDS = {
    "dimscale": (40, 1.0), "dimasz": (41, 0.18), "dimexo": (42, 0.0625), "dimexe": (44, 0.18),
    "dimtxt": (140, 0.18), "dimcen": (141, 0.09), "dimlfac": (144, 1.0), "dimgap": (147, 0.09),
    "dimdec": (271, 4.0), "dimtad": (77, 0.0), "dimclrd": (176, 0.0), "dimclrt": (178, 0.0),
}


def _transparency(v: str | None) -> float | None:
    """A layer's AcCmTransparency XDATA value (0x02000000 | alpha) as 0 (opaque) .. 1."""
    n = _i(v, -1)
    if n < 0 or not n & 0x02000000:
        return None
    return round(1.0 - (n & 0xFF) / 255.0, 2)


_LT_SPELLING = {"BYBLOCK": "ByBlock", "CONTINUOUS": "Continuous"}
_MIRROR = "mirror"  # extrusion (0, 0, -1): OCS x axis is WCS -x


class DXFDamaged(Exception):
    """The tag stream is not a well-formed DXF; the caller falls back to ezdxf.recover."""


# --------------------------------------------------------------------------- decoding


def encoding_for(data: bytes, version: str) -> str:
    if version >= "AC1021":
        return "utf-8"
    m = _CODEPAGE_RE.search(data[:65536])
    if not m:
        return "cp1252"
    from ezdxf.tools.codepage import toencoding

    return toencoding(m.group(1).decode("ascii", "replace"))


_ESCAPE_RE = re.compile(r"\\[UM]\+")
_SURROGATE_RE = re.compile("[\ud800-\udfff]")


def decode_escapes(text: str) -> str:
    """``\\U+XXXX`` and ``\\M+nXXXX`` escapes (R2000-R2004 non-ASCII text) to characters."""
    if _ESCAPE_RE.search(text) is None:  # one pass over a big text instead of two
        return text
    if "\\U+" in text:
        text = _U_RE.sub(lambda m: chr(int(m.group(1), 16)), text)
        if _SURROGATE_RE.search(text):
            # \U+D83D\U+DE00 spells one character; a lone half is no character at all
            text = text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    if "\\M+" in text:

        def mif(m: re.Match) -> str:
            try:
                return bytes.fromhex(m.group(2)).decode(_MIF[m.group(1)])
            except (UnicodeDecodeError, LookupError):
                return m.group(0)

        text = _M_RE.sub(mif, text)
    return text


def decode_text(data: bytes, warnings: list[str], label: str = "<bytes>") -> tuple[str, str]:
    """The decoded text of an ASCII DXF (escapes resolved) and its ``$ACADVER``; a line too
    long for a DXF is refused first (:mod:`drawings.readers.dxf_lines`)."""
    check_lines(data, label)
    m = _ACADVER_RE.search(data[:65536])
    version = m.group(1).decode() if m else "AC1009"
    enc = encoding_for(data, version)
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
        enc = "utf-8"
    if enc == "cp1252":
        # many non-Autodesk writers put UTF-8 in old-version files without saying so; real
        # cp1252 text with accents is almost never valid UTF-8, so try that first
        try:
            return decode_escapes(data.decode("utf-8")), version
        except UnicodeDecodeError:
            pass
    try:
        text = data.decode(enc)
    except UnicodeDecodeError:
        text = data.decode(enc, errors="replace")
        warnings.append(f"text not valid {enc}: undecodable bytes replaced / 文字编码有误")
    except LookupError:
        text = data.decode("cp1252", errors="replace")
        warnings.append(f"unknown code page {enc}, read as cp1252")
    return decode_escapes(text), version


def text_tags(
    data: bytes, warnings: list[str], label: str = "<bytes>"
) -> tuple[list[int], list[str], str]:
    """Decode an ASCII DXF and split it into parallel code/value lists."""
    text, version = decode_text(data, warnings, label)
    return split_tags(text) + (version,)


#: ``split_tags`` works through the text in pieces of about this many characters, so the
#: group-code strings of the whole file never exist at once (they are the bulk of the memory).
SPLIT_CHUNK = 1 << 22
#: Group-code lines as writers spell them ("0", "  0", "    10") -> int: a dict lookup is
#: three times faster than int() over millions of lines.
_CODE_MAP = {f: c for c in range(1072) for f in (str(c), f"{c:3d}", f"{c:6d}", f" {c}")}


def split_tags(text: str) -> tuple[list[int], list[str]]:
    """Parallel lists of group codes (int) and raw values of an ASCII DXF text."""
    if "\r" in text[:4096]:
        text = text.replace("\r\n", "\n")
    codes: list[int] = []
    vals: list[str] = []
    n = len(text)
    pos = 0
    while pos < n:
        end = text.find("\n", min(pos + SPLIT_CHUNK, n))
        end = n if end < 0 else end
        if end < n and text.count("\n", pos, end) % 2 == 0:
            nxt = text.find("\n", end + 1)  # pieces must hold whole (code, value) pairs
            end = n if nxt < 0 else nxt
        lines = text[pos:end].split("\n")
        pos = end + 1
        if pos >= n:
            while lines and not lines[-1].strip():
                lines.pop()  # blank lines after EOF
        if len(lines) % 2:
            if lines[-1].strip():
                raise DXFDamaged("odd number of lines: truncated tag stream")
            lines.pop()
        try:
            codes += list(map(_CODE_MAP.__getitem__, lines[0::2]))
        except KeyError:  # unusual padding: the general (slower) conversion
            try:
                codes += map(int, lines[0::2])
            except ValueError:
                raise DXFDamaged(f"invalid group code {quote(_first_bad(lines[0::2]))}") from None
        vals += lines[1::2]
    return codes, vals


def _first_bad(code_lines: list[str]) -> str:
    for line in code_lines:
        try:
            int(line)
        except ValueError:
            return line
    return ""


def binary_tags(data: bytes, label: str = "<bytes>") -> tuple[list[int], list[str], str]:
    from ezdxf.lldxf.tagger import binary_tags_loader

    codes: list[int] = []
    vals: list[str] = []
    try:
        for tag in binary_tags_loader(data, errors="replace"):
            v = tag.value
            codes.append(tag.code)
            if isinstance(v, bytes | bytearray):
                vals.append(v.hex().upper())
            elif isinstance(v, float):
                vals.append(repr(v))
            else:
                vals.append(str(v))
    except Exception as e:  # ezdxf raises DXFStructureError, struct.error, IndexError ...
        raise DXFDamaged(f"binary DXF: {clip(e)}") from None
    check_values(codes, vals, label)
    version = "AC1009"
    for i in range(min(len(codes) - 1, 400)):
        if codes[i] == 9 and vals[i] == "$ACADVER":
            version = vals[i + 1]
            break
    return codes, [decode_escapes(v) if "\\" in v else v for v in vals], version


# --------------------------------------------------------------------------- small helpers


def _f(v: str | None, default: float = 0.0) -> float:
    if v is None:
        return default
    try:
        return float(v)
    except ValueError:
        return default


def _i(v: str | None, default: int = 0) -> int:
    if v is None:
        return default
    try:
        return int(v)
    except ValueError:
        try:
            return int(float(v))
        except ValueError:
            return default


def _pt(d: dict, xc: int) -> tuple[float, float]:
    return (float(d.get(xc) or 0.0), float(d.get(xc + 10) or 0.0))


def _norm_deg(a: float) -> float:
    a %= 360.0
    return 0.0 if round(a, 6) >= 360.0 else a


_PERCENT_RE = re.compile(r"%%(?:([uUoOkK])|(\d{3}))")


def _special(s: str) -> str:
    """TEXT control codes: %%c/%%d/%%p symbols, %%nnn characters; %%u/%%o/%%k toggles dropped."""
    if "%%" in s:
        for a, b in _TEXT_SPECIAL:
            s = s.replace(a, b)
        if "%%" in s:
            s = _PERCENT_RE.sub(lambda m: "" if m.group(1) else chr(int(m.group(2))), s)
    return s


def _is_float_code(c: int) -> bool:
    return 10 <= c < 60 or 110 <= c < 150 or 210 <= c < 240 or 460 <= c < 470 or 1010 <= c < 1060


class _OCS:
    """Arbitrary-axis OCS to WCS (projected to XY), via ezdxf for the rare general case."""

    def __init__(self, ex: float, ey: float, ez: float) -> None:
        from ezdxf.math import OCS

        self.ocs = OCS((ex, ey, ez))
        self.flip = ez < 0

    def pt(self, x: float, y: float, z: float = 0.0) -> tuple[float, float]:
        v = self.ocs.to_wcs((x, y, z))
        return (v.x, v.y)

    def angle(self, deg: float) -> float:
        v = self.ocs.to_wcs((math.cos(math.radians(deg)), math.sin(math.radians(deg)), 0.0))
        return math.degrees(math.atan2(v.y, v.x))


def _ocs_of(d: dict) -> Any:
    z = d.get(230)
    if z is None:
        return None
    ex, ey, ez = _f(d.get(210)), _f(d.get(220)), _f(z, 1.0)
    if abs(ex) < 1e-12 and abs(ey) < 1e-12:
        return None if ez >= 0 else _MIRROR
    return _OCS(ex, ey, ez)


def _opt(d: dict, ocs: Any, xc: int) -> tuple[float, float]:
    x, y = _f(d.get(xc)), _f(d.get(xc + 10))
    if ocs is None:
        return (x, y)
    if ocs is _MIRROR:
        return (-x, y)
    return ocs.pt(x, y, _f(d.get(xc + 20)))


def _oangle(ocs: Any, deg: float) -> float:
    if ocs is None:
        return deg
    if ocs is _MIRROR:
        return 180.0 - deg
    return ocs.angle(deg)


def _arc_angles(ocs: Any, a0: float, a1: float) -> tuple[float, float]:
    if ocs is None:
        return _norm_deg(a0), _norm_deg(a1)
    b0, b1 = _oangle(ocs, a0), _oangle(ocs, a1)
    if ocs is _MIRROR or ocs.flip:
        b0, b1 = b1, b0
    return _norm_deg(b0), _norm_deg(b1)


def _verts(ocs: Any, verts: list[tuple[float, float, float]]) -> list[tuple[float, float, float]]:
    if ocs is None:
        return verts
    if ocs is _MIRROR:
        return [(-x, y, -b) for x, y, b in verts]
    sign = -1.0 if ocs.flip else 1.0
    return [(*ocs.pt(x, y), sign * b) for x, y, b in verts]


def normalise_insert(x: float, y: float, sx: float, sy: float, rot: float) -> dict[str, Any]:
    """One spelling for equal placements: a negative y scale becomes a 180 degree turn."""
    if sy < 0:
        rot += 180.0
        sx, sy = -sx, -sy
    return {"insert": (x, y), "scale": (sx, sy), "rotation": _norm_deg(rot)}


def bulge_of_arc(sweep_deg: float) -> float:
    return math.tan(math.radians(sweep_deg) / 4.0)


# --------------------------------------------------------------------------- the reader


def _indexes_of_zero(codes: list[int]) -> list[int]:
    """Positions of group code 0 (entity starts); list.index scans in C."""
    out: list[int] = []
    find = codes.index
    i = -1
    try:
        while True:
            i = find(0, i + 1)
            out.append(i)
    except ValueError:
        return out


class DXFTagReader:
    """Walks the tag lists section by section; see :func:`read_tags`."""

    def __init__(self, codes: list[int], vals: list[str], name: str, version: str) -> None:
        self.c = codes
        self.v = vals
        self.name = name
        self.version = version
        self.header: dict[str, Any] = {}
        self.layers: dict[str, LayerInfo] = {}
        self._layers_ci: dict[str, LayerInfo] = {}
        self.linetypes: dict[str, Any] = {}
        self.text_styles: dict[str, dict[str, Any]] = {}
        self.dim_styles: dict[str, dict[str, Any]] = {}
        self.block_records: dict[str, str] = {}  # handle -> name
        self.blocks: dict[str, BlockDef] = {}
        self.block_flags: dict[str, int] = {}
        self.model: list[Entity] = []
        self.paper: list[Entity] = []
        self.layouts: list[dict[str, Any]] = []
        self.warnings: list[str] = []
        self.skipped: dict[str, int] = {}
        self._styles: dict[tuple, dict[str, Any]] = {}

    # -- structure -------------------------------------------------------------------------

    def run(self) -> Drawing:
        self.scan()
        return self._drawing()

    def scan(self) -> None:
        """Every section into the reader's state (tables, blocks, entity lists, layouts)."""
        c, v = self.c, self.v
        zeros = _indexes_of_zero(c)
        self._zeros = zeros
        nz = len(zeros)
        j = 0
        seen_eof = False
        while j < nz:
            i = zeros[j]
            word = v[i].strip()
            if word == "SECTION":
                sec = v[i + 1].strip() if i + 1 < len(c) and c[i + 1] == 2 else ""
                k = j + 1
                while k < nz and v[zeros[k]].strip() not in ("ENDSEC", "SECTION", "EOF"):
                    k += 1
                if k >= nz or v[zeros[k]].strip() != "ENDSEC":
                    raise DXFDamaged(f"section {sec or '?'} has no ENDSEC (truncated file)")
                self._section(sec, j, k)
                j = k + 1
            elif word == "EOF":
                seen_eof = True
                break
            else:
                raise DXFDamaged(f"unexpected {quote(word)} outside a section")
        if not seen_eof:
            self.warnings.append("no EOF marker: file may be truncated / 文件可能不完整")

    def _section(self, sec: str, j0: int, j1: int) -> None:
        zeros = self._zeros
        if sec == "HEADER":
            self._header(zeros[j0] + 2, zeros[j1])
        elif sec == "TABLES":
            for j in range(j0 + 1, j1):
                self._table_entry(zeros[j], zeros[j + 1])
        elif sec == "BLOCKS":
            self._blocks(j0 + 1, j1)
        elif sec == "ENTITIES":
            for ent, paper in self._entities(j0 + 1, j1, in_block=False):
                (self.paper if paper else self.model).append(ent)
        elif sec == "OBJECTS":
            for j in range(j0 + 1, j1):
                i = zeros[j]
                if self.v[i].strip() == "LAYOUT":
                    self._layout(i, zeros[j + 1])

    def _header(self, s: int, e: int) -> None:
        c, v = self.c, self.v
        var = None
        for i in range(s, e):
            if c[i] == 9:
                var = v[i].strip()
            elif var is not None and var not in self.header:
                self.header[var] = v[i].strip()

    def _dict(self, s: int, e: int) -> dict[int, str]:
        """First-wins code -> value map of the tags after the entity's 0 tag."""
        c, v = self.c, self.v
        return dict(zip(c[e - 1 : s : -1], v[e - 1 : s : -1], strict=True))

    def _table_entry(self, s: int, e: int) -> None:
        kind = self.v[s].strip()
        if kind == "LAYER":
            d = self._dict(s, e)
            name = d.get(2, "0")
            tc = d.get(420)
            color: int | str = f"#{_i(tc) & 0xFFFFFF:06x}" if tc else abs(_i(d.get(62), 7))
            flags = _i(d.get(70))
            info = LayerInfo(
                name=name,
                color=color,
                linetype=d.get(6, "Continuous"),
                lineweight=_i(d.get(370), -3),
                on=_i(d.get(62), 7) >= 0,
                frozen=bool(flags & 1),
                plot=_i(d.get(290), 1) != 0,
                transparency=_transparency(d.get(1071)) if 1071 in d else None,
            )
            self.layers[name] = info
            self._layers_ci[name.upper()] = info
        elif kind == "LTYPE":
            d = self._dict(s, e)
            pattern = [_f(self.v[i]) for i in range(s, e) if self.c[i] == 49]
            self.linetypes[d.get(2, "")] = {"description": d.get(3, ""), "pattern": pattern}
        elif kind == "STYLE":
            d = self._dict(s, e)
            name = d.get(2, "")
            if name and not _i(d.get(70)) & 1:  # not a shape file
                # a TrueType font may be named only in the style's XDATA (ACAD 1000 family)
                font = (d.get(3) or "").strip() or (d.get(1000) or "").strip()
                self.text_styles[name] = {
                    "font": font,
                    "bigfont": (d.get(4) or "").strip(),
                    "width": _f(d.get(41), 1.0),
                    "oblique": _f(d.get(50)),
                    "height": _f(d.get(40)),
                }
        elif kind == "DIMSTYLE":
            d = self._dict(s, e)
            name = d.get(2, "")
            if name:
                self.dim_styles[name] = {
                    k: _f(d.get(code), default) for k, (code, default) in _DIMSTYLE_FIELDS.items()
                }
        elif kind == "BLOCK_RECORD":
            d = self._dict(s, e)
            if 5 in d:
                self.block_records[d[5].strip().upper()] = d.get(2, "")

    def _layout(self, s: int, e: int) -> None:
        c, v = self.c, self.v
        split = s
        for i in range(s, e):
            if c[i] == 100 and v[i].strip() == "AcDbLayout":
                split = i
                break
        plot = self._dict(s, split + 1) if split > s else {}
        lay = self._dict(split, e)
        w, h = _f(plot.get(44)), _f(plot.get(45))
        units = "mm" if _i(plot.get(72), 1) == 1 else "in"
        paper = {"width": w, "height": h, "units": units, "rotation": _i(plot.get(73)) * 90}
        if units == "in":
            paper["width"], paper["height"] = w / 25.4, h / 25.4
        self.layouts.append(
            {
                "name": lay.get(1, ""),
                "tab": _i(lay.get(71)),
                "block_record": (lay.get(330) or "").strip().upper(),
                "paper": paper,
            }
        )

    def _blocks(self, j0: int, j1: int) -> None:
        zeros, v = self._zeros, self.v
        j = j0
        while j < j1:
            i = zeros[j]
            if v[i].strip() != "BLOCK":
                j += 1
                continue
            d = self._dict(i, zeros[j + 1])
            name = d.get(2) or d.get(3) or ""
            k = j + 1
            while k < j1 and v[zeros[k]].strip() != "ENDBLK":
                k += 1
            ents = [ent for ent, _ in self._entities(j + 1, k, in_block=True)]
            if name in self.blocks:
                self.warnings.append(f"duplicate block definition {quote(name)} ignored")
            else:
                self.blocks[name] = BlockDef(name=name, base_point=_pt(d, 10), entities=ents)
                self.block_flags[name] = _i(d.get(70))
            j = k + 1

    # -- entities ------------------------------------------------------------------------

    def _entities(
        self, j0: int, j1: int, *, in_block: bool, starts: list[int] | None = None
    ) -> list[tuple[Entity, bool]]:
        """Entities of the 0-tags ``j0:j1``; ``starts`` collects each one's first 0-tag."""
        zeros, v = self._zeros, self.v
        entity = self._entity
        out: list[tuple[Entity, bool]] = []
        j = j0
        while j < j1:
            s = zeros[j]
            kind = v[s].strip()
            first = j
            j += 1
            if kind == "POLYLINE":
                k = j
                while k < j1 and v[zeros[k]].strip() == "VERTEX":
                    k += 1
                vert_spans = [(zeros[x], zeros[x + 1]) for x in range(j, k)]
                if k < j1 and v[zeros[k]].strip() == "SEQEND":
                    k += 1
                j = k
                parsed = entity(kind, s, zeros[first + 1], in_block, vert_spans)
            elif kind == "INSERT":
                k = j
                while k < j1 and v[zeros[k]].strip() == "ATTRIB":
                    k += 1
                att_spans = [(zeros[x], zeros[x + 1]) for x in range(j, k)]
                if att_spans and k < j1 and v[zeros[k]].strip() == "SEQEND":
                    k += 1
                j = k
                parsed = entity(kind, s, zeros[first + 1], in_block, att_spans)
            elif kind in ("SEQEND", "VERTEX", "ATTRIB"):
                continue  # stray sequence parts (already consumed when well formed)
            else:
                parsed = entity(kind, s, zeros[j], in_block, None)
            if parsed is not None:
                out.append(parsed)
                if starts is not None:
                    starts.append(first)
        return out

    def _entity(
        self, kind: str, s: int, e: int, in_block: bool, subs: Any
    ) -> tuple[Entity, bool] | None:
        c, v = self.c, self.v
        d = dict(zip(c[e - 1 : s : -1], v[e - 1 : s : -1], strict=True))  # first wins
        layer_name = d.get(8, "0")
        lay = self.layers.get(layer_name) or self._layers_ci.get(layer_name.upper())
        if lay is not None:
            layer_name = lay.name
        key = (layer_name if lay else None, d.get(62), d.get(420), d.get(6), d.get(370))
        style = self._styles.get(key)
        if style is None:
            style = self._styles[key] = self._resolve_style(d, lay)
        try:
            handler = _HANDLERS.get(kind)
            if handler is None:
                geometry, text, attribs = {"raw": self._raw_digest(kind, s, e)}, None, {}
                self.skipped[kind] = self.skipped.get(kind, 0) + 1
            else:
                geometry, text, attribs = handler(self, d, s, e, subs)
        except (ValueError, IndexError, KeyError, ZeroDivisionError, TypeError) as exc:
            self.warnings.append(f"{kind} {d.get(5, '?')}: skipped, unreadable ({exc})")
            return None
        ent = Entity(
            kind,
            layer_name,
            d.get(5),
            geometry,
            text,
            style,
            attribs,
            self._xdata(s, e) if 1001 in d else None,
        )
        return ent, not in_block and 67 in d and d[67].strip() == "1"

    def _style(self, d: dict, lay: LayerInfo | None) -> dict[str, Any]:
        """Resolved style; equal spellings share one dict (treat it as read-only)."""
        key = (lay.name if lay else None, d.get(62), d.get(420), d.get(6), d.get(370))
        st = self._styles.get(key)
        if st is None:
            st = self._styles[key] = self._resolve_style(d, lay)
        return st

    def _resolve_style(self, d: dict, lay: LayerInfo | None) -> dict[str, Any]:
        tc = d.get(420)
        aci = _i(d.get(62), 256)
        if tc is not None:
            color: int | str = f"#{_i(tc) & 0xFFFFFF:06x}"
        elif aci == 256:
            color = lay.color if lay else 7
        else:
            color = abs(aci)
        lt = d.get(6)
        if lt is None or lt.upper() == "BYLAYER":
            lt = lay.linetype if lay else "Continuous"
        elif lay is not None and lt.upper() == lay.linetype.upper():
            lt = lay.linetype
        elif lt.upper() in _LT_SPELLING:
            lt = _LT_SPELLING[lt.upper()]
        lw = _i(d.get(370), -1)
        if lw == -1:
            lw = lay.lineweight if lay else -3
        return {"color": color, "linetype": lt, "lineweight": lw}

    def _xdata(self, s: int, e: int) -> dict[str, Any]:
        c, v = self.c, self.v
        out: dict[str, list] = {}
        cur: list | None = None
        for i in range(s + 1, e):
            code = c[i]
            if code == 1001:
                cur = out.setdefault(v[i].strip(), [])
            elif code >= 1000 and cur is not None:
                cur.append([code, v[i]])
        return out

    def _raw_digest(self, kind: str, s: int, e: int) -> str:
        return _content_digest(self, s, e, _RAW_SKIP, kind=kind)

    # -- assembly --------------------------------------------------------------------------

    def _drawing(self) -> Drawing:
        if "0" not in self.layers:
            self.layers["0"] = LayerInfo("0")
        sheets = [Sheet("Model", self.model + self._block_entities("*MODEL_SPACE"))]
        br = self.block_records
        seen_paper = False
        for lay in sorted(self.layouts, key=lambda x: (x["tab"], x["name"])):
            brname = br.get(lay["block_record"], "")
            if brname.upper() == "*MODEL_SPACE" or lay["name"].upper() == "MODEL":
                continue
            if brname.upper() == "*PAPER_SPACE":
                ents = self.paper + self._block_entities("*PAPER_SPACE")
                seen_paper = True
            else:
                ents = self._block_entities(brname.upper()) if brname else []
            if ents:
                sheets.append(Sheet(lay["name"], ents, paper=lay["paper"]))
        if not seen_paper and self.paper:
            sheets.append(Sheet("Layout1", self.paper))
        # layout blocks are sheets, not blocks anybody inserts
        blocks = {
            n: b
            for n, b in self.blocks.items()
            if not n.upper().startswith(("*MODEL_SPACE", "*PAPER_SPACE"))
        }
        units = UNITS.get(_i(self.header.get("$INSUNITS")), "unitless")
        if self.skipped:
            kinds = ", ".join(f"{k}×{n}" for k, n in sorted(self.skipped.items()))
            self.warnings.append(f"kept as opaque digests (no geometry): {kinds}")
        return Drawing(
            path=self.name,
            format="dxf",
            version=self.header.get("$ACADVER", self.version),
            units=units,
            sheets=sheets,
            blocks=blocks,
            layers=self.layers,
            linetypes=self.linetypes,
            text_styles=self.text_styles,
            warnings=self.warnings,
            dim_styles=self.dim_styles,
            header=self._drawing_header(),
        )

    def _drawing_header(self) -> dict[str, Any]:
        """The header values the diff notes (only those the file writes)."""
        out: dict[str, Any] = {}
        m = self.header.get("$MEASUREMENT")
        if m is not None:
            out["measurement"] = "metric" if _i(m) == 1 else "imperial"
        lt = self.header.get("$LTSCALE")
        if lt is not None:
            out["ltscale"] = _f(lt, 1.0)
        return out

    def _block_entities(self, upper_name: str) -> list[Entity]:
        for n, b in self.blocks.items():
            if n.upper() == upper_name:
                return b.entities
        return []


# --------------------------------------------------------------------------- kind handlers
# Each returns (geometry, text, attribs) from the first-wins dict ``d`` and/or the tag span.

Result = tuple[dict[str, Any], str | None, dict[str, str]]


def _line(r: DXFTagReader, d: dict, s: int, e: int, subs: Any) -> Result:
    return {"points": [_pt(d, 10), _pt(d, 11)]}, None, {}


def _point(r: DXFTagReader, d: dict, s: int, e: int, subs: Any) -> Result:
    return {"location": _pt(d, 10)}, None, {}


def _circle(r: DXFTagReader, d: dict, s: int, e: int, subs: Any) -> Result:
    return {"center": _opt(d, _ocs_of(d), 10), "radius": _f(d.get(40))}, None, {}


def _arc(r: DXFTagReader, d: dict, s: int, e: int, subs: Any) -> Result:
    ocs = _ocs_of(d)
    a0, a1 = _arc_angles(ocs, _f(d.get(50)), _f(d.get(51), 360.0))
    return (
        {"center": _opt(d, ocs, 10), "radius": _f(d.get(40)), "start_angle": a0, "end_angle": a1},
        None,
        {},
    )


def _lwpolyline(r: DXFTagReader, d: dict, s: int, e: int, subs: Any) -> Result:
    c, v = r.c, r.v
    verts: list[list[float]] = []
    for i in range(s + 1, e):
        code = c[i]
        if code == 10:
            verts.append([float(v[i]), 0.0, 0.0])
        elif code == 20 and verts:
            verts[-1][1] = float(v[i])
        elif code == 42 and verts:
            verts[-1][2] = float(v[i])
        elif code >= 1000:
            break
    pts = [(x, y, b) for x, y, b in verts]
    flags = _i(d.get(70))
    g = {"points": _verts(_ocs_of(d), pts), "closed": bool(flags & 1), "width": _f(d.get(43))}
    return g, None, {}


def _polyline(r: DXFTagReader, d: dict, s: int, e: int, subs: Any) -> Result:
    flags = _i(d.get(70))
    pts = []
    for vs, ve in subs or ():
        vd = r._dict(vs, ve)
        vflags = _i(vd.get(70))
        if vflags & 16 or (vflags & 128 and not vflags & 64):
            continue  # spline frame control points, polyface face records
        pts.append((_f(vd.get(10)), _f(vd.get(20)), _f(vd.get(42))))
    if flags & 1 and len(pts) > 1 and pts[-1][:2] == pts[0][:2]:
        pts.pop()  # an explicit closing vertex on a closed polyline adds nothing
    ocs = None if flags & (8 | 16 | 64) else _ocs_of(d)
    g = {"points": _verts(ocs, pts), "closed": bool(flags & 1), "width": _f(d.get(40))}
    if flags & (8 | 16 | 64):
        g["mode"] = "3d" if flags & 8 else "mesh" if flags & 16 else "polyface"
    return g, None, {}


def _text_geometry(d: dict, valign_code: int) -> dict[str, Any]:
    ocs = _ocs_of(d)
    h, va = _i(d.get(72)), _i(d.get(valign_code))
    use_align = (h or va) and 11 in d and h not in (3, 5)
    g = {
        "insert": _opt(d, ocs, 11 if use_align else 10),
        "height": _f(d.get(40), 1.0),
        "rotation": _norm_deg(_oangle(ocs, _f(d.get(50)))),
        "width_factor": _f(d.get(41), 1.0),
        "halign": h,
        "valign": va,
        "style": d.get(7, "Standard"),
    }
    if h in (3, 5) and 11 in d:
        g["align_point"] = _opt(d, ocs, 11)
    return g


def _text(r: DXFTagReader, d: dict, s: int, e: int, subs: Any) -> Result:
    return _text_geometry(d, 73), _special(d.get(1, "")), {}


def _attdef(r: DXFTagReader, d: dict, s: int, e: int, subs: Any) -> Result:
    g = _text_geometry(d, 74)
    return g, _special(d.get(1, "")), {d.get(2, ""): d.get(3, "")}


def _attrib(r: DXFTagReader, d: dict, s: int, e: int, subs: Any) -> Result:
    return _text_geometry(d, 74), _special(d.get(1, "")), {d.get(2, ""): d.get(1, "")}


_MT_ESCAPES = re.compile(r"\\(.)|\^")
_MT_SIMPLE = set("P~\\{}fFHCcApWQLlOoKk")
_MT_PARAM = re.compile(r"\\[fFHCcApWQ][^;\\{}]*;")
_MT_TOGGLE = re.compile(r"\\[LlOoKk]")


def _fast_plain(raw: str) -> str | None:
    """Plain text of MTEXT using only the common inline codes; None means 'ask ezdxf'."""
    for m in _MT_ESCAPES.finditer(raw):
        if m.group(0) == "^" or m.group(1) not in _MT_SIMPLE:
            return None
    s = raw.replace("\\\\", "\ue000").replace("\\{", "\ue001").replace("\\}", "\ue002")
    s = _MT_PARAM.sub("", s)
    s = _MT_TOGGLE.sub("", s)
    if "\\" in s.replace("\\P", "").replace("\\~", ""):
        return None  # a parameter code without its ";"
    s = s.replace("{", "").replace("}", "").replace("\\P", "\n").replace("\\~", " ")
    return s.replace("\ue000", "\\").replace("\ue001", "{").replace("\ue002", "}")


def plain_mtext(raw: str) -> str:
    """MTEXT content without formatting codes (ezdxf's ``plain_mtext`` semantics)."""
    if "\\" in raw or "{" in raw or "}" in raw or "^" in raw:
        fast = _fast_plain(raw)
        if fast is not None:
            return _special(fast)
        from ezdxf.tools.text import plain_mtext as _plain

        return _special(_plain(raw))
    return _special(raw)


def _mtext(r: DXFTagReader, d: dict, s: int, e: int, subs: Any) -> Result:
    c, v = r.c, r.v
    parts: list[str] = []
    last = ""
    for i in range(s + 1, e):
        code = c[i]
        if code == 3:
            parts.append(v[i])
        elif code == 1:
            last = v[i]
            break
        elif code == 101:
            break
    raw = "".join(parts) + last
    try:  # an "Embedded Object" (R2018+) repeats codes 10, 11, 40… with other meanings
        end = c.index(101, s + 1, e)
    except ValueError:
        pass
    else:
        d = dict(zip(c[end - 1 : s : -1], v[end - 1 : s : -1], strict=True))
    ocs = _ocs_of(d)
    if 11 in d:
        rot = math.degrees(math.atan2(_f(d.get(21)), _f(d.get(11))))
    else:
        rot = _oangle(ocs, _f(d.get(50)))  # degrees, as AutoCAD and ezdxf write it
    g = {
        "insert": _opt(d, ocs, 10) if 11 not in d else _pt(d, 10),
        "height": _f(d.get(40), 1.0),
        "rotation": _norm_deg(rot),
        "width": _f(d.get(41)),
        "attachment": _i(d.get(71), 1),
        "style": d.get(7, "Standard"),
    }
    return g, plain_mtext(raw), {}


def _insert(r: DXFTagReader, d: dict, s: int, e: int, subs: Any) -> Result:
    ocs = _ocs_of(d)
    x, y = _opt(d, ocs, 10)
    sx, sy, rot = _f(d.get(41), 1.0), _f(d.get(42), 1.0), _f(d.get(50))
    if ocs is _MIRROR:
        rot, sx = -rot, -sx
    elif ocs is not None:
        rot = ocs.angle(rot)
        if ocs.flip:
            sx = -sx
    g = normalise_insert(x, y, sx, sy, rot)
    g["block"] = d.get(2, "")
    cols, rows = _i(d.get(70), 1), _i(d.get(71), 1)
    if cols > 1 or rows > 1:
        g.update(columns=cols, rows=rows, column_spacing=_f(d.get(44)), row_spacing=_f(d.get(45)))
    attribs: dict[str, str] = {}
    for a_s, a_e in subs or ():
        ad = r._dict(a_s, a_e)
        attribs[ad.get(2, "")] = _special(ad.get(1, ""))
    return g, None, attribs


def _dimension(r: DXFTagReader, d: dict, s: int, e: int, subs: Any) -> Result:
    ocs = _ocs_of(d)
    defpoints = [_pt(d, 10)]
    if 11 in d:
        defpoints.append(_opt(d, ocs, 11))
    for code in (13, 14, 15, 16):
        if code in d:
            defpoints.append(_pt(d, code) if code != 16 else _opt(d, ocs, 16))
    text = d.get(1)
    g = {
        "block": d.get(2, ""),
        "dimtype": _i(d.get(70)) & 0x0F,  # the type only: not the flags 32/64/128
        "defpoints": defpoints,
        "measurement": _f(d.get(42)) if 42 in d else None,
        "dimstyle": d.get(3, "Standard"),
    }
    if 50 in d:
        g["rotation"] = _norm_deg(_f(d.get(50)))
    return g, (_special(text) if text and text != "<>" else None), {}


#: Group codes left out of a table's content digest: the block reference (drawn from its block,
#: compared by its own fields) and handles, which a re-save renumbers.
_TABLE_SKIP = frozenset({2, 5, 10, 20, 30, 105, *range(320, 370), *range(390, 400), 480, 481})


#: Left out of an opaque entity's digest: its handle and owners.
_RAW_SKIP = frozenset({5, 330, 360})


def _content_digest(
    r: DXFTagReader, s: int, e: int, skip: frozenset[int], *, kind: str | None = None
) -> str:
    """Digest of an entity's tags but ``skip`` codes, XDATA and 102 groups (led by ``kind``
    when given, as opaque entities' digests are)."""
    from drawings.readers.common import hexdigest

    c, v = r.c, r.v
    tags = []
    in_group = False
    for i in range(s + 1, e):
        code = c[i]
        if code == 102:
            in_group = v[i].strip().startswith("{")
            continue
        if in_group or code in skip or code >= 1000:
            continue
        val = v[i]
        tags.append([code, round(_f(val), 6) + 0.0 if _is_float_code(code) else val.strip()])
    return hexdigest(tags if kind is None else [kind, tags])


def _mline(r: DXFTagReader, d: dict, s: int, e: int, subs: Any) -> Result:
    """MLINE: per vertex its point, miter direction and each element's offset along the miter
    (the first of the element's 41 parameters); element lines join those points, as ezdxf
    draws them (breaks in an element and end caps are not kept)."""
    c, v = r.c, r.v
    verts: list[tuple[float, float]] = []
    miters: list[tuple[float, float]] = []
    offsets: list[list[float]] = []  # per vertex, per element
    i = s + 1
    while i < e:
        code = c[i]
        if code == 11 and i + 1 < e and c[i + 1] == 21:
            verts.append((_f(v[i]), _f(v[i + 1])))
            offsets.append([])
        elif code == 13 and i + 1 < e and c[i + 1] == 23 and verts:
            miters.append((_f(v[i]), _f(v[i + 1])))
        elif code == 74 and verts:
            n = _i(v[i])
            first = next((_f(v[j]) for j in range(i + 1, min(e, i + 1 + n)) if c[j] == 41), 0.0)
            offsets[-1].append(first)
        i += 1
    if not verts or len(miters) != len(verts):
        raise ValueError("MLINE vertices without miter directions")
    count = min(len(o) for o in offsets)
    elements = [[o[k] for o in offsets] for k in range(count)]
    g = {
        "vertices": verts,
        "miters": miters,
        "elements": elements,
        "closed": bool(_i(d.get(71)) & 2),
        "style": d.get(2, "STANDARD"),
    }
    return g, None, {}


def mline_paths(g: dict[str, Any]) -> list[list[float]]:
    """The element lines of an MLINE geometry as flat x, y lists (closed ones repeat the
    first point)."""
    out = []
    for offs in g["elements"]:
        pts: list[float] = []
        for (x, y), (mx, my), o in zip(g["vertices"], g["miters"], offs, strict=False):
            pts += (x + mx * o, y + my * o)
        if g.get("closed") and len(pts) > 4:
            pts += pts[:2]
        out.append(pts)
    return out


def _acad_table(r: DXFTagReader, d: dict, s: int, e: int, subs: Any) -> Result:
    """A table is drawn from its anonymous ``*T`` block, placed at its insertion point (as
    ezdxf and AutoCAD show it); its cells' content is kept as a digest for the diff."""
    g = {
        "block": d.get(2, ""),
        "insert": _pt(d, 10),
        "cells": _content_digest(r, s, e, _TABLE_SKIP),
    }
    return g, None, {}


#: Left out of a proxy-graphic entity's content digest: handles and the graphic itself (a
#: picture of the content, compared through the block made from it).
_PROXY_SKIP = frozenset({5, 92, 105, 160, 310, *range(320, 370), *range(390, 400), 480, 481})


def _proxy_graphic(r: DXFTagReader, d: dict, s: int, e: int, subs: Any) -> Result:
    """Entities the reader has no geometry for but which carry the picture AutoCAD saved
    with them (MULTILEADER, ACAD_PROXY_ENTITY): the picture becomes an anonymous block
    ``*PG<handle>`` (world coordinates) that the entity is drawn and compared by; its other
    tags are kept as a digest.  Without a picture it stays an opaque digest."""
    kind = r.v[s].strip()
    digest = _content_digest(r, s, e, _PROXY_SKIP)
    entities = _picture(r, s, e)
    if not entities:
        r.skipped[kind] = r.skipped.get(kind, 0) + 1
        return {"raw": digest}, None, {}
    name = f"*PG{d.get(5, len(r.blocks))}"
    r.blocks[name] = BlockDef(name=name, base_point=(0.0, 0.0), entities=entities)
    return {"block": name, "proxy": digest}, None, {}


def _picture(r: DXFTagReader, s: int, e: int) -> list[Entity]:
    """The entities of the proxy graphic (group 310 chunks) in ``s:e``, read like any others."""
    c, v = r.c, r.v
    chunks = [v[i].strip() for i in range(s + 1, e) if c[i] == 310]
    if not chunks:
        return []
    try:
        from ezdxf.lldxf.tagwriter import TagCollector
        from ezdxf.proxygraphic import ProxyGraphic

        data = bytes.fromhex("".join(chunks))
        tc = TagCollector(dxfversion=max(r.version, "AC1015"))
        for ent in ProxyGraphic(data, doc=None).virtual_entities():
            ent.export_dxf(tc)
    except Exception as exc:  # ezdxf raises many kinds on a damaged picture
        r.warnings.append(f"proxy graphic {_handle_of(r, s, e)}: unreadable ({exc})")
        return []
    codes, vals = [0, 2], ["SECTION", "ENTITIES"]
    for tag in tc.tags:
        codes.append(tag.code)
        vals.append(repr(tag.value) if isinstance(tag.value, float) else str(tag.value))
    codes += [0, 0]
    vals += ["ENDSEC", "EOF"]
    sub = DXFTagReader(codes, vals, r.name, r.version)
    sub.layers, sub._layers_ci = r.layers, r._layers_ci
    sub.linetypes, sub.text_styles = r.linetypes, r.text_styles
    try:
        sub.scan()
    except DXFDamaged as exc:
        r.warnings.append(f"proxy graphic {_handle_of(r, s, e)}: unreadable ({exc})")
        return []
    return sub.model


def _handle_of(r: DXFTagReader, s: int, e: int) -> str:
    """The handle (group 5) of the entity in ``s:e``, for messages."""
    for i in range(s + 1, e):
        if r.c[i] == 5:
            return r.v[i].strip()
    return "?"


def _ellipse(r: DXFTagReader, d: dict, s: int, e: int, subs: Any) -> Result:
    t0, t1 = _f(d.get(41)), _f(d.get(42), math.tau)
    if _f(d.get(230), 1.0) < 0:
        t0, t1 = -t1, -t0
    full = abs((t1 - t0) - math.tau) < 1e-9
    t0, t1 = (0.0, math.tau) if full else (t0 % math.tau, t1 % math.tau)
    if not full and round(t1, 9) == 0.0:
        t1 = math.tau
    g = {
        "center": _pt(d, 10),
        "major_axis": _pt(d, 11),
        "ratio": _f(d.get(40), 1.0),
        "start_param": t0,
        "end_param": t1,
    }
    return g, None, {}


def _spline(r: DXFTagReader, d: dict, s: int, e: int, subs: Any) -> Result:
    c, v = r.c, r.v
    knots, weights, cps, fits = [], [], [], []
    for i in range(s + 1, e):
        code = c[i]
        if code == 40:
            knots.append(float(v[i]))
        elif code == 41:
            weights.append(float(v[i]))
        elif code == 10:
            cps.append([float(v[i]), 0.0])
        elif code == 20 and cps:
            cps[-1][1] = float(v[i])
        elif code == 11:
            fits.append([float(v[i]), 0.0])
        elif code == 21 and fits:
            fits[-1][1] = float(v[i])
        elif code >= 1000:
            break
    g = {
        "degree": _i(d.get(71), 3),
        "control_points": [tuple(p) for p in cps],
        "knots": knots,
        "weights": weights,
        "fit_points": [tuple(p) for p in fits],
        "closed": bool(_i(d.get(70)) & 1),
    }
    return g, None, {}


def _points4(r: DXFTagReader, d: dict, s: int, e: int, subs: Any) -> Result:
    ocs = None if r.v[s].strip() == "3DFACE" else _ocs_of(d)
    pts = [_opt(d, ocs, code) for code in (10, 11, 12, 13) if code in d]
    return {"points": pts}, None, {}


def _leader(r: DXFTagReader, d: dict, s: int, e: int, subs: Any) -> Result:
    c, v = r.c, r.v
    pts: list[list[float]] = []
    for i in range(s + 1, e):
        code = c[i]
        if code == 10:
            pts.append([float(v[i]), 0.0])
        elif code == 20 and pts:
            pts[-1][1] = float(v[i])
        elif code >= 1000:
            break
    return {"points": [tuple(p) for p in pts], "dimstyle": d.get(3, "")}, None, {}


def _ray(r: DXFTagReader, d: dict, s: int, e: int, subs: Any) -> Result:
    return {"start": _pt(d, 10), "direction": _pt(d, 11)}, None, {}


def _viewport(r: DXFTagReader, d: dict, s: int, e: int, subs: Any) -> Result:
    g = {
        "center": _pt(d, 10),
        "width": _f(d.get(40)),
        "height": _f(d.get(41)),
        "view_center": _pt(d, 12),
        "view_height": _f(d.get(45)),
        "status": _i(d.get(68)),
    }
    return g, None, {}


def _image(r: DXFTagReader, d: dict, s: int, e: int, subs: Any) -> Result:
    g = {"insert": _pt(d, 10), "u": _pt(d, 11), "v": _pt(d, 12), "size": _pt(d, 13)}
    return g, None, {}


def _hatch(r: DXFTagReader, d: dict, s: int, e: int, subs: Any) -> Result:
    from drawings.readers.hatch import parse_hatch

    return parse_hatch(r.c, r.v, s, e, d, _verts, _ocs_of(d)), None, {}


_HANDLERS = {
    "LINE": _line,
    "POINT": _point,
    "CIRCLE": _circle,
    "ARC": _arc,
    "LWPOLYLINE": _lwpolyline,
    "POLYLINE": _polyline,
    "TEXT": _text,
    "ATTDEF": _attdef,
    "ATTRIB": _attrib,
    "MTEXT": _mtext,
    "INSERT": _insert,
    "DIMENSION": _dimension,
    "ELLIPSE": _ellipse,
    "SPLINE": _spline,
    "SOLID": _points4,
    "TRACE": _points4,
    "3DFACE": _points4,
    "LEADER": _leader,
    "VIEWPORT": _viewport,
    "RAY": _ray,
    "XLINE": _ray,
    "IMAGE": _image,
    "WIPEOUT": _image,
    "HATCH": _hatch,
    "ACAD_TABLE": _acad_table,
    "MLINE": _mline,
    "MULTILEADER": _proxy_graphic,
    "MLEADER": _proxy_graphic,
    "ACAD_PROXY_ENTITY": _proxy_graphic,
}


def read_tags(codes: list[int], vals: list[str], name: str, version: str) -> Drawing:
    """The tag lists of a whole DXF file into a :class:`Drawing` (fingerprints not yet set)."""
    return DXFTagReader(codes, vals, name, version).run()


# --------------------------------------------------------------------------- split for two readers

_ENTITIES_RE = re.compile(rb"(?:^|\n)[ \t]*0\r?\nSECTION\r?\n[ \t]*2\r?\nENTITIES\r?\n")
_ENDSEC_RE = re.compile(rb"\n[ \t]*0\r?\nENDSEC\r?\n")
#: A group-code-0 line and the kind after it.  A value line cannot be followed by a line with
#: a letter (a group code is a number), so a match is always a tag pair, never a value.
_KIND_RE = re.compile(rb"\n[ \t]*0\r?\n([0-9]*[A-Z_][A-Z0-9_]*)\r?\n")
_CONTINUATIONS = (b"VERTEX", b"SEQEND", b"ATTRIB")
_MODEL_BLOCK_RE = re.compile(rb"\n[ \t]*2\r?\n\*MODEL_SPACE\r?\n", re.IGNORECASE)


def split_entities(data: bytes) -> tuple[bytes, bytes] | None:
    """An ASCII DXF as two DXFs holding the first and second half of its ENTITIES section.

    Each half keeps everything else (header, tables, blocks, objects), so two processes can
    read a big file's model space in parallel and together hold every entity exactly once.
    The cut falls between two entities (never inside a POLYLINE's vertices or an INSERT's
    attributes).  None when the file does not lend itself: no ENTITIES section, nothing to
    cut, or entities in the ``*Model_Space`` block, which both halves would repeat.
    """
    sec = _near(_ENTITIES_RE, data, b"\nENTITIES", 0)
    if sec is None:
        return None
    start = sec.end() - 1  # the newline before the first entity's 0-tag
    end = _near(_ENDSEC_RE, data, b"\nENDSEC", start)
    if end is None:
        return None
    stop = end.start()
    cut = None
    for m in _KIND_RE.finditer(data, (start + stop) // 2, stop):
        if m.group(1) not in _CONTINUATIONS:
            cut = m.start()
            break
    if cut is None or cut <= start:
        return None
    if not _model_block_empty(data, start):
        return None
    head, tail = data[:start], data[stop:]
    return head + data[start:cut] + tail, head + data[cut:stop] + tail


def _near(pattern: re.Pattern[bytes], data: bytes, word: bytes, pos: int) -> re.Match | None:
    """First match of ``pattern`` around an occurrence of ``word`` (``bytes.find`` is ten
    times faster than a regex over a whole file)."""
    i = data.find(word, pos)
    while i >= 0:
        m = pattern.search(data, max(pos, i - 24), i + len(word) + 24)
        if m is not None:
            return m
        i = data.find(word, i + 1)
    return None


def _model_block_empty(data: bytes, before: int) -> bool:
    """Whether every ``*Model_Space`` BLOCK before ``before`` ends right after its header."""
    blocks = data.rfind(b"BLOCKS", 0, before)
    for m in _MODEL_BLOCK_RE.finditer(data, max(blocks, 0), before):
        nxt = _KIND_RE.search(data, m.end() - 1, before)
        if nxt is None or nxt.group(1) != b"ENDBLK":
            return False
    return True
