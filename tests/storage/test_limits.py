"""One set of field limits, checked before writing: SQLite and PostgreSQL accept and refuse
the same input (PostgreSQL alone would refuse an over-long VARCHAR or a NUL mid-transaction;
SQLite would store anything)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from sqlalchemy import func, select

import drawings.models  # noqa: F401  (the tables the limits name)
import workflow.models  # noqa: F401
from drawings import registry
from drawings.models import Project, SetVersion
from storage import limits
from storage.db import Base, session_factory, transaction
from storage.errors import InvalidInput
from workflow import service
from workflow.models import Organisation, User
from workflow.signing import KeyRing

CODE = "2023-110105-04-01-123450"
#: Key owners are ``org:NAME`` / ``user:NAME``.
OWNER_PREFIX = len("user:")


def test_every_limit_fits_its_columns() -> None:
    for limit in limits.LIMITS:
        assert limit.columns, limit
        for ref in limit.columns:
            table, column = ref.split(".")
            length = getattr(Base.metadata.tables[table].c[column].type, "length", None)
            need = limit.max + (OWNER_PREFIX if ref == "wf_keys.owner" else 0)
            assert length is None or length >= need, (ref, length, limit)


def test_check_and_fit() -> None:
    assert limits.SHEET_TITLE.check("x" * 300) == "x" * 300
    with pytest.raises(InvalidInput, match=r"图名 sheet title 过长 too long: 301 .* at most 300"):
        limits.SHEET_TITLE.check("x" * 301)
    with pytest.raises(InvalidInput, match="NUL"):
        limits.USER.check("a\x00b")
    with pytest.raises(InvalidInput, match="undecodable"):
        limits.USER.check("a\udcffb")
    with pytest.raises(InvalidInput, match="must not be empty"):
        limits.USER.check(" ", required=True)
    warnings: list[str] = []
    assert limits.SHEET_TITLE.fit("x" * 301, warnings, "a.dxf") == "x" * 300
    assert limits.SHEET_TITLE.fit("a\x00b\udcff", warnings, "a.dxf") == "ab\ufffd"
    assert len(warnings) == 2 and all(w.startswith("a.dxf: 图名") for w in warnings)


@pytest.fixture
def sf(engine):
    sf = session_factory(engine)
    with transaction(sf) as s:
        registry.create_project(s, CODE, "p")
    return sf


def _count(sf, model) -> int:
    with transaction(sf) as s:
        return s.scalar(select(func.count()).select_from(model))


@pytest.mark.parametrize(
    ("what", "call"),
    [
        ("项目名称", lambda s: registry.create_project(s, "2024-110105-04-01-000001", "名" * 201)),
        ("项目名称", lambda s: registry.create_project(s, "2024-110105-04-01-000001", "a\x00")),
        ("所在地", lambda s: registry.create_project(
            s, "2024-110105-04-01-000001", "p", location="地" * 201)),
        ("单位名称", lambda s: registry.add_party(s, CODE, "设计", "院" * 101)),
        ("单体名称", lambda s: registry.add_unit(s, CODE, division="110101", name="楼" * 201)),
        ("地址", lambda s: registry.add_unit(s, CODE, division="110101", address="路" * 301)),
        ("结构类型", lambda s: registry.add_unit(
            s, CODE, division="110101", structure_type="框" * 61)),
        ("floors_above", lambda s: registry.add_unit(
            s, CODE, division="110101", floors_above=2**31)),
        ("floor_area", lambda s: registry.add_unit(
            s, CODE, division="110101", floor_area="inf")),
        ("作者", lambda s: registry.commit_version(
            s, CODE, {}, parents=[], author="u" * 101, message="m")),
        ("说明", lambda s: registry.commit_version(
            s, CODE, {}, parents=[], author="a", message="m" * 10_001)),
        ("图号", lambda s: registry.commit_version(s, CODE, {"A" * 101: {
            "blob": hashlib.sha256(b"x").hexdigest()}}, parents=[], author="a", message="m")),
    ],
)
def test_registry_refuses_alike_on_both_databases(sf, what: str, call) -> None:
    with pytest.raises(InvalidInput, match=what), transaction(sf) as s:
        call(s)
    assert _count(sf, Project) == 1 and _count(sf, SetVersion) == 0


def test_values_at_the_limit_are_stored_on_both_databases(sf) -> None:
    with transaction(sf) as s:
        registry.create_project(s, "2024-110105-04-01-000001", "名" * 200, location="地" * 200)
        registry.add_party(s, CODE, "设计", "院" * 100)
        registry.add_unit(s, CODE, division="110101", name="楼" * 200, address="路" * 300,
                          structure_type="框" * 60, use="住" * 60, floors_above=2**31 - 1)
        registry.commit_version(s, CODE, {}, parents=[], author="u" * 100, message="m" * 10_000)
    assert _count(sf, Project) == 2 and _count(sf, SetVersion) == 1


def test_long_organisation_and_user_names(engine, tmp_path: Path) -> None:
    """Refused with the limit named, before any key file is written; the longest allowed
    names get key files the file system accepts."""
    sf = session_factory(engine)
    keys = KeyRing(tmp_path / "keys")
    for name in ("O" * 10_000, "院" * 101, "a\x00b"):
        with pytest.raises(InvalidInput, match="单位名称"), transaction(sf) as s:
            service.add_org(s, keys, name)
    with transaction(sf) as s:
        service.add_org(s, keys, "院" * 100)
    for name in ("u" * 10_000, "u" * 101):
        with pytest.raises(InvalidInput, match="用户名"), transaction(sf) as s:
            service.add_user(s, keys, name, "院" * 100)
    with transaction(sf) as s:
        service.add_user(s, keys, "u" * 100, "院" * 100, display_name="张" * 200)
    assert _count(sf, Organisation) == 1 and _count(sf, User) == 1
    assert len(list((tmp_path / "keys").iterdir())) == 2


def test_key_files_of_any_owner_fit_the_file_system(tmp_path: Path) -> None:
    keys = KeyRing(tmp_path)
    for owner in ("org:" + "O" * 10_000, "user:" + "长" * 3000, "user:短"):
        pub = keys.create(owner)
        assert keys.public(owner) == pub
    names = [p.name for p in tmp_path.iterdir()]
    assert len(names) == 3 and max(len(n.encode()) for n in names) <= 255
