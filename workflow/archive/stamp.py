"""竣工图章: the as-built stamp on a PDF render of each as-built sheet.

A red 80 × 50 mm stamp (GB/T 50328's 竣工图章) is drawn above the sheet's title block (found as
what is drawn in the lower right corner of the drawing's frame: the stamp goes at the lowest
free place above it), reading 竣工图,
then 施工单位, 编制人 / 审核人, 技术负责人 / 编制日期, 监理单位, 现场监理 / 总监, each filled from
the signed events (what the chain does not record stays blank, never invented).

The render's text is turned into outlines first (PyMuPDF's SVG with text as paths, read back
as PDF): the renderer writes CJK text in a font it does not embed, and a PDF for the archive
must carry every font it uses.  The stamp's own text is in an embedded, subset font.
"""

from __future__ import annotations

from typing import Any

MM = 72 / 25.4
WIDTH, HEIGHT = 80 * MM, 50 * MM
SIDE = 40 * MM  # room kept free on the stamp's left
RED = (0.85, 0.0, 0.0)
#: The stamp's rows: (label, field key) pairs; one pair spans the whole row.
ROWS: tuple[tuple[tuple[str, str], ...], ...] = (
    (("施工单位", "contractor"),),
    (("编制人", "prepared_by"), ("审核人", "checked_by")),
    (("技术负责人", "technical_lead"), ("编制日期", "prepared_on")),
    (("监理单位", "supervisor"),),
    (("现场监理", "site_supervisor"), ("总监", "chief_supervisor")),
)
FIELDS = tuple(key for row in ROWS for _, key in row)


def stamped_pdf(data: bytes, *, name: str, layout: str | None, sheet_no: str,
                fields: dict[str, str], title: str) -> bytes:
    """Render one sheet to PDF and stamp it; ``fields`` maps :data:`FIELDS` to their values."""
    import pymupdf

    from drawings.render import render_source

    rendered = render_source(data, "pdf", name=name, layout=layout).data
    src = pymupdf.open(stream=rendered, filetype="pdf")
    try:
        page = src[0]
        box = _stamp_box(page)
        svg = page.get_svg_image(text_as_path=True)
    finally:
        src.close()
    doc = pymupdf.open(stream=pymupdf.open(stream=svg.encode(), filetype="svg").convert_to_pdf(),
                       filetype="pdf")
    try:
        _draw(doc[0], box, fields)
        doc.set_metadata({"title": title, "subject": f"竣工图 as-built {sheet_no}",
                          "creator": "yitaotu", "producer": "yitaotu archive",
                          "keywords": "竣工图章"})
        doc.subset_fonts()
        return doc.tobytes(garbage=3, deflate=True)
    finally:
        doc.close()


def _stamp_box(page: Any) -> Any:
    """Above the title block: inside the drawing's frame (its largest rectangle, else the
    page), right-aligned with it, at the lowest place above the frame's bottom where the
    stamp covers no line, shape or text (a title block's rules push it above the block)."""
    import pymupdf

    r = page.rect
    margin = 2 * MM
    frames, obstacles = [], []
    for d in page.get_drawings():
        items = d.get("items") or []
        rect_like = (all(i[0] == "l" for i in items) and len(items) in (4, 5)) or \
            (len(items) == 1 and items[0][0] == "re")
        if rect_like and d["rect"].width > r.width / 4 and d["rect"].height > r.height / 4:
            frames.append(d["rect"])
            continue
        for item in items:
            xs, ys = [], []
            for v in item[1:]:
                if isinstance(v, pymupdf.Point):
                    xs.append(v.x)
                    ys.append(v.y)
                elif isinstance(v, (pymupdf.Rect, pymupdf.Quad)):
                    b = v.rect if isinstance(v, pymupdf.Quad) else v
                    xs += [b.x0, b.x1]
                    ys += [b.y0, b.y1]
            if xs:
                obstacles.append(pymupdf.Rect(min(xs) - 0.5, min(ys) - 0.5, max(xs) + 0.5,
                                              max(ys) + 0.5))
    obstacles += [pymupdf.Rect(b[:4]) for b in page.get_text("blocks")]
    frame = max(frames, key=lambda x: x.width * x.height, default=None)
    if frame is None or frame.width < WIDTH + 2 * margin or frame.height < HEIGHT + 2 * margin:
        frame = r + (10 * MM, 10 * MM, -10 * MM, -10 * MM)
    right = frame.x1 - margin
    # first keep SIDE free on its left too (beside the title block is not above it), then
    # only the stamp's own place, then the corner
    for side in (SIDE, 0.0):
        bottom = frame.y1 - margin
        while bottom - HEIGHT >= frame.y0 + margin:
            box = pymupdf.Rect(right - WIDTH, bottom - HEIGHT, right, bottom)
            hit = [o for o in obstacles if o.intersects(box + (-side, 0, 0, 0))]
            if not hit:
                return box
            bottom = min(o.y0 for o in hit) - margin  # jump above what is in the way
    return pymupdf.Rect(right - WIDTH, frame.y1 - margin - HEIGHT, right, frame.y1 - margin)


def _draw(page: Any, box: Any, fields: dict[str, str]) -> None:
    import pymupdf

    font = pymupdf.Font("china-s")
    rows = len(ROWS) + 1
    h = box.height / rows
    page.draw_rect(box, color=RED, fill=(1, 1, 1), width=1.2)
    writer = pymupdf.TextWriter(page.rect, color=RED)
    _text(writer, font, "竣工图", pymupdf.Rect(box.x0, box.y0, box.x1, box.y0 + h), 14)
    quarter = box.width / 4
    for n, row in enumerate(ROWS, start=1):
        y0 = box.y0 + n * h
        page.draw_line((box.x0, y0), (box.x1, y0), color=RED, width=0.6)
        cells = [(label, key, box.x0 + i * 2 * quarter, 2 * quarter if len(row) > 1
                  else box.width) for i, (label, key) in enumerate(row)]
        for label, key, x, span in cells:
            page.draw_line((x + quarter, y0), (x + quarter, y0 + h), color=RED, width=0.4)
            if x > box.x0:
                page.draw_line((x, y0), (x, y0 + h), color=RED, width=0.6)
            _text(writer, font, label, pymupdf.Rect(x, y0, x + quarter, y0 + h), 7)
            _text(writer, font, fields.get(key) or "", pymupdf.Rect(x + quarter, y0, x + span,
                                                                      y0 + h), 7)
    writer.write_text(page)


def _text(writer: Any, font: Any, text: str, cell: Any, size: float) -> None:
    """``text`` centred in ``cell``, made smaller when it would not fit."""
    if not text:
        return
    room = cell.width - 2 * MM
    size = min(size, room / max(font.text_length(text, fontsize=1), 1e-6), cell.height * 0.7)
    w = font.text_length(text, fontsize=size)
    x = cell.x0 + (cell.width - w) / 2
    y = cell.y0 + (cell.height + size * 0.7) / 2
    writer.append((x, y), text, font=font, fontsize=size)
