"""Assisted review of a BIM model (#18): IDS and rule findings drafted on a submission's
round, confirmed into opinions (anchored to the element) or discarded."""

from __future__ import annotations

from pathlib import Path

import pytest

from drawings import modelindex, read_model, registry
from drawings.ingest import ingest
from storage.errors import Conflict, FileFormatError, InvalidInput
from tests.gen.ifcmodel import make_house, write
from tests.workflow.helpers import CODE, World
from workflow import audit, modelchecks, modelreview, opinions

DOOR_IDS = """<?xml version="1.0" encoding="utf-8"?>
<ids xmlns="http://standards.buildingsmart.org/IDS"
     xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
     xsi:schemaLocation="http://standards.buildingsmart.org/IDS http://standards.buildingsmart.org/IDS/1.0/ids.xsd">
  <info><title>门须注明耐火极限 test</title></info>
  <specifications>
    <specification name="门应有 FireExit" ifcVersion="IFC4" identifier="T-1"
                   description="强制性条文 test" instructions="">
      <applicability minOccurs="0" maxOccurs="unbounded">
        <entity><name><simpleValue>IFCDOOR</simpleValue></name></entity>
      </applicability>
      <requirements>
        <property cardinality="required">
          <propertySet><simpleValue>Pset_DoorCommon</simpleValue></propertySet>
          <baseName><simpleValue>FireExit</simpleValue></baseName>
        </property>
      </requirements>
    </specification>
  </specifications>
</ids>
"""


def _index(path: Path) -> modelindex.ModelIndex:
    return read_model(path.read_bytes(), path.name)


def test_rules_find_narrow_doors_storeys_and_compartments(tmp_path: Path) -> None:
    p = write(make_house(door_width=800.0, storey_height=2700.0), tmp_path / "m.ifc")
    m = _index(p)
    found = modelchecks.run_rules(m, {"floors_above": 3, "height": 9.0, "use": "住宅"})
    rules = sorted(f.rule for f in found)
    # both doors are external (egress): 0.80 m < 0.90 m; 2 storeys declared as 3;
    # 5.4 m of building against 9 m declared; storey height 2.70 m < 2.80 m
    assert rules == ["building-height", "door-clear-width-egress", "door-clear-width-egress",
                     "storey-count", "storey-height-residential"]
    door = next(f for f in found if f.rule == "door-clear-width-egress")
    assert door.category == "mandatory" and "5.5.18" in door.clause
    assert door.cls == "IfcDoor" and (door.x, door.y) == (2.0, 0.0) and door.storey == "1F"
    assert "0.800 m < 0.90 m" in door.message
    ok = write(make_house(), tmp_path / "ok.ifc")
    assert modelchecks.run_rules(_index(ok), {"floors_above": 2, "height": 6.0,
                                              "use": "住宅"}) == []


def test_compartment_area_against_the_limit(tmp_path: Path) -> None:
    m = _index(write(make_house(), tmp_path / "m.ifc"))
    space = next(e for e in m.elements if e.cls == "IfcSpace" and e.name == "1F-客厅")
    space.psets["Qto_SpaceBaseQuantities"] = {"GrossFloorArea": 2600.0}
    [f] = modelchecks.compartment_areas(m, {"height": 6.0})
    assert f.rule == "fire-compartment-area" and "2600 m² > 2500 m²" in f.message
    space.psets["Pset_SpaceFireSafetyRequirements"] = {"SprinklerProtection": True}
    other = next(e for e in m.elements if e.cls == "IfcSpace" and e.name == "2F-客厅")
    assert other.guid != space.guid
    assert modelchecks.compartment_areas(m, {"height": 6.0}) == []  # sprinklers: 5000 m²


def test_ids_findings_carry_clause_and_category(tmp_path: Path) -> None:
    from drawings import open_model

    p = write(make_house(), tmp_path / "m.ifc")
    ids = tmp_path / "doors.ids"
    ids.write_text(DOOR_IDS, encoding="utf-8")
    found = modelchecks.run_ids(open_model(p.read_bytes(), "m"), _index(p), [ids])
    assert len(found) == 2 and {f.category for f in found} == {"mandatory"}
    assert {f.clause for f in found} == {"T-1"} and {f.cls for f in found} == {"IfcDoor"}
    # the shipped IDS passes the generated house (it states every required property)
    assert modelchecks.run_ids(open_model(p.read_bytes(), "m"), _index(p),
                               modelchecks.default_ids()) == []
    bad = tmp_path / "bad.ids"
    bad.write_text("<ids>", encoding="utf-8")
    with pytest.raises(InvalidInput, match="bad.ids"):
        modelchecks.run_ids(None, _index(p), [bad])


FOOTPRINT = "POLYGON((116.4 39.9, 116.4001 39.9, 116.4001 39.9001, 116.4 39.9001, 116.4 39.9))"


def test_a_check_run_drafts_findings_the_reviewer_confirms_or_discards(
        sqlite_world: World, tmp_path: Path) -> None:
    w = sqlite_world
    path = write(make_house(door_width=800.0), tmp_path / "A-901 建筑模型.ifc")
    with w.sf() as s, s.begin():
        # a unit named by an ingest needs a footprint (#14: checks at every step)
        unit = registry.add_unit(s, CODE, division="110101", year=2026, name="1#",
                                 floors_above=3, height=6.0, footprint=FOOTPRINT)
        r = ingest(s, w.blobs, CODE, [str(path)], message="模型", author="des", unit=unit.code)
    w.fire("submit", "des", version=r.version.id, large_works=True)
    w.fire("accept_review", "rev_a")
    with w.sf() as s, s.begin():
        run = modelreview.run_checks(s, w.blobs, CODE, "A-901", user="rev_a", submission=1)
        assert run.round_id is not None and run.blob_id == r.version.manifest["A-901"]["blob"]
        found = {f.rule: f.number for f in run.findings}
    assert set(found) == {"door-clear-width-egress", "storey-count"}
    with w.sf() as s, s.begin():
        op = modelreview.confirm(s, w.blobs, CODE, found["door-clear-width-egress"],
                                 user="rev_a", keys=w.keys, now=w.tick(0.01))
        anchor = opinions.opinion_dict(op)["anchor"]
        assert op.category == "mandatory" and op.sheet_no == "A-901"
        assert anchor["type"] == "point" and anchor["element"] and anchor["level"] in ("1F",
                                                                                      "2F")
        assert "GlobalId" in op.text and "5.5.18" in op.text
        modelreview.discard(s, CODE, found["storey-count"], user="rev_a",
                            note="地下室不计 basement not counted")
    with w.sf() as s:
        states = {f.rule: f.state for f in modelreview.list_findings(s, CODE)}
        assert states["storey-count"] == "discarded"
        assert list(states.values()).count("confirmed") == 1
        rep = audit.verify_chain(s, CODE, w.blobs)  # the confirmed opinion replays cleanly
        assert rep.ok, rep.problems
        with pytest.raises(Conflict, match="already discarded"):
            modelreview.discard(s, CODE, found["storey-count"], user="rev_a", note="x")
    from tests.drawings.sheets import make_dxf

    make_dxf(tmp_path / "A-101 平面图.dxf", "A-101", "平面图", seed=1)
    with w.sf() as s, s.begin():
        ingest(s, w.blobs, CODE, [str(tmp_path / "A-101 平面图.dxf")], message="图",
               author="des")
    with w.sf() as s, pytest.raises(InvalidInput, match="not a BIM model"):
        modelreview.run_checks(s, w.blobs, CODE, "A-101", user="rev_a")


@pytest.mark.parametrize("version", ["3.0", "2.1"])
def test_bcf_round_trip(sqlite_world: World, tmp_path: Path, version: str) -> None:
    """Opinions leave as BCF topics (the model one with a viewpoint selecting its element);
    bcf-client reads them back; a topic raised in a BIM tool comes in as a new opinion on
    the element its viewpoint selects; our own topics are recognised, not duplicated."""
    import numpy as np
    from bcf.v3.bcfxml import BcfXml as Bcf3

    from workflow import bcfio

    w = sqlite_world
    path = write(make_house(door_width=800.0), tmp_path / "A-901 建筑模型.ifc")
    with w.sf() as s, s.begin():
        r = ingest(s, w.blobs, CODE, [str(path)], message="模型", author="des")
    w.fire("submit", "des", version=r.version.id, large_works=True)
    w.fire("accept_review", "rev_a")
    with w.sf() as s, s.begin():
        run = modelreview.run_checks(s, w.blobs, CODE, "A-901", user="rev_a", submission=1)
        door = next(f for f in run.findings if f.rule == "door-clear-width-egress")
        modelreview.confirm(s, w.blobs, CODE, door.number, user="rev_a", keys=w.keys,
                            now=w.tick(0.01))
        out = tmp_path / f"review-{version}.bcf"
        assert bcfio.export_bcf(s, CODE, out, version=version) == 1
    z = __import__("zipfile").ZipFile(out)
    assert f'VersionId="{version}"' in z.read("bcf.version").decode()
    loaded = bcfio._open(out)
    [topic] = loaded.topics.values()
    assert f"yitaotu:{CODE}:1" in bcfio._labels(topic.topic)
    assert topic.topic.topic_type == "强制性条文"
    [vp] = topic.viewpoints.values()
    assert vp.get_selected_guids() == [door.guid]
    # a BIM tool adds a topic on the other door (BCF 3.0 written by bcf-client itself)
    idx = _index(path)
    other = next(e for e in idx.elements if e.cls == "IfcDoor" and e.guid != door.guid)
    tool = Bcf3.create_new(project_name="from a BIM tool")
    from bcf.v3.topic import TopicHandler

    th = TopicHandler.create_new(title="门把手高度", description="请核对 check", author="bim",
                                 topic_type="建议")
    th.add_viewpoint_from_point_and_guids(np.array([0.0, 0.0, 1.0]), other.guid)
    tool.topics[th.guid] = th
    theirs = tmp_path / "tool.bcf"
    tool.save(theirs)
    with w.sf() as s, s.begin():
        res = bcfio.import_bcf(s, w.blobs, CODE, theirs, model="A-901", user="rev_a",
                               keys=w.keys, now=w.tick(0.01))
        again = bcfio.import_bcf(s, w.blobs, CODE, out, model="A-901", user="rev_a",
                                 keys=w.keys, now=w.tick(0.01))
        assert res.created == [2] and again.own == [1] and not again.created
        op = opinions.get_opinion(s, CODE, 2)
        anchor = opinions.opinion_dict(op)["anchor"]
        assert op.category == "advice" and anchor["element"] == other.guid
        assert anchor["coords"] == [other.position[0], other.position[1]]
    junk = tmp_path / "junk.bcf"
    junk.write_bytes(b"not a zip")
    with w.sf() as s, pytest.raises(FileFormatError, match="junk.bcf"):
        bcfio.import_bcf(s, w.blobs, CODE, junk, model="A-901", user="rev_a", keys=w.keys)


def test_resubmitted_model_flags_the_opinions_on_changed_elements(sqlite_world: World,
                                                                  tmp_path: Path) -> None:
    from tests.gen.ifcmodel import edit_house

    w = sqlite_world
    first = write(make_house(door_width=800.0), tmp_path / "r1" / "A-901 建筑模型.ifc")
    f = make_house(door_width=800.0)
    edit_house(f)  # 1F-D1 (its fire rating) changes; 1F-W3 does not
    second = write(f, tmp_path / "r2" / "A-901 建筑模型.ifc")
    with w.sf() as s, s.begin():
        r1 = ingest(s, w.blobs, CODE, [str(first)], message="r1", author="des")
    w.fire("submit", "des", version=r1.version.id, large_works=True)
    w.fire("accept_review", "rev_a")
    m = _index(first)
    wall = next(e for e in m.elements if e.name == "1F-W3")
    with w.sf() as s, s.begin():
        run = modelreview.run_checks(s, w.blobs, CODE, "A-901", user="rev_a", submission=1)
        door = next(x for x in run.findings if x.guid and x.storey == "1F")
        modelreview.confirm(s, w.blobs, CODE, door.number, user="rev_a", keys=w.keys,
                            now=w.tick(0.01))
        opinions.add_opinion(s, CODE, user="rev_a", keys=w.keys, sheet_no="A-901",
                             anchor={"type": "point", "coords": list(wall.position[:2]),
                                     "element": wall.guid}, category="general",
                             text="墙厚 wall thickness", now=w.tick(0.01))
    w.fire("return", "rev_a")
    with w.sf() as s, s.begin():
        for n in (1, 2):
            opinions.reply(s, CODE, n, "已改 done", user="des", keys=w.keys, now=w.tick(0.01))
        r2 = ingest(s, w.blobs, CODE, [str(second)], message="r2", author="des")
    w.fire("resubmit", "des", version=r2.version.id)
    with w.sf() as s:
        ops = {o.number: o for o in opinions.list_opinions(s, CODE)}
        assert ops[1].affected and not ops[2].affected
        assert "anchored element changed" in ops[1].replies[-1].text
        rep = audit.verify_chain(s, CODE, w.blobs)
        assert rep.ok, rep.problems
