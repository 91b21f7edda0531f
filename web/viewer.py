"""What the sheet viewer shows, for its page and its API alike: a sheet of a set version, its
layouts, its tile pyramid (``drawings.render.tiles``) and the page-to-sheet transform.

A tile URL names the version id (immutable) and the sheet number, so a tile's bytes never
change under its URL: it is served with a year-long cache and an ETag.  Nothing here parses
a drawing inside a request: the pyramid (the sheet's page and its low levels) is made by a
job (:func:`start_pyramid`); until then the viewer says so and polls.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import current_app

import workflow
from drawings import registry
from storage.errors import InvalidInput, NotFound
from web.auth import store
from web.jobs import jobs

#: Levels shown to a viewer: OpenSeadragon's level L is our tile level L - LEVEL_OFFSET.
MAX_VIEW_ZOOM = 8
TILE_CACHE = "private, max-age=31536000, immutable"


@dataclass(frozen=True)
class SheetRef:
    """One sheet of one version of a project, as the user may see it."""

    access: workflow.Access
    version: str  # the full version id
    number: str
    entry: dict[str, Any]
    layout: str  # "" = the drawing's main sheet; a PDF page's number; a layout name

    @property
    def blob(self) -> str:
        return self.entry["blob"]


def tiles() -> Any:
    """The app's tile cache (one per process: it keeps a few display lists in memory)."""
    from drawings.render.tiles import TileCache

    cache = current_app.extensions.get("yitaotu.tiles")
    if cache is None:
        st = store()
        cache = TileCache.for_home(st.settings.home, lambda blob: load_drawing(st, blob))
        current_app.extensions["yitaotu.tiles"] = cache
    return cache


def load_drawing(st: Any, blob: str) -> Any:
    import drawings

    return drawings.read(st.blobs.read_bytes(blob, verify=True), name=f"blob {blob[:12]}")


def resolve(user: str, code: str, rev: str, number: str, layout: str | None = None) -> SheetRef:
    """The sheet ``number`` of version ``rev`` (a ref or an id) of project ``code``: not found
    for whoever may not see the project; ``layout`` must be one the sheet has."""
    with store().session(write=False) as s:
        access = workflow.project_access(s, user, code)
        v = registry.resolve_version(s, access.project, rev or "head")
        entry = (v.manifest or {}).get(number)
        if entry is None:
            raise NotFound(f"图号不存在 no sheet {number[:60]!r} in version {v.id[:12]}")
        vid = v.id
    if entry.get("page") is not None:
        chosen = str(entry["page"])
        if layout not in (None, "", chosen):
            raise NotFound(f"{number}: 无此布局 no layout {layout[:60]!r} (one PDF page)")
    else:
        chosen = layout or ""
        if chosen and chosen not in layouts_of(entry, number):
            raise NotFound(f"{number}: 无此布局 no layout {chosen[:60]!r}")
    return SheetRef(access, vid, number, dict(entry), chosen)


def layouts_of(entry: dict[str, Any], number: str) -> list[str]:
    """The sheet's layouts (model space and paper layouts with content), from its stored
    index: no parse.  A PDF page has one."""
    from drawings import index as drawing_index

    if entry.get("page") is not None or not entry.get("index"):
        return []
    data = store().blobs.read_bytes(entry["index"])
    idx = drawing_index.loads(data, f"{number} index {entry['index'][:12]}")
    return [s.name for s in idx.sheets if len(s)]


def pyramid(ref: SheetRef) -> dict[str, Any]:
    """Where the sheet's pyramid stands: ``ready`` with its geometry, or not yet."""
    cache = tiles()
    if not cache.ready(ref.blob, ref.layout):
        return {"ready": False}
    g = cache.geometry(ref.blob, ref.layout)
    side = 256 * 2**MAX_VIEW_ZOOM
    scale = side / max(g["width"], g["height"])
    return {"ready": True, "tile": 256, "max_zoom": MAX_VIEW_ZOOM,
            "width": g["width"], "height": g["height"], "matrix": g["matrix"],
            "pixels": [round(g["width"] * scale), round(g["height"] * scale)],
            "sheet": g.get("sheet"), "entities": g.get("entities")}


def start_pyramid(ref: SheetRef, user: str) -> str | None:
    """Queue the job that makes the pyramid; None when it is ready already."""
    if tiles().ready(ref.blob, ref.layout):
        return None
    return jobs().submit("pyramid", owner=user, project=ref.access.project, blob=ref.blob,
                         layout=ref.layout)


def tile(ref: SheetRef, z: int, x: int, y: int) -> bytes:
    """One tile's PNG.  Levels above the base are cut from the cached page's display list
    (one clipped raster); a pyramid that is not made yet is refused, never made here."""
    if not 0 <= z <= MAX_VIEW_ZOOM:
        raise NotFound(f"缩放级别超出范围 zoom level {z} out of range 0..{MAX_VIEW_ZOOM}")
    cache = tiles()
    if not cache.ready(ref.blob, ref.layout):
        raise NotFound("瓦片尚未生成 the sheet's tiles are not made yet: start its pyramid job")
    return cache.tile(ref.blob, ref.layout, z, x, y)


def etag(ref: SheetRef, z: int, x: int, y: int) -> str:
    """The tile's identity: renderer, blob, layout and position (ASCII, whatever the layout)."""
    import hashlib

    from drawings.render import RENDERER_VERSION

    key = f"{RENDERER_VERSION}\0{ref.blob}\0{ref.layout}\0{z}/{x}/{y}".encode()
    return hashlib.sha256(key).hexdigest()[:32]


def register(user: str, code: str, rev: str) -> dict[str, Any]:
    """The sheet register of a version: 图号, 图名, format, revision per sheet."""
    with store().session(write=False) as s:
        access = workflow.project_access(s, user, code)
        v = registry.resolve_version(s, access.project, rev or "head")
        rows = []
        for number, e in sorted((v.manifest or {}).items()):
            rows.append({"number": number, "title": e.get("title") or "",
                         "format": e.get("format") or "", "blob": e["blob"],
                         "page": e.get("page"), "unit": e.get("unit")})
        return {"project": access.project, "version": v.id, "message": v.message,
                "sheets": rows}


def check_layout_param(layout: str | None) -> str | None:
    if layout is not None and len(layout) > 255:
        raise InvalidInput("布局名过长 layout name too long")
    return layout
