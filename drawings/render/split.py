"""Big DXF sheets rendered by two processes, from the parse on.

Reading, flattening and writing a sheet each cost time in proportion to its entities and run
on one core.  A big ASCII DXF is therefore cut in two at an entity boundary of its ENTITIES
section (:func:`drawings.readers.dxf_fast.split_entities`: each half keeps the tables and
blocks), and a forked child reads, flattens and writes the second half while this process does
the first.  The two talk through pipes at the points where the sheet as a whole matters:

1. the child sends its extents; the union fixes the curve tolerance (as in :func:`.page.plan`);
2. the child sends the bounds of its display list; the union fixes the page and transform;
3. the child sends the pieces of its content stream; merged with ours by style
   (:func:`.pdf.merge`) they make the stream one process would have written for the sheet,
   but for where runs of strokes are cut (anti-aliasing at crossings may move a grey level).

A PDF is then written here.  A PNG is drawn as two bands (see :mod:`.raster`): this process
sends its pieces to the child, each builds the same page and draws one band.

Whenever this does not apply (not an ASCII DXF, small, a paper layout asked for, one CPU, no
``os.fork``, other threads running) or the child fails before its stream arrived,
:func:`split_render` returns None and the caller renders the ordinary way.
"""

from __future__ import annotations

import contextlib
import math
import os
import pickle
import signal
import struct
from dataclasses import dataclass

import pymupdf

from drawings.model import Sheet, union_of
from drawings.render.flatten import DisplayList, flatten, sheet_cost
from drawings.render.limits import RenderLimits
from drawings.render.page import BBox, entity_box, fit_paper, model_sheet, tolerance
from drawings.render.pdf import Part, assemble, content_parts, has_text, merge, new_page
from drawings.render.raster import (
    BAND_HEAD,
    Band,
    can_fork,
    draw_band,
    pack_band,
    png_from_parts,
    unpack_band,
)

#: Files smaller than this are rendered by one process (a fork is not worth it).
SPLIT_MIN_BYTES = 4_000_000

_BOX = struct.Struct(">BQ4d")  # child -> parent: has box, entity count, x0, y0, x1, y1
_COST = struct.Struct(">Q")  # child -> parent: what its half takes from the sheet's budget
_TOL = struct.Struct(">Bd")  # parent -> child: go, tolerance
_PLAN = struct.Struct(">B10d")  # parent -> child: go, width, height, matrix (6), zoom, seam
_PARTS = struct.Struct(">Q")  # either way: length of the pickled content pieces that follow


@dataclass(frozen=True)
class Rendered:
    """Output bytes and which sheet they show."""

    data: bytes
    sheet: str
    entities: int
    #: what was not drawn as it is (:mod:`.limits`), one line each
    warnings: tuple[str, ...] = ()


def split_render(
    data: bytes,
    label: str,
    fmt: str,
    *,
    layout: str | None,
    paper: str | tuple[float, float] | None,
    zoom_of,
    margin_mm: float,
    progress=None,
) -> Rendered | None:
    """PNG or PDF of the model space of DXF ``data`` made by two processes, or None.

    ``zoom_of(width_pt, height_pt)`` gives device pixels per point for the page (it raises on a
    bad --dpi/--width or an image too large; the child is then stopped).
    """
    from drawings.detect import HEAD_SIZE, detect_format
    from drawings.readers.dxf_fast import split_entities
    from storage.errors import YitaotuError

    if (
        fmt not in ("png", "pdf")
        or len(data) < SPLIT_MIN_BYTES
        or (layout is not None and layout.lower() not in ("model", "*model_space"))
        or (os.cpu_count() or 1) < 2
        or not can_fork()
    ):
        return None
    try:
        if detect_format(data[:HEAD_SIZE], label).format != "dxf":
            return None
    except YitaotuError:
        return None  # the ordinary route reports it
    halves = split_entities(data)
    if halves is None:
        return None
    first, second = halves
    del halves
    child = _Child.start(second, label, fmt)
    del second
    if child is None:
        return None
    done = None
    try:
        done = _first_half(child, first, label, fmt, paper, zoom_of, margin_mm, progress)
        return done
    finally:
        child.close(kill=done is None)  # given up: the child's work is not wanted


def _first_half(child, data, label, fmt, paper, zoom_of, margin_mm, progress) -> Rendered | None:
    import drawings
    from storage.errors import YitaotuError

    try:
        drawing = drawings.read(data, name=label)
    except YitaotuError:
        return None  # the ordinary route reads the whole file and reports it
    del data
    sheet = model_sheet(drawing)
    hello = child.recv_struct(_BOX)
    cost = child.recv_struct(_COST)
    if hello is None or cost is None:
        return None
    theirs_n = hello[1]
    ours_n = len(sheet) if sheet is not None else 0
    if ours_n + theirs_n == 0:
        return None  # nothing in model space: the ordinary route picks a layout
    limits = RenderLimits.from_env()
    if sheet is not None and sheet_cost(drawing, sheet, limits) + cost[0] > limits.entities:
        return None  # the sheet's budget decides what is outlined: one process draws it
    if progress:
        progress("layout")
    est = union_of(b for b in (_box_of(sheet), _unpack_box(hello)) if b)
    tol = tolerance(est, paper, margin_mm)
    child.send(_TOL.pack(1, tol))
    dl = flatten(drawing, sheet, tol=tol, limits=limits) if sheet is not None else DisplayList()
    bounds = child.recv_struct(_BOX)
    if bounds is None:
        return None
    box = union_of(b for b in (dl.bounds(), _unpack_box(bounds)) if b)
    width, height, m = fit_paper(box or est or (0.0, 0.0, 1.0, 1.0), paper, margin_mm)
    zoom, seam = 1.0, 0
    if fmt == "png":
        zoom = zoom_of(width, height)
        full = pymupdf.Rect(0, 0, width, height).transform(pymupdf.Matrix(zoom, zoom)).round()
        seam = full.y0 + full.height // 2
        if full.height < 2:
            return None
    if progress:
        progress("draw")
    child.send(_PLAN.pack(1, width, height, *m, zoom, seam / zoom))
    ours = content_parts(dl, m)
    warnings = list(dl.warnings)
    del dl, drawing
    got = child.recv_parts()
    if got is None:
        return None
    theirs, their_warnings = got
    warnings = tuple(dict.fromkeys(warnings + their_warnings))
    name = sheet.name if sheet is not None else "Model"
    doc = pymupdf.open()
    try:
        if fmt == "pdf":
            _page(doc, width, height, merge(ours, theirs), compress=True)
            data = doc.tobytes(garbage=0, deflate=False)
            return Rendered(data, name, ours_n + theirs_n, warnings)
        child.send_parts(ours)
        page = _page(doc, width, height, merge(ours, theirs), compress=False)
        del ours, theirs
        mat = pymupdf.Matrix(zoom, zoom)
        top = draw_band(page, mat, pymupdf.Rect(0, 0, width, seam / zoom), last=False)
        bottom = child.recv_band()
        if bottom is None:  # the child failed: the page is here, draw its band too
            bottom = draw_band(page, mat, pymupdf.Rect(0, seam / zoom, width, height), last=True)
    finally:
        doc.close()
    if top[3] != bottom[3] or top[3] != full.width or top[4] + bottom[4] != full.height:
        return None
    png = png_from_parts(full.width, full.height, [top[:3], bottom[:3]])
    return Rendered(png, name, ours_n + theirs_n, warnings)


def _page(doc, width: float, height: float, parts: list[Part], *, compress: bool):
    return new_page(doc, width, height, assemble(parts), text=has_text(parts), compress=compress)


def _box_of(sheet: Sheet | None) -> BBox | None:
    if sheet is None or not len(sheet):
        return None
    box = entity_box(sheet)
    if box is None or not all(math.isfinite(v) for v in box):
        return None
    return box


def _pack_box(count: int, box: BBox | None) -> bytes:
    return _BOX.pack(1, count, *box) if box else _BOX.pack(0, count, 0, 0, 0, 0)


def _unpack_box(msg: tuple) -> BBox | None:
    return msg[2:] if msg[0] else None


def _second_half(data: bytes, label: str, fmt: str, pipe: _Pipe) -> int:
    """The child's side of the conversation (module docstring); its exit status."""
    import drawings

    drawing = drawings.read(data, name=label)
    del data
    sheet = model_sheet(drawing)
    box = _box_of(sheet)
    n = len(sheet) if sheet is not None else 0
    limits = RenderLimits.from_env()
    pipe.send(_pack_box(n, box))
    pipe.send(_COST.pack(sheet_cost(drawing, sheet, limits) if sheet is not None else 0))
    go = pipe.recv_struct(_TOL)
    if go is None or not go[0]:
        return 0
    dl = flatten(drawing, sheet, tol=go[1], limits=limits) if sheet is not None else DisplayList()
    bounds = dl.bounds()
    pipe.send(_pack_box(n, bounds))
    plan = pipe.recv_struct(_PLAN)
    if plan is None or not plan[0]:
        return 0
    width, height, *rest = plan[1:]
    m, zoom, seam = tuple(rest[:6]), rest[6], rest[7]
    ours = content_parts(dl, m)
    warnings = dl.warnings
    del dl, drawing
    pipe.send_parts(ours, warnings)
    if fmt != "png":
        return 0
    got = pipe.recv_parts()
    if got is None:
        return 1
    first = got[0]
    doc = pymupdf.open()
    page = _page(doc, width, height, merge(first, ours), compress=False)
    del first, ours
    band = draw_band(
        page, pymupdf.Matrix(zoom, zoom), pymupdf.Rect(0, seam, width, height), last=True
    )
    pipe.send(pack_band(band))
    return 0


class _Pipe:
    """One end of the conversation: a read and a write descriptor."""

    def __init__(self, rfd: int, wfd: int) -> None:
        self.rfd, self.wfd = rfd, wfd

    def send(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            view = view[os.write(self.wfd, view) :]

    def recv(self, n: int) -> bytes | None:
        parts, got = [], 0
        while got < n:
            chunk = os.read(self.rfd, min(n - got, 1 << 24))
            if not chunk:
                return None  # the other side is gone
            parts.append(chunk)
            got += len(chunk)
        return b"".join(parts)

    def recv_struct(self, fmt: struct.Struct) -> tuple | None:
        msg = self.recv(fmt.size)
        return None if msg is None else fmt.unpack(msg)

    def send_parts(self, parts: list[Part], warnings: list[str] | None = None) -> None:
        blob = pickle.dumps((parts, list(warnings or ())), protocol=pickle.HIGHEST_PROTOCOL)
        self.send(_PARTS.pack(len(blob)) + blob)

    def recv_parts(self) -> tuple[list[Part], list[str]] | None:
        """Pieces and warnings sent by :meth:`send_parts` (our own fork on the other end, so
        unpickling is safe: nobody else holds these descriptors)."""
        head = self.recv_struct(_PARTS)
        if head is None:
            return None
        blob = self.recv(head[0])
        return None if blob is None else pickle.loads(blob)


class _Child(_Pipe):
    """The forked process reading the second half, seen from this process."""

    def __init__(self, pid: int, rfd: int, wfd: int) -> None:
        super().__init__(rfd, wfd)
        self.pid = pid

    @classmethod
    def start(cls, data: bytes, label: str, fmt: str) -> _Child | None:
        try:
            up_r, up_w = os.pipe()  # child -> parent
            down_r, down_w = os.pipe()  # parent -> child
        except OSError:
            return None
        try:
            pid = os.fork()
        except OSError:
            for fd in (up_r, up_w, down_r, down_w):
                os.close(fd)
            return None
        if pid == 0:  # the child: leave without running any of the parent's cleanup
            code = 1
            try:
                os.close(up_r)
                os.close(down_w)
                code = _second_half(data, label, fmt, _Pipe(down_r, up_w))
            except BaseException:
                code = 1
            finally:
                os._exit(code)
        os.close(up_w)
        os.close(down_r)
        return cls(pid, up_r, down_w)

    def recv_band(self) -> Band | None:
        head = self.recv(BAND_HEAD.size)
        if head is None:
            return None
        data = self.recv(BAND_HEAD.unpack(head)[4])
        return None if data is None else unpack_band(head, data)

    def close(self, *, kill: bool) -> None:
        """Hang up and reap the child (stopped at once if ``kill``, else it finishes, or stops
        at its next read or write of the pipes)."""
        if kill:
            with contextlib.suppress(OSError):
                os.kill(self.pid, signal.SIGKILL)
        for fd in (self.wfd, self.rfd):
            with contextlib.suppress(OSError):
                os.close(fd)
        os.waitpid(self.pid, 0)
