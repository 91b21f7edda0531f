"""The web app's composition root: settings -> engine, sessions, blobs, keys, jobs.

It plays for the web what ``yitaotu.context.App`` plays for the CLI (``web`` sits below
``yitaotu`` and cannot import it): the one module of ``web`` that holds SQLAlchemy, so every
page and API call gets its transaction from :meth:`Store.session` and calls services with it.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cached_property
from pathlib import Path
from typing import Any

from sqlalchemy.exc import DataError, OperationalError, ProgrammingError
from sqlalchemy.exc import IntegrityError as DBIntegrityError
from sqlalchemy.orm import Session

from storage.display import clip
from storage.errors import Conflict, InvalidInput, StorageUnavailable

NOT_INITIALISED = "未初始化 not initialised: run `yitaotu init`"


class Store:
    """Where one home's data lives, opened lazily and shared by the app's requests."""

    def __init__(self, settings: Any) -> None:
        self.settings = settings

    @cached_property
    def engine(self) -> Any:
        from storage.db import make_engine, sqlite_file

        path = sqlite_file(self.settings.database_url)
        if path is not None and not path.is_file():
            raise StorageUnavailable(f"{NOT_INITIALISED} (no database {path})")
        return make_engine(self.settings.database_url)

    @cached_property
    def session_factory(self) -> Any:
        from storage.db import session_factory

        return session_factory(self.engine)

    @cached_property
    def blobs(self) -> Any:
        from storage.blobs import open_blob_store

        s = self.settings
        return open_blob_store(s.blobs_url, endpoint=s.s3_endpoint, access_key=s.s3_access_key,
                               secret_key=s.s3_secret_key, secure=s.s3_secure, create=False)

    @cached_property
    def keys(self) -> Any:
        from workflow import KeyRing

        return KeyRing(Path(self.settings.home) / "keys")

    @property
    def jobs_dir(self) -> Path:
        return Path(self.settings.home) / "web-jobs"

    def secret_key(self) -> str:
        """The session-signing key: ``YITAOTU_SECRET_KEY``, else ``$YITAOTU_HOME/web.key``
        (made once, mode 0600, written atomically) so every gunicorn worker shares it."""
        env = os.environ.get("YITAOTU_SECRET_KEY")
        if env:
            return env
        path = Path(self.settings.home) / "web.key"
        try:
            return _read_key(path)
        except FileNotFoundError:
            pass
        tmp = path.with_name(f".web.key.{secrets.token_hex(4)}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_hex(32))
            f.flush()
            os.fsync(f.fileno())
        try:
            os.link(tmp, path)  # the first worker's key wins; the others read it
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
        return _read_key(path)

    @contextmanager
    def session(self, *, write: bool = True) -> Iterator[Session]:
        """One transaction, committed at the end of the block (see ``App.session``)."""
        from storage.db import transaction

        try:
            with transaction(self.session_factory, write=write) as s:
                yield s
        except DBIntegrityError as e:
            raise Conflict("并发修改冲突 a concurrent change got there first: please retry") from e
        except DataError as e:
            raise InvalidInput(f"数据库拒绝了一个值 the database refused a value: "
                               f"{clip(e.orig)}") from e
        except (OperationalError, ProgrammingError) as e:
            text = str(e.orig).lower() if e.orig is not None else str(e).lower()
            if "no such table" in text or ("relation" in text and "does not exist" in text):
                raise StorageUnavailable(NOT_INITIALISED) from e
            raise

    def close(self) -> None:
        if "engine" in self.__dict__:
            self.engine.dispose()


def _read_key(path: Path) -> str:
    try:
        text = path.read_text(encoding="ascii").strip()
    except UnicodeDecodeError:
        text = ""
    if len(text) < 32:
        raise StorageUnavailable(f"{path}: 会话密钥损坏 the session key is damaged (delete it "
                                 "to make a new one; everyone logs in again)")
    return text
