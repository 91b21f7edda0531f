"""An upload with several bad files names every one of them (and stores nothing)."""

from __future__ import annotations

from pathlib import Path

import pytest

from drawings import UploadRefused, registry
from drawings.sources import UploadLimits
from storage.blobs import open_blob_store
from storage.db import transaction
from storage.errors import FileFormatError, InvalidInput
from tests.drawings.test_ingest import CODE, run, state
from yitaotu.demo import sheet

EMPTY = (0, 0, 0, [])


@pytest.fixture
def store(tmp_path: Path):
    return open_blob_store((tmp_path / "objects").as_uri())


@pytest.fixture
def project(sf) -> str:
    with transaction(sf) as s:
        registry.create_project(s, CODE, "示例项目")
    return CODE


def test_every_refused_file_is_named(tmp_path: Path, sf, store, project: str) -> None:
    good = tmp_path / "A-101.dxf"
    sheet(good, "A-101", "一层", 0)
    (tmp_path / "A-102.dxf").write_bytes(b"")
    (tmp_path / "A-103.pdf").write_bytes(b"%PDF-1.7\n1 0 obj\n")
    with pytest.raises(UploadRefused) as e:
        run(sf, store, [good, tmp_path / "A-102.dxf", tmp_path / "A-103.pdf"])
    assert len(e.value.refusals) == 2
    assert "A-102.dxf" in e.value.refusals[0] and "A-103.pdf" in e.value.refusals[1]
    assert "2 个文件被拒绝" in e.value.message and isinstance(e.value, InvalidInput)
    assert state(sf, store) == EMPTY


def test_one_refused_file_raises_its_own_error(tmp_path: Path, sf, store, project: str
                                              ) -> None:
    good = tmp_path / "A-101.dxf"
    sheet(good, "A-101", "一层", 0)
    (tmp_path / "A-102.dxf").write_bytes(b"")
    with pytest.raises(FileFormatError) as e:
        run(sf, store, [good, tmp_path / "A-102.dxf"])
    assert not isinstance(e.value, UploadRefused) and "A-102.dxf" in e.value.message
    assert state(sf, store) == EMPTY


def test_an_upload_over_its_total_is_refused_whole(tmp_path: Path, sf, store, project: str
                                                   ) -> None:
    paths = []
    for i in range(3):
        paths.append(tmp_path / f"A-10{i}.dxf")
        sheet(paths[-1], f"A-10{i}", "图", i)
    size = paths[0].stat().st_size
    with pytest.raises(InvalidInput) as e:
        run(sf, store, paths, upload_limits=UploadLimits(per_file=size * 2,
                                                         total=size + size // 2))
    assert not isinstance(e.value, UploadRefused) and "上传总量过大" in e.value.message
    assert state(sf, store) == EMPTY
