"""Generated test sheets: DXF with a title block (ezdxf) and multi-page PDFs (PyMuPDF)."""

from __future__ import annotations

from pathlib import Path

import ezdxf


def make_dxf(
    path: Path,
    number: str | None = None,
    title: str | None = None,
    *,
    seed: int = 0,
    attribs: bool = False,
    lines: int = 5,
) -> Path:
    """A small sheet: some lines (``seed`` moves them) and a title block.

    The title block is TEXT labels and values, or (``attribs=True``) an INSERT of a
    TITLE block whose ATTRIBs are tagged 图号/图名.
    """
    doc = ezdxf.new("R2013", setup=False)
    msp = doc.modelspace()
    for i in range(lines):
        msp.add_line((i * 100 + seed, 0), (i * 100 + seed, 1000), dxfattribs={"layer": "A-WALL"})
    if number is not None or title is not None:
        if attribs:
            blk = doc.blocks.new("TITLE")
            blk.add_attdef("图号", (0, 0), dxfattribs={"height": 5})
            blk.add_attdef("图名", (0, 10), dxfattribs={"height": 5})
            ref = msp.add_blockref("TITLE", (5000, 0))
            values = {}
            if number is not None:
                values["图号"] = number
            if title is not None:
                values["图名"] = title
            ref.add_auto_attribs(values)
        else:
            if number is not None:
                msp.add_text("图号", dxfattribs={"insert": (5000, 0), "height": 5})
                msp.add_text(number, dxfattribs={"insert": (5030, 0), "height": 5})
            if title is not None:
                msp.add_text("图名", dxfattribs={"insert": (5000, 10), "height": 5})
                msp.add_text(title, dxfattribs={"insert": (5030, 10), "height": 5})
    path.parent.mkdir(parents=True, exist_ok=True)
    doc.saveas(path)
    return path


def make_pdf(path: Path, numbers: list[str | None], *, seed: int = 0) -> Path:
    """A PDF with one page per entry; a page with a number carries ``图号: <number>``."""
    import pymupdf

    doc = pymupdf.open()
    for i, number in enumerate(numbers):
        page = doc.new_page(width=842, height=595)
        page.draw_line((50 + seed, 50), (400 + seed, 300 + i))
        page.draw_rect(pymupdf.Rect(60, 60, 200 + i * 10, 160))
        if number is not None:
            page.insert_text((700, 560), f"Sheet {number}", fontsize=9)
            page.insert_text((700, 575), number, fontsize=9)
    path.parent.mkdir(parents=True, exist_ok=True)
    doc.save(path)
    doc.close()
    return path
