"""Model diff (#18): generated models with known changes, regenerated GlobalIds, the JSON and
text contracts, diffs through the store and the CLI, and ifcdiff's answers on the corpus."""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

import pytest

from diffing import (
    MODEL_ENGINE_VERSION,
    ModelDiff,
    diff_models,
    read_model_file,
    write_model_json,
    write_model_text,
)
from tests.conftest import needs_corpus
from tests.e2e.cli import CODE, yt
from tests.gen.ifcmodel import house_files


@pytest.fixture(scope="module")
def house(tmp_path_factory):
    return house_files(tmp_path_factory.mktemp("house"))


@pytest.fixture(scope="module")
def models(house):
    return {k: read_model_file(getattr(house, k)) for k in
            ("base", "edited", "regenerated", "edited_regenerated")}


def by_kind(d: ModelDiff) -> dict[str, dict[str, set[str]]]:
    out: dict[str, dict[str, set[str]]] = {"added": {}, "removed": {}, "modified": {}}
    for c in d.changes:
        out[c.kind][c.guid if c.kind != "removed" else c.old_guid] = set(c.what)
    return out


def test_known_edits_are_found_and_described(models, house) -> None:
    d = diff_models(models["base"], models["edited"])
    got = by_kind(d)
    assert set(got["added"]) == house.truth.added
    assert set(got["removed"]) == house.truth.removed
    assert got["modified"] == house.truth.modified
    assert d.matched_without_guid == 0
    assert d.stats == {"added": 1, "removed": 1, "modified": 6,
                       "unchanged": len(models["base"].elements) - 7}


def test_details_say_before_and_after(models) -> None:
    d = diff_models(models["base"], models["edited"])
    ch = {c.name: c for c in d.changes}
    assert ch["1F-W5"].details["moved_by"] == [0.5, 0.0, 0.0]
    assert "rotated" not in ch["1F-W5"].details
    assert ch["1F-D1"].details["psets"] == {"Pset_DoorCommon.FireRating": ["甲级", "乙级"]}
    assert ch["2F-W3a"].details["attributes"] == {"Name": ["2F-W3", "2F-W3a"]}
    assert ch["2F-W4"].details["container"] == ["IfcBuildingStorey:2F", "IfcBuildingStorey:1F"]
    assert ch["1F-W2"].details["type"] == ["IfcWallType:砖墙 200", "IfcWallType:混凝土墙 250"]
    assert ch["2F-W1"].details["psets"] == {"Qto_WallBaseQuantities.Width": [0.2, 0.3]}
    assert ch["1F-C1"].position == (6.0, 3.0, 0.0) and ch["1F-C1"].storey == "1F"


def test_reverse_diff_mirrors(models) -> None:
    fwd = diff_models(models["base"], models["edited"])
    back = diff_models(models["edited"], models["base"])
    assert back.guids("added") == fwd.guids("removed")
    assert back.guids("removed") == fwd.guids("added")
    assert back.guids("modified") == fwd.guids("modified")
    moved = next(c for c in back.changes if c.name == "1F-W5")
    assert moved.details["moved_by"] == [-0.5, 0.0, 0.0]


def test_regenerated_globalids_match_by_content(models) -> None:
    d = diff_models(models["base"], models["regenerated"])
    assert not d and d.stats["unchanged"] == len(models["base"].elements)
    assert d.matched_without_guid == len(models["base"].elements)


def test_regenerated_globalids_with_edits_give_the_same_answer(models, house) -> None:
    d = diff_models(models["base"], models["edited_regenerated"])
    new_id = house.edited_new_ids
    got = by_kind(d)
    assert len(got["added"]) == 1 and set(got["removed"]) == house.truth.removed
    assert got["modified"] == {new_id[g]: what for g, what in house.truth.modified.items()}
    assert {c.old_guid for c in d.changes if c.kind == "modified"} == set(house.truth.modified)
    assert {c.matched_by for c in d.changes if c.kind == "modified"} <= {"content", "name",
                                                                          "place"}


def test_json_contract(models) -> None:
    buf = io.StringIO()
    write_model_json(diff_models(models["base"], models["edited"], old_blob="a" * 64), buf)
    doc = json.loads(buf.getvalue())
    assert doc["engine"] == MODEL_ENGINE_VERSION == "yitaotu-ifcdiff/1"
    assert doc["old"]["blob"] == "a" * 64 and doc["old"]["format"] == "ifc"
    assert set(doc["summary"]) == {"added", "removed", "modified", "unchanged",
                                   "matched_without_guid"}
    assert [c["id"] for c in doc["changes"]] == [f"m{i}" for i in range(1, 9)]
    c = next(c for c in doc["changes"] if c["name"] == "1F-W5")
    assert c["what"] == ["placement"] and c["matched_by"] == "guid"
    assert set(c) == {"id", "kind", "guid", "old_guid", "new_guid", "class", "name", "storey",
                      "matched_by", "what", "details", "position"}


def test_text_report(models) -> None:
    buf = io.StringIO()
    write_model_text(diff_models(models["base"], models["edited"]), buf)
    text = buf.getvalue()
    assert "新增 added 1 · 删除 removed 1 · 修改 modified 6" in text
    assert "属性集 Pset_DoorCommon.FireRating: '甲级' → '乙级'" in text
    assert "位置 moved by (+0.500, +0.000, +0.000) m" in text


def test_cli_diffs_models_in_the_store_and_on_disk(home, house, tmp_path: Path) -> None:
    yt("init")
    yt("project", "create", CODE, "示例项目")
    yt("ingest", CODE, str(house.base), "-m", "r1")
    yt("ingest", CODE, str(house.edited), "-m", "r2")
    doc = json.loads(yt("diff", CODE, "head~1", "head", "--json", code=1))
    [entry] = doc["sheets"]
    assert (entry["sheet"], entry["kind"], entry["status"]) == ("M-01", "model", "changed")
    assert entry["summary"] == {"added": 1, "removed": 1, "modified": 6, "unchanged": 13}
    out = yt("diff", f"{CODE}:head~1:M-01", f"{CODE}:head:M-01", "--json", code=1)
    assert json.loads(out)["engine"] == "yitaotu-ifcdiff/1"
    text = yt("diff", CODE, "head~1", "head", code=1)
    assert "模型 model" in text
    yt("diff", str(house.base), str(house.regenerated))  # exit 0: the same model
    err = yt("diff", str(house.base), str(tmp_path / "missing.ifc"), code=2)
    assert "missing.ifc" in err


@pytest.fixture
def home(tmp_path: Path, monkeypatch) -> Path:
    h = tmp_path / "home"
    monkeypatch.setenv("YITAOTU_HOME", str(h))
    monkeypatch.setenv("YITAOTU_USER", "张工")
    for k in ("YITAOTU_DATABASE_URL", "YITAOTU_BLOBS"):
        monkeypatch.delenv(k, raising=False)
    return h


#: Corpus revision pairs small enough for a test (ifcdiff takes seconds on the larger ones).
PAIRS = [
    ("bimserver-archicad-compare-guid/r1_ac643c2.ifc",
     "bimserver-archicad-compare-guid/r2_ac643c2.ifc"),
    ("ifcmerge-test-demo/r1_48a4e9e.ifc", "ifcmerge-test-demo/r2_e1c40d6.ifc"),
    ("ifcmerge-test-demo/r2_e1c40d6.ifc", "ifcmerge-test-demo/r3_1a968af.ifc"),
    ("ifcmerge-test-model/r2_0693cb2.ifc", "ifcmerge-test-model/r3_f373de6.ifc"),
]


@needs_corpus
@pytest.mark.parametrize("old, new", PAIRS, ids=[p[0].split("/")[0] + p[0][-12:-10]
                                                  for p in PAIRS])
def test_agrees_with_ifcdiff_where_globalids_are_stable(corpus: Path, old: str,
                                                        new: str) -> None:
    """Same added and deleted elements as ifcdiff, and every element ifcdiff finds changed
    in attributes, geometry or type we find changed too (its property, container and
    aggregate checks compare entity ids across files, so renumbered files differ there)."""
    import ifcopenshell
    from ifcdiff import IfcDiff

    a, b = corpus / "ifc" / old, corpus / "ifc" / new
    fa, fb = ifcopenshell.open(str(a)), ifcopenshell.open(str(b))
    ref = IfcDiff(fa, fb, relationships=["attributes", "geometry", "type"], is_shallow=False)
    with contextlib.redirect_stdout(io.StringIO()):
        ref.diff()
    scope = set()
    for f in (fa, fb):
        spatial = "IfcSpatialStructureElement" if f.schema == "IFC2X3" else "IfcSpatialElement"
        scope |= {e.GlobalId for e in f.by_type("IfcElement") + f.by_type(spatial)
                  if not e.is_a("IfcFeatureElement")}
    d = diff_models(read_model_file(a), read_model_file(b))
    assert d.guids("added") & scope == set(ref.added_elements)
    assert d.guids("removed") & scope == set(ref.deleted_elements)
    assert set(ref.change_register) <= d.guids("modified")
