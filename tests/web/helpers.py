"""Helpers of the page tests: wait for a job, count what a home stores."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from yitaotu.context import App

#: A job that has not ended by then has hung (a guard, not a timing assertion).
JOB_DEADLINE = 300.0


def wait_job(client: Any, url: str) -> dict[str, Any]:
    """Poll a job's state (``/jobs/<id>.json``) until it ends."""
    end = time.monotonic() + JOB_DEADLINE
    while True:
        resp = client.get(url)
        assert resp.status_code == 200, resp.get_data(as_text=True)
        job = resp.get_json()
        if job["state"] in ("finished", "failed"):
            return job
        assert time.monotonic() < end, f"job still {job['state']}: {job}"
        time.sleep(0.1)


def stored(settings: Any) -> tuple[int, int, int]:
    """(set versions, blob files, files left in the upload area) of a home."""
    from drawings import registry

    app = App(settings)
    try:
        with app.session(write=False) as s:
            versions = len(registry.list_versions(s, "2023-110105-04-01-123450"))
    finally:
        app.close()
    home = Path(settings.home)
    blobs = sum(1 for p in (home / "objects").rglob("*") if p.is_file())
    uploads = home / "web-uploads"
    left = sum(1 for p in uploads.rglob("*") if p.is_file()) if uploads.exists() else 0
    return versions, blobs, left
