"""Renderer benchmark (issue #5): ratios against ezdxf measured in this same run.

On a generated ~100,000-entity DXF (bench.gen_big):

* parse + render to PNG, 150 dpi on A1  /  one ``ezdxf.readfile``        target <= 0.5
* parse + render to PDF on A1           /  one ``ezdxf.readfile``        target <= 0.5
* parse + render to PNG  /  ezdxf.readfile + ezdxf's drawing add-on SVG backend   (printed)
* one 256-px tile, any zoom level, after the sheet is parsed and cached: median  <= 50 ms

"parse + render" is :func:`drawings.render.render_source` on the file, what ``yitaotu render``
runs: a big DXF is read and drawn by two processes (:mod:`drawings.render.split`).  Also
printed: the same on one process (``drawings.read`` then ``render_bytes``), the renderer alone
on an already parsed drawing, and the load average, since a busy machine slows the two-process
work most.  Imports are warmed first so no side pays for them.
Usage::

    python bench/render.py [--entities 100000] [--no-svg]
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

TARGETS = {"png": 0.5, "pdf": 0.5, "tile_ms": 50.0}


def timed(fn, runs: int = 1) -> tuple[float, object]:
    """Best of ``runs``; the previous result is freed before the clock starts, for every side
    alike (freeing a parsed drawing or an ezdxf document takes a tenth of a second or more)."""
    best, out = float("inf"), None
    for _ in range(runs):
        out = None
        gc.collect()
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return best, out


def ezdxf_svg(path: Path) -> str:
    import ezdxf
    from ezdxf.addons.drawing import Frontend, RenderContext, layout, svg

    doc = ezdxf.readfile(path)
    backend = svg.SVGBackend()
    Frontend(RenderContext(doc), backend).draw_layout(doc.modelspace())
    return backend.get_string(layout.Page(841, 594, layout.Units.mm))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--entities", type=int, default=100_000)
    ap.add_argument("--no-svg", action="store_true", help="skip ezdxf's SVG backend (slow)")
    ap.add_argument("--runs", type=int, default=2)
    args = ap.parse_args()

    import os

    import ezdxf
    import pymupdf  # noqa: F401  (warm imports)

    import drawings
    from bench.gen_big import cached_big
    from drawings.render import render_bytes, render_source
    from drawings.render.tiles import BASE_ZOOM, MAX_ZOOM, TileCache

    path = cached_big(args.entities)
    print(f"file: {path} ({path.stat().st_size / 1e6:.1f} MB, ~{args.entities} entities)")
    load0 = os.getloadavg()[0]
    drawings.read(path)  # warm caches of the reader as well (fonts, patterns…)

    def one_process(fmt: str, **kw) -> tuple[object, bytes]:
        drawing = drawings.read(path)
        return drawing, render_bytes(drawing, fmt, paper="A1", **kw)  # drawing freed untimed

    # rounds of every measurement in turn, best of each: a neighbour's load spreads evenly
    cases = {
        "ref": lambda: ezdxf.readfile(path),
        "png": lambda: (None, render_source(path, "png", dpi=150, paper="A1").data),
        "pdf": lambda: (None, render_source(path, "pdf", paper="A1").data),
        "png1": lambda: one_process("png", dpi=150),
        "pdf1": lambda: one_process("pdf"),
        "parse": lambda: drawings.read(path),
    }
    best: dict[str, float] = {}
    data: dict[str, bytes] = {}
    for _ in range(args.runs):
        for name, fn in cases.items():
            t, out = timed(fn)
            if name in ("png", "pdf"):
                data[name] = out[1]
            del out  # freed untimed, before the next measurement
            best[name] = min(best.get(name, float("inf")), t)
    t_ref, t_png, t_pdf, t_parse = best["ref"], best["png"], best["pdf"], best["parse"]
    png, pdf = data["png"], data["pdf"]
    d = drawings.read(path)
    r_png, _ = timed(lambda: render_bytes(d, "png", dpi=150, paper="A1"), args.runs)
    r_pdf, _ = timed(lambda: render_bytes(d, "pdf", paper="A1"), args.runs)

    print(f"ezdxf.readfile                      {t_ref:8.2f} s")
    print(f"drawings.read (parse only)          {t_parse:8.2f} s   ratio {t_parse / t_ref:.3f}")
    print(
        f"parse + PNG 150 dpi A1              {t_png:8.2f} s   ratio {t_png / t_ref:.3f}"
        f"   (target <= {TARGETS['png']}, {len(png) / 1e6:.1f} MB)"
    )
    print(
        f"parse + PDF A1                      {t_pdf:8.2f} s   ratio {t_pdf / t_ref:.3f}"
        f"   (target <= {TARGETS['pdf']}, {len(pdf) / 1e6:.1f} MB)"
    )
    print(
        f"the same on one process: PNG {best['png1']:.2f} s ({best['png1'] / t_ref:.3f}),"
        f" PDF {best['pdf1']:.2f} s ({best['pdf1'] / t_ref:.3f})"
    )
    print(
        f"render only, drawing parsed already: PNG {r_png:.2f} s ({r_png / t_ref:.3f}),"
        f" PDF {r_pdf:.2f} s ({r_pdf / t_ref:.3f})"
    )
    print(
        f"load average (1 min) {load0:.2f} at start, {os.getloadavg()[0]:.2f} now;"
        f" {os.cpu_count()} CPUs"
    )

    if not args.no_svg:
        t_svg, _ = timed(lambda: ezdxf_svg(path), 1)
        print(
            f"ezdxf readfile + SVG backend        {t_svg:8.2f} s   ours(PNG)/theirs "
            f"{t_png / t_svg:.3f}   ours(PDF)/theirs {t_pdf / t_svg:.3f}"
        )

    with tempfile.TemporaryDirectory() as tmp:
        cache = TileCache(tmp, lambda blob: d)
        blob = "ab" * 32
        t_page, _ = timed(lambda: (cache.page(blob, "Model"), cache.prepare(blob, "Model")), 1)
        times: dict[bool, list[float]] = {True: [], False: []}
        for z in range(0, MAX_ZOOM + 1):
            lv = cache.levels(blob, "Model")["levels"][z]
            cols, rows = lv["cols"], lv["rows"]
            for fx, fy in ((0.5, 0.5), (0.25, 0.7), (0.8, 0.3), (0.1, 0.1)):
                x, y = min(cols - 1, int(cols * fx)), min(rows - 1, int(rows * fy))
                t, _ = timed(lambda z=z, x=x, y=y: cache.tile(blob, "Model", z, x, y))
                times[z <= BASE_ZOOM].append(t * 1000)
        every = times[True] + times[False]
        print(f"sheet cached (page + levels 0..{BASE_ZOOM})  {t_page:8.2f} s")
        print(
            f"tile 256 px, any level z 0..{MAX_ZOOM}, median {statistics.median(every):6.1f} ms"
            f"   (target <= {TARGETS['tile_ms']:.0f} ms)"
        )
        print(
            f"  z 0..{BASE_ZOOM} (cut from the cached levels) median "
            f"{statistics.median(times[True]):6.1f} ms; z {BASE_ZOOM + 1}..{MAX_ZOOM} (drawn on "
            f"demand) median {statistics.median(times[False]):6.1f} ms, max {max(times[False]):.1f}"
        )


if __name__ == "__main__":
    main()
