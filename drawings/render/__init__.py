"""Rendering of sheets from the neutral model: PDF (text kept as text), PNG, SVG, overlays, tiles.

The route is model -> display list (:mod:`.flatten`) -> one PDF content stream per page
(:mod:`.pdf`) -> PyMuPDF for rasters (PNG, tiles) and SVG, so every output shows the same
picture and nothing is drawn one object per entity.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path

from drawings.model import Drawing
from drawings.render.limits import RenderLimits
from drawings.render.page import (
    DEFAULT_PAPER,
    PAPER_SIZES,
    PageSpec,
    build,
    pick_sheet,
    plan,
)
from drawings.render.split import Rendered
from storage.errors import InvalidInput

#: Bump whenever output pixels may change: tile caches are keyed by it.
RENDERER_VERSION = "yitaotu-render/1"
FORMATS = ("png", "pdf", "svg")
MAX_PIXELS = 400_000_000

Progress = Callable[[str], None]

__all__ = [
    "DEFAULT_PAPER",
    "FORMATS",
    "PAPER_SIZES",
    "RENDERER_VERSION",
    "PageSpec",
    "RenderLimits",
    "Rendered",
    "build",
    "format_of",
    "atlas",
    "overlay",
    "overlay_paths",
    "pick_sheet",
    "plan",
    "render",
    "render_bytes",
    "render_source",
    "model_plans",
    "to_png",
    "to_svg",
]


def format_of(path: str | Path) -> str:
    ext = Path(path).suffix.lower().lstrip(".")
    if ext not in FORMATS:
        raise InvalidInput(
            f"{path}: unsupported output format {ext or '(none)'!r} / 不支持的输出格式; "
            f"use .png, .pdf or .svg"
        )
    return ext


def zoom_for(page_width: float, page_height: float, dpi: float | None, width: int | None) -> float:
    """Device pixels per point for a page of that size (pt) at ``dpi`` or ``width`` pixels."""
    if width is not None:
        if width <= 0:
            raise InvalidInput(f"--width must be positive / 宽度必须为正: {width}")
        z = width / page_width
    else:
        dpi = 150.0 if dpi is None else float(dpi)
        if dpi <= 0:
            raise InvalidInput(f"--dpi must be positive / 分辨率必须为正: {dpi}")
        z = dpi / 72.0
    if page_width * z * page_height * z > MAX_PIXELS:
        raise InvalidInput(f"image too large / 图像过大: {page_width * z:.0f} px wide")
    return z


_MIN_LW = False


def min_line_width() -> None:
    """Draw every line at least one pixel wide, as CAD viewers do (lineweight 0 = hairline)."""
    global _MIN_LW
    if not _MIN_LW:
        import pymupdf

        pymupdf.TOOLS.set_graphics_min_line_width(1.0)
        _MIN_LW = True


def to_png(page, *, dpi: float | None = None, width: int | None = None) -> bytes:
    """Rasterise a page to PNG bytes at ``dpi`` (default 150) or ``width`` pixels."""
    from drawings.render.raster import render_png

    z = zoom_for(page.rect.width, page.rect.height, dpi, width)
    min_line_width()
    return render_png(page, z)


def png_bytes(pix) -> bytes:
    """PNG of a pixmap (see :mod:`drawings.render.raster`: fast deflate of mostly white paper)."""
    from drawings.render.raster import png_bytes as encode

    return encode(pix)


def to_svg(page) -> bytes:
    svg = page.get_svg_image(text_as_path=False)
    # viewers lacking Heiti fall back to any CJK font instead of tofu
    svg = svg.replace(
        'font-family="Heiti"',
        "font-family=\"Heiti, SimHei, 'Noto Sans CJK SC', 'Microsoft YaHei', sans-serif\"",
    )
    return svg.encode("utf-8")


def page_bytes(
    spec: PageSpec, fmt: str, *, dpi: float | None = None, width: int | None = None
) -> bytes:
    import pymupdf

    from drawings.gcpause import paused_gc
    from drawings.render.page import mupdf_guard

    doc = pymupdf.open()
    try:
        with mupdf_guard(spec.source):
            with paused_gc():
                page = build(spec, doc, compress=fmt == "pdf")
            if fmt == "png":
                return to_png(page, dpi=dpi, width=width)
            if fmt == "svg":
                return to_svg(page)
            return doc.tobytes(garbage=0, deflate=False)  # the big stream is compressed already
    finally:
        doc.close()


def _check_format(fmt: str) -> None:
    if fmt not in FORMATS:
        raise InvalidInput(f"unsupported output format {fmt!r} / 不支持的输出格式")


def render_bytes(
    drawing: Drawing,
    fmt: str,
    *,
    layout: str | None = None,
    dpi: float | None = None,
    width: int | None = None,
    paper: str | None = None,
    progress: Progress | None = None,
    warnings: list[str] | None = None,
) -> bytes:
    """One sheet of ``drawing`` as PNG/PDF/SVG bytes (``layout`` picks the sheet); what was
    not drawn as it is (:mod:`.limits`) is added to ``warnings``."""
    from drawings.gcpause import paused_gc

    _check_format(fmt)
    # Rendering allocates millions of short-lived, acyclic lists and tuples: the cyclic GC
    # would only walk the whole parsed drawing again and again, so it waits until we are done.
    with paused_gc():
        sheet = pick_sheet(drawing, layout)
        if progress:
            progress("layout")
        spec = plan(drawing, sheet, paper=paper)
        if warnings is not None:
            warnings.extend(spec.warnings)
        if progress:
            progress("draw")
        data = page_bytes(spec, fmt, dpi=dpi, width=width)
        if progress:
            progress("write")
    return data


def render_source(
    source: str | Path | bytes,
    fmt: str,
    *,
    name: str | None = None,
    layout: str | None = None,
    dpi: float | None = None,
    width: int | None = None,
    paper: str | None = None,
    progress: Progress | None = None,
) -> Rendered:
    """Read ``source`` (a file or its bytes) and render one sheet: the parse included.

    A big DXF's model space goes to PNG/PDF on two processes from the parse on
    (:mod:`.split`); everything else is :func:`drawings.read` then :func:`render_bytes`.
    """
    import drawings
    from drawings.gcpause import paused_gc
    from drawings.readers import load_source
    from drawings.render.page import MARGIN_MM
    from drawings.render.split import split_render

    _check_format(fmt)
    data, label = load_source(source, name)
    if drawings.detect_format(data[: drawings.HEAD_SIZE], label).format == "ifc":
        drawing = model_plans(data, label)  # a BIM model: its storey plans (#18)
        sheet = pick_sheet(drawing, layout)
        out = render_bytes(drawing, fmt, layout=layout, dpi=dpi, width=width, paper=paper,
                           progress=progress)
        return Rendered(out, sheet.name, len(sheet))
    if fmt == "png":
        min_line_width()  # before a fork, so both processes draw alike
    with paused_gc():
        done = split_render(
            data,
            label,
            fmt,
            layout=layout,
            paper=paper,
            zoom_of=lambda w, h: zoom_for(w, h, dpi, width),
            margin_mm=MARGIN_MM,
            progress=progress,
        )
        if done is not None:
            if progress:
                progress("write")
            return done
        drawing = drawings.read(data, name=label)
        del data
        sheet = pick_sheet(drawing, layout)
        warnings: list[str] = []
        out = render_bytes(
            drawing, fmt, layout=layout, dpi=dpi, width=width, paper=paper, progress=progress,
            warnings=warnings,
        )
    return Rendered(out, sheet.name, len(sheet), tuple(warnings))


def model_plans(data: bytes, label: str) -> Drawing:
    """An IFC model's storey plans as a drawing (one sheet per storey, named as the storey)."""
    from drawings.ifcplan import plan_drawing
    from drawings.ifcread import open_model, read_model

    return plan_drawing(open_model(data, label), read_model(data, label), label)


def write_atomic(path: str | Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` via a temp file in the same directory and a rename."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def render(
    drawing: Drawing,
    out: str | Path,
    *,
    layout: str | None = None,
    dpi: float | None = None,
    width: int | None = None,
    paper: str | None = None,
    progress: Progress | None = None,
    warnings: list[str] | None = None,
) -> Path:
    """Render one sheet of ``drawing`` to ``out``; the format follows the extension."""
    fmt = format_of(out)
    data = render_bytes(
        drawing, fmt, layout=layout, dpi=dpi, width=width, paper=paper, progress=progress,
        warnings=warnings,
    )
    return write_atomic(out, data)


def overlay(
    report,
    old_drawing: Drawing,
    new_drawing: Drawing,
    out_path: str | Path,
    *,
    sheet: str | None = None,
    dpi: float | None = None,
    width: int | None = None,
    paper: str | None = None,
    warnings: list[str] | None = None,
) -> Path:
    """Diff overlay (removed red, added green, modified orange, unchanged grey, clouds);
    what was not drawn as it is (:mod:`.limits`) is added to ``warnings``.

    Without ``sheet`` every changed sheet is drawn: a PDF gets one page per sheet, PNG/SVG one
    file per sheet named ``<stem>-<sheet><suffix>`` when there are several (the first sheet's
    file is ``out_path`` itself only when it is the one changed sheet).  Returns ``out_path``;
    :func:`overlay_paths` says which files a call writes."""
    from drawings.render.overlays import overlay_bytes, overlay_pdf

    fmt = format_of(out_path)
    paths = overlay_paths(report, out_path, sheet)
    if fmt == "pdf" and sheet is None:
        return write_atomic(out_path, overlay_pdf(report, old_drawing, new_drawing, paper=paper,
                                                  warnings=warnings))
    for name, path in paths:
        data = overlay_bytes(report, old_drawing, new_drawing, fmt, sheet=name, dpi=dpi,
                             width=width, paper=paper, warnings=warnings)
        write_atomic(path, data)
    return Path(out_path)


def atlas(report, old_drawing: Drawing, new_drawing: Drawing, out_path: str | Path,
          captions: dict[int, list[str]], *, paper: str | None = None,
          warnings: list[str] | None = None) -> Path:
    """Change atlas PDF (see :func:`drawings.render.overlays.atlas_pdf`); what the limits
    outlined is added to ``warnings``."""
    from drawings.render.overlays import atlas_pdf

    if format_of(out_path) != "pdf":
        raise InvalidInput(f"the atlas is a PDF: {out_path} / 变更图集须为 PDF")
    return write_atomic(out_path, atlas_pdf(report, old_drawing, new_drawing, captions,
                                            paper=paper, warnings=warnings))


def overlay_paths(report, out_path: str | Path, sheet: str | None = None
                  ) -> list[tuple[str | None, Path]]:
    """(sheet, file) for each overlay file :func:`overlay` writes to ``out_path``."""
    from drawings.render.overlays import changed_sheets

    out = Path(out_path)
    if sheet is not None:
        return [(sheet, out)]
    names = changed_sheets(report)
    if format_of(out) == "pdf" or len(names) <= 1:
        return [(names[0] if names else None, out)]
    return [(n, out.with_name(f"{out.stem}-{_file_part(n)}{out.suffix}")) for n in names]


def _file_part(name: str) -> str:
    """A sheet name as part of a file name (no separators or control characters)."""
    keep = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in name).strip("._")
    return keep[:60] or "sheet"
