"""Checks at every step (#14 §4): a workflow action whose sheets name a building unit is
blocked, naming the check, unless the project code, the unit's code and check character,
its project and its footprint (present, valid, inside the site) all pass."""

from __future__ import annotations

import pytest

from drawings import geo, registry
from drawings.models import AllocatedCode, BuildingUnit, Project
from storage.errors import InvalidInput
from tests.drawings.geohelp import rect
from tests.workflow.helpers import CODE, sheet_dxf


def version_naming(w, unit: str, name: str) -> str:
    with w.sf() as s, s.begin():
        data = sheet_dxf("S-01", "桩基")
        oid = w.blobs.put_bytes(data)
        registry.record_blob(s, oid, len(data), format="dxf")
        manifest = {"S-01": {"blob": oid, "format": "dxf", "number": "S-01", "unit": unit}}
        v = registry.commit_version(s, CODE, manifest, parents=[], author="des", message=name,
                                    created_at=w.tick(0.01))
        return v.id


def test_submit_blocked_until_the_unit_passes_every_check(world) -> None:
    w = world
    with w.sf() as s, s.begin():
        geo.set_site(s, CODE, rect(0, 0, 200, 100))
        unit = registry.add_unit(s, CODE, division="110105", year=2025).code
        registry.create_project(s, "2024-110105-04-01-000002", "另一个项目")
        stranger = registry.add_unit(s, "2024-110105-04-01-000002", division="110105",
                                     footprint=rect(500, 500, 10, 10).wkt).code
        # a unit row whose code fails its scheme's check character (written behind the
        # registry's back, as an import from an old system might)
        bad = unit[:-1] + ("0" if unit[-1] != "0" else "1")
        s.add(AllocatedCode(code=bad, scheme="yitaotu", scheme_version="1"))
        s.flush()
        s.add(BuildingUnit(code=bad, scheme="yitaotu", scheme_version="1", project_code=CODE,
                           footprint_wkt=rect(120, 10, 20, 20).wkt))
    for who, check in [(unit, "footprint-present"), (stranger, "unit-project"),
                       (bad, "unit-code")]:
        v = version_naming(w, who, f"names {who}")
        with pytest.raises(geo.GeoCheckFailed, match=f"check {check} failed") as e:
            w.fire("submit", "des", version=v)
        assert e.value.check.value == check
        assert w.state() == "design"
    with w.sf() as s, s.begin():  # outside the site (set behind the service's back)
        registry.get_unit(s, unit).footprint_wkt = rect(190, 10, 40, 30).wkt
    v = version_naming(w, unit, "outside")
    with pytest.raises(geo.GeoCheckFailed, match="check inside-site failed"):
        w.fire("submit", "des", version=v)
    with w.sf() as s, s.begin():
        geo.set_footprint(s, unit, rect(10, 10, 40, 30))
    w.fire("submit", "des", version=v)
    assert w.state("submission", 1) == "submitted"
    # a later action on the record checks the units of its version again
    with w.sf() as s, s.begin():
        registry.get_unit(s, unit).footprint_wkt = None
    with pytest.raises(geo.GeoCheckFailed, match="footprint-present"):
        w.fire("accept_review", "rev_s")
    with w.sf() as s, s.begin():
        geo.set_footprint(s, unit, rect(10, 10, 40, 30))
    w.fire("accept_review", "rev_s")
    assert w.state("submission", 1) == "in_review"


def test_project_code_check(sqlite_world) -> None:
    w = sqlite_world
    with w.sf() as s, s.begin():
        s.add(Project(code="2023-11010-04-01-12345X", name="坏代码"))
        s.flush()
        with pytest.raises(geo.GeoCheckFailed, match="check project-code failed") as e:
            geo.verify_units(s, "2023-11010-04-01-12345X", [])
        assert isinstance(e.value, InvalidInput)


def test_map_geojson_carries_the_workflow_state(world) -> None:
    import workflow

    w = world
    with w.sf() as s, s.begin():
        geo.set_site(s, CODE, rect(0, 0, 200, 100))
        unit = registry.add_unit(s, CODE, division="110105", year=2025,
                                 footprint=rect(10, 10, 40, 30).wkt).code
        registry.create_project(s, "2024-110105-04-01-000002", "无图项目")
    with w.sf() as s:
        doc = workflow.map_geojson(s)
    assert [(f["properties"]["kind"], f["properties"].get("code"), f["properties"]["state"])
            for f in doc["features"]] == [("site", None, "design"), ("unit", unit, "design")]
    w.fire("submit", "des", version=version_naming(w, unit, "v1"))
    with w.sf() as s:
        flow_state = workflow.get_flow(s, CODE).state
        doc = workflow.map_geojson(s, CODE)
    assert {f["properties"]["state"] for f in doc["features"]} == {flow_state}


def test_map_geojson_for_a_user_holds_only_what_they_may_see(world) -> None:
    import workflow

    w, other = world, "2024-110105-04-01-000002"
    with w.sf() as s, s.begin():
        geo.set_site(s, CODE, rect(0, 0, 200, 100))
        registry.create_project(s, other, "别家的项目")  # no party of the world's firms
        geo.set_site(s, other, rect(1000, 1000, 100, 100))
        registry.add_unit(s, other, division="110105", footprint=rect(1010, 1010, 10, 10).wkt)
    with w.sf() as s:
        everything = workflow.map_geojson(s)
        mine = workflow.map_geojson(s, user="des")
        theirs = workflow.map_geojson(s, other, user="des")
        one = workflow.map_geojson(s, CODE, user="des")
    assert {f["properties"]["project"] for f in everything["features"]} == {CODE, other}
    assert [f["properties"]["project"] for f in mine["features"]] == [CODE]
    assert theirs["features"] == [] and theirs["type"] == "FeatureCollection"
    assert one == mine and mine["yitaotu"] == everything["yitaotu"]
