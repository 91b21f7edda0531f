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
