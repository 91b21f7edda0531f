"""Plain signed documents of the loop as PDF: Chinese and Latin text, A4, searchable.

The 审查合格书 and the 图纸会审纪要 are lines of text; this writes them with PyMuPDF (CJK runs
in the ``china-s`` font, Latin runs in Helvetica, whose glyphs are not full width) and keeps
only the glyphs used, so a page stays small.
"""

from __future__ import annotations

import re
from datetime import datetime

from workflow.clock import CHINA_TZ

Line = tuple[float, str]  # (font size in points, text)


def text_pdf(lines: list[Line], *, title: str, subject: str) -> bytes:
    import pymupdf

    doc = pymupdf.open()
    width, height = pymupdf.paper_size("a4")
    cjk, latin = pymupdf.Font("china-s"), pymupdf.Font("helv")
    page, y, writer = None, height, None
    for size, text in lines:
        for chunk in _wrap(text, size, width - 112):
            if y > height - 60:
                if writer is not None:
                    writer.write_text(page)
                page = doc.new_page(width=width, height=height)
                writer, y = pymupdf.TextWriter(page.rect), 60.0
            x = 56.0
            for run in re.findall(r"[ -~]+|[^ -~]+", chunk):
                font = latin if run.isascii() else cjk
                _, end = writer.append((x, y), run, font=font, fontsize=size)
                x = end.x
            y += size * 1.7
    if writer is None:
        page = doc.new_page(width=width, height=height)
        writer = pymupdf.TextWriter(page.rect)
    writer.write_text(page)
    doc.set_metadata({"title": title, "creator": "yitaotu", "subject": subject})
    doc.subset_fonts()
    data = doc.tobytes(garbage=3, deflate=True)
    doc.close()
    return data


def _wrap(text: str, size: float, room: float) -> list[str]:
    """Cut a long line to fit the page: between CJK characters, or at a space in Latin text
    (CJK glyphs are about one em wide, Latin about half)."""
    out, cur, used = [], "", 0.0
    for token in re.findall(r"[!-~]+ ?|.", text):
        w = sum(size * (0.55 if ch.isascii() else 1.0) for ch in token)
        if used + w > room and cur.strip():
            out.append(cur.rstrip())
            cur, used = "    ", size * 2.2
        cur += token
        used += w
    return [*out, cur] if cur or not out else out


def china_time(when: datetime) -> str:
    return f"{when.astimezone(CHINA_TZ):%Y-%m-%d %H:%M} (UTC+8)"
