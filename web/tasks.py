"""The jobs' work (run by :mod:`web.jobs` in a worker thread or an RQ worker)."""

from __future__ import annotations

import contextlib
import re
import shutil
from pathlib import Path
from typing import Any

from drawings import UploadLimits, UploadRefused, ingest_upload
from storage.errors import InvalidInput, YitaotuError
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
        try:
            result = ingest_upload(store.session, store.blobs, project, files, message=message,
                                   author=author, progress=report,
                                   upload_limits=UploadLimits.from_env())
        except UploadRefused as e:  # one refusal a line: the page lists them
            raise InvalidInput("\n".join(_shown(r, root) for r in e.refusals)) from None
        except YitaotuError as e:
            e.message = _shown(e.message, root)
            raise
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


def _shown(message: str, root: Path) -> str:
    """A refusal naming the file as uploaded, not where the server saved it
    (``<root>/<n>/name`` -> ``name``)."""
    return re.sub(re.escape(str(root)) + r"/\d+/", "", message)


def thumbnails(progress: Any, settings: Any, *, project: str,
               sheets: list[dict[str, Any]]) -> dict[str, Any]:
    """Render and cache the thumbnails of ``sheets`` (``{"blob", "page"}``); a sheet that
    cannot be drawn is named in ``failed`` and the others are still made."""
    from storage.errors import YitaotuError
    from web.sets import THUMB, layout_of, tile_cache

    cache = tile_cache(settings)
    done, failed = 0, []
    for i, entry in enumerate(sheets):
        progress(entry["blob"][:12], i, len(sheets))
        try:
            cache.thumbnail(entry["blob"], layout_of(entry), THUMB)
            done += 1
        except YitaotuError as e:
            failed.append({"blob": entry["blob"], "page": entry.get("page"),
                           "message": e.message})
    progress("", len(sheets), len(sheets))
    return {"project": project, "rendered": done, "failed": failed}


def package(progress: Any, settings: Any, *, project: str, at: str,
            user: str) -> dict[str, Any]:
    """The inspector's pull (``workflow.inspect_pull``: the set in force at ``at`` as a signed
    package that ``yitaotu archive verify`` checks), kept under
    ``$YITAOTU_HOME/web-packages/<job>.zip`` for its owner to download."""
    from datetime import datetime

    import workflow
    from web.inspect import packages_dir

    store = Store(settings)
    try:
        progress("package", 0, 1)
        folder = packages_dir(settings)
        folder.mkdir(parents=True, exist_ok=True)
        out = folder / f"{progress.job_id}.zip"
        with store.session(write=False) as s:
            done = workflow.inspect_pull(s, store.blobs, store.keys, at=datetime.fromisoformat(at),
                                         user=user, out=out, project=project)
        progress("package", 1, 1)
        report = done.get("report") or {}
        return {"project": done["project"], "at": done["at"], "version": done["version"],
                "sheets": len(done["sheets"]), "files": done["files"],
                "bytes": out.stat().st_size, "verified": bool(report.get("ok"))}
    finally:
        store.close()
