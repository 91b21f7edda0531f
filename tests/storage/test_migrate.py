"""The alembic runner on both databases, with the repository's real history."""

from __future__ import annotations

import threading

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from migrations import load_models
from storage.db import Base, make_engine
from storage.migrate import current, head, migrations_dir, upgrade


def test_history_is_packaged():
    location = migrations_dir()
    assert (location / "env.py").is_file()
    assert (location / "script.py.mako").is_file()
    assert (location / "versions" / "__init__.py").is_file()


def test_upgrade_from_empty_is_idempotent(db_url):
    eng = make_engine(db_url)
    try:
        assert current(eng) is None
        upgrade(eng)
        assert current(eng) == head()
        tables = set(sa.inspect(eng).get_table_names())
        upgrade(eng)
        assert current(eng) == head()
        assert set(sa.inspect(eng).get_table_names()) == tables
    finally:
        eng.dispose()


def test_engine_fixture_is_at_head(engine):
    assert current(engine) == head()


def test_models_match_migrations(engine):
    """Every model's table is exactly what the migrations create (nothing to autogenerate)."""
    load_models()
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []


def test_concurrent_upgrades_both_succeed(db_url):
    engines = [make_engine(db_url) for _ in range(3)]
    errors: list[BaseException] = []

    def run(eng):
        try:
            upgrade(eng)
        except BaseException as e:  # reported below, in the test thread
            errors.append(e)

    threads = [threading.Thread(target=run, args=(eng,)) for eng in engines]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == []
        assert current(engines[0]) == head()
    finally:
        for eng in engines:
            eng.dispose()


def test_postgresql_schema_is_private(db_url):
    eng = make_engine(db_url)
    try:
        upgrade(eng)
        if eng.dialect.name == "postgresql":
            with eng.connect() as conn:
                schema = conn.execute(sa.text("SELECT current_schema()")).scalar()
            assert schema.startswith("t_")
            assert "alembic_version" in sa.inspect(eng).get_table_names(schema=schema)
            assert "alembic_version" not in sa.inspect(eng).get_table_names(schema="public")
    finally:
        eng.dispose()


def test_reflog_seq_numbers_existing_moves_per_ref(db_url):
    """0004 numbers the moves already in a reflog per ref, in the order they were written."""
    eng = make_engine(db_url)
    try:
        upgrade(eng, "0003_diffcache")
        with eng.begin() as conn:
            conn.execute(sa.text("INSERT INTO projects (code, name, created) "
                                 "VALUES ('P', 'p', '2025-01-01 00:00:00')"))
            conn.execute(sa.text("INSERT INTO set_versions (id, project_code, author, message, "
                                 "created_at, body) VALUES ('v', 'P', 'a', 'm', "
                                 "'2025-01-01 00:00:00', '{}')"))
            for ref in ("head", "current", "head", "head", "current"):
                conn.execute(sa.text("INSERT INTO reflog (project_code, ref, new, actor, at, "
                                     "reason) VALUES ('P', :ref, 'v', 'a', "
                                     "'2025-01-01 00:00:00', 'r')"), {"ref": ref})
        upgrade(eng)
        with eng.connect() as conn:
            rows = conn.execute(sa.text("SELECT ref, seq FROM reflog ORDER BY id")).all()
        assert [tuple(r) for r in rows] == [("head", 1), ("current", 1), ("head", 2),
                                            ("head", 3), ("current", 2)]
    finally:
        eng.dispose()
