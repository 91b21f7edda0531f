"""IFC models in the store (#18): sniffing, ingest as a model entry, header facts, the index."""

from __future__ import annotations

import csv
import re
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import func, select

from drawings import detect_format, modelindex, read, read_model, registry
from drawings.detect import check_complete
from drawings.ingest import ingest, stage
from drawings.models import BlobRecord, ModelRevision, SetVersion
from storage.blobs import open_blob_store
from storage.db import transaction
from storage.errors import FileFormatError, IntegrityError, InvalidInput
from tests.conftest import needs_corpus
from tests.gen.ifcmodel import house_files

CODE = "2023-110105-04-01-123450"


@pytest.fixture(scope="module")
def house(tmp_path_factory):
    return house_files(tmp_path_factory.mktemp("house"))


@pytest.fixture
def store(tmp_path: Path):
    return open_blob_store((tmp_path / "objects").as_uri())


@pytest.fixture
def project(sf) -> str:
    with transaction(sf) as s:
        registry.create_project(s, CODE, "示例项目")
    return CODE


def run(sf, store, paths, **kw):
    kw.setdefault("message", "m")
    kw.setdefault("author", "设计院")
    with transaction(sf) as s:
        return ingest(s, store, CODE, [str(p) for p in paths], **kw)


SPF = b"ISO-10303-21;\nHEADER;\nFILE_DESCRIPTION((''),'2;1');\n"


@pytest.mark.parametrize("schema, family", [
    ("IFC2X3", "IFC2X3"), ("IFC4", "IFC4"), ("IFC4X3_ADD2", "IFC4X3"), ("ifc4", "IFC4"),
])
def test_sniffs_ifc_schema(schema: str, family: str) -> None:
    head = SPF + f"FILE_SCHEMA(('{schema}'));\nENDSEC;\nDATA;\n".encode()
    info = detect_format(head, "m.bin")
    assert (info.format, info.version) == ("ifc", family)


@pytest.mark.parametrize("head, words", [
    (SPF + b"FILE_SCHEMA(('AP214_AUTOMOTIVE_DESIGN'));\nENDSEC;\n", "not IFC"),
    (SPF + b"ENDSEC;\nDATA;\n", "FILE_SCHEMA"),
    (SPF, "truncated IFC header"),
])
def test_refuses_step_that_is_not_ifc(head: bytes, words: str) -> None:
    with pytest.raises(FileFormatError, match=words) as e:
        detect_format(head, "part.stp")
    assert "part.stp" in e.value.message


def test_truncated_model_is_refused(house, tmp_path: Path) -> None:
    data = house.base.read_bytes()
    check_complete("ok.ifc", "ifc", data[-1024:])
    with pytest.raises(FileFormatError, match="END-ISO-10303-21"):
        check_complete("cut.ifc", "ifc", data[: len(data) // 2][-1024:])


def test_model_is_not_read_as_a_sheet(house) -> None:
    with pytest.raises(FileFormatError, match="IFC model"):
        read(house.base.read_bytes(), name="M-01.ifc")


def test_ingest_keeps_a_model_entry_with_header_facts(sf, store, project, house) -> None:
    r = run(sf, store, [house.base])
    assert r.changed and r.added == ["M-01"]
    with transaction(sf) as s:
        head = registry.get_ref(s, CODE, "head")
        entry = head.manifest["M-01"]
        assert registry.is_model_entry(entry)
        assert (entry["format"], entry["version"], entry["title"]) == ("ifc", "IFC4", "建筑模型")
        assert entry["blob"] == __import__("hashlib").sha256(house.base.read_bytes()).hexdigest()
        mr = registry.get_model(s, entry["blob"])
        assert (mr.schema, mr.project_name, mr.elements) == ("IFC4", "示例住宅", 20)
        assert (mr.latitude, mr.longitude, mr.elevation) == (39.9, 116.4, 45.0)
        assert "IfcOpenShell" in (mr.application or "")
        facts = mr.to_dict()["header"]
        assert [st["name"] for st in facts["storeys"]] == ["1F", "2F"]
        assert [st["elevation_m"] for st in facts["storeys"]] == [0.0, 3.0]
        assert facts["buildings"][0]["name"] == "1#住宅楼"
        assert facts["classes"]["IfcWall"] == 10
    idx = modelindex.loads(store.read_bytes(entry["index"]), "M-01")
    walls = [e for e in idx.elements if e.cls == "IfcWall"]
    assert len(walls) == 10
    w = next(e for e in walls if e.name == "1F-W2")
    assert w.position == (8.0, 0.0, 0.0)  # metres, though the file is in millimetres
    assert w.psets["Pset_WallCommon"]["FireRating"] == "2h"
    assert w.container and w.container["name"] == "1F"
    door = next(e for e in idx.elements if e.cls == "IfcDoor" and e.name == "1F-D1")
    opening = next(e for e in idx.elements if e.guid == door.fills)
    assert opening.cls == "IfcOpeningElement"
    wall = next(e for e in walls if e.name == "1F-W1")
    assert wall.openings == [opening.guid]


def test_same_model_again_changes_nothing_and_a_revision_modifies(sf, store, project,
                                                                   house) -> None:
    run(sf, store, [house.base])
    assert not run(sf, store, [house.base]).changed
    r = run(sf, store, [house.edited])
    assert r.modified == ["M-01"]
    with transaction(sf) as s:
        assert s.scalar(select(func.count()).select_from(ModelRevision)) == 2


def test_map_numbers_a_model_and_sheets_sit_beside_it(sf, store, project, house,
                                                      tmp_path: Path) -> None:
    from tests.drawings.sheets import make_dxf

    up = tmp_path / "up"
    up.mkdir()
    (up / "model.ifc").write_bytes(house.base.read_bytes())
    make_dxf(up / "A-101 一层平面图.dxf", "A-101", "一层平面图", seed=1)
    mapping = tmp_path / "map.csv"
    mapping.write_text("file,number,title\nmodel.ifc,BIM-01,建筑信息模型\n", encoding="utf-8")
    r = run(sf, store, [up], mapping=str(mapping))
    assert r.added == ["A-101", "BIM-01"]
    with transaction(sf) as s:
        m = registry.get_ref(s, CODE, "head").manifest
    assert m["BIM-01"]["title"] == "建筑信息模型" and m["A-101"]["format"] == "dxf"


def test_ifc_zip_is_unpacked_and_its_model_kept(sf, store, project, house,
                                                tmp_path: Path) -> None:
    z = tmp_path / "M-02 结构模型.ifczip"
    with zipfile.ZipFile(z, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.write(house.base, "M-02 结构模型.ifc")
    r = run(sf, store, [z])
    assert r.added == ["M-02"]
    with transaction(sf) as s:
        e = registry.get_ref(s, CODE, "head").manifest["M-02"]
    assert store.read_bytes(e["blob"]) == house.base.read_bytes()


def test_a_damaged_model_writes_nothing(sf, store, project, house, tmp_path: Path) -> None:
    bad = tmp_path / "M-03.ifc"
    data = house.base.read_bytes()
    bad.write_bytes(data.replace(b"DATA;", b"DATA;\n#1=IFCWALL(((;\n", 1))
    with pytest.raises(FileFormatError, match="#1 IfcWall: invalid GlobalId") as e:
        run(sf, store, [bad])
    assert "M-03.ifc" in e.value.message
    with transaction(sf) as s:
        assert s.scalar(select(func.count()).select_from(SetVersion)) == 0
        assert s.scalar(select(func.count()).select_from(BlobRecord)) == 0
    assert list(store.iter_ids()) == []


def test_corrupt_model_index_names_the_file(house) -> None:
    data = modelindex.dumps(read_model(house.base.read_bytes(), "M-01"))
    assert modelindex.loads(data, "M-01").elements
    flipped = data[:12] + bytes([data[12] ^ 1]) + data[13:]
    for broken in (data[:-10], flipped, b"YTIM\x09" + data[5:], b"nope"):
        with pytest.raises(IntegrityError, match="M-01.idx"):
            modelindex.loads(broken, "M-01.idx")


@needs_corpus
def test_corpus_models_header_facts_match_the_manifest(corpus: Path) -> None:
    """Every corpus model reads; its schema and authoring application are the manifest's."""
    with open(corpus / "ifc" / "MANIFEST.tsv", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t"))
    small = [r for r in rows if int(r["bytes"]) < 1_000_000]
    assert len(small) >= 10
    for r in small:
        data = (corpus / "ifc" / r["path"]).read_bytes()
        assert detect_format(data[:65536], r["path"]).version == r["schema"]
        m = read_model(data, r["path"])
        assert m.schema == r["schema"]
        app = r["authoring_application"]
        assert m.header["originating_system"] in app or app.startswith(
            m.header["originating_system"] or "-"), (r["path"], m.header["originating_system"])
        counted = re.search(r"(\d+) IfcProduct \(", r["notes"]) or re.search(
            r"products \d+->(\d+)", r["notes"])
        assert counted, r["path"]
        assert len(m.elements) == int(counted.group(1)), r["path"]


def square(lon: float, lat: float = 39.9) -> str:
    """A small valid footprint (about 8 m across) at ``lon``, ``lat``."""
    d = 0.0001
    ring = [(lon, lat), (lon + d, lat), (lon + d, lat + d), (lon, lat + d), (lon, lat)]
    return "POLYGON((" + ", ".join(f"{x} {y}" for x, y in ring) + "))"


def test_building_links_to_the_unit_and_export_stamps_its_code(sf, store, project, house,
                                                               tmp_path: Path) -> None:
    from drawings import export_version
    from drawings.ifcunit import PROP, PSET, find_building, unit_codes

    with transaction(sf) as s:
        # units named by an ingest need footprints (#14: checks at every step)
        unit = registry.add_unit(s, CODE, division="110101", year=2026, name="1#住宅楼",
                                 footprint=square(116.4))
        code = unit.code
    r = run(sf, store, [house.base], unit=code)
    assert not r.warnings  # the model's one building is named as the unit
    with transaction(sf) as s:
        head = registry.get_ref(s, CODE, "head")
        header = registry.get_model(s, head.manifest["M-01"]["blob"]).to_dict()["header"]
        assert find_building(header, code, "1#住宅楼")[1] == "name"
        rows = export_version(s, store, head, tmp_path / "out", stamp_unit_codes=True)
    [row] = rows
    out = (tmp_path / "out" / row["file"]).read_bytes()
    assert row["stamped"]["unit"] == code and out != house.base.read_bytes()
    stamped = read_model(out, "out")
    [b] = stamped.header["buildings"]
    assert b["psets"][PSET][PROP] == code and code in unit_codes(b)
    assert find_building(stamped.header, code)[1] == "code"
    # a model whose building states another unit's code is ingested with a warning
    other = tmp_path / "other" / "M-01 建筑模型.ifc"
    other.parent.mkdir()
    other.write_bytes(out.replace(code.encode(), b"110101202600009999"))
    with transaction(sf) as s:
        unit2 = registry.add_unit(s, CODE, division="110101", year=2026, name="2#",
                                  footprint=square(116.401))
    r2 = run(sf, store, [other], unit=unit2.code)
    assert any("110101202600009999" in w for w in r2.warnings)


def test_unit_footprint_from_a_georeferenced_model(sf, store, project, house,
                                                   tmp_path: Path) -> None:
    import math

    from shapely import wkt

    from drawings import unit_footprint_from_model
    from storage.errors import Conflict
    from tests.gen.ifcmodel import make_house, write

    with transaction(sf) as s:
        code = registry.add_unit(s, CODE, division="110101", year=2026, name="1#住宅楼").code
    # the unit has no footprint yet, so no ingest may name it (#14): the model comes in
    # unlinked and its IfcBuilding is found by the unit's name
    with transaction(sf) as s, pytest.raises(InvalidInput, match="footprint-present"):
        stage(s, store, CODE, [house.base], unit=code)
    run(sf, store, [house.base])
    with transaction(sf) as s:
        u = unit_footprint_from_model(s, store, code, CODE, "head", "M-01")
        minx, miny, maxx, maxy = wkt.loads(u.footprint_wkt).bounds
    # the house is 8 m east-west by 6 m north-south at 39.9 N 116.4 E (site origin)
    assert (minx, miny) == pytest.approx((116.4, 39.9), abs=1e-7)
    east = (maxx - minx) * 111_320 * math.cos(math.radians(39.9))
    assert east == pytest.approx(8.0, abs=0.05)
    assert (maxy - miny) * 111_320 == pytest.approx(6.0, abs=0.05)
    with transaction(sf) as s, pytest.raises(Conflict, match="already has a footprint"):
        unit_footprint_from_model(s, store, code, CODE, "head", "M-01")
    plain = write(make_house(site_coordinates=False), tmp_path / "p" / "M-09 模型.ifc")
    run(sf, store, [plain])
    with transaction(sf) as s, pytest.raises(InvalidInput, match="RefLatitude"):
        unit_footprint_from_model(s, store, code, CODE, "head", "M-09", replace=True)
