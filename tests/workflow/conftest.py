from __future__ import annotations

from pathlib import Path

import pytest

from storage.db import session_factory
from tests.workflow.helpers import World, setup_world
from workflow.signing import KeyRing


@pytest.fixture
def local_blobs(tmp_path: Path):
    from storage.blobs import open_blob_store

    return open_blob_store((tmp_path / "objects").as_uri())


@pytest.fixture
def keys(tmp_path: Path) -> KeyRing:
    return KeyRing(tmp_path / "keys", passphrase="")


@pytest.fixture
def world(engine, local_blobs, keys) -> World:
    return setup_world(session_factory(engine), local_blobs, keys)


@pytest.fixture
def sqlite_world(tmp_path: Path, local_blobs, keys) -> World:
    """SQLite only, for the tests that walk every row of the table (fast)."""
    from storage.db import make_engine
    from storage.migrate import upgrade

    eng = make_engine(f"sqlite:///{tmp_path / 'wf.db'}")
    upgrade(eng)
    yield setup_world(session_factory(eng), local_blobs, keys)
    eng.dispose()
