"""Set-level diff through the real store (SQLite and PostgreSQL; local and S3 blobs)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select, update

from diffing import diff_versions
from diffing.models import DiffCacheEntry
from drawings import registry
from drawings.ingest import ingest
from storage.db import session_factory, transaction
from tests.gen.floorplan import edit_plan, make_plan, write_dxf

CODE = "2023-110105-04-01-123450"


def _setup(tmp_path: Path, engine, blob_store):
    sf = session_factory(engine)
    v1, v2 = tmp_path / "v1", tmp_path / "v2"
    v1.mkdir()
    v2.mkdir()
    plan = make_plan((3, 2), seed=1)
    write_dxf(plan, v1 / "A-101 平面.dxf")
    write_dxf(make_plan((2, 2), seed=2), v1 / "A-102 立面.dxf")
    edited, _ = edit_plan(plan, seed=3, modify=3, add=1, remove=1)
    write_dxf(edited, v2 / "A-101 平面.dxf", shuffle=1, handle_start=0x2000)
    with transaction(sf) as s:
        registry.create_project(s, CODE, "示例")
        a = ingest(s, blob_store, CODE, [v1], message="1", author="t").version.id
    with transaction(sf) as s:
        b = ingest(s, blob_store, CODE, [v2], message="2", author="t").version.id
    return sf, a, b, len(plan.items)


def test_set_diff_and_cache(tmp_path, engine, blob_store):
    sf, a, b, n = _setup(tmp_path, engine, blob_store)
    with transaction(sf) as s:
        sd = diff_versions(s, blob_store, CODE, a, b)
    assert bool(sd) and sd.stats == {"added": 0, "removed": 0, "changed": 1, "unchanged": 1}
    changed = {e.number: e for e in sd.sheets}["A-101"]
    assert changed.summary == {"added": 1, "removed": 1, "modified": 3, "unchanged": n - 4}
    with transaction(sf) as s:
        assert s.scalar(select(func.count()).select_from(DiffCacheEntry)) == 1
        again = diff_versions(s, blob_store, CODE, a, b)  # from the cache
        assert again.to_json() == sd.to_json()
        assert s.scalar(select(func.count()).select_from(DiffCacheEntry)) == 1
        # other options are another report
        diff_versions(s, blob_store, CODE, a, b, ignore_style=True)
        assert s.scalar(select(func.count()).select_from(DiffCacheEntry)) == 2
    with transaction(sf) as s:  # a damaged cache row is a miss, never an error
        s.execute(update(DiffCacheEntry).values(report=b"not zlib"))
    with transaction(sf) as s:
        assert diff_versions(s, blob_store, CODE, a, b).to_json() == sd.to_json()
    with transaction(sf) as s:
        assert not diff_versions(s, blob_store, CODE, b, b)
