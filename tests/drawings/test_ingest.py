"""Ingest of generated DXF sets, zips and bad input, on SQLite and PostgreSQL."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from sqlalchemy import func, select

from drawings import registry
from drawings.ingest import ingest, load_mapping, number_from_name
from drawings.maintenance import fsck
from drawings.models import BlobRecord, SetVersion, SheetRevision
from storage.blobs import open_blob_store
from storage.db import transaction
from storage.errors import FileFormatError, InvalidInput, NotFound
from tests.drawings.sheets import make_dxf

CODE = "2023-110105-04-01-123450"


@pytest.fixture
def store(tmp_path: Path):
    return open_blob_store((tmp_path / "objects").as_uri())


@pytest.fixture
def project(sf) -> str:
    with transaction(sf) as s:
        registry.create_project(s, CODE, "示例项目")
    return CODE


@pytest.fixture
def sheet_set(tmp_path: Path) -> Path:
    d = tmp_path / "set"
    make_dxf(d / "A-101 一层平面图.dxf", "A-101", "一层平面图", seed=1)
    make_dxf(d / "A-102 二层平面图.dxf", "A-102", "二层平面图", seed=2)
    make_dxf(d / "sub" / "S-201_基础平面图.dxf", "S-201", "基础平面图", seed=3)
    return d


def run(sf, store, paths, **kw):
    kw.setdefault("message", "m")
    kw.setdefault("author", "设计院")
    with transaction(sf) as s:
        return ingest(s, store, CODE, [str(p) for p in paths], **kw)


def state(sf, store) -> tuple[int, int, int, list[str]]:
    with transaction(sf) as s:
        return (
            s.scalar(select(func.count()).select_from(SetVersion)),
            s.scalar(select(func.count()).select_from(BlobRecord)),
            s.scalar(select(func.count()).select_from(SheetRevision)),
            sorted(store.iter_ids()),
        )


def test_number_from_name() -> None:
    assert number_from_name("A-101 平面图.dxf") == ("A-101", "平面图")
    assert number_from_name("建施-01_一层平面图.dwg") == ("建施-01", "一层平面图")
    assert number_from_name("S101.pdf") == ("S101", None)
    assert number_from_name("plan.dxf") is None
    assert number_from_name("7bc26dd.dxf") is None


def test_ingest_directory_then_changes(sf, store, project, sheet_set, tmp_path) -> None:
    r1 = run(sf, store, [sheet_set], message="首次提交")
    assert r1.changed and r1.added == ["A-101", "A-102", "S-201"] and r1.files == 3
    with transaction(sf) as s:
        head = registry.get_ref(s, CODE, "head")
        assert head.id == r1.version.id and head.message == "首次提交"
        entry = head.manifest["A-101"]
        assert entry["format"] == "dxf" and entry["version"] == "AC1027"
        assert entry["title"] == "一层平面图" and entry["page"] is None
        assert store.has(entry["blob"]) and store.has(entry["index"])
        assert registry.get_sheet(s, entry["blob"]).index_blob_id == entry["index"]
        assert registry.reflog(s, CODE, "head")[0].actor == "设计院"

    again = run(sf, store, [sheet_set])
    assert not again.changed and again.version is None and "nothing changed" in again.message

    make_dxf(sheet_set / "A-102 二层平面图.dxf", "A-102", "二层平面图", seed=20)
    extra = make_dxf(tmp_path / "new" / "A-103 三层平面图.dxf", "A-103", "三层平面图")
    r2 = run(sf, store, [sheet_set / "A-102 二层平面图.dxf", extra])
    assert r2.changed and r2.modified == ["A-102"] and r2.added == ["A-103"]
    assert r2.unchanged == ["A-101", "S-201"] and r2.removed == []
    assert r2.version.parents == [r1.version.id]

    r3 = run(sf, store, [extra], replace=True)
    assert r3.removed == ["A-101", "A-102", "S-201"] and r3.unchanged == ["A-103"]
    with transaction(sf) as s:
        assert list(registry.get_ref(s, CODE, "head").manifest) == ["A-103"]
        assert [v.id for v in registry.log(s, CODE, "head")] == [
            r3.version.id,
            r2.version.id,
            r1.version.id,
        ]
        assert fsck(s, store).ok


def test_identical_bytes_stored_once(sf, store, project, tmp_path) -> None:
    a = make_dxf(tmp_path / "a" / "A-101.dxf")  # no title block: the names decide
    b = tmp_path / "b" / "A-201.dxf"
    b.parent.mkdir()
    b.write_bytes(a.read_bytes())
    r = run(sf, store, [a, b])
    m = r.version.manifest
    assert m["A-101"]["blob"] == m["A-201"]["blob"]
    with transaction(sf) as s:
        dxf_blobs = s.scalars(select(BlobRecord.id).where(BlobRecord.format == "dxf")).all()
    assert dxf_blobs == [m["A-101"]["blob"]]


def test_zip(sf, store, project, sheet_set, tmp_path) -> None:
    z = tmp_path / "upload.zip"
    with zipfile.ZipFile(z, "w") as zf:
        for f in sorted(sheet_set.rglob("*.dxf")):
            zf.write(f, f.relative_to(sheet_set).as_posix())
        zf.writestr("sub/", "")
    r = run(sf, store, [z])
    assert r.added == ["A-101", "A-102", "S-201"]


@pytest.mark.parametrize("member", ["../evil.dxf", "/etc/evil.dxf", "a/../../evil.dxf", "C:/x.dxf"])
def test_zip_unsafe_names_rejected(sf, store, project, sheet_set, tmp_path, member) -> None:
    z = tmp_path / "bad.zip"
    with zipfile.ZipFile(z, "w") as zf:
        zf.write(sheet_set / "A-101 一层平面图.dxf", "A-101.dxf")
        zf.writestr(member, (sheet_set / "A-102 二层平面图.dxf").read_bytes())
    before = state(sf, store)
    with pytest.raises(InvalidInput, match="unsafe member name"):
        run(sf, store, [z])
    assert state(sf, store) == before == (0, 0, 0, [])


def _bad_files(tmp_path: Path, good: Path) -> dict[str, Path]:
    d = tmp_path / "bad"
    d.mkdir()
    files = {
        "empty": d / "A-901.dxf",
        "truncated": d / "A-902.dxf",
        "text": d / "A-903.dxf",
        "garbage-dxf": d / "A-904.dxf",
        "truncated-pdf": d / "A-905.pdf",
    }
    files["empty"].write_bytes(b"")
    files["truncated"].write_bytes(good.read_bytes()[: len(good.read_bytes()) // 3])
    files["text"].write_text("这不是图纸 this is not a drawing\n" * 20, encoding="utf-8")
    files["garbage-dxf"].write_bytes(
        b"  0\nSECTION\n  2\nHEADER\n  9\n$ACADVER\n  1\nAC1027\n  0\nENDSEC\n"
        b"  0\nSECTION\n  2\nENTITIES\n  0\nLINE\n 10\nnot-a-number\n 20\n\x00\x01\x02\n"
    )
    files["truncated-pdf"].write_bytes(b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog")
    return files


@pytest.mark.parametrize("kind", ["empty", "truncated", "text", "garbage-dxf", "truncated-pdf"])
def test_bad_files_change_nothing(sf, store, project, sheet_set, tmp_path, kind) -> None:
    bad = _bad_files(tmp_path, sheet_set / "A-101 一层平面图.dxf")[kind]
    run(sf, store, [sheet_set])
    before = state(sf, store)
    with pytest.raises(FileFormatError) as e:
        run(sf, store, [sheet_set / "A-102 二层平面图.dxf", bad])
    assert bad.name in str(e.value)
    assert state(sf, store) == before


def test_mapping_and_duplicates(sf, store, project, tmp_path) -> None:
    d = tmp_path / "m"
    make_dxf(d / "plan.dxf")
    make_dxf(d / "section.dxf", seed=5)
    csv_map = tmp_path / "map.csv"
    csv_map.write_text("file,number,title\nplan.dxf,A-301,总平面图\n", encoding="utf-8")
    json_map = tmp_path / "map.json"
    json_map.write_text('{"section": {"number": "A-302", "title": "剖面图"}}', encoding="utf-8")
    assert load_mapping(csv_map) == {"plan.dxf": {"number": "A-301", "title": "总平面图"}}
    mapping = {**load_mapping(csv_map), **load_mapping(json_map)}
    r = run(sf, store, [d], mapping=mapping)
    assert r.added == ["A-301", "A-302"]
    assert r.version.manifest["A-301"]["title"] == "总平面图"
    r2 = run(sf, store, [d / "plan.dxf"], mapping=json_map, replace=True)
    assert r2.added == ["plan"] and r2.warnings  # no number anywhere: the stem, with a warning
    dup = tmp_path / "dup"
    make_dxf(dup / "A-101 a.dxf")
    make_dxf(dup / "A-101 b.dxf", seed=9)
    with pytest.raises(InvalidInput, match="duplicate sheet number"):
        run(sf, store, [dup])
    bad_map = tmp_path / "bad.json"
    bad_map.write_text("[1, 2", encoding="utf-8")
    with pytest.raises(InvalidInput, match="mapping"):
        run(sf, store, [d], mapping=bad_map)


def test_units_and_missing_things(sf, store, project, sheet_set) -> None:
    with transaction(sf) as s:
        unit = registry.add_unit(s, CODE, division="110105", year=2025).code
        registry.create_project(s, "2024-110105-04-01-000002", "other")
        other = registry.add_unit(s, "2024-110105-04-01-000002", division="110105").code
    # a unit named by an ingest needs a valid footprint (#14: checks at every step)
    with pytest.raises(InvalidInput, match="check footprint-present failed"):
        run(sf, store, [sheet_set], unit=unit)
    with transaction(sf) as s:
        registry.get_unit(s, unit).footprint_wkt = \
            "POLYGON((116.4 39.9, 116.401 39.9, 116.401 39.901, 116.4 39.9))"
    r = run(sf, store, [sheet_set], unit=unit)
    assert {e["unit"] for e in r.version.manifest.values()} == {unit}
    with pytest.raises(InvalidInput, match="belongs to project"):
        run(sf, store, [sheet_set], unit=other)
    with pytest.raises(NotFound):
        run(sf, store, [sheet_set], unit="110105202500009999")
    with pytest.raises(InvalidInput, match="no such file"):
        run(sf, store, [sheet_set / "nope.dxf"])
    with transaction(sf) as s, pytest.raises(NotFound):
        ingest(s, store, "2024-110105-04-01-999999", [sheet_set], message="", author="a")


def test_size_limit(sf, store, project, sheet_set, monkeypatch) -> None:
    monkeypatch.setenv("YITAOTU_MAX_UPLOAD", "100")
    with pytest.raises(InvalidInput, match="larger than"):
        run(sf, store, [sheet_set])
    assert state(sf, store) == (0, 0, 0, [])


def test_ingest_verify_export_on_both_stores(sf, blob_store, project, sheet_set, tmp_path) -> None:
    from drawings.maintenance import export_version, verify

    r = run(sf, blob_store, [sheet_set])
    with transaction(sf) as s:
        assert verify(s, blob_store, CODE).ok
        assert fsck(s, blob_store).ok
        written = export_version(s, blob_store, r.version, tmp_path / "out")
    assert len(written) == 3
    exported = (tmp_path / "out" / "A-101.dxf").read_bytes()
    assert exported == (sheet_set / "A-101 一层平面图.dxf").read_bytes()


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_concurrent_ingests_serialise(sf, store, project, sheet_set, tmp_path) -> None:
    """Two ingests at once: the head row lock makes the second build on the first."""
    import threading

    base = run(sf, store, [sheet_set])
    a = make_dxf(tmp_path / "a" / "B-101.dxf", "B-101")
    b = make_dxf(tmp_path / "b" / "C-101.dxf", "C-101")
    results: dict[str, object] = {}

    def worker(name: str, path: Path) -> None:
        try:
            results[name] = run(sf, store, [path], message=name)
        except Exception as e:  # reported below
            results[name] = e

    threads = [threading.Thread(target=worker, args=(n, p)) for n, p in (("a", a), ("b", b))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert all(not isinstance(r, Exception) for r in results.values()), results
    with transaction(sf) as s:
        history = registry.log(s, CODE, "head")
        assert len(history) == 3 and history[-1].id == base.version.id
        assert history[0].parents == [history[1].id]
        assert {"B-101", "C-101", "A-101"} <= set(history[0].manifest)


def test_numbers_from_title_block(sf, store, project, tmp_path) -> None:
    """TEXT labels and ATTRIBs of a title block beat the file name; --map beats both."""
    d = tmp_path / "tb"
    make_dxf(d / "plan.dxf", "A-102", "二层平面图", attribs=True)
    make_dxf(d / "X-999 wrong.dxf", "A-103", "三层平面图", seed=4)
    r = run(sf, store, [d])
    assert r.added == ["A-102", "A-103"] and not r.warnings
    assert r.version.manifest["A-102"]["title"] == "二层平面图"
    assert r.version.manifest["A-103"]["title"] == "三层平面图"
    r2 = run(sf, store, [d / "plan.dxf"], mapping={"plan.dxf": {"number": "A-100"}})
    assert r2.added == ["A-100"]


def test_a_clock_behind_still_ingests(sf, store, project, sheet_set, tmp_path) -> None:
    """`head` last moved by a client whose clock is 5 minutes ahead of ours: our ingest lands
    (it used to fail with "reflog time would go backwards", and a retry could not help), its
    move stamped no earlier than that one and in force from then."""
    from datetime import UTC, datetime, timedelta

    first = run(sf, store, [sheet_set / "A-101 一层平面图.dxf"])
    with transaction(sf) as s:
        ahead = datetime.now(UTC) + timedelta(minutes=5)
        registry.move_ref(s, CODE, "head", first.version.id, actor="ahead", reason="r", at=ahead)
    second = run(sf, store, [sheet_set])
    assert second.changed
    with transaction(sf) as s:
        last = registry.reflog(s, CODE, "head")[0]
        assert (last.seq, last.new, last.at) == (3, second.version.id, ahead)
        assert registry.ref_at(s, CODE, "head", ahead).id == second.version.id
