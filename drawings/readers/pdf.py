"""Vector PDF pages via PyMuPDF: one sheet per page, paths and text spans in points, y up.

Path handles are ``p<page>:<index>`` and text handles ``p<page>:t<index>`` (page numbers from
1, indexes in PyMuPDF's drawing order), so they are stable for the same bytes.
"""

from __future__ import annotations

import math
from typing import Any

from drawings.model import Drawing, Entity, LayerInfo, Sheet
from storage.errors import FileFormatError

PT_TO_HUNDREDTH_MM = 35.27777777777778
#: PDF coordinates are single precision at best; keep 3 decimals (0.35 um) and drop the noise.
PT_DECIMALS = 3


def _hex(color: Any) -> str | None:
    if not color:
        return None
    if len(color) == 1:
        color = (color[0],) * 3
    if len(color) == 4:  # CMYK
        c, m, y, k = color
        color = ((1 - c) * (1 - k), (1 - m) * (1 - k), (1 - y) * (1 - k))
    r, g, b = (max(0, min(255, round(float(v) * 255))) for v in color[:3])
    return f"#{r:02x}{g:02x}{b:02x}"


def _linetype(dashes: Any) -> str:
    if not dashes:
        return "Continuous"
    s = str(dashes).strip()
    return "Continuous" if s.startswith("[]") or s == "" else s


class _Page:
    def __init__(self, page: Any, number: int) -> None:
        self.page = page
        self.n = number
        r = page.rect
        self.x0, self.h = r.x0, r.y1

    def pt(self, p: Any) -> tuple[float, float]:
        return (round(float(p.x) - self.x0, PT_DECIMALS) + 0.0,
                round(self.h - float(p.y), PT_DECIMALS) + 0.0)  # fmt: skip

    def paths(self) -> list[Entity]:
        out = []
        for i, d in enumerate(self.page.get_drawings()):
            items = []
            for it in d.get("items", ()):
                op = it[0]
                if op == "l":
                    items.append(("l", self.pt(it[1]), self.pt(it[2])))
                elif op == "c":
                    items.append(("c", *(self.pt(p) for p in it[1:5])))
                elif op == "re":
                    rect = it[1]
                    (x0, y0), (x1, y1) = self.pt(rect.tl), self.pt(rect.br)
                    items.append(("re", min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)))
                elif op == "qu":
                    q = it[1]
                    pts = [self.pt(q.ul), self.pt(q.ur), self.pt(q.lr), self.pt(q.ll)]
                    items += [("l", pts[k], pts[(k + 1) % 4]) for k in range(4)]
            if not items:
                continue
            stroke = _hex(d.get("color"))
            fill = _hex(d.get("fill"))
            width = round(float(d.get("width") or 0.0), PT_DECIMALS) if stroke else 0.0
            geometry = {
                "items": items,
                "fill": fill,
                "stroke": stroke,
                "width": width,
                "closed": bool(d.get("closePath")),
            }
            style = {
                "color": stroke or fill or "#000000",
                "linetype": _linetype(d.get("dashes")) if stroke else "Continuous",
                "lineweight": round(width * PT_TO_HUNDREDTH_MM) if stroke else -3,
            }
            layer = d.get("layer") or "0"
            out.append(Entity("PATH", layer, f"p{self.n}:{i}", geometry, None, style))
        return out

    def texts(self) -> list[Entity]:
        out = []
        k = 0
        data = self.page.get_text("dict")
        for block in data.get("blocks", ()):
            for line in block.get("lines", ()):
                dx, dy = line.get("dir", (1.0, 0.0))
                rot = math.degrees(math.atan2(-dy, dx)) % 360.0
                for span in line.get("spans", ()):
                    text = span.get("text", "")
                    if not text.strip():
                        continue
                    ox, oy = span.get("origin", (0.0, 0.0))
                    geometry = {
                        "insert": (
                            round(float(ox) - self.x0, PT_DECIMALS) + 0.0,
                            round(self.h - float(oy), PT_DECIMALS) + 0.0,
                        ),
                        "height": round(float(span.get("size", 0.0)), PT_DECIMALS),
                        "rotation": 0.0 if round(rot, 6) in (0.0, 360.0) else rot,
                        "font": span.get("font", ""),
                    }
                    c = span.get("color", 0)
                    style = {"color": f"#{int(c) & 0xFFFFFF:06x}", "linetype": "Continuous",
                             "lineweight": -3}  # fmt: skip
                    out.append(Entity("TEXT", "0", f"p{self.n}:t{k}", geometry, text, style))
                    k += 1
        return out


def read_pdf(data: bytes, name: str) -> Drawing:
    import pymupdf

    try:
        doc = pymupdf.open(stream=data, filetype="pdf")
    except Exception as e:  # pymupdf raises FileDataError / RuntimeError on damage
        raise FileFormatError(name, f"unreadable PDF: {e}") from None
    warnings: list[str] = []
    try:
        if doc.needs_pass:
            raise FileFormatError(name, "encrypted PDF (password required) / PDF 已加密")
        if doc.page_count == 0:
            raise FileFormatError(name, "PDF has no pages / PDF 没有页面")
        sheets = []
        layers: dict[str, LayerInfo] = {"0": LayerInfo("0")}
        for pno in range(doc.page_count):
            page = doc[pno]
            p = _Page(page, pno + 1)
            try:
                ents = p.paths() + p.texts()
            except Exception as e:  # a damaged content stream: keep the other pages
                warnings.append(f"page {pno + 1}: unreadable content ({e})")
                ents = []
            for e in ents:
                if e.layer not in layers:
                    layers[e.layer] = LayerInfo(e.layer)
            w, h = page.rect.width, page.rect.height
            if not ents and page.get_images():
                warnings.append(f"page {pno + 1}: raster only (scanned?), no vector content")
            paper = {"width": w, "height": h, "units": "pt"}
            if page.rotation:  # /Rotate: the diff notes a page turned (rect is already turned)
                paper["page_rotation"] = int(page.rotation)
            sheets.append(Sheet(f"Page {pno + 1}", ents, paper=paper))
        version = f"PDF-{doc.metadata.get('format', 'PDF 1.7').split()[-1]}"
    finally:
        doc.close()
    return Drawing(
        path=name, format="pdf", version=version, units="pt", sheets=sheets, layers=layers,
        warnings=warnings,
    )  # fmt: skip
