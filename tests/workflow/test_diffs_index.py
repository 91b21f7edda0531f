"""``workflow.diffs.sheet_report`` from stored indexes: the same changes as parsing the blobs.

Manifest entries written at ingest carry their index blob (``"index"``); the report then comes
from the indexes.  Entries without one (an opinion carried from an older revision) and entries
whose index blob is missing or damaged fall back to reading and parsing both blobs.
"""

from __future__ import annotations

import pytest

from drawings import index, read
from tests.workflow.helpers import sheet_dxf
from workflow.diffs import sheet_report


def _entry(blobs, data: bytes, *, with_index: bool = True) -> dict:
    entry = {"blob": blobs.put_bytes(data), "format": "dxf"}
    if with_index:
        entry["index"] = blobs.put_bytes(index.dumps(read(data, name="sheet.dxf")))
    return entry


def _state(rep) -> tuple:
    return ([(c["kind"], tuple(c["bbox"])) for c in rep.changes], rep.clusters, rep.extents)


@pytest.mark.parametrize("kw", [{"extra": 3}, {"box": 600.0}])
def test_indexes_give_the_same_report_as_the_blobs(local_blobs, kw) -> None:
    old_data, new_data = sheet_dxf("A-101", "平面图"), sheet_dxf("A-101", "平面图", **kw)
    old, new = _entry(local_blobs, old_data), _entry(local_blobs, new_data)
    from_index = sheet_report(local_blobs, old, new)
    parsed = sheet_report(local_blobs, {"blob": old["blob"]}, {"blob": new["blob"]})
    assert from_index is not None and parsed is not None
    assert from_index.changes and _state(from_index) == _state(parsed)
    assert from_index.extents is not None


def test_index_path_parses_no_blob(local_blobs, monkeypatch) -> None:
    old = _entry(local_blobs, sheet_dxf("A-101", "平面图"))
    new = _entry(local_blobs, sheet_dxf("A-101", "平面图", extra=2))
    import drawings

    def no_read(*a, **k):
        raise AssertionError("a blob was parsed")

    monkeypatch.setattr(drawings, "read", no_read)
    rep = sheet_report(local_blobs, old, new)
    assert rep is not None and len(rep.changes) == 2


def test_missing_or_damaged_index_falls_back_to_the_blobs(local_blobs) -> None:
    old = _entry(local_blobs, sheet_dxf("A-101", "平面图"))
    new = _entry(local_blobs, sheet_dxf("A-101", "平面图", extra=2))
    expected = _state(sheet_report(local_blobs, old, new))
    broken = dict(new, index=local_blobs.put_bytes(b"not an index"))
    assert _state(sheet_report(local_blobs, old, broken)) == expected
    missing = dict(new, index="0" * 64)
    assert _state(sheet_report(local_blobs, old, missing)) == expected
    carried = {"blob": old["blob"], "page": None}  # an opinion's entry: no index
    assert _state(sheet_report(local_blobs, carried, new)) == expected
