"""Alembic environment: run by :func:`storage.migrate.upgrade`, never from an ini file.

The caller hands in an open connection as ``config.attributes["connection"]``; the
target metadata is :data:`storage.db.Base.metadata` with every package's models loaded.
"""

from __future__ import annotations

from alembic import context

from migrations import load_models
from storage.db import Base


def _configure(**kw: object) -> None:
    context.configure(
        target_metadata=Base.metadata,
        compare_type=True,
        **kw,  # type: ignore[arg-type]
    )


def run_online() -> None:
    connection = context.config.attributes.get("connection")
    if connection is None:
        raise RuntimeError("migrations run through storage.migrate.upgrade(engine)")
    _configure(
        connection=connection,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


def run_offline() -> None:
    _configure(
        url=context.config.get_main_option("sqlalchemy.url"),
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
    )
    with context.begin_transaction():
        context.run_migrations()


load_models()
if context.is_offline_mode():
    run_offline()
else:
    run_online()
