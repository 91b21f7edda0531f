"""The database: one declarative ``Base`` for every package's models, engines, sessions.

SQLite (WAL, foreign keys on, a busy timeout) is the default; PostgreSQL is reached
through psycopg 3 (``postgresql://`` is rewritten to ``postgresql+psycopg://``).  Failures
to reach the database surface as :class:`~storage.errors.StorageUnavailable`.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine, MetaData, create_engine, event, exc, text
from sqlalchemy.engine import ExceptionContext, make_url
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.pool import StaticPool

from storage.display import redact_url
from storage.errors import InvalidInput, StorageUnavailable

#: Deterministic constraint names, so alembic can alter them (batch mode on SQLite).
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

#: How long SQLite waits for a competing writer before giving up (milliseconds).
SQLITE_BUSY_TIMEOUT_MS = 30_000


class Base(DeclarativeBase):
    """Every ORM model of every package subclasses this (one alembic history)."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def normalize_url(url: str) -> str:
    """Pick the psycopg 3 driver for bare PostgreSQL URLs; reject unknown databases."""
    try:
        parsed = make_url(url)
    except exc.ArgumentError as e:
        raise InvalidInput(f"database URL {redact_url(url)!r} is not valid / 数据库地址无效") from e
    backend = parsed.get_backend_name()
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    elif backend not in ("sqlite", "postgresql"):
        raise InvalidInput(
            f"database URL {redact_url(url)!r}: only sqlite and postgresql are supported"
        )
    return parsed.render_as_string(hide_password=False)


def sqlite_file(url: str) -> Path | None:
    """The database file of a SQLite URL (None for PostgreSQL and in-memory databases)."""
    parsed = make_url(normalize_url(url))
    if parsed.get_backend_name() != "sqlite":
        return None
    database = parsed.database
    if database in (None, "", ":memory:") or parsed.query.get("mode") == "memory":
        return None
    return Path(database).expanduser()


def make_engine(url: str, **kw) -> Engine:
    """An engine with our connection settings; ``kw`` goes to ``create_engine``."""
    url = normalize_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        engine = _sqlite_engine(parsed, **kw)
    else:
        kw.setdefault("pool_pre_ping", True)
        engine = create_engine(parsed, **kw)
    event.listen(engine, "handle_error", _translate_error)
    return engine


def _sqlite_engine(parsed, **kw) -> Engine:
    database = parsed.database
    memory = database in (None, "", ":memory:") or parsed.query.get("mode") == "memory"
    if memory:
        kw.setdefault("poolclass", StaticPool)
        kw.setdefault("connect_args", {"check_same_thread": False})
    else:
        folder = Path(database).expanduser().parent
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise StorageUnavailable(
                f"database folder {folder} cannot be created / 无法创建数据库目录: {e.strerror}"
            ) from e
        kw.setdefault("connect_args", {"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})
    engine = create_engine(parsed, **kw)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record) -> None:
        # Let SQLAlchemy, not pysqlite, decide where transactions begin, so that
        # SAVEPOINT and transactional DDL (alembic) work.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        if not memory:
            _set_wal(cur)
            cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn) -> None:
        # ``conn.execution_options(sqlite_begin="BEGIN IMMEDIATE")`` takes the write lock
        # up front, for transactions that read then write and must not lose the race.
        options = conn.get_execution_options()
        if options.get("isolation_level") != "AUTOCOMMIT":
            conn.exec_driver_sql(options.get("sqlite_begin", "BEGIN"))

    return engine


def _set_wal(cur: sqlite3.Cursor) -> None:
    """Switch the file to WAL, waiting like the busy timeout does.

    Changing the journal mode takes an exclusive lock and SQLite answers "database is locked"
    at once, without its busy handler, when another connection holds the file -- as when
    several processes open a new database together.  Once in WAL the mode is persistent and
    the switch is a no-op.
    """
    deadline = time.monotonic() + SQLITE_BUSY_TIMEOUT_MS / 1000
    delay = 0.005
    while True:
        try:
            if str(cur.execute("PRAGMA journal_mode").fetchone()[0]).lower() != "wal":
                cur.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as e:
            if "locked" not in str(e) or time.monotonic() > deadline:
                raise
            time.sleep(delay)
            delay = min(delay * 2, 0.25)


_UNAVAILABLE_SQLITE = ("database is locked", "unable to open database", "disk i/o error")


#: PostgreSQL's SQLSTATE for a number out of its column's range.
_PG_OUT_OF_RANGE = "22003"


def _translate_error(ctx: ExceptionContext) -> None:
    """Raise StorageUnavailable for 'cannot reach / cannot open the database' errors, and
    InvalidInput for a number the database cannot hold (services check theirs first with
    :mod:`storage.numbers`; this is the net under any they miss)."""
    orig = ctx.original_exception
    if isinstance(orig, OverflowError) or getattr(orig, "sqlstate", None) == _PG_OUT_OF_RANGE:
        raise InvalidInput(
            f"数值超出范围 a number is out of the database's range: {str(orig).splitlines()[0]}"
        ) from orig
    err = ctx.sqlalchemy_exception
    if not isinstance(err, exc.OperationalError | exc.InterfaceError) and not ctx.is_disconnect:
        return
    text = str(ctx.original_exception).strip().splitlines()[0] if ctx.original_exception else ""
    connecting = ctx.connection is None
    is_sqlite = ctx.dialect is not None and ctx.dialect.name == "sqlite"
    if ctx.is_disconnect or (connecting and not is_sqlite) or (
        is_sqlite and any(s in text.lower() for s in _UNAVAILABLE_SQLITE)
    ):
        url = ctx.engine.url.render_as_string(hide_password=True) if ctx.engine else "database"
        raise StorageUnavailable(f"database {url} unavailable / 数据库不可用: {text}") from err


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions that keep loaded objects usable after commit (web responses, CLI output)."""
    return sessionmaker(bind=engine, expire_on_commit=False)


@contextmanager
def transaction(sf: sessionmaker[Session], *, write: bool = False) -> Iterator[Session]:
    """A session in one transaction: committed on success, rolled back on any error.

    ``write``: the transaction will read, then write what depends on what it read.  SQLite
    then takes its write lock at the start (``BEGIN IMMEDIATE``, waiting like the busy
    timeout): a plain transaction that read first cannot wait for a concurrent writer and
    fails at once with "database is locked".  PostgreSQL needs nothing (row locks queue).
    """
    with sf() as session, session.begin():
        if write and session.get_bind().dialect.name == "sqlite":
            session.connection(execution_options={"sqlite_begin": "BEGIN IMMEDIATE"})
        yield session


def database_now(session: Session) -> datetime:
    """The database's clock (aware UTC): the one clock every client of the database shares,
    so a client whose own clock is off cannot stamp events out of order.

    PostgreSQL: the server's ``clock_timestamp()``.  SQLite is a file on this machine, so its
    clock is this machine's (what SQLite's own ``'now'`` reads), kept to the microsecond.
    """
    if session.get_bind().dialect.name == "postgresql":
        return session.execute(text("SELECT clock_timestamp()")).scalar_one().astimezone(UTC)
    return datetime.now(UTC)


__all__ = [
    "NAMING_CONVENTION",
    "Base",
    "database_now",
    "make_engine",
    "sqlite_file",
    "normalize_url",
    "session_factory",
    "transaction",
]
