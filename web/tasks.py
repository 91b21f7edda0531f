"""The jobs' work (run by :mod:`web.jobs` in a worker thread or an RQ worker)."""

from __future__ import annotations

import contextlib
import shutil
from pathlib import Path
from typing import Any

from drawings import UploadLimits, ingest_upload
from web.store import Store


def upload(progress: Any, settings: Any, *, project: str, folder: str, message: str,
           author: str) -> dict[str, Any]:
    """Ingest the files saved in ``folder`` (``drawings.ingest_upload``: validated before any
    blob is stored), then remove them; the result says ``+added ~changed -removed =same``."""
    store = Store(settings)
    root = Path(folder)

    def report(step: str, done: int, total: int) -> None:
        """Progress names a file as uploaded (not where the server keeps it)."""
        with contextlib.suppress(ValueError):
            step = Path(step).relative_to(root).as_posix().split("/", 1)[-1]
        progress(step, done, total)

    try:
        files = sorted(p for p in Path(folder).rglob("*") if p.is_file())
        result = ingest_upload(store.session, store.blobs, project, files, message=message,
                               author=author, progress=report,
                               upload_limits=UploadLimits.from_env())
        out = result.to_dict()
        out["summary"] = result.message
        return out
    finally:
        store.close()
        shutil.rmtree(folder, ignore_errors=True)


def pyramid(progress: Any, settings: Any, *, project: str, blob: str,
            layout: str) -> dict[str, Any]:
    """Make a sheet's tile pyramid (parse, page, levels 0..3) so the viewer's requests only
    cut tiles; the result is the page's geometry."""
    from drawings.render.tiles import TileCache
    from web.viewer import load_drawing

    store = Store(settings)
    try:
        cache = TileCache.for_home(settings.home, lambda b: load_drawing(store, b))
        progress("parse", 0, 3)
        cache.page(blob, layout, progress=lambda step: progress(step, 1, 3))
        progress("tiles", 2, 3)
        cache.prepare(blob, layout)
        progress("done", 3, 3)
        return {"project": project, **cache.geometry(blob, layout)}
    finally:
        store.close()
