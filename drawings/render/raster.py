"""Page -> PNG bytes: MuPDF rasterises, we deflate; big pages go as two bands on two processes.

Anti-aliased scan conversion of a big sheet is the slowest step of a PNG (about a second for
100,000 entities on A1 at 150 dpi) and MuPDF holds the GIL while it runs.  A page of our own
(no rotation) is therefore cut into a top and a bottom band at a whole device-pixel row: a
forked child draws and deflates the bottom band while this process does the top one.  Each
band is drawn with the same matrix as the whole page, so it is the same picture: MuPDF clips
the edges of a band at the seam, which may shift the anti-aliasing of a line crossing it by
a few grey levels (as tiles cut with a clip do), nothing more (tested).  The two raw deflate
streams are joined into one zlib stream (sync flush, then the combined Adler-32).  Without
``os.fork``, with worker threads running, with one CPU or for small pages, it is all done
here, in one piece.
"""

from __future__ import annotations

import os
import struct
import threading
import zlib

import numpy as np

#: zlib level and strategy: sheets are mostly white paper, and run-length matching is the
#: fastest deflate for long runs of equal bytes (also smaller than level 1 on such images).
LEVEL = 1
STRATEGY = zlib.Z_RLE
#: Pages below this many pixels are drawn in one piece (a fork is not worth it).
BAND_MIN_PIXELS = 4_000_000
#: Streams at least this long are deflated on two threads.
PARALLEL_DEFLATE_MIN = 4 << 20
_ADLER_BASE = 65521


def adler32_combine(adler1: int, adler2: int, len2: int) -> int:
    """Adler-32 of A + B from those of A and B (zlib's ``adler32_combine``)."""
    rem = len2 % _ADLER_BASE
    sum1 = adler1 & 0xFFFF
    sum2 = (rem * sum1) % _ADLER_BASE
    sum1 = (sum1 + (adler2 & 0xFFFF) + _ADLER_BASE - 1) % _ADLER_BASE
    sum2 = (sum2 + (adler1 >> 16) + (adler2 >> 16) + _ADLER_BASE - rem) % _ADLER_BASE
    return sum1 | (sum2 << 16)


def scanlines(pix) -> memoryview:
    """RGB samples as PNG scanlines, each led by filter type 0 ("None")."""
    w, h = pix.width, pix.height
    rows = np.empty((h, w * 3 + 1), dtype=np.uint8)
    rows[:, 0] = 0
    rows[:, 1:] = np.frombuffer(pix.samples, dtype=np.uint8).reshape(h, pix.stride)[:, : w * 3]
    return memoryview(rows).cast("B")


def _deflate(data: memoryview, last: bool) -> bytes:
    co = zlib.compressobj(LEVEL, zlib.DEFLATED, -15, 9, STRATEGY)
    return co.compress(data) + co.flush(zlib.Z_FINISH if last else zlib.Z_SYNC_FLUSH)


def zlib_stream(data: bytes, level: int = 1) -> bytes:
    """``zlib.compress(data, level)``'s equivalent; a big ``data`` is deflated as two halves on
    two threads (zlib releases the GIL), joined by a sync flush and the combined Adler-32."""
    n = len(data)
    if n < PARALLEL_DEFLATE_MIN or (os.cpu_count() or 1) < 2:
        return zlib.compress(data, level)
    view, cut = memoryview(data), n // 2
    head: list[tuple[bytes, int]] = []

    def first() -> None:
        co = zlib.compressobj(level, zlib.DEFLATED, -15)
        part = view[:cut]
        head.append((co.compress(part) + co.flush(zlib.Z_SYNC_FLUSH), zlib.adler32(part)))

    worker = threading.Thread(target=first, name="deflate")
    worker.start()
    co = zlib.compressobj(level, zlib.DEFLATED, -15)
    tail = co.compress(view[cut:]) + co.flush()
    adler2 = zlib.adler32(view[cut:])
    worker.join()
    if not head:  # the thread failed (out of memory): do it the plain way
        return zlib.compress(data, level)
    body, adler1 = head[0]
    return b"\x78\x01" + body + tail + struct.pack(">I", adler32_combine(adler1, adler2, n - cut))


def _chunk(kind: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(data, zlib.crc32(kind)) & 0xFFFFFFFF
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)


def png_from_parts(width: int, height: int, parts: list[tuple[bytes, int, int]]) -> bytes:
    """PNG (8-bit RGB) from raw deflate ``parts`` (data, adler32, raw length), in row order."""
    adler, body = 1, []
    for data, a, n in parts:
        adler = adler32_combine(adler, a, n)
        body.append(data)
    idat = b"\x78\x01" + b"".join(body) + struct.pack(">I", adler)
    return b"".join(
        (
            b"\x89PNG\r\n\x1a\n",
            _chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)),
            _chunk(b"IDAT", idat),
            _chunk(b"IEND", b""),
        )
    )


def png_bytes(pix) -> bytes:
    """PNG of a pixmap (RGB: our own fast deflate; anything else: MuPDF's encoder)."""
    if pix.n != 3 or pix.alpha:
        return pix.tobytes("png")
    raw = scanlines(pix)
    return png_from_parts(
        pix.width, pix.height, [(_deflate(raw, True), zlib.adler32(raw), len(raw))]
    )


def draw_band(page, matrix, clip, last: bool) -> Band:
    """One band of the page as raw deflate (sync-flushed unless ``last``) with its Adler-32,
    raw length, width and height: the parts :func:`png_from_parts` joins."""
    pix = page.get_pixmap(matrix=matrix, clip=clip, alpha=False)
    raw = scanlines(pix)
    return _deflate(raw, last), zlib.adler32(raw), len(raw), pix.width, pix.height


def can_fork() -> bool:
    """Whether a forked helper process may be used: POSIX, and no other threads but daemon
    helpers (a progress bar's refresh thread): a forked child only runs MuPDF and zlib on
    memory it owns, but a worker thread of a server might hold a lock it needs."""
    if not hasattr(os, "fork"):
        return False
    me = threading.current_thread()
    return all(t.daemon for t in threading.enumerate() if t is not me)


def render_png(page, zoom: float, *, bands: bool | None = None) -> bytes:
    """PNG of ``page`` drawn at ``zoom`` device pixels per point (``bands``: force the
    two-band drawing on or off; by default on for big pages when there are 2+ CPUs)."""
    import pymupdf

    m = pymupdf.Matrix(zoom, zoom)
    box = page.rect.transform(m).round()  # the device-pixel box MuPDF gives the whole page
    if bands is None:  # by default only where a second CPU can help
        bands = box.width * box.height >= BAND_MIN_PIXELS and (os.cpu_count() or 1) > 1
    if not bands or page.rotation or box.height < 2 or not can_fork():
        return png_bytes(page.get_pixmap(matrix=m, alpha=False))
    r = page.rect
    split = box.y0 + box.height // 2
    top = pymupdf.Rect(r.x0, r.y0, r.x1, split / zoom)
    bottom = pymupdf.Rect(r.x0, split / zoom, r.x1, r.y1)
    child = _fork_band(page, m, bottom)
    try:
        a = draw_band(page, m, top, last=False)
    except BaseException:
        if child is not None:  # don't leave the child blocked on a pipe nobody reads
            os.close(child[1])
            os.waitpid(child[0], 0)
        raise
    b = _join_band(child) if child is not None else None
    if b is None:
        b = draw_band(page, m, bottom, last=True)  # the child failed: draw the band here
    if a[3] != box.width or b[3] != box.width or a[4] + b[4] != box.height:
        return png_bytes(page.get_pixmap(matrix=m, alpha=False))  # unforeseen page geometry
    return png_from_parts(a[3], a[4] + b[4], [a[:3], b[:3]])


#: A band sent between processes: adler32, raw length, width, height, data length.
BAND_HEAD = struct.Struct(">IQIII")

Band = tuple[bytes, int, int, int, int]  # raw deflate, adler32, raw length, width, height


def pack_band(band: Band) -> bytes:
    """A band as sent from a child: :data:`BAND_HEAD`, then the deflate data."""
    data, adler, n, w, h = band
    return BAND_HEAD.pack(adler, n, w, h, len(data)) + data


def unpack_band(head: bytes, data: bytes) -> Band | None:
    """The band of a :data:`BAND_HEAD` and the data after it; None if they disagree."""
    if len(head) != BAND_HEAD.size:
        return None
    adler, n, w, h, size = BAND_HEAD.unpack(head)
    if len(data) != size:
        return None
    return data, adler, n, w, h


def _fork_band(page, matrix, clip) -> tuple[int, int] | None:
    """Start a child drawing the last band; (pid, read fd), or None if it cannot start."""
    try:
        rfd, wfd = os.pipe()
    except OSError:
        return None
    try:
        pid = os.fork()
    except OSError:
        os.close(rfd)
        os.close(wfd)
        return None
    if pid == 0:  # the child: draw, send, and leave without running any parent cleanup
        code = 1
        try:
            os.close(rfd)
            with os.fdopen(wfd, "wb") as f:
                f.write(pack_band(draw_band(page, matrix, clip, last=True)))
            code = 0
        finally:
            os._exit(code)
    os.close(wfd)
    return pid, rfd


def _join_band(child: tuple[int, int]) -> Band | None:
    pid, rfd = child
    try:
        with os.fdopen(rfd, "rb") as f:
            blob = f.read()
    finally:
        _, status = os.waitpid(pid, 0)
    if not os.WIFEXITED(status) or os.WEXITSTATUS(status) != 0:
        return None
    return unpack_band(blob[: BAND_HEAD.size], blob[BAND_HEAD.size :])
