"""Blobs in a local directory, laid out like git and dvc: ``<root>/ab/cdef…``.

A put streams into ``<root>/.<token>.tmp`` (same file system) while hashing, fsyncs,
makes the file read-only, ``os.replace``-s it onto its id and fsyncs the directory, so
a crash leaves either the whole object or a temp file that :meth:`clean_temp` removes.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import secrets
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

from storage.blobs.common import PutHelpers, check_oid, copy_hashing, corrupt, hash_stream, is_oid
from storage.errors import InvalidInput, NotFound, StorageUnavailable

#: Stored objects are immutable (dvc-objects ``CACHE_MODE``).
OBJECT_MODE = 0o444

_TMP_SUFFIX = ".tmp"


def _refresh(path: Path) -> bool:
    """Mark a stored blob as just put (its mtime: ``gc`` keeps young blobs); False if absent."""
    try:
        os.utime(path)
    except FileNotFoundError:
        return False
    except PermissionError:
        return path.exists()  # somebody else's read-only store: nothing to refresh
    return True


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class LocalBlobStore(PutHelpers):
    """A content-addressed directory; safe for concurrent writers of the same blob.

    A read-only directory still opens (inspection, verify); puts then fail with
    :class:`StorageUnavailable`.
    """

    def __init__(self, root: str | os.PathLike, *, create: bool = True) -> None:
        self.root = Path(root).absolute()
        self.url = self.root.as_uri()
        if not create:
            if not self.root.is_dir():
                raise StorageUnavailable(
                    f"未初始化 not initialised: blob directory {self.root} does not exist; "
                    "run `yitaotu init`"
                )
            return
        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise StorageUnavailable(f"blob directory {self.root}: {e.strerror or e}") from e

    def __repr__(self) -> str:
        return f"LocalBlobStore({str(self.root)!r})"

    def path(self, oid: str) -> Path:
        """Where ``oid`` lives (whether or not it exists)."""
        check_oid(oid)
        return self.root / oid[:2] / oid[2:]

    # -- writing ---------------------------------------------------------------------------

    def put(
        self,
        stream: BinaryIO,
        *,
        size_limit: int | None = None,
        progress: Callable[[int], None] | None = None,
    ) -> str:
        if size_limit is not None and size_limit < 0:
            raise InvalidInput("size_limit must be >= 0")
        tmp = self.root / f".{secrets.token_hex(8)}{_TMP_SUFFIX}"

        def write(chunk: memoryview) -> None:
            try:
                while chunk:
                    chunk = chunk[os.write(fd, chunk) :]
            except OSError as e:
                raise self._failed(e) from e

        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except OSError as e:
            raise self._failed(e) from e
        try:
            try:
                oid, _size = copy_hashing(stream, write, size_limit=size_limit, progress=progress)
                dest = self.path(oid)
                if _refresh(dest):
                    return oid  # dedup: the temp file is dropped below, never synced
                try:
                    os.fsync(fd)
                except OSError as e:
                    raise self._failed(e) from e
            finally:
                os.close(fd)
            os.chmod(tmp, OBJECT_MODE)
            try:
                dest.parent.mkdir()
                _fsync_dir(self.root)  # the new fan-out directory must survive a crash too
            except FileExistsError:
                pass
            os.replace(tmp, dest)
            _fsync_dir(dest.parent)
            return oid
        except StorageUnavailable:
            raise
        except OSError as e:
            if getattr(e, "filename", None) is None:
                raise  # from the caller's stream, not from us
            raise self._failed(e) from e
        finally:
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()

    # -- reading ---------------------------------------------------------------------------

    def open(self, oid: str, *, verify: bool = False) -> BinaryIO:
        if verify:
            self.verify(oid)
        try:
            return open(self.path(oid), "rb")  # noqa: SIM115 - the caller closes it
        except FileNotFoundError as e:
            raise self._missing(oid) from e

    def read_bytes(self, oid: str, *, verify: bool = False) -> bytes:
        try:
            data = self.path(oid).read_bytes()
        except FileNotFoundError as e:
            raise self._missing(oid) from e
        if verify:
            actual = hashlib.sha256(data).hexdigest()
            if actual != oid:
                raise corrupt(oid, str(self.path(oid)), actual)
        return data

    def has(self, oid: str) -> bool:
        return is_oid(oid) and self.path(oid).is_file()

    def size(self, oid: str) -> int:
        try:
            return self.path(oid).stat().st_size
        except FileNotFoundError as e:
            raise self._missing(oid) from e

    def iter_ids(self) -> Iterator[str]:
        for sub in sorted(os.scandir(self.root), key=lambda e: e.name):
            if len(sub.name) != 2 or not sub.is_dir():
                continue
            for entry in sorted(os.scandir(sub.path), key=lambda e: e.name):
                oid = sub.name + entry.name
                if is_oid(oid):
                    yield oid

    def verify(self, oid: str) -> None:
        path = self.path(oid)
        try:
            with open(path, "rb") as f:
                actual, _ = hash_stream(f)
        except FileNotFoundError as e:
            raise self._missing(oid) from e
        if actual != oid:
            raise corrupt(oid, str(path), actual)

    # -- maintenance -----------------------------------------------------------------------

    def delete(self, oid: str) -> None:
        path = self.path(oid)
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
            _fsync_dir(path.parent)

    def age(self, oid: str) -> float:
        try:
            return time.time() - self.path(oid).stat().st_mtime
        except FileNotFoundError as e:
            raise self._missing(oid) from e

    def collect(self, oid: str, grace_s: float) -> bool:
        path = self.path(oid)
        try:
            before = path.stat()
        except FileNotFoundError:
            return False
        if time.time() - before.st_mtime < grace_s:
            return False
        # Move it aside first (a temp name, so a crash leaves a leftover, not a loss), then
        # look again: a put that refreshed it in between wins and it goes back.
        aside = self.root / f".{secrets.token_hex(8)}.gc{_TMP_SUFFIX}"
        try:
            os.rename(path, aside)
        except FileNotFoundError:
            return False
        if aside.stat().st_mtime_ns != before.st_mtime_ns:
            with contextlib.suppress(FileExistsError):  # stored anew meanwhile: keep that one
                os.link(aside, path)
            aside.unlink()
            return False
        aside.unlink()
        _fsync_dir(path.parent)
        return True

    def temp_entries(self) -> list[str]:
        found = [
            e.name
            for e in os.scandir(self.root)
            if e.name.startswith(".") and e.name.endswith(_TMP_SUFFIX) and e.is_file()
        ]
        return sorted(found)

    def clean_temp(self, older_than_s: float = 0) -> int:
        cutoff = time.time() - older_than_s
        removed = 0
        for name in self.temp_entries():
            path = self.root / name
            try:
                if path.stat().st_mtime <= cutoff:
                    path.unlink()
                    removed += 1
            except FileNotFoundError:
                continue  # a concurrent put finished or cleaned it
        return removed

    def _failed(self, e: OSError) -> StorageUnavailable:
        return StorageUnavailable(f"blob directory {self.root}: {e.strerror or e} / 写入失败")

    def _missing(self, oid: str) -> NotFound:
        return NotFound(f"blob {oid} not found in {self.url} / 对象不存在")
