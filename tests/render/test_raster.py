"""PNG encoding and the two-band rasteriser: a valid PNG, the same size and the same picture."""

from __future__ import annotations

import os
import random
import zlib

import numpy as np
import pymupdf
import pytest

from drawings.render import min_line_width
from drawings.render.raster import (
    PARALLEL_DEFLATE_MIN,
    adler32_combine,
    can_fork,
    png_bytes,
    render_png,
    zlib_stream,
)


@pytest.mark.parametrize("sizes", [(0, 10), (1, 1), (1000, 77777), (65521, 3), (300_000, 65520)])
def test_adler32_combine_matches_zlib(sizes):
    a, b = os.urandom(sizes[0]), os.urandom(sizes[1])
    assert adler32_combine(zlib.adler32(a), zlib.adler32(b), len(b)) == zlib.adler32(a + b)


def _busy_page(doc, n: int = 1500):
    """A page of long random lines and a few fills: many edges cross the band seam."""
    rnd = random.Random(5)
    w, h = 1191.0, 842.0
    ops = ["1 J 1 j 0.7 w 0.2 0.3 0.9 rg"]
    for i in range(n):
        ops.append(
            f"{rnd.uniform(0, w):.2f} {rnd.uniform(0, h):.2f} m "
            f"{rnd.uniform(0, w):.2f} {rnd.uniform(0, h):.2f} l"
        )
        if i % 100 == 99:
            ops.append("S")
            ops.append(f"{rnd.uniform(0, w):.1f} {rnd.uniform(0, h):.1f} 40 25 re f")
    ops.append("S")
    page = doc.new_page(width=w, height=h)
    xref = doc.get_new_xref()
    doc.update_object(xref, "<<>>")
    doc.update_stream(xref, "\n".join(ops).encode())
    doc.xref_set_key(page.xref, "Contents", f"{xref} 0 R")
    return page


def _pixels(png: bytes) -> np.ndarray:
    pix = pymupdf.Pixmap(png)
    return np.frombuffer(pix.samples, dtype=np.uint8).reshape(pix.height, pix.width, pix.n)


def test_png_bytes_round_trips_the_pixmap():
    doc = pymupdf.open()
    page = _busy_page(doc, 200)
    pix = page.get_pixmap(matrix=pymupdf.Matrix(0.5, 0.5), alpha=False)
    got = _pixels(png_bytes(pix))
    assert got.shape == (pix.height, pix.width, 3)
    assert got.tobytes() == pix.samples


def test_two_bands_give_the_same_picture():
    """Two bands (the bottom one drawn by a forked child) make the same image as one pass.

    MuPDF clips each band's edges at the seam, which may move the anti-aliasing of an edge
    crossing it by a few grey levels; nothing else may differ: no ink added, lost or moved.
    """
    assert can_fork()  # else the two-band path would silently draw in one piece
    min_line_width()
    doc = pymupdf.open()
    page = _busy_page(doc)
    zoom = 150 / 72
    one = _pixels(render_png(page, zoom, bands=False))
    two = _pixels(render_png(page, zoom, bands=True))
    direct = page.get_pixmap(matrix=pymupdf.Matrix(zoom, zoom), alpha=False)
    assert one.tobytes() == direct.samples  # our PNG writer is lossless
    assert two.shape == one.shape
    diff = np.abs(two.astype(np.int16) - one.astype(np.int16))
    assert diff.max() <= 48
    ink = (255 - one.astype(np.int64)).sum()
    assert diff.sum() / ink < 0.01  # under 1 % of the ink, at anti-aliased edges only
    ink_one, ink_two = (one < 128).any(axis=2), (two < 128).any(axis=2)
    # only edge pixels near half coverage may cross the threshold
    assert (ink_one != ink_two).sum() < 0.01 * ink_one.sum()


@pytest.mark.parametrize("n", [0, 1000, PARALLEL_DEFLATE_MIN, PARALLEL_DEFLATE_MIN * 2 + 7])
def test_zlib_stream_is_a_plain_zlib_stream(n):
    rnd = random.Random(n)
    data = bytes(rnd.choice(b"0123456789 ml\n") for _ in range(min(n, 50_000))) * (n // 50_000 + 1)
    data = data[:n]
    assert zlib.decompress(zlib_stream(data)) == data


def test_two_bands_of_a_cropped_page():
    """A page whose crop box is offset in its media box (a source PDF passed through)."""
    src = pymupdf.open()
    page = _busy_page(src, 300)
    page.set_cropbox(pymupdf.Rect(100, 50, 1000, 700))
    doc = pymupdf.open("pdf", src.tobytes())
    page = doc[0]
    one = _pixels(render_png(page, 3.0, bands=False))
    two = _pixels(render_png(page, 3.0, bands=True))
    assert one.shape == two.shape == (1950, 2700, 3)
    diff = np.abs(two.astype(np.int16) - one.astype(np.int16))
    assert diff.sum() / (255 - one.astype(np.int64)).sum() < 0.01
