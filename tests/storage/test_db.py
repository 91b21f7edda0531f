"""Engines and sessions on both databases (real SQLite file, real PostgreSQL schema)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy import ForeignKey, String, text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from storage.db import (
    NAMING_CONVENTION,
    Base,
    make_engine,
    normalize_url,
    session_factory,
    transaction,
)
from storage.errors import InvalidInput, StorageUnavailable
from storage.testing import free_ports


class Scratch(DeclarativeBase):
    """Test tables kept out of the shared ``Base.metadata`` (and so out of migrations)."""

    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


class Parent(Scratch):
    __tablename__ = "parent"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(40), unique=True)


class Child(Scratch):
    __tablename__ = "child"
    id: Mapped[int] = mapped_column(primary_key=True)
    parent_id: Mapped[int] = mapped_column(ForeignKey("parent.id"))


@pytest.fixture
def scratch_engine(db_url):
    eng = make_engine(db_url)
    Scratch.metadata.create_all(eng)
    yield eng
    eng.dispose()


def test_naming_convention_names_constraints():
    assert Base.metadata.naming_convention == NAMING_CONVENTION
    names = {c.name for c in Child.__table__.constraints}
    assert names == {"pk_child", "fk_child_parent_id_parent"}
    assert {c.name for c in Parent.__table__.constraints} >= {"uq_parent_name"}


def test_transaction_commits_or_rolls_back(scratch_engine):
    sf = session_factory(scratch_engine)
    with transaction(sf) as s:
        s.add(Parent(id=1, name="设计单位"))
    with pytest.raises(RuntimeError), transaction(sf) as s:
        s.add(Parent(id=2, name="rolled back"))
        s.flush()
        raise RuntimeError("boom")
    with transaction(sf) as s:
        assert s.scalars(sa.select(Parent.name)).all() == ["设计单位"]


def test_savepoint_inside_transaction(scratch_engine):
    sf = session_factory(scratch_engine)
    with transaction(sf) as s:
        s.add(Parent(id=1, name="a"))
        with pytest.raises(sa.exc.IntegrityError), s.begin_nested():
            s.add(Parent(id=2, name="a"))  # duplicate name
            s.flush()
        s.add(Parent(id=3, name="b"))
    with transaction(sf) as s:
        assert s.scalars(sa.select(Parent.id).order_by(Parent.id)).all() == [1, 3]


def test_foreign_keys_are_enforced(scratch_engine):
    with pytest.raises(sa.exc.IntegrityError), transaction(session_factory(scratch_engine)) as s:
        s.add(Child(id=1, parent_id=99))


def test_objects_usable_after_commit(scratch_engine):
    with transaction(session_factory(scratch_engine)) as s:
        p = Parent(id=7, name="kept")
        s.add(p)
    assert p.name == "kept"  # no DetachedInstanceError: expire_on_commit is off


def test_sqlite_settings(tmp_path):
    eng = make_engine(f"sqlite:///{tmp_path / 'deep' / 'dir' / 'y.db'}")
    with eng.connect() as c:
        assert c.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert c.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert c.execute(text("PRAGMA busy_timeout")).scalar() >= 1000
    eng.dispose()


def test_sqlite_in_memory_is_one_database():
    eng = make_engine("sqlite://")
    Scratch.metadata.create_all(eng)
    with transaction(session_factory(eng)) as s:
        s.add(Parent(id=1, name="m"))
    with transaction(session_factory(eng)) as s:
        assert s.get(Parent, 1) is not None
    eng.dispose()


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("postgresql://u@h/db", "postgresql+psycopg://u@h/db"),
        ("postgres://u:p@h:5/db", "postgresql+psycopg://u:p@h:5/db"),
        ("postgresql+psycopg://u@h/db", "postgresql+psycopg://u@h/db"),
        ("sqlite:///a.db", "sqlite:///a.db"),
    ],
)
def test_normalize_url(url, expected):
    assert normalize_url(url) == expected


@pytest.mark.parametrize("url", ["not a url", "mysql://u@h/db", ""])
def test_rejected_urls(url):
    with pytest.raises(InvalidInput):
        make_engine(url)


def test_postgresql_down_is_unavailable():
    (port,) = free_ports(1)
    eng = make_engine(f"postgresql://postgres@127.0.0.1:{port}/test")
    with pytest.raises(StorageUnavailable, match=str(port)) as e, eng.connect():
        pass
    assert "数据库不可用" in str(e.value)
    eng.dispose()


def test_sqlite_unopenable_is_unavailable(tmp_path):
    (tmp_path / "file").write_text("not a directory")
    with pytest.raises(StorageUnavailable):
        eng = make_engine(f"sqlite:///{tmp_path / 'file' / 'y.db'}")
        with eng.connect():
            pass


def test_sqlite_path_is_a_directory_is_unavailable(tmp_path):
    eng = make_engine(f"sqlite:///{tmp_path}")
    with pytest.raises(StorageUnavailable, match="unable to open"), eng.connect():
        pass
    eng.dispose()


def test_sqlite_autocommit_connection(tmp_path):
    eng = make_engine(f"sqlite:///{tmp_path / 'a.db'}")
    with eng.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
        c.execute(text("CREATE TABLE t (x INTEGER)"))
        c.execute(text("INSERT INTO t VALUES (1)"))
    with eng.connect() as c:
        assert c.execute(text("SELECT x FROM t")).scalar() == 1
    eng.dispose()
