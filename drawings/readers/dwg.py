"""DWG (R13-R2018) via ``ezdwg``: its decoded entities re-expressed as DXF tags.

ezdwg gives every entity as a dict of DXF-like attributes.  Rather than a second set of
geometry rules, they are written out as the group codes a DXF of the same drawing would hold
and handed to the tag-level DXF reader, so a DWG and a DXF of the same drawing go through the
very same geometry, style and fingerprint code.
"""

from __future__ import annotations

import math
import os
import tempfile
from typing import Any

from drawings.model import Drawing
from drawings.readers.dxf_fast import read_tags
from drawings.readers.isolate import run_isolated
from storage.display import clip
from storage.errors import FileFormatError

#: ezdwg type name -> DXF entity name where they differ.
#: The element offsets of the STANDARD multiline style (the only one ezdwg lets us know).
_MLINE_STANDARD = (0.5, -0.5)
_KIND = {"POLYLINE_2D": "POLYLINE", "POLYLINE_3D": "POLYLINE", "POLYLINE_MESH": "POLYLINE",
         "POLYLINE_PFACE": "POLYLINE"}  # fmt: skip


#: ezdwg's dimension type names -> DXF group 70 type values.
_DIMTYPES = {"LINEAR": 0, "ROTATED": 0, "ALIGNED": 1, "ANG2LN": 2, "ANGULAR": 2, "DIAMETER": 3,
             "RADIUS": 4, "ANG3PT": 5, "ANGULAR3POINT": 5, "ORDINATE": 6}  # fmt: skip


class _Tags:
    __slots__ = ("c", "v")

    def __init__(self) -> None:
        self.c: list[int] = []
        self.v: list[str] = []

    def add(self, code: int, value: Any) -> None:
        self.c.append(code)
        self.v.append(value if isinstance(value, str) else repr(value) if isinstance(value, float)
                      else str(value))  # fmt: skip

    def pt(self, code: int, p: Any) -> None:
        if p is None:
            return
        self.add(code, float(p[0]))
        self.add(code + 10, float(p[1]))
        if len(p) > 2:
            self.add(code + 20, float(p[2]))

    def extrusion(self, d: dict) -> None:
        ex = d.get("extrusion")
        if ex and (abs(ex[0]) > 1e-12 or abs(ex[1]) > 1e-12 or ex[2] < 0):
            self.pt(210, ex)


def _hex(h: Any) -> str:
    return f"{int(h):X}"


class _DWGToTags:
    def __init__(self, doc: Any) -> None:
        from ezdwg import raw

        self.doc = doc
        self.t = _Tags()
        path = doc.decode_path or doc.path
        self.block_names: dict[int, str] = {}
        for h, name in raw.decode_block_header_names(path):
            self.block_names.setdefault(int(h), name)
        try:
            self.base_points = {
                b["name"]: b.get("base_point") for b in raw.decode_write_blocks(path)
            }
        except Exception:  # older files: base points default to the origin
            self.base_points = {}
        self.layers = {
            lay.name: {
                "handle": lay.handle, "color_index": lay.color, "true_color": lay.true_color,
                "off": not lay.on, "frozen": lay.frozen, "plot": lay.plot,
                "lineweight": lay.lineweight, "linetype": lay.linetype,
            }
            for lay in doc.layers
        }  # fmt: skip
        self.layer_by_handle = {int(v["handle"]): k for k, v in self.layers.items() if v["handle"]}
        try:
            self.dimstyles = {int(v["handle"]): k for k, v in doc.dimstyles().items()}
        except Exception:
            self.dimstyles = {}
        try:
            self.style_rows = [t for t in raw.decode_write_tables(path)
                               if t.get("kind") == "STYLE" and t.get("name")]  # fmt: skip
        except Exception:  # style names are a nicety: "Standard" otherwise
            self.style_rows = []
        self.text_styles = {int(t["handle"]): t["name"] for t in self.style_rows}
        self.warnings: list[str] = []

    # -- sections -----------------------------------------------------------------------------

    def build(self) -> tuple[list[int], list[str]]:
        doc, t = self.doc, self.t
        layouts = doc.layouts()
        model_brs = {int(v["block_record_handle"]) for v in layouts.values() if v.get("model")}
        paper_layouts = {int(v["block_record_handle"]): k for k, v in layouts.items()
                         if not v.get("model") and v.get("block_record_handle")}  # fmt: skip
        active = next((int(v["block_record_handle"]) for v in layouts.values()
                       if v.get("active") and not v.get("model")), None)  # fmt: skip
        model: list = []
        paper: list = []
        blocks: dict[int, list] = {}
        attribs: dict[int, list] = {}
        for e in doc.entities().query():
            if e.dxftype == "ATTRIB":
                owner = e.dxf.get("owner_handle")
                if owner is not None:
                    attribs.setdefault(int(owner), []).append(e)
                continue
            pl = doc.entity_placement(e.handle)
            mode, owner = pl if pl else (2, None)
            if mode == 2 or (mode == 0 and owner in model_brs):
                model.append(e)
            elif mode == 1 or (mode == 0 and owner == active):
                paper.append(e)
            elif mode == 0 and owner is not None:
                blocks.setdefault(int(owner), []).append(e)
        self.attribs = attribs
        names = {br: (f"*Paper_Space{i}" if br != active else "*Paper_Space")
                 for i, br in enumerate(sorted(paper_layouts))}  # fmt: skip
        # HEADER
        self._section("HEADER")
        t.add(9, "$ACADVER")
        t.add(1, doc.version)
        t.add(9, "$INSUNITS")
        t.add(70, int(getattr(doc, "insunits", 0) or 0))
        self._end()
        # TABLES: layers, block records (for the layouts)
        self._section("TABLES")
        for name, info in self.layers.items():
            self._layer(name, info)
        for st in self.style_rows:
            t.add(0, "STYLE")
            t.add(2, st["name"])
            t.add(70, 1 if st.get("shape") else 0)
            t.add(40, float(st.get("height") or 0.0))
            t.add(41, float(st.get("width") or 1.0))
            t.add(50, float(st.get("oblique") or 0.0))
            t.add(3, st.get("font") or "")
            t.add(4, st.get("bigfont") or "")
        for br, name in names.items():
            t.add(0, "BLOCK_RECORD")
            t.add(5, _hex(br))
            t.add(2, name)
        self._end()
        # BLOCKS
        self._section("BLOCKS")
        for owner, ents in blocks.items():
            name = names.get(owner) or self.block_names.get(owner)
            if name is None or name.upper() in ("*MODEL_SPACE",):
                continue
            t.add(0, "BLOCK")
            t.add(2, name)
            t.pt(10, self.base_points.get(name) or (0.0, 0.0))
            for e in ents:
                self._entity(e, paper=False)
            t.add(0, "ENDBLK")
        self._end()
        self._section("ENTITIES")
        for e in model:
            self._entity(e, paper=False)
        for e in paper:
            self._entity(e, paper=True)
        self._end()
        self._section("OBJECTS")
        for name, lay in layouts.items():
            if lay.get("model"):
                continue
            t.add(0, "LAYOUT")
            t.add(100, "AcDbPlotSettings")
            t.add(44, float(lay.get("paper_width") or 0.0))
            t.add(45, float(lay.get("paper_height") or 0.0))
            t.add(72, 1 if lay.get("paper_units", 1) == 1 else 0)
            t.add(73, int(lay.get("plot_rotation") or 0))
            t.add(100, "AcDbLayout")
            t.add(1, name)
            t.add(71, int(lay.get("tab_order") or 0))
            t.add(330, _hex(lay["block_record_handle"]))
        self._end()
        t.add(0, "EOF")
        return t.c, t.v

    def _section(self, name: str) -> None:
        self.t.add(0, "SECTION")
        self.t.add(2, name)

    def _end(self) -> None:
        self.t.add(0, "ENDSEC")

    def _layer(self, name: str, info: dict) -> None:
        t = self.t
        t.add(0, "LAYER")
        t.add(2, name)
        aci = int(info.get("color_index") or 7)
        t.add(62, -abs(aci) if info.get("off") else abs(aci))
        if info.get("true_color") is not None:
            t.add(420, int(info["true_color"]) & 0xFFFFFF)
        t.add(6, info.get("linetype") or "Continuous")
        lw = info.get("lineweight")
        t.add(370, -3 if lw is None else int(lw))
        t.add(70, 1 if info.get("frozen") else 0)
        t.add(290, 1 if info.get("plot", True) else 0)

    # -- entities ------------------------------------------------------------------------------

    def _common(self, kind: str, e: Any, paper: bool) -> dict:
        t, d = self.t, e.dxf
        t.add(0, kind)
        t.add(5, _hex(e.handle))
        if paper:
            t.add(67, 1)
        t.add(8, self.layer_by_handle.get(d.get("layer_handle"), "0"))
        aci = d.get("color_index")
        if aci is not None and aci != 256:
            t.add(62, int(aci))
        if d.get("true_color") is not None:
            t.add(420, int(d["true_color"]) & 0xFFFFFF)
        lt = d.get("linetype")
        if lt and lt.upper() != "BYLAYER":
            t.add(6, lt)
        lw = d.get("lineweight")
        if lw is not None and lw != -1:
            t.add(370, int(lw))
        return d

    def _entity(self, e: Any, *, paper: bool) -> None:
        kind = _KIND.get(e.dxftype, e.dxftype)
        fn = getattr(self, "_e_" + kind.replace("3D", "X3D"), None)
        start = len(self.t.c)
        try:
            d = self._common(kind, e, paper)
            if fn is None:
                self._opaque(d)
            else:
                fn(d, e)
        except (KeyError, TypeError, ValueError, IndexError) as exc:
            del self.t.c[start:], self.t.v[start:]
            self.warnings.append(f"DWG {e.dxftype} {_hex(e.handle)}: skipped ({exc})")

    def _opaque(self, d: dict) -> None:
        """Kinds without geometry rules: their decoded attributes, rounded, as one string."""
        from drawings.readers.common import canon, hexdigest

        skip = ("handle", "owner", "layer_handle", "color", "linetype", "lineweight", "style")
        data = {k: v for k, v in d.items() if not any(s in k for s in skip)}
        self.t.add(1, hexdigest(canon(data)))

    def _e_LINE(self, d: dict, e: Any) -> None:
        self.t.pt(10, d["start"])
        self.t.pt(11, d["end"])

    def _e_POINT(self, d: dict, e: Any) -> None:
        self.t.pt(10, d["location"])

    def _e_CIRCLE(self, d: dict, e: Any) -> None:
        self.t.pt(10, d["center"])
        self.t.add(40, float(d["radius"]))
        self.t.extrusion(d)

    def _e_ARC(self, d: dict, e: Any) -> None:
        self._e_CIRCLE(d, e)
        self.t.add(50, float(d["start_angle"]))
        self.t.add(51, float(d["end_angle"]))

    def _e_ELLIPSE(self, d: dict, e: Any) -> None:
        t = self.t
        t.pt(10, d["center"])
        t.pt(11, d["major_axis"])
        t.add(40, float(d.get("axis_ratio") or 1.0))
        t.add(41, float(d.get("start_angle") or 0.0))
        t.add(42, float(d.get("end_angle", math.tau)))
        t.extrusion(d)

    def _e_LWPOLYLINE(self, d: dict, e: Any) -> None:
        t = self.t
        t.add(70, 1 if d.get("closed") else 0)
        if d.get("const_width"):
            t.add(43, float(d["const_width"]))
        bulges = d.get("bulges") or []
        for i, p in enumerate(d["points"]):
            t.add(10, float(p[0]))
            t.add(20, float(p[1]))
            b = bulges[i] if i < len(bulges) else 0.0
            if b:
                t.add(42, float(b))
        t.extrusion(d)

    def _e_POLYLINE(self, d: dict, e: Any) -> None:
        t = self.t
        typ = e.dxftype
        flags = 1 if d.get("closed") else 0
        if typ == "POLYLINE_3D":
            flags |= 8
        elif typ == "POLYLINE_MESH":
            flags |= 16
        elif typ == "POLYLINE_PFACE":
            flags |= 64
        t.add(66, 1)
        t.add(70, flags)
        t.extrusion(d)
        pts = d.get("points") or d.get("vertices") or []
        bulges = d.get("bulges") or []
        for i, p in enumerate(pts):
            t.add(0, "VERTEX")
            t.add(8, "0")
            t.pt(10, p)
            b = bulges[i] if i < len(bulges) else 0.0
            if b:
                t.add(42, float(b))
            if flags & 64:
                t.add(70, 128 | 64)
        t.add(0, "SEQEND")

    def _style(self, d: dict) -> None:
        name = self.text_styles.get(d.get("style_handle"))
        if name:
            self.t.add(7, name)

    def _text_common(self, d: dict, valign_code: int) -> None:
        t = self.t
        self._style(d)
        t.pt(10, d["insert"])
        t.add(40, float(d.get("height") or 1.0))
        t.add(1, d.get("text") or "")
        if d.get("rotation"):
            t.add(50, float(d["rotation"]))
        if d.get("width") not in (None, 1.0):
            t.add(41, float(d["width"]))
        h, v = int(d.get("halign") or 0), int(d.get("valign") or 0)
        if h:
            t.add(72, h)
        if d.get("align_point") is not None and (h or v):
            t.pt(11, d["align_point"])
        if v:
            t.add(valign_code, v)
        t.extrusion(d)

    def _e_TEXT(self, d: dict, e: Any) -> None:
        self._text_common(d, 73)

    def _e_ATTDEF(self, d: dict, e: Any) -> None:
        self._text_common(d, 74)
        self.t.add(2, d.get("tag") or "")
        self.t.add(3, d.get("prompt") or "")

    def _e_MTEXT(self, d: dict, e: Any) -> None:
        t = self.t
        self._style(d)
        t.pt(10, d["insert"])
        t.add(40, float(d.get("char_height") or 1.0))
        t.add(41, float(d.get("rect_width") or 0.0))
        t.add(71, int(d.get("attachment_point") or 1))
        raw = d.get("raw_text") or d.get("text") or ""
        t.add(1, raw.replace("\r\n", "\\P").replace("\n", "\\P"))
        if d.get("text_direction"):
            t.pt(11, d["text_direction"])
        t.extrusion(d)

    def _e_INSERT(self, d: dict, e: Any) -> None:
        t = self.t
        atts = self.attribs.get(int(e.handle), [])
        if atts:
            t.add(66, 1)
        t.add(2, d.get("name") or "")
        t.pt(10, d["insert"])
        t.add(41, float(d.get("xscale", 1.0)))
        t.add(42, float(d.get("yscale", 1.0)))
        t.add(50, float(d.get("rotation") or 0.0))
        t.extrusion(d)
        for a in atts:
            ad = a.dxf
            t.add(0, "ATTRIB")
            t.add(8, self.layer_by_handle.get(ad.get("layer_handle"), "0"))
            t.add(2, ad.get("tag") or "")
            t.add(1, ad.get("text") or "")
            t.pt(10, ad["insert"])
        if atts:
            t.add(0, "SEQEND")

    def _e_DIMENSION(self, d: dict, e: Any) -> None:
        t = self.t
        t.add(2, d.get("anonymous_block_name") or "")
        t.add(3, self.dimstyles.get(d.get("dimstyle_handle"), "Standard"))
        typ = _DIMTYPES.get(str(d.get("dimtype") or "").upper())
        t.add(70, typ if typ is not None else int(d.get("dim_flags") or 0) & 7)
        t.pt(10, d.get("defpoint"))
        t.pt(11, d.get("text_midpoint"))
        if typ in (3, 4):  # diameter, radius: DXF has only 15 (ezdwg fills the others too)
            t.pt(15, d.get("defpoint4") or d.get("defpoint3"))
        else:
            t.pt(13, d.get("defpoint2"))
            t.pt(14, d.get("defpoint3"))
            t.pt(15, d.get("defpoint4"))
            t.pt(16, d.get("defpoint5"))
        if d.get("actual_measurement") is not None:
            t.add(42, float(d["actual_measurement"]))
        if d.get("text"):
            t.add(1, d["text"])
        if d.get("angle"):
            t.add(50, float(d["angle"]))
        t.extrusion(d)

    def _e_SPLINE(self, d: dict, e: Any) -> None:
        t = self.t
        flags = (1 if d.get("closed") else 0) | (2 if d.get("periodic") else 0)
        flags |= 4 if d.get("rational") else 0
        t.add(70, flags)
        t.add(71, int(d.get("degree") or 3))
        for k in d.get("knots") or []:
            t.add(40, float(k))
        for w in d.get("weights") or []:
            t.add(41, float(w))
        for p in d.get("control_points") or []:
            t.pt(10, p)
        for p in d.get("fit_points") or []:
            t.pt(11, p)

    def _e_SOLID(self, d: dict, e: Any) -> None:
        for code, p in zip((10, 11, 12, 13), d["points"], strict=False):
            self.t.pt(code, p)
        self.t.extrusion(d)

    _e_TRACE = _e_SOLID

    def _e_X3DFACE(self, d: dict, e: Any) -> None:
        for code, p in zip((10, 11, 12, 13), d["points"], strict=False):
            self.t.pt(code, p)

    def _e_RAY(self, d: dict, e: Any) -> None:
        self.t.pt(10, d["start"])
        self.t.pt(11, d["unit_vector"])

    _e_XLINE = _e_RAY

    def _e_MLINE(self, d: dict, e: Any) -> None:
        """ezdwg gives the vertices, directions and miters but not the elements' offsets
        along each miter: those of the STANDARD style (+0.5, -0.5), justified and scaled,
        divided by the miter's sine (as the DXF writes them)."""
        t = self.t
        pts = d.get("points") or []
        dirs = d.get("vertex_directions") or []
        miters = d.get("miter_directions") or []
        if not pts or len(dirs) != len(pts) or len(miters) != len(pts):
            raise ValueError("MLINE without vertex and miter directions")
        scale = float(d.get("scale") or 1.0)
        offsets = list(_MLINE_STANDARD)
        just = int(d.get("justification") or 0)
        shift = -max(offsets) if just == 0 else (-min(offsets) if just == 2 else 0.0)
        t.add(2, "STANDARD")
        t.add(40, scale)
        t.add(70, just)
        t.add(71, 1 | (2 if d.get("closed") else 0))
        t.add(72, len(pts))
        t.add(73, len(offsets))
        for p, v, m in zip(pts, dirs, miters, strict=True):
            t.pt(11, p)
            t.pt(12, v)
            t.pt(13, m)
            sine = v[0] * m[1] - v[1] * m[0]
            for off in offsets:
                t.add(74, 1)
                t.add(41, (off + shift) * scale / sine if abs(sine) > 1e-12 else 0.0)
                t.add(75, 0)

    def _e_LEADER(self, d: dict, e: Any) -> None:
        for p in d.get("points") or []:
            self.t.pt(10, p)

    def _e_VIEWPORT(self, d: dict, e: Any) -> None:
        t = self.t
        t.pt(10, d["center"])
        t.add(40, float(d.get("width") or 0.0))
        t.add(41, float(d.get("height") or 0.0))
        if d.get("view_center") is not None:
            t.pt(12, d["view_center"])
        if d.get("view_height") is not None:
            t.add(45, float(d["view_height"]))

    def _e_HATCH(self, d: dict, e: Any) -> None:
        t = self.t
        t.add(2, d.get("pattern_name") or "")
        solid = bool(d.get("solid_fill"))
        t.add(70, 1 if solid else 0)
        paths = d.get("paths") or []
        t.add(91, len(paths))
        for path in paths:
            pts = path.get("points") or []
            bulges = path.get("bulges") or []
            t.add(92, 2)
            t.add(72, 1 if any(bulges) else 0)
            t.add(73, 1 if path.get("closed", True) else 0)
            t.add(93, len(pts))
            for i, p in enumerate(pts):
                t.add(10, float(p[0]))
                t.add(20, float(p[1]))
                if any(bulges):
                    t.add(42, float(bulges[i] if i < len(bulges) else 0.0))
            t.add(97, 0)
        t.add(75, 0)
        t.add(76, 1)
        if not solid:
            t.add(52, float(d.get("pattern_angle") or 0.0))
            t.add(41, float(d.get("pattern_scale") or 1.0))
        t.extrusion(d)


def _dwg_tags(path: str, name: str, version: str) -> tuple[list[int], list[str], list[str]]:
    import ezdwg

    try:
        conv = _DWGToTags(ezdwg.read(path))
        codes, vals = conv.build()
    except FileFormatError:
        raise
    except Exception as e:  # ezdwg raises ValueError/RuntimeError/... on damaged files
        raise FileFormatError(name, f"unreadable DWG {version}: {clip(e)}") from None
    return codes, vals, conv.warnings


def read_dwg(data: bytes, name: str, version: str) -> Drawing:
    """A DWG through ``ezdwg``, in a child process with a memory budget (a damaged DWG can
    make it ask for gigabytes and abort: :mod:`drawings.readers.isolate`)."""
    fd, tmp = tempfile.mkstemp(suffix=".dwg")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        codes, vals, warnings = run_isolated(
            lambda: _dwg_tags(tmp, name, version), name, len(data), f"DWG {version}"
        )
    finally:
        os.unlink(tmp)
    drawing = read_tags(codes, vals, name, version)
    drawing.format = "dwg"
    drawing.version = version
    drawing.warnings[:0] = warnings
    return drawing
