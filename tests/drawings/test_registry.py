"""The registry service on real SQLite and PostgreSQL (the ``engine`` fixture)."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from drawings import registry
from drawings.models import SetVersion
from storage.db import transaction
from storage.errors import (
    AmbiguousId,
    Conflict,
    IntegrityError,
    InvalidInput,
    NotFound,
)
from tests.drawings.conftest import zj_code

CODE = "2023-110105-04-01-123450"
T0 = datetime(2025, 1, 1, 8, 0, tzinfo=UTC)


def oid(n: int) -> str:
    return hashlib.sha256(str(n).encode()).hexdigest()


@pytest.fixture
def s(sf):
    with transaction(sf) as session:
        registry.create_project(session, CODE, "示例项目", location="北京市东城区")
        for n in range(10):
            registry.record_blob(session, oid(n), 100 + n, format="dxf", version="AC1027")
    with transaction(sf) as session:
        yield session


def commit(s, manifest_blobs: dict[str, int], parents=(), when=T0, message="m") -> SetVersion:
    manifest = {k: {"blob": oid(n), "format": "dxf"} for k, n in manifest_blobs.items()}
    return registry.commit_version(
        s, CODE, manifest, parents=list(parents), author="设计院", message=message, created_at=when
    )


def test_projects(s) -> None:
    p = registry.get_project(s, CODE.lower())
    assert p.name == "示例项目" and p.location == "北京市东城区"
    assert [x.code for x in registry.list_projects(s)] == [CODE]
    with pytest.raises(Conflict, match="already exists"):
        registry.create_project(s, CODE, "again")
    with pytest.raises(InvalidInput, match="YYYY-RRRRRR"):
        registry.create_project(s, "2023-1101-04-01-123450", "bad")
    with pytest.raises(InvalidInput):
        registry.create_project(s, "2024-110105-04-01-123450", " ")
    with pytest.raises(NotFound):
        registry.get_project(s, "2024-110105-04-01-123450")


def test_parties(s) -> None:
    registry.add_party(s, CODE, "设计", "甲设计院")
    registry.add_party(s, CODE, "审查", "乙审图中心")
    assert [(p.role, p.organisation) for p in registry.get_project(s, CODE).parties] == [
        ("设计", "甲设计院"),
        ("审查", "乙审图中心"),
    ]
    with pytest.raises(InvalidInput, match="role"):
        registry.add_party(s, CODE, "老板", "x")
    with pytest.raises(Conflict):
        registry.add_party(s, CODE, "设计", "甲设计院")


def test_units_allocate_sequential_codes(s) -> None:
    u1 = registry.add_unit(s, CODE, division="110101", year=2025, name="1#楼", floors_above="18")
    u2 = registry.add_unit(s, CODE, division="110101", year=2025, name="2#楼")
    u3 = registry.add_unit(s, CODE, division="110102", year=2025)
    assert u1.code[:10] == "1101012025" and u1.code[10:17] == "0000001"
    assert u2.code[10:17] == "0000002" and u3.code[10:17] == "0000001"
    assert u1.floors_above == 18 and u1.scheme == "yitaotu" and u1.scheme_version == "1"
    assert registry.get_unit(s, u2.code).name == "2#楼"
    assert [u.code for u in registry.list_units(s, CODE)] == sorted([u1.code, u2.code, u3.code])
    with pytest.raises(NotFound):
        registry.get_unit(s, "110101202500000999")


def test_codes_are_never_reused(s) -> None:
    u1 = registry.add_unit(s, CODE, division="110101", year=2025)
    u2 = registry.add_unit(s, CODE, division="110101", year=2025)
    registry.delete_unit(s, u2.code)
    u3 = registry.add_unit(s, CODE, division="110101", year=2025)
    assert u3.code not in (u1.code, u2.code)
    with pytest.raises(Conflict, match="already assigned"):
        registry.add_unit(s, CODE, code=u2.code)


def test_unit_validation(s, zhejiang_scheme) -> None:
    with pytest.raises(InvalidInput, match="division"):
        registry.add_unit(s, CODE)
    with pytest.raises(InvalidInput, match="check character"):
        registry.add_unit(s, CODE, code="110101202500000010")
    with pytest.raises(InvalidInput, match="floors_above"):
        registry.add_unit(s, CODE, division="110101", floors_above="many")
    with pytest.raises(InvalidInput, match="footprint"):
        bowtie = "POLYGON((0 0, 1 1, 1 0, 0 1, 0 0))"
        registry.add_unit(s, CODE, division="110101", footprint=bowtie)
    with pytest.raises(InvalidInput, match="footprint"):
        registry.add_unit(s, CODE, division="110101", footprint="not wkt")
    with pytest.raises(InvalidInput, match="scheme zj-dtm"):
        registry.add_unit(s, CODE, scheme="zj-dtm")
    u = registry.add_unit(
        s,
        CODE,
        scheme="zj-dtm",
        code=zj_code(7),
        footprint={
            "type": "Polygon",
            "coordinates": [[[120, 30], [121, 30], [120, 31], [120, 30]]],
        },  # noqa: E501
    )
    assert u.scheme == "zj-dtm" and u.scheme_version == "2023"
    assert u.footprint.geom_type == "Polygon"
    assert u.to_dict()["footprint"]["type"] == "Polygon"
    good = zj_code(8)
    bad = good[:-1] + ("1" if good[-1] == "0" else "0")
    with pytest.raises(InvalidInput, match="check character"):
        registry.add_unit(s, CODE, scheme="zj-dtm", code=bad)


def test_commit_and_ids_are_merkle(s) -> None:
    v1 = commit(s, {"A-101": 1, "A-102": 2})
    assert len(v1.id) == 64 and v1.parents == []
    assert v1.manifest["A-101"]["blob"] == oid(1)
    assert set(v1.manifest["A-101"]) == set(registry.ENTRY_KEYS)
    assert hashlib.sha256(v1.body.encode()).hexdigest() == v1.id
    assert registry.verify_version(v1) == []
    v2 = commit(s, {"A-101": 1, "A-102": 3}, parents=[v1.id], when=T0 + timedelta(hours=1))
    assert v2.parents == [v1.id]
    # same content, different parents -> different id; identical call -> same version
    v2b = commit(s, {"A-101": 1, "A-102": 3}, when=T0 + timedelta(hours=1))
    assert v2b.id != v2.id
    again = commit(s, {"A-101": 1, "A-102": 3}, parents=[v1.id], when=T0 + timedelta(hours=1))
    assert again.id == v2.id
    assert registry.get_version(s, v2.id) is v2


def test_commit_validation(s) -> None:
    with pytest.raises(IntegrityError, match="not stored"):
        registry.commit_version(
            s, CODE, {"A-1": {"blob": "f" * 64}}, parents=[], author="a", message="m"
        )
    with pytest.raises(InvalidInput, match="sha256"):
        registry.commit_version(s, CODE, {"A-1": {"blob": "x"}}, parents=[], author="a", message="")
    with pytest.raises(InvalidInput, match="unknown manifest keys"):
        registry.commit_version(
            s, CODE, {"A-1": {"blob": oid(1), "colour": 1}}, parents=[], author="a", message=""
        )
    with pytest.raises(NotFound, match="parent"):
        registry.commit_version(s, CODE, {}, parents=[oid(99)], author="a", message="")
    with pytest.raises(InvalidInput, match="author"):
        registry.commit_version(s, CODE, {}, parents=[], author=" ", message="")


def test_versions_are_immutable(sf) -> None:
    with transaction(sf) as s:
        registry.create_project(s, CODE, "p")
        registry.record_blob(s, oid(1), 1)
        vid = commit(s, {"A-101": 1}).id
    with sf() as s:
        v = registry.get_version(s, vid)
        v.message = "rewritten"
        with pytest.raises(IntegrityError, match="immutable"):
            s.commit()
        s.rollback()
        s.delete(registry.get_version(s, vid))
        with pytest.raises(IntegrityError, match="never deleted"):
            s.commit()
        s.rollback()
    with sf() as s:
        assert registry.get_version(s, vid).message == "m"


def test_tampered_body_is_found_by_verify(s) -> None:
    v = commit(s, {"A-101": 1})
    s.flush()
    s.execute(text("UPDATE set_versions SET message = 'x' WHERE id = :id"), {"id": v.id})
    s.expire_all()
    assert "author/message" in registry.verify_version(registry.get_version(s, v.id))[0]
    s.execute(text("UPDATE set_versions SET body = '{}' WHERE id = :id"), {"id": v.id})
    s.expire_all()
    assert "id does not match" in registry.verify_version(registry.get_version(s, v.id))[0]


def test_resolve_and_log(s) -> None:
    v1 = commit(s, {"A-101": 1})
    v2 = commit(s, {"A-101": 2}, parents=[v1.id], when=T0 + timedelta(minutes=1))
    v3 = commit(s, {"A-101": 3}, parents=[v2.id], when=T0 + timedelta(minutes=2))
    registry.move_ref(s, CODE, "head", v3.id, actor="a", reason="r")
    assert registry.resolve_version(s, CODE, "head").id == v3.id
    assert registry.resolve_version(s, CODE, "head~1").id == v2.id
    assert registry.resolve_version(s, CODE, "head~2").id == v1.id
    assert registry.resolve_version(s, None, v2.id).id == v2.id
    assert registry.resolve_version(s, CODE, v2.id[:8]).id == v2.id
    assert [v.id for v in registry.log(s, CODE, "head")] == [v3.id, v2.id, v1.id]
    assert [v.id for v in registry.log(s, CODE, v2.id)] == [v2.id, v1.id]
    assert [v.id for v in registry.list_versions(s, CODE)] == [v3.id, v2.id, v1.id]
    with pytest.raises(NotFound, match="not set"):
        registry.resolve_version(s, CODE, "approved")
    with pytest.raises(NotFound):
        registry.resolve_version(s, CODE, "head~5")
    with pytest.raises(NotFound):
        registry.resolve_version(s, CODE, "nonsense!")
    with pytest.raises(NotFound):
        registry.resolve_version(s, CODE, "0000000")


def test_ambiguous_prefix(s) -> None:
    """Find two creation times whose ids share 4 hex digits offline, then commit both."""
    manifest = {"A-1": {"blob": oid(1), "format": "dxf"}}
    seen: dict[str, datetime] = {}
    for n in range(100_000):
        when = T0 + timedelta(seconds=n)
        body = registry.version_body(CODE, manifest, [], "设计院", "m", when)
        prefix = hashlib.sha256(body).hexdigest()[:4]
        if prefix in seen:
            break
        seen[prefix] = when
    v1 = commit(s, {"A-1": 1}, when=seen[prefix])
    v2 = commit(s, {"A-1": 1}, when=when)
    assert v1.id[:4] == v2.id[:4] == prefix
    with pytest.raises(AmbiguousId, match="ambiguous"):
        registry.resolve_version(s, CODE, prefix)
    assert registry.resolve_version(s, None, v1.id[:12]).id == v1.id


def test_refs_reflog_and_ref_at(s) -> None:
    v1 = commit(s, {"A-101": 1})
    v2 = commit(s, {"A-101": 2}, parents=[v1.id], when=T0 + timedelta(days=1))
    assert registry.get_ref(s, CODE, "current") is None
    e1 = registry.move_ref(
        s, CODE, "current", v1.id, actor="审查", reason="审查合格", at=T0 + timedelta(hours=1)
    )
    assert e1.old is None and e1.new == v1.id
    e2 = registry.move_ref(
        s,
        CODE,
        "current",
        v2.id,
        actor="审查",
        reason="设计变更",
        signature="sig-bytes",
        at=T0 + timedelta(days=2),
    )
    assert e2.old == v1.id and e2.signature == "sig-bytes"
    assert registry.get_ref(s, CODE, "current").id == v2.id
    assert registry.refs(s, CODE) == {"current": v2.id}
    assert [e.new for e in registry.reflog(s, CODE)] == [v2.id, v1.id]
    assert registry.reflog(s, CODE, "head") == []
    assert registry.ref_at(s, CODE, "current", T0) is None
    assert registry.ref_at(s, CODE, "current", T0 + timedelta(hours=1)).id == v1.id
    assert registry.ref_at(s, CODE, "current", T0 + timedelta(days=1, hours=23)).id == v1.id
    assert registry.ref_at(s, CODE, "current", T0 + timedelta(days=2)).id == v2.id
    assert registry.ref_at(s, CODE, "current", datetime.now(UTC)).id == v2.id
    assert [e.seq for e in registry.reflog(s, CODE, "current")] == [2, 1]
    with pytest.raises(InvalidInput, match="invalid ref"):
        registry.move_ref(s, CODE, "master", v1.id, actor="x", reason="r")
    with pytest.raises(NotFound):
        registry.move_ref(s, CODE, "current", oid(5), actor="x", reason="r")
    with pytest.raises(InvalidInput, match="timezone"):
        registry.ref_at(s, CODE, "current", datetime(2025, 1, 1))


def test_a_clock_behind_cannot_reorder_the_reflog(s) -> None:
    """A move stamped before the ref's previous one (a client clock running behind) lands,
    stamped at the previous move; of moves sharing a stamp the later one is in force."""
    v1 = commit(s, {"A-101": 1})
    v2 = commit(s, {"A-101": 2}, parents=[v1.id])
    ahead = datetime.now(UTC) + timedelta(minutes=5)  # written by a client whose clock is ahead
    registry.move_ref(s, CODE, "current", v1.id, actor="a", reason="r", at=ahead)
    late = registry.move_ref(s, CODE, "current", v2.id, actor="b", reason="r",
                             at=ahead - timedelta(minutes=5))
    assert (late.seq, late.at) == (2, ahead)
    assert registry.ref_at(s, CODE, "current", ahead).id == v2.id
    assert registry.ref_at(s, CODE, "current", ahead - timedelta(microseconds=1)) is None
    # without a stamp: the database's clock, still never before the previous move
    third = registry.move_ref(s, CODE, "current", v1.id, actor="c", reason="r")
    assert third.seq == 3 and third.at == ahead


def test_moves_without_a_stamp_take_the_database_clock(s) -> None:
    from storage.db import database_now

    v1 = commit(s, {"A-101": 1})
    before = database_now(s)
    e = registry.move_ref(s, CODE, "head", v1.id, actor="a", reason="r")
    assert before <= e.at <= database_now(s)


def test_reflog_is_append_only(s) -> None:
    v1 = commit(s, {"A-101": 1})
    e = registry.move_ref(s, CODE, "head", v1.id, actor="a", reason="r")
    e.reason = "forged"
    with pytest.raises(IntegrityError, match="immutable"):
        s.flush()
    s.expire(e)
    assert e.reason == "r"


def test_version_of_other_project_is_refused(s) -> None:
    other = "2024-110105-04-01-000001"
    registry.create_project(s, other, "other")
    v = registry.commit_version(
        s, other, {"S-1": {"blob": oid(1)}}, parents=[], author="a", message="m"
    )
    with pytest.raises(InvalidInput, match="belongs to project"):
        registry.move_ref(s, CODE, "head", v.id, actor="a", reason="r")
    with pytest.raises(NotFound, match="does not belong"):
        registry.resolve_version(s, CODE, v.id)
    with pytest.raises(NotFound):
        registry.commit_version(s, CODE, {}, parents=[v.id], author="a", message="m")


def test_migration_matches_models(engine) -> None:
    """The hand-written 0001_registry creates what the models declare (alembic compare)."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    import drawings.models as models
    from storage.db import Base

    mine = {
        m.__tablename__
        for m in vars(models).values()
        if isinstance(m, type) and issubclass(m, Base) and m is not Base
    }
    with engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), Base.metadata)

    def table_of(d) -> str | None:
        op = d[0] if isinstance(d, list) else d
        for item in op[1:]:
            name = getattr(item, "table", None)
            name = getattr(name, "name", None) or getattr(item, "name", None)
            if isinstance(name, str):
                return name
            if isinstance(item, str) and item in mine:
                return item
        return None

    relevant = [d for d in diffs if table_of(d) in mine]
    assert relevant == []
