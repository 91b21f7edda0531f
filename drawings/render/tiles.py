"""Deep-zoom tiles (256 px, z/x/y) and thumbnails, made on demand and cached on disk.

A sheet is rendered once to a PDF page (``sheet.pdf``, the expensive part: parse + flatten),
kept under ``<root>/<renderer version>/<blob>/<layout>/``; MuPDF's display list of that page
stays in memory (small LRU), so a tile is one clipped rasterisation of the list.  Level ``z``
shows the page with its longer side at ``256 * 2**z`` pixels; tile (x, y) counts from the top
left.  Tiles are written beside the page as ``z/x/y.png`` (temp file + rename), and the page's
geometry (size, drawing-to-page transform) as ``sheet.json``, so a viewer can show sheet
coordinates without parsing the drawing again.

The page is drawn within the rendering limits (:mod:`.limits`): what would expand past them
is outlined, and the warnings saying so are kept in the page's PDF (``/YitaotuWarnings`` in
its document information), so ``levels`` can show them whenever the page comes from the
cache.  A page MuPDF cannot draw is one error naming the blob.
"""

from __future__ import annotations

import hashlib
import json
import math
import threading
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path

from drawings.model import Drawing
from drawings.render.page import mupdf_guard
from storage.errors import IntegrityError, InvalidInput, NotFound

TILE = 256
MAX_ZOOM = 8  # 65,536 px along the longer side
#: Levels up to this one are drawn once for the whole sheet (2,048 px) and cut into tiles.
BASE_ZOOM = 3
THUMB = 256
#: Key of the page PDF's document information holding the warnings of its drawing.
WARNINGS_KEY = "YitaotuWarnings"


def _set_warnings(doc, warnings: list[str]) -> None:
    import pymupdf

    if not warnings:
        return
    doc.set_metadata({"producer": "yitaotu"})
    kind, value = doc.xref_get_key(-1, "Info")
    if kind == "xref":
        info = int(value.split()[0])
        text = json.dumps(warnings, ensure_ascii=False)
        doc.xref_set_key(info, WARNINGS_KEY, pymupdf.get_pdf_str(text))


def _get_warnings(doc) -> list[str]:
    """The warnings kept by :func:`_set_warnings`; none when absent or not a list of text."""
    kind, value = doc.xref_get_key(-1, "Info")
    if kind != "xref":
        return []
    kind, text = doc.xref_get_key(int(value.split()[0]), WARNINGS_KEY)
    if kind != "string":
        return []
    try:
        got = json.loads(text)
    except ValueError:
        return []
    return [w for w in got if isinstance(w, str)] if isinstance(got, list) else []


def _key(text: str) -> str:
    """A file-name-safe, stable key for a layout name (may be Chinese, contain '/')."""
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:16]


class TileCache:
    """Tiles and thumbnails of sheets addressed by (blob id, layout).

    ``load(blob_id)`` returns the parsed :class:`Drawing` of a blob; it is only called when
    the sheet's page is not cached yet.
    """

    def __init__(self, root: str | Path, load: Callable[[str], Drawing], *, keep: int = 4):
        from drawings.render import RENDERER_VERSION

        self.root = Path(root) / RENDERER_VERSION.replace("/", "-")
        self.load = load
        self.keep = keep
        self._lists: OrderedDict[tuple[str, str], tuple[object, float, float]] = OrderedDict()
        #: warnings of the pages whose display lists are kept (same keys as ``_lists``)
        self._warnings: dict[tuple[str, str], list[str]] = {}
        self._lock = threading.Lock()

    @classmethod
    def for_home(cls, home: str | Path, load: Callable[[str], Drawing]) -> TileCache:
        """The cache of an installation: ``$YITAOTU_HOME/cache/tiles``."""
        return cls(Path(home) / "cache" / "tiles", load)

    # -- paths -----------------------------------------------------------------------------
    def sheet_dir(self, blob: str, layout: str) -> Path:
        if not blob or not all(c in "0123456789abcdef" for c in blob.lower()):
            raise InvalidInput(f"bad blob id / 无效的对象编号: {blob!r}")
        return self.root / blob[:2] / blob / _key(layout)

    def page_path(self, blob: str, layout: str) -> Path:
        return self.sheet_dir(blob, layout) / "sheet.pdf"

    def geometry_path(self, blob: str, layout: str) -> Path:
        return self.sheet_dir(blob, layout) / "sheet.json"

    def ready(self, blob: str, layout: str) -> bool:
        """Whether the page, its geometry and the low levels are cached (no parse needed)."""
        d = self.sheet_dir(blob, layout)
        return all((d / n).is_file() for n in ("sheet.pdf", "sheet.json",
                                                f"levels-0-{BASE_ZOOM}.done"))

    def geometry(self, blob: str, layout: str) -> dict:
        """The cached page's size (pt), its drawing-to-page ``matrix`` (a, b, c, d, e, f: page
        pt from drawing units, PDF y up) and the sheet's name; rendered now if missing."""
        path = self.geometry_path(blob, layout)
        if not path.is_file():
            self.page(blob, layout)
        try:
            g = json.loads(path.read_text(encoding="utf-8"))
            if len(g["matrix"]) != 6 or g["width"] <= 0 or g["height"] <= 0:
                raise ValueError("bad values")
        except (OSError, ValueError, KeyError, TypeError) as e:
            raise IntegrityError(f"{path}: 瓦片缓存损坏 damaged tile cache ({e}); delete the "
                                 "folder to render the sheet again") from None
        return g

    # -- the page ----------------------------------------------------------------------------
    def page(self, blob: str, layout: str, progress: Callable[[str], None] | None = None) -> Path:
        """The cached one-page PDF of the sheet, rendered now if missing."""
        from drawings.render import build, pick_sheet, plan, write_atomic

        path = self.page_path(blob, layout)
        if path.is_file() and self.geometry_path(blob, layout).is_file():
            return path
        if progress:
            progress("parse")
        drawing = self.load(blob)
        sheet = pick_sheet(drawing, layout or None)
        if progress:
            progress("layout")
        spec = plan(drawing, sheet)
        if progress:
            progress("draw")
        import pymupdf

        doc = pymupdf.open()
        try:
            with mupdf_guard(spec.source or blob):
                build(spec, doc)
                _set_warnings(doc, spec.warnings)
                data = doc.tobytes(garbage=0, deflate=False)
        finally:
            doc.close()
        geometry = {"width": spec.width, "height": spec.height, "matrix": list(spec.matrix),
                    "sheet": sheet.name, "entities": len(sheet)}
        write_atomic(self.geometry_path(blob, layout),
                     json.dumps(geometry, ensure_ascii=False).encode("utf-8"))
        write_atomic(path, data)
        return path

    def _list(self, blob: str, layout: str):
        """MuPDF display list of the page (parsed once per process, LRU)."""
        import pymupdf

        key = (blob, layout)
        with self._lock:
            hit = self._lists.get(key)
            if hit is not None:
                self._lists.move_to_end(key)
                return hit
        path = self.page(blob, layout)
        with mupdf_guard(str(path)), pymupdf.open(path) as doc:
            page = doc[0]
            entry = (page.get_displaylist(), page.rect.width, page.rect.height)
            warnings = _get_warnings(doc)
        with self._lock:
            self._lists[key] = entry
            self._warnings[key] = warnings
            while len(self._lists) > self.keep:
                old, _ = self._lists.popitem(last=False)
                self._warnings.pop(old, None)
        return entry

    def warnings(self, blob: str, layout: str) -> list[str]:
        """What the sheet's page does not draw as it is (:mod:`.limits`), one line each."""
        self._list(blob, layout)
        with self._lock:
            return list(self._warnings.get((blob, layout), ()))

    def levels(self, blob: str, layout: str) -> dict:
        """Pyramid description for a viewer: page size and tile counts per level."""
        _, w, h = self._list(blob, layout)
        out = []
        for z in range(MAX_ZOOM + 1):
            zoom = TILE * 2**z / max(w, h)
            out.append(
                {"z": z, "cols": math.ceil(w * zoom / TILE), "rows": math.ceil(h * zoom / TILE)}
            )
        return {
            "tile": TILE, "width": w, "height": h, "levels": out,
            "warnings": self.warnings(blob, layout),
        }

    # -- tiles ------------------------------------------------------------------------------
    def render_tile(self, blob: str, layout: str, z: int, x: int, y: int) -> bytes:
        """PNG bytes of one tile, rendered from the in-memory display list (no disk cache)."""
        import pymupdf

        from drawings.render import min_line_width, png_bytes

        dl, w, h = self._list(blob, layout)
        if not 0 <= z <= MAX_ZOOM:
            raise NotFound(f"zoom level {z} out of range 0..{MAX_ZOOM} / 缩放级别超出范围")
        zoom = TILE * 2**z / max(w, h)
        cols, rows = math.ceil(w * zoom / TILE), math.ceil(h * zoom / TILE)
        if not (0 <= x < cols and 0 <= y < rows):
            raise NotFound(f"tile {z}/{x}/{y} outside the sheet / 瓦片超出图纸范围")
        min_line_width()
        irect = pymupdf.IRect(x * TILE, y * TILE, (x + 1) * TILE, (y + 1) * TILE)
        # clip in page space; MuPDF skips display-list nodes outside it
        with mupdf_guard(blob):
            part = dl.get_pixmap(
                matrix=pymupdf.Matrix(zoom, zoom), alpha=False, clip=pymupdf.Rect(irect) / zoom
            )
        if part.irect == irect:
            return png_bytes(part)
        pix = pymupdf.Pixmap(pymupdf.csRGB, irect, False)  # edge tile: pad with paper
        pix.clear_with(255)
        pix.copy(part, part.irect)
        return png_bytes(pix)

    def tile(self, blob: str, layout: str, z: int, x: int, y: int) -> bytes:
        """PNG bytes of tile z/x/y, from the disk cache or rendered and stored."""
        from drawings.render import write_atomic

        path = self._tile_path(blob, layout, z, x, y)
        try:
            return path.read_bytes()
        except FileNotFoundError:
            pass
        if 0 <= z <= BASE_ZOOM:
            self.prepare(blob, layout)  # the low levels are made together, once
            try:
                return path.read_bytes()
            except FileNotFoundError:
                pass  # outside the sheet: render_tile says so
        data = self.render_tile(blob, layout, z, x, y)
        write_atomic(path, data)
        return data

    def _tile_path(self, blob: str, layout: str, z: int, x: int, y: int) -> Path:
        return self.sheet_dir(blob, layout) / str(int(z)) / str(int(x)) / f"{int(y)}.png"

    def prepare(self, blob: str, layout: str) -> None:
        """Cache the sheet: its page, and levels 0..BASE_ZOOM as tiles on disk.

        Zoomed-out tiles show the whole sheet, so drawing them one by one would rasterise
        every entity each time; instead level BASE_ZOOM is drawn once and halved per level.
        """
        import pymupdf

        from drawings.render import min_line_width, png_bytes, write_atomic

        done = self.sheet_dir(blob, layout) / f"levels-0-{BASE_ZOOM}.done"
        if done.exists():
            return
        dl, w, h = self._list(blob, layout)
        min_line_width()
        zoom = TILE * 2**BASE_ZOOM / max(w, h)
        with mupdf_guard(blob):
            pix = dl.get_pixmap(matrix=pymupdf.Matrix(zoom, zoom), alpha=False)
        for z in range(BASE_ZOOM, -1, -1):
            if z < BASE_ZOOM:
                pix = pymupdf.Pixmap(pix, max(1, pix.width // 2), max(1, pix.height // 2), None)
            cols, rows = math.ceil(pix.width / TILE), math.ceil(pix.height / TILE)
            for x in range(cols):
                for y in range(rows):
                    irect = pymupdf.IRect(x * TILE, y * TILE, (x + 1) * TILE, (y + 1) * TILE)
                    tile = pymupdf.Pixmap(pymupdf.csRGB, irect, False)
                    tile.clear_with(255)
                    tile.copy(pix, irect & pix.irect)
                    write_atomic(self._tile_path(blob, layout, z, x, y), png_bytes(tile))
        write_atomic(done, b"")

    def thumbnail(self, blob: str, layout: str, size: int = THUMB) -> bytes:
        """PNG of the whole sheet fitting ``size`` x ``size`` pixels (cached)."""
        import pymupdf

        from drawings.render import min_line_width, png_bytes, write_atomic

        if not 16 <= size <= 2048:
            raise InvalidInput(f"thumbnail size {size} out of range 16..2048 / 缩略图尺寸超出范围")
        path = self.sheet_dir(blob, layout) / f"thumb-{size}.png"
        try:
            return path.read_bytes()
        except FileNotFoundError:
            pass
        dl, w, h = self._list(blob, layout)
        zoom = size / max(w, h)
        min_line_width()
        with mupdf_guard(blob):
            data = png_bytes(dl.get_pixmap(matrix=pymupdf.Matrix(zoom, zoom), alpha=False))
        write_atomic(path, data)
        return data
