"""Fixtures shared by every test layer.

Real drawings come from a corpus laid out as ``../shared/corpus`` (``MANIFEST.tsv`` + files):
the whole shared corpus when ``YITAOTU_CORPUS`` names it (CI sets it, and then it must be
there), else the openly licensed sample in ``tests/data/corpus`` (see ``tests/data/README.md``),
so a fresh clone passes on its own.  Tests that name a file only the shared corpus has are
marked :data:`needs_corpus`.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SAMPLE_CORPUS = REPO / "tests" / "data" / "corpus"
#: The whole shared corpus is in use (``YITAOTU_CORPUS`` is set).
FULL_CORPUS = bool(os.environ.get("YITAOTU_CORPUS"))

needs_corpus = pytest.mark.skipif(
    not FULL_CORPUS, reason="needs the shared corpus: set YITAOTU_CORPUS=../shared/corpus")


def corpus_dir() -> Path:
    env = os.environ.get("YITAOTU_CORPUS")
    path = Path(env) if env else SAMPLE_CORPUS
    if not (path / "MANIFEST.tsv").is_file():
        raise RuntimeError(f"corpus not found: {path}/MANIFEST.tsv is missing "
                           "(YITAOTU_CORPUS must name the shared corpus)")
    return path


@pytest.fixture(scope="session")
def corpus() -> Path:
    return corpus_dir()


# -- storage: SeaweedFS (S3), databases, blob stores ---------------------------------------

import secrets  # noqa: E402
from collections.abc import Callable, Iterator  # noqa: E402
from contextlib import contextmanager  # noqa: E402

import psycopg  # noqa: E402

from storage.testing import SeaweedServer  # noqa: E402

#: Where the throw-away PostgreSQL schemas are made (trust auth on these machines).
PG_ADMIN_DSN = os.environ.get("YITAOTU_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")


@pytest.fixture(scope="session")
def seaweedfs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SeaweedServer]:
    """One SeaweedFS for the session: ``.endpoint``, ``.access_key``, ``.secret_key``, ``.url(b)``.

    Share it by giving each test its own bucket or prefix (see ``blob_store``).
    """
    server = SeaweedServer(tmp_path_factory.mktemp("seaweedfs"))
    server.start()
    yield server
    server.close()


@pytest.fixture
def seaweedfs_factory(tmp_path: Path) -> Iterator[Callable[[], SeaweedServer]]:
    """Start private servers a test may ``.stop()`` mid-operation; all closed afterwards."""
    servers: list[SeaweedServer] = []

    def start() -> SeaweedServer:
        server = SeaweedServer(tmp_path / f"seaweedfs-{len(servers)}")
        servers.append(server)
        return server.start()

    yield start
    for server in servers:
        server.close()


def _pg_schema_url(schema: str) -> str:
    base = PG_ADMIN_DSN.replace("postgresql://", "postgresql+psycopg://", 1)
    sep = "&" if "?" in base else "?"
    return f"{base}{sep}options=-csearch_path%3D{schema}&application_name={schema}"


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh empty database: a SQLite file, or a private PostgreSQL schema dropped after."""
    with private_database(request.param, tmp_path) as url:
        yield url


@contextmanager
def private_database(kind: str, tmp_path: Path) -> Iterator[str]:
    """What ``db_url`` yields, for fixtures of a wider scope (``kind``: its params)."""
    if kind == "sqlite":
        yield f"sqlite:///{tmp_path / 'yitaotu.db'}"
        return
    schema = f"t_{secrets.token_hex(6)}"
    with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as admin:
        admin.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield _pg_schema_url(schema)
    finally:
        with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as admin:
            # Connections a test forgot to close would block the DROP: end them first.
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE application_name = %s AND pid <> pg_backend_pid()",
                (schema,),
            )
            admin.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


@pytest.fixture
def engine(db_url: str):
    """``make_engine(db_url)`` migrated to head; disposed afterwards."""
    from storage.db import make_engine
    from storage.migrate import upgrade

    eng = make_engine(db_url)
    upgrade(eng)
    yield eng
    eng.dispose()


@pytest.fixture(params=["local", "s3"])
def blob_store(request: pytest.FixtureRequest, tmp_path: Path):
    """An empty store: a local directory, or a fresh prefix in the session SeaweedFS."""
    from storage.blobs import open_blob_store

    if request.param == "local":
        return open_blob_store((tmp_path / "objects").as_uri())
    server: SeaweedServer = request.getfixturevalue("seaweedfs")
    return open_blob_store(
        server.url("yitaotu-test", secrets.token_hex(6)),
        endpoint=server.endpoint,
        access_key=server.access_key,
        secret_key=server.secret_key,
    )
