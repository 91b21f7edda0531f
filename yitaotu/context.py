"""The composition root: settings -> database engine, sessions and the blob store.

Commands get one :class:`App` and call services with ``app.session()`` (one transaction)
and ``app.blobs``; nothing else knows where data lives.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import cached_property
from typing import Any

from sqlalchemy.orm import Session

from storage.display import clip
from storage.errors import Conflict, InvalidInput, StorageUnavailable
from yitaotu.settings import Settings

#: What every command but ``init`` says when the home (or its database or blobs) is missing.
NOT_INITIALISED = "未初始化 not initialised: run `yitaotu init`"


class App:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        #: Only ``init`` creates the home, the database file and the blob directory; every
        #: other command finds them or says so (a typo in YITAOTU_HOME must not make one).
        self._creating = False

    @classmethod
    def from_settings(cls, settings: Settings | None = None) -> App:
        return cls(settings or Settings.from_env())

    @cached_property
    def engine(self) -> Any:
        from storage.db import make_engine, sqlite_file

        url = self.settings.database_url
        path = sqlite_file(url)
        if path is not None and not self._creating and not path.is_file():
            raise StorageUnavailable(f"{NOT_INITIALISED} (no database {path})")
        if url.startswith("sqlite:///"):
            self.settings.home.mkdir(parents=True, exist_ok=True)
        return make_engine(url)

    @cached_property
    def session_factory(self) -> Any:
        from storage.db import session_factory

        return session_factory(self.engine)

    @cached_property
    def blobs(self) -> Any:
        from storage.blobs import open_blob_store

        s = self.settings
        return open_blob_store(
            s.blobs_url,
            endpoint=s.s3_endpoint,
            access_key=s.s3_access_key,
            secret_key=s.s3_secret_key,
            secure=s.s3_secure,
            create=self._creating,
        )

    @contextmanager
    def session(self, *, write: bool = True) -> Iterator[Session]:
        """One transaction: committed when the block ends, rolled back on any error.

        ``write=False`` for commands that only read (long ones above all: on SQLite a write
        transaction holds the write lock until it ends, see :func:`storage.db.transaction`).
        """
        from sqlalchemy.exc import DataError, OperationalError, ProgrammingError
        from sqlalchemy.exc import IntegrityError as DBIntegrityError

        from storage.db import transaction

        try:
            with transaction(self.session_factory, write=write) as s:
                yield s
        except DBIntegrityError as e:
            raise Conflict("并发修改冲突 a concurrent change got there first: please retry") from e
        except DataError as e:  # storage.limits checks first; this is the net under it
            reason = clip(e.orig)
            raise InvalidInput(f"数据库拒绝了一个值 the database refused a value: {reason}") from e
        except (OperationalError, ProgrammingError) as e:
            text = str(e.orig).lower() if e.orig is not None else str(e).lower()
            if "no such table" in text or ("relation" in text and "does not exist" in text):
                raise StorageUnavailable(
                    "数据库未初始化 database not initialised: run `yitaotu init`"
                ) from e
            raise

    def init(self) -> dict[str, str]:
        """Create the home, the database schema (alembic upgrade) and the blob store; idempotent."""
        from storage.migrate import upgrade

        self._creating = True
        try:
            self.settings.home.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise StorageUnavailable(f"cannot create home {self.settings.home}: {e}") from e
        upgrade(self.engine)
        blobs = self.blobs
        return {
            "home": str(self.settings.home),
            "database": self.engine.url.render_as_string(hide_password=True),
            "blobs": blobs.url,
        }

    def close(self) -> None:
        if "engine" in self.__dict__:
            self.engine.dispose()
