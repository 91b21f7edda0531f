"""The one alembic history for every table (run through :mod:`storage.migrate`)."""

from __future__ import annotations

import importlib

#: Packages whose ORM models live in the shared ``storage.db.Base.metadata``.
MODEL_MODULES = ("drawings.models", "workflow.models", "diffing.models",
                 "workflow.exchange.models")


def load_models() -> list[str]:
    """Import every model module that exists yet; return the names imported."""
    loaded = []
    for name in MODEL_MODULES:
        try:
            importlib.import_module(name)
        except ModuleNotFoundError as e:
            if e.name not in (name, name.rpartition(".")[0]):
                raise  # a real import error inside an existing module
            continue
        loaded.append(name)
    return loaded
