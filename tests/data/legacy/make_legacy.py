"""Make the legacy homes in this folder: projects written by the one-block loop (before
migration 0005), to test that migration and the replay of their chains.

Run from a checkout of commit e03d683 (the last one-block loop), with its venv:

    git worktree add /tmp/one-block e03d683
    cd /tmp/one-block && make .venv/.installed
    .venv/bin/python /path/to/tests/data/legacy/make_legacy.py /path/to/tests/data/legacy

It runs that checkout's own whole-loop test story twice, as written (chain format 2) and with
the payloads of chain format 1 (no `large_works`, no notes on carried opinions), and walks its
loop once more with a major change (back through review); each home is packed as
``<name>.tar.xz`` (the database vacuumed).
"""

from __future__ import annotations

import shutil
import sqlite3
import sys
import tarfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path.cwd()))

from storage.blobs import open_blob_store  # noqa: E402
from storage.db import make_engine, session_factory  # noqa: E402
from storage.migrate import upgrade  # noqa: E402
from tests.workflow.helpers import Driver, setup_world  # noqa: E402
from tests.workflow.test_story import run_story  # noqa: E402
from workflow import audit  # noqa: E402
from workflow.signing import KeyRing  # noqa: E402


def make(home: Path, first_format: bool, major: bool = False) -> None:
    if home.exists():
        shutil.rmtree(home)
    home.mkdir(parents=True)
    eng = make_engine(f"sqlite:///{home / 'yitaotu.db'}")
    upgrade(eng)
    if first_format:
        real = audit.append

        def append(*args: Any, payload: dict[str, Any], **kw: Any) -> Any:
            payload = {k: v for k, v in payload.items() if k != "large_works"}
            if "carried" in payload:
                payload["carried"] = [{k: v for k, v in c.items() if k != "note"}
                                      for c in payload["carried"]]
            return real(*args, payload=payload, **kw)

        audit.CHAIN_TYPE, audit.append = "yitaotu.audit/1", append
    try:
        w = setup_world(session_factory(eng), open_blob_store((home / "objects").as_uri()),
                        KeyRing(home / "keys", passphrase=""))
        if major:
            d = Driver(w, klass="major").goto("archived")
            versions = d.versions
        else:
            versions = run_story(w)
    finally:
        if first_format:
            audit.CHAIN_TYPE, audit.append = "yitaotu.audit/2", real
        eng.dispose()
    (home / "versions.txt").write_text(
        "".join(f"{k} {v}\n" for k, v in versions.items()), encoding="utf-8")
    db = sqlite3.connect(home / "yitaotu.db")
    db.execute("VACUUM")
    db.close()
    with tarfile.open(home.with_suffix(".tar.xz"), "w:xz") as tar:
        tar.add(home, arcname=home.name)
    shutil.rmtree(home)


if __name__ == "__main__":
    out = Path(sys.argv[1])
    make(out / "format2", first_format=False)
    make(out / "format1", first_format=True)
    make(out / "major", first_format=False, major=True)
