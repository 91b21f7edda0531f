"""Hostile uploads (issue #10): refused by name, in bounded memory, with nothing written;
odd but honest input (GBK names in zips, names that are not UTF-8, over-long title blocks)
ingested on both databases."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from drawings import registry
from drawings.sources import UploadLimits
from storage.blobs import open_blob_store
from storage.db import transaction
from storage.errors import FileFormatError, InvalidInput
from tests.drawings.sheets import make_dxf
from tests.drawings.test_ingest import CODE, run, state
from tests.fuzz import hostile

EMPTY = (0, 0, 0, [])


@pytest.fixture
def store(tmp_path: Path):
    return open_blob_store((tmp_path / "objects").as_uri())


@pytest.fixture
def project(sf) -> str:
    with transaction(sf) as s:
        registry.create_project(s, CODE, "示例项目")
    return CODE


@pytest.fixture
def good(tmp_path: Path) -> bytes:
    return make_dxf(tmp_path / "good.dxf", lines=50).read_bytes()


def refused(sf, store, paths, match: str, kind=InvalidInput, **kw) -> str:
    with pytest.raises(kind, match=match) as e:
        run(sf, store, paths, **kw)
    assert state(sf, store) == EMPTY  # nothing written: no row, no blob
    return str(e.value)


def test_zip_bomb_refused_from_the_directory(sf, store, project, tmp_path) -> None:
    bomb = hostile.zip_bomb(tmp_path / "bomb.zip", members=2, member_size=64 << 20)
    msg = refused(sf, store, [bomb], "zip bomb", FileFormatError)
    assert "bomb.zip!A-101.dxf" in msg


def test_inflated_bytes_are_counted(sf, store, project, tmp_path, good) -> None:
    """A member that inflates past its declared size, and limits per file and per upload
    counted on the bytes as read."""
    liar = hostile.lying_zip(tmp_path / "liar.zip", declared=1000, actual=4 << 20)
    assert "liar.zip!A-101.dxf" in refused(sf, store, [liar], "damaged archive member")
    z = tmp_path / "ok.zip"
    with zipfile.ZipFile(z, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("A-101.dxf", good)
        zf.writestr("A-102.dxf", good + b"\n")
    small = UploadLimits(per_file=len(good) // 2)
    assert "ok.zip!A-101.dxf" in refused(sf, store, [z], "larger than", upload_limits=small)
    total = UploadLimits(total=len(good) + 10)
    refused(sf, store, [z], "YITAOTU_MAX_UPLOAD_TOTAL", upload_limits=total)


def test_total_limit_from_the_environment(sf, store, project, tmp_path, good, monkeypatch):
    for n in (1, 2):
        (tmp_path / "set").mkdir(exist_ok=True)
        (tmp_path / "set" / f"A-10{n}.dxf").write_bytes(good)
    monkeypatch.setenv("YITAOTU_MAX_UPLOAD_TOTAL", str(len(good) + 1))
    refused(sf, store, [tmp_path / "set"], "YITAOTU_MAX_UPLOAD_TOTAL")
    monkeypatch.setenv("YITAOTU_MAX_UPLOAD_TOTAL", "lots")
    refused(sf, store, [tmp_path / "set"], "YITAOTU_MAX_UPLOAD_TOTAL='lots'")


@pytest.mark.parametrize(
    ("kw", "match"),
    [
        ({"encrypted": True}, "encrypted member"),
        ({"method": 9}, r"compression method 9 \(Deflate64\)"),
        ({"method": 99}, r"compression method 99 \(AES\)"),
    ],
)
def test_zip_members_that_cannot_be_inflated(sf, store, project, tmp_path, good, kw, match):
    z = hostile.zip_with_flags(tmp_path / "odd.zip", good, **kw)
    assert "odd.zip!A-101.dxf" in refused(sf, store, [z], match, FileFormatError)


def test_nested_zip_refused(sf, store, project, tmp_path, good) -> None:
    z = hostile.nested_zip(tmp_path / "nested.zip", good, depth=2)
    assert "nested.zip!inner0.zip" in refused(sf, store, [z], "nested archive", FileFormatError)


def test_zip_member_names_in_gbk_and_broken_utf8(sf, store, project, tmp_path, good):
    name = "A-102 二层平面图.dxf".encode("gbk")
    gbk = hostile.zip_with_raw_name(tmp_path / "gbk.zip", name, good)
    r = run(sf, store, [gbk])
    assert r.added == ["A-102"] and r.version.manifest["A-102"]["title"] == "二层平面图"
    broken = hostile.zip_with_raw_name(
        tmp_path / "broken.zip", b"A-103 \xff.dxf", good, utf8_flag=True
    )
    with pytest.raises(FileFormatError, match="broken.zip: bad zip archive"):
        run(sf, store, [broken])


def test_file_name_that_is_not_utf8(sf, store, project, tmp_path, good) -> None:
    d = tmp_path / "raw"
    d.mkdir()
    hostile.bytes_name(d, good)
    r = run(sf, store, [d])
    entry = r.version.manifest["A-101"]
    assert entry["title"] == "\\xff\\xfe"  # shown, stored and exported as text
    bad = hostile.bytes_name(d, b"not a drawing", stem=b"B-1 \xff")
    with pytest.raises(FileFormatError) as e:
        run(sf, store, [os.fsdecode(bad)])
    assert "B-1 \\xff.dxf" in str(e.value)


def test_sheet_numbers_checked_before_any_blob(sf, store, project, tmp_path, good) -> None:
    d = tmp_path / "set"
    d.mkdir()
    for n in range(1, 5):
        (d / f"A-10{n}.dxf").write_bytes(good + b"\n" * n)
    long_map = tmp_path / "map.csv"
    long_map.write_text("A-104.dxf," + "X" * 150 + "\n", encoding="utf-8")
    msg = refused(sf, store, [d], r"图号 sheet number 过长 too long: 150", mapping=long_map)
    assert "map.csv:1" in msg and len(msg) < 300
    refused(sf, store, [d], "must not be empty", mapping={"A-101.dxf": {"number": " "}})
    stem = d / ("plan" + "x" * 97 + ".dxf")  # no number in it: the stem, 101 characters
    stem.write_bytes(good)
    refused(sf, store, [d], "give one with --map")


def test_author_and_message_checked_before_any_blob(sf, store, project, tmp_path) -> None:
    f = make_dxf(tmp_path / "A-101.dxf")
    refused(sf, store, [f], "作者 author", author="u" * 101)
    refused(sf, store, [f], "说明 message", message="m" * 10_001)


def test_title_block_fields_are_cut_to_fit(sf, store, project, tmp_path) -> None:
    """A 图名 over 300 characters is cut with a warning (PostgreSQL stores it, like SQLite);
    a 图号 no sheet number could be is ignored and the file name decides."""
    f = make_dxf(tmp_path / "A-101 平面.dxf", "图" * 150, "名" * 400)
    r = run(sf, store, [f])
    assert r.added == ["A-101"]
    assert r.version.manifest["A-101"]["title"] == "名" * 300
    assert any("图名" in w and "300" in w for w in r.warnings)
    assert any("图号" in w for w in r.warnings)


def _cli(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "YITAOTU_HOME": str(home), "YITAOTU_USER": "t"}
    for k in ("YITAOTU_DATABASE_URL", "YITAOTU_BLOBS"):
        env.pop(k, None)
    return subprocess.run(
        [sys.executable, "-c", "from yitaotu.cli import main; main()", *args],
        env=env, capture_output=True, text=True, errors="backslashreplace", timeout=120,
    )


def test_fifo_paths_are_refused_not_read(tmp_path: Path, good) -> None:
    """A FIFO as a path, inside a directory or as --map: refused from its stat (the old
    ingest opened it and waited for a writer forever)."""
    home = tmp_path / "home"
    assert _cli("init", home=home).returncode == 0
    assert _cli("project", "create", CODE, "p", home=home).returncode == 0
    d = tmp_path / "set"
    d.mkdir()
    (d / "A-101.dxf").write_bytes(good)
    fifo = hostile.fifo(d, "A-102.dxf")
    for args in ([str(fifo)], [str(d)], [str(d / "A-101.dxf"), "--map", str(fifo)]):
        r = _cli("ingest", CODE, *args, home=home)
        assert r.returncode == 20 and "Traceback" not in r.stderr, r.stderr
        assert r.stderr.startswith(f"error: {fifo}: 不是普通文件（管道）not a regular file")
    assert not list((home / "objects").rglob("*.*")) and not [
        p for p in (home / "objects").rglob("*") if p.is_file()
    ]


def test_cli_output_with_names_that_are_not_utf8(tmp_path: Path, good) -> None:
    home = tmp_path / "home"
    _cli("init", home=home)
    _cli("project", "create", CODE, "p", home=home)
    d = tmp_path / "raw"
    d.mkdir()
    hostile.bytes_name(d, good, stem=b"\xff\xfe")
    r = _cli("ingest", CODE, str(d), home=home)
    assert r.returncode == 0 and "Traceback" not in r.stderr, r.stderr
    assert "\\xff\\xfe" in r.stdout + r.stderr
    ls = _cli("ls", f"{CODE}:head", "--json", home=home)
    assert ls.returncode == 0 and "\\\\xff\\\\xfe" in ls.stdout
