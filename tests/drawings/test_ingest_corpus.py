"""Ingest real files from the corpus (the shared one, or the sample in tests/data)."""

from __future__ import annotations

import csv
import hashlib
from pathlib import Path

import pytest

from drawings import registry
from drawings.ingest import ingest
from drawings.maintenance import fsck
from storage.blobs import open_blob_store
from storage.db import make_engine, session_factory, transaction
from storage.errors import FileFormatError
from storage.migrate import upgrade
from tests.conftest import FULL_CORPUS

CODE = "2023-110105-04-01-123450"
#: Small files of every format (DXF ASCII R12/R2000+/binary, DWG R14/R2018, PDF), all in the
#: sample; the shared corpus adds DWG R2013 and files with Chinese names.
PICKS = [
    "single/ezdxf/dxf_unicode.dxf",
    "single/ezdxf/bin_dxf_r14.dxf",
    "single/ezdxf/POLI-ALL210_12.DXF",
    "pairs/acadsharp-sample-ac1014-dwg/r2_533bc8a.dwg",
    "pairs/acadsharp-sample-ac1032-dwg/r1_7bc26dd.dwg",
    "single/barcelona-pavillion/exported plan view.pdf",
] + ([
    "pairs/raumzeitlabor-floorplan/r1_13975b4.dxf",
    "pairs/autocad-git-diff-drawing1/r1_0a23705.dwg",
    "pairs/wjane-gaochengtu/r1_8a4aec4.dwg",
] if FULL_CORPUS else [])


def manifest(corpus: Path) -> dict[str, dict[str, str]]:
    with open(corpus / "MANIFEST.tsv", encoding="utf-8", newline="") as f:
        return {row["path"]: row for row in csv.DictReader(f, delimiter="\t")}


def test_ingest_corpus_files(corpus: Path, tmp_path: Path) -> None:
    rows = manifest(corpus)
    engine = make_engine(f"sqlite:///{tmp_path / 'y.db'}")
    upgrade(engine)
    sf = session_factory(engine)
    store = open_blob_store((tmp_path / "objects").as_uri())
    mapping = {Path(p).name: {"number": f"C-{i:02d}"} for i, p in enumerate(PICKS)}
    with transaction(sf) as s:
        registry.create_project(s, CODE, "corpus")
    with transaction(sf) as s:
        r = ingest(
            s,
            store,
            CODE,
            [corpus / p for p in PICKS],
            message="corpus",
            author="t",
            mapping=mapping,
        )
        m = r.version.manifest
        by_blob = {e["blob"]: e for e in m.values()}
        for p in PICKS:
            row = rows[p]
            entry = by_blob[row["sha256"]]
            assert hashlib.sha256((corpus / p).read_bytes()).hexdigest() == entry["blob"]
            kind = row["format+version"].split()[0].lower()
            assert entry["format"].startswith(kind), (p, entry["format"])
            if kind in ("dxf", "dwg"):
                assert entry["version"] in row["format+version"], (p, entry["version"])
        assert fsck(s, store).ok
    engine.dispose()


def test_old_dwg_is_refused_by_name(tmp_path: Path) -> None:
    """A DWG older than R13 (AC1009, as written by AutoCAD R11/R12)."""
    old = tmp_path / "dim.dwg"
    old.write_bytes(b"AC1009" + bytes(range(256)) * 8)
    engine = make_engine(f"sqlite:///{tmp_path / 'y.db'}")
    upgrade(engine)
    sf = session_factory(engine)
    store = open_blob_store((tmp_path / "objects").as_uri())
    with transaction(sf) as s:
        registry.create_project(s, CODE, "corpus")
    with pytest.raises(FileFormatError, match="dim.dwg"), transaction(sf) as s:
        ingest(s, store, CODE, [old], message="m", author="t")
    assert list(store.iter_ids()) == []
    engine.dispose()
