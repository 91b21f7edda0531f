"""Run the alembic history in ``migrations/`` programmatically (no alembic.ini).

The location is found through the installed ``migrations`` package, so this works from
a checkout and from a wheel alike.  :func:`upgrade` is idempotent and serialised (a
PostgreSQL advisory lock, SQLite ``BEGIN IMMEDIATE``) so processes starting at once
do not race.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, text

#: Arbitrary constant key of the PostgreSQL advisory lock held while migrating.
_LOCK_KEY = 0x79_69_74_61_6F  # "yitao"


def migrations_dir() -> Path:
    import migrations

    return Path(migrations.__file__).resolve().parent


def alembic_config(connection: Connection | None = None) -> Config:
    """A programmatic alembic config; ``connection`` is what ``env.py`` migrates."""
    cfg = Config()
    location = migrations_dir()
    cfg.set_main_option("script_location", str(location))
    cfg.set_main_option("version_locations", str(location / "versions"))
    cfg.set_main_option("path_separator", "os")
    cfg.attributes["connection"] = connection
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to ``revision`` (default: the newest); a no-op when already there."""
    with engine.connect() as conn:
        sqlite = conn.dialect.name == "sqlite"
        if sqlite:
            # A migration that rebuilds a table (SQLite's way to alter one) drops the old one
            # while other tables' rows still point at it: foreign keys are off for the
            # migration (they cannot change inside a transaction) and checked after it.
            conn.connection.dbapi_connection.execute("PRAGMA foreign_keys=OFF")  # not in BEGIN
        try:
            # Two processes starting at once: the second waits, then finds nothing to do.
            conn.execution_options(sqlite_begin="BEGIN IMMEDIATE")
            with conn.begin():
                if conn.dialect.name == "postgresql":
                    conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _LOCK_KEY})
                command.upgrade(alembic_config(conn), revision)
                if sqlite and (bad := conn.exec_driver_sql("PRAGMA foreign_key_check").all()):
                    raise RuntimeError(f"migration left rows pointing nowhere: {bad[:5]}")
        finally:
            if sqlite:
                conn.connection.dbapi_connection.execute("PRAGMA foreign_keys=ON")


def current(engine: Engine) -> str | None:
    """The revision the database is at, or None for a database never migrated."""
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def head() -> str | None:
    """The newest revision of the history (None only while the history is empty)."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


__all__ = ["alembic_config", "current", "head", "migrations_dir", "upgrade"]
